"""The counter: a teller's day at one window, as the teller does it —
open a window with its lanes in order, call, recall, start, complete, mark a
no-show, transfer (with the mouse, and with the keyboard alone); the visit
card and its timers; the tone when a customer arrives in an empty lane;
complaints logged and worked to the follow-up; a reload that finds the
window again."""

import re

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from harness import PageTest


class Counter(PageTest):

    # ---- what a teller does ----

    def signed_in(self):
        b = self.open("/counter")
        self.sign_in(b, "T01")
        self.see(b, "未开窗")
        return b

    def open_window(self, b, number, lanes):
        """Types the window number, ticks the lanes and orders them with
        the move-up buttons, opens the window."""
        self.field(b, "窗口号").send_keys(str(number))
        for lane in lanes:
            box = self.field(b, lane)
            if not box.is_selected():
                box.click()
        for lane in reversed(lanes):  # each to the top in turn: the given order
            while self.button_enabled(b, f"上移：{lane}"):
                self.click(b, f"上移：{lane}")
        self.click(b, "开窗")
        self.see(b, f"{number} 号窗口 · 服务中")

    def button_enabled(self, b, label):
        for e in b.find_elements(By.CSS_SELECTOR, "button"):
            if e.get_attribute("aria-label") == label:
                return e.is_enabled()
        return False

    def card(self, b):
        return b.find_element(By.ID, "card").text

    def lane_count(self, b, lane_name):
        for li in b.find_elements(By.CSS_SELECTOR, "#lanes li"):
            if lane_name in li.text:
                return li.text
        return ""

    def press(self, b, *keys):
        """Keys to whatever has the focus, as a keyboard would send them."""
        ActionChains(b).send_keys(*keys).perform()

    def tab_to(self, b, element_id, limit=40):
        """Presses Tab until the element with this id has the focus."""
        for _ in range(limit):
            if b.switch_to.active_element.get_attribute("id") == element_id:
                return
            self.press(b, Keys.TAB)
        self.fail(f"Tab never reached #{element_id}")

    def choose(self, b, label, option):
        Select(self.field(b, label)).select_by_visible_text(option)

    def history(self, b):
        return b.find_element(By.ID, "history").text

    def complaint_row(self, b, id_):
        rows = b.find_elements(By.CSS_SELECTOR, f"#mine button[data-id='{id_}']")
        return rows[0].text if rows else ""

    def issue(self, service="loan", **fields):
        return self.d.ok("K01", "ticket.issue", service=service, **fields)["ticket"]["number"]

    # ---- (a) the main flow ----

    def test_serving_a_customer(self):
        b = self.signed_in()
        self.check_accessibility(b)
        self.open_window(b, 2, ["柜台", "现金快速通道"])
        self.assertIn("1. 柜台 → 2. 现金快速通道", self.text(b))
        self.issue("cash_deposit", amount_fen=3000050, flags={"loose_cash": True})
        self.wait(b, lambda d: "1 人等候" in self.lane_count(d, "现金快速通道"),
                  "the express lane's count to show the ticket")
        self.click(b, "叫下一位")
        self.wait(b, lambda d: "E001" in self.card(d), "the visit card")
        card = self.card(b)
        for seen in ("存款", "30,000.50", "零钞", "已叫号"):
            self.assertIn(seen, card)
        self.check_accessibility(b)
        self.click(b, "开始办理")
        self.wait(b, lambda d: "办理中" in self.card(d), "the ticket being served")
        self.d.advance(65)

        def timer_at_least_1_05(d):
            m = re.fullmatch(r"(\d+):(\d\d)", d.find_element(By.ID, "card-timer").text)
            return m is not None and int(m.group(1)) * 60 + int(m.group(2)) >= 65
        self.wait(b, timer_at_least_1_05, "the service timer at 1:05 or more")
        self.click(b, "办理完成")
        self.see(b, "上一位：E001（已完成）")
        self.assertEqual(self.d.ok("T01", "ticket.status", number="E001")["ticket"]["status"],
                         "done")
        self.check_accessibility(b)

    # ---- (b) the keyboard alone ----

    def test_a_day_at_the_window_with_the_keyboard_only(self):
        for _ in range(3):
            self.issue()  # A001, A002, A003: loans wait at the counter
        b = self.signed_in()
        # the window number has the focus after sign-in
        self.assertEqual(b.switch_to.active_element.get_attribute("id"), "window-number")
        self.press(b, "2")
        self.tab_to(b, "lane-express")
        self.press(b, Keys.SPACE)
        self.tab_to(b, "open-submit")
        self.press(b, Keys.ENTER)
        self.see(b, "2 号窗口 · 服务中")
        self.see(b, "1. 柜台 → 2. 现金快速通道")

        self.press(b, "n")
        self.wait(b, lambda d: "A001" in self.card(d), "A001 called")
        self.press(b, "r")
        self.see(b, "已重呼 A001 号（第 1 次）")
        self.press(b, "x")  # too early: the daemon's conflict, said with its numbers
        self.see(b, "还不能过号：已重呼 1 次，需重呼 2 次后才能标记过号。")
        self.allow_console.append(r"ticket\.no_show - Failed to load resource.*409")
        self.press(b, "r")
        self.see(b, "已重呼 A001 号（第 2 次）")
        self.press(b, "x")
        self.see(b, "上一位：A001（过号）")

        self.press(b, "n")
        self.wait(b, lambda d: "A002" in self.card(d), "A002 called")
        self.press(b, "s")
        self.wait(b, lambda d: "办理中" in self.card(d), "A002 being served")
        self.press(b, "c")
        self.see(b, "上一位：A002（已完成）")

        self.press(b, "n")
        self.wait(b, lambda d: "A003" in self.card(d), "A003 called")
        self.press(b, "t")  # the lane list takes the focus; Enter transfers
        self.assertEqual(b.switch_to.active_element.get_attribute("id"), "transfer-lane")
        self.press(b, Keys.ENTER)
        self.see(b, "A003 号已转到现金快速通道")
        self.see(b, "上一位：A003（等候中）")
        t = self.d.ok("T01", "ticket.status", number="A003")["ticket"]
        self.assertEqual((t["lane"], t["status"]), ("express", "waiting"))
        for number, status in (("A001", "no_show"), ("A002", "done")):
            self.assertEqual(self.d.ok("T01", "ticket.status", number=number)["ticket"]["status"],
                             status)
        self.press(b, "p")
        self.see(b, "2 号窗口 · 已暂停")
        self.press(b, "p")
        self.see(b, "2 号窗口 · 服务中")
        self.check_accessibility(b)

    # ---- (c) the tone when the window's lanes stop being empty ----

    def test_a_customer_arriving_in_an_empty_lane_is_announced_once(self):
        b = self.signed_in()
        self.open_window(b, 3, ["柜台"])
        notice = b.find_element(By.ID, "arrival")
        self.assertEqual(notice.get_attribute("data-count"), "0")
        self.issue()
        self.see(b, "新顾客等候 · A customer is waiting")
        self.assertEqual(notice.get_attribute("aria-live"), "assertive")
        self.assertEqual(notice.get_attribute("data-count"), "1")
        self.issue()
        self.wait(b, lambda d: "2 人等候" in self.lane_count(d, "柜台"), "two waiting")
        self.assertEqual(notice.get_attribute("data-count"), "1", "a second tone")
        # served to empty, then a new arrival rings again
        self.click(b, "叫下一位")
        self.wait(b, lambda d: "A001" in self.card(d), "A001 called")
        self.click(b, "转移")
        self.wait(b, lambda d: "1 人等候" in self.lane_count(d, "柜台"), "one left at the counter")
        self.assertEqual(notice.get_attribute("data-count"), "1")

    # ---- (d) a complaint logged and worked to its follow-up ----

    def test_a_complaint_from_logging_to_follow_up(self):
        self.issue()
        b = self.signed_in()
        self.open_window(b, 2, ["柜台"])
        self.click(b, "叫下一位")
        self.wait(b, lambda d: "A001" in self.card(d), "A001 called")
        self.click(b, "登记投诉")
        self.assertEqual(self.field(b, "票号").get_attribute("value"), "A001")
        self.assertEqual(Select(self.field(b, "渠道")).first_selected_option.text, "柜台")
        self.choose(b, "类别", "收费")
        self.choose(b, "严重程度", "2 · 严重")
        self.field(b, "投诉内容").send_keys("手续费没有事先说明")
        self.field(b, "顾客姓名").send_keys("张三")
        self.field(b, "顾客电话").send_keys("13800138000")
        self.check_accessibility(b)
        self.click(b, "提交投诉")
        self.see(b, "投诉 #1 已登记")
        self.wait(b, lambda d: "回访期限 11-24 09:00" in self.complaint_row(d, 1),
                  "complaint 1 in my complaints with its due time")
        row = self.complaint_row(b, 1)
        self.assertIn("收费", row)
        self.assertIn("小时后到期", row)
        c = self.d.ok("S01", "complaint.get", complaint=1)["complaint"]
        self.assertEqual((c["ticket"], c["channel"], c["severity"]), ("A001", "counter", 2))

        b.find_element(By.CSS_SELECTOR, "#mine button[data-id='1']").click()
        self.see(b, "投诉 #1")
        self.assertIn("张三 · 13800138000", self.text(b))  # the owner calls the customer back
        self.choose(b, "措施", "致歉")
        self.field(b, "说明").send_keys("向顾客致歉")
        self.click(b, "记录措施")
        self.wait(b, lambda d: "致歉 · E1001" in self.history(d), "the apology in the history")

        self.choose(b, "措施", "补偿")
        self.field(b, "补偿金额").send_keys("150.00")
        self.field(b, "说明").send_keys("退还手续费")
        self.click(b, "记录措施")
        self.wait(b, lambda d: "补偿 · E1001 · 150.00" in self.history(d),
                  "the compensation in the history")

        self.choose(b, "措施", "补偿")
        self.field(b, "补偿金额").send_keys("500.00")
        self.field(b, "说明").send_keys("再补偿")
        self.click(b, "记录措施")
        self.see(b, "超出您的补偿权限：未记录")
        self.assertNotIn("500.00", self.history(b))
        self.allow_console.append(r"complaint\.action - Failed to load resource.*403")

        self.field(b, "解决办法").send_keys("已退费并说明收费标准")
        self.choose(b, "根本原因", "人员")
        self.click(b, "标记已解决")
        self.wait(b, lambda d: "解决 · E1001" in self.history(d), "the resolution in the history")
        self.assertIn("已退费并说明收费标准", self.history(b))

        self.choose(b, "回访结果", "满意")
        self.field(b, "回访说明").send_keys("顾客表示满意")
        self.click(b, "记录回访")
        self.wait(b, lambda d: "回访 · E1001" in self.history(d), "the follow-up in the history")
        self.assertIn("满意", self.history(b))
        self.see(b, "已结案")
        self.check_accessibility(b)

    # ---- (e) the deadline passes ----

    def test_a_complaint_past_its_deadline_shows_overdue(self):
        self.d.ok("T01", "complaint.log", category="wait_time", severity=1,
                  description="等了一个小时", channel="counter")
        b = self.signed_in()
        self.wait(b, lambda d: "小时后到期" in self.complaint_row(d, 1), "complaint 1, due")
        self.d.advance(24 * 3600 + 1)
        # a staff session lasts 12 hours on the daemon clock: the page goes
        # back to its sign-in form, and the next day's sign-in shows it overdue
        self.allow_console.append(r"api/v1/op/\S+ - Failed to load resource.*401")
        self.wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"),
                  "the sign-in form once the session ended", timeout=40)
        self.sign_in(b, "T01")
        self.wait(b, lambda d: "已逾期" in self.complaint_row(d, 1), "complaint 1 overdue")
        li = b.find_element(By.CSS_SELECTOR, "#mine li")
        self.assertIn("overdue", li.get_attribute("class"))

    # ---- (f) a reload finds the window and its customer again ----

    def test_a_reload_resumes_the_window_and_the_customer(self):
        # yesterday's complaint, now overdue, and today's
        self.d.ok("T01", "complaint.log", category="wait_time", severity=2,
                  description="排队时间太长，等了一个多小时", channel="counter",
                  customer={"name": "李四", "phone": "13912345678"})
        self.d.advance(24 * 3600 + 1)
        self.d.ok("T01", "complaint.log", category="fees", severity=1,
                  description="年费没有提前告知", channel="counter")
        self.d.ok("T01", "complaint.log", category="self_service_machine", severity=3,
                  description="取款机吞卡", channel="lobby")
        self.issue("cash_deposit", amount_fen=3000050,
                   flags={"loose_cash": True, "needs_assistance": True})
        for _ in range(3):
            self.issue()
        self.issue("foreign_exchange", flags={"vip": True})
        b = self.signed_in()
        self.open_window(b, 2, ["柜台", "现金快速通道"])
        self.click(b, "叫下一位")
        self.wait(b, lambda d: "A001" in self.card(d) or "E001" in self.card(d), "a call")
        self.click(b, "开始办理")
        self.wait(b, lambda d: "办理中" in self.card(d), "the customer being served")
        number = b.find_element(By.ID, "card-number").text
        b.refresh()
        self.see(b, "2 号窗口 · 服务中")
        self.wait(b, lambda d: number in self.card(d) and "办理中" in self.card(d),
                  "the same customer after the reload")
        self.assertEqual(b.find_element(By.ID, "window-number").get_attribute("value"), "2")
        self.wait(b, lambda d: "已逾期" in self.complaint_row(d, 1), "the overdue complaint")
        first = b.find_element(By.CSS_SELECTOR, "#mine button")
        self.assertEqual(first.get_attribute("data-id"), "1", "overdue first")
        first.click()
        self.see(b, "投诉 #1")
        self.d.advance(125)
        self.wait(b, lambda d: d.find_element(By.ID, "card-timer").text.startswith("2:"),
                  "the timer past two minutes")
        self.check_accessibility(b)
        self.screenshot(b, "counter")

    # ---- the English switch ----

    def test_english_and_sign_out(self):
        b = self.signed_in()
        self.click(b, "English")
        self.see(b, "No window open")
        self.see(b, "My complaints")
        self.assertEqual(b.execute_script("return document.documentElement.lang"), "en")
        self.field(b, "Window number")
        self.check_accessibility(b)
        self.click(b, "Sign out")
        self.wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"),
                  "the sign-in form")

    # ---- the server goes away and comes back ----

    def test_offline_while_the_daemon_restarts(self):
        self.issue()
        b = self.signed_in()
        self.open_window(b, 4, ["柜台"])
        self.click(b, "叫下一位")
        self.wait(b, lambda d: "A001" in self.card(d), "A001 called")
        self.allow_console += [r"ERR_CONNECTION_REFUSED", r"Failed to load resource",
                               r"net::ERR_"]
        self.d.stop()
        self.wait(b, lambda d: d.find_element(By.CSS_SELECTOR, ".offline-banner").is_displayed(),
                  "the offline banner", timeout=30)
        self.see(b, "离线：正在重新连接")
        self.d.start()
        self.wait(b, lambda d: not d.find_element(By.CSS_SELECTOR, ".offline-banner")
                  .is_displayed(), "the banner gone", timeout=30)
        self.see(b, "4 号窗口 · 服务中")
        self.wait(b, lambda d: "A001" in self.card(d), "A001 still at the window")
        self.click(b, "开始办理")
        self.wait(b, lambda d: "办理中" in self.card(d), "A001 being served")

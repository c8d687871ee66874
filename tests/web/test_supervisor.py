"""The supervisor's dashboard (/supervisor): live tiles, the follow-ups
list with an overdue follow-up on top, a complaint's history and its
reassignment, the self-service switch, and reports for a date range with
charts, data tables and CSV export."""

import os
import shutil
import tempfile

from selenium.webdriver.common.by import By

from harness import PageTest


class Supervisor(PageTest):
    # The supervisor keeps the dashboard open across the 24-hour follow-up
    # deadline (clock.advance): a session longer than the default 12 hours.
    config = {"http_session_staff_hours": 72}

    # ---- the branch's morning, set up through the API ----

    def set_up_day(self):
        """Four counter tickets and one diverted cash job; T01 serves two,
        marks one a no-show; L01 takes the diverted customer back to the
        counter; a detractor's survey opens follow-up #1, T01 logs
        complaint #2 and pays 50 yuan on it.  Two customers still wait."""
        d = self.d

        def issue(**fields):
            return d.ok("K01", "ticket.issue", **fields)["ticket"]["number"]

        a1, a2, a3 = issue(service="loan"), issue(service="account_opening"), issue(service="other")
        issue(service="card_services")
        s1 = issue(service="cash_withdrawal", amount_fen=100000)
        d.ok("T01", "window.open", window=1, lanes=["counter", "express"])
        d.advance(120)
        d.ok("T01", "ticket.call_next")
        d.ok("T01", "ticket.start", number=a1)
        d.advance(300)
        d.ok("T01", "ticket.complete", number=a1)
        d.ok("T01", "ticket.call_next")
        d.ok("T01", "ticket.recall", number=a2)
        d.ok("T01", "ticket.recall", number=a2)
        d.ok("T01", "ticket.no_show", number=a2)
        d.advance(60)
        d.ok("T01", "ticket.call_next")
        d.ok("T01", "ticket.start", number=a3)
        d.advance(240)
        d.ok("T01", "ticket.complete", number=a3)
        d.ok("L01", "ticket.reroute", number=s1, to_lane="counter", reason="machine_failed")
        d.ok("K01", "survey.submit", ticket=a1, score=3, reason="等得太久")
        c = d.ok("T01", "complaint.log", category="wait_time", severity=2, channel="counter",
                 description="排队四十分钟", ticket=a3)["complaint"]["id"]
        d.ok("T01", "complaint.action", complaint=c, kind="compensation", note="退还手续费",
             amount_fen=5000)

    def signed_in(self, **kw):
        b = self.open("/supervisor", **kw)
        self.sign_in(b, "S01")
        self.see(b, "主管 · 网点看板")
        return b

    def tile(self, driver, label):
        """The text of the tile whose label contains `label`."""
        for li in driver.find_elements(By.CSS_SELECTOR, ".tile"):
            if label in li.find_element(By.CSS_SELECTOR, ".tile-label").text:
                return li.text
        return ""

    def see_tile(self, driver, label, value):
        self.wait(driver, lambda d: value in self.tile(d, label).split("\n")[1:2],
                  f"the tile {label!r} showing {value!r} (it shows {self.tile(driver, label)!r})")

    def rows(self, driver):
        """The follow-ups list's rows as a person reads them (read at once:
        the list is redrawn as events arrive)."""
        texts = driver.execute_script(
            "return [...document.querySelectorAll('#fu-rows tr')].map((tr) => tr.innerText);")
        return [" ".join(t.split()) for t in texts]

    # ---- (a) tiles ----

    def test_tiles_show_the_queue_and_follow_it_live(self):
        self.set_up_day()
        b = self.signed_in()
        # no head office configured: no line about it
        self.assertFalse(b.find_element(By.ID, "hq").is_displayed())
        self.see_tile(b, "柜台 等候", "2 人")
        self.see_tile(b, "现金快速通道 等候", "0 人")
        self.see_tile(b, "开放窗口", "1")
        self.see_tile(b, "今日已办结", "2")
        self.see_tile(b, "逾期回访", "0")
        self.check_accessibility(b)

        self.d.ok("K01", "ticket.issue", service="loan")
        self.see_tile(b, "柜台 等候", "3 人")

        # the oldest wait passes the 15-minute target: said in words too
        self.d.advance(20 * 60)
        self.wait(b, lambda d: "超过目标" in self.tile(d, "最长等候"), "the oldest wait over target")

        self.click(b, "English")
        self.see_tile(b, "Counter waiting", "3")
        self.check_accessibility(b)

    # ---- (b), (c) follow-ups ----

    def test_an_overdue_follow_up_is_on_top_and_can_be_reassigned(self):
        self.set_up_day()
        b = self.signed_in()
        self.wait(b, lambda d: len(self.rows(d)) == 2, "two follow-ups in the list")
        self.see_tile(b, "逾期回访", "0")

        self.d.advance(24 * 3600 + 1)
        # a fresh complaint, logged after the deadline passed, is not overdue
        self.d.ok("T01", "complaint.log", category="fees", severity=1, channel="counter",
                  description="手续费没有说明")
        self.wait(b, lambda d: len(self.rows(d)) == 3 and "已逾期" in self.rows(d)[0],
                  "the overdue follow-up on top, marked overdue")
        rows = self.rows(b)
        self.assertIn("查看 #1", rows[0])
        self.assertIn("已逾期 0 分钟", rows[0])  # by one second
        self.assertIn("查看 #3", rows[2])
        self.assertNotIn("已逾期", rows[2])
        self.see_tile(b, "逾期回访", "2")
        self.assertIn("需立即回访", self.tile(b, "逾期回访"))

        # its history
        self.click(b, "查看 #1")
        self.see(b, "投诉 #1")
        history = b.find_element(By.ID, "detail-history").text
        self.assertIn("登记", history)
        self.assertIn("逾期", history)
        self.check_accessibility(b)

        # an unknown staff id is refused and said
        self.field(b, "转交给（员工编号）").send_keys("E7777")
        self.field(b, "转交原因").send_keys("贷款问题")
        self.click(b, "转交")
        self.see(b, "没有这个员工编号")
        self.allow_console.append(r"complaint\.reassign - Failed to load resource.*404")

        # reassigned to E1002: the new owner shows, the first responder stays
        self.field(b, "转交给（员工编号）").clear()
        self.field(b, "转交给（员工编号）").send_keys("E1002")
        self.click(b, "转交")
        self.see(b, "已转交给 E1002")
        self.wait(b, lambda d: d.find_element(By.CSS_SELECTOR, "[data-fact=owner]").text == "E1002",
                  "the new owner in the complaint")
        self.assertEqual(b.find_element(By.CSS_SELECTOR, "[data-fact=firstResponder]").text, "E9001")
        self.wait(b, lambda d: "转交给 E1002" in d.find_element(By.ID, "detail-history").text,
                  "the reassignment in the history")
        self.wait(b, lambda d: "#1 E1002 E9001" in self.rows(d)[0], "the new owner in the list")
        got = self.d.ok("S01", "complaint.get", complaint=1)["complaint"]
        self.assertEqual((got["owner"], got["first_responder"]), ("E1002", "E9001"))

        # the compensation on #2 shows in yuan
        self.click(b, "查看 #2")
        self.see(b, "投诉 #2")
        self.assertIn("金额 50.00 元", b.find_element(By.ID, "detail-history").text)

        # a follow-up recorded: satisfied closes it, and it leaves the list
        self.field(b, "回访说明").send_keys("客户表示满意")
        self.click(b, "记录回访")
        self.see(b, "回访已记录")
        self.wait(b, lambda d: not any("查看 #2" in r for r in self.rows(d)), "#2 gone from the list")
        self.see_tile(b, "逾期回访", "1")

    # ---- (d) self-service ----

    def test_the_self_service_switch_asks_and_changes_routing(self):
        b = self.signed_in()
        self.see(b, "自助设备分流：开启")

        self.click(b, "关闭自助设备分流")
        self.see(b, "这会改变每一位新客户的分流")
        self.check_accessibility(b)
        self.click(b, "取消")
        self.see(b, "自助设备分流：开启")
        self.assertTrue(self.d.ok("S01", "queue.snapshot")["self_service_available"])

        self.click(b, "关闭自助设备分流")
        self.click(b, "确定关闭")
        self.see(b, "自助设备分流：关闭")
        self.assertFalse(self.d.ok("S01", "queue.snapshot")["self_service_available"])
        ticket = self.d.ok("K01", "ticket.issue", service="cash_withdrawal", amount_fen=100000)["ticket"]
        self.assertEqual(ticket["route_rule"], "self_service_unavailable")

        self.click(b, "开启自助设备分流")
        self.click(b, "确定开启")
        self.see(b, "自助设备分流：开启")
        self.assertTrue(self.d.ok("S01", "queue.snapshot")["self_service_available"])

    # ---- (e) reports ----

    def pick_date(self, driver, label, iso):
        """Sets a date field (the browser's own date picker is not part of
        the page: its value is what the supervisor picks)."""
        field = self.field(driver, label)
        driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", field, iso)

    def open_table(self, driver, title):
        """Opens the data table of a chart and returns its text."""
        for s in driver.find_elements(By.CSS_SELECTOR, "details summary"):
            if title in s.text:
                details = s.find_element(By.XPATH, "..")
                if details.get_attribute("open") is None:
                    s.click()
                return details.find_element(By.TAG_NAME, "table").text
        self.fail(f"no data table {title!r}")

    def downloaded(self, folder, name):
        path = os.path.join(folder, name)
        self.wait(None, lambda _: os.path.exists(path), f"{name} downloaded")
        with open(path, "rb") as f:
            return f.read()

    def test_reports_for_a_range_with_charts_tables_and_csv(self):
        self.set_up_day()
        self.d.advance(24 * 3600)
        # day 2: one customer served, a promoter
        n = self.d.ok("K01", "ticket.issue", service="loan")["ticket"]["number"]
        self.d.ok("T01", "ticket.call_next")
        self.d.ok("T01", "ticket.start", number=n)
        self.d.advance(180)
        self.d.ok("T01", "ticket.complete", number=n)
        self.d.ok("K01", "survey.submit", ticket=n, score=10)

        downloads = tempfile.mkdtemp(prefix="bq-web-dl-")
        self.addCleanup(shutil.rmtree, downloads, True)
        b = self.signed_in(download_dir=downloads)
        self.pick_date(b, "开始日期", "2026-11-24")
        self.pick_date(b, "结束日期", "2026-11-23")
        self.click(b, "生成报表")
        self.see(b, "开始日期不能晚于结束日期")

        self.pick_date(b, "开始日期", "2026-11-23")
        self.pick_date(b, "结束日期", "2026-11-24")
        self.click(b, "生成报表")
        self.see(b, "2026-11-23 至 2026-11-24 的报表")
        self.wait(b, lambda d: d.execute_script(
            "const cs = [...document.querySelectorAll('figure.chart canvas')];"
            "return cs.length === 6 && cs.every((c) => window.Chart.getChart(c) !== undefined);"),
            "six charts drawn")
        figures = {dd.get_attribute("data-figure"): dd.text
                   for dd in b.find_elements(By.CSS_SELECTOR, "[data-figure]")}
        self.assertEqual(figures["served"], "3")
        self.assertEqual(figures["noShows"], "1")
        self.assertEqual(figures["compensation"], "50.00")
        self.assertEqual(figures["nps"], "0")
        self.see(b, "区间 NPS 0（2 份问卷）")
        self.see(b, "分流率 0.0%：符合条件 1，分流 1，退回柜台 1")

        b.execute_script("window.scrollTo(0, 0)")
        self.screenshot(b, "supervisor")

        nps = self.open_table(b, "每日净推荐值 NPS")
        self.assertIn("2026-11-23 1 0 0 1 -100", nps)
        self.assertIn("2026-11-24 1 1 0 0 100", nps)
        staff = self.open_table(b, "柜员办理与空闲时间")
        self.assertIn("E1001 4 3 1", staff)
        div = self.open_table(b, "分流与退回原因")
        self.assertIn("退回：设备故障 1", div)
        self.check_accessibility(b)

        self.click_link(b, "导出按日 CSV")
        days = self.downloaded(downloads, "branchq-2026-11-23-2026-11-24-by-day.csv")
        self.assertTrue(days.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark")
        lines = days.decode("utf-8-sig").split("\r\n")
        self.assertTrue(lines[0].startswith("日期 · Date,取号 · Tickets,办结 · Served,过号 · No-shows"))
        self.assertTrue(lines[1].startswith("2026-11-23,5,2,1,"), lines[1])
        self.assertTrue(lines[2].startswith("2026-11-24,1,1,0,"), lines[2])

        self.click_link(b, "导出汇总 CSV")
        summary = self.downloaded(downloads, "branchq-2026-11-23-2026-11-24-summary.csv")
        text = summary.decode("utf-8-sig")
        self.assertTrue(text.startswith("部分 · Section,项目 · Item,数值 · Value\r\n"))
        self.assertIn("补偿（元）,合计,50.00\r\n", text)
        self.assertIn("投诉根本原因,未解决,2\r\n", text)

    def click_link(self, driver, text):
        link = self.wait(driver, lambda d: next((a for a in d.find_elements(By.TAG_NAME, "a")
                                                 if text in a.text and a.is_displayed()), False),
                         f"a link {text!r}")
        link.click()


class SupervisorHeadOffice(PageTest):
    """A branch configured for head office that cannot reach it (a closed
    port): the dashboard says so, and how much the branch keeps meanwhile,
    while the branch works on."""
    config = {"hq": {"conninfo": "host=127.0.0.1 port=1 dbname=hq user=nj001 "
                     "sslmode=verify-full sslrootcert=/nonexistent/ca.pem",
                     "region": "Jiangsu", "timeout_s": 1, "retry_max_s": 1}}

    def hq_line(self, driver):
        p = driver.find_element(By.ID, "hq")
        return p.text if p.is_displayed() else ""

    def test_head_office_unreachable_is_said(self):
        d = self.d
        d.ok("K01", "ticket.issue", service="loan")
        d.ok("K01", "ticket.issue", service="loan")
        b = self.open("/supervisor")
        self.sign_in(b, "S01")
        self.see(b, "主管 · 网点看板")
        self.wait(b, lambda drv: "暂时连不上总行：2 条记录保存在本网点" in self.hq_line(drv),
                  f"the head-office line (it says {self.hq_line(b)!r})")
        self.assertIn("最早的已等 不到 1 分钟；网点业务照常", self.hq_line(b))
        self.screenshot(b, "supervisor-hq")
        # a new ticket: the line follows the queue's change
        d.ok("K01", "ticket.issue", service="loan")
        self.wait(b, lambda drv: "3 条记录" in self.hq_line(drv), "3 events kept")
        # three hours on (the test clock), a fourth ticket: the oldest event's wait
        d.advance(3 * 3600 + 120)
        d.ok("K01", "ticket.issue", service="loan")
        self.wait(b, lambda drv: "4 条记录保存在本网点，最早的已等 3 小时 2 分" in self.hq_line(drv),
                  f"the oldest's wait (it says {self.hq_line(b)!r})")
        self.click(b, "English")
        self.wait(b, lambda drv: "Head office not reachable: 4 events kept here, the oldest "
                  "waiting 3 h 2 min" in self.hq_line(drv), "the line in English")
        self.check_accessibility(b)

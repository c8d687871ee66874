"""The lobby kiosk (/kiosk): a customer chooses a service, types the amount
on the on-screen keypad, says what they need and takes a ticket; a job the
machines can do is sent there with the reason; the kiosk goes back to the
start (in Chinese) by itself, and says so when the branch is closed or the
daemon cannot be reached."""

from selenium.webdriver.common.by import By

from harness import PageTest


STUB_PRINT = "window.print = () => { window.__prints = (window.__prints || 0) + 1 }"


class Kiosk(PageTest):
    # ---- what a customer does ----

    def open_kiosk(self, width=1920, height=1080):
        b = self.open("/kiosk", width, height)
        self.sign_in(b, "K01")
        b.execute_script(STUB_PRINT)
        return b

    def open_window(self):
        self.d.ok("T01", "window.open", window=1, lanes=["counter"])

    def someone_waiting(self):
        """A customer already waits at the counter, so the counter is not idle
        (an idle counter keeps even small cash jobs: DOMAIN §1)."""
        return self.d.ok("K01", "ticket.issue", service="loan")["ticket"]

    def key(self, b, label):
        """The keypad key showing exactly `label`."""
        def find(d):
            for k in d.find_elements(By.CSS_SELECTOR, ".keypad button"):
                if k.is_displayed() and k.text.strip() == label:
                    return k
            return False
        return self.wait(b, find, f"the key {label!r}")

    def type_amount(self, b, text):
        for ch in text:
            self.key(b, ch).click()

    def shown_amount(self, b):
        return b.find_element(By.ID, "amount-text").text

    def prints(self, b):
        return b.execute_script("return window.__prints || 0")

    def visible_buttons_too_small(self, b):
        out = []
        for btn in b.find_elements(By.TAG_NAME, "button"):
            if btn.is_displayed():
                r = btn.rect
                if r["width"] < 48 or r["height"] < 48:
                    out.append(f"{btn.text!r} {r['width']}x{r['height']}")
        return out

    def check_screen(self, b):
        self.check_accessibility(b)
        self.assertEqual(self.visible_buttons_too_small(b), [], "touch targets under 48x48 px")
        self.no_scrollbars(b)

    def keep_screenshot(self, b, name):
        self.screenshot(b, name)

    # ---- the flows ----

    def test_a_small_withdrawal_is_sent_to_the_machines_with_the_reason(self):
        self.open_window()
        self.someone_waiting()
        b = self.open_kiosk()
        self.see(b, "请选择您要办理的业务")
        self.check_screen(b)
        self.keep_screenshot(b, "kiosk")

        self.click(b, "取款")
        self.see(b, "请输入金额")
        self.type_amount(b, "5000")
        self.assertEqual(self.shown_amount(b), "5,000")
        self.see(b, "金额：5,000.00 元")
        self.check_screen(b)
        self.screenshot(b, "kiosk-amount")
        self.click(b, "确认金额")

        self.see(b, "您是否需要以下服务")
        self.check_screen(b)
        self.screenshot(b, "kiosk-needs")
        self.click(b, "取号")

        self.see(b, "请到自助设备办理 · Please use the self-service machines")
        number = b.find_element(By.ID, "ticket-number").text
        self.assertRegex(number, r"^S\d{3}$")
        self.see(b, "2万元及以下的取款、存款可在自助设备办理")
        self.see(b, "大堂经理")
        self.wait(b, lambda d: self.prints(d) == 1, "the ticket to be printed")
        self.see(b, "正在打印小票")
        self.check_screen(b)
        self.screenshot(b, "kiosk-diverted")
        ticket = self.d.ok("S01", "ticket.status", number=number)["ticket"]
        self.assertEqual(ticket["status"], "diverted")
        self.assertEqual(ticket["amount_fen"], 500000)

    def test_a_deposit_with_loose_notes_queues_at_the_counter_exact_to_the_fen(self):
        self.open_window()
        self.someone_waiting()
        b = self.open_kiosk()
        self.click(b, "存款")
        self.type_amount(b, "30000.50")
        self.assertEqual(self.shown_amount(b), "30,000.50")
        self.click(b, "确认金额")
        self.click(b, "我带有零钞或硬币")
        self.wait(b, lambda d: d.find_element(By.ID, "need-loose").get_attribute("aria-pressed")
                  == "true", "the loose-notes choice to show as chosen")
        self.click(b, "取号")

        self.see(b, "您的号码")
        number = b.find_element(By.ID, "ticket-number").text
        self.assertRegex(number, r"^A\d{3}$")
        self.see(b, "柜台")
        self.see(b, "前面还有")
        self.assertEqual(b.find_element(By.ID, "ticket-ahead").text, "1 人")
        self.assertRegex(b.find_element(By.ID, "ticket-wait").text, r"^约 \d+ 分钟$")
        self.wait(b, lambda d: self.prints(d) == 1, "the ticket to be printed")
        self.check_screen(b)
        self.keep_screenshot(b, "kiosk-ticket")

        ticket = self.d.ok("S01", "ticket.status", number=number)["ticket"]
        self.assertEqual(ticket["amount_fen"], 3000050)
        self.assertEqual(ticket["service"], "cash_deposit")
        self.assertTrue(ticket["flags"]["loose_cash"])
        self.assertEqual(ticket["lane"], "counter")

    def test_a_lost_reply_is_retried_with_the_same_request_key(self):
        self.open_window()
        b = self.open_kiosk()
        # the network loses the first answer (the daemon did make the ticket)
        b.execute_script("""
            const real = window.fetch;
            window.__keys = [];
            window.fetch = async (url, init) => {
                const r = await real(url, init);
                if (String(url).includes('ticket.issue')) {
                    window.__keys.push(JSON.parse(init.body).request_key);
                    if (window.__keys.length === 1) throw new TypeError('connection reset');
                }
                return r;
            };""")
        self.click(b, "贷款")
        self.click(b, "取号")
        self.see(b, "无法连接服务器")
        self.click(b, "取号")
        self.see(b, "您的号码")
        keys = b.execute_script("return window.__keys")
        self.assertEqual(len(keys), 2)
        self.assertEqual(keys[0], keys[1], "the retry reuses the request_key")
        lanes = self.d.ok("S01", "queue.snapshot")["lanes"]
        self.assertEqual(lanes["counter"]["waiting"], 1, "one ticket, not two")

    def test_a_refusal_is_said_in_both_languages(self):
        self.open_window()
        b = self.open_kiosk()
        self.click(b, "外汇")
        self.see(b, "您是否需要以下服务")
        self.d.ok("S01", "test.fault", fault="readonly")
        self.allow_console.append(r"ticket.issue - Failed to load resource.*503")
        self.click(b, "取号")
        self.see(b, "暂时无法取号 · A ticket cannot be issued now")
        self.d.ok("S01", "test.fault", fault="none")
        self.click(b, "取号")
        self.see(b, "您的号码")

    def test_the_keypad_refuses_what_cannot_be_an_amount(self):
        self.open_window()
        b = self.open_kiosk()
        self.click(b, "转账")
        self.see(b, "请输入金额")
        confirm = b.find_element(By.ID, "confirm")
        self.assertFalse(confirm.is_enabled(), "confirm before anything is typed")
        self.assertFalse(self.key(b, ".").is_enabled(), "a point before any digit")

        # 0-prefixed garbage: after a leading 0 only the point may follow
        self.type_amount(b, "0")
        self.assertFalse(self.key(b, "5").is_enabled())
        self.assertFalse(self.key(b, "0").is_enabled())
        self.key(b, "5").click()
        self.assertEqual(self.shown_amount(b), "0")
        self.assertFalse(confirm.is_enabled(), "zero is no amount")
        self.see(b, "金额须在 0.01 元至 100 亿元之间")

        # a third decimal
        self.type_amount(b, ".12")
        self.assertEqual(self.shown_amount(b), "0.12")
        self.assertTrue(confirm.is_enabled())
        for k in "0123456789.":
            self.assertFalse(self.key(b, k).is_enabled(), f"key {k} after two decimals")
        self.key(b, "3").click()
        self.assertEqual(self.shown_amount(b), "0.12")
        self.see(b, "金额：0.12 元")

        # delete and clear
        self.click(b, "删除")  # the ⌫ key's label
        self.assertEqual(self.shown_amount(b), "0.1")
        self.click(b, "清除")
        self.assertEqual(self.shown_amount(b), "0")
        self.assertFalse(confirm.is_enabled())

        # eleven digits are more than 10^12 fen
        self.type_amount(b, "9999999999")
        self.assertFalse(self.key(b, "9").is_enabled())
        self.assertEqual(self.shown_amount(b), "9,999,999,999")

    def test_the_ticket_goes_back_to_the_start_in_chinese_after_15_s(self):
        self.open_window()
        b = self.open_kiosk()
        self.click(b, "English")
        self.see(b, "Please choose your service")
        self.click(b, "Loan")
        self.see(b, "Do you need any of these?")
        self.click(b, "Take ticket")
        self.see(b, "Your number")
        self.see(b, "Back to the start in")
        self.wait(b, lambda d: "请选择您要办理的业务" in self.text(d), "the start screen again",
                  timeout=25)
        self.assertEqual(b.execute_script("return document.documentElement.lang"), "zh-CN")
        self.see(b, "取款")

        # "done" returns at once
        self.click(b, "贷款")
        self.click(b, "取号")
        self.see(b, "您的号码")
        self.click(b, "完成")
        self.see(b, "请选择您要办理的业务")

    def test_closed_while_no_window_is_open_and_open_again_by_itself(self):
        b = self.open_kiosk()
        self.see(b, "本网点现在暂停取号 · This branch is not issuing tickets now")
        self.assertFalse(any(x.is_displayed() for x in
                             b.find_elements(By.CSS_SELECTOR, "[data-service]")),
                         "no service can be chosen while closed")
        self.check_screen(b)
        self.open_window()
        self.see(b, "请选择您要办理的业务")
        self.button(b, "取款")
        self.d.ok("T01", "window.pause")  # a paused window: the branch is still working
        self.d.ok("T01", "window.close")
        self.see(b, "本网点现在暂停取号")

    def test_offline_while_the_daemon_is_down_and_back_after(self):
        self.open_window()
        b = self.open_kiosk()
        self.button(b, "取款")
        self.allow_console += [r"Failed to load resource", r"ERR_CONNECTION_REFUSED"]
        self.d.stop()
        self.see(b, "离线：正在重新连接… · Offline: reconnecting…", timeout=20)
        self.d.start()
        self.click(b, "取款")
        self.see(b, "请输入金额")

    def test_english_switch(self):
        self.open_window()
        b = self.open_kiosk()
        self.click(b, "English")
        for word in ("Cash withdrawal", "Cash deposit", "Transfer", "Foreign exchange"):
            self.see(b, word)
        self.assertEqual(b.execute_script("return document.documentElement.lang"), "en")
        self.check_screen(b)
        self.click(b, "Transfer")
        self.see(b, "Enter the amount (yuan)")
        self.click(b, "Start over")
        self.see(b, "请选择您要办理的业务")

    def test_portrait_kiosk_fits_without_scrolling(self):
        self.open_window()
        self.someone_waiting()
        b = self.open_kiosk(1080, 1920)
        self.see(b, "请选择您要办理的业务")
        self.check_screen(b)
        self.click(b, "取款")
        self.type_amount(b, "8000")
        self.check_screen(b)
        self.screenshot(b, "kiosk-portrait-amount")
        self.click(b, "确认金额")
        self.click(b, "我需要工作人员协助")
        self.click(b, "轮椅")
        self.check_screen(b)
        self.screenshot(b, "kiosk-portrait-needs")
        self.click(b, "取号")
        self.see(b, "您的号码")
        self.check_screen(b)
        self.screenshot(b, "kiosk-portrait")
        number = b.find_element(By.ID, "ticket-number").text
        ticket = self.d.ok("S01", "ticket.status", number=number)["ticket"]
        self.assertEqual(ticket["route_rule"], "accessibility")
        self.assertEqual(ticket["flags"]["accessibility"], "wheelchair")
        self.assertTrue(ticket["flags"]["needs_assistance"])

"""The four screens together, as a branch uses them on a morning: the
kiosk (with its network receipt printer) issues a counter ticket and a
diverted one; the teller calls the counter ticket from the counter page;
the lobby display shows the call within 2 s and queues its announcement;
a complaint's follow-up falls overdue a day later and the supervisor sees
it on top of the list and exports the day's report as CSV."""

import os
import shutil
import socket
import tempfile
import threading

from selenium.webdriver.common.by import By

from harness import PageTest


class Printer:
    """A receipt printer on a loopback port: keeps what it is sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.data = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.read, args=(conn,), daemon=True).start()

    def read(self, conn):
        with conn:
            while chunk := conn.recv(65536):
                with self.lock:
                    self.data += chunk

    def text(self):
        """What was printed, as text (ESC/POS commands are bytes around it)."""
        with self.lock:
            return bytes(self.data).decode("gb18030", errors="replace")

    def close(self):
        self.sock.close()


class Branch(PageTest):
    def setUp(self):
        self.printer = Printer()
        self.addCleanup(self.printer.close)
        # the supervisor keeps the dashboard open across the follow-up's day
        self.config = {"http_session_staff_hours": 72,
                       "terminals": [{"id": "K01", "printer": f"127.0.0.1:{self.printer.port}"}]}
        super().setUp()

    def test_a_morning_at_the_branch(self):
        # the teller opens window 3 for the counter lane
        counter = self.open("/counter")
        self.sign_in(counter, "T01")
        self.field(counter, "窗口号").send_keys("3")
        lane = self.field(counter, "柜台")
        if not lane.is_selected():
            lane.click()
        self.click(counter, "开窗")
        self.see(counter, "3 号窗口 · 服务中")

        display = self.open("/display")
        self.sign_in(display, "D01")
        self.wait(display, lambda d: d.find_elements(By.CSS_SELECTOR, "#lanes li"),
                  "the display's lanes")

        downloads = tempfile.mkdtemp(prefix="bq-web-dl-")
        self.addCleanup(shutil.rmtree, downloads, True)
        supervisor = self.open("/supervisor", download_dir=downloads)
        self.sign_in(supervisor, "S01")
        self.see(supervisor, "主管 · 网点看板")

        # a customer takes a ticket for a loan; it prints on the kiosk's printer
        kiosk = self.open("/kiosk")
        self.sign_in(kiosk, "K01")
        kiosk.execute_script("window.print = () => { window.__prints = (window.__prints||0)+1 }")
        self.click(kiosk, "贷款")
        self.see(kiosk, "您是否需要以下服务")
        self.click(kiosk, "取号")
        self.see(kiosk, "您的号码")
        first = kiosk.find_element(By.ID, "ticket-number").text
        self.assertEqual(first, "A001")
        self.see(kiosk, "小票已打印")
        self.wait(None, lambda _: "A001" in self.printer.text() and "柜台" in self.printer.text(),
                  "A001 and 柜台 printed on the receipt printer")
        self.click(kiosk, "完成")
        self.see(kiosk, "请选择您要办理的业务")

        # the next withdraws 5,000 yuan: the machines can do it
        self.click(kiosk, "取款")
        for key in "5000":
            self.wait(kiosk, lambda d, k=key: next(
                (b for b in d.find_elements(By.CSS_SELECTOR, ".keypad button")
                 if b.is_displayed() and b.text.strip() == k), False), f"the key {key}").click()
        self.click(kiosk, "确认金额")
        self.click(kiosk, "取号")
        self.see(kiosk, "请到自助设备办理 · Please use the self-service machines")
        self.assertEqual(kiosk.find_element(By.ID, "ticket-number").text, "S001")
        self.wait(None, lambda _: "S001" in self.printer.text(), "S001 printed")
        self.assertEqual(kiosk.execute_script("return window.__prints || 0"), 0,
                         "the kiosk PC's own printer is not used when the network one printed")

        # the teller calls it; the lobby TV shows it within 2 s and queues its call
        self.click(counter, "叫下一位")
        self.wait(counter, lambda d: first in d.find_element(By.ID, "card").text,
                  "A001 on the visit card")
        self.wait(display, lambda d: d.execute_script(
            "const e = document.getElementById('now-call');"
            "return e.dataset.number === 'A001' && e.dataset.window === '3';"),
            "A001 to window 3 on the display", timeout=2)
        self.wait(display, lambda d: "请 A001 号到 3 号窗口" in d.find_element(
            By.ID, "announcement").get_attribute("textContent"), "the call's announcement")
        self.assertIn("Number A001, please go to window 3",
                      display.find_element(By.ID, "announcement").get_attribute("textContent"))

        self.click(counter, "开始办理")
        self.wait(counter, lambda d: "办理中" in d.find_element(By.ID, "card").text, "serving")
        self.d.advance(300)
        self.click(counter, "办理完成")
        self.see(counter, "上一位：A001（已完成）")

        # the customer complained at the counter; nobody follows up for a day
        self.d.ok("T01", "complaint.log", category="wait_time", severity=2, channel="counter",
                  description="排队太久", ticket="A001")
        self.d.advance(24 * 3600 + 1)
        self.wait(supervisor, lambda d: "已逾期" in " ".join(d.execute_script(
            "return [...document.querySelectorAll('#fu-rows tr')].map((tr) => tr.innerText);")
            [:1]), "the overdue follow-up on top of the supervisor's list")

        # and exports yesterday's report
        for label, day in (("开始日期", "2026-11-23"), ("结束日期", "2026-11-23")):
            supervisor.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                self.field(supervisor, label), day)
        self.click(supervisor, "生成报表")
        self.see(supervisor, "2026-11-23 至 2026-11-23 的报表")
        link = self.wait(supervisor, lambda d: next(
            (a for a in d.find_elements(By.TAG_NAME, "a")
             if "导出按日 CSV" in a.text and a.is_displayed()), False), "the CSV link")
        link.click()
        path = os.path.join(downloads, "branchq-2026-11-23-2026-11-23-by-day.csv")
        self.wait(None, lambda _: os.path.exists(path), "the CSV downloaded")
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
        # two tickets issued, one served
        self.assertIn("\r\n2026-11-23,2,1,0,", text)
        for b in (kiosk, counter, display, supervisor):
            self.check_accessibility(b)

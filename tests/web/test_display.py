"""The lobby display (DOMAIN §6, docs/DISPLAY.md): a TV signed in once as a
display terminal, showing and speaking the calls, the last 8 calls, the
queue per lane; it recovers from a daemon restart by itself."""

import os
import shutil
import urllib.request

from selenium.webdriver.common.by import By

from harness import PageTest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Display(PageTest):
    # ---- what a person in the lobby sees (and the page's honest state) ----

    def tv(self, path="/display", width=1920, height=1080):
        b = self.open(path, width, height)
        self.sign_in(b, "D01")
        self.wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, "#lanes li"),
                  "the lanes from the first snapshot")
        return b

    def now_calling(self, b):
        """(number, window, highlighted) of the big call."""
        box = b.find_element(By.ID, "now-call")
        return (box.get_attribute("data-number"), box.get_attribute("data-window"),
                "fresh" in box.get_attribute("class").split())

    def recent(self, b):
        return [(li.get_attribute("data-number"), li.get_attribute("data-window"))
                for li in b.find_elements(By.CSS_SELECTOR, "#recent li")]

    def announced(self, b):
        return int(b.find_element(By.ID, "announcement").get_attribute("data-announced"))

    def spoken(self, b):
        return b.find_element(By.ID, "announcement").get_attribute("textContent")

    def lane_text(self, b, lane):
        return b.find_element(By.CSS_SELECTOR, f'#lanes li[data-lane="{lane}"]').text

    def issue(self, n=1, service="loan"):
        return [self.d.ok("K01", "ticket.issue", service=service)["ticket"]["number"]
                for _ in range(n)]

    def call(self, teller="T01"):
        return self.d.ok(teller, "ticket.call_next")["ticket"]["number"]

    def serve_and_call(self, teller, number):
        """Completes `number` at the teller's window and calls the next."""
        self.d.ok(teller, "ticket.start", number=number)
        self.d.ok(teller, "ticket.complete", number=number)
        return self.call(teller)

    # ---- the flows ----

    def test_a_call_is_shown_highlighted_and_announced_then_recalled(self):
        self.d.ok("T01", "window.open", window=3, lanes=["counter"])
        self.issue()
        b = self.tv()
        self.check_accessibility(b)
        self.assertEqual(self.call(), "A001")
        # the issue asks for the number "within 2 s": a 2 s limit on this wait
        self.wait(b, lambda d: self.now_calling(d) == ("A001", "3", True),
                  "A001 → window 3, highlighted", timeout=2)
        self.see(b, "3 号窗口")
        self.see(b, "Window 3")
        self.wait(b, lambda d: "请 A001 号到 3 号窗口" in self.spoken(d) and
                  "Number A001, please go to window 3" in self.spoken(d),
                  "the announcement of A001 in Chinese and English")
        self.wait(b, lambda d: self.announced(d) == 1, "the announcement played")
        self.check_accessibility(b)
        self.d.ok("T01", "ticket.recall", number="A001")
        self.wait(b, lambda d: self.announced(d) == 2, "the recall announced again")
        self.assertEqual(self.recent(b), [("A001", "3")], "a recall is one line, not two")

    def test_the_clips_are_served_and_strung_in_order(self):
        for name in ("chime", "zh-qing", "zh-A", "zh-0", "zh-hao-chuangkou", "en-please",
                     "en-90"):
            with urllib.request.urlopen(self.d.url(f"/display/sounds/{name}.wav")) as r:
                self.assertEqual(r.status, 200)
                self.assertEqual(r.headers["Content-Type"], "audio/wav")
                self.assertEqual(r.read(4), b"RIFF")
        self.d.ok("T01", "window.open", window=3, lanes=["counter"])
        for _ in range(12):
            self.issue()
        for _ in range(11):
            self.serve_and_call("T01", self.call()) if False else None
        number = None
        for _ in range(12):
            if number is not None:
                self.d.ok("T01", "ticket.start", number=number)
                self.d.ok("T01", "ticket.complete", number=number)
            number = self.call()
        self.assertEqual(number, "A012")
        b = self.tv()
        self.d.ok("T01", "ticket.recall", number="A012")
        self.wait(b, lambda d: d.find_element(By.ID, "announcement").get_attribute(
            "data-number") == "A012", "the announcement of A012")
        clips = b.find_element(By.ID, "announcement").get_attribute("data-clips").split()
        self.assertEqual(clips, [
            "chime", "zh-qing", "zh-A", "zh-0", "zh-1", "zh-2", "zh-hao-dao", "zh-3",
            "zh-hao-chuangkou", "en-number", "en-A", "en-0", "en-1", "en-2", "en-please",
            "en-3"])

"""The browser tests' harness: a real branchqd-test on loopback ports with a
real SQLite file, and headless Chromium driven by Selenium (Debian's
chromium, chromium-driver, python3-selenium).  Tests read like a person at
the screen: find by label or visible text, click, wait for what a person
would see.  No timed assertion: every wait is for a condition, with a
generous limit."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BUILD = os.environ.get("BUILD", "build")
DAEMON = os.path.abspath(os.path.join(BUILD, "branchqd-test"))
SCREENSHOTS = os.path.abspath(os.path.join(BUILD, "screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# A Monday morning in Nanjing (09:00 Asia/Shanghai): the day every test starts on.
CLOCK_START = "2026-11-23T01:00:00Z"

# id: (role, staff, token).  The tokens are this test's own.
TERMINALS = {
    "K01": ("kiosk", None, "kiosk-web"),
    "D01": ("display", None, "display-web"),
    "D02": ("display", None, "display2-web"),
    "T01": ("teller", "E1001", "teller1-web"),
    "T02": ("teller", "E1002", "teller2-web"),
    "L01": ("lobby", "E2001", "lobby-web"),
    "S01": ("supervisor", "E9001", "supervisor-web"),
}

WAIT_S = 10  # the limit of any wait for what a person would see


def token(terminal):
    return TERMINALS[terminal][2]


class Daemon:
    """build/branchqd-test with the test clock, on 127.0.0.1 ports of its
    own choosing; restart() brings it back on the same HTTP port, as a
    daemon restarted by systemd would be."""

    def __init__(self, config=None, clock_start=CLOCK_START):
        self.dir = tempfile.mkdtemp(prefix="bq-web-")
        self.db = os.path.join(self.dir, "branchq.db")
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.clock_start = clock_start
        self.http_port = 0
        self.tcp_port = 0
        terminals = []
        for tid, (role, staff, tok) in TERMINALS.items():
            t = {"id": tid, "role": role,
                 "token_sha256": hashlib.sha256(tok.encode()).hexdigest()}
            if staff:
                t["staff"] = staff
            terminals.append(t)
        cfg = {"branch": "NJ-001", "timezone": "Asia/Shanghai", "duty_supervisor": "E9001",
               "terminals": terminals}
        for key, value in (config or {}).items():
            if key == "terminals":
                for extra in value:
                    for t in terminals:
                        if t["id"] == extra["id"]:
                            t.update(extra)
            else:
                cfg[key] = value
        self.config = os.path.join(self.dir, "branchq.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        self.proc = None
        self.start()

    def start(self):
        offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        args = [DAEMON, "--config", self.config, "--db", self.db,
                "--listen", "127.0.0.1:0", "--http", f"127.0.0.1:{self.http_port}",
                "--test-clock", "--test-clock-start", self.clock_start]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, cwd=self.dir)
        log.close()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(offset)
                text = f.read()
            m = re.search(r"listen=127\.0\.0\.1:(\d+) http=127\.0\.0\.1:(\d+)", text)
            if m:
                self.tcp_port, self.http_port = int(m.group(1)), int(m.group(2))
                # later starts keep the first one's clock: the database has it
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"branchqd-test exited {self.proc.returncode}:\n{text}")
            time.sleep(0.05)
        raise RuntimeError("branchqd-test did not say where it listens")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        self.stop()
        if os.environ.get("KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def op(self, terminal, name, **fields):
        """The operation over HTTP with a bearer token; the reply object
        (ok or not)."""
        req = urllib.request.Request(
            self.url(f"/api/v1/op/{name}"), data=json.dumps(fields).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {terminal}:{token(terminal)}"})
        try:
            with urllib.request.urlopen(req, timeout=WAIT_S) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read())

    def ok(self, terminal, name, **fields):
        reply = self.op(terminal, name, **fields)
        if not reply.get("ok"):
            raise AssertionError(f"{name} by {terminal}: {reply}")
        return reply

    def advance(self, seconds):
        return self.ok("S01", "clock.advance", seconds=seconds)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def browser(width=1920, height=1080, download_dir=None, autoplay=True):
    """Headless Chromium with a width x height page; with download_dir,
    files a page downloads are saved there without asking; autoplay=False
    is a browser without the flag docs/DISPLAY.md gives a lobby TV (sound
    only after a user's gesture)."""
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--disable-gpu", "--hide-scrollbars", f"--window-size={width},{height + 200}",
                "--autoplay-policy=" + ("no-user-gesture-required" if autoplay else
                                        "document-user-activation-required"), "--lang=zh-CN",
                "--force-device-scale-factor=1", "--no-first-run"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir is not None:
        opts.add_experimental_option("prefs", {
            "download.default_directory": download_dir,
            "download.prompt_for_download": False,
        })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    # The page (the viewport) is exactly width x height: the window's own
    # size includes its frame, and resizing it is not always obeyed.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [width, height]:
        driver.quit()
        raise RuntimeError(f"the browser's viewport is {inner}, not {[width, height]}")
    return driver


class PageTest(unittest.TestCase):
    """A test with a daemon (self.d) and browsers it opens with
    self.open(); at the end every browser's console must be free of errors
    and CSP violations (allow_console lists patterns a test expects, such as
    refused connections while it restarts the daemon)."""

    config = None

    def setUp(self):
        self.d = Daemon(self.config)
        self.browsers = []
        self.allow_console = []

    def tearDown(self):
        problems = []
        for driver in self.browsers:
            try:
                problems += self.console_problems(driver)
            finally:
                driver.quit()
        self.d.close()
        self.assertEqual(problems, [], "the browser console had errors or CSP violations")

    def open(self, path, width=1920, height=1080, download_dir=None, autoplay=True):
        driver = browser(width, height, download_dir, autoplay)
        self.browsers.append(driver)
        driver.get(self.d.url(path))
        return driver

    def console_problems(self, driver):
        out = []
        for entry in driver.get_log("browser"):
            msg = entry.get("message", "")
            bad = entry.get("level") == "SEVERE" or "Content Security Policy" in msg
            if bad and not any(re.search(p, msg) for p in self.allow_console):
                out.append(msg)
        return out

    # ---- what a person does ----

    def wait(self, driver, condition, what, timeout=WAIT_S):
        """Waits for condition(driver) to be true, also through an element
        the page re-rendered while it was being looked at (lists redraw on
        every event)."""
        try:
            return WebDriverWait(driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=[StaleElementReferenceException]).until(
                lambda d: condition(d))
        except TimeoutException:
            self.fail(f"waited {timeout} s for {what}")

    def sign_in(self, driver, terminal):
        """Types the terminal id and token into the page's sign-in form."""
        form = self.wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"),
                         "the sign-in form")[0]
        form.find_element(By.NAME, "terminal").send_keys(terminal)
        form.find_element(By.NAME, "token").send_keys(token(terminal), Keys.ENTER)
        self.wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "form.signin"),
                  f"the page to accept {terminal}")

    def text(self, driver):
        return driver.find_element(By.TAG_NAME, "body").text

    def see(self, driver, text, timeout=WAIT_S):
        """Waits until `text` is visible somewhere on the page."""
        self.wait(driver, lambda d: text in self.text(d), f"{text!r} on the page", timeout)

    def button(self, driver, text):
        """The visible button whose text contains `text` (or aria-label is it)."""
        def find(d):
            for b in d.find_elements(By.CSS_SELECTOR, "button, [role=button]"):
                if b.is_displayed() and b.is_enabled() and (
                        text in b.text or b.get_attribute("aria-label") == text):
                    return b
            return False
        return self.wait(driver, find, f"a button {text!r}")

    def click(self, driver, text):
        self.button(driver, text).click()

    def field(self, driver, label):
        """The control whose <label> text contains `label`."""
        def find(d):
            for lab in d.find_elements(By.TAG_NAME, "label"):
                if label in lab.text and lab.is_displayed():
                    target = lab.get_attribute("for")
                    if target:
                        return d.find_element(By.ID, target)
                    inner = lab.find_elements(By.CSS_SELECTOR, "input, select, textarea")
                    if inner:
                        return inner[0]
            return False
        return self.wait(driver, find, f"a field labelled {label!r}")

    def no_scrollbars(self, driver):
        sizes = driver.execute_script(
            "const e = document.documentElement;"
            "return [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight];")
        self.assertLessEqual(sizes[0], sizes[1], f"horizontal overflow {sizes}")
        self.assertLessEqual(sizes[2], sizes[3], f"vertical overflow {sizes}")

    def screenshot(self, driver, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SCREENSHOTS, f"{name}.png"))

    # ---- accessibility (WCAG 2.1 AA, the parts a machine can check) ----

    def unlabelled_controls(self, driver):
        """Visible controls without an accessible name."""
        return driver.execute_script("""
            const out = [];
            for (const c of document.querySelectorAll('input, select, textarea, button')) {
                if (c.type === 'hidden' || c.offsetParent === null) continue;
                const named = c.labels?.length > 0 || c.getAttribute('aria-label') ||
                    c.getAttribute('aria-labelledby') ||
                    (c.tagName === 'BUTTON' && c.textContent.trim() !== '');
                if (!named) out.push(c.outerHTML.slice(0, 120));
            }
            return out;""")

    def low_contrast(self, driver):
        """Visible text below WCAG AA contrast: 4.5:1, or 3:1 for large text
        (24 px, or 18.66 px bold).  The background is the first opaque one up
        the tree."""
        return driver.execute_script("""
            function rgb(s) {
                const m = s.match(/rgba?\\(([^)]+)\\)/);
                if (!m) return null;
                const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
                return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
            }
            function lum(c) {
                const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 :
                    Math.pow((v + 0.055) / 1.055, 2.4); };
                return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
            }
            function background(el) {
                for (let e = el; e; e = e.parentElement) {
                    const c = rgb(getComputedStyle(e).backgroundColor);
                    if (c && c.a >= 0.99) return c;
                }
                return { r: 255, g: 255, b: 255, a: 1 };
            }
            const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const seen = new Set();
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const el = n.parentElement;
                if (!el || seen.has(el) || n.textContent.trim() === '') continue;
                seen.add(el);
                if (el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;
                const st = getComputedStyle(el);
                if (st.visibility === 'hidden' || Number(st.opacity) === 0) continue;
                const fg = rgb(st.color), bg = background(el);
                if (!fg) continue;
                const a = fg.a;
                const mix = { r: fg.r * a + bg.r * (1 - a), g: fg.g * a + bg.g * (1 - a),
                              b: fg.b * a + bg.b * (1 - a) };
                const l1 = lum(mix), l2 = lum(bg);
                const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
                const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
                const large = size >= 24 || (bold && size >= 18.66);
                if (ratio < (large ? 3 : 4.5))
                    out.push(`${ratio.toFixed(2)} ${st.color} on ${JSON.stringify(bg)}: ` +
                             n.textContent.trim().slice(0, 40));
            }
            return out;""")

    def check_accessibility(self, driver):
        lang = driver.execute_script("return document.documentElement.lang")
        self.assertIn(lang, ("zh-CN", "en"), "the page's lang")
        self.assertEqual(self.unlabelled_controls(driver), [], "controls without a label")
        self.assertEqual(self.low_contrast(driver), [], "text below WCAG AA contrast")

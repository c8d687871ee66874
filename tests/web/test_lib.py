"""The pages' shared modules (web/lib/), run in the browser that runs the
pages: money in integer fen, times on the daemon's clock in the branch's
zone, and the two string tables holding the same keys."""

import json

from harness import PageTest


class Lib(PageTest):
    def setUp(self):
        super().setUp()
        self.b = self.open("/")

    def js(self, module, body):
        """Runs `body` with the module imported as m; returns its value."""
        return self.b.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"import({json.dumps(module)}).then(m => done((() => {{ {body} }})()),"
            " e => done('ERROR ' + e));")

    def test_yuan_typed_becomes_exact_fen(self):
        cases = {
            "1": 100, "1500": 150000, "1500.5": 150050, "1500.50": 150050, "0.01": 1,
            "20000": 2000000, "20000.01": 2000001, "0.29": 29, "1.15": 115, "4.35": 435,
            "1.005": None, "10000000000": 1000000000000, "10000000000.01": None,
            "": None, "0": None, "0.00": None, "-1": None, "1e3": None, " 1": None,
            "1,000": None, ".5": None, "1.": 100, "12345678901": None,
        }
        got = self.js("/lib/money.js", f"const c = {json.dumps(list(cases))};"
                      "return c.map(t => m.parseYuan(t));")
        self.assertEqual(dict(zip(cases, got)), cases)

    def test_keypad_refuses_what_cannot_become_an_amount(self):
        cases = {"": True, "1": True, "1.": True, "1.2": True, "1.23": True, "1.234": False,
                 "0": True, "0.": True, "00": False, "01": False, "12345678901": False,
                 "10000000000": True, "10000000000.0": True, "10000000000.01": False,
                 "123456789012": False,
                 "1.2.3": False, "a": False}
        got = self.js("/lib/money.js", f"const c = {json.dumps(list(cases))};"
                      "return c.map(t => m.canExtend(t));")
        self.assertEqual(dict(zip(cases, got)), cases)

    def test_fen_shown_as_yuan(self):
        cases = {"150050": "1,500.50", "1": "0.01", "100": "1.00", "0": "0.00",
                 "1000000000000": "10,000,000,000.00", "-20000": "-200.00"}
        got = self.js("/lib/money.js", f"const c = {json.dumps(list(cases))};"
                      "return c.map(t => m.formatFen(Number(t)));")
        self.assertEqual(dict(zip(cases, got)), cases)

    def test_times_in_the_branch_zone_on_the_daemon_clock(self):
        got = self.js("/lib/time.js", """
            m.setZone("Asia/Shanghai");
            m.observe("2026-11-23T01:00:00Z");
            const drift = Math.abs(m.now() - Date.parse("2026-11-23T01:00:00Z"));
            return [m.clockText("2026-11-23T01:00:00Z"), m.clockText("2026-11-23T15:59:30Z", true),
                    m.dateText(Date.parse("2026-11-23T16:30:00Z")), m.timerText(0),
                    m.timerText(65), m.timerText(3754), m.minutes(0), m.minutes(1),
                    m.minutes(540), drift < 5000];""")
        self.assertEqual(got, ["09:00", "23:59:30", "2026-11-24", "0:00", "1:05", "1:02:34",
                               0, 1, 9, True])

    def test_both_languages_have_every_string(self):
        got = self.b.execute_async_script("""
            const done = arguments[arguments.length - 1];
            Promise.all([import("/lib/lang/zh.js"), import("/lib/lang/en.js")]).then(([zh, en]) => {
                const keys = (o, p = "") => Object.entries(o).flatMap(([k, v]) =>
                    v !== null && typeof v === "object" ? keys(v, p + k + ".") :
                    [p + k + (typeof v === "function" ? "()" + v.length : "")]);
                const a = new Set(keys(zh.default)), b = new Set(keys(en.default));
                done([[...a].filter(k => !b.has(k)), [...b].filter(k => !a.has(k))]);
            });""")
        self.assertEqual(got, [[], []], "keys only in zh.js, keys only in en.js")

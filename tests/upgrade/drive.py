#!/usr/bin/python3
"""Drives one representative business day through an old branchqd, in that
daemon's own protocol, on a fresh database; then stops it cleanly.

usage: drive.py VERSION BINARY DIR

VERSION is the schema version the binary shipped with (1..); it decides
which parts the day has (complaints and surveys from 2, webhooks from 3,
an HTTP session from 10).  DIR gets the configuration, branchq.db, the
daemon's log and report.json (the daemon's own report.summary of the day).
The test clock starts on Monday 2026-11-23 at 09:00 Asia/Shanghai, as the
e2e harness's, so the fixture is the same on every run.
"""
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

START = "2026-11-23T01:00:00Z"
DAY = "2026-11-23"
TERMINALS = [("K01", "kiosk", None), ("D01", "display", None),
             ("T01", "teller", "E1001"), ("T02", "teller", "E1002"),
             ("L01", "lobby", "E2001"), ("S01", "supervisor", "E9001")]
WEBHOOK = ('"webhooks":[{"url":"http://127.0.0.1:9/hook","secret":"s3cret",'
           '"events":["complaint.logged","followup.overdue","survey.detractor"]}]')


def die(msg):
    sys.stderr.write("drive.py: %s\n" % msg)
    sys.exit(1)


def write_config(path, version):
    """The e2e harness's configuration (tests/e2e/harness.c write_config),
    with a webhook receiver where the version had webhooks."""
    lines = ['{"branch":"E2E-001","timezone":"Asia/Shanghai",']
    if version >= 3:
        lines.append(WEBHOOK + ",")
    lines.append('"terminals":[')
    for i, (tid, role, staff) in enumerate(TERMINALS):
        h = hashlib.sha256(("tok-" + tid).encode()).hexdigest()
        s = '  {"id":"%s","role":"%s",' % (tid, role)
        if staff:
            s += '"staff":"%s",' % staff
        s += '"token_sha256":"%s"}' % h
        lines.append(s + ("," if i + 1 < len(TERMINALS) else ""))
    lines.append("]}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Conn:
    def __init__(self, port, terminal):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""
        self.name = terminal
        self.rq({"op": "hello", "terminal": terminal, "token": "tok-" + terminal})

    def line(self):
        while b"\n" not in self.buf:
            self.s.settimeout(20)
            b = self.s.recv(65536)
            if not b:
                die("%s: the daemon closed the connection" % self.name)
            self.buf += b
        ln, self.buf = self.buf.split(b"\n", 1)
        return json.loads(ln)

    def rq(self, req, ok=True):
        # No request "id": complaint ops' "id" is the complaint's.  Replies
        # come in the order of the requests; events are skipped.
        self.s.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode())
        while True:
            r = self.line()
            if "event" in r and "ok" not in r:
                continue
            if ok and not r.get("ok"):
                die("%s: %s -> %s" % (self.name, json.dumps(req), json.dumps(r)))
            return r


def start(binary, d, version):
    log = open(os.path.join(d, "daemon.log"), "ab")
    args = [binary, "--db", os.path.join(d, "branchq.db"), "--listen", "127.0.0.1:0",
            "--config", os.path.join(d, "config.json"),
            "--test-clock", "--test-clock-start", START]
    if version >= 10:
        args += ["--http", "127.0.0.1:0"]
    p = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=d)
    deadline = time.time() + 30
    port = http = None
    while time.time() < deadline:
        text = open(os.path.join(d, "daemon.log"), errors="replace").read()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        if m:
            port = int(m.group(1))
            h = re.search(r" url=http://127\.0\.0\.1:(\d+)/", text)
            http = int(h.group(1)) if h else None
            break
        if p.poll() is not None:
            die("the daemon exited at start-up:\n" + text)
        time.sleep(0.05)
    if port is None:
        p.kill()
        die("the daemon did not say where it listens")
    return p, port, http


def ticket(r):
    return r["ticket"]["number"]


def day(version, port, http_port):
    k = Conn(port, "K01")
    t1 = Conn(port, "T01")
    t2 = Conn(port, "T02")
    lb = Conn(port, "L01")
    s = Conn(port, "S01")

    def adv(sec):
        s.rq({"op": "clock.advance", "seconds": sec})

    def issue(service, amount=None, flags=None):
        req = {"op": "ticket.issue", "service": service}
        if amount is not None:
            req["amount_fen"] = amount
        if flags is not None:
            req["flags"] = flags
        return ticket(k.rq(req))

    t1.rq({"op": "window.open", "window": 1, "lanes": ["counter", "vip"]})
    t2.rq({"op": "window.open", "window": 2, "lanes": ["express", "counter"]})
    got = []
    got.append(issue("loan"))                                   # counter
    adv(60)
    got.append(issue("account_opening"))                        # counter
    got.append(issue("cash_deposit", 5000000))                  # express
    got.append(issue("cash_withdrawal", 150000))                # self-service
    adv(60)
    got.append(issue("wealth_management", None, {"vip": True}))  # vip
    got.append(issue("card_services"))
    got.append(issue("foreign_exchange"))
    adv(120)

    # T01: the first customer served
    a = ticket(t1.rq({"op": "ticket.call_next"}))
    t1.rq({"op": "ticket.start", "number": a})
    adv(300)
    t1.rq({"op": "ticket.complete", "number": a})
    # T02: a customer who never comes (recalled until no-show is allowed)
    b = ticket(t2.rq({"op": "ticket.call_next"}))
    for _ in range(5):
        adv(30)
        r = t2.rq({"op": "ticket.no_show", "number": b}, ok=False)
        if r.get("ok"):
            break
        t2.rq({"op": "ticket.recall", "number": b})
    else:
        die("no_show refused: %s" % json.dumps(r))
    # T01: the next one belongs at the express lane: transferred
    c = ticket(t1.rq({"op": "ticket.call_next"}))
    t1.rq({"op": "ticket.transfer", "number": c, "to_lane": "express"})
    adv(60)
    d = ticket(t2.rq({"op": "ticket.call_next"}))
    t2.rq({"op": "ticket.start", "number": d})
    adv(240)
    t2.rq({"op": "ticket.complete", "number": d})
    e = ticket(t1.rq({"op": "ticket.call_next"}))
    t1.rq({"op": "ticket.start", "number": e})
    adv(420)
    t1.rq({"op": "ticket.complete", "number": e})
    # T02 pauses, resumes, serves one more and closes its window
    t2.rq({"op": "window.pause"})
    adv(120)
    t2.rq({"op": "window.resume"})
    f = ticket(t2.rq({"op": "ticket.call_next"}))
    t2.rq({"op": "ticket.start", "number": f})
    adv(180)
    t2.rq({"op": "ticket.complete", "number": f})
    t2.rq({"op": "window.close"})
    served = [a, d, e, f]
    # one customer still waiting when the fixture ends
    req = {"op": "ticket.issue", "service": "other"}
    if version >= 8:
        req["request_key"] = "K01-000042"     # a kiosk's safe retry (sql/008)
    got.append(ticket(k.rq(req)))

    if version >= 2:
        # a complaint at the counter, followed through to closed
        c1 = t1.rq({"op": "complaint.log", "category": "wait_time", "severity": 2,
                    "description": "waited 40 minutes", "channel": "counter",
                    "ticket": a, "customer": {"name": "张三丰", "phone": "+86 138-1234-5678"}})
        id1 = c1["complaint"]["id"]
        t1.rq({"op": "complaint.action", "id": id1, "kind": "apology",
               "note": "apologised at the counter"})
        t1.rq({"op": "complaint.resolve", "id": id1, "resolution": "queue rebalanced",
               "root_cause": "value"})
        adv(600)
        t1.rq({"op": "followup.record", "id": id1, "outcome": "satisfied",
               "note": "called back, happy"})
        # one logged in the lobby and left open (the upgrade's test follows it up)
        c2 = lb.rq({"op": "complaint.log", "category": "environment", "severity": 1,
                    "description": "the hall is cold", "channel": "lobby"})
        id2 = c2["complaint"]["id"]
        lb.rq({"op": "complaint.action", "id": id2, "kind": "explanation",
               "note": "heating is being repaired"})
        # a low score with a reason: a complaint for the duty supervisor
        sv = k.rq({"op": "survey.submit", "ticket": e, "score": 3, "reason": "slow"})
        # a high score: none
        k.rq({"op": "survey.submit", "ticket": d, "score": 9})
        if sv.get("complaint"):
            id3 = sv["complaint"]["id"]
            s.rq({"op": "complaint.action", "id": id3, "kind": "customer_update",
                  "note": "we will call"})
        adv(60)

    if version >= 10 and http_port:
        # a browser's sign-in: a row in http_sessions
        h = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        body = json.dumps({"terminal": "S01", "token": "tok-S01"})
        h.request("POST", "/api/v1/session", body=body,
                  headers={"Content-Type": "application/json",
                           "Host": "127.0.0.1:%d" % http_port,
                           "Origin": "http://127.0.0.1:%d" % http_port})
        r = h.getresponse()
        r.read()
        if r.status != 200:
            die("POST /api/v1/session: %d" % r.status)
        h.close()

    rep = None
    if version >= 2:
        rep = s.rq({"op": "report.summary", "from": DAY, "to": DAY})
    waiting = s.rq({"op": "ticket.status", "number": got[-1]}, ok=False)
    for cn in (k, t1, t2, lb, s):
        cn.s.close()
    return {"issued": got, "served": served, "no_show": b, "transferred": c,
            "report": rep, "last_status": waiting}


def main():
    if len(sys.argv) != 4:
        die("usage: drive.py VERSION BINARY DIR")
    version, binary, d = int(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "branchq.db")):
        die("%s/branchq.db exists: a fixture starts from a fresh database" % d)
    write_config(os.path.join(d, "config.json"), version)
    p, port, http_port = start(binary, d, version)
    try:
        out = day(version, port, http_port)
    except BaseException:
        p.kill()
        p.wait()
        raise
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    if rc != 0:
        die("the daemon exited with %d after SIGTERM" % rc)
    with open(os.path.join(d, "day.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


main()

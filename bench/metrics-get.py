"""GET a path COUNT times on one keep-alive connection, as supervisor S01
(token "bench", bench/config.sh), and print one line of figures: the
response's bytes, the latency (mean, p50, p99 in microseconds, from the
request's write to the end of its body) and srv_us, the CPU time the
daemon PID spent per request (/proc/PID/stat utime + stime).

    python3 bench/metrics-get.py HOST:PORT PATH COUNT PID

Exit status 1 when a response is not 200 (bench/metrics.sh)."""
import http.client
import os
import sys
import time


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime: fields 14 and 15 of the whole line, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    path, count, pid = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": "Bearer S01:bench"}
    lat = []
    size = 0
    cpu0 = cpu_seconds(pid)
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        lat.append(time.perf_counter() - t0)
        if resp.status != 200:
            print(f"metrics: GET {path}: {resp.status} {body[:200]!r}", file=sys.stderr)
            return 1
        size = len(body)
    cpu = cpu_seconds(pid) - cpu0
    lat.sort()
    mean = sum(lat) / len(lat)
    p50 = lat[(len(lat) * 50 + 99) // 100 - 1]
    p99 = lat[(len(lat) * 99 + 99) // 100 - 1]
    print(f"{path:<12} {size:>6} {mean * 1e6:>9.0f} {p50 * 1e6:>9.0f} {p99 * 1e6:>9.0f} "
          f"{cpu / count * 1e6:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

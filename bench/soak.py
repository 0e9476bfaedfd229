#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# soak.py: a long mixed load at a fixed rate, sampled every 10 s (bench/soak).
#
#   bench/soak.py URL SERVER_PID DATABASE_URL SECONDS OUT.csv
#
# SOAK_CLIENTS threads (default 8), each on its own keep-alive connection,
# send SOAK_RATE requests a second in all (default 50), each thread its
# share, paced (not as fast as possible: a soak looks for drift, not for the
# limit). Every thread keeps a few sessions; each request is one of
#   login-token (argon2id: a new session)     5 %
#   GET /auth/me                              55 %
#   POST /auth/token-refresh (rotates)        20 %
#   GET /login-activity/count, /login-activity 12 %
#   POST /logout (ends a session)             8 %
# (no session at hand: a login). Every 10 s one CSV line: elapsed s, server
# RSS KiB, server open descriptors, PostgreSQL backends, requests, errors
# (status >= 400 other than the expected ones, or no answer), p50 and p99 ms
# of that window. Credentials from BENCH_CLIENT_ID, BENCH_CLIENT_SECRET,
# BENCH_USER, BENCH_PASSWORD. Prints figures; never judges them.
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

MIX = (("login", 5), ("me", 55), ("refresh", 20), ("activity", 12), ("logout", 8))
SESSIONS_MAX = 4


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = []
        self.errors = 0
        self.first_errors = []

    def add(self, ms, ok, what):
        with self.lock:
            self.lat.append(ms)
            if not ok:
                self.errors += 1
                if len(self.first_errors) < 5:
                    self.first_errors.append(what)

    def take(self):
        with self.lock:
            lat, err = self.lat, self.errors
            self.lat, self.errors = [], 0
        return lat, err


def pick():
    r = random.uniform(0, sum(w for _, w in MIX))
    for name, w in MIX:
        r -= w
        if r <= 0:
            return name
    return MIX[0][0]


class Client(threading.Thread):
    def __init__(self, url, rate, stats, stop):
        super().__init__(daemon=True)
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.interval = 1.0 / rate
        self.stats, self.stop = stats, stop
        self.sessions = []
        self.conn = None
        self.creds = {"client_id": os.environ["BENCH_CLIENT_ID"],
                      "client_secret": os.environ["BENCH_CLIENT_SECRET"],
                      "username": os.environ["BENCH_USER"],
                      "password": os.environ["BENCH_PASSWORD"]}

    def call(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body) if body is not None else None
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
                return r.status, text
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1:
                    return 0, b""
        return 0, b""

    def one(self):
        what = pick()
        if not self.sessions or (what == "login" and len(self.sessions) < SESSIONS_MAX):
            what = "login"
        elif what == "login":
            what = "me"
        t0 = time.monotonic()
        if what == "login":
            st, text = self.call("POST", "/auth/login-token", self.creds)
            ok = st == 200
            if ok:
                b = json.loads(text)
                self.sessions.append((b["accessToken"], b["refreshToken"]))
        elif what == "me":
            st, _ = self.call("GET", "/auth/me", token=random.choice(self.sessions)[0])
            ok = st == 200
        elif what == "activity":
            path = random.choice(("/login-activity/count",
                                  "/login-activity?filter=" + urllib.parse.quote(
                                      '{"limit":10,"order":"loginTime DESC"}')))
            st, _ = self.call("GET", path, token=random.choice(self.sessions)[0])
            ok = st == 200
        elif what == "refresh":
            a, r = self.sessions.pop(random.randrange(len(self.sessions)))
            st, text = self.call("POST", "/auth/token-refresh", {"refreshToken": r}, token=a)
            ok = st == 200
            if ok:
                b = json.loads(text)
                self.sessions.append((b["accessToken"], b["refreshToken"]))
        else:
            a, r = self.sessions.pop(random.randrange(len(self.sessions)))
            st, _ = self.call("POST", "/logout", {"refreshToken": r}, token=a)
            ok = st == 200
        self.stats.add((time.monotonic() - t0) * 1000, ok, f"{what}:{st}")

    def run(self):
        nxt = time.monotonic() + random.uniform(0, self.interval)
        while not self.stop.is_set():
            now = time.monotonic()
            if now < nxt:
                self.stop.wait(nxt - now)
                continue
            self.one()
            nxt += self.interval
            if nxt < time.monotonic() - 1:  # far behind: do not burst to catch up
                nxt = time.monotonic()


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pg_backends(db_url):
    p = subprocess.run(["psql", "-X", "-A", "-t", "-d", db_url, "-c",
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                        "'client backend' AND pid <> pg_backend_pid()"],
                       capture_output=True, text=True, timeout=30)
    return int(p.stdout.strip() or 0) if p.returncode == 0 else -1


def pct(v, q):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(q / 100 * len(v)))]


def main():
    url, pid, db_url, seconds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4]), sys.argv[5]
    clients = int(os.environ.get("SOAK_CLIENTS", "8"))
    rate = float(os.environ.get("SOAK_RATE", "50"))
    stats, stop = Stats(), threading.Event()
    threads = [Client(url, rate / clients, stats, stop) for _ in range(clients)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    total = errors_total = 0
    with open(out, "w") as f:
        f.write("elapsed_s,rss_kib,fds,pg_backends,requests,errors,p50_ms,p99_ms\n")
        tick = 1
        while True:
            stop.wait(max(0.0, t0 + 10 * tick - time.monotonic()))
            try:
                rss, fds = proc_rss_kib(pid), proc_fds(pid)
            except OSError:
                print("soak: the server is gone", file=sys.stderr)
                stop.set()
                return 1
            lat, err = stats.take()
            total += len(lat)
            errors_total += err
            line = (f"{10 * tick},{rss},{fds},{pg_backends(db_url)},{len(lat)},{err},"
                    f"{pct(lat, 50):.2f},{pct(lat, 99):.2f}")
            f.write(line + "\n")
            f.flush()
            print("soak: " + line, file=sys.stderr)
            if 10 * tick >= seconds:
                break
            tick += 1
    stop.set()
    for t in threads:
        t.join(timeout=40)
    print(f"soak: {total} requests, {errors_total} errors; first errors: "
          f"{stats.first_errors or '-'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

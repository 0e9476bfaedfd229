# SPDX-License-Identifier: Apache-2.0
"""Bounded load on loopback against two instances on one database: every
request is answered, nothing is a 5xx, tokens issued by one instance verify
on the other, a logout on one instance is seen by the other within a second
while the load runs, and every issuance is recorded in login_activity.

Bounded: CLIENTS threads for at most DURATION seconds and at most
MAX_ROUNDS rounds each. Throughput and latency are printed, not asserted."""
import http.client as httpclient
import random
import socket
import threading
import time
import urllib.error

import harness
from harness import USERNAME, wait_until

CLIENTS = 8          # load threads
DURATION = 6.0       # seconds of load at most (the whole test stays well under 8 s of load)
MAX_ROUNDS = 200     # rounds per load thread at most
CHECKS = 6           # logout-on-one / refused-by-the-other checks during the load
POLL = 0.02          # seconds between polls of the other instance
REVOKE_BOUND = 1.0   # seconds, not scaled: the bound itself is under test

CONNECTION_ERRORS = (urllib.error.URLError, ConnectionError, httpclient.HTTPException,
                     socket.timeout, OSError)


class Stats:
    """Every request made during the load: counts, statuses, latencies, problems."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}         # endpoint -> requests
        self.ok = {}             # endpoint -> 200 answers
        self.max_latency = 0.0
        self.max_latency_what = ""
        self.no_answer = []      # (endpoint, instance, exception)
        self.server_errors = []  # responses >= 500
        self.unexpected = []     # (what, response) other wrong answers

    def call(self, endpoint, srv, fn):
        """Run one request fn(); record it; return the response or None."""
        start = time.monotonic()
        try:
            r = fn()
        except CONNECTION_ERRORS as e:
            with self.lock:
                self.counts[endpoint] = self.counts.get(endpoint, 0) + 1
                self.no_answer.append((endpoint, srv.name, repr(e)))
            return None
        elapsed = time.monotonic() - start
        with self.lock:
            self.counts[endpoint] = self.counts.get(endpoint, 0) + 1
            if r.status == 200:
                self.ok[endpoint] = self.ok.get(endpoint, 0) + 1
            if r.status >= 500:
                self.server_errors.append(f"{srv.name}: {r!r}")
            if elapsed > self.max_latency:
                self.max_latency, self.max_latency_what = elapsed, f"{endpoint}@{srv.name}"
        return r

    def wrong(self, what, r):
        with self.lock:
            self.unexpected.append(f"{what}: {r!r}")

    def total(self):
        with self.lock:
            return sum(self.counts.values())


def test_two_instances_under_load(t):
    a = t.start_server("a")
    b = t.start_server("b")  # after a: a generated the signing keys already
    servers = (a, b)
    other = {a.name: b, b.name: a}
    stats = Stats()
    stop = threading.Event()
    running = [0]            # load threads still in their loop
    running_lock = threading.Lock()
    # a slower build (sanitizers: AUTHSVC_TEST_TIMEOUT_MULT) gets a longer
    # load, so the checks still run inside it
    deadline = time.monotonic() + harness.scaled(DURATION)

    def login(srv, what):
        r = stats.call("login-token", srv, lambda: t.login_token(server=srv))
        if r is None:
            return None
        if r.status != 200 or not isinstance(r.body, dict) or not r.body.get("accessToken"):
            stats.wrong(what, r)
            return None
        return r.body

    def me_ok(access, srv, what):
        r = stats.call("me", srv, lambda: t.me(access, server=srv))
        if r is None:
            return False
        if r.status != 200 or not isinstance(r.body, dict) or r.body.get("username") != USERNAME:
            stats.wrong(what, r)
            return False
        return True

    def round_trip():
        x = random.choice(servers)
        y = other[x.name]
        tokens = login(x, f"login-token on {x.name}")
        if tokens is None:
            return
        # issued by x, verified by y
        me_ok(tokens["accessToken"], y, f"me on {y.name} of a token from {x.name}")
        r = stats.call("token-refresh", y, lambda: t.refresh(tokens, server=y))
        if r is None:
            return
        if r.status != 200 or not isinstance(r.body, dict) or not r.body.get("accessToken"):
            stats.wrong(f"refresh on {y.name} of a pair from {x.name}", r)
            return
        fresh = r.body
        # issued by y, verified by x
        me_ok(fresh["accessToken"], x, f"me on {x.name} of a refreshed token from {y.name}")
        z = random.choice(servers)
        r = stats.call("logout", z, lambda: t.logout(fresh, server=z))
        if r is not None and r.status != 200:
            stats.wrong(f"logout on {z.name}", r)

    def load():
        with running_lock:
            running[0] += 1
        try:
            for _ in range(MAX_ROUNDS):
                if stop.is_set() or time.monotonic() >= deadline:
                    break
                round_trip()
        finally:
            with running_lock:
                running[0] -= 1

    checks = []              # (from, to, seconds until refused, load running throughout)
    check_problems = []

    def revocation_checks():
        for i in range(CHECKS):
            if stop.is_set():
                return
            src = servers[i % 2]
            dst = other[src.name]
            tokens = login(src, f"check {i}: login-token on {src.name}")
            if tokens is None:
                check_problems.append(f"check {i}: no tokens from {src.name}")
                continue
            # the other instance has seen (and cached) the token as valid
            if not me_ok(tokens["accessToken"], dst, f"check {i}: me on {dst.name} before logout"):
                check_problems.append(f"check {i}: {dst.name} refused a fresh token")
                continue
            with running_lock:
                under_load_before = running[0] > 0
            requests_before = stats.total()
            r = stats.call("logout", src, lambda: t.logout(tokens, server=src))
            if r is None or r.status != 200:
                check_problems.append(f"check {i}: logout on {src.name}: {r!r}")
                continue
            logged_out = time.monotonic()
            refused_after = None
            while time.monotonic() - logged_out < harness.scaled(5):
                r = stats.call("me", dst, lambda: t.me(tokens["accessToken"], server=dst))
                if r is not None and r.status == 401:
                    refused_after = time.monotonic() - logged_out
                    break
                if r is not None and r.status != 200:
                    stats.wrong(f"check {i}: me on {dst.name} after logout", r)
                time.sleep(POLL)
            with running_lock:
                under_load_after = running[0] > 0
            # other clients' requests were made while this check ran
            others = stats.total() - requests_before
            checks.append((src.name, dst.name, refused_after,
                           under_load_before and under_load_after, others))
            time.sleep(0.1)

    threads = [threading.Thread(target=load, name=f"load{i}") for i in range(CLIENTS)]
    checker = threading.Thread(target=revocation_checks, name="revocation-checks")
    started = time.monotonic()
    try:
        for th in threads:
            th.start()
        time.sleep(0.2)  # the load is under way before the first check
        checker.start()
        checker.join(harness.scaled(30))
        for th in threads:
            th.join(harness.scaled(30))
    finally:
        stop.set()
    wall = time.monotonic() - started
    assert not checker.is_alive() and not any(th.is_alive() for th in threads), \
        "a client thread did not finish"

    ok_login = stats.ok.get("login-token", 0)
    ok_refresh = stats.ok.get("token-refresh", 0)
    ok_logout = stats.ok.get("logout", 0)
    delays = [c[2] for c in checks if c[2] is not None]
    per_endpoint = ", ".join(f"{k}={v}" for k, v in sorted(stats.counts.items()))
    print(f"# load: {stats.total()} requests in {wall:.1f}s by {CLIENTS}+1 clients ({per_endpoint}); "
          f"max latency {stats.max_latency * 1000:.0f} ms ({stats.max_latency_what}); "
          f"revocation seen in max {max(delays, default=0) * 1000:.0f} ms over {len(delays)} checks")

    assert not stats.no_answer, (f"{len(stats.no_answer)} request(s) got no answer, e.g. "
                                 f"{stats.no_answer[:3]}")
    assert not stats.server_errors, (f"{len(stats.server_errors)} 5xx answer(s), e.g. "
                                     f"{stats.server_errors[:3]}")
    assert not stats.unexpected, (f"{len(stats.unexpected)} unexpected answer(s), e.g. "
                                  f"{stats.unexpected[:3]}")
    assert not check_problems, check_problems
    assert len(checks) == CHECKS and len(checks) >= 5, f"only {len(checks)} revocation checks ran"
    bound = REVOKE_BOUND
    for src, dst, after, under_load, others in checks:
        assert after is not None, f"{dst} never refused a token logged out on {src}"
        assert after < bound, f"{dst} refused a token logged out on {src} after {after:.3f}s"
        assert under_load and others > 0, \
            f"a revocation check {src}->{dst} ran without the load ({others} other requests)"
    assert {(c[0], c[1]) for c in checks} == {("a", "b"), ("b", "a")}, checks
    assert ok_login > CHECKS and ok_refresh > 0, f"no load was generated: {stats.counts}"

    # nothing lost: one ACCESS row per issued login, one RELOGIN per refresh,
    # one LOGOUT per logout
    def activity():
        rows = dict(t.db.sql("SELECT login_type, count(*) FROM main.login_activity "
                             "GROUP BY login_type"))
        return {k: int(v) for k, v in rows.items()}
    try:
        wait_until(lambda: (n := activity()).get("ACCESS", 0) >= ok_login
                   and n.get("RELOGIN", 0) >= ok_refresh
                   and n.get("LOGOUT", 0) >= ok_logout, 2,
                   what="login_activity rows for every issuance")
    except AssertionError:
        pass  # the exact comparison below says what is missing
    n = activity()
    assert n.get("ACCESS", 0) == ok_login, \
        f"{n.get('ACCESS', 0)} ACCESS rows for {ok_login} successful login-token calls ({n})"
    assert n.get("RELOGIN", 0) == ok_refresh, \
        f"{n.get('RELOGIN', 0)} RELOGIN rows for {ok_refresh} successful refreshes ({n})"
    assert n.get("LOGOUT", 0) == ok_logout, \
        f"{n.get('LOGOUT', 0)} LOGOUT rows for {ok_logout} successful logouts ({n})"
    print(f"# activity: {n}")
    assert a.alive() and b.alive(), "an instance died under load"


if __name__ == "__main__":
    harness.main(globals())

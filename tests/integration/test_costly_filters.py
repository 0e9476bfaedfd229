# SPDX-License-Identifier: Apache-2.0
"""Costly login-activity filters cannot starve logins (issue 15).

A regexp that backtracks is refused before it reaches the database;
analytics queries run under activity.query_timeout_ms, not the statement
timeout logins run under; and at most activity.max_workers of them hold a
worker at once, so a password login always finds one. A slow query is made
by locking login_activity in another session: every analytics query then
waits until its own timeout ends it."""
import json
import threading
import urllib.parse

import harness
from harness import expect, expect_error, scaled, wait_until

BUSY = "Too many login-activity queries at once. Please retry."
SLOW = "The query took too long. Please retry."


def count(t, token, where, server=None, timeout=15):
    path = "/login-activity/count?" + urllib.parse.urlencode({"where": json.dumps(where)})
    return (server or t.server).http("GET", path, headers={"Authorization": "Bearer " + token},
                                     timeout=timeout)


def test_backtracking_patterns_are_refused(t):
    token = t.tokens_for()["accessToken"]
    for pattern in ("(a+)+$", "/(a|aa?)*b/i", "(.*)\\1", "x{1,5000}", "(?x)(a+ )+",
                    "a" * 300):
        r = count(t, token, {"actor": {"regexp": pattern}})
        expect_error(r, 400)
        assert "Invalid value for 'actor': regexp:" in r.body["error"]["message"], r
    path = "/login-activity?" + urllib.parse.urlencode(
        {"filter": json.dumps({"where": {"deviceInfo": {"regexp": "^(.+)+x"}}})})
    expect_error(t.http("GET", path, headers={"Authorization": "Bearer " + token}), 400)
    # a pattern without those constructs still runs
    expect(count(t, token, {"actor": {"regexp": "^[0-9a-f-]{36}$"}}), 200)


def test_slow_analytics_leave_logins_their_workers(t):
    # two workers; analytics may hold one (the default, half); a statement
    # timeout for logins far longer than the analytics one, so only the
    # latter can end the queries before the lock is released
    srv = t.start_server("capped", workers=2, statement_timeout_ms=120000,
                         activity={"query_timeout_ms": 3000})
    token = t.tokens_for(server=srv)["accessToken"]
    holder = t.db.hold("LOCK TABLE main.login_activity IN ACCESS EXCLUSIVE MODE")
    results = [None] * 8
    threads = []
    try:
        def one(i):
            try:
                results[i] = count(t, token, {"deviceInfo": {"like": "%x%"}}, server=srv,
                                   timeout=60)
            except Exception as e:  # reported below
                results[i] = e

        for i in range(len(results)):
            threads.append(threading.Thread(target=one, args=(i,)))
            threads[-1].start()
        waiting = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                   " AND wait_event_type = 'Lock' AND query LIKE '%login_activity%'")
        wait_until(lambda: int(t.db.value(waiting)) > 0
                   or not any(th.is_alive() for th in threads),
                   10, what="an analytics query waiting on the lock")
        # the bug made this wait for every queued analytics query in turn;
        # the bound (10 s, scaled) is on that, not a performance figure
        try:
            r = srv.http("POST", "/auth/login", timeout=10,
                         json={"client_id": "web", "username": harness.USERNAME,
                               "password": harness.PASSWORD,
                               "client_secret": harness.CLIENT_SECRET})
        except OSError as e:
            raise AssertionError(f"the login did not answer while analytics ran: {e!r}")
        expect(r, 200)
        for th in threads:
            th.join(scaled(30))
        assert holder.poll() is None, "the lock holder ended early"
    finally:
        holder.release()
        for th in threads:
            th.join(scaled(60))
    for r in results:
        assert isinstance(r, harness.Resp), f"analytics request: {r!r}"
        expect_error(r, 503)
        assert r.body["error"]["message"] in (BUSY, SLOW), r
        assert r.headers.get("retry-after") == "1", r
    assert any(r.body["error"]["message"] == SLOW for r in results), results
    assert any(r.body["error"]["message"] == BUSY for r in results), results
    # the burst is over: its workers were given back
    expect(count(t, token, {"deviceInfo": {"like": "%x%"}}, server=srv), 200)


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""SIGHUP re-reads the configuration (issue 19): live settings (brute-force
limits, CORS origins, the log level) change in the running process; a file
that does not load or validate is refused and the old configuration keeps
running; settings only a restart applies (listen) are logged as `needs
restart` with their keys; under load, no request fails across reloads."""
import os
import re
import signal
import threading

import harness
from harness import expect, expect_error

import prom

WRONG = "not-the-password-1"
APP = "https://app.example"
NEW = "https://new.example"


def log_size(srv):
    return os.path.getsize(srv.log_path)


def log_since(srv, offset):
    with open(srv.log_path, errors="replace") as f:
        f.seek(offset)
        return f.read()


def reload(srv, **changes):
    """Rewrite srv's config with changes merged in, SIGHUP, and wait until
    every loop runs the new generation; return the log written meanwhile."""
    srv.overrides = harness.merge(srv.overrides, changes)
    srv.write_config()
    return hup(srv, r'msg="config reloaded" generation=\d+')


def hup(srv, pattern):
    start = log_size(srv)
    srv.proc.send_signal(signal.SIGHUP)
    harness.wait_until(lambda: re.search(pattern, log_since(srv, start)), 10,
                       what=f"{pattern!r} in {srv.log_path}")
    return log_since(srv, start)


def preflight(srv, origin):
    return srv.http("OPTIONS", "/auth/login",
                    headers={"Origin": origin, "Access-Control-Request-Method": "POST"})


def test_bruteforce_limit_changes_live(t):
    srv = t.start_server("bf", bruteforce={"enabled": True, "account_max_failures": 5,
                                           "ip_max_failures": 1000, "window": 60,
                                           "lockout": 60})
    expect_error(t.login(password=WRONG, server=srv), 401)
    expect(t.login(server=srv), 200)  # under 5: not locked (and the success clears it)
    reload(srv, bruteforce={"account_max_failures": 1})
    expect_error(t.login(password=WRONG, server=srv), 401)
    expect_error(t.login(server=srv), 429)  # the new limit: locked after one


def test_cors_origin_changes_live(t):
    srv = t.start_server("cors", cors={"allowed_origins": [APP]})
    assert preflight(srv, NEW).headers.get("access-control-allow-origin") is None
    assert preflight(srv, APP).headers.get("access-control-allow-origin") == APP
    reload(srv, cors={"allowed_origins": [NEW]})
    assert preflight(srv, NEW).headers.get("access-control-allow-origin") == NEW
    assert preflight(srv, APP).headers.get("access-control-allow-origin") is None


def applied(srv):
    _, _, text = prom.scrape(srv.metrics_port)
    return text.value("authsvc_config_reloads_total", result="applied")


def test_log_level_changes_live(t):
    """From debug to warn: a login's info and debug lines stop. The reload
    is seen through /metrics, since its own log line is info too."""
    port = harness.free_port()
    srv = t.start_server("lvl", metrics={"enabled": True, "listen": f"127.0.0.1:{port}"})
    srv.metrics_port = port

    def login_lines():
        start = log_size(srv)
        expect_error(t.login(password=WRONG, server=srv), 401)
        expect(t.login(server=srv), 200)
        return log_since(srv, start)

    assert re.search(r"level=(info|debug)", login_lines())  # the control
    before = applied(srv)
    srv.overrides = harness.merge(srv.overrides, {"log_level": "warn"})
    srv.write_config()
    srv.proc.send_signal(signal.SIGHUP)
    harness.wait_until(lambda: applied(srv) > before, 10, what="the reload applied")
    text = login_lines()
    assert not re.search(r"level=(info|debug)", text), text


def test_invalid_file_keeps_the_old_config(t):
    srv = t.start_server("bad", cors={"allowed_origins": [APP]})
    with open(srv.conf_path, "a") as f:
        f.write("this is not libconfig\n")
    text = hup(srv, r'msg="config reload refused')
    assert "level=error" in text, text
    assert preflight(srv, APP).headers.get("access-control-allow-origin") == APP
    # a file that parses but fails validation is refused the same way
    srv.overrides = harness.merge(srv.overrides, {"cors": {"allowed_origins": [NEW]},
                                                   "bruteforce": {"window": -1}})
    srv.write_config()
    text = hup(srv, r'msg="config reload refused')
    assert "bruteforce" in text or "window" in text, text
    assert preflight(srv, APP).headers.get("access-control-allow-origin") == APP
    assert preflight(srv, NEW).headers.get("access-control-allow-origin") is None
    expect(t.login(server=srv), 200)
    # and a good file afterwards applies
    srv.overrides["bruteforce"].pop("window")
    reload(srv)
    assert preflight(srv, NEW).headers.get("access-control-allow-origin") == NEW


def test_listen_change_needs_restart(t):
    srv = t.start_server("listen")
    other = harness.free_port()
    srv.overrides = harness.merge(srv.overrides, {"listen": f"127.0.0.1:{other}",
                                                   "workers": 3})
    srv.write_config()
    text = hup(srv, r'msg="config reloaded"')
    m = re.search(r'needs restart[^"]*" keys=(\S+)', text)
    assert m, text
    assert set(m.group(1).split(",")) == {"listen", "workers"}, m.group(1)
    expect(srv.http("GET", "/health"), 200)  # still on the old address
    try:
        harness.http(f"http://127.0.0.1:{other}", "GET", "/health", timeout=2)
        assert False, "answered on the new address without a restart"
    except OSError:
        pass


def test_no_request_fails_across_reloads(t):
    srv = t.start_server("load", loops=2, cors={"allowed_origins": [APP]})
    tokens = t.tokens_for(server=srv)
    stop = threading.Event()
    failures, counts = [], [0, 0]

    def client(i, call):
        while not stop.is_set():
            try:
                r = call()
                if r.status != 200:
                    failures.append(repr(r))
            except OSError as e:
                failures.append(f"{type(e).__name__}: {e}")
            counts[i] += 1

    calls = [lambda: t.me(tokens["accessToken"], server=srv),
             lambda: srv.http("GET", "/health")]
    threads = [threading.Thread(target=client, args=(i, c)) for i, c in enumerate(calls)]
    for th in threads:
        th.start()
    try:
        harness.wait_until(lambda: min(counts) > 20, 10, what="clients running")
        for i in range(6):
            before = list(counts)
            reload(srv, cors={"allowed_origins": [APP, f"https://n{i}.example"]})
            harness.wait_until(lambda: all(c > b for c, b in zip(counts, before)), 10,
                               what="requests after the reload")
    finally:
        stop.set()
        for th in threads:
            th.join(harness.scaled(20))
    assert not failures, failures[:5]
    assert min(counts) > 20, counts


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""/metrics (issue 19): the Prometheus text format on its own listener
(metrics.listen), never on the API port; each family moves when requests,
logins, failed logins and lockouts happen, and the text parses strictly
(tests/integration/prom.py)."""
import harness
from harness import expect, expect_error

import prom

WRONG = "not-the-password-1"


def metered(t, name="metered", **overrides):
    port = harness.free_port()
    srv = t.start_server(name, metrics={"enabled": True, "listen": f"127.0.0.1:{port}"},
                         bruteforce={"enabled": True, "account_max_failures": 2,
                                     "ip_max_failures": 1000, "window": 60, "lockout": 60},
                         **overrides)
    srv.metrics_port = port
    return srv


def scrape(srv):
    status, ctype, text = prom.scrape(srv.metrics_port)
    assert status == 200, (status, text)
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    return text


def test_families_move(t):
    srv = metered(t)
    before = scrape(srv)
    for fam in ("authsvc_http_requests_total", "authsvc_http_request_duration_seconds",
                "authsvc_logins_total", "authsvc_lockouts_total", "authsvc_queue_depth",
                "authsvc_queue_wait_seconds", "authsvc_workers_busy", "authsvc_workers",
                "authsvc_db_connections", "authsvc_revocation_set_size",
                "authsvc_revocation_sync_lag_seconds", "authsvc_outbound_requests_total",
                "authsvc_outbound_request_duration_seconds", "authsvc_config_reloads_total"):
        assert fam in before.types, fam
    assert before.value("authsvc_workers") == 2

    tokens = t.tokens_for(server=srv)
    expect(t.me(tokens["accessToken"], server=srv), 200)
    expect(t.me(tokens["accessToken"], server=srv), 200)
    expect_error(t.login(password=WRONG, server=srv), 401)
    expect_error(t.login(password=WRONG, server=srv), 401)
    expect_error(t.login(server=srv), 429)  # locked: account_max_failures = 2
    expect_error(srv.http("GET", "/no/such/route"), 404)
    t.logout(tokens, server=srv)  # revokes: the set grows

    after = scrape(srv)
    me = dict(method="GET", route="/auth/me")
    login = dict(method="POST", route="/auth/login")

    def moved(name, by=1, **labels):
        a, b = after.total(name, **labels), before.total(name, **labels)
        assert a - b >= by, f"{name} {labels}: {b} -> {a}"

    moved("authsvc_http_requests_total", 2, status="200", **me)
    moved("authsvc_http_requests_total", 1, status="200", **login)
    moved("authsvc_http_requests_total", 2, status="401", **login)
    moved("authsvc_http_requests_total", 1, status="429", **login)
    moved("authsvc_http_requests_total", 1, status="404", method="", route="other")
    moved("authsvc_http_request_duration_seconds_count", 2, **me)
    moved("authsvc_http_request_duration_seconds_bucket", 2, le="+Inf", **me)
    moved("authsvc_logins_total", 1, type="password", result="success")
    moved("authsvc_logins_total", 2, type="password", result="denied")
    moved("authsvc_logins_total", 1, type="password", result="throttled")
    moved("authsvc_lockouts_total", 1, scope="pair")
    moved("authsvc_queue_wait_seconds_count", 4)
    assert after.value("authsvc_db_connections", state="up") >= 1
    assert after.value("authsvc_db_connections", state="down") == 0
    assert after.value("authsvc_revocation_set_size") >= 1
    assert after.value("authsvc_revocation_sync_lag_seconds") >= 0
    assert after.value("authsvc_queue_depth") >= 0
    # no user input became a label: the unknown path is not named
    assert "/no/such/route" not in "".join(str(ls) for _, ls, _ in after.samples)


def test_not_on_the_api_port(t):
    srv = metered(t)
    expect_error(srv.http("GET", "/metrics"), 404)
    status, _, _ = prom.scrape(srv.metrics_port, "/other")
    assert status == 404
    r = harness.http(f"http://127.0.0.1:{srv.metrics_port}", "POST", "/metrics", raw="x")
    assert r.status == 405, r


def test_off_by_default(t):
    """Without metrics.enabled nothing listens (the default config opens no
    port besides the API's)."""
    port = harness.free_port()
    srv = t.start_server("plain", metrics={"listen": f"127.0.0.1:{port}"})
    expect(srv.http("GET", "/health"), 200)
    try:
        r = harness.http(f"http://127.0.0.1:{port}", "GET", "/metrics", timeout=2)
        assert False, f"something answered on the metrics port: {r!r}"
    except OSError:
        pass


def test_same_address_as_api_refused(t):
    """metrics.listen equal to listen is a config error, caught at check time."""
    srv = t.suite.new_server("clash", metrics={"enabled": True, "listen": "127.0.0.1:3999"},
                             listen="127.0.0.1:3999")
    conf = srv.write_config()
    import subprocess
    p = subprocess.run([harness.BIN, "-c", conf, "--check-config"], capture_output=True,
                       text=True)
    assert p.returncode != 0 and "metrics.listen" in p.stderr, (p.returncode, p.stderr)


if __name__ == "__main__":
    harness.main(globals())

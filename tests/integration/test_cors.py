# SPDX-License-Identifier: Apache-2.0
"""CORS for configured browser origins (issue 6): preflights answered by the
server, allowed origins echoed, everything else without CORS headers."""
import harness
from harness import expect, expect_error

APP = "https://app.example"


def cors_server(t, **cors):
    policy = {"allowed_origins": [APP], "max_age": 321}
    policy.update(cors)
    return t.start_server("cors", cors=policy)


def preflight(t, srv, origin, path="/auth/login"):
    return t.http("OPTIONS", path, server=srv,
                  headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                           "Access-Control-Request-Headers": "content-type"})


def test_preflight_for_an_allowed_origin(t):
    r = expect(preflight(t, cors_server(t), APP), 204)
    h = r.headers
    assert h.get("access-control-allow-origin") == APP, h
    assert "POST" in h.get("access-control-allow-methods", ""), h
    assert "content-type" in h.get("access-control-allow-headers", "").lower(), h
    assert "authorization" in h.get("access-control-allow-headers", "").lower(), h
    assert h.get("access-control-max-age") == "321", h
    assert h.get("vary") == "Origin", h
    assert "access-control-allow-credentials" not in h, h


def test_preflight_for_another_origin_has_no_allowance(t):
    r = expect(preflight(t, cors_server(t), "https://evil.example"), 204)
    assert not any(k.startswith("access-control-") for k in r.headers), r.headers


def test_preflight_for_an_unknown_path_is_404(t):
    expect_error(preflight(t, cors_server(t), APP, path="/no/such/thing"), 404)


def test_actual_request_echoes_only_allowed_origins(t):
    srv = cors_server(t)
    r = t.login(server=srv, headers={"Origin": APP})
    expect(r, 200)
    assert r.headers.get("access-control-allow-origin") == APP, r.headers
    r = t.login(server=srv, headers={"Origin": "https://evil.example"})
    expect(r, 200)
    assert "access-control-allow-origin" not in r.headers, r.headers
    # errors carry the allowance too, so the page can read the envelope
    r = t.login(password="wrong-password-1", server=srv, headers={"Origin": APP})
    expect_error(r, 401)
    assert r.headers.get("access-control-allow-origin") == APP, r.headers


def test_credentials_when_configured(t):
    r = expect(preflight(t, cors_server(t, allow_credentials=True), APP), 204)
    assert r.headers.get("access-control-allow-credentials") == "true", r.headers


def test_default_config_allows_no_origin(t):
    r = t.login(headers={"Origin": APP})
    expect(r, 200)
    assert "access-control-allow-origin" not in r.headers, r.headers


def test_bad_origin_config_is_refused(t):
    srv = t.suite.new_server("badcors", cors={"allowed_origins": ["app.example/"]})
    srv.write_config()
    import subprocess
    p = subprocess.run([harness.BIN, "--check-config", "-c", srv.conf_path],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "cors.allowed_origins" in p.stderr, p.stderr


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""Response headers for an auth API (issue 6): nothing cached, no version leak."""
import harness
from harness import expect, expect_error


def check_common(r):
    h = r.headers
    assert h.get("cache-control") == "no-store", h
    assert h.get("pragma") == "no-cache", h
    assert h.get("x-content-type-options") == "nosniff", h
    assert "server" not in h, f"server header leaks: {h.get('server')}"
    assert "x-powered-by" not in h, h
    assert len(h.get("x-request-id", "")) == 16, h


def test_token_responses_are_not_stored(t):
    r = t.http("POST", "/auth/login-token",
               json={"client_id": "web", "client_secret": harness.CLIENT_SECRET,
                     "username": harness.USERNAME, "password": harness.PASSWORD})
    expect(r, 200)
    check_common(r)
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    tokens = r.body
    r = expect(t.refresh(tokens), 200)
    check_common(r)
    r = expect(t.me(r.body["accessToken"]), 200)
    check_common(r)


def test_errors_and_meta_routes_carry_them_too(t):
    r = t.login(password="wrong-password-1")
    expect_error(r, 401)
    check_common(r)
    r = t.http("GET", "/no/such/route")
    expect_error(r, 404)
    check_common(r)
    check_common(expect(t.http("GET", "/health"), 200))
    check_common(expect(t.http("GET", "/.well-known/jwks.json"), 200))


def test_request_ids_differ(t):
    a = t.http("GET", "/health").headers["x-request-id"]
    b = t.http("GET", "/health").headers["x-request-id"]
    assert a != b


if __name__ == "__main__":
    harness.main(globals())

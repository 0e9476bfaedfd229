# SPDX-License-Identifier: Apache-2.0
"""POST /auth/login, /auth/token, /auth/login-token (docs/api.md "Requests and errors")."""
import harness
from harness import (PASSWORD, USER_AGENT, USERNAME, concurrently, expect, expect_error,
                     jwt_parts, wait_until)


def check_token_response(body, access_ttl=900):
    assert isinstance(body, dict), f"not an object: {body!r}"
    for k in ("accessToken", "refreshToken", "expiresIn", "expiresAt"):
        assert k in body, f"TokenResponse without {k}: {body}"
    assert body["accessToken"].count(".") == 2, f"accessToken is not a JWT: {body}"
    assert isinstance(body["refreshToken"], str) and len(body["refreshToken"]) >= 32, body
    assert body["expiresIn"] == access_ttl, f"expiresIn != {access_ttl}: {body}"
    _, payload, _ = jwt_parts(body["accessToken"])
    assert body["expiresAt"] == payload["exp"] * 1000, \
        f"expiresAt {body['expiresAt']} != exp*1000 ({payload['exp']})"
    assert payload["exp"] - payload["iat"] == access_ttl, payload


# -- the happy paths

def test_login_returns_code(t):
    r = expect(t.login(), 200)
    assert isinstance(r.body.get("code"), str) and r.body["code"], f"{r!r}"


def test_login_writes_no_activity(t):
    t.code()
    assert t.db.count("login_activity") == 0, "login (code only) must not record activity"


def test_login_accepts_form_body(t):
    r = expect(t.login(form=True), 200)
    assert r.body.get("code"), f"{r!r}"


def test_code_exchange_returns_token_response(t):
    body = t.exchange(t.code())
    check_token_response(body)
    _, payload, _ = jwt_parts(body["accessToken"])
    assert payload["username"] == USERNAME, payload
    assert payload["tenantId"] == t.fx.tenant_id, payload
    assert payload["iss"] == "authsvc-test", payload


def test_code_exchange_accepts_form_body(t):
    code = t.code()
    r = expect(t.http("POST", "/auth/token", form={"clientId": "web", "code": code}), 200)
    check_token_response(r.body)


def test_login_token_returns_tokens(t):
    r = expect(t.login_token(), 200)
    check_token_response(r.body)


def test_login_token_accepts_form_body(t):
    r = expect(t.login_token(form=True), 200)
    check_token_response(r.body)


def test_client_ttls_are_used(t):
    t.add_client("short", access_ttl=60)
    t.allow_client(USERNAME, "short")
    check_token_response(t.tokens_for(client_id="short"), access_ttl=60)


def test_public_client_needs_no_secret(t):
    t.add_client("spa", secret=None)
    t.allow_client(USERNAME, "spa")
    expect(t.login(client_id="spa", client_secret=None), 200)


def test_confidential_client_without_secret_is_refused(t):
    expect_error(t.login(client_secret=None), 401, "Client Verification Failed")


def test_user_status_3_may_log_in(t):
    t.set_status(3)
    t.exchange(t.code())


# -- validation (422 before any credential check)

def test_empty_body_is_422(t):
    r = t.http("POST", "/auth/login", json={})
    err = expect_error(r, 422, name="UnprocessableEntityError")
    assert err.get("code") == "VALIDATION_FAILED", f"{r!r}"
    assert isinstance(err.get("details"), list) and err["details"], f"{r!r}"


def test_wrong_field_names_are_422(t):
    r = t.http("POST", "/auth/login", json={"clientId": "web", "clientSecret": "test"})
    expect_error(r, 422, name="UnprocessableEntityError")


def test_missing_password_is_422(t):
    r = t.http("POST", "/auth/login",
               json={"client_id": "web", "client_secret": "test", "username": USERNAME})
    expect_error(r, 422)


def test_wrong_types_are_422(t):
    r = t.http("POST", "/auth/login", json={"client_id": "web", "client_secret": "test",
                                            "username": 12345, "password": ["x"]})
    expect_error(r, 422)


def test_unknown_property_is_422(t):
    r = t.http("POST", "/auth/login", json={"client_id": "web", "client_secret": "test",
                                            "username": USERNAME, "password": PASSWORD,
                                            "admin": True})
    expect_error(r, 422)


def test_login_token_empty_body_is_422(t):
    expect_error(t.http("POST", "/auth/login-token", json={}), 422)


def test_token_empty_body_is_422(t):
    expect_error(t.http("POST", "/auth/token", json={}), 422)


def test_token_missing_code_is_422(t):
    expect_error(t.http("POST", "/auth/token", json={"clientId": "web"}), 422)


# -- credentials and clients

def test_unknown_client_is_401(t):
    expect_error(t.login(client_id="web1", client_secret="blah1"), 401,
                 "Client Verification Failed", "UnauthorizedError")


def test_wrong_client_secret_is_401(t):
    expect_error(t.login(client_secret="wrong"), 401, "Client Verification Failed")


def test_unknown_user_is_401_invalid_credentials(t):
    expect_error(t.login(username="nobody"), 401, "Invalid Credentials", "UnauthorizedError")


def test_wrong_password_is_401_invalid_credentials(t):
    expect_error(t.login(password="wrong-password-1"), 401, "Invalid Credentials")


def test_login_token_wrong_password_is_401(t):
    expect_error(t.login_token(password="wrong-password-1"), 401, "Invalid Credentials")


def test_client_not_allowed_for_user_is_401(t):
    expect_error(t.login(client_id="mobile"), 401, "Client Invalid")


def test_login_token_client_not_allowed_is_401(t):
    expect_error(t.login_token(client_id="mobile"), 401, "Client Invalid")


# -- user_tenant status (docs/api.md "Eligibility")

def test_status_registered_is_400_at_login(t):
    t.set_status(0)
    expect_error(t.login(), 400, "User not active yet", "BadRequestError")


def test_status_registered_is_400_at_login_token(t):
    t.set_status(0)
    expect_error(t.login_token(), 400, "User not active yet")


def _inactive_gets_no_tokens(t, status):
    t.set_status(status)
    r = t.login()
    if r.status == 200:  # refused at the exchange instead of the login
        r = t.exchange(r.body["code"], expect_ok=False)
    expect_error(r, 401, "UserInactive")
    assert t.db.count("refresh_tokens") == 0, "tokens were stored for an inactive user"


def test_status_inactive_gets_no_tokens(t):
    _inactive_gets_no_tokens(t, 2)


def test_status_rejected_gets_no_tokens(t):
    _inactive_gets_no_tokens(t, 4)


def test_login_token_status_inactive_is_401(t):
    t.set_status(2)
    expect_error(t.login_token(), 401, "UserInactive")


def test_login_token_status_rejected_is_401(t):
    t.set_status(4)
    expect_error(t.login_token(), 401, "UserInactive")


# -- codes

def test_code_reuse_is_code_expired(t):
    code = t.code()
    t.exchange(code)
    expect_error(t.exchange(code, expect_ok=False), 401, "Code Expired")


def test_expired_code_is_code_expired(t):
    t.add_client("quick", code_ttl=1)
    t.allow_client(USERNAME, "quick")
    code = t.code(client_id="quick")
    wait_until(lambda: t.db.count("auth_codes", "expires_at < now() - interval '100 ms'") > 0,
               3, what="the code's expires_at to pass")
    expect_error(t.exchange(code, client_id="quick", expect_ok=False), 401, "Code Expired")


def test_concurrent_exchanges_one_wins(t):
    code = t.code()
    results = concurrently([lambda: t.exchange(code, expect_ok=False)] * 3)
    statuses = sorted(r.status if isinstance(r, harness.Resp) else repr(r) for r in results)
    assert statuses == [200, 401, 401], f"statuses {statuses}: {results}"
    for r in results:
        if r.status == 401:
            expect_error(r, 401, "Code Expired")


def test_garbage_code_is_401(t):
    expect_error(t.exchange("not-a-code", expect_ok=False), 401)


def test_code_for_other_client_is_401(t):
    t.allow_client(USERNAME, "mobile")
    code = t.code(client_id="web")
    expect_error(t.exchange(code, client_id="mobile", expect_ok=False), 401)
    # ... and the failed attempt used it up or not, but never yields tokens for mobile
    assert t.db.count("refresh_tokens", "client_id = 'mobile'") == 0


def test_unknown_client_at_token_is_client_invalid(t):
    code = t.code()
    expect_error(t.exchange(code, client_id="nope", expect_ok=False), 401, "Client Invalid")


# -- nothing half-written after failures

def test_failed_logins_write_no_rows(t):
    before = t.row_counts()
    attempts = [
        t.login(password="wrong-password-1"),
        t.login(username="nobody"),
        t.login(client_secret="wrong"),
        t.login(client_id="mobile"),
        t.login_token(password="wrong-password-1"),
        t.login_token(client_id="mobile"),
        t.http("POST", "/auth/login", json={}),
        t.exchange("not-a-code", expect_ok=False),
    ]
    for r in attempts:
        assert 400 <= r.status < 500, f"expected a 4xx: {r!r}"
    assert t.row_counts() == before, f"rows changed: {before} -> {t.row_counts()}"


# -- login activity (docs/api.md "Login activity")

def test_exchange_records_access_activity(t):
    t.exchange(t.code(), headers={"User-Agent": "TestAgent/7.1 (integration)"})
    t.wait_rows("login_activity", "login_type = 'ACCESS'")
    row = t.db.sql("SELECT actor, tenant_id, login_type, device_info, ip_address, "
                   "length(token_payload) FROM main.login_activity")
    assert len(row) == 1, f"expected one row: {row}"
    actor, tenant, kind, device, ip, payload_len = row[0]
    assert actor == t.fx.user_id, f"actor {actor} != user {t.fx.user_id}"
    assert tenant == t.fx.tenant_id, f"tenant {tenant} != {t.fx.tenant_id}"
    assert device == "TestAgent/7.1 (integration)", f"device_info {device!r}"
    assert "127.0.0.1" in ip, f"ip_address {ip!r} (activity key unset: stored in clear)"
    assert int(payload_len) > 0, "empty token_payload"


def test_login_token_records_access_activity(t):
    expect(t.login_token(), 200)
    n = t.wait_rows("login_activity", "login_type = 'ACCESS' AND device_info = :'ua'",
                    ua=USER_AGENT)
    assert n == 1, f"{n} rows"


def test_last_login_is_set(t):
    t.exchange(t.code())
    assert t.db.value("SELECT last_login IS NOT NULL FROM main.users WHERE id = :'u'",
                      u=t.fx.user_id) == "t", "users.last_login not set"


if __name__ == "__main__":
    harness.main(globals())

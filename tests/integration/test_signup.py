# SPDX-License-Identifier: Apache-2.0
"""Sign-up (issue 4, docs/api.md "Forgotten passwords and sign-up"): POST
/auth/signup/create-token, GET /auth/signup/verify-token, POST
/auth/signup/create-user, POST /auth/signup/fast.

The invitation goes through a real SMTP server (aiosmtpd); every flow reads
the token from the delivered mail and presents it as a Bearer token."""
import datetime
import time

import harness
import mail
from harness import PASSWORD, ROLE, TENANT_KEY, USERNAME, concurrently, expect, expect_error

SMTP = None
EMAIL = "New.Person@Example.com"
NEW_PASSWORD = "s1gnup-Passw0rd"
LINK = r"https://app\.test/signup\?token=([A-Za-z0-9_-]{43})\b"
SIGNUP = {"signup_tenant": TENANT_KEY, "signup_role": ROLE,
          "signup_url": "https://app.test/signup?token={{token}}",
          "reset_url": "https://app.test/reset?token={{token}}"}


def teardown():
    if SMTP is not None:
        SMTP.close()


def signup_server(t, account=None, notify=None, **extra):
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    acc = dict(SIGNUP)
    acc.update(account or {})
    return t.start_server(notify=SMTP.notify_config(**(notify or {})), account=acc, **extra)


def create_token(t, srv, email=EMAIL, client_id="web", secret="test", data=None):
    body = {"client_id": client_id, "client_secret": secret, "email": email}
    if data is not None:
        body["data"] = data
    return t.http("POST", "/auth/signup/create-token", server=srv, json=body)


def bearer(token):
    return {"Authorization": "Bearer " + token}


def verify_token(t, srv, token):
    return t.http("GET", "/auth/signup/verify-token", server=srv, headers=bearer(token))


def create_user(t, srv, token, email=EMAIL, password=NEW_PASSWORD, **profile):
    return t.http("POST", "/auth/signup/create-user", server=srv, headers=bearer(token),
                  json={"email": email, "password": password, **profile})


def fast(t, srv, username="fast_user", password=NEW_PASSWORD, client_id="web", **extra):
    body = {"client_id": client_id, "client_secret": "test", "username": username}
    if password is not None:
        body["password"] = password
    body.update(extra)
    return t.http("POST", "/auth/signup/fast", server=srv, json=body)


def no_mail_yet():
    assert SMTP.messages() == [], [m["To"] for m in SMTP.messages()]


def invitation(t, srv, email=EMAIL, count=1, **kw):
    expect(create_token(t, srv, email=email, **kw), 204)
    return mail.find(LINK, SMTP.wait_for(email, count=count))


def test_signup_end_to_end(t):
    srv = signup_server(t)
    before = datetime.datetime.now(datetime.timezone.utc)
    r = expect(create_token(t, srv, data={"firstName": "Nova"}), 204)
    assert r.text == "", r
    msg = SMTP.wait_for(EMAIL)
    assert msg["Subject"] == "Finish signing up", msg["Subject"]
    token = mail.find(LINK, msg)
    assert EMAIL in mail.body(msg)
    r = expect(verify_token(t, srv, token), 200)
    assert r.body["email"] == EMAIL and r.body["clientId"] == "web", r
    expiry = datetime.datetime.fromisoformat(r.body["expiry"].replace("Z", "+00:00"))
    assert 1700 < (expiry - before).total_seconds() < 1900, r.body
    r = expect(create_user(t, srv, token), 200)
    assert r.body["email"] == EMAIL and isinstance(r.body.get("user"), dict), r
    assert r.body["user"]["username"] == EMAIL.lower(), r
    assert NEW_PASSWORD not in r.text and "password" not in r.text, r
    row = t.db.sql("SELECT u.username, u.email, u.first_name, ut.status, t.key, ro.name,"
                   " (SELECT id FROM main.auth_clients WHERE client_id = 'web') = ANY"
                   "  (u.auth_client_ids), c.auth_provider"
                   " FROM main.users u JOIN main.user_tenants ut ON ut.user_id = u.id"
                   " JOIN main.tenants t ON t.id = ut.tenant_id"
                   " JOIN main.roles ro ON ro.id = ut.role_id"
                   " JOIN main.user_credentials c ON c.user_id = u.id"
                   " WHERE u.id = :'id'", id=r.body["user"]["id"])
    assert row == [[EMAIL.lower(), EMAIL, "Nova", "1", TENANT_KEY, ROLE, "t", "internal"]], row
    tokens = t.tokens_for(username=EMAIL, password=NEW_PASSWORD, server=srv)
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == EMAIL.lower(), me
    with open(srv.log_path) as f:
        log = f.read()
    assert token not in log and NEW_PASSWORD not in log


def test_profile_fields_and_default_first_name(t):
    srv = signup_server(t)
    token = invitation(t, srv, email="ann@example.com")
    r = expect(create_user(t, srv, token, email="ANN@example.com", username="Ann_B",
                           lastName="Bee", phone="+4915112345678"), 200)
    assert r.body["user"]["username"] == "ann_b", r
    row = t.db.sql("SELECT first_name, last_name, phone FROM main.users WHERE username = 'ann_b'")
    assert row == [["ann", "Bee", "+4915112345678"]], row
    expect(t.login(username="ann_b", password=NEW_PASSWORD, server=srv), 200)


def test_mismatching_email_is_403_and_keeps_the_token(t):
    srv = signup_server(t)
    token = invitation(t, srv)
    expect_error(create_user(t, srv, token, email="someone.else@example.com"), 403,
                 "NotAllowedAccess")
    assert t.db.count("users", "email = 'someone.else@example.com'") == 0
    expect(create_user(t, srv, token), 200)


def test_signup_token_is_single_use(t):
    srv = signup_server(t)
    token = invitation(t, srv)
    expect(create_user(t, srv, token), 200)
    expect_error(create_user(t, srv, token, password="an0ther-Passw0rd"), 401, "TokenRevoked")
    expect_error(verify_token(t, srv, token), 401, "TokenRevoked")
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 1


def test_expired_signup_token_is_401(t):
    srv = signup_server(t, account={"signup_ttl": 1})
    token = invitation(t, srv)
    harness.wait_until(lambda: t.db.value(
        "SELECT count(*) FROM main.action_tokens WHERE expires_at < now()") == "1", 3,
        what="the signup token to expire")
    expect_error(verify_token(t, srv, token), 401, "Token Expired")
    expect_error(create_user(t, srv, token), 401, "Token Expired")
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 0


def test_concurrent_create_user_lets_exactly_one_through(t):
    srv = signup_server(t)
    token = invitation(t, srv)
    results = concurrently([lambda i=i: create_user(t, srv, token, password=f"c0ncurrent-{i}-pw")
                            for i in range(4)])
    assert sorted(r.status for r in results) == [200, 401, 401, 401], results
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 1


def test_duplicates_are_409(t):
    srv = signup_server(t)
    token = invitation(t, srv)
    expect_error(create_user(t, srv, token, username=USERNAME.upper()), 409,
                 "User already exists")
    t.add_user("early_bird", email=EMAIL.upper())
    expect_error(create_user(t, srv, token), 409, "Email already in use")


def test_the_answer_does_not_wait_for_the_invitation(t):
    """create-token answers before it looks the address up: with the token
    table locked, a fresh and a taken address both get their 204; the
    invitation follows the unlock."""
    srv = signup_server(t)
    harness.answers_while_locked(t, "action_tokens",
                                 [lambda e=e: create_token(t, srv, email=e)
                                  for e in (EMAIL, f"{USERNAME}@example.com")],
                                 no_mail_yet)
    assert mail.find(LINK, SMTP.wait_for(EMAIL))
    assert SMTP.wait_for(f"{USERNAME}@example.com")  # "you already have an account"
    harness.wait_until(lambda: t.db.count("action_tokens") == 2, 5, what="both rows")


def test_invitation_for_a_taken_address_tells_the_owner(t):
    """The same 204; the owner of the address gets a "you already have an
    account" mail with no link and no token, and the same row is written
    (born used)."""
    srv = signup_server(t)
    taken = f"{USERNAME}@example.com"
    r = create_token(t, srv, email=taken.upper())
    assert (r.status, r.text) == (204, ""), r
    msg = SMTP.wait_for(taken)
    assert msg["Subject"] == "You already have an account", msg["Subject"]
    body = mail.body(msg)
    assert "already has an account" in body and "http" not in body, body
    harness.wait_until(lambda: t.db.count(
        "action_tokens", "used_at IS NOT NULL AND email IS NULL AND purpose = 'signup'") == 1,
        5, what="the taken address's row")
    assert t.db.count("action_tokens", "used_at IS NULL") == 0
    # an operator's template replaces it
    srv = signup_server(t, notify={"templates": {"signup_exists": {
        "subject": "Account exists", "body": "{{email}} is ours already.\n"}}})
    expect(create_token(t, srv, email=taken), 204)
    msg = SMTP.wait_for(taken)
    assert msg["Subject"] == "Account exists", msg["Subject"]
    assert mail.body(msg).strip() == f"{taken} is ours already.", mail.body(msg)


def test_token_kinds_are_not_interchangeable(t):
    srv = signup_server(t)
    signup_token = invitation(t, srv)
    expect(t.http("POST", "/auth/forget-password", server=srv,
                  json={"username": USERNAME, "client_id": "web", "client_secret": "test"}), 204)
    reset_token = mail.find(r"https://app\.test/reset\?token=([A-Za-z0-9_-]{43})\b",
                            SMTP.wait_for(f"{USERNAME}@example.com"))
    access = t.tokens_for(server=srv)["accessToken"]
    for tok in (reset_token, access):
        expect_error(verify_token(t, srv, tok), 401, "Token Invalid")
        expect_error(create_user(t, srv, tok), 401, "Token Invalid")
    reset = {"password": "n0t-Allowed-pw", "client_id": "web", "client_secret": "test"}
    for tok in (signup_token, access):
        r = t.http("PATCH", "/auth/reset-password", server=srv, json={"token": tok, **reset})
        expect_error(r, 401, "Token Invalid")
        expect_error(t.http("GET", "/auth/verify-reset-password-link?token=" + tok, server=srv),
                     401, "Token Invalid")
    # a signup token is not an access token either
    expect_error(t.me(signup_token, server=srv), 401)
    r = t.http("GET", "/auth/signup/verify-token", server=srv)
    expect_error(r, 401)
    r = t.http("POST", "/auth/signup/create-user", server=srv,
               json={"email": EMAIL, "password": NEW_PASSWORD},
               headers={"Authorization": "Basic " + signup_token})
    expect_error(r, 401)
    # both still work for what they are
    expect(verify_token(t, srv, signup_token), 200)
    expect(t.http("GET", "/auth/verify-reset-password-link?token=" + reset_token, server=srv), 200)


def test_weak_passwords_are_refused_naming_the_rule(t):
    srv = signup_server(t)
    token = invitation(t, srv)
    expect_error(create_user(t, srv, token, password="abc"), 400,
                 "Password must be at least 8 characters")
    expect_error(create_user(t, srv, token, password=EMAIL.upper()), 400,
                 "Password must not be the same as the username")
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 0
    expect(create_user(t, srv, token), 200)


def test_bad_input_is_422_never_500(t):
    srv = signup_server(t)
    for body in ({}, {"client_id": "web", "client_secret": "test"},
                 {"client_id": "web", "client_secret": "test", "email": 5},
                 {"client_id": "web", "client_secret": "test", "email": EMAIL, "data": "x"},
                 {"client_id": "web", "client_secret": "test", "email": EMAIL, "extra": 1}):
        expect_error(t.http("POST", "/auth/signup/create-token", server=srv, json=body), 422)
    for bad in ("no-at-sign", "a@b", "a b@example.com", "@example.com", "a@@example.com",
                "x" * 140 + "@example.com", "a@example..com"):
        expect_error(create_token(t, srv, email=bad), 422)
    token = invitation(t, srv)
    for body in ({}, {"email": EMAIL}, {"password": NEW_PASSWORD},
                 {"email": EMAIL, "password": 5}):
        r = t.http("POST", "/auth/signup/create-user", server=srv, headers=bearer(token),
                   json=body)
        expect_error(r, 422)
    expect_error(create_user(t, srv, token, phone="12ab"), 422)
    expect_error(create_user(t, srv, token, username="u" * 151), 422)
    expect_error(create_user(t, srv, token, firstName="f" * 51), 422)
    expect_error(create_user(t, srv, token, firstName=5), 422)
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 0
    expect(create_user(t, srv, token, extra_field="kept out"), 200)


def test_unknown_client_is_401(t):
    srv = signup_server(t)
    expect_error(create_token(t, srv, client_id="web1"), 401, "Client Verification Failed")
    expect_error(create_token(t, srv, secret="wrong"), 401, "Client Verification Failed")


def test_not_configured_is_501(t):
    srv = signup_server(t, account={"signup_tenant": "", "signup_role": ""})
    expect_error(create_token(t, srv), 501, "Signup not implemented")
    expect_error(verify_token(t, srv, "x"), 501)
    expect_error(create_user(t, srv, "x"), 501)
    srv2 = signup_server(t, name="fast-no-tenant",
                         account={"signup_tenant": "", "signup_role": "", "signup_fast": True})
    expect_error(fast(t, srv2), 501, "Signup not implemented")


def test_configured_tenant_missing_is_500_and_logged(t):
    srv = signup_server(t, account={"signup_tenant": "no-such-tenant"})
    token = invitation(t, srv)
    expect_error(create_user(t, srv, token), 500)
    assert "signup_tenant" in srv.log_tail(50)
    assert t.db.count("users", "lower(email) = lower(:'e')", e=EMAIL) == 0
    expect(verify_token(t, srv, token), 200)  # the failure did not use it


def test_fast_signup_is_off_by_default(t):
    srv = signup_server(t)
    expect_error(fast(t, srv), 403, "NotAllowedAccess")
    assert t.db.count("users", "username = 'fast_user'") == 0


def test_fast_signup(t):
    srv = signup_server(t, account={"signup_fast": True})
    r = expect(fast(t, srv, username="Fast_User", email="fast@example.com",
                    phone="+15551234567"), 204)
    assert r.text == "", r
    row = t.db.sql("SELECT u.username, u.email, u.phone, u.first_name, ut.status"
                   " FROM main.users u JOIN main.user_tenants ut ON ut.user_id = u.id"
                   " WHERE u.username = 'fast_user'")
    assert row == [["fast_user", "fast@example.com", "+15551234567", "fast", "1"]], row
    expect(t.login(username="fast_user", password=NEW_PASSWORD, server=srv), 200)
    expect_error(fast(t, srv, username="FAST_USER"), 409, "User already exists")
    expect_error(fast(t, srv, username="other", email="FAST@example.com"), 409,
                 "Email already in use")
    expect(fast(t, srv, username="minimal"), 204)


def test_fast_signup_validation(t):
    srv = signup_server(t, account={"signup_fast": True})
    expect_error(fast(t, srv, password=None), 422)
    expect_error(fast(t, srv, email="not-an-email"), 422)
    expect_error(fast(t, srv, phone="0123"), 422)
    expect_error(fast(t, srv, phone="+1234567890123456"), 422)
    expect_error(fast(t, srv, username=""), 422)
    expect_error(fast(t, srv, username="u" * 151), 422)
    expect_error(fast(t, srv, password="short"), 400, "Password must be at least 8 characters")
    expect_error(fast(t, srv, username="samesame1", password="SAMESAME1"), 400,
                 "Password must not be the same as the username")
    expect_error(fast(t, srv, extra="x"), 422)
    expect_error(t.http("POST", "/auth/signup/fast", server=srv, json={}), 422)
    expect_error(fast(t, srv, client_id="web1"), 401, "Client Verification Failed")
    assert t.db.count("users") == 1  # only the fixture's


def test_fast_signup_only_for_listed_clients(t):
    srv = signup_server(t, account={"signup_fast": True, "signup_fast_clients": ["mobile"]})
    expect_error(fast(t, srv), 403, "NotAllowedAccess")
    expect(fast(t, srv, client_id="mobile"), 204)
    expect(t.login(username="fast_user", password=NEW_PASSWORD, client_id="mobile",
                   server=srv), 200)
    expect_error(t.login(username="fast_user", password=NEW_PASSWORD, server=srv), 401,
                 "Client Invalid")


if __name__ == "__main__":
    harness.main(globals())

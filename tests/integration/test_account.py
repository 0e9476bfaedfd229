# SPDX-License-Identifier: Apache-2.0
"""Forgotten passwords (issue 4, docs/api.md "Forgotten passwords and sign-up"):
POST /auth/forget-password, GET /auth/verify-reset-password-link,
PATCH /auth/reset-password.

A real SMTP server (aiosmtpd) receives the reset mails; every flow reads the
link from the delivered message. Expiry uses account.reset_ttl = 1 and waits
for the database clock, never minutes."""
import hashlib
import time

import harness
import mail
from harness import PASSWORD, USERNAME, concurrently, expect, expect_error

SMTP = None
TO = f"{USERNAME}@example.com"
NEW_PASSWORD = "n3w-Passw0rd!"
LINK = r"https://app\.test/reset\?token=([A-Za-z0-9_-]{43})\b"


def teardown():
    if SMTP is not None:
        SMTP.close()


def acct_server(t, account=None, notify=None, **extra):
    """A server delivering to the file's SMTP server (started on first use)."""
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    elif SMTP.proc is None:
        SMTP.start()
    SMTP.clear()
    acc = {"reset_url": "https://app.test/reset?token={{token}}"}
    acc.update(account or {})
    return t.start_server(notify=SMTP.notify_config(**(notify or {})), account=acc, **extra)


def forget(t, srv, username=USERNAME, client_id="web", secret="test"):
    return t.http("POST", "/auth/forget-password", server=srv,
                  json={"username": username, "client_id": client_id, "client_secret": secret})


def reset(t, srv, token, password=NEW_PASSWORD, client_id="web", secret="test"):
    return t.http("PATCH", "/auth/reset-password", server=srv,
                  json={"token": token, "password": password, "client_id": client_id,
                        "client_secret": secret})


def verify_link(t, srv, token):
    return t.http("GET", "/auth/verify-reset-password-link?token=" + token, server=srv)


def mailed_token(count=1, to=TO):
    return mail.find(LINK, SMTP.wait_for(to, count=count))


def new_token(t, srv, count=1):
    expect(forget(t, srv), 204)
    return mailed_token(count)


def test_forget_mail_verify_reset_login(t):
    srv = acct_server(t)
    r = expect(forget(t, srv), 204)
    assert r.text == "", r
    msg = SMTP.wait_for(TO)
    assert msg["Subject"] == "Reset your password", msg["Subject"]
    token = mail.find(LINK, msg)
    assert "test_user" in mail.body(msg)
    # stored only as its hash
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert t.db.value("SELECT count(*) FROM main.action_tokens WHERE token_hash = :'h' "
                      "AND purpose = 'reset' AND used_at IS NULL", h=digest) == "1"
    assert t.db.value("SELECT count(*) FROM main.action_tokens WHERE "
                      "position(:'tok' in action_tokens::text) > 0", tok=token) == "0"
    r = expect(verify_link(t, srv, token), 200)
    assert r.body == {"success": True}, r
    expect(verify_link(t, srv, token), 200)  # checking does not use it
    r = expect(reset(t, srv, token), 204)
    assert r.text == "", r
    expect(t.login(password=NEW_PASSWORD, server=srv), 200)
    expect_error(t.login(password=PASSWORD, server=srv), 401, "Invalid Credentials")
    assert t.db.value("SELECT count(*) FROM main.action_tokens WHERE token_hash = :'h' "
                      "AND used_at IS NOT NULL", h=digest) == "1"
    with open(srv.log_path) as f:
        log = f.read()
    assert token not in log and NEW_PASSWORD not in log


def test_reset_ends_every_session_and_code(t):
    srv = acct_server(t)
    a, b = t.tokens_for(server=srv), t.tokens_for(server=srv)
    code = t.code(server=srv)
    expect(reset(t, srv, new_token(t, srv)), 204)
    for s in (a, b):
        expect_error(t.refresh(s, server=srv), 401)
        expect_error(t.me(s["accessToken"], server=srv), 401)
    expect_error(t.exchange(code, server=srv, expect_ok=False), 401)
    tokens = t.tokens_for(password=NEW_PASSWORD, server=srv)
    expect(t.me(tokens["accessToken"], server=srv), 200)


def test_reset_ends_device_tokens(t):
    # a device token exempts its client from the account-wide brute-force
    # rate (docs/security.md); a reset must end that, as change-password does
    srv = acct_server(t, activity={"trusted_proxies": "127.0.0.1"},
                      bruteforce={"enabled": True, "account_max_failures": 3,
                                  "account_rate": 3, "window": 60, "lockout": 60})
    device = {"X-Device-Token": expect(t.login(server=srv), 200).headers["x-device-token"]}
    for i in range(5):
        t.login(password="not-the-password-1", server=srv,
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}"})
    expect(t.login(server=srv, headers=device), 200)  # still exempt
    expect(reset(t, srv, new_token(t, srv)), 204)
    expect_error(t.login(password=NEW_PASSWORD, server=srv, headers=device), 429)


def test_reset_token_is_single_use(t):
    srv = acct_server(t)
    token = new_token(t, srv)
    expect(reset(t, srv, token), 204)
    expect_error(reset(t, srv, token, password="an0ther-Passw0rd"), 401, "TokenRevoked")
    expect_error(verify_link(t, srv, token), 401, "TokenRevoked")
    expect(t.login(password=NEW_PASSWORD, server=srv), 200)
    expect_error(t.login(password="an0ther-Passw0rd", server=srv), 401)


def test_unknown_token_is_401(t):
    srv = acct_server(t)
    expect_error(verify_link(t, srv, "A" * 43), 401, "Token Invalid")
    expect_error(reset(t, srv, "A" * 43), 401, "Token Invalid")
    expect_error(verify_link(t, srv, "not%20a%20token"), 401, "Token Invalid")


def test_expired_reset_token_is_401(t):
    srv = acct_server(t, account={"reset_ttl": 1})
    token = new_token(t, srv)
    harness.wait_until(lambda: t.db.value(
        "SELECT count(*) FROM main.action_tokens WHERE expires_at < now()") == "1", 3,
        what="the reset token to expire")
    expect_error(verify_link(t, srv, token), 401, "Token Expired")
    expect_error(reset(t, srv, token), 401, "Token Expired")
    expect(t.login(password=PASSWORD, server=srv), 200)


def test_concurrent_resets_let_exactly_one_through(t):
    srv = acct_server(t)
    token = new_token(t, srv)
    passwords = [f"c0ncurrent-{i}-pass" for i in range(4)]
    results = concurrently([lambda p=p: reset(t, srv, token, password=p) for p in passwords])
    statuses = [r.status for r in results]
    assert sorted(statuses) == [204, 401, 401, 401], results
    for r in results:
        if r.status == 401:
            expect_error(r, 401, "TokenRevoked")
    winner = passwords[statuses.index(204)]
    expect(t.login(password=winner, server=srv), 200)
    for p in passwords:
        if p != winner:
            expect_error(t.login(password=p, server=srv), 401)


def test_unknown_user_gets_the_same_204_and_no_mail(t):
    srv = acct_server(t)
    known, unknown = forget(t, srv), forget(t, srv, username="no-such-user")
    assert (known.status, known.text) == (unknown.status, unknown.text) == (204, ""), \
        (known, unknown)
    SMTP.wait_for(TO)
    time.sleep(0.3)
    assert len(SMTP.messages()) == 1, [m["To"] for m in SMTP.messages()]
    # the unknown name writes a row too (the same work), born used and bound
    # to no one, so it can never reset anything
    harness.wait_until(lambda: t.db.count(
        "action_tokens", "used_at IS NOT NULL AND user_id IS NULL AND email IS NULL"
        " AND purpose = 'reset'") == 1, 5, what="the unknown name's row")
    assert t.db.count("action_tokens", "used_at IS NULL AND user_id IS NOT NULL") == 1


def test_the_answer_does_not_wait_for_the_users_part(t):
    """The 204 goes out before the user's part (lookup, token row, mail), so
    its time cannot tell who exists: with the token table locked, the
    answer still comes; the mail follows once the lock is gone."""
    srv = acct_server(t)

    def nothing_yet():
        assert SMTP.messages() == []
        assert t.db.count("action_tokens") == 0
    harness.answers_while_locked(t, "action_tokens",
                                 [lambda n=n: forget(t, srv, username=n)
                                  for n in (USERNAME, "no-such-user")], nothing_yet)
    mailed_token()
    harness.wait_until(lambda: t.db.count("action_tokens") == 2, 5, what="both rows")


def test_ineligible_users_get_204_and_no_mail(t):
    srv = acct_server(t)
    t.add_user("ext_user", "ext-passw0rd")
    t.db.sql("UPDATE main.user_credentials SET auth_provider = 'keycloak' WHERE user_id = "
             "(SELECT id FROM main.users WHERE username = 'ext_user')")
    t.add_user("off_user", "off-passw0rd")
    t.set_status(2, username="off_user")  # INACTIVE
    t.add_user("nomail_user", "nomail-passw0rd")
    t.db.sql("UPDATE main.users SET email = NULL WHERE username = 'nomail_user'")
    cases = [forget(t, srv, username="ext_user"), forget(t, srv, username="off_user"),
             forget(t, srv, username="nomail_user"),
             forget(t, srv, client_id="mobile")]  # test_user is not allowed on mobile
    for r in cases:
        assert (r.status, r.text) == (204, ""), r
    # a mail that does go out arrives after anything queued before it
    t.add_user("ok_user", "ok-passw0rd")
    expect(forget(t, srv, username="ok_user"), 204)
    SMTP.wait_for("ok_user@example.com")
    time.sleep(0.3)
    assert [m["To"] for m in SMTP.messages()] == ["ok_user@example.com"], \
        [m["To"] for m in SMTP.messages()]
    assert t.db.count("action_tokens", "used_at IS NULL") == 1
    assert t.db.count("action_tokens", "used_at IS NOT NULL AND user_id IS NULL") == 4


def test_sigterm_right_after_the_answer_still_sends_the_mail(t):
    """The user's part queued after the 204 is work the server accepted:
    a SIGTERM right after the answer drains it, then the mail queue."""
    srv = acct_server(t)
    expect(forget(t, srv), 204)
    srv.stop()  # SIGTERM at once; asserts a clean exit
    assert mailed_token()
    assert t.db.count("action_tokens", "used_at IS NULL") == 1


def test_unknown_client_is_401(t):
    srv = acct_server(t)
    expect_error(forget(t, srv, client_id="web1"), 401, "Client Verification Failed")
    expect_error(forget(t, srv, secret="wrong"), 401, "Client Verification Failed")


def test_forget_is_rate_limited_per_user(t):
    srv = acct_server(t, notify={"send_per_user": 2})
    for name in (USERNAME, "no-such-user"):  # the same for an unknown user
        expect(forget(t, srv, username=name), 204)
        expect(forget(t, srv, username=name.upper()), 204)
        r = forget(t, srv, username=name)
        expect_error(r, 429)
        assert int(r.headers.get("retry-after", "0")) > 0, r.headers
    SMTP.wait_for(TO, count=2)
    time.sleep(0.3)
    assert len(SMTP.messages(TO)) == 2


def test_forget_is_rate_limited_per_address(t):
    srv = acct_server(t, notify={"send_per_ip": 3})
    for i in range(3):
        expect(forget(t, srv, username=f"someone{i}"), 204)
    r = forget(t, srv)
    expect_error(r, 429)
    assert int(r.headers.get("retry-after", "0")) > 0, r.headers


def test_reset_policy_refusals_name_the_rule_and_change_nothing(t):
    srv = acct_server(t, password={"min_length": 8})
    token = new_token(t, srv)
    expect_error(reset(t, srv, token, password="abc"), 400,
                 "Password must be at least 8 characters")
    expect_error(reset(t, srv, token, password=USERNAME.upper()), 400,
                 "Password must not be the same as the username")
    expect_error(reset(t, srv, token, password=PASSWORD), 401,
                 "Password cannot be same as previous password!")
    expect_error(reset(t, srv, token, password=""), 400, "PasswordInvalid")
    expect(t.login(password=PASSWORD, server=srv), 200)
    # a refusal does not use the token
    expect(verify_link(t, srv, token), 200)
    expect(reset(t, srv, token), 204)


def test_reset_refuses_one_of_the_last_passwords(t):
    srv = acct_server(t, account={"password_history": 3})
    expect(reset(t, srv, new_token(t, srv, 1)), 204)
    expect(reset(t, srv, new_token(t, srv, 2), password="th1rd-Passw0rd"), 204)
    token = new_token(t, srv, 3)
    for old in (PASSWORD, NEW_PASSWORD):
        expect_error(reset(t, srv, token, password=old), 400,
                     "Password cannot be one of the last 3 passwords")
    expect(t.login(password="th1rd-Passw0rd", server=srv), 200)
    expect(reset(t, srv, token, password="f0urth-Passw0rd"), 204)
    # history keeps password_history - 1 earlier hashes
    assert t.db.value("SELECT count(*) FROM main.password_history") == "2"
    # the oldest (the fixture's) has left the window of 3
    expect(reset(t, srv, new_token(t, srv, 4), password=PASSWORD), 204)


def change_password(t, srv):
    """PATCH /auth/change-password from PASSWORD to NEW_PASSWORD, logged in."""
    tokens = t.tokens_for(server=srv)
    return t.http("PATCH", "/auth/change-password", server=srv,
                  json={"username": USERNAME, "password": NEW_PASSWORD,
                        "oldPassword": PASSWORD, "refreshToken": tokens["refreshToken"]},
                  headers={"Authorization": "Bearer " + tokens["accessToken"]})


def test_change_password_feeds_the_history(t):
    srv = acct_server(t)
    expect(change_password(t, srv), 200)
    expect_error(reset(t, srv, new_token(t, srv), password=PASSWORD), 400,
                 "Password cannot be one of the last 5 passwords")


def test_change_password_ends_reset_links_mailed_before(t):
    srv = acct_server(t)
    token = new_token(t, srv)
    expect(change_password(t, srv), 200)
    expect_error(verify_link(t, srv, token), 401, "TokenRevoked")
    expect_error(reset(t, srv, token, password="An0ther-passw0rd"), 401, "TokenRevoked")
    expect(t.login(password=NEW_PASSWORD, server=srv), 200)


def test_reset_token_is_bound_to_its_client(t):
    srv = acct_server(t)
    t.allow_client(USERNAME, "mobile")
    token = new_token(t, srv)
    expect_error(reset(t, srv, token, client_id="mobile"), 401, "Client Invalid")
    expect_error(reset(t, srv, token, secret="wrong"), 401, "Client Verification Failed")
    expect(reset(t, srv, token), 204)


def test_reset_activates_waiting_memberships(t):
    srv = acct_server(t)
    for status in (0, 3):
        t.set_status(status)
        if status == 0:
            expect_error(t.login(server=srv), 400, "User not active yet")
        token = new_token(t, srv, 1 if status == 0 else 2)
        password = f"act1vated-{status}-pw"
        expect(reset(t, srv, token, password=password), 204)
        assert t.db.value("SELECT status FROM main.user_tenants WHERE id = :'id'",
                          id=t.fx.user_tenant_id) == "1"
        expect(t.login(password=password, server=srv), 200)


def test_user_deactivated_after_the_mail_cannot_reset(t):
    srv = acct_server(t)
    token = new_token(t, srv)
    t.set_status(4)  # REJECTED
    expect_error(reset(t, srv, token), 401, "UserInactive")


def test_bad_input_is_4xx(t):
    srv = acct_server(t)
    creds = {"client_id": "web", "client_secret": "test"}
    for body in ({}, {"password": NEW_PASSWORD, **creds}, {"token": "x", **creds},
                 {"token": 1, "password": NEW_PASSWORD, **creds},
                 {"token": "x", "password": NEW_PASSWORD, "extra": 1, **creds}):
        expect_error(t.http("PATCH", "/auth/reset-password", server=srv, json=body), 422)
    for body in ({}, {"username": USERNAME}, {"username": None, **creds}, [], "x"):
        r = t.http("POST", "/auth/forget-password", server=srv, json=body)
        assert 400 <= r.status < 500, r
    expect_error(t.http("GET", "/auth/verify-reset-password-link", server=srv), 400)
    expect_error(verify_link(t, srv, ""), 400)
    r = forget(t, srv, username="x" * 5000)
    assert r.status in (204, 413, 422), r


def test_smtp_down_answers_503_and_recovers(t):
    srv = acct_server(t, notify={"send_per_user": 100, "send_per_ip": 100, "retries": 0})
    SMTP.stop()
    try:
        def refused():
            r = forget(t, srv)
            assert r.status in (204, 503), r
            return r if r.status == 503 else None
        r = harness.wait_until(refused, 3, interval=0.2, what="forget-password to answer 503")
        expect_error(r, 503)
        assert int(r.headers.get("retry-after", "0")) > 0, r.headers
        assert srv.alive()
    finally:
        SMTP.start()
    harness.wait_until(lambda: forget(t, srv).status == 204, 10, interval=0.5,
                       what="forget-password to recover")
    token = mailed_token()
    expect(reset(t, srv, token), 204)


if __name__ == "__main__":
    harness.main(globals())

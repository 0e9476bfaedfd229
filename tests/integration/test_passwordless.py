# SPDX-License-Identifier: Apache-2.0
"""Passwordless login by an e-mailed code (issue 3, docs/api.md "Second factor and passwordless login").

A real SMTP server (aiosmtpd) receives the codes. Unknown keys get the same
204 and the same database work (a row whose code nobody is sent)."""
import harness
import mail
from harness import expect, expect_error, USERNAME, concurrently

SMTP = None
TO = f"{USERNAME}@example.com"


def teardown():
    if SMTP is not None:
        SMTP.close()


def pwl_server(t, name="pwl", otp=None, notify=None, **extra):
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    plugins = {"local": {"file": "local.so"}, "passwordless": {"file": "passwordless.so"}}
    return t.start_server(name, plugins=plugins, otp=otp or {},
                          notify=SMTP.notify_config(**(notify or {})), **extra)


def start(t, srv, key=USERNAME, client_id="web", secret="test"):
    return t.http("POST", "/auth/passwordless/start", server=srv,
                  json={"client_id": client_id, "client_secret": secret, "key": key})


def verify(t, srv, otp, key=USERNAME):
    return t.http("POST", "/auth/passwordless/verify", server=srv, json={"key": key, "otp": otp})


def no_mail_yet():
    assert SMTP.messages() == [], [m["To"] for m in SMTP.messages()]


def mailed_code(count=1):
    return mail.find(r"sign-in code is (\S+)", SMTP.wait_for(TO, count=count))


def test_mailed_code_logs_in(t):
    srv = pwl_server(t)
    expect(start(t, srv), 204)
    msg = SMTP.wait_for(TO)
    assert msg["Subject"] == "Your sign-in code"
    otp = mail.find(r"sign-in code is (\d{6})\b", msg)
    r = verify(t, srv, otp)
    expect(r, 200)
    tokens = t.exchange(r.body["code"], server=srv)
    me = t.me(tokens["accessToken"], server=srv)
    expect(me, 200)
    assert me.body["username"] == USERNAME
    # single use
    expect_error(verify(t, srv, otp), 401, "Otp Token Incorrect or Expired")
    assert otp not in open(srv.log_path).read()


def test_the_answer_does_not_wait_for_the_code(t):
    """start answers once the delivery check and the send limits pass; the
    lookup, the code row and the mail come after the 204, so the answer's
    time does not tell a known key from an unknown one: with the code table
    locked, both still get their 204, and the code follows the unlock."""
    srv = pwl_server(t)
    harness.answers_while_locked(t, "otp_pending",
                                 [lambda k=k: start(t, srv, key=k)
                                  for k in (USERNAME, "no-such-user")],
                                 no_mail_yet)
    r = verify(t, srv, mailed_code())
    expect(r, 200)
    assert "code" in r.body, r.body
    harness.wait_until(lambda: t.db.count("otp_pending") == 1, 5,
                       what="the unknown key's row")  # the used code is gone


def test_key_is_case_insensitive(t):
    srv = pwl_server(t)
    expect(start(t, srv, key=USERNAME.upper()), 204)
    expect(verify(t, srv, mailed_code(), key=USERNAME), 200)


def test_unknown_user_gets_the_same_answer_and_no_mail(t):
    srv = pwl_server(t)
    known, unknown = start(t, srv), start(t, srv, key="no-such-user")
    assert (known.status, known.text) == (unknown.status, unknown.text) == (204, ""), \
        (known, unknown)
    SMTP.wait_for(TO)
    assert len(SMTP.messages()) == 1
    # the decoy row exists (written after the answer), bound to no user,
    # and no code opens it
    harness.wait_until(lambda: t.db.value(
        "SELECT count(*) FROM main.otp_pending WHERE key = 'no-such-user' "
        "AND user_id IS NULL") == "1", 5, what="the decoy row")
    expect_error(verify(t, srv, "000000", key="no-such-user"), 401, "Otp Invalid")


def test_user_without_email_is_answered_like_an_unknown_one(t):
    srv = pwl_server(t)
    t.db.sql("UPDATE main.users SET email = NULL WHERE username = :'u'", u=USERNAME)
    r = start(t, srv)
    expect(r, 204)
    harness.wait_until(lambda: t.db.value(
        "SELECT count(*) FROM main.otp_pending WHERE user_id IS NULL") == "1", 5,
        what="the row without a user")
    assert SMTP.messages() == []


def test_wrong_codes_burn_the_code(t):
    srv = pwl_server(t, otp={"max_attempts": 2})
    start(t, srv)
    otp = mailed_code()
    wrong = "111111" if otp != "111111" else "222222"
    expect_error(verify(t, srv, wrong), 401, "Otp Invalid")
    expect_error(verify(t, srv, wrong), 401, "Otp Invalid")
    expect_error(verify(t, srv, otp), 401, "Otp Token Incorrect or Expired")


def test_new_start_replaces_the_code(t):
    srv = pwl_server(t)
    start(t, srv)
    first = mailed_code(1)
    start(t, srv)
    second = mailed_code(2)
    assert t.db.count("otp_pending") == 1
    if first != second:
        expect_error(verify(t, srv, first), 401, "Otp Invalid")
    expect(verify(t, srv, second), 200)


def test_expired_code(t):
    srv = pwl_server(t, otp={"ttl": 1})
    start(t, srv)
    otp = mailed_code()
    harness.wait_until(lambda: t.db.value(
        "SELECT count(*) FROM main.otp_pending WHERE expires_at < now()") == "1", 3,
        what="the code to expire")
    expect_error(verify(t, srv, otp), 401, "Otp Token Incorrect or Expired")


def test_configured_alphabet_and_length(t):
    srv = pwl_server(t, otp={"length": 8, "alphabet": "ABCDEFGHJKLMNPQRSTUVWXYZ"})
    start(t, srv)
    otp = mailed_code()
    assert len(otp) == 8 and all(c in "ABCDEFGHJKLMNPQRSTUVWXYZ" for c in otp), otp
    expect(verify(t, srv, otp), 200)


def test_concurrent_verifies_let_one_through(t):
    srv = pwl_server(t)
    start(t, srv)
    otp = mailed_code()
    results = concurrently([lambda: verify(t, srv, otp) for _ in range(3)])
    assert sorted(r.status for r in results) == [200, 401, 401], results


def test_ineligible_user_gets_no_code_exchange(t):
    srv = pwl_server(t)
    t.set_status(2)  # INACTIVE
    start(t, srv)
    expect_error(verify(t, srv, mailed_code()), 401, "UserInactive")


def test_bad_input(t):
    srv = pwl_server(t)
    expect_error(t.http("POST", "/auth/passwordless/start", server=srv,
                        json={"client_id": "web", "client_secret": "test"}), 422)
    expect_error(start(t, srv, secret="wrong"), 401, "Client Verification Failed")
    expect_error(start(t, srv, client_id="nope"), 401, "Client Verification Failed")
    expect_error(t.http("POST", "/auth/passwordless/verify", server=srv, json={"key": "x"}), 422)
    expect_error(t.http("POST", "/auth/passwordless/verify", server=srv,
                        json={"key": "x", "otp": 123456}), 422)
    expect_error(start(t, srv, key=""), 422)
    expect_error(start(t, srv, key="x" * 200), 422)
    assert srv.alive()


def test_starts_are_rate_limited(t):
    srv = pwl_server(t, notify={"send_per_user": 2, "send_per_ip": 3})
    codes = [start(t, srv).status for _ in range(3)]
    assert codes == [204, 204, 429], codes
    # per address (the refused third did not count): the next key hits it
    codes = [start(t, srv, key=f"user{i}").status for i in range(2)]
    assert codes == [204, 429], codes


def signup_server(t, account=True):
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    plugins = {"local": {"file": "local.so"},
               "passwordless": {"file": "passwordless.so", "settings": {"signup": True}}}
    acct = {"signup_tenant": harness.TENANT_KEY, "signup_role": harness.ROLE} if account else {}
    return t.start_server("pwlsignup", plugins=plugins, account=acct,
                          notify=SMTP.notify_config())


NEW = "New.Person@example.org"


def test_signup_on_first_login(t):
    srv = signup_server(t)
    expect(start(t, srv, key=NEW), 204)
    msg = SMTP.wait_for(NEW.lower())
    otp = mail.find(r"sign-in code is (\S+)", msg)
    assert t.db.count("users", "lower(email) = :'e'", e=NEW.lower()) == 0  # not before the code
    expect_error(verify(t, srv, "000000" if otp != "000000" else "111111", key=NEW), 401,
                 "Otp Invalid")
    assert t.db.count("users", "lower(email) = :'e'", e=NEW.lower()) == 0
    r = verify(t, srv, otp, key=NEW)
    expect(r, 200)
    tokens = t.exchange(r.body["code"], server=srv)
    me = t.me(tokens["accessToken"], server=srv)
    expect(me, 200)
    assert me.body["username"] == NEW.lower(), me.body
    row = t.db.sql("SELECT u.first_name, c.password FROM main.users u JOIN "
                   "main.user_credentials c ON c.user_id = u.id WHERE u.username = :'u'",
                   u=NEW.lower())
    assert row == [["new.person", "!"]], row
    # no password was set: a password login cannot succeed
    expect_error(t.login(username=NEW.lower(), password="!", server=srv), 401)
    # the second login finds the account
    expect(start(t, srv, key=NEW), 204)
    expect(verify(t, srv, mailed_code_to(NEW.lower(), 2), key=NEW), 200)
    assert t.db.count("users", "lower(email) = :'e'", e=NEW.lower()) == 1


def mailed_code_to(to, count):
    return mail.find(r"sign-in code is (\S+)", SMTP.wait_for(to, count=count))


def test_signup_needs_the_plugin_setting_and_a_tenant(t):
    srv = pwl_server(t)  # signup off
    expect(start(t, srv, key=NEW), 204)
    srv2 = signup_server(t, account=False)  # on, but no account.signup_tenant
    expect(start(t, srv2, key=NEW), 204)
    start(t, srv2)  # a known user's mail, to know delivery has run
    SMTP.wait_for(TO)
    assert SMTP.messages(NEW.lower()) == []
    expect_error(verify(t, srv2, "000000", key=NEW), 401, "Otp Invalid")
    assert t.db.count("users", "lower(email) = :'e'", e=NEW.lower()) == 0


def test_signup_through_the_1_1_space_name(t):
    """A plugin built for ABI 1.1 asked for sign-up with the space name
    "passwordless-signup" (tests/abi/pwl11_plugin.c); 1.2 turns that into
    AUTHSVC_OTP_SIGNUP, so the old plugin still signs people up."""
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    who = "Old.Plugin@example.org"
    srv = t.start_server("pwl11", plugins={"local": {"file": "local.so"},
                                           "pwl_11": {"file": "pwl_11.so"}},
                         account={"signup_tenant": harness.TENANT_KEY,
                                  "signup_role": harness.ROLE},
                         notify=SMTP.notify_config())
    expect(t.http("POST", "/test/pwl11/start", server=srv,
                  json={"client_id": "web", "client_secret": "test", "key": who}), 204)
    otp = mail.find(r"sign-in code is (\S+)", SMTP.wait_for(who.lower()))
    r = expect(t.http("POST", "/test/pwl11/verify", server=srv,
                      json={"key": who, "otp": otp}), 200)
    me = expect(t.me(t.exchange(r.body["code"], server=srv)["accessToken"], server=srv), 200)
    assert me.body["username"] == who.lower(), me.body


def test_mfa_gate_counts_the_mailed_code_as_the_factor(t):
    srv = pwl_server(t, mfa={"mode": "all", "method": "otp"})
    start(t, srv)
    r = verify(t, srv, mailed_code())
    expect(r, 200)
    expect(t.exchange(r.body["code"], server=srv, expect_ok=False), 200)


if __name__ == "__main__":
    harness.main(globals())

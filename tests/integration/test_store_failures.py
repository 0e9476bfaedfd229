# SPDX-License-Identifier: Apache-2.0
"""A store failure ends a request one way: 503 + Retry-After (or 500) with the
error envelope, and its cause in the server log at error level with the
request id. The brute-force counters fail closed: an attempt whose failure
cannot be written is not answered as if it had been counted."""
import harness
import mail
from harness import USERNAME, expect, expect_error

WRONG = "not-the-password-1"
POLICY = {"enabled": True, "account_max_failures": 3, "ip_max_failures": 1000,
          "window": 60, "lockout": 2}
SMTP = None


def teardown():
    if SMTP is not None:
        SMTP.close()


def guarded(t, name="counters"):
    # statement_timeout_ms bounds the wait behind the lock below: the write
    # ends in SQLSTATE 57014, which the store reports as 503
    return t.start_server(name, bruteforce=POLICY, statement_timeout_ms=300)


def counters_locked(t):
    """Writes to auth_failures block (reads do not) until release()."""
    return t.db.hold("LOCK TABLE main.auth_failures IN EXCLUSIVE MODE")


def expect_store_503(srv, resp):
    """503, the envelope, Retry-After, and the cause logged for this request."""
    expect_error(resp, 503)
    assert resp.headers.get("retry-after", "").strip().isdigit(), resp.headers
    rid = resp.headers.get("x-request-id")
    assert rid, resp.headers
    with open(srv.log_path, errors="replace") as f:
        lines = [line for line in f if f"req={rid} " in line and "store error" in line]
    assert lines, f"no store error logged for req={rid}:\n{srv.log_tail()}"
    assert "level=error" in lines[0] and "sqlstate=57014" in lines[0], lines


def test_wrong_password_that_cannot_be_counted_answers_503(t):
    srv = guarded(t)
    holder = counters_locked(t)
    try:
        expect_store_503(srv, t.login(password=WRONG, server=srv))
        # the right password answers the same while the counters cannot be
        # written: no answer tells a right guess from a wrong one
        expect_store_503(srv, t.login(server=srv))
        expect_store_503(srv, t.login_token(server=srv))
        assert holder.poll() is None, "the lock holder ended early"
    finally:
        holder.release()
    assert t.db.count("auth_failures") == 0
    # counted again once the table is free: the threshold holds as before
    for _ in range(POLICY["account_max_failures"]):
        expect_error(t.login(password=WRONG, server=srv), 401, "Invalid Credentials")
    expect_error(t.login(server=srv), 429)


def test_wrong_client_secret_that_cannot_be_counted_answers_503(t):
    srv = guarded(t, "client-counters")
    holder = counters_locked(t)
    try:
        expect_store_503(srv, t.login(client_secret="not-the-secret", server=srv))
    finally:
        holder.release()
    expect_error(t.login(client_secret="not-the-secret", server=srv), 401,
                 "Client Verification Failed")
    assert t.db.count("auth_failures") >= 1


def test_counters_off_do_not_touch_the_table(t):
    """With bruteforce disabled the lock is irrelevant: a plain 401 and a
    plain login (the fail-closed rule is about counting, not the table)."""
    srv = t.start_server("uncounted", bruteforce={"enabled": False}, statement_timeout_ms=300)
    holder = counters_locked(t)
    try:
        expect_error(t.login(password=WRONG, server=srv), 401, "Invalid Credentials")
        expect(t.login(server=srv), 200)
    finally:
        holder.release()


def test_mfa_second_factor_that_cannot_be_counted_answers_503(t):
    """verify-otp: a wrong code that cannot be counted, and a right one whose
    success cannot be cleared, both 503; the MFA transaction outlives that,
    so the right code works once the counters can be written."""
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    srv = t.start_server("mfa-counters", bruteforce=POLICY, statement_timeout_ms=300,
                         mfa={"mode": "all", "method": "otp", "ttl": 60},
                         notify=SMTP.notify_config(),
                         plugins={"local": {"file": "local.so"}, "otp": {"file": "otp.so"}})
    expect(t.login(server=srv), 200)
    otp = mail.find(r"code is (\S+)", SMTP.wait_for(f"{USERNAME}@example.com"))
    wrong = "000000" if otp != "000000" else "111111"

    def verify(code):
        return t.http("POST", "/auth/verify-otp", server=srv,
                      json={"key": USERNAME, "otp": code})
    holder = counters_locked(t)
    try:
        expect_store_503(srv, verify(wrong))
        expect_store_503(srv, verify(otp))
    finally:
        holder.release()
    # nothing was counted while the table was locked (the password step's
    # own attempt was handed back when it succeeded)
    assert t.db.count("auth_failures") == 0, t.db.sql("SELECT * FROM main.auth_failures")
    r = expect(verify(otp), 200)
    assert r.body.get("code"), r


if __name__ == "__main__":
    harness.main(globals())

"""Brute-force protection (issue 6): failure counters per account and per
address in PostgreSQL, 429 + Retry-After while locked, shared by instances."""
import time

import harness
from harness import expect, expect_error

WRONG = "not-the-password-1"


def guarded(t, name="guarded", **bf):
    policy = {"enabled": True, "account_max_failures": 3, "ip_max_failures": 1000,
              "window": 60, "lockout": 2}
    policy.update(bf)
    return t.start_server(name, bruteforce=policy)


def expect_locked(resp):
    expect_error(resp, 429)
    ra = resp.headers.get("retry-after")
    assert ra is not None and ra.isdigit() and int(ra) >= 1, f"Retry-After: {resp!r}"


def test_account_locks_after_threshold(t):
    srv = guarded(t)
    for _ in range(3):
        expect_error(t.login(password=WRONG, server=srv), 401, "Invalid Credentials")
    # locked: even the right password is refused, without checking it
    expect_locked(t.login(server=srv))
    expect_locked(t.login_token(server=srv))


def test_unknown_account_locks_the_same_way(t):
    srv = guarded(t)
    known, unknown = [], []
    for _ in range(4):
        known.append(t.login(password=WRONG, server=srv))
        unknown.append(t.login(username="no-such-user", password=WRONG, server=srv))
    assert [r.status for r in known] == [r.status for r in unknown] == [401, 401, 401, 429], \
        (known, unknown)
    assert known[0].body == unknown[0].body and known[3].body == unknown[3].body


def test_lock_expires_and_success_clears_the_counter(t):
    srv = guarded(t)
    for _ in range(3):
        t.login(password=WRONG, server=srv)
    expect_locked(t.login(server=srv))
    harness.wait_until(lambda: t.login(server=srv).status == 200, harness.scaled(6),
                       interval=0.2, what="lock to expire")
    # the success cleared the account counter: two more failures do not lock it
    for _ in range(2):
        expect_error(t.login(password=WRONG, server=srv), 401)
    expect(t.login(server=srv), 200)


def test_other_accounts_are_not_locked(t):
    srv = guarded(t)
    t.add_user("bystander", "bystander-pass-1")
    for _ in range(3):
        t.login(password=WRONG, server=srv)
    expect_locked(t.login(server=srv))
    expect(t.login(username="bystander", password="bystander-pass-1", server=srv), 200)


def test_address_locks_across_accounts(t):
    srv = guarded(t, account_max_failures=100, ip_max_failures=4)
    for i in range(4):
        expect_error(t.login(username=f"user{i}", password=WRONG, server=srv), 401)
    expect_locked(t.login(username="fresh-name", password=WRONG, server=srv))
    expect_locked(t.login(server=srv))


def test_forged_forwarded_for_does_not_dodge_the_address_lock(t):
    # Behind a trusted proxy, the client writes whatever it likes to the left of
    # what the proxy appends: rotating that part must not give it new addresses.
    srv = t.start_server("guarded-proxied", activity={"trusted_proxies": "127.0.0.1"},
                         bruteforce={"enabled": True, "account_max_failures": 100,
                                     "ip_max_failures": 3, "window": 60, "lockout": 2})
    for i in range(3):
        xff = {"X-Forwarded-For": f"10.9.{i}.1, 203.0.113.50"}
        expect_error(t.login(username=f"user{i}", password=WRONG, server=srv, headers=xff), 401)
    expect_locked(t.login(username="fresh", password=WRONG, server=srv,
                          headers={"X-Forwarded-For": "10.9.200.1, 203.0.113.50"}))
    # the lock is on 203.0.113.50, not on the proxy: another client still gets in
    expect(t.login(server=srv, headers={"X-Forwarded-For": "203.0.113.51"}), 200)
    rows = t.db.sql("SELECT subject FROM main.auth_failures WHERE kind = 'ip'")
    assert ["203.0.113.50"] in rows and not any(r[0].startswith("10.9.") for r in rows), rows


def test_wrong_client_secrets_lock_the_address(t):
    srv = guarded(t, ip_max_failures=3)
    for _ in range(3):
        expect_error(t.login(client_secret="wrong-secret", server=srv), 401,
                     "Client Verification Failed")
    expect_locked(t.login(server=srv))


def test_instances_share_the_counters(t):
    a = guarded(t, "a")
    b = guarded(t, "b")
    for srv in (a, b, a):
        expect_error(t.login(password=WRONG, server=srv), 401)
    expect_locked(t.login(server=b))
    expect_locked(t.login(server=a))


def test_disabled_never_locks(t):
    srv = guarded(t, enabled=False)
    for _ in range(6):
        expect_error(t.login(password=WRONG, server=srv), 401)
    expect(t.login(server=srv), 200)


def test_counters_are_in_the_database(t):
    srv = guarded(t)
    t.login(password=WRONG, server=srv)
    rows = t.db.sql("SELECT kind, subject, failures FROM main.auth_failures ORDER BY kind")
    assert ["account", harness.USERNAME.lower(), "1"] in rows, rows
    assert any(r[0] == "ip" and r[1] == "127.0.0.1" for r in rows), rows


if __name__ == "__main__":
    harness.main(globals())

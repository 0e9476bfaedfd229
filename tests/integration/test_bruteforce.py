# SPDX-License-Identifier: Apache-2.0
"""Brute-force protection (issues 6 and 15): attempts counted per (account,
address) and per address in PostgreSQL, an account-wide rate for clients
without a device token, 429 + Retry-After when refused, shared by
instances. docs/security.md says why."""
import harness
from harness import USERNAME, PASSWORD, concurrently, expect, expect_error

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
    # locked from this address: even the right password is refused, unchecked
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


PROXIED = {"trusted_proxies": "127.0.0.1"}


def attacker(i):
    """Headers of guess number i, from its own address (the proxy appends it)."""
    return {"X-Forwarded-For": f"198.51.{i // 250}.{i % 250 + 1}"}


def device_login(t, srv, address="192.0.2.10"):
    """The owner logs in once from its own address; returns its device token."""
    r = expect(t.login(server=srv, headers={"X-Forwarded-For": address}), 200)
    token = r.headers.get("x-device-token")
    assert token and len(token) == 64, r.headers
    cookie = r.headers.get("set-cookie", "")
    assert cookie.startswith(f"authsvc_device={token};") and "HttpOnly" in cookie, cookie
    assert token not in open(srv.log_path).read(), "a device token reached the log"
    return token


def rate_guarded(t, name="rate", **bf):
    policy = {"enabled": True, "account_max_failures": 3, "account_rate": 5,
              "ip_max_failures": 1000, "window": 60, "lockout": 60}
    policy.update(bf)
    return t.start_server(name, bruteforce=policy, activity=PROXIED)


def test_many_addresses_cannot_lock_out_a_device_that_logged_in_before(t):
    srv = rate_guarded(t)
    token = device_login(t, srv)
    for i in range(30):
        t.login(password=WRONG, server=srv, headers=attacker(i))
    # the account-wide limit is exhausted for everyone without a device token...
    expect_locked(t.login(server=srv, headers={"X-Forwarded-For": "192.0.2.10"}))
    # ...but not for the owner's device, by header or by cookie, from anywhere
    for hdrs in ({"X-Device-Token": token}, {"Cookie": f"theme=dark; authsvc_device={token}"}):
        hdrs["X-Forwarded-For"] = "203.0.113.77"
        r = expect(t.login(server=srv, headers=hdrs), 200)
        assert "x-device-token" not in r.headers, "a live token is not replaced"
        assert t.exchange(r.body["code"], server=srv)["accessToken"]


def test_the_account_rate_holds_however_many_addresses_guess(t):
    srv = rate_guarded(t)
    statuses = [t.login(password=WRONG, server=srv, headers=attacker(i)).status
                for i in range(30)]
    # each address is fresh, so only the account-wide rate (5 per window) stops them
    assert statuses == [401] * 5 + [429] * 25, statuses
    r = t.login(password=WRONG, server=srv, headers=attacker(99))
    expect_locked(r)
    # a bucket, not a lock: the wait is for one attempt's share of the window
    assert int(r.headers["retry-after"]) <= 60 // 5 + 1, r.headers


def test_a_device_token_counts_only_for_its_own_user(t):
    srv = rate_guarded(t)
    t.add_user("bystander", "bystander-pass-1")
    r = expect(t.login(username="bystander", password="bystander-pass-1", server=srv), 200)
    theirs = r.headers["x-device-token"]
    for i in range(10):
        t.login(password=WRONG, server=srv, headers=attacker(i))
    expect_locked(t.login(server=srv, headers={"X-Device-Token": theirs}))
    expect_locked(t.login(server=srv, headers={"X-Device-Token": "0" * 64}))


def test_a_device_is_locked_on_its_own_failures(t):
    srv = rate_guarded(t)
    token = device_login(t, srv)
    hdrs = {"X-Device-Token": token}
    for _ in range(3):
        expect_error(t.login(password=WRONG, server=srv, headers=hdrs), 401)
    expect_locked(t.login(server=srv, headers=hdrs))


def test_owner_without_a_device_token_waits_for_the_bucket_not_a_lockout(t):
    # Chosen behaviour: a client that never logged in before shares the
    # account-wide rate with the attacker. It is refused with a short
    # Retry-After (one attempt's share of the window), never locked out:
    # once the guessing pauses for that long, the right password gets in.
    srv = rate_guarded(t, account_rate=2, window=4)
    for i in range(6):
        t.login(password=WRONG, server=srv, headers=attacker(i))
    fresh = {"X-Forwarded-For": "192.0.2.200"}
    r = t.login(server=srv, headers=fresh)
    expect_locked(r)
    assert int(r.headers["retry-after"]) <= 3, r.headers
    harness.wait_until(lambda: t.login(server=srv, headers=fresh).status == 200,
                       harness.scaled(10), interval=0.2, what="the bucket to refill")


def test_change_of_password_revokes_device_tokens(t):
    srv = rate_guarded(t)
    token = device_login(t, srv)
    tokens = t.tokens_for(server=srv)
    body = {"username": USERNAME, "password": "An0ther-passw0rd!", "oldPassword": PASSWORD,
            "refreshToken": tokens["refreshToken"]}
    expect(t.http("PATCH", "/auth/change-password", json=body, server=srv,
                  headers={"Authorization": "Bearer " + tokens["accessToken"]}), 200)
    for i in range(10):
        t.login(password=WRONG, server=srv, headers=attacker(i))
    expect_locked(t.login(password="An0ther-passw0rd!", server=srv,
                          headers={"X-Device-Token": token}))


def test_parallel_wrong_logins_get_no_more_checks_than_the_limit(t):
    srv = guarded(t, account_max_failures=5, lockout=60)
    results = concurrently([lambda: t.login(password=WRONG, server=srv)] * 40)
    statuses = sorted(r.status for r in results)
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 40, \
        statuses


def test_parallel_wrong_logins_from_many_addresses_get_no_more_than_the_rate(t):
    srv = rate_guarded(t, account_max_failures=100, account_rate=5)
    results = concurrently([lambda i=i: t.login(password=WRONG, server=srv, headers=attacker(i))
                            for i in range(40)])
    statuses = sorted(r.status for r in results)
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 40, \
        statuses


def change_password(t, srv, tokens, old):
    body = {"username": USERNAME, "password": "An0ther-passw0rd!", "oldPassword": old,
            "refreshToken": tokens["refreshToken"]}
    return t.http("PATCH", "/auth/change-password", json=body, server=srv,
                  headers={"Authorization": "Bearer " + tokens["accessToken"]})


def test_wrong_old_passwords_are_throttled_like_logins(t):
    srv = guarded(t, lockout=60)
    tokens = t.tokens_for(server=srv)
    for _ in range(3):
        expect_error(change_password(t, srv, tokens, WRONG), 401, "Incorrect Password")
    expect_locked(change_password(t, srv, tokens, WRONG))
    # the same throttle: the login from this address is held too
    expect_locked(t.login(server=srv))


def test_parallel_wrong_old_passwords_get_no_more_checks_than_the_limit(t):
    srv = guarded(t, account_max_failures=5, lockout=60)
    tokens = t.tokens_for(server=srv)
    results = concurrently([lambda: change_password(t, srv, tokens, WRONG)] * 20)
    statuses = sorted(r.status for r in results)
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 20, \
        statuses


def test_counters_are_in_the_database(t):
    srv = guarded(t)
    t.login(password=WRONG, server=srv)
    rows = t.db.sql("SELECT kind, subject, failures FROM main.auth_failures ORDER BY kind")
    user = harness.USERNAME.lower()
    assert ["pair", f"{user} 127.0.0.1", "1"] in rows, rows
    assert ["acct", user, "1"] in rows, rows
    assert ["ip", "127.0.0.1", "1"] in rows, rows


if __name__ == "__main__":
    harness.main(globals())

"""Four instances on one database behind one address (a round-robin TCP
balancer on loopback, tests/integration/scale.py): the shared state —
brute-force counters, OTP attempts and the MFA step, auth codes, refresh
rotation, revocations — agrees across all four under concurrent requests
(docs/scaling.md). Races are repeated: each must come out the same way
every time, on whichever two instances it runs."""
import random
import threading
import time

import harness
import mail
import scale
from harness import USERNAME, concurrently, expect, expect_error, wait_until

N = 4
RACES = 25          # refresh-token and code races, each on a random pair
LOAD_CLIENTS = 6    # threads of login/refresh/logout through the balancer
LOAD_ROUNDS = 8     # rounds per thread (bounded by count, not by time)
SMTP = None


def teardown():
    if SMTP is not None:
        SMTP.close()


def four(t, **overrides):
    """Four instances (the first makes the signing keys) and a balancer."""
    servers = [t.start_server(f"i{i}", **overrides) for i in range(N)]
    lb = scale.Balancer(servers).start()
    t._servers.append(_Stoppable(lb))
    return servers, lb


class _Stoppable:
    """Lets T.finish() stop the balancer with the servers."""

    def __init__(self, lb):
        self.lb = lb

    def stop(self):
        self.lb.stop()


def refused_everywhere(t, access, servers):
    return all(t.me(access, server=s).status == 401 for s in servers)


def test_a_refresh_token_raced_on_two_instances_succeeds_on_exactly_one(t):
    servers, lb = four(t)
    for i in range(RACES):
        a, b = random.sample(servers, 2)
        tokens = t.tokens_for(server=lb)
        results = concurrently([lambda s=a: t.refresh(tokens, server=s),
                                lambda s=b: t.refresh(tokens, server=s)])
        statuses = sorted(getattr(r, "status", repr(r)) for r in results)
        assert statuses == [200, 401], f"race {i} on {a.name}/{b.name}: {results}"
        # the loser saw the token used: the row says so once, for everyone
        assert t.db.count("refresh_tokens") >= 2, f"race {i}: no rotation recorded"


def test_an_auth_code_raced_on_four_instances_is_exchanged_once(t):
    servers, lb = four(t)
    for i in range(RACES):
        code = t.code(server=lb)
        results = concurrently([lambda s=s: t.exchange(code, server=s, expect_ok=False)
                                for s in servers])
        statuses = sorted(getattr(r, "status", repr(r)) for r in results)
        assert statuses == [200] + [401] * (N - 1), f"race {i}: {results}"


def test_brute_force_counters_are_shared_by_all_four(t):
    servers, lb = four(t, bruteforce={"enabled": True, "account_max_failures": 5,
                                      "account_rate": 1000, "ip_max_failures": 1000,
                                      "lockout": 60})
    results = concurrently([lambda: t.login(password="wrong-password-1", server=lb)] * 24)
    statuses = sorted(r.status for r in results)
    # counted before judged, in one statement: five checks in all, not per instance
    assert statuses == [401] * 5 + [429] * 19, statuses
    for s in servers:
        expect_error(t.login(server=s), 429)


def mfa_four(t):
    global SMTP
    if SMTP is None:
        SMTP = mail.Smtp(t.suite.tmp).start()
    SMTP.clear()
    plugins = {"local": {"file": "local.so", "settings": {"login_token": True}},
               "otp": {"file": "otp.so"}}
    return four(t, mfa={"mode": "all", "method": "otp", "ttl": 60}, otp={"max_attempts": 3},
                notify=SMTP.notify_config(), plugins=plugins,
                bruteforce={"enabled": True, "account_max_failures": 100,
                            "account_rate": 1000})


def test_otp_attempts_and_the_mfa_step_are_shared_by_all_four(t):
    servers, lb = mfa_four(t)
    mine = expect(t.login(server=lb), 200).body["code"]
    msg = SMTP.wait_for(f"{USERNAME}@example.com")
    otp = mail.find(r"code is (\S+)", msg)
    wrong = "000000" if otp != "000000" else "111111"
    results = concurrently([lambda: t.http("POST", "/auth/verify-otp", server=lb,
                                           json={"key": USERNAME, "otp": wrong, "code": mine})]
                           * 20)
    checked = [r for r in results if r.body["error"]["message"] == "Otp Invalid"]
    assert all(r.status in (401, 429) for r in results), results
    # three checks in all across the four, then the step is burned everywhere
    assert len(checked) <= 3, [r.text for r in results]
    assert t.db.count("otp_pending") == 0
    for s in servers:
        expect_error(t.http("POST", "/auth/verify-otp", server=s,
                            json={"key": USERNAME, "otp": otp, "code": mine}), 401)


def test_rotation_and_revocation_agree_under_concurrent_load(t):
    servers, lb = four(t)
    lock = threading.Lock()
    logged_out, rotated, live, bad = [], [], [], []

    def client():
        for _ in range(LOAD_ROUNDS):
            tokens = t.tokens_for(server=lb)
            r = t.refresh(tokens, server=lb)
            if r.status != 200:
                with lock:
                    bad.append(r)
                continue
            new = r.body
            with lock:
                rotated.append(tokens)
            if random.random() < 0.5:
                r = t.logout(new, server=lb)
                with lock:
                    (logged_out if r.status == 200 else bad).append(new if r.status == 200
                                                                     else r)
            else:
                with lock:
                    live.append(new)

    threads = [threading.Thread(target=client) for _ in range(LOAD_CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(harness.scaled(120))
    assert not bad, bad[:5]
    assert not any(th.is_alive() for th in threads), "load threads did not finish"
    # every instance refuses every revoked access token (notify, else the poll)
    wait_until(lambda: all(refused_everywhere(t, s["accessToken"], servers)
                           for s in logged_out + rotated),
               10, interval=0.1, what="all four instances to refuse every revoked token")
    for s in live:
        for srv in servers:
            expect(t.me(s["accessToken"], server=srv), 200)
    # a rotated refresh token stays used wherever it comes back
    for s in random.sample(rotated, min(8, len(rotated))):
        expect_error(t.refresh(s, server=random.choice(servers)), 401)
    for s in logged_out[:8]:
        expect_error(t.refresh(s, server=random.choice(servers)), 401)


if __name__ == "__main__":
    harness.main(globals())

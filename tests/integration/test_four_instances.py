# SPDX-License-Identifier: Apache-2.0
"""Four instances on one database behind one address (a round-robin TCP
balancer on loopback, tests/integration/scale.py): the shared state —
brute-force counters, OTP attempts and the MFA step, auth codes, social
login transactions, refresh rotation, revocations — agrees across all four under concurrent requests
(docs/scaling.md). Races are repeated: each must come out the same way
every time, on whichever two instances it runs."""
import random
import threading
import urllib.parse

import harness
import mail
import oidc
import scale
from harness import (CLIENT_SECRET, REDIRECT_URL, USERNAME, concurrently, expect, expect_error,
                     wait_until)

N = 4
RACES = 25          # refresh-token and code races, each on a random pair
LOAD_CLIENTS = 6    # threads of login/refresh/logout through the balancer
LOAD_ROUNDS = 8     # rounds per thread (bounded by count, not by time)
SMTP = None
IDP = []
IDP_CLIENT, IDP_SECRET = "authsvc-kc", "kc-secret-0123456789"


def teardown():
    if SMTP is not None:
        SMTP.close()
    for p in IDP:
        p.close()


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


def social_four(t):
    """Four instances with the keycloak plugin; the provider sends the
    browser back to the first one's address, whichever instance started."""
    port = harness.free_port()
    callback = f"http://127.0.0.1:{port}/auth/keycloak-auth-redirect"
    accounts = {"alice": {"email": f"{USERNAME}@example.com", "email_verified": True}}
    idp = oidc.Provider(t.suite.tmp, [oidc.issuer(
        "keycloak", [oidc.client(IDP_CLIENT, IDP_SECRET, [callback])], accounts)]).start()
    IDP.append(idp)  # closed at the end of the file
    settings = {"issuer": idp.issuer_url("keycloak"), "client_id": IDP_CLIENT,
                "client_secret": IDP_SECRET, "redirect_uri": callback, "allow_http": True,
                "cookie_secure": False, "link_by_email": True, "timeout_ms": 5000}
    plugins = {"local": {"file": "local.so"},
               "keycloak": {"file": "keycloak.so", "settings": settings}}
    servers = []
    for i in range(N):
        srv = t.suite.new_server(f"kc{i}", plugins=plugins)
        if i == 0:
            srv.fixed_port = port
        t._servers.append(srv)
        servers.append(srv.start())
    return idp, servers


def test_a_login_transaction_started_on_one_instance_completes_once_on_any(t):
    idp, servers = social_four(t)
    for i in range(5):
        first = random.choice(servers)
        r = expect(t.http("POST", "/auth/keycloak", server=first,
                          form={"client_id": "web", "client_secret": CLIENT_SECRET}), 302)
        cookie = r.headers["set-cookie"].split(";")[0]
        loc = idp.browser_login(r.headers["location"], "alice")
        path = loc[len(servers[0].url):]
        # the browser's callback, raced on all four instances at once
        results = concurrently([lambda s=s: t.http("GET", path, server=s,
                                                    headers={"Cookie": cookie})
                                for s in servers])
        won = [r for r in results if r.status == 302]
        assert len(won) == 1 and all(r.status == 401 for r in results if r.status != 302), \
            f"round {i}: {results}"
        to = won[0].headers["location"]
        assert to.startswith(REDIRECT_URL) and "code=" in to, to
        code = dict(urllib.parse.parse_qsl(to.split("?", 1)[1]))["code"]
        tokens = t.exchange(code, server=random.choice(servers))
        expect(t.me(tokens["accessToken"], server=random.choice(servers)), 200)


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

# SPDX-License-Identifier: Apache-2.0
"""Social login through the keycloak plugin against a real OpenID Connect
provider (tests/oidc: npm oidc-provider with Keycloak's issuer layout
…/realms/<realm>), driven as a browser over HTTP: start → 302 to the
provider → its login and consent pages → callback → 302 to the client
with code → /auth/token → /auth/me. And the bad cases, each checking that
nothing was written (no identity, user, code or login activity)."""
import hashlib
import urllib.parse

import harness
import oidc
from harness import CLIENT_SECRET, REDIRECT_URL, USERNAME, expect, expect_error, free_port

IDP_CLIENT, IDP_SECRET = "authsvc-kc", "kc-secret-0123456789"
ACCOUNTS = {
    "alice": {"email": f"{USERNAME}@example.com", "email_verified": True, "name": "Alice"},
    "mallory": {"email": f"{USERNAME}@example.com", "email_verified": False},
    "stranger": {"email": "stranger@example.org", "email_verified": True},
    # names longer than users.first_name/last_name (varchar(50)), in letters
    # of two and three bytes
    "longnames": {"email": "long@example.org", "email_verified": True,
                  "given_name": "\u0416" * 60, "family_name": "\u20ac" * 70},
}
PEERS = {}


def teardown():
    for p in PEERS.values():
        if isinstance(p, oidc.Provider):
            p.close()
        elif isinstance(p, harness.Server):
            p.stop()


def setup(t):
    """The provider and an authsvc with the keycloak plugin, once per file."""
    if "srv" in PEERS and PEERS["srv"].alive():
        return PEERS["idp"], PEERS["srv"]
    port, PEERS["signup_port"] = free_port(), free_port()
    callback = f"http://127.0.0.1:{port}/auth/keycloak-auth-redirect"
    signup_cb = f"http://127.0.0.1:{PEERS['signup_port']}/auth/keycloak-auth-redirect"
    idp = oidc.Provider(t.suite.tmp, [oidc.issuer("keycloak", [
        oidc.client(IDP_CLIENT, IDP_SECRET, [callback, signup_cb])], ACCOUNTS)]).start()
    PEERS["idp"] = idp
    srv = t.suite.new_server("kc", plugins=plugins(idp, callback))
    srv.fixed_port = port
    PEERS["srv"] = srv.start()
    return idp, srv


def plugins(idp, callback, **settings):
    s = {"issuer": idp.issuer_url("keycloak"), "client_id": IDP_CLIENT,
         "client_secret": IDP_SECRET, "redirect_uri": callback, "allow_http": True,
         "cookie_secure": False, "link_by_email": True, "timeout_ms": 5000}
    s.update(settings)
    return {"local": {"file": "local.so"}, "keycloak": {"file": "keycloak.so", "settings": s}}


def start(t, srv, state=None, secret=CLIENT_SECRET, client_id="web"):
    form = {"client_id": client_id, "client_secret": secret}
    if state is not None:
        form["state"] = state
    return t.http("POST", "/auth/keycloak", form=form, server=srv)


def cookie_of(r):
    return r.headers["set-cookie"].split(";")[0]


def callback(t, srv, loc, cookie):
    path = loc[len(srv.url):]
    return t.http("GET", path, server=srv, headers={"Cookie": cookie} if cookie else {})


def login_at_provider(t, idp, srv, login="alice", state=None, consent=True):
    r = expect(start(t, srv, state=state), 302)
    assert r.headers["location"].startswith(idp.issuer_url("keycloak") + "/auth?"), r.headers
    cookie = cookie_of(r)
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Lax" in r.headers["set-cookie"]
    loc = idp.browser_login(r.headers["location"], login, consent=consent)
    assert loc.startswith(srv.url + "/auth/keycloak-auth-redirect?"), loc
    return loc, cookie


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def written(t):
    """What a refused login must not have added."""
    return {table: t.db.count(table) for table in
            ("user_identities", "users", "auth_codes", "login_activity")}


def test_full_login_links_by_verified_email_and_me_shows_the_user(t):
    idp, srv = setup(t)
    loc, cookie = login_at_provider(t, idp, srv, state="tab=7&client_id=web&x=a b")
    r = expect(callback(t, srv, loc, cookie), 302)
    to = r.headers["location"]
    assert to.startswith(REDIRECT_URL + "?code="), to
    q = query(to)
    assert q["tab"] == "7" and q["x"] == "a b" and "client_id" not in q, q
    tokens = t.exchange(q["code"])
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == USERNAME, me
    assert t.db.value("SELECT count(*) FROM main.user_identities WHERE provider = 'keycloak' "
                      "AND subject = 'alice' AND user_id = :'u'", u=t.fx.user_id) == "1"
    # the next login matches by (provider, subject), and the transaction is gone
    assert t.db.count("login_transactions") == 0
    loc, cookie = login_at_provider(t, idp, srv)
    expect(callback(t, srv, loc, cookie), 302)


def test_plain_caller_state_round_trips_and_query_redirects_use_ampersand(t):
    idp, srv = setup(t)
    t.db.sql("UPDATE main.auth_clients SET redirect_url = :'u' WHERE client_id = 'web'",
             u=REDIRECT_URL + "?app=1")
    loc, cookie = login_at_provider(t, idp, srv, state="opaque-123")
    to = expect(callback(t, srv, loc, cookie), 302).headers["location"]
    assert to.startswith(REDIRECT_URL + "?app=1&code="), to
    assert query(to)["state"] == "opaque-123", to


def test_forged_replayed_expired_and_cookieless_callbacks_write_nothing(t):
    idp, srv = setup(t)
    loc, cookie = login_at_provider(t, idp, srv)
    before = written(t)
    q = query(loc)
    forged = loc.replace(q["state"], harness.b64url_encode(b"f" * 32))
    expect_error(callback(t, srv, forged, cookie), 401)
    expect_error(callback(t, srv, loc, None), 401)
    expect_error(callback(t, srv, loc, cookie.split("=")[0] + "=other"), 401)
    assert written(t) == before
    expect(callback(t, srv, loc, cookie), 302)
    after = written(t)
    expect_error(callback(t, srv, loc, cookie), 401)  # replayed
    assert written(t) == after
    loc, cookie = login_at_provider(t, idp, srv)
    t.db.sql("UPDATE main.login_transactions SET expires_at = now() - interval '1 second'")
    before = written(t)
    expect_error(callback(t, srv, loc, cookie), 401)
    assert written(t) == before


def test_provider_error_redirects_to_the_client_with_error(t):
    idp, srv = setup(t)
    before = written(t)
    loc, cookie = login_at_provider(t, idp, srv, state="tab=2", consent=False)
    to = expect(callback(t, srv, loc, cookie), 302).headers["location"]
    q = query(to)
    assert to.startswith(REDIRECT_URL + "?error=") and q["error"] == "access_denied", to
    assert q["tab"] == "2" and "code" not in q, q
    assert written(t) == before


def test_bad_id_tokens_are_refused_and_write_nothing(t):
    idp, srv = setup(t)
    try:
        for mode in ("bad_aud", "bad_iss", "bad_nonce", "bad_sig", "alg_none", "expired"):
            loc, cookie = login_at_provider(t, idp, srv)
            before = written(t)
            idp.mode("keycloak", id_token=mode)
            r = callback(t, srv, loc, cookie)
            idp.mode("keycloak")
            expect_error(r, 401)
            assert written(t) == before, mode
    finally:
        idp.mode("keycloak")


def test_jwks_rotation_at_the_provider_still_logs_in(t):
    idp, srv = setup(t)
    loc, cookie = login_at_provider(t, idp, srv)
    expect(callback(t, srv, loc, cookie), 302)  # the JWKS is cached now
    idp.rotate("keycloak")
    loc, cookie = login_at_provider(t, idp, srv)
    to = expect(callback(t, srv, loc, cookie), 302).headers["location"]
    assert "code=" in to, to


def test_unverified_email_and_unknown_identity_are_refused(t):
    idp, srv = setup(t)
    for login in ("mallory", "stranger"):  # unverified e-mail; signup off
        loc, cookie = login_at_provider(t, idp, srv, login=login)
        before = written(t)
        expect_error(callback(t, srv, loc, cookie), 401)
        assert written(t) == before, login


def test_wrong_client_secret_at_the_start_is_401_without_redirect(t):
    _, srv = setup(t)
    before = t.db.count("login_transactions")
    r = start(t, srv, secret="wrong")
    expect_error(r, 401)
    assert "location" not in r.headers and "set-cookie" not in r.headers, r.headers
    assert t.db.count("login_transactions") == before


def test_provider_down_or_slow_gives_502_or_504(t):
    idp, _ = setup(t)
    down = f"http://127.0.0.1:{free_port()}/realms/authsvc"
    srv = t.start_server("kcdown", plugins=plugins(idp, "http://127.0.0.1:9/cb", issuer=down))
    expect_error(start(t, srv), 502)
    slow = t.start_server("kcslow", plugins=plugins(idp, "http://127.0.0.1:9/cb",
                                                    timeout_ms=300))
    idp.mode("keycloak", delay_ms=3000)
    try:
        expect_error(start(t, slow), 504)
        # the server keeps answering while the provider is slow
        expect(t.http("GET", "/health", server=slow), 200)
    finally:
        idp.mode("keycloak")
    assert t.db.count("login_transactions") == 0


def signup_server(t, idp):
    port = PEERS["signup_port"]
    cb = f"http://127.0.0.1:{port}/auth/keycloak-auth-redirect"
    srv = t.suite.new_server("kcsignup", plugins=plugins(
        idp, cb, signup=True, signup_tenant=harness.TENANT_KEY, signup_role=harness.ROLE))
    srv.fixed_port = port
    t._servers.append(srv)
    return srv.start()


def test_signup_cuts_a_long_name_to_its_column_in_characters(t):
    # A provider's names are not the user's input to refuse: the account
    # is created with each name cut to 50 characters, never a 500.
    idp, _ = setup(t)
    srv = signup_server(t, idp)
    loc, cookie = login_at_provider(t, idp, srv, login="longnames")
    to = expect(callback(t, srv, loc, cookie), 302).headers["location"]
    tokens = t.exchange(query(to)["code"])
    expect(t.me(tokens["accessToken"], server=srv), 200)
    first, last = t.db.sql("SELECT first_name, last_name FROM main.users "
                           "WHERE email = 'long@example.org'")[0]
    assert (first, last) == ("\u0416" * 50, "\u20ac" * 50), (first, last)


def test_signup_creates_the_user_only_when_on(t):
    idp, _ = setup(t)
    srv = signup_server(t, idp)
    loc, cookie = login_at_provider(t, idp, srv, login="stranger")
    to = expect(callback(t, srv, loc, cookie), 302).headers["location"]
    tokens = t.exchange(query(to)["code"])
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == "stranger@example.org", me
    assert t.db.value("SELECT count(*) FROM main.user_identities i JOIN main.users u "
                      "ON u.id = i.user_id WHERE i.subject = 'stranger' "
                      "AND u.email = 'stranger@example.org'") == "1"
    # an unverified e-mail is never signed up
    loc, cookie = login_at_provider(t, idp, srv, login="mallory")
    before = written(t)
    expect_error(callback(t, srv, loc, cookie), 401)
    assert written(t) == before


def test_provider_calls_and_social_logins_are_counted(t):
    """/metrics (issue 19): calls to the provider by result (ok, error,
    timeout) and the social login's outcome."""
    import prom
    idp, _ = setup(t)
    port, mport = PEERS["signup_port"], free_port()
    metrics = {"enabled": True, "listen": f"127.0.0.1:{mport}"}
    cb = f"http://127.0.0.1:{port}/auth/keycloak-auth-redirect"
    srv = t.suite.new_server("kcmetrics", plugins=plugins(idp, cb), metrics=metrics)
    srv.fixed_port = port
    t._servers.append(srv)
    srv.start()
    loc, cookie = login_at_provider(t, idp, srv)
    expect(callback(t, srv, loc, cookie), 302)
    _, _, m = prom.scrape(mport)
    assert m.value("authsvc_outbound_requests_total", provider="keycloak", result="ok") >= 2
    assert m.value("authsvc_outbound_request_duration_seconds_count", provider="keycloak") >= 2
    assert m.total("authsvc_logins_total", type="social", result="success") == 1

    down = f"http://127.0.0.1:{free_port()}/realms/authsvc"
    dport = free_port()
    dsrv = t.start_server("kcdownm", plugins=plugins(idp, "http://127.0.0.1:9/cb", issuer=down),
                          metrics={"enabled": True, "listen": f"127.0.0.1:{dport}"})
    expect_error(start(t, dsrv), 502)
    _, _, m = prom.scrape(dport)
    assert m.value("authsvc_outbound_requests_total", provider="keycloak", result="error") == 1
    sport = free_port()
    slow = t.start_server("kcslowm", plugins=plugins(idp, "http://127.0.0.1:9/cb",
                                                     timeout_ms=300),
                          metrics={"enabled": True, "listen": f"127.0.0.1:{sport}"})
    idp.mode("keycloak", delay_ms=3000)
    try:
        expect_error(start(t, slow), 504)
    finally:
        idp.mode("keycloak")
    _, _, m = prom.scrape(sport)
    assert m.value("authsvc_outbound_requests_total", provider="keycloak", result="timeout") == 1


if __name__ == "__main__":
    harness.main(globals())

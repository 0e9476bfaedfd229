# SPDX-License-Identifier: Apache-2.0
"""The google, azure, cognito and autha plugins against a real OpenID
Connect provider (tests/oidc, one issuer per provider layout: Google's
root issuer signing with ES256, Azure's <tenant>/v2.0 with the oid claim,
Cognito's user-pool issuer, an autha tenant), each through the full
browser-side flow; the autha public-client start with its challenge bound
to the code; PKCE on the password code flow; the routes in /openapi.json."""
import hashlib
import json
import urllib.parse

import harness
import mail
import oidc
from harness import CLIENT_SECRET, PASSWORD, REDIRECT_URL, USERNAME, expect, expect_error, \
    free_port

EMAIL = f"{USERNAME}@example.com"
ACCOUNTS = {"alice": {"email": EMAIL, "email_verified": True, "oid": "oid-alice-1",
                      "tid": "11111111-2222-3333-4444-555555555555", "hd": "example.com"}}
CALLBACKS = {"google": "google-auth-redirect", "azure": "azure-oauth-redirect",
             "cognito": "cognito-auth-redirect", "autha": "autha-redirect"}
VERIFIER = harness.b64url_encode(b"v" * 40)
CHALLENGE = harness.b64url_encode(hashlib.sha256(VERIFIER.encode()).digest())
PEERS = {}


def teardown():
    for name in ("srv", "mfa_srv"):
        if name in PEERS:
            PEERS[name].stop()
    if "idp" in PEERS:
        PEERS["idp"].close()
    if "smtp" in PEERS:
        PEERS["smtp"].close()


def setup(t):
    if "srv" in PEERS and PEERS["srv"].alive():
        return PEERS["idp"], PEERS["srv"]
    port, PEERS["mfa_port"] = free_port(), free_port()
    base = f"http://127.0.0.1:{port}/auth/"
    mfa_base = f"http://127.0.0.1:{PEERS['mfa_port']}/auth/"
    idp = oidc.Provider(t.suite.tmp, [
        oidc.issuer(name, [oidc.client(f"{name}-app", f"{name}-secret-0123456789",
                                       [base + cb, mfa_base + cb])], ACCOUNTS,
                    alg="ES256" if name == "google" else "RS256")
        for name, cb in CALLBACKS.items()]).start()
    PEERS["idp"] = idp
    plugins = {"local": {"file": "local.so"}}
    for name in CALLBACKS:
        s = {"issuer": idp.issuer_url(name), "client_id": f"{name}-app",
             "client_secret": f"{name}-secret-0123456789", "redirect_uri": base + CALLBACKS[name],
             "allow_http": True, "cookie_secure": False, "link_by_email": True}
        if name == "google":
            s.update(algs="ES256", hosted_domain="example.com")
        if name == "azure":
            s["token_auth"] = "client_secret_post"
        plugins[name] = {"file": f"{name}.so", "settings": s}
    srv = t.suite.new_server("social", plugins=plugins)
    srv.fixed_port = port
    PEERS["srv"] = srv.start()
    return idp, srv


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def browser_flow(t, idp, srv, name, start):
    """start: the start response. Returns the redirect to the client."""
    r = expect(start, 302)
    assert r.headers["location"].startswith(idp.issuer_url(name) + "/auth?"), r.headers
    q = query(r.headers["location"])
    assert q["code_challenge_method"] == "S256" and len(q["state"]) == 43, q
    cookie = r.headers["set-cookie"].split(";")[0]
    loc = idp.browser_login(r.headers["location"], "alice")
    assert loc.startswith(f"{srv.url}/auth/{CALLBACKS[name]}?"), loc
    r = t.http("GET", loc[len(srv.url):], server=srv, headers={"Cookie": cookie})
    return expect(r, 302).headers["location"]


def test_each_provider_logs_in_and_links_the_user(t):
    idp, srv = setup(t)
    for name in ("google", "azure", "cognito", "autha"):
        start = t.http("POST", f"/auth/{name}", server=srv, form={
            "client_id": "web", "client_secret": CLIENT_SECRET})
        to = browser_flow(t, idp, srv, name, start)
        assert to.startswith(REDIRECT_URL + "?code="), (name, to)
        tokens = t.exchange(query(to)["code"])
        me = expect(t.me(tokens["accessToken"], server=srv), 200)
        assert me.body["username"] == USERNAME, (name, me)
    # Azure's identity is oid, the others' sub
    rows = dict(t.db.sql("SELECT provider, subject FROM main.user_identities"))
    assert rows == {"google": "alice", "azure": "oid-alice-1", "cognito": "alice",
                    "autha": "alice"}, rows


def test_login_activity_names_the_provider(t):
    """Each social login's ACCESS row (the analytics' and lastLogin's type)
    names its provider instance in the payload and the access token; a
    password login's names none (docs/api.md "Login activity")."""
    idp, srv = setup(t)
    seen = []
    for name in ("google", "azure"):
        start = t.http("POST", f"/auth/{name}", server=srv, form={
            "client_id": "web", "client_secret": CLIENT_SECRET})
        tokens = t.exchange(query(browser_flow(t, idp, srv, name, start))["code"])
        claims = json.loads(harness.b64url_decode(tokens["accessToken"].split(".")[1]))
        seen.append(claims.get("provider"))
    # lastLogin moves on a social login as on a password one
    assert t.db.value("SELECT last_login IS NOT NULL FROM main.users WHERE username = :'u'",
                      u=USERNAME) == "t"
    t.tokens_for()
    assert seen == ["google", "azure"], seen
    rows = t.db.sql("SELECT login_type, token_payload FROM main.login_activity"
                    " ORDER BY login_time")
    assert [(ty, json.loads(p).get("provider")) for ty, p in rows] == [
        ("ACCESS", "google"), ("ACCESS", "azure"), ("ACCESS", None)], rows


def test_mfa_step_keeps_the_challenge_and_the_provider(t):
    """A social login that meets the MFA gate: the redirect carries the
    MFA-flagged code; the code /auth/verify-otp issues is still bound to the
    autha start's client_challenge and still names the provider."""
    idp, _ = setup(t)
    if "smtp" not in PEERS:
        PEERS["smtp"] = mail.Smtp(t.suite.tmp).start()
    smtp = PEERS["smtp"]
    smtp.clear()
    port = PEERS["mfa_port"]
    s = {"issuer": idp.issuer_url("autha"), "client_id": "autha-app",
         "client_secret": "autha-secret-0123456789",
         "redirect_uri": f"http://127.0.0.1:{port}/auth/autha-redirect",
         "allow_http": True, "cookie_secure": False, "link_by_email": True}
    srv = t.suite.new_server("social_mfa", mfa={"mode": "all", "method": "otp", "ttl": 60},
                             notify=smtp.notify_config(), plugins={
                                 "local": {"file": "local.so"}, "otp": {"file": "otp.so"},
                                 "autha": {"file": "autha.so", "settings": s}})
    srv.fixed_port = port
    PEERS["mfa_srv"] = srv.start()
    t.add_client("spa", secret=None)
    t.allow_client(USERNAME, "spa")
    start = t.http("GET", "/auth/autha?" + urllib.parse.urlencode(
        {"client_id": "spa", "client_challenge": CHALLENGE, "client_challenge_method": "S256"}),
        server=srv)
    mfa_code = query(browser_flow(t, idp, srv, "autha", start))["code"]
    otp = mail.find(r"code is (\S+)", smtp.wait_for(EMAIL))
    r = expect(t.http("POST", "/auth/verify-otp", server=srv, json={
        "key": USERNAME, "otp": otp, "code": mfa_code}), 200)
    code = r.body["code"]
    expect_error(t.http("POST", "/auth/token", server=srv,
                        json={"clientId": "spa", "code": code}), 401)
    assert t.db.count("refresh_tokens") == 0
    tokens = expect(t.http("POST", "/auth/token", server=srv, json={
        "clientId": "spa", "code": code, "code_verifier": VERIFIER}), 200).body
    claims = json.loads(harness.b64url_decode(tokens["accessToken"].split(".")[1]))
    assert claims.get("provider") == "autha", claims
    rows = t.db.sql("SELECT login_type, token_payload FROM main.login_activity")
    assert [(ty, json.loads(p).get("provider")) for ty, p in rows] == [("ACCESS", "autha")], rows


def test_deprecated_get_start_works_too(t):
    idp, srv = setup(t)
    start = t.http("GET", "/auth/cognito?" + urllib.parse.urlencode(
        {"client_id": "web", "client_secret": CLIENT_SECRET, "state": "a=1"}), server=srv)
    to = browser_flow(t, idp, srv, "cognito", start)
    assert query(to)["a"] == "1", to


def test_autha_public_start_binds_the_challenge_to_the_code(t):
    idp, srv = setup(t)
    t.add_client("spa", secret=None)
    t.allow_client(USERNAME, "spa")
    r = t.http("GET", "/auth/autha?" + urllib.parse.urlencode(
        {"client_id": "web", "client_challenge": CHALLENGE,
         "client_challenge_method": "S256"}), server=srv)
    expect_error(r, 401)  # a confidential client cannot start without its secret
    r = t.http("GET", "/auth/autha?" + urllib.parse.urlencode(
        {"client_id": "spa", "client_challenge": CHALLENGE, "client_challenge_method": "plain"}),
        server=srv)
    expect_error(r, 400)
    start = t.http("GET", "/auth/autha?" + urllib.parse.urlencode(
        {"client_id": "spa", "client_challenge": CHALLENGE, "client_challenge_method": "S256"}),
        server=srv)
    code = query(browser_flow(t, idp, srv, "autha", start))["code"]
    for verifier in (None, harness.b64url_encode(b"w" * 40)):
        body = {"clientId": "spa", "code": code}
        if verifier:
            body["code_verifier"] = verifier
        expect_error(t.http("POST", "/auth/token", json=body), 401)
    assert t.db.count("refresh_tokens") == 0
    r = t.http("POST", "/auth/token", json={"clientId": "spa", "code": code,
                                            "code_verifier": VERIFIER})
    expect(r, 200)


def test_password_code_flow_with_pkce(t):
    body = {"client_id": "web", "client_secret": CLIENT_SECRET, "username": USERNAME,
            "password": PASSWORD, "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    code = expect(t.http("POST", "/auth/login", json=body), 200).body["code"]
    expect_error(t.http("POST", "/auth/token", json={"clientId": "web", "code": code}), 401)
    expect_error(t.http("POST", "/auth/token", json={
        "clientId": "web", "code": code, "code_verifier": VERIFIER + "x"}), 401)
    expect(t.http("POST", "/auth/token", json={"clientId": "web", "code": code,
                                                "code_verifier": VERIFIER}), 200)
    # plain is refused; clients that send neither keep working
    body["code_challenge_method"] = "plain"
    expect_error(t.http("POST", "/auth/login", json=body), 400)
    t.tokens_for()


def test_google_hosted_domain_is_enforced(t):
    idp, srv = setup(t)
    # alice's hd is example.com; this instance admits only other.example. It
    # names the shared server's registered callback as its redirect_uri, and
    # the test hands the provider's redirect to this instance.
    srv2 = t.start_server("googlehd", plugins={"local": {"file": "local.so"}, "google": {
        "file": "google.so", "settings": {
            "issuer": idp.issuer_url("google"), "client_id": "google-app",
            "client_secret": "google-secret-0123456789", "algs": "ES256",
            "redirect_uri": f"{srv.url}/auth/google-auth-redirect", "allow_http": True,
            "cookie_secure": False, "link_by_email": True, "hosted_domain": "other.example"}}})
    r = expect(t.http("POST", "/auth/google", server=srv2, form={
        "client_id": "web", "client_secret": CLIENT_SECRET}), 302)
    cookie = r.headers["set-cookie"].split(";")[0]
    loc = idp.browser_login(r.headers["location"], "alice")
    before = t.db.count("user_identities")
    r = t.http("GET", loc[len(srv.url):], server=srv2, headers={"Cookie": cookie})
    expect_error(r, 401)
    assert t.db.count("user_identities") == before


def test_every_social_route_is_in_openapi(t):
    _, srv = setup(t)
    paths = expect(t.http("GET", "/openapi.json", server=srv), 200).body["paths"]
    for p, methods in (("/auth/google", ("get", "post")), ("/auth/google-auth-redirect", ("get",)),
                       ("/auth/azure", ("get", "post")), ("/auth/azure-oauth-redirect", ("get",)),
                       ("/auth/cognito", ("get", "post")),
                       ("/auth/cognito-auth-redirect", ("get",)),
                       ("/auth/autha", ("get", "post")), ("/auth/autha-redirect", ("get",))):
        for m in methods:
            assert m in paths.get(p, {}), (p, m, sorted(paths))


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""The apple plugin against a local stand-in for Sign in with Apple
(meta.py): the client secret an ES256 JWT signed with the team's key and
checked by the stand-in (kid, iss, sub, aud, expiry, signature), reused
from one login to the next; the response_mode=form_post callback (a POST
whose browser-binding cookie is SameSite=None; Secure); the ID token
checked against Apple's JWKS with email_verified as a string; a forged
`user` blob that must not rename anyone; ID tokens signed by keys not in
the JWKS; a POST callback without the browser's cookie; the routes in
/openapi.json."""
import os
import urllib.parse

import harness
import meta
from harness import CLIENT_SECRET, REDIRECT_URL, USERNAME, expect, expect_error, free_port

EMAIL = f"{USERNAME}@example.com"
CLIENT_ID = "com.example.web"
ACCOUNTS = {"apple": {
    "alice": {"sub": "001234.abcdef0123456789.0042", "email": EMAIL, "first": "Alice",
              "last": "Example"},
    "unverified": {"sub": "001234.fedcba.0043", "email": EMAIL, "email_verified": "false",
                   "first": "Un", "last": "Verified"},
    "newbie": {"sub": "001234.aaaaaa.0044", "email": "x7k2@privaterelay.appleid.com",
               "is_private_email": "true", "first": "New", "last": "Person"}}}
PEERS = {}
CALLBACK = "/auth/apple-oauth-redirect"


def teardown():
    for k in ("srv", "srv_signup"):
        if k in PEERS:
            PEERS[k].stop()
    if "idp" in PEERS:
        PEERS["idp"].close()


def setup(t, signup=False):
    """The stand-in and a server linking by e-mail, or one signing up."""
    key = "srv_signup" if signup else "srv"
    idp = PEERS.get("idp")
    if idp is None:
        idp = PEERS["idp"] = meta.Meta({}, ACCOUNTS).start()
        PEERS["ports"] = {"srv": free_port(), "srv_signup": free_port()}
        d = os.path.join(t.suite.tmp, "apple")
        os.makedirs(d, exist_ok=True)
        PEERS["p8"] = idp.apple_setup(d, CLIENT_ID, "")
        PEERS["other"] = meta.RsaKey(os.path.join(d, "other-rsa.pem"), "otherKey")
    idp.forge = None
    port = PEERS["ports"][key]
    # the Services ID's one registered Return URL: this server's callback
    idp.apps["apple"] = (CLIENT_ID, None, f"http://127.0.0.1:{port}{CALLBACK}")
    if key in PEERS and PEERS[key].alive():
        return idp, PEERS[key]
    plugins = {"local": {"file": "local.so"}, "apple": {"file": "apple.so", "settings": {
        "issuer": idp.issuer(), "client_id": CLIENT_ID, "team_id": idp.apple["team_id"],
        "key_id": idp.apple["key_id"], "private_key_file": PEERS["p8"],
        "redirect_uri": f"http://127.0.0.1:{port}{CALLBACK}", "allow_http": True,
        "cookie_secure": False, "link_by_email": True, "signup": signup,
        "signup_tenant": harness.TENANT_KEY, "signup_role": harness.ROLE}}}
    srv = t.suite.new_server(key, plugins=plugins)
    srv.fixed_port = port
    PEERS[key] = srv.start()
    return idp, srv


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def start(t, srv, state=None):
    form = {"client_id": "web", "client_secret": CLIENT_SECRET}
    if state:
        form["state"] = state
    r = expect(t.http("POST", "/auth/oauth-apple", server=srv, form=form), 302)
    loc = r.headers["location"]
    assert loc.startswith(PEERS["idp"].issuer() + "/auth/authorize?"), loc
    assert query(loc)["response_mode"] == "form_post", loc
    set_cookie = r.headers["set-cookie"]
    assert "SameSite=None" in set_cookie and "; Secure" in set_cookie, set_cookie
    return loc, set_cookie.split(";")[0]


def post_back(t, srv, form, cookie):
    headers = {"Cookie": cookie} if cookie else {}
    return t.http("POST", CALLBACK, server=srv, form=form, headers=headers)


def login(t, srv, who="alice", user=None, state=None):
    loc, cookie = start(t, srv, state)
    form = PEERS["idp"].browser_login(loc, who)
    if user is not None:
        form["user"] = user
    return post_back(t, srv, form, cookie)


def names(t):
    return [tuple(r) for r in t.db.sql(
        "SELECT first_name, last_name FROM main.users WHERE username = :'u'", u=USERNAME)]


def test_apple_form_post_logs_in_and_links_by_verified_email(t):
    idp, srv = setup(t)
    r = login(t, srv, state="a=1")
    to = expect(r, 302).headers["location"]
    assert to.startswith(REDIRECT_URL + "?code=") and query(to)["a"] == "1", to
    tokens = t.exchange(query(to)["code"])
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == USERNAME, me
    rows = [tuple(r) for r in t.db.sql("SELECT provider, subject FROM main.user_identities")]
    assert rows == [("apple", ACCOUNTS["apple"]["alice"]["sub"])], rows


def test_client_secret_is_signed_once_and_reused(t):
    idp, srv = setup(t)
    before = len(idp.client_secrets)
    for _ in range(2):
        expect(login(t, srv), 302)
    seen = idp.client_secrets[before:]
    assert len(seen) == 2 and seen[0] == seen[1], seen
    head, claims, _ = harness.jwt_parts(seen[0])
    assert head["alg"] == "ES256" and head["kid"] == idp.apple["key_id"], head
    assert claims["iss"] == idp.apple["team_id"] and claims["sub"] == CLIENT_ID, claims
    assert claims["aud"] == "https://appleid.apple.com", claims
    assert 0 < claims["exp"] - claims["iat"] <= 86400, claims


def test_forged_user_blob_renames_no_one(t):
    _, srv = setup(t)
    before = names(t)
    forged = '{"name":{"firstName":"Mallory","lastName":"Evil"},"email":"m@evil.example"}'
    expect(login(t, srv, user=forged), 302)  # links the existing account
    expect(login(t, srv, user=forged), 302)  # the identity already linked
    assert names(t) == before, names(t)


def test_signup_takes_the_name_of_the_first_form_post(t):
    idp, srv = setup(t, signup=True)
    email = ACCOUNTS["apple"]["newbie"]["email"]
    r = login(t, srv, who="newbie")  # the stand-in sends `user` this first time
    tokens = t.exchange(query(expect(r, 302).headers["location"])["code"], server=srv)
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == email, me  # a private-relay address like any other
    row = [tuple(r) for r in t.db.sql(
        "SELECT first_name, last_name FROM main.users WHERE username = :'u'", u=email)]
    assert row == [("New", "Person")], row
    expect(login(t, srv, who="newbie"), 302)  # no `user` now: the same account
    assert t.db.count("user_identities") == 1


def test_id_token_signed_by_a_key_not_in_the_jwks_is_refused(t):
    idp, srv = setup(t)
    other = PEERS["other"]
    for forge in (lambda c: other.sign(c, kid="appleKey1"),  # Apple's kid, another key
                  lambda c: other.sign(c)):                    # a kid Apple never had
        idp.forge = forge
        expect_error(login(t, srv), 401)
    assert t.db.count("user_identities") == 0


def test_unverified_email_does_not_link(t):
    _, srv = setup(t)
    expect_error(login(t, srv, who="unverified"), 401)
    assert t.db.count("user_identities") == 0


def test_form_post_without_the_browser_cookie_is_refused(t):
    idp, srv = setup(t)
    loc, _ = start(t, srv)
    form = idp.browser_login(loc, "alice")
    expect_error(post_back(t, srv, form, None), 401)
    assert t.db.count("user_identities") == 0


def test_provider_error_redirects_with_error(t):
    _, srv = setup(t)
    loc, cookie = start(t, srv, state="xyz")
    r = post_back(t, srv, {"error": "user_cancelled_authorize", "state": query(loc)["state"]},
                  cookie)
    assert query(expect(r, 302).headers["location"]) == {
        "error": "user_cancelled_authorize", "state": "xyz"}


def test_query_callback_works_too(t):
    idp, srv = setup(t)
    loc, cookie = start(t, srv)
    form = idp.browser_login(loc, "alice")
    r = t.http("GET", CALLBACK + "?" + urllib.parse.urlencode(
        {"code": form["code"], "state": form["state"]}), server=srv, headers={"Cookie": cookie})
    assert expect(r, 302).headers["location"].startswith(REDIRECT_URL + "?code=")


def test_every_apple_route_is_in_openapi(t):
    _, srv = setup(t)
    paths = expect(t.http("GET", "/openapi.json", server=srv), 200).body["paths"]
    for p, m in (("/auth/oauth-apple", "post"), (CALLBACK, "get"), (CALLBACK, "post")):
        assert m in paths.get(p, {}), (p, m, sorted(paths))


if __name__ == "__main__":
    harness.main(globals())

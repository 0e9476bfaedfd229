# SPDX-License-Identifier: Apache-2.0
"""The facebook and instagram plugins against a local stand-in for their
providers (meta.py: code exchange, profile GET, appsecret_proof, single-use
codes, redirect_uri and PKCE checks), each through the full browser-side
flow to /auth/token and /auth/me; a profile without e-mail; an Instagram
identity with sign-up off and on; provider errors; the routes in
/openapi.json."""
import urllib.parse

import harness
import meta
from harness import CLIENT_SECRET, REDIRECT_URL, ROLE, TENANT_KEY, USERNAME, expect, \
    expect_error, free_port

EMAIL = f"{USERNAME}@example.com"
ACCOUNTS = {
    "facebook": {"alice": {"id": "10160000000000001", "name": "Alice Example",
                           "first_name": "Alice", "last_name": "Example", "email": EMAIL},
                 "noemail": {"id": "10160000000000002", "name": "No Mail"}},
    "instagram": {"alice": {"user_id": "17841400000000001", "id": "9000000001",
                            "username": "alice.insta"}},
}
CALLBACKS = {"facebook": "facebook-auth-redirect", "instagram": "instagram-auth-redirect"}
PEERS = {}


def teardown():
    for k in ("srv", "srv_signup"):
        if k in PEERS:
            PEERS[k].stop()
    if "idp" in PEERS:
        PEERS["idp"].close()


def start_server(t, key, port, signup):
    base = f"http://127.0.0.1:{port}/auth/"
    idp = PEERS["idp"]
    plugins = {"local": {"file": "local.so"}}
    for name in CALLBACKS:
        u = idp.url(name)
        plugins[name] = {"file": f"{name}.so", "settings": {
            "authorization_url": u + "/dialog/oauth", "token_url": u + "/oauth/access_token",
            "userinfo_url": u + "/me", "client_id": f"{name}-app",
            "client_secret": f"{name}-secret-0123456789",
            "redirect_uri": base + CALLBACKS[name], "allow_http": True,
            "cookie_secure": False, "link_by_email": True, "signup": signup,
            "signup_tenant": TENANT_KEY, "signup_role": ROLE}}
    plugins["facebook"]["settings"]["email_trusted"] = True
    srv = t.suite.new_server(key, plugins=plugins)
    srv.fixed_port = port
    PEERS[key] = srv.start()
    return srv


def setup(t, signup=False):
    key = "srv_signup" if signup else "srv"
    if "idp" not in PEERS:
        PEERS["ports"] = {"srv": free_port(), "srv_signup": free_port()}
        PEERS["idp"] = meta.Meta({}, ACCOUNTS).start()
    port = PEERS["ports"][key]
    register(f"http://127.0.0.1:{port}/auth/")
    if key in PEERS and PEERS[key].alive():
        return PEERS["idp"], PEERS[key]
    return PEERS["idp"], start_server(t, key, port, signup)


def register(base):
    """The apps as registered at the providers (the redirect URIs of the
    server being started; the stand-in keeps one registration each)."""
    PEERS["idp"].apps = {name: (f"{name}-app", f"{name}-secret-0123456789", base + cb)
                         for name, cb in CALLBACKS.items()}
    return True


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def start(t, srv, name, state=None):
    form = {"client_id": "web", "client_secret": CLIENT_SECRET}
    if state:
        form["state"] = state
    r = expect(t.http("POST", f"/auth/{name}", server=srv, form=form), 302)
    loc = r.headers["location"]
    assert loc.startswith(PEERS["idp"].url(name) + "/dialog/oauth?"), loc
    return loc, r.headers["set-cookie"].split(";")[0]


def flow(t, srv, name, login, state=None):
    loc, cookie = start(t, srv, name, state)
    back = PEERS["idp"].browser_login(loc, login)
    assert back.startswith(f"{srv.url}/auth/{CALLBACKS[name]}?"), back
    return t.http("GET", back[len(srv.url):], server=srv, headers={"Cookie": cookie}), back, \
        cookie


def test_facebook_logs_in_links_by_email_and_keeps_the_state(t):
    _, srv = setup(t)
    r, _, _ = flow(t, srv, "facebook", "alice", state="a=1&b=two")
    to = expect(r, 302).headers["location"]
    assert to.startswith(REDIRECT_URL + "?code="), to
    assert query(to)["a"] == "1" and query(to)["b"] == "two", to
    tokens = t.exchange(query(to)["code"])
    me = expect(t.me(tokens["accessToken"], server=srv), 200)
    assert me.body["username"] == USERNAME, me
    rows = t.db.sql("SELECT provider, subject FROM main.user_identities")
    assert [tuple(r) for r in rows] == [("facebook", "10160000000000001")], rows


def test_facebook_code_is_single_use(t):
    _, srv = setup(t)
    r, back, cookie = flow(t, srv, "facebook", "alice")
    expect(r, 302)
    # the same callback again: the login transaction is gone
    expect_error(t.http("GET", back[len(srv.url):], server=srv, headers={"Cookie": cookie}), 401)
    # the used code with a fresh transaction: the provider refuses it
    loc, cookie2 = start(t, srv, "facebook")
    state = query(loc)["state"]
    code = query(back)["code"]
    r = t.http("GET", f"/auth/{CALLBACKS['facebook']}?" + urllib.parse.urlencode(
        {"code": code, "state": state}), server=srv, headers={"Cookie": cookie2})
    expect_error(r, 401)


def test_facebook_profile_without_email_writes_nothing(t):
    _, srv = setup(t)
    users = t.db.count("users")
    r, _, _ = flow(t, srv, "facebook", "noemail")
    expect_error(r, 401)
    assert t.db.count("user_identities") == 0 and t.db.count("users") == users


def test_facebook_denied_redirects_with_error(t):
    _, srv = setup(t)
    loc, cookie = start(t, srv, "facebook", state="xyz")
    state = query(loc)["state"]
    r = t.http("GET", f"/auth/{CALLBACKS['facebook']}?" + urllib.parse.urlencode(
        {"error": "access_denied", "error_reason": "user_denied", "state": state}),
        server=srv, headers={"Cookie": cookie})
    to = expect(r, 302).headers["location"]
    assert query(to) == {"error": "access_denied", "state": "xyz"}, to
    assert t.db.count("user_identities") == 0


def test_instagram_identity_with_signup_off_is_refused(t):
    _, srv = setup(t)
    users = t.db.count("users")
    r, _, _ = flow(t, srv, "instagram", "alice")
    expect_error(r, 401)
    assert t.db.count("user_identities") == 0 and t.db.count("users") == users


def test_instagram_signup_on_creates_the_account_once(t):
    _, srv = setup(t, signup=True)
    users = t.db.count("users")
    for _ in range(2):
        r, _, _ = flow(t, srv, "instagram", "alice")
        to = expect(r, 302).headers["location"]
        tokens = t.exchange(query(to)["code"], server=srv)
        me = expect(t.me(tokens["accessToken"], server=srv), 200)
        assert me.body["username"] == "alice.insta", me
    assert t.db.count("users") == users + 1
    rows = t.db.sql("SELECT provider, subject FROM main.user_identities")
    assert [tuple(r) for r in rows] == [("instagram", "17841400000000001")], rows


def test_every_meta_route_is_in_openapi(t):
    _, srv = setup(t)
    paths = expect(t.http("GET", "/openapi.json", server=srv), 200).body["paths"]
    for p, m in (("/auth/facebook", "post"), ("/auth/facebook-auth-redirect", "get"),
                 ("/auth/instagram", "post"), ("/auth/instagram-auth-redirect", "get")):
        assert m in paths.get(p, {}), (p, m, sorted(paths))


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""Azure's multi-tenant endpoints against the real OpenID Connect provider
(tests/oidc): with the issuer .../common/v2.0 or .../organizations/v2.0
the ID token's iss must be the same URL with the segment replaced by the
token's own tid (issuer-template validation, docs/providers.md "Azure
AD"); an instance configured for one tenant takes only that tenant's
issuer. Refused logins write nothing."""
import urllib.parse

import harness
import oidc
from harness import CLIENT_SECRET, REDIRECT_URL, USERNAME, expect, expect_error, free_port

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER = "66666666-7777-8888-9999-000000000000"
COMMON, ORGS, ONE = "/common/v2.0", "/organizations/v2.0", f"/{TENANT}/v2.0"
CALLBACK = "azure-oauth-redirect"
PEERS = {}


def account(tid):
    return {"alice": {"email": f"{USERNAME}@example.com", "email_verified": True,
                      "oid": "oid-alice-1", "tid": tid}}


def teardown():
    for srv in PEERS.get("srv", {}).values():
        srv.stop()
    if "idp" in PEERS:
        PEERS["idp"].close()


def setup(t):
    """One provider per issuer layout; one authsvc per azure configuration
    (the common and organizations endpoints, and one tenant whose provider
    signs for another tenant's user)."""
    if "srv" in PEERS and all(s.alive() for s in PEERS["srv"].values()):
        return PEERS["idp"], PEERS["srv"]
    ports = {layout: free_port() for layout in (COMMON, ORGS, ONE)}
    cb = {layout: f"http://127.0.0.1:{port}/auth/{CALLBACK}" for layout, port in ports.items()}
    idp = oidc.Provider(t.suite.tmp, [
        oidc.issuer(layout, [oidc.client("azure-app", "azure-secret-0123456789", [cb[layout]])],
                    account(OTHER if layout == ONE else TENANT))
        for layout in ports]).start()
    PEERS["idp"] = idp
    servers = {}
    for layout, port in ports.items():
        s = {"issuer": idp.issuer_url(layout), "client_id": "azure-app",
             "client_secret": "azure-secret-0123456789", "redirect_uri": cb[layout],
             "allow_http": True, "cookie_secure": False, "link_by_email": True,
             "token_auth": "client_secret_post"}
        srv = t.suite.new_server("azure" + layout.split("/")[1][:8], plugins={
            "local": {"file": "local.so"}, "azure": {"file": "azure.so", "settings": s}})
        srv.fixed_port = port
        servers[layout] = srv.start()
    PEERS["srv"] = servers
    return idp, servers


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))


def written(t):
    return {table: t.db.count(table) for table in
            ("user_identities", "users", "auth_codes", "login_activity")}


def login(t, idp, srv, layout, mode):
    """The browser-side flow with the provider in `mode`; the callback's answer."""
    start = t.http("POST", "/auth/azure", server=srv, form={
        "client_id": "web", "client_secret": CLIENT_SECRET})
    r = expect(start, 302)
    assert r.headers["location"].startswith(idp.issuer_url(layout) + "/auth?"), r.headers
    cookie = r.headers["set-cookie"].split(";")[0]
    loc = idp.browser_login(r.headers["location"], "alice")
    idp.mode(layout, id_token=mode)
    try:
        return t.http("GET", loc[len(srv.url):], server=srv, headers={"Cookie": cookie})
    finally:
        idp.mode(layout)


def test_common_and_organizations_take_the_tokens_own_tenant(t):
    idp, servers = setup(t)
    for layout in (COMMON, ORGS):
        srv = servers[layout]
        to = expect(login(t, idp, srv, layout, "tenant_iss"), 302).headers["location"]
        assert to.startswith(REDIRECT_URL + "?code="), (layout, to)
        tokens = t.exchange(query(to)["code"])
        me = expect(t.me(tokens["accessToken"], server=srv), 200)
        assert me.body["username"] == USERNAME, (layout, me)
    assert t.db.sql("SELECT provider, subject FROM main.user_identities") == [
        ["azure", "oid-alice-1"]]


def test_common_refuses_an_issuer_that_is_not_the_tokens_tenant(t):
    idp, servers = setup(t)
    # tid names another tenant than iss; iss is the template itself (no tenant)
    for mode in ("tenant_iss_other_tid", None):
        before = written(t)
        expect_error(login(t, idp, servers[COMMON], COMMON, mode), 401)
        assert written(t) == before, mode


def test_a_named_tenant_refuses_a_token_from_another_tenant(t):
    idp, servers = setup(t)
    srv = servers[ONE]
    # the user's tid is OTHER: a token signed for that tenant is refused here
    before = written(t)
    expect_error(login(t, idp, srv, ONE, "tenant_iss"), 401)
    assert written(t) == before
    # the configured tenant's own issuer is accepted
    to = expect(login(t, idp, srv, ONE, None), 302).headers["location"]
    assert to.startswith(REDIRECT_URL + "?code="), to


if __name__ == "__main__":
    harness.main(globals())

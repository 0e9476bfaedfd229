# SPDX-License-Identifier: Apache-2.0
"""The OpenID Connect provider the social login tests run against
(tests/oidc/server.mjs, npm oidc-provider): every issuer layout answers
discovery with its own issuer, a browser login ends at the client with a
code, the code exchange gives an ID token signed with the layout's key, and
the admin routes (rotation, mangled ID tokens, abort) do what the bad-case
tests rely on."""
import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import harness
import oidc
from harness import b64url_decode, b64url_encode, no_fixture

CB = "http://127.0.0.1:9/cb"
VERIFIER = b64url_encode(b"0123456789abcdef0123456789abcdef")
IDP = []


def teardown():
    for p in IDP:
        p.close()


def provider(t):
    if not IDP:
        issuers = [oidc.issuer(n, [oidc.client("c1", "s1", [CB])],
                               {"alice": {"email": "alice@example.org", "email_verified": True}},
                               alg="ES256" if n == "google" else "RS256")
                   for n in oidc.LAYOUTS]
        IDP.append(oidc.Provider(t.suite.tmp, issuers).start())
    return IDP[0]


def discovery(idp, name):
    with urllib.request.urlopen(idp.issuer_url(name) + "/.well-known/openid-configuration",
                                timeout=harness.scaled(10)) as r:
        return json.load(r)


def authorize_url(d, nonce="n-1"):
    challenge = b64url_encode(hashlib.sha256(VERIFIER.encode()).digest())
    return d["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "client_id": "c1", "redirect_uri": CB, "response_type": "code",
        "scope": "openid email", "state": "st-1", "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256"})


def exchange(d, code):
    req = urllib.request.Request(d["token_endpoint"], data=urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": CB,
        "code_verifier": VERIFIER}).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(b"c1:s1").decode()})
    with urllib.request.urlopen(req, timeout=harness.scaled(10)) as r:
        return json.load(r)


def login(idp, name):
    d = discovery(idp, name)
    loc = idp.browser_login(authorize_url(d), "alice")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(loc).query))
    assert loc.startswith(CB + "?") and q["state"] == "st-1" and q["code"], loc
    tok = exchange(d, q["code"])
    header, claims = (json.loads(b64url_decode(p)) for p in tok["id_token"].split(".")[:2])
    return d, header, claims


@no_fixture
def test_every_layout_logs_in_with_its_own_issuer(t):
    idp = provider(t)
    for name, prefix in oidc.LAYOUTS.items():
        d, header, claims = login(idp, name)
        assert d["issuer"] == idp.base + prefix, d["issuer"]
        assert claims["iss"] == d["issuer"] and claims["aud"] == "c1", claims
        assert claims["nonce"] == "n-1" and claims["sub"] == "alice", claims
        assert claims["email_verified"] is True, claims
        assert header["alg"] == ("ES256" if name == "google" else "RS256"), header


@no_fixture
def test_rotation_publishes_a_new_kid_and_signs_with_it(t):
    idp = provider(t)
    _, before, _ = login(idp, "keycloak")
    kids = idp.rotate("keycloak")
    assert kids[1] == before["kid"] and kids[0] != before["kid"], kids
    _, after, _ = login(idp, "keycloak")
    assert after["kid"] == kids[0], after
    with urllib.request.urlopen(discovery(idp, "keycloak")["jwks_uri"]) as r:
        assert [k["kid"] for k in json.load(r)["keys"]] == kids


@no_fixture
def test_mangled_id_tokens(t):
    idp = provider(t)
    try:
        for mode, check in (("bad_aud", lambda h, c: c["aud"] == "someone-else"),
                            ("bad_iss", lambda h, c: c["iss"].endswith("/not-the-issuer")),
                            ("bad_nonce", lambda h, c: c["nonce"] == "not-the-nonce"),
                            ("expired", lambda h, c: c["exp"] < c["iat"] + 7200),
                            ("alg_none", lambda h, c: h["alg"] == "none")):
            idp.mode("cognito", id_token=mode)
            _, header, claims = login(idp, "cognito")
            assert check(header, claims), (mode, header, claims)
    finally:
        idp.mode("cognito")


@no_fixture
def test_abort_redirects_with_access_denied(t):
    idp = provider(t)
    loc = idp.browser_login(authorize_url(discovery(idp, "azure")), "alice", consent=False)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(loc).query))
    assert q["error"] == "access_denied" and q["state"] == "st-1", loc


if __name__ == "__main__":
    harness.main(globals())

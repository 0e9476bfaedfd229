#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# peer_glewlwyd_setup.py: configure a stock Glewlwyd for bench/peer-glewlwyd
# through its admin API: an OIDC plugin instance "oidc" (RS256, the given
# RSA key, password grant, rolling refresh tokens), a confidential client
# and a user with the openid scope. Then checks one password login.
#
#   peer_glewlwyd_setup.py URL KEY.pem PUB.pem CLIENT_ID SECRET USER PASSWORD
import base64
import http.cookiejar
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

url, key, pub, client_id, secret, user, password = sys.argv[1:8]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None, form=None, headers=None):
    data, hdrs = None, dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url + path, data=data, method=method, headers=hdrs)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def must(what, res, ok=(200,)):
    if res[0] not in ok:
        print(f"peer setup: {what}: HTTP {res[0]} {res[1][:400]}", file=sys.stderr)
        sys.exit(1)
    return res


must("admin login", call("POST", "/api/auth/", {"username": "admin", "password": "password"}))
params = {
    "jwt-type": "rsa", "jwt-key-size": "256", "key": open(key).read(), "cert": open(pub).read(),
    "access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
    "refresh-token-rolling": True, "refresh-token-one-use": "always",
    "allow-non-oidc": True, "auth-type-code-enabled": True, "auth-type-token-enabled": True,
    "auth-type-id-token-enabled": True, "auth-type-none-enabled": False,
    "auth-type-password-enabled": True, "auth-type-client-enabled": False,
    "auth-type-device-enabled": False, "auth-type-refresh-enabled": True,
    "scope": [], "additional-parameters": [], "claims": [], "jwks-show": True,
    "name-claim": "no", "email-claim": "no", "scope-claim": "no",
    "address-claim": {"type": "no"}, "allowed-scope": ["openid"],
    "subject-type": "public", "iss": url + "/api/oidc",
}
must("add the OIDC plugin", call("POST", "/api/mod/plugin/", {
    "module": "oidc", "name": "oidc", "display_name": "OIDC", "parameters": params}))
must("add the user", call("POST", "/api/user/", {
    "username": user, "password": password, "name": user, "email": "", "scope": ["openid"],
    "enabled": True}))
must("add the client", call("POST", "/api/client/", {
    "client_id": client_id, "name": client_id, "confidential": True, "password": secret,
    "client_secret": secret, "token_endpoint_auth_method": ["client_secret_basic"],
    "redirect_uri": ["http://127.0.0.1/callback"],
    "authorization_type": ["password", "refresh_token"], "scope": ["openid"],
    "enabled": True}))
basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
st, text = must("password login", call("POST", "/api/oidc/token", form={
    "grant_type": "password", "username": user, "password": password, "scope": "openid"},
    headers={"Authorization": "Basic " + basic}))
b = json.loads(text)
st, text = must("refresh", call("POST", "/api/oidc/token", form={
    "grant_type": "refresh_token", "refresh_token": b["refresh_token"]},
    headers={"Authorization": "Basic " + basic}))
r = json.loads(text)
assert r.get("refresh_token") and r["refresh_token"] != b["refresh_token"], f"no rolling: {r}"
must("userinfo", call("GET", "/api/oidc/userinfo",
                      headers={"Authorization": "Bearer " + r["access_token"]}))
print("peer setup: Glewlwyd answers the password grant, a rolling refresh and userinfo",
      file=sys.stderr)

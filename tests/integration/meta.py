# SPDX-License-Identifier: Apache-2.0
"""A local stand-in for Facebook Login, the Instagram API with Instagram
Login and Sign in with Apple, for tests: the providers cannot be reached
from here. It checks what the real ones check (client id and secret,
redirect_uri equal to the registered one, single-use codes bound to that
redirect_uri, PKCE when the authorization asked for it, appsecret_proof on
Graph API calls, Apple's client-secret JWT signed by the registered key with
the right claims) and answers with the documented JSON shapes. All of them
are in FIXTURES below. RSA and EC operations use the openssl command."""
import hashlib
import hmac
import http.server
import json
import os
import secrets
import subprocess
import threading
import time
import urllib.parse

import harness

# The shapes, by the documentation they come from.
FIXTURES = {
    # Facebook Login for the Web, "Manually Build a Login Flow", Exchanging
    # Code for an Access Token: GET/POST /{version}/oauth/access_token.
    "facebook_token": lambda tok: {"access_token": tok, "token_type": "bearer",
                                   "expires_in": 5183944},
    # Graph API, "Handling Errors": the error object of every Graph call.
    "facebook_error": lambda msg, code=100: {"error": {
        "message": msg, "type": "OAuthException", "code": code,
        "fbtrace_id": "A1b2C3d4E5f"}},
    # Graph API reference, User: /me?fields=id,name,first_name,last_name,email
    # (email is absent when the user has none or did not grant it).
    "facebook_me": lambda acct, fields: {k: acct[k] for k in fields if k in acct},
    # Instagram API with Instagram Login, Business Login: "Exchange the
    # Code for a Token": POST api.instagram.com/oauth/access_token.
    "instagram_token": lambda tok, uid: {"data": [{
        "access_token": tok, "user_id": uid,
        "permissions": "instagram_business_basic"}]},
    # the same page: error responses of the token exchange.
    "instagram_error": lambda msg: {"error_type": "OAuthException", "code": 400,
                                    "error_message": msg},
    # Instagram API with Instagram Login, reference, "Get user profile":
    # GET graph.instagram.com/{version}/me?fields=user_id,username&access_token=...
    # (the token is a query parameter there, never a header).
    "instagram_me": lambda acct, fields: {k: acct[k] for k in fields if k in acct},
    # Sign in with Apple REST API, "Generate and validate tokens":
    # TokenResponse, and ErrorResponse {"error": "invalid_grant" | ...}.
    "apple_token": lambda tok, id_token: {"access_token": tok, "token_type": "Bearer",
                                          "expires_in": 3600, "refresh_token": "r" + tok,
                                          "id_token": id_token},
    "apple_error": lambda code: {"error": code},
    # Sign in with Apple, "Authenticating users with Sign in with Apple",
    # the identity token's claims (email_verified and is_private_email are
    # strings).
    "apple_id_token": lambda iss, aud, acct, nonce, now: {
        "iss": iss, "aud": aud, "exp": now + 600, "iat": now, "sub": acct["sub"],
        "nonce": nonce, "nonce_supported": True, "email": acct["email"],
        "email_verified": acct.get("email_verified", "true"),
        "is_private_email": acct.get("is_private_email", "false"),
        "auth_time": now, "real_user_status": 2},
    # "Incorporating Sign in with Apple into other platforms", response_mode
    # form_post: the `user` form field, on the first authorization only.
    "apple_user": lambda acct: json.dumps({"name": {"firstName": acct["first"],
                                                    "lastName": acct["last"]},
                                           "email": acct["email"]}),
}


def openssl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, capture_output=True,
                          check=True).stdout


class RsaKey:
    """An RS256 signing key (Apple's ID-token keys) in dir."""

    def __init__(self, path, kid):
        self.path, self.kid = path, kid
        openssl("genrsa", "-out", path, "2048")
        mod = openssl("rsa", "-in", path, "-noout", "-modulus").decode().strip()
        self.n = bytes.fromhex(mod.split("=", 1)[1])

    def jwk(self):
        return {"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256",
                "n": harness.b64url_encode(self.n), "e": "AQAB"}

    def sign(self, payload, kid=None):
        head = {"kid": kid or self.kid, "alg": "RS256"}
        si = (harness.b64url_encode(json.dumps(head).encode()) + "."
              + harness.b64url_encode(json.dumps(payload).encode()))
        sig = openssl("dgst", "-sha256", "-sign", self.path, data=si.encode())
        return si + "." + harness.b64url_encode(sig)


def ec_key(directory, name):
    """A team's Sign in with Apple key: (.p8 path, public PEM path)."""
    p8 = os.path.join(directory, name + ".p8")
    pub = os.path.join(directory, name + ".pub")
    raw = openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout")
    with open(p8, "wb") as f:
        f.write(openssl("pkcs8", "-topk8", "-nocrypt", data=raw))
    openssl("ec", "-in", p8, "-pubout", "-out", pub)
    return p8, pub


def es256_verify(token, pub_path, directory):
    """True when token's ES256 signature verifies under the public key."""
    si, _, sig = token.rpartition(".")
    raw = harness.b64url_decode(sig)
    if len(raw) != 64:
        return False
    der = harness._der(0x30, harness._der_int(raw[:32].lstrip(b"\0") or b"\0")
                       + harness._der_int(raw[32:].lstrip(b"\0") or b"\0"))
    sig_path = os.path.join(directory, secrets.token_hex(8) + ".sig")
    with open(sig_path, "wb") as f:
        f.write(der)
    try:
        r = subprocess.run(("openssl", "dgst", "-sha256", "-verify", pub_path, "-signature",
                            sig_path), input=si.encode(), capture_output=True)
        return r.returncode == 0
    finally:
        os.unlink(sig_path)


class Meta:
    """One app per provider: {provider: (client_id, secret, redirect_uri)};
    accounts: {provider: {login: profile dict}}."""

    def __init__(self, apps, accounts):
        self.apps = apps
        self.accounts = accounts
        self.codes = {}   # code -> (provider, login, redirect_uri, challenge)
        self.tokens = {}  # access token -> (provider, login)
        self.lock = threading.Lock()
        self.port = harness.free_port()
        self.httpd = None
        # Apple: {"team_id", "key_id", "pub" (the registered public key),
        # "rsa" (Apple's signing key), "dir"}; set by apple_setup
        self.apple = None
        self.apple_authorized = set()  # (client_id, login): `user` was sent
        self.client_secrets = []       # the client secrets Apple accepted
        self.forge = None  # a function of the ID-token claims: the token to send instead

    def url(self, provider):
        return f"http://127.0.0.1:{self.port}/{provider}"

    def start(self):
        meta = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                provider = self.path.split("/")[1]
                if provider == "apple":
                    self.reply(*meta.apple_token(self.path, form))
                else:
                    self.reply(*meta.token(provider, form))

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                provider = u.path.split("/")[1]
                if provider == "apple":
                    self.reply(*meta.apple_get(u.path))
                    return
                q = dict(urllib.parse.parse_qsl(u.query))
                auth = self.headers.get("Authorization", "")
                if provider == "instagram":  # as documented: the query only
                    token = q.get("access_token")
                else:
                    token = auth[7:] if auth.startswith("Bearer ") else q.get("access_token")
                self.reply(*meta.profile(provider, u.path, q, token))

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def close(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    def err(self, provider, msg):
        return 400, (FIXTURES["facebook_error"](msg) if provider == "facebook"
                     else FIXTURES["instagram_error"](msg))

    def browser_login(self, url, login):
        """The user at the authorization dialog: the redirect back (or a
        ValueError for what the provider would refuse to show)."""
        u = urllib.parse.urlparse(url)
        provider = u.path.split("/")[1]
        q = dict(urllib.parse.parse_qsl(u.query))
        cid, _, redirect = self.apps[provider]
        if q.get("client_id") != cid or q.get("redirect_uri") != redirect \
                or q.get("response_type") != "code":
            raise ValueError(f"{provider} refuses the dialog: {q}")
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = (provider, login, redirect, q.get("code_challenge"),
                                q.get("nonce"))
        if provider == "apple":
            # name or email asked for: Apple demands form_post and posts
            # code, state and (first time only) user to redirect_uri
            if q.get("response_mode") != "form_post":
                raise ValueError("Apple needs response_mode=form_post with name/email")
            form = {"code": code, "state": q["state"]}
            if (cid, login) not in self.apple_authorized:
                self.apple_authorized.add((cid, login))
                form["user"] = FIXTURES["apple_user"](self.accounts["apple"][login])
            return form
        # Instagram appends #_ to the redirect; a browser never sends it
        return redirect + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})

    def token(self, provider, form):
        cid, secret, redirect = self.apps.get(provider, (None, None, None))
        if form.get("client_id") != cid or form.get("client_secret") != secret:
            return self.err(provider, "Error validating client secret.")
        if provider == "instagram" and form.get("grant_type") != "authorization_code":
            return self.err(provider, "Invalid grant_type")
        with self.lock:
            entry = self.codes.pop(form.get("code", ""), None)  # single use
        if entry is None or entry[0] != provider:
            return self.err(provider, "This authorization code has been used.")
        _, login, bound_redirect, challenge, _ = entry
        if form.get("redirect_uri") != bound_redirect:
            return self.err(provider, "redirect_uri isn't an absolute URI or doesn't match")
        if challenge is not None:
            v = form.get("code_verifier", "")
            if harness.b64url_encode(hashlib.sha256(v.encode()).digest()) != challenge:
                return self.err(provider, "Invalid code verifier")
        tok = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[tok] = (provider, login)
        acct = self.accounts[provider][login]
        if provider == "facebook":
            return 200, FIXTURES["facebook_token"](tok)
        return 200, FIXTURES["instagram_token"](tok, acct["user_id"])

    def profile(self, provider, path, q, token):
        with self.lock:
            who = self.tokens.get(token or "")
        if not path.endswith("/me") or who is None or who[0] != provider:
            return 400, (FIXTURES["facebook_error"]("Invalid OAuth access token.", 190)
                         if provider == "facebook"
                         else FIXTURES["instagram_error"]("Invalid OAuth access token"))
        fields = q.get("fields", "id").split(",")
        acct = self.accounts[provider][who[1]]
        if provider == "facebook":
            want = hmac.new(self.apps["facebook"][1].encode(), token.encode(),
                            hashlib.sha256).hexdigest()
            if not hmac.compare_digest(q.get("appsecret_proof", ""), want):
                return 400, FIXTURES["facebook_error"](
                    "Invalid appsecret_proof provided in the API argument", 100)
            return 200, FIXTURES["facebook_me"](acct, fields)
        return 200, FIXTURES["instagram_me"](acct, fields)

    # ---------------------------------------------------------- Apple

    def apple_setup(self, directory, client_id, redirect_uri, team_id="TEAM123456",
                    key_id="KEY1234567"):
        """Register an app: the team's key pair (the .p8 for authsvc, the
        public half kept here) and Apple's own ID-token signing key."""
        p8, pub = ec_key(directory, "apple-team")
        self.apple = {"team_id": team_id, "key_id": key_id, "pub": pub, "p8": p8,
                      "dir": directory, "rsa": RsaKey(os.path.join(directory, "apple-rsa.pem"),
                                                      "appleKey1")}
        self.apps["apple"] = (client_id, None, redirect_uri)
        return p8

    def issuer(self):
        return self.url("apple")

    def apple_get(self, path):
        base = self.issuer()
        if path.endswith("/.well-known/openid-configuration"):
            return 200, {"issuer": base, "authorization_endpoint": base + "/auth/authorize",
                         "token_endpoint": base + "/auth/token",
                         "jwks_uri": base + "/auth/keys",
                         "response_types_supported": ["code"],
                         "response_modes_supported": ["query", "fragment", "form_post"],
                         "id_token_signing_alg_values_supported": ["RS256"]}
        if path.endswith("/auth/keys"):
            return 200, {"keys": [self.apple["rsa"].jwk()]}
        return 404, {"error": "not_found"}

    def client_secret_ok(self, jwt, client_id):
        try:
            head, claims, _ = harness.jwt_parts(jwt)
        except (ValueError, KeyError):
            return False
        now = int(time.time())
        a = self.apple
        return (head.get("alg") == "ES256" and head.get("kid") == a["key_id"]
                and claims.get("iss") == a["team_id"] and claims.get("sub") == client_id
                and claims.get("aud") == "https://appleid.apple.com"
                and isinstance(claims.get("exp"), int) and claims["exp"] > now
                and isinstance(claims.get("iat"), int) and claims["iat"] <= now + 60
                and claims["exp"] - claims["iat"] <= 15777000
                and es256_verify(jwt, a["pub"], a["dir"]))

    def apple_token(self, path, form):
        cid, _, _ = self.apps["apple"]
        if not path.endswith("/auth/token"):
            return 404, FIXTURES["apple_error"]("invalid_request")
        if form.get("grant_type") != "authorization_code":
            return 400, FIXTURES["apple_error"]("unsupported_grant_type")
        if form.get("client_id") != cid or not self.client_secret_ok(
                form.get("client_secret", ""), cid):
            return 400, FIXTURES["apple_error"]("invalid_client")
        with self.lock:
            entry = self.codes.pop(form.get("code", ""), None)
        if entry is None or entry[0] != "apple" or form.get("redirect_uri") != entry[2]:
            return 400, FIXTURES["apple_error"]("invalid_grant")
        with self.lock:
            self.client_secrets.append(form["client_secret"])
        acct = self.accounts["apple"][entry[1]]
        claims = FIXTURES["apple_id_token"](self.issuer(), cid, acct, entry[4],
                                            int(time.time()))
        id_token = self.forge(claims) if self.forge else self.apple["rsa"].sign(claims)
        return 200, FIXTURES["apple_token"](secrets.token_urlsafe(24), id_token)

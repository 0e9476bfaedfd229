"""A local stand-in for Facebook Login and the Instagram API with Instagram
Login, for tests: the providers cannot be reached from here. It checks what
the real ones check (client id and secret, redirect_uri equal to the
registered one, single-use codes bound to that redirect_uri, PKCE when the
authorization asked for it, appsecret_proof on Graph API calls) and answers
with the documented JSON shapes. All of them are in FIXTURES below."""
import hashlib
import hmac
import http.server
import json
import secrets
import threading
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
    # Instagram API with Instagram Login, reference: GET /me?fields=user_id,username.
    "instagram_me": lambda acct, fields: {k: acct[k] for k in fields if k in acct},
}


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
                self.reply(*meta.token(provider, form))

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                provider = u.path.split("/")[1]
                q = dict(urllib.parse.parse_qsl(u.query))
                auth = self.headers.get("Authorization", "")
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
            self.codes[code] = (provider, login, redirect, q.get("code_challenge"))
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
        _, login, bound_redirect, challenge = entry
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

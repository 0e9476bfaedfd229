# SPDX-License-Identifier: Apache-2.0
"""A real OpenID Connect provider for the social login tests.

Provider runs tests/oidc/server.mjs (the npm package oidc-provider, pinned
by tests/oidc/package-lock.json and installed by scripts/install-deps with
`npm ci --prefix tests/oidc`) as its own process on a free loopback port,
with the issuers, clients and accounts the test gives. One process serves
every issuer layout the providers use, each under its own path prefix
(LAYOUTS). Stopped by PID.

    idp = oidc.Provider(tmpdir, [oidc.issuer("keycloak", clients=[...])]).start()
    loc = idp.browser_login(authorize_url, "alice")   # the redirect to the client
    idp.mode("keycloak", id_token="bad_aud")         # the next token answers mangled
    idp.rotate("keycloak")                           # new signing key (new kid)

Browser carries the provider's cookies and follows redirects while they
stay on the provider; the first redirect elsewhere (the client's callback)
is returned, not followed.
"""

import ctypes
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from harness import SetupError, free_port, scaled, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OIDC_DIR = os.path.join(ROOT, "tests", "oidc")

# Issuer path layouts of the real providers (the host part is loopback here).
LAYOUTS = {
    "keycloak": "/realms/authsvc",                    # https://kc/realms/<realm>
    "azure": "/11111111-2222-3333-4444-555555555555/v2.0",  # login.microsoftonline.com/<tenant>/v2.0
    "cognito": "/eu-west-1_TestPool",                 # cognito-idp.<region>.amazonaws.com/<pool>
    "autha": "/autha-tenant",                         # https://<tenant>.autha.example/
    "google": "",                                     # https://accounts.google.com
}


def issuer(layout, clients, accounts=None, alg="RS256"):
    """One provider entry for Provider()."""
    return {"name": layout, "prefix": LAYOUTS.get(layout, layout), "clients": clients,
            "accounts": accounts or {}, "alg": alg}


def client(client_id, secret, redirect_uris, **meta):
    c = {"client_id": client_id, "client_secret": secret, "redirect_uris": redirect_uris}
    c.update(meta)
    return c



def _die_with_parent():
    """In the child: end with the test process, even one killed by a timeout
    (PR_SET_PDEATHSIG), so no provider outlives its test."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Provider:
    def __init__(self, tmpdir, issuers):
        # a directory of its own (a stopped provider's port can come back)
        self.dir = tempfile.mkdtemp(prefix="oidc-", dir=tmpdir)
        self.issuers = issuers
        self.port = None
        self.proc = None
        self.log = os.path.join(self.dir, "oidc.log")
        self.conf = os.path.join(self.dir, "oidc.json")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def issuer_url(self, name):
        return self.base + self._prefix(name)

    def _prefix(self, name):
        for i in self.issuers:
            if i["name"] == name:
                return i["prefix"]
        raise KeyError(name)

    def start(self, port=None):
        script = os.path.join(OIDC_DIR, "server.mjs")
        if not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
            raise SetupError("tests/oidc has no node_modules: run scripts/install-deps "
                             "(npm ci --prefix tests/oidc)")
        self.port = port or self.port or free_port()
        with open(self.conf, "w") as f:
            json.dump({"providers": self.issuers}, f)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["node", script, str(self.port), self.conf],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         preexec_fn=_die_with_parent)
        wait_until(self._ready, scaled(20), what=f"OIDC provider on port {self.port}")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            with open(self.log) as f:
                raise SetupError(f"OIDC provider exited: {f.read()[-2000:]}")
        try:
            with urllib.request.urlopen(self.base + "/__admin/health", timeout=1) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=scaled(5))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- admin routes of server.mjs
    def _admin(self, route, body):
        req = urllib.request.Request(self.base + route, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        with urllib.request.urlopen(req, timeout=scaled(10)) as r:
            return json.loads(r.read())

    def rotate(self, name):
        """A new signing key, published first; returns the kids, newest first."""
        return self._admin("/__admin/rotate", {"prefix": self._prefix(name)})["kids"]

    def mode(self, name, id_token=None, delay_ms=0):
        """Mangle the next token answers' ID tokens, and/or delay every answer."""
        return self._admin("/__admin/mode", {"prefix": self._prefix(name),
                                             "id_token": id_token, "delay_ms": delay_ms})

    # -- the browser's side
    def browser(self):
        return Browser(self.base)

    def browser_login(self, authorize_url, login, consent=True, browser=None):
        """Log in at the provider as `login` and (by default) consent; returns
        the Location of the redirect that leaves the provider."""
        b = browser or self.browser()
        status, loc, body = b.get(authorize_url)
        if not loc.startswith(self.base):
            return loc
        status, loc, body = b.follow(loc)
        if loc and not loc.startswith(self.base):
            return loc
        action = _form_action(body)
        status, loc, body = b.post(action, {"prompt": "login", "login": login,
                                            "password": "any"})
        status, loc, body = b.follow(loc)
        if loc and not loc.startswith(self.base):
            return loc
        action = _form_action(body)
        if not consent:
            m = re.search(r'href="([^"]*/abort)"', body)
            status, loc, body = b.follow(urllib.parse.urljoin(self.base, m.group(1)))
            return loc
        status, loc, body = b.post(action, {"prompt": "consent"})
        status, loc, body = b.follow(loc)
        if loc is None:
            raise AssertionError(f"provider did not redirect ({status}): {body[:500]}")
        return loc


def _form_action(body):
    m = re.search(r'<form[^>]*action="([^"]+)"', body)
    if not m:
        raise AssertionError(f"no form in provider page: {body[:500]}")
    return m.group(1).replace("&amp;", "&")


class Browser:
    """A cookie jar and a no-redirect opener: follows redirects by hand so a
    test sees each hop and can stop at the first that leaves `home`."""

    def __init__(self, home):
        self.home = home
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def _open(self, req):
        try:
            r = self.opener.open(req, timeout=scaled(20))
        except urllib.error.HTTPError as e:
            r = e
        body = r.read().decode("utf-8", "replace")
        loc = r.headers.get("Location")
        if loc:
            loc = urllib.parse.urljoin(req.full_url, loc)
        return r.status if hasattr(r, "status") else r.code, loc, body

    def get(self, url, headers=None):
        return self._open(urllib.request.Request(url, headers=headers or {}))

    def post(self, url, form, headers=None):
        url = urllib.parse.urljoin(self.home, url)
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self._open(urllib.request.Request(
            url, data=urllib.parse.urlencode(form).encode(), headers=h, method="POST"))

    def follow(self, url, limit=10):
        """GET `url` and follow redirects while they stay at home."""
        status, loc, body = self.get(urllib.parse.urljoin(self.home, url))
        while loc and loc.startswith(self.home) and limit > 0:
            status, loc, body = self.get(loc)
            limit -= 1
        return status, loc, body

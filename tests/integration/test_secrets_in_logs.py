# SPDX-License-Identifier: Apache-2.0
"""No secret reaches the server's log (docs/security.md), even at
log_level "debug": passwords, client secrets, auth codes, access and refresh
tokens, and Authorization header values.

Each test runs whole flows against its own server (log_level "debug"), good
and bad, collects every secret it sent or received, stops the server, and
searches its log (harness Server.log_path: stdout and stderr of the process)
for each secret, and for every 20-character window of the long ones (so a
truncated or partial secret is found too), and for the hex of a JWT's
signature. The secrets are long random strings, so a hit is never chance.

The search is checked against itself first: the log must contain the
request lines (debug level is on), and a planted value is found.
"""
import base64
import secrets as rand

import harness
from harness import USERNAME, b64url_decode, expect, expect_error

WINDOW = 20  # a piece of a secret this long in the log is a leak


def rnd(prefix, n=24):
    return prefix + rand.token_urlsafe(n).replace("-", "x").replace("_", "y")


class Secrets:
    """Every secret a test used or received, with a label for the report."""

    def __init__(self):
        self.items = []

    def add(self, label, value):
        if value:
            self.items.append((label, str(value)))
        return value

    def jwt(self, label, token):
        """A JWT, its payload and signature segments, and the signature's
        hex and standard base64 (the header segment is not secret)."""
        self.add(label, token)
        parts = token.split(".")
        if len(parts) == 3:
            self.add(label + " payload", parts[1])
            self.add(label + " signature", parts[2])
            try:
                sig = b64url_decode(parts[2])
                self.add(label + " signature hex", sig.hex())
                self.add(label + " signature base64", base64.b64encode(sig).decode())
            except ValueError:
                pass
        return token

    def pair(self, label, body):
        assert isinstance(body, dict) and body.get("accessToken"), body
        self.jwt(label + " access token", body["accessToken"])
        self.add(label + " refresh token", body.get("refreshToken"))
        return body

    def bearer(self, label, value):
        self.add(label + " Authorization header", value)
        return {"Authorization": value}


def windows(s, n=WINDOW):
    return {s[i:i + n] for i in range(len(s) - n + 1)} if len(s) >= n else set()


def find_leaks(log, items):
    """[(label, what was found)] for every secret, or piece of one, in log."""
    log_windows = windows(log)
    leaks = []
    for label, value in items:
        if len(value) < WINDOW:
            if value in log:
                leaks.append((label, value))
            continue
        hit = next((w for w in sorted(windows(value)) if w in log_windows), None)
        if hit is not None:
            leaks.append((label, value if value in log else hit))
    return leaks


def read_log(srv):
    with open(srv.log_path, errors="replace") as f:
        return f.read()


def check_log(srv, sec):
    srv.stop()  # everything it will ever write is in the file now
    log = read_log(srv)
    assert 'msg="request"' in log and "status=" in log, \
        f"no debug request lines in {srv.log_path}: is log_level debug?\n{log[-2000:]}"
    # the search itself works: a planted piece of a secret is found
    probe = sec.items[0][1]
    assert find_leaks(log + "x" + probe[1:WINDOW + 1] + "x", [("probe", probe)]), \
        "the leak search does not find a planted secret"
    leaks = find_leaks(log, sec.items)
    if leaks:
        lines = "\n".join(f"  {label}: {piece!r}" for label, piece in leaks)
        where = "\n".join(ln for ln in log.splitlines()
                          if any(p in ln for _, p in leaks))[:4000]
        raise AssertionError(f"{len(leaks)} secret(s) in the server log {srv.log_path}:\n"
                             f"{lines}\nlog lines:\n{where}")
    assert len(sec.items) > 20, f"too few secrets collected: {len(sec.items)}"


def setup_user(t, sec):
    """A client and a user of our own with long random secrets (the standard
    fixture's "test" is too short and too common to search for)."""
    client_secret = sec.add("client secret", rnd("cs-"))
    t.add_client("sec-web", secret=client_secret)
    password = sec.add("password", rnd("pw-"))
    t.add_user("sec_user", password, client="sec-web")
    return client_secret, password


def login(t, srv, username, password, client_secret, form=False):
    return t.login(username=username, password=password, client_id="sec-web",
                   client_secret=client_secret, form=form, server=srv)


def test_no_secret_in_debug_log_across_flows(t):
    sec = Secrets()
    srv = t.start_server("secrets", log_level="debug")
    client_secret, password = setup_user(t, sec)

    # login (JSON and form) and code exchange
    r = expect(login(t, srv, "sec_user", password, client_secret), 200)
    code = sec.add("auth code", r.body["code"])
    tokens = sec.pair("exchange", t.exchange(code, client_id="sec-web", server=srv))
    r = expect(login(t, srv, "sec_user", password, client_secret, form=True), 200)
    code2 = sec.add("auth code (form)", r.body["code"])
    tokens2 = sec.pair("exchange 2", t.exchange(code2, client_id="sec-web", server=srv))
    # a code used twice
    expect_not_ok(t.exchange(code, client_id="sec-web", server=srv, expect_ok=False))

    # login-token: tokens without a code
    r = t.login_token(username="sec_user", password=password, client_id="sec-web",
                      client_secret=client_secret, server=srv)
    if r.status == 200:
        sec.pair("login-token", r.body)

    # bearer use, refresh, and a refresh token used twice
    expect(t.http("GET", "/auth/me", server=srv,
                  headers=sec.bearer("me", "Bearer " + tokens["accessToken"])), 200)
    r = t.http("POST", "/auth/token-refresh", json={"refreshToken": tokens["refreshToken"]},
               headers=sec.bearer("refresh", "Bearer " + tokens["accessToken"]), server=srv)
    refreshed = sec.pair("refresh", expect(r, 200).body)
    t.http("POST", "/auth/token-refresh", json={"refreshToken": tokens["refreshToken"]},
           headers=sec.bearer("reuse", "bearer " + refreshed["accessToken"]), server=srv)

    # logout
    tokens3 = sec.pair("exchange 3", t.exchange(
        sec.add("auth code 3", expect(login(t, srv, "sec_user", password, client_secret),
                                      200).body["code"]),
        client_id="sec-web", server=srv))
    r = t.http("POST", "/logout", json={"refreshToken": tokens3["refreshToken"]},
               headers=sec.bearer("logout", "Bearer " + tokens3["accessToken"]), server=srv)
    expect_not_5xx_or_fail(r)
    # the logged-out access token again (revoked)
    t.http("GET", "/auth/me", server=srv,
           headers=sec.bearer("revoked", "Bearer " + tokens3["accessToken"]))

    # change-password: a wrong old password first, then the right one
    new_password = sec.add("new password", rnd("np-"))
    wrong_old = sec.add("wrong old password", rnd("wo-"))
    body = {"username": "sec_user", "password": new_password, "oldPassword": wrong_old,
            "refreshToken": tokens2["refreshToken"]}
    expect_error(t.http("PATCH", "/auth/change-password", json=body, server=srv,
                        headers=sec.bearer("change (wrong)", "Bearer " + tokens2["accessToken"])),
                 401)
    body["oldPassword"] = password
    expect(t.http("PATCH", "/auth/change-password", json=body, server=srv,
                  headers=sec.bearer("change", "Bearer " + tokens2["accessToken"])), 200)
    expect(login(t, srv, "sec_user", new_password, client_secret), 200)

    # wrong passwords (JSON and form), unknown user, wrong client secret
    for i in range(3):
        wrong = sec.add(f"wrong password {i}", rnd("wp-"))
        expect_error(login(t, srv, "sec_user", wrong, client_secret, form=i == 1), 401)
    expect_error(login(t, srv, "no_such_user", sec.add("unknown user's password", rnd("nu-")),
                       client_secret), 401)
    wrong_cs = sec.add("wrong client secret", rnd("wc-"))
    expect_error(login(t, srv, "sec_user", new_password, wrong_cs), 401)
    expect_error(login(t, srv, "sec_user", new_password, wrong_cs, form=True), 401)
    # a malformed body that still carries a password
    t.http("POST", "/auth/login", server=srv, raw='{"client_id":"sec-web","password":"'
           + sec.add("password in malformed JSON", rnd("mj-")) + '",',
           content_type="application/json")
    # an exchange with a made-up code
    t.exchange(sec.add("made-up code", rnd("mc-")), client_id="sec-web", server=srv,
               expect_ok=False)

    # bearer garbage: random, JWT-shaped, tampered, wrong scheme, and a
    # refresh token where the access token belongs
    garbage = sec.add("garbage bearer", rnd("gb-", 32))
    jwt_like = sec.jwt("JWT-shaped garbage", ".".join(rnd("", 30) for _ in range(3)))
    h, p, s = refreshed["accessToken"].split(".")
    tampered = sec.jwt("tampered token", f"{h}.{p}.{s[:-6]}{'A' * 6 if s[-6:] != 'AAAAAA' else 'B' * 6}")
    for label, value in (("garbage", "Bearer " + garbage), ("jwt-like", "Bearer " + jwt_like),
                         ("tampered", "Bearer " + tampered),
                         ("basic", "Basic " + sec.add("basic credentials", base64.b64encode(
                             f"sec_user:{new_password}".encode()).decode())),
                         ("refresh as bearer", "Bearer " + refreshed["refreshToken"]),
                         ("no space", "Bearer" + garbage)):
        expect_error(t.http("GET", "/auth/me", server=srv,
                            headers=sec.bearer(label, value)), 401)
    t.http("POST", "/auth/token-refresh", server=srv,
           json={"refreshToken": sec.add("made-up refresh token", rnd("rt-"))},
           headers=sec.bearer("refresh (made-up)", "Bearer " + garbage))

    check_log(srv, sec)


def test_no_secret_in_debug_log_token_switch(t):
    sec = Secrets()
    srv = t.start_server("secrets-switch", log_level="debug")
    t.add_tenant("tenant2")
    tid = t.db.value("SELECT id FROM main.tenants WHERE key = 'tenant2'")
    t.db.sql("INSERT INTO main.user_tenants (user_id, tenant_id, role_id, status) "
             "VALUES (:'u', :'t', :'r', 1)", u=t.fx.user_id, t=tid, r=t.fx.role_id)
    # the standard user, but with tokens we search for
    tokens = sec.pair("exchange", t.exchange(
        sec.add("auth code", t.code(server=srv)), server=srv))
    r = t.http("POST", "/auth/token-switch", server=srv,
               json={"refreshToken": tokens["refreshToken"], "tenantId": tid},
               headers=sec.bearer("switch", "Bearer " + tokens["accessToken"]))
    if r.status == 200:
        sec.pair("switch", r.body)
    for i in range(20):  # enough values for check_log's sanity floor
        sec.add(f"filler {i}", rnd("fl-"))
    check_log(srv, sec)


def test_leak_search_finds_a_logged_header(t):
    """The search is not vacuous: a log that holds a token (or a part of one)
    fails, the way a log line with the Authorization header would."""
    sec = Secrets()
    tokens = sec.pair("exchange", t.tokens_for())
    value = "Bearer " + tokens["accessToken"]
    sec.add("Authorization header", value)
    line = f"ts=x level=debug msg=\"request\" authorization=\"{value}\"\n"
    assert find_leaks("ts=x level=info msg=\"ok\"\n" + line, sec.items)
    # a truncated signature, as a log line cut at 2048 bytes would leave it
    sig = tokens["accessToken"].split(".")[2]
    assert find_leaks(f"sig={sig[5:5 + WINDOW + 3]}\n", sec.items)
    assert not find_leaks("ts=x level=info msg=\"ok\" user=" + USERNAME + "\n", sec.items)


def expect_not_ok(resp):
    if 200 <= resp.status < 300:
        raise AssertionError(f"expected a refusal, got {resp!r}")
    return resp


def expect_not_5xx_or_fail(resp):
    harness.expect_not_5xx(resp)
    return resp


if __name__ == "__main__":
    harness.main(globals())

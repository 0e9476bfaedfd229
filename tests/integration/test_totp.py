# SPDX-License-Identifier: Apache-2.0
"""The authenticator-app second factor (issue 3, docs/api.md "Second factor and passwordless login"):
enrolment by QR code with the MFA-flagged code, RFC 6238 codes computed here
from the returned secret, ±1 step, no replay, secrets encrypted at rest."""
import base64
import hashlib
import hmac
import struct
import subprocess
import time
import urllib.parse

import harness
from harness import expect, expect_error, USERNAME

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def totp(secret_b32, t=None, step=0, digits=6, period=30):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if t is None else t) // period) + step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    value = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return f"{value:0{digits}d}"


def steady(margin=3, period=30):
    """Wait until `margin` seconds are left in the current step, so that a
    code computed here is checked by the server in the same step."""
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.1)


def totp_server(t, name="totp", mfa=None, settings=None, **extra):
    conf = {"mode": "all", "method": "totp", "secret_key": KEY}
    conf.update(mfa or {})
    totp_plugin = {"file": "totp.so"}
    if settings:
        totp_plugin["settings"] = settings
    plugins = {"local": {"file": "local.so", "settings": {"login_token": True}},
               "totp": totp_plugin}
    return t.start_server(name, mfa=conf, plugins=plugins, **extra)


def secret_of(reply):
    expect(reply, 200)
    uri = urllib.parse.urlparse(reply.body["otpauthUri"])
    return urllib.parse.parse_qs(uri.query)["secret"][0]


def check(t, srv, code, client="web"):
    headers = {}
    if code is not None:
        headers["code"] = code
    if client is not None:
        headers["clientId"] = client
    return t.http("GET", "/auth/check-qr-code", server=srv, headers=headers)


def create(t, srv, code, client="web"):
    return t.http("POST", "/auth/create-qr-code", server=srv,
                  json={"clientId": client, "code": code})


def verify(t, srv, otp, **extra):
    body = {"key": USERNAME, "otp": otp}
    body.update(extra)
    return t.http("POST", "/auth/verify-otp", server=srv, json=body)


def enrol(t, srv):
    """Login, enrol, confirm with the current code; returns (secret, counter used)."""
    mfa_code = t.login(server=srv).body["code"]
    secret = secret_of(create(t, srv, mfa_code))
    steady()
    now = time.time()
    expect(verify(t, srv, totp(secret, now), clientId="web"), 200)
    return secret, int(now // 30)


def test_enrolment_then_login_with_app_codes(t):
    srv = totp_server(t)
    r = t.login(server=srv)
    expect(r, 200)
    mfa_code = r.body["code"]
    expect_error(t.exchange(mfa_code, server=srv, expect_ok=False), 401,
                 "User Verification Failed")
    expect(check(t, srv, mfa_code), 200)
    assert check(t, srv, mfa_code).body == {"isGenerated": False}
    r = create(t, srv, mfa_code)
    expect(r, 200)
    assert r.body["qrCode"].startswith("data:image/png;base64,")
    png = base64.b64decode(r.body["qrCode"].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    uri = urllib.parse.urlparse(r.body["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp"), uri
    assert uri.path == f"/auth-service:{USERNAME}", uri.path
    q = urllib.parse.parse_qs(uri.query)
    secret = q["secret"][0]
    assert q["issuer"] == ["auth-service"] and q["digits"] == ["6"] and q["period"] == ["30"]
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    # pending until the first code verifies
    assert check(t, srv, mfa_code).body == {"isGenerated": False}
    stored = t.db.value("SELECT secret_key FROM main.user_credentials c JOIN main.users u "
                        "ON u.id = c.user_id WHERE u.username = :'u'", u=USERNAME)
    assert stored.startswith("enc1:") and secret not in stored, stored
    steady()
    r = verify(t, srv, totp(secret), clientId="web", code=mfa_code)
    expect(r, 200)
    tokens = t.exchange(r.body["code"], server=srv)
    expect(t.me(tokens["accessToken"], server=srv), 200)
    # the next login sees the confirmed authenticator and cannot enrol another
    mfa2 = t.login(server=srv).body["code"]
    assert check(t, srv, mfa2).body == {"isGenerated": True}
    expect_error(create(t, srv, mfa2), 409, "TOTP already enrolled")


def test_a_code_is_used_once(t):
    srv = totp_server(t)
    secret, used = enrol(t, srv)
    # the same step again, in a second login: refused (replay)
    t.login(server=srv)
    replay = totp(secret, used * 30)
    expect_error(verify(t, srv, replay), 401, "Otp Invalid")
    # a later step works (the next one, inside the ±1 window: no waiting)
    expect(verify(t, srv, totp(secret, step=1)), 200)


def test_window_is_one_step(t):
    srv = totp_server(t)
    mfa_code = t.login(server=srv).body["code"]
    secret = secret_of(create(t, srv, mfa_code))
    steady()
    now = time.time()
    # two steps away, either side: refused, and the secret stays pending
    expect_error(verify(t, srv, totp(secret, now, step=-2)), 401, "Otp Invalid")
    expect_error(verify(t, srv, totp(secret, now, step=2)), 401, "Otp Invalid")
    assert check(t, srv, mfa_code).body == {"isGenerated": False}
    # the previous step: accepted, and this first use confirms the secret
    expect(verify(t, srv, totp(secret, now, step=-1)), 200)
    # then the current and the next step, each in a later login
    t.login(server=srv)
    expect(verify(t, srv, totp(secret, now)), 200)
    t.login(server=srv)
    expect(verify(t, srv, totp(secret, now, step=1)), 200)
    # a step before the last one used, though inside the window: refused
    t.login(server=srv)
    expect_error(verify(t, srv, totp(secret, now)), 401, "Otp Invalid")


def test_settings_reach_the_uri_and_the_check(t):
    srv = totp_server(t, settings={"issuer": "Acme: Auth", "digits": 8, "period": 60})
    mfa_code = t.login(server=srv).body["code"]
    r = create(t, srv, mfa_code)
    expect(r, 200)
    uri = r.body["otpauthUri"]
    assert uri.startswith(f"otpauth://totp/Acme%3A%20Auth:{USERNAME}?"), uri
    q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
    assert q["issuer"] == ["Acme: Auth"] and q["digits"] == ["8"], q
    assert q["period"] == ["60"] and q["algorithm"] == ["SHA1"], q
    secret = q["secret"][0]
    steady(period=60)
    expect_error(verify(t, srv, totp(secret, digits=8, period=60)[:6]), 401, "Otp Invalid")
    expect(verify(t, srv, totp(secret, digits=8, period=60)), 200)


def test_wrong_code_and_no_transaction(t):
    srv = totp_server(t)
    secret, used = enrol(t, srv)
    # no password step: nothing to verify against, even with a right code
    expect_error(verify(t, srv, totp(secret, step=1)), 401, "Otp Token Incorrect or Expired")
    t.login(server=srv)
    good = totp(secret, step=1)
    wrong = "000000" if good != "000000" else "111111"
    expect_error(verify(t, srv, wrong), 401, "Otp Invalid")
    expect_error(verify(t, srv, "12ab56"), 401, "Otp Invalid")


def test_admin_forgets_a_lost_authenticator(t):
    srv = totp_server(t)
    old, _ = enrol(t, srv)
    p = t.admin("user", "mfa", "--username", USERNAME, "--reset-totp")
    assert "authenticator forgotten" in p.stdout, p.stdout
    row = t.db.sql("SELECT coalesce(secret_key, 'NULL'), totp_confirmed, totp_last_step"
                   " FROM main.user_credentials c JOIN main.users u ON u.id = c.user_id"
                   " WHERE u.username = :'u'", u=USERNAME)
    assert row == [["NULL", "f", "0"]], row
    # the old app's codes no longer pass; the user enrols again
    mfa_code = t.login(server=srv).body["code"]
    expect_error(verify(t, srv, totp(old, step=1)), 401, "Invalid Credentials")
    assert check(t, srv, mfa_code).body == {"isGenerated": False}
    new = secret_of(create(t, srv, mfa_code))
    assert new != old
    steady()
    expect(verify(t, srv, totp(new), clientId="web"), 200)
    assert t.admin("user", "mfa", "--username", "nobody", "--reset-totp",
                   check=False).returncode == 1
    assert t.admin("user", "mfa", "--username", USERNAME, "--reset-totp", "--on",
                   check=False).returncode == 2


def test_user_without_authenticator_cannot_pass(t):
    srv = totp_server(t)
    t.login(server=srv)
    expect_error(verify(t, srv, "123456"), 401, "Invalid Credentials")


def test_qr_endpoints_refuse_bad_codes(t):
    srv = totp_server(t)
    mfa_code = t.login(server=srv).body["code"]
    expect_error(check(t, srv, mfa_code, client=None), 401, "Client Invalid")
    expect_error(check(t, srv, None), 401, "Token Invalid")
    expect_error(check(t, srv, mfa_code, client="nope"), 401, "Client Invalid")
    expect_error(check(t, srv, mfa_code, client="mobile"), 401, "Invalid Credentials")
    expect_error(check(t, srv, "not-a-code"), 401, "Invalid Credentials")
    # a normal auth code (MFA off for mobile) is not an MFA code
    t.allow_client(USERNAME, "mobile")
    srv2 = totp_server(t, "totp2", mfa={"clients": ["web"]})
    plain = t.login(client_id="mobile", server=srv2).body["code"]
    expect_error(create(t, srv2, plain, client="mobile"), 401, "Invalid Credentials")
    expect_error(t.http("POST", "/auth/create-qr-code", server=srv, json={"clientId": "web"}),
                 422)


def test_expired_mfa_code(t):
    srv = totp_server(t, mfa={"ttl": 10})
    mfa_code = t.login(server=srv).body["code"]
    t.db.sql("UPDATE main.otp_pending SET expires_at = now() - interval '1 second'")
    expect_error(check(t, srv, mfa_code), 401, "Code Expired")


def test_server_needs_a_secret_key_with_the_plugin(t):
    srv = t.suite.new_server("nokey", mfa={"mode": "all", "method": "totp"},
                             plugins={"local": {"file": "local.so"},
                                      "totp": {"file": "totp.so"}})
    srv.write_config()
    p = subprocess.run([harness.BIN, "-c", srv.conf_path], capture_output=True, text=True,
                       timeout=harness.scaled(20))
    assert p.returncode == 1 and "mfa.secret_key" in p.stderr, (p.returncode, p.stderr[-300:])
    srv = t.suite.new_server("noplugin", mfa={"mode": "all", "method": "totp",
                                              "secret_key": KEY})
    srv.write_config()
    p = subprocess.run([harness.BIN, "-c", srv.conf_path], capture_output=True, text=True,
                       timeout=harness.scaled(20))
    assert p.returncode == 1 and "totp plugin" in p.stderr, (p.returncode, p.stderr[-300:])
    srv = t.suite.new_server("badissuer", mfa={"mode": "all", "method": "totp",
                                               "secret_key": KEY},
                             plugins={"local": {"file": "local.so"},
                                      "totp": {"file": "totp.so",
                                               "settings": {"issuer": "x" * 101}}})
    srv.write_config()
    p = subprocess.run([harness.BIN, "-c", srv.conf_path], capture_output=True, text=True,
                       timeout=harness.scaled(20))
    assert p.returncode == 1 and "issuer" in p.stderr, (p.returncode, p.stderr[-300:])


if __name__ == "__main__":
    harness.main(globals())

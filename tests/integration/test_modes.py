# SPDX-License-Identifier: Apache-2.0
"""Server configurations: signing algorithms (ES256, HS256, PEM key files),
upstream bcrypt hashes, activity encryption and trusted proxies, plugin
settings and the plugin loader's refusals."""
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess

import harness
from harness import (PASSWORD, USERNAME, b64url_decode, expect, expect_error, jwt_build,
                     jwt_parts, wait_until)

HS_SECRET = "k7Qp2Vx9Lm4Rt8Wz1Bn6Hd3Fs5Gj0Ky2Ue7Ic9Oa"  # 41 bytes
ACTIVITY_KEY = "00112233445566778899aabbccddeeff" "ffeeddccbbaa99887766554433221100"

# Upstream (bcryptjs) hashes of BCRYPT_PASSWORD, cost 10, fixed salt. Verified
# with libxcrypt (python3 crypt) when this file was written; $2a$ and $2b$
# give the same hash for an ASCII password.
BCRYPT_PASSWORD = "bcrypt-Pass-1"
BCRYPT_2B = "$2b$10$abcdefghijklmnopqrstuuHEVlpVpvJSgJBhRHQ1wtuEwzaPXS4vu"
BCRYPT_2A = "$2a$10$abcdefghijklmnopqrstuuHEVlpVpvJSgJBhRHQ1wtuEwzaPXS4vu"


# ---------------------------------------------------------------- helpers

def run_check_config(srv):
    """authsvc --check-config on a server's generated config (not started)."""
    harness._require_binary(harness.BIN, "authsvc", "AUTHSVC_BIN")
    srv.port = harness.free_port()
    path = srv.write_config()
    return subprocess.run([harness.BIN, "--check-config", "-c", path], capture_output=True,
                          text=True, timeout=harness.scaled(30))


def jwks(srv):
    r = expect(srv.http("GET", "/.well-known/jwks.json"), 200)
    assert isinstance(r.body, dict) and isinstance(r.body.get("keys"), list), f"{r!r}"
    return r.body["keys"]


def openssl(*args, input=None):
    exe = shutil.which("openssl")
    if exe is None:
        raise harness.SetupError("openssl not found (install openssl)")
    p = subprocess.run([exe, *args], input=input, capture_output=True,
                       timeout=harness.scaled(60))
    return p


def openssl_verify(tmp, name, pub_pem, signing_input, der_sig):
    """openssl dgst -sha256 -verify: True when the signature verifies."""
    pub = os.path.join(tmp, f"{name}.pub.pem")
    sig = os.path.join(tmp, f"{name}.sig")
    data = os.path.join(tmp, f"{name}.data")
    with open(pub, "w") as f:
        f.write(pub_pem)
    with open(sig, "wb") as f:
        f.write(der_sig)
    with open(data, "wb") as f:
        f.write(signing_input.encode())
    p = openssl("dgst", "-sha256", "-verify", pub, "-signature", sig, data)
    return p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")


def _der_uint(b):
    b = b.lstrip(b"\x00") or b"\x00"
    return harness._der_int(b)


def ec_jwk_to_pem(jwk):
    """SubjectPublicKeyInfo PEM of a P-256 JWK (x, y)."""
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    alg_id = harness._der(0x30, bytes.fromhex("06072a8648ce3d0201")
                          + bytes.fromhex("06082a8648ce3d030107"))
    spki = harness._der(0x30, alg_id + harness._der(0x03, b"\x00\x04" + x + y))
    b64 = base64.b64encode(spki).decode()
    lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n"


def signing_input(token):
    return token.rsplit(".", 1)[0]


def activity_row(t, login_type="ACCESS"):
    t.wait_rows("login_activity", "login_type = :'lt'", lt=login_type)
    rows = t.db.sql("SELECT token_payload, ip_address FROM main.login_activity "
                    "WHERE login_type = :'lt' ORDER BY login_time DESC LIMIT 1", lt=login_type)
    return rows[0]


def set_password_hash(t, username, phc):
    t.db.sql("UPDATE main.user_credentials SET password = :'h' WHERE user_id = "
             "(SELECT id FROM main.users WHERE username = :'u')", h=phc, u=username)


def stored_hash(t, username):
    return t.db.value("SELECT password FROM main.user_credentials WHERE user_id = "
                      "(SELECT id FROM main.users WHERE username = :'u')", u=username)


# ---------------------------------------------------------------- ES256

def test_es256_tokens_work_and_jwks_lists_ec_key(t):
    es = t.start_server("es256", tokens={"algorithm": "ES256"})
    tokens = t.tokens_for(server=es)
    header, payload, sig = jwt_parts(tokens["accessToken"])
    assert header.get("alg") == "ES256", f"header {header}"
    assert header.get("kid"), f"ES256 token without kid: {header}"
    assert len(sig) == 64, f"ES256 signature must be 64 bytes (r||s), got {len(sig)}"
    assert payload.get("username") == USERNAME, payload
    r = expect(t.me(tokens["accessToken"], server=es), 200)
    assert r.body.get("username") == USERNAME, f"{r!r}"

    keys = jwks(es)
    ec = [k for k in keys if k.get("kid") == header["kid"]]
    assert ec, f"kid {header['kid']} of the token not in JWKS {keys}"
    k = ec[0]
    assert k.get("kty") == "EC" and k.get("crv") == "P-256", f"not a P-256 key: {k}"
    assert k.get("alg") in (None, "ES256"), f"alg of EC key: {k}"
    for coord in ("x", "y"):
        assert re.fullmatch(r"[A-Za-z0-9_-]+", k.get(coord) or ""), f"{coord} not base64url: {k}"
        assert len(b64url_decode(k[coord])) == 32, f"{coord} is not 32 bytes: {k}"
    assert "d" not in k, f"private key material published: {k}"
    assert all(key.get("kty") == "EC" for key in keys), f"non-EC key on an ES256 server: {keys}"

    # The published key really verifies the token's signature.
    der_sig = harness._der(0x30, _der_uint(sig[:32]) + _der_uint(sig[32:]))
    ok, out = openssl_verify(t.suite.tmp, "es256", ec_jwk_to_pem(k),
                             signing_input(tokens["accessToken"]), der_sig)
    assert ok, f"ES256 signature does not verify with the JWKS key: {out}"

    # A fresh key was stored for ES256, next to the RS256 one.
    algs = {row[0] for row in t.db.sql("SELECT DISTINCT alg FROM main.jwt_keys")}
    assert "ES256" in algs, f"no ES256 key in main.jwt_keys: {algs}"


def test_es256_server_refuses_rs256_token_and_vice_versa(t):
    rs_tokens = t.tokens_for()  # the shared (RS256) server
    es = t.start_server("es256b", tokens={"algorithm": "ES256"})
    expect(t.me(rs_tokens["accessToken"]), 200)
    expect_error(t.me(rs_tokens["accessToken"], server=es), 401)
    es_tokens = t.tokens_for(server=es)
    expect_error(t.me(es_tokens["accessToken"]), 401)


def test_es256_key_is_reused_by_second_instance(t):
    a = t.start_server("es256c", tokens={"algorithm": "ES256"})
    b = t.start_server("es256d", tokens={"algorithm": "ES256"})
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)


# ---------------------------------------------------------------- HS256

def test_hs256_tokens_work_and_jwks_is_empty(t):
    hs = t.start_server("hs256", tokens={"algorithm": "HS256", "hs_secret": HS_SECRET})
    tokens = t.tokens_for(server=hs)
    header, payload, sig = jwt_parts(tokens["accessToken"])
    assert header.get("alg") == "HS256", f"header {header}"
    expected = hmac.new(HS_SECRET.encode(), signing_input(tokens["accessToken"]).encode(),
                        hashlib.sha256).digest()
    assert hmac.compare_digest(sig, expected), "HS256 token is not signed with hs_secret"
    expect(t.me(tokens["accessToken"], server=hs), 200)

    r = expect(hs.http("GET", "/.well-known/jwks.json"), 200)
    assert r.body == {"keys": []} or (isinstance(r.body, dict) and r.body.get("keys") == []), \
        f"HS256 must publish no keys: {r!r}"

    # Same claims, signed with another secret: refused.
    forged = jwt_build(header, payload, key=b"another-secret-of-at-least-32-bytes!!")
    expect_error(t.me(forged, server=hs), 401)
    # And the RS256 server does not take HS256 tokens.
    expect_error(t.me(tokens["accessToken"]), 401)


@harness.no_fixture
def test_hs256_short_secret_is_refused(t):
    srv = t.suite.new_server("hsshort", tokens={"algorithm": "HS256", "hs_secret": "0123456789"})
    p = run_check_config(srv)
    assert p.returncode != 0, f"--check-config accepted a 10-byte HS256 secret: {p.stderr}"
    assert "32 bytes" in p.stderr + p.stdout, f"message does not mention 32 bytes: {p.stderr}"
    assert "0123456789" not in p.stderr + p.stdout, f"secret printed: {p.stderr}"

    # The server itself refuses to start, too.
    proc = subprocess.Popen([harness.BIN, "-c", srv.conf_path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=harness.scaled(10))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("server with a 10-byte HS256 secret kept running")
    assert proc.returncode != 0, f"server exited 0 with a 10-byte secret: {out!r}"


# ---------------------------------------------------------------- PEM key file

def test_private_key_file_signs_tokens_and_is_published(t):
    key = os.path.join(t.suite.tmp, "signing.pem")
    p = openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", key)
    assert p.returncode == 0, f"openssl genpkey failed: {p.stderr.decode()}"
    os.chmod(key, 0o600)
    p = openssl("rsa", "-in", key, "-noout", "-modulus")
    assert p.returncode == 0, p.stderr.decode()
    modulus = p.stdout.decode().strip().split("=", 1)[1].lower()
    pub_pem = openssl("pkey", "-in", key, "-pubout").stdout.decode()

    srv = t.start_server("pemkey", tokens={"private_key_file": key})
    tokens = t.tokens_for(server=srv)
    header, _, sig = jwt_parts(tokens["accessToken"])
    assert header.get("alg") == "RS256", f"header {header}"
    expect(t.me(tokens["accessToken"], server=srv), 200)

    ok, out = openssl_verify(t.suite.tmp, "pem", pub_pem, signing_input(tokens["accessToken"]),
                             sig)
    assert ok, f"token is not signed by the configured private_key_file: {out}"

    keys = jwks(srv)
    match = [k for k in keys if k.get("kid") == header.get("kid")]
    assert match, f"kid {header.get('kid')} not in JWKS {keys}"
    n_hex = b64url_decode(match[0]["n"]).hex().lstrip("0")
    assert n_hex == modulus.lstrip("0"), \
        f"JWKS n does not match the key file's modulus\n n={n_hex}\n modulus={modulus}"
    assert b64url_decode(match[0]["e"]) == b"\x01\x00\x01", f"e: {match[0]}"


# ---------------------------------------------------------------- upstream bcrypt

def test_bcrypt_hash_is_accepted_and_rehashed(t):
    for phc in (BCRYPT_2B, BCRYPT_2A):
        set_password_hash(t, USERNAME, phc)
        expect_error(t.login(password="wrong-password-1"), 401, "Invalid Credentials")
        assert stored_hash(t, USERNAME) == phc, "a failed login must not touch the hash"
        expect(t.login(password=BCRYPT_PASSWORD), 200)
        new = wait_until(lambda: (h := stored_hash(t, USERNAME)) != phc and h,
                         2, what="re-hash of the bcrypt password")
        assert new.startswith("$argon2id$"), f"re-hashed to {new[:20]}..., not argon2id"
        expect(t.login(password=BCRYPT_PASSWORD), 200)
        expect_error(t.login(password="wrong-password-1"), 401, "Invalid Credentials")
        assert stored_hash(t, USERNAME) == new, "hash changed again after an argon2id login"


def test_bcrypt_hash_wrong_password_never_logs_in(t):
    set_password_hash(t, USERNAME, BCRYPT_2B)
    expect_error(t.login(password=PASSWORD), 401, "Invalid Credentials")
    expect_error(t.login(password=BCRYPT_PASSWORD + "x"), 401, "Invalid Credentials")
    assert stored_hash(t, USERNAME) == BCRYPT_2B


# ---------------------------------------------------------------- activity

def test_activity_is_encrypted_with_key(t):
    srv = t.start_server("actkey", activity={"key": ACTIVITY_KEY})
    t.tokens_for(server=srv)
    payload, ip = activity_row(t)
    ivs = []
    for name, text in (("token_payload", payload), ("ip_address", ip)):
        try:
            obj = json.loads(text)
        except ValueError:
            raise AssertionError(f"{name} is not JSON: {text!r}")
        assert isinstance(obj, dict), f"{name} is not an object: {text!r}"
        assert re.fullmatch(r"[0-9a-f]{24}", obj.get("iv") or "", re.I), f"{name} iv: {obj}"
        assert re.fullmatch(r"[0-9a-f]{32}", obj.get("authTag") or "", re.I), \
            f"{name} authTag: {obj}"
        assert re.fullmatch(r"[0-9a-f]+", obj.get("encryptedData") or "", re.I), \
            f"{name} encryptedData: {obj}"
        assert USERNAME not in text and "127.0.0.1" not in text, f"{name} in clear: {text}"
        ivs.append(obj["iv"].lower())
    assert ivs[0] != ivs[1], f"the same nonce was used for two fields: {ivs}"


def test_activity_is_plain_without_key(t):
    t.tokens_for()
    payload, ip = activity_row(t)
    obj = json.loads(payload)
    assert isinstance(obj, dict) and "encryptedData" not in obj, f"payload: {payload}"
    assert USERNAME in payload, f"username not in the clear payload: {payload}"
    assert ip == "127.0.0.1", f"ip_address {ip!r}"


def test_forwarded_for_is_used_from_trusted_proxy(t):
    srv = t.start_server("proxied", activity={"trusted_proxies": "127.0.0.1"})
    code = t.code(server=srv)
    # The proxy appended 203.0.113.7; the client wrote 6.6.6.6 itself.
    t.exchange(code, server=srv, headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7"})
    _, ip = activity_row(t)
    assert ip == "203.0.113.7", \
        f"recorded ip_address {ip!r}, want the right-most untrusted X-Forwarded-For entry"


def test_forwarded_for_skips_every_trusted_hop(t):
    srv = t.start_server("proxied-cidr",
                         activity={"trusted_proxies": "127.0.0.0/8, 10.0.0.0/8"})
    code = t.code(server=srv)
    t.exchange(code, server=srv,
               headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.4, 10.1.2.3"})
    _, ip = activity_row(t)
    assert ip == "198.51.100.4", f"recorded ip_address {ip!r}: 10.1.2.3 is a trusted hop"


def test_rfc7239_forwarded_when_configured(t):
    srv = t.start_server("proxied-7239", activity={"trusted_proxies": "127.0.0.1",
                                                  "forwarded_header": "Forwarded"})
    code = t.code(server=srv)
    t.exchange(code, server=srv, headers={
        "Forwarded": 'for=6.6.6.6, for="198.51.100.5:4711";proto=https',
        "X-Forwarded-For": "192.0.2.99"})
    _, ip = activity_row(t)
    assert ip == "198.51.100.5", f"recorded ip_address {ip!r}, want Forwarded's for="


@harness.no_fixture
def test_bad_trusted_proxies_are_refused(t):
    for value in ("localhost", "10.0.0.1/8", "10.0.0.0/33"):
        srv = t.suite.new_server("badproxy", activity={"trusted_proxies": value})
        p = run_check_config(srv)
        assert p.returncode == 1, f"--check-config accepted trusted_proxies={value!r}: {p.stderr}"
        assert "activity.trusted_proxies" in p.stderr, p.stderr
    srv = t.suite.new_server("badheader", activity={"forwarded_header": "X-Real-IP"})
    p = run_check_config(srv)
    assert p.returncode == 1 and "activity.forwarded_header" in p.stderr, p.stderr


def test_forwarded_for_is_ignored_without_trusted_proxies(t):
    code = t.code()
    t.exchange(code, headers={"X-Forwarded-For": "203.0.113.7"})
    _, ip = activity_row(t)
    assert ip == "127.0.0.1", f"recorded ip_address {ip!r}: X-Forwarded-For believed"


def test_forwarded_for_is_ignored_from_untrusted_peer(t):
    srv = t.start_server("proxied2", activity={"trusted_proxies": "10.9.9.9, 127.0.0.10"})
    code = t.code(server=srv)
    t.exchange(code, server=srv, headers={"X-Forwarded-For": "203.0.113.7"})
    _, ip = activity_row(t)
    assert ip == "127.0.0.1", f"recorded ip_address {ip!r}: peer 127.0.0.1 is not trusted"


# ---------------------------------------------------------------- plugin settings

def test_login_token_can_be_disabled(t):
    expect(t.login_token(), 200)  # the shared server has it on
    srv = t.start_server("nologintoken",
                         plugins={"local": {"settings": {"login_token": False}}})
    expect_error(t.login_token(server=srv), 404)
    r = expect(t.login(server=srv), 200)
    assert r.body.get("code"), f"{r!r}"
    t.exchange(r.body["code"], server=srv)


@harness.no_fixture
def test_world_writable_plugin_is_refused(t):
    src = os.path.join(harness.PLUGIN_DIR, "local.so")
    dst = os.path.join(t.suite.tmp, "local-copy.so")
    shutil.copyfile(src, dst)

    os.chmod(dst, 0o644)
    srv = t.suite.new_server("plugok", plugins={"local": {"file": dst}})
    p = run_check_config(srv)
    assert p.returncode == 0, f"a 0644 copy of local.so was refused: {p.stderr}"

    os.chmod(dst, 0o666)
    srv = t.suite.new_server("plugww", plugins={"local": {"file": dst}})
    p = run_check_config(srv)
    out = p.stderr + p.stdout
    assert p.returncode != 0, f"--check-config accepted a world-writable plugin: {out}"
    lines = [ln for ln in out.splitlines() if "plugin refused" in ln]
    assert lines, f"no 'plugin refused' line: {out}"
    assert any("local-copy.so" in ln for ln in lines), f"file not named: {lines}"


@harness.no_fixture
def test_unknown_plugin_setting_is_refused(t):
    srv = t.suite.new_server("plugtypo", plugins={"local": {"settings": {
        "login_token": None, "login_tokn": True}}})
    p = run_check_config(srv)
    out = p.stderr + p.stdout
    assert p.returncode != 0, f"--check-config accepted settings.login_tokn: {out}"
    lines = [ln for ln in out.splitlines() if "plugin refused" in ln]
    assert lines, f"no 'plugin refused' line: {out}"
    assert any("unknown setting login_tokn" in ln for ln in lines), f"reason: {lines}"


if __name__ == "__main__":
    harness.main(globals())

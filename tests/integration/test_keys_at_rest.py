# SPDX-License-Identifier: Apache-2.0
"""Signing keys at rest: a private key kept in the database is always
encrypted under tokens.key_passphrase; without one the server refuses to
start; rows found in the clear are encrypted in place at start."""
import shutil
import subprocess

import harness
from harness import expect, jwt_parts

ENCRYPTED = "-----BEGIN ENCRYPTED PRIVATE KEY-----"


def openssl(*args, input=None):
    exe = shutil.which("openssl")
    if exe is None:
        raise harness.SetupError("openssl not found (install openssl)")
    p = subprocess.run([exe, *args], input=input, capture_output=True,
                       timeout=harness.scaled(60))
    assert p.returncode == 0, f"openssl {args[0]}: {p.stderr.decode()}"
    return p.stdout.decode()


def check_config(t, name, **overrides):
    srv = t.suite.new_server(name, **overrides)
    srv.port = harness.free_port()
    path = srv.write_config()
    return subprocess.run([harness.BIN, "--check-config", "-c", path], capture_output=True,
                          text=True, timeout=harness.scaled(30))


def log_text(srv):
    with open(srv.log_path, errors="replace") as f:
        return f.read()


def private_keys(t):
    # one line per row: the PEM's newlines travel as '~'
    rows = t.db.sql("SELECT key_id, translate(private_key, E'\\n', '~') FROM main.jwt_keys")
    return {r[0]: r[1].replace("~", "\n") for r in rows}


def test_generated_key_is_stored_encrypted(t):
    t.tokens_for()  # the shared server is up, so its key exists
    keys = private_keys(t)
    assert keys, "no row in jwt_keys"
    for kid, pem in keys.items():
        assert pem.startswith(ENCRYPTED), f"key {kid} stored in the clear: {pem[:40]!r}"


@harness.no_fixture
def test_no_passphrase_is_refused(t):
    for value, words in (("", "required"), ("fifteen-chars!!", "16 characters")):
        p = check_config(t, "nopass", tokens={"key_passphrase": value})
        out = p.stdout + p.stderr
        assert p.returncode == 1, f"--check-config accepted key_passphrase={value!r}: {out}"
        assert "tokens.key_passphrase" in out and words in out, out
        assert value == "" or value not in out, f"passphrase printed: {out}"
    # a key file needs no passphrase
    key = f"{t.suite.tmp}/file-key.pem"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    p = check_config(t, "filekey", tokens={"key_passphrase": "", "algorithm": "ES256",
                                           "private_key_file": key})
    assert p.returncode == 0, p.stdout + p.stderr


def test_clear_row_is_encrypted_in_place(t):
    pem = openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    pub = openssl("pkey", "-pubout", input=pem.encode())
    # newest row: a server started now signs with it
    t.db.sql("INSERT INTO main.jwt_keys (key_id, alg, public_key, private_key, created_on) "
             "VALUES ('clear-kid', 'RS256', :'pub', :'pem', now() + interval '1 day')",
             pub=pub, pem=pem)
    try:
        srv = t.start_server("upgrade")
        stored = private_keys(t)["clear-kid"]
        assert stored.startswith(ENCRYPTED), f"row still in the clear: {stored[:40]!r}"
        # the same key, under the configured passphrase
        back = openssl("pkey", "-passin", "pass:" + harness.KEY_PASSPHRASE, input=stored.encode())
        assert openssl("pkey", "-pubout", input=back.encode()) == pub
        # whichever instance loaded the row first (the new one at its start, or
        # a running one on the NOTIFY of the insert) encrypted it, and said so
        assert any('now encrypted" count=1' in log_text(s) for s in (srv, t.server)), \
            srv.log_tail()
        tokens = t.tokens_for(server=srv)
        header, _, _ = jwt_parts(tokens["accessToken"])
        assert header.get("kid") == "clear-kid", header
        expect(t.me(tokens["accessToken"], server=srv), 200)
        # the next start finds nothing to encrypt
        again = t.start_server("upgrade-again")
        assert "now encrypted" not in log_text(again), again.log_tail()
    finally:
        t.db.sql("DELETE FROM main.jwt_keys WHERE key_id = 'clear-kid'")


if __name__ == "__main__":
    harness.main(globals())

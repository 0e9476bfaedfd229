# SPDX-License-Identifier: Apache-2.0
"""Health, readiness, JWKS, OpenAPI, unknown routes and the server's command line."""
import os
import re
import subprocess

import harness
from harness import expect, expect_error, jwt_parts, no_fixture


def test_health_is_200_json(t):
    r = expect(t.http("GET", "/health"), 200)
    assert isinstance(r.body, dict), f"/health is not a JSON object: {r!r}"


def test_ready_is_200_with_database_up(t):
    r = expect(t.http("GET", "/ready"), 200)
    assert isinstance(r.body, dict), f"/ready is not a JSON object: {r!r}"


def test_jwks_lists_rs256_keys(t):
    r = expect(t.http("GET", "/.well-known/jwks.json"), 200)
    keys = r.body.get("keys") if isinstance(r.body, dict) else None
    assert isinstance(keys, list) and keys, f"no keys: {r!r}"
    for k in keys:
        for field in ("kid", "kty", "alg", "n", "e"):
            assert isinstance(k.get(field), str) and k[field], f"key without {field}: {k}"
        assert k["kty"] == "RSA" and k["alg"] == "RS256", f"unexpected key type: {k}"
        assert re.fullmatch(r"[A-Za-z0-9_-]+", k["n"]), f"n is not base64url: {k}"
        assert "d" not in k and "p" not in k, f"private key material published: {k}"


def test_access_token_kid_is_in_jwks(t):
    tokens = t.tokens_for()
    header, _, _ = jwt_parts(tokens["accessToken"])
    assert header.get("alg") == "RS256", f"header {header}"
    kids = [k["kid"] for k in t.http("GET", "/.well-known/jwks.json").body["keys"]]
    assert header.get("kid") in kids, f"kid {header.get('kid')} not among {kids}"


def test_openapi_document_has_paths(t):
    r = expect(t.http("GET", "/openapi.json"), 200)
    assert isinstance(r.body, dict) and isinstance(r.body.get("paths"), dict), f"{r!r}"[:500]
    for path in ("/auth/login", "/auth/token", "/auth/me", "/logout"):
        assert path in r.body["paths"], f"{path} missing from openapi paths"


def test_unknown_route_is_404_envelope(t):
    r = t.http("GET", "/no/such/route")
    expect_error(r, 404, name="NotFoundError")


def test_unknown_route_post_is_404_envelope(t):
    r = t.http("POST", "/auth/no-such-thing", json={})
    expect_error(r, 404, name="NotFoundError")


def _check_config(path):
    harness._require_binary(harness.BIN, "authsvc", "AUTHSVC_BIN")
    return subprocess.run([harness.BIN, "--check-config", "-c", path], capture_output=True,
                          text=True, timeout=harness.scaled(30))


@no_fixture
def test_check_config_accepts_good_config(t):
    srv = t.suite.new_server("checkgood")
    srv.port = harness.free_port()
    p = _check_config(srv.write_config())
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"


@no_fixture
def test_check_config_rejects_syntax_error(t):
    path = os.path.join(t.suite.tmp, "broken.conf")
    with open(path, "w") as f:
        f.write('listen = "127.0.0.1:1"\ndatabase_url = ;\n')
    p = _check_config(path)
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert p.stderr.strip(), "no message on stderr"


@no_fixture
def test_check_config_rejects_bad_value(t):
    srv = t.suite.new_server("checkbad", tokens={"algorithm": "none"})
    srv.port = harness.free_port()
    p = _check_config(srv.write_config())
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"


@no_fixture
def test_check_config_rejects_missing_plugin(t):
    srv = t.suite.new_server("checkplugin",
                             plugins={"local": {"file": "no-such-plugin.so"}})
    srv.port = harness.free_port()
    p = _check_config(srv.write_config())
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"


@no_fixture
def test_version_prints_project_version(t):
    harness._require_binary(harness.BIN, "authsvc", "AUTHSVC_BIN")
    with open(os.path.join(harness.REPO, "CMakeLists.txt")) as f:
        version = re.search(r"project\(authsvc VERSION ([0-9.]+)", f.read()).group(1)
    p = subprocess.run([harness.BIN, "--version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, f"exit {p.returncode}: {p.stderr}"
    assert version in p.stdout, f"{version!r} not in {p.stdout!r}"


def test_second_instance_starts_and_stops_cleanly(t):
    # Stopping checks exit status 0 after SIGTERM (harness.Server.stop).
    srv = t.start_server("second")
    expect(srv.http("GET", "/health"), 200)


@no_fixture
def test_server_refuses_an_unmigrated_database(t):
    fresh = harness.Db("unmigrated")
    try:
        srv = t.suite.new_server("unmigrated")
        srv.write_config()
        env = dict(os.environ, AUTHSVC_DATABASE_URL=fresh.url)
        p = subprocess.run([harness.BIN, "-c", srv.conf_path], env=env, capture_output=True,
                           text=True, timeout=harness.scaled(20))
        assert p.returncode == 1, f"exit {p.returncode}: {p.stderr[-400:]}"
        assert "authsvc-admin migrate" in p.stderr, p.stderr[-400:]
    finally:
        fresh.drop()


@no_fixture
def test_ready_is_503_until_a_new_database_is_set_up(t):
    """With migrate_on_start on an empty database the server listens first
    and migrates in the background: meanwhile /health is 200, while /ready and
    every other route answer 503 with Retry-After (no hang, no crash); once
    the migrations ran and the first signing key exists, /ready is 200. A
    held migration lock keeps the background work waiting, so nothing here
    depends on timing."""
    fresh = harness.Db("background_setup")
    holder = fresh.hold("DO $$BEGIN PERFORM pg_advisory_xact_lock(hashtext('authsvc-migrate')); "
                        "END$$")
    srv = None
    try:
        srv = t.suite.new_server("background", migrate_on_start=True,
                                 statement_timeout_ms=120000)
        srv.db_url = fresh.url
        srv.wait_ready = False
        srv.start()
        harness.wait_until(lambda: fresh.value(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == "1",
            30, what="the background migrations to wait for the lock")
        expect(srv.http("GET", "/health"), 200)
        for method, path, body in (("GET", "/ready", None),
                                   ("GET", "/.well-known/jwks.json", None),
                                   ("POST", "/auth/login-token",
                                    {"client_id": "web", "client_secret": "x",
                                     "username": "u", "password": "p"})):
            kw = {"json": body} if body is not None else {}
            r = srv.http(method, path, **kw)
            expect_error(r, 503)
            assert r.headers.get("retry-after") == "1", f"{path}: {r!r}"
        holder.release()
        harness.wait_until(lambda: srv.http("GET", "/ready").status == 200, 60,
                           what="/ready 200 once the background work is done")
        r = expect(srv.http("GET", "/.well-known/jwks.json"), 200)
        assert r.body["keys"], f"no signing key: {r!r}"
        assert fresh.value("SELECT count(*) FROM main.jwt_keys") == "1"
    finally:
        holder.release()
        try:
            if srv is not None:
                srv.stop()
        finally:
            fresh.drop()


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""Integration-test harness for authsvc (Python standard library only).

A test file imports this module, defines functions named test_*, each taking
a context `t`, and ends with `harness.main(globals())`:

    import harness
    from harness import expect, expect_error

    def test_login_returns_a_code(t):
        r = t.login()
        expect(r, 200)
        assert r.body["code"], r

    if __name__ == "__main__":
        harness.main(globals())

What you get per test file: a fresh database in the private cluster
(AUTHSVC_PG_DIR/env, started by `scripts/pg-cluster start DIR`), migrated
once with authsvc-admin, dropped at the end. Per test: all data rows are
truncated and the standard fixture is provisioned again (tenant `tenant1`,
role `others`, clients `web` and `mobile` with secret `test`, user
`test_user` allowed only on `web`), so tests never depend on order.
`t.server` is a real authsvc process shared by the tests of a file;
`t.start_server(**overrides)` starts another one (own config, same
database), stopped at the end of the test.

Run one file alone (defaults point at build/ in this checkout):
    scripts/pg-cluster start build/test-pg
    python3 tests/integration/test_login.py [substring-of-test-name ...]

Environment: AUTHSVC_BIN, AUTHSVC_ADMIN_BIN, AUTHSVC_PLUGIN_DIR,
AUTHSVC_SQL_DIR, AUTHSVC_PG_DIR, AUTHSVC_TEST_TIMEOUT_MULT (scales waits),
AUTHSVC_TEST_KEEP=1 (keep the database and temp dir for inspection).
"""

import base64
import hashlib
import hmac
import http.client as httpclient
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")

BIN = os.environ.get("AUTHSVC_BIN", os.path.join(BUILD, "authsvc"))
ADMIN_BIN = os.environ.get("AUTHSVC_ADMIN_BIN", os.path.join(BUILD, "authsvc-admin"))
PLUGIN_DIR = os.environ.get("AUTHSVC_PLUGIN_DIR", os.path.join(BUILD, "plugins"))
SQL_DIR = os.environ.get("AUTHSVC_SQL_DIR", os.path.join(REPO, "host", "sql"))
PG_DIR = os.environ.get("AUTHSVC_PG_DIR", os.path.join(BUILD, "test-pg"))
try:
    TIMEOUT_MULT = max(1.0, float(os.environ.get("AUTHSVC_TEST_TIMEOUT_MULT", "1")))
except ValueError:
    TIMEOUT_MULT = 1.0
KEEP = os.environ.get("AUTHSVC_TEST_KEEP") == "1"

# The standard fixture, as in upstream's acceptance tests.
PASSWORD = "temp123!@"
USERNAME = "test_user"
# Encrypts the generated signing keys in jwt_keys (tokens.key_passphrase).
KEY_PASSPHRASE = "test-signing-key-passphrase"
# clients.secret_key: client secrets are stored as HMAC-SHA-256 under it
CLIENT_SECRET_KEY = "5c" * 32
TENANT_KEY = "tenant1"
ROLE = "others"
PERMISSIONS = ["ViewLoginActivity", "NotAllowed"]
CLIENT_SECRET = "test"
REDIRECT_URL = "http://127.0.0.1:4200/callback"
USER_AGENT = "authsvc-integration/1.0"

DATA_TABLES = [
    "auth_devices", "login_activity", "refresh_tokens", "auth_codes", "revoked_tokens",
    "auth_failures",
    "otp_pending", "action_tokens", "send_counters", "password_history",
    "user_permissions", "user_resources", "user_tenants", "user_credentials",
    "users", "roles", "tenant_configs", "tenants", "auth_clients",
]


class SetupError(Exception):
    """The environment is not usable (no binary, no cluster, server did not start)."""


def scaled(seconds):
    return seconds * TIMEOUT_MULT


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a true value; return that value.
    Raises AssertionError naming `what` after `timeout` (scaled) seconds."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {scaled(timeout):.1f}s waiting for {what}")
        time.sleep(interval)


def answers_while_locked(t, table, calls, while_held=None):
    """Each of calls() answers 204 with an empty body while `table` is locked
    by another session (so the answer cannot have waited for a write to
    it); while_held() runs before the lock is released."""
    holder = t.db.hold(f"LOCK TABLE main.{table} IN EXCLUSIVE MODE")
    try:
        for call in calls:
            r = call()
            assert (r.status, r.text) == (204, ""), r
            assert holder.poll() is None, "the lock holder ended early"
        if while_held is not None:
            while_held()
    finally:
        holder.release()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- PostgreSQL

def pg_env():
    """The cluster's env file (written by scripts/pg-cluster) as a dict."""
    path = os.path.join(PG_DIR, "env")
    if not os.path.exists(path):
        raise SetupError(
            f"no PostgreSQL cluster: {path} is missing.\n"
            f"  start one with: scripts/pg-cluster start {PG_DIR}\n"
            f"  (or set AUTHSVC_PG_DIR to a running cluster's directory)")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    for k in ("PGHOST", "PGPORT", "PGUSER"):
        if k not in env:
            raise SetupError(f"{path} has no {k}")
    return env


class Db:
    """A fresh database in the test cluster, dropped by drop()."""

    def __init__(self, hint):
        self.pg = pg_env()
        base = re.sub(r"[^a-z0-9_]", "_", hint.lower())[:40]
        self.name = f"t_{base}_{os.getpid()}"
        self.url = (f"postgresql://{self.pg['PGUSER']}@{self.pg['PGHOST']}:"
                    f"{self.pg['PGPORT']}/{self.name}")
        self._psql("postgres", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._psql("postgres", f'CREATE DATABASE "{self.name}"')

    def _psql_path(self):
        pgbin = self.pg.get("PGBIN")
        if pgbin and os.path.exists(os.path.join(pgbin, "psql")):
            return os.path.join(pgbin, "psql")
        found = shutil.which("psql")
        if not found:
            raise SetupError("psql not found (install postgresql-client)")
        return found

    def _psql(self, dbname, query, variables=None):
        cmd = [self._psql_path(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
               "-F", "\x1f", "-h", self.pg["PGHOST"], "-p", self.pg["PGPORT"],
               "-U", self.pg["PGUSER"], "-d", dbname, "-f", "-"]
        for k, v in (variables or {}).items():
            cmd[1:1] = ["-v", f"{k}={v}"]
        p = subprocess.run(cmd, input=query, capture_output=True, text=True,
                           timeout=scaled(30))
        if p.returncode != 0:
            raise AssertionError(f"psql failed ({p.returncode}): {p.stderr.strip()}\n"
                                 f"  query: {query.strip()}")
        return p.stdout

    def sql(self, query, **variables):
        """Run SQL; return rows as lists of strings ('' for NULL).
        Pass values as keyword arguments and write :'name' in the query
        (psql quotes them), e.g. db.sql("SELECT id FROM main.users WHERE
        username = :'u'", u="test_user")."""
        out = self._psql(self.name, query, variables)
        return [line.split("\x1f") for line in out.splitlines() if line != ""]

    def value(self, query, **variables):
        """The first column of the first row, or None when there is no row."""
        rows = self.sql(query, **variables)
        return rows[0][0] if rows else None

    def hold(self, statement):
        """Run `statement` in a transaction in a psql of its own and keep the
        transaction open (its locks held) until .release(), which commits;
        returns once the statement has run. .poll() is None while it holds."""
        cmd = [self._psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-h", self.pg["PGHOST"], "-p", self.pg["PGPORT"], "-U", self.pg["PGUSER"],
               "-d", self.name, "-f", "-"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        proc.stdin.write(f"BEGIN;\n{statement};\nSELECT 'held';\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if "held" not in line:
            proc.kill()
            raise AssertionError(f"psql could not hold {statement!r}: {proc.stderr.read()}")

        def release():
            if proc.poll() is None:
                proc.communicate("COMMIT;\n", timeout=scaled(10))
        proc.release = release
        return proc

    def count(self, table, where="true", **variables):
        return int(self.value(f"SELECT count(*) FROM main.{table} WHERE {where}", **variables))

    def reset(self):
        """Remove every data row (signing keys stay: the servers hold them)."""
        tables = ", ".join("main." + t for t in DATA_TABLES)
        self.sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    def drop(self):
        self._psql("postgres", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# ---------------------------------------------------------------- config

def _conf_value(v, indent):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(_conf_value(x, indent) for x in v) + " ]"
    if isinstance(v, dict):
        pad = "  " * (indent + 1)
        inner = "".join(f"{pad}{k} = {_conf_value(x, indent + 1)};\n"
                        for k, x in v.items() if x is not None)
        return "{\n" + inner + "  " * indent + "}"
    raise TypeError(f"cannot write {v!r} to a libconfig file")


def to_libconfig(settings):
    """A dict as libconfig text. Nested dicts become groups; None omits a key."""
    return "".join(f"{k} = {_conf_value(v, 0)};\n" for k, v in settings.items() if v is not None)


def merge(base, overrides):
    out = dict(base)
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def base_config(db_url, port=0):
    return {
        "listen": f"127.0.0.1:{port}",
        "database_url": db_url,
        "sql_dir": SQL_DIR,
        "plugin_dir": PLUGIN_DIR,
        "log_level": "debug",
        "workers": 2,
        # SCHED_IDLE workers (the default) crawl while parallel tests keep
        # the cores busy; test_faults checks the default on its own server
        "worker_sched": "normal",
        "queue_max": 256,
        "max_body_bytes": 65536,
        "timeout": 30,
        "drain_timeout": 5,
        "tokens": {"issuer": "authsvc-test", "algorithm": "RS256", "revocation_poll": 1,
                   "key_passphrase": KEY_PASSPHRASE},
        "activity": {"enabled": True, "actor": "user_id"},
        "clients": {"secret_key": CLIENT_SECRET_KEY},
        "password": {"argon2_t_cost": 1, "argon2_m_cost_kib": 1024,
                     "argon2_parallelism": 1},
        "plugins": {"local": {"file": "local.so", "settings": {"login_token": True}}},
    }


def _require_binary(path, what, env):
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise SetupError(f"{what} not found at {path}\n"
                         f"  build it first (cmake --build build) or set {env}")


# ---------------------------------------------------------------- HTTP

class Resp:
    """An HTTP response: status, headers (lower-case keys), body (parsed JSON,
    else text). Unpacks as (status, headers, body)."""

    def __init__(self, method, path, status, headers, text):
        self.method, self.path = method, path
        self.status, self.headers, self.text = status, headers, text
        try:
            self.body = jsonlib.loads(text) if text else None
        except ValueError:
            self.body = text

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        text = self.text if len(self.text) < 2000 else self.text[:2000] + "..."
        return f"{self.method} {self.path} -> {self.status} {text}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError: the 3xx stays visible


_opener = urllib.request.build_opener(_NoRedirect)
_UNSET = object()


def http(base_url, method, path, json=_UNSET, form=None, headers=None, raw=None,
         content_type=None, timeout=15):
    """One request. json= any JSON value (also [] or None), form= dict or list of
    pairs (urlencoded), raw= bytes or str sent as is. content_type overrides."""
    hdrs = {"User-Agent": USER_AGENT}
    data = None
    if json is not _UNSET:
        data = jsonlib.dumps(json).encode()
        hdrs["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif raw is not None:
        data = raw.encode() if isinstance(raw, str) else raw
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    hdrs.update(headers or {})
    req = urllib.request.Request(base_url + path, data=data, method=method, headers=hdrs)
    try:
        with _opener.open(req, timeout=scaled(timeout)) as r:
            status, rh, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, rh, body = e.code, e.headers, e.read()
    headers_out = {k.lower(): v for k, v in rh.items()} if rh else {}
    return Resp(method, path, status, headers_out, body.decode("utf-8", "replace"))


def raw_request(port, data, timeout=10):
    """Send raw bytes on a new connection and read until close. Returns
    (status or None, text). For requests urllib will not send."""
    with socket.create_connection(("127.0.0.1", port), timeout=scaled(timeout)) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
                if b"\r\n\r\n" in b"".join(chunks):
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except ConnectionResetError:
            pass
    text = b"".join(chunks).decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", text)
    return (int(m.group(1)) if m else None), text


# ---------------------------------------------------------------- assertions

def expect(resp, status):
    """Assert the status; the message shows the whole response."""
    if resp.status != status:
        raise AssertionError(f"expected {status}, got {resp!r}")
    return resp


def expect_error(resp, status, message=None, name=None):
    """Assert an error envelope {"error":{"statusCode","name","message"}}."""
    expect(resp, status)
    body = resp.body
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        raise AssertionError(f"expected an error envelope, got {resp!r}")
    err = body["error"]
    if err.get("statusCode") != status:
        raise AssertionError(f"error.statusCode != {status}: {resp!r}")
    if name is not None and err.get("name") != name:
        raise AssertionError(f"error.name != {name!r}: {resp!r}")
    if message is not None and err.get("message") != message:
        raise AssertionError(f"error.message != {message!r}: {resp!r}")
    return err


def expect_not_5xx(resp):
    if resp.status >= 500:
        raise AssertionError(f"server error: {resp!r}")
    return resp


# ---------------------------------------------------------------- JWT

def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_parts(token):
    """(header dict, payload dict, signature bytes) of a compact JWT; no checks."""
    h, p, s = token.split(".")
    return jsonlib.loads(b64url_decode(h)), jsonlib.loads(b64url_decode(p)), b64url_decode(s)


def jwt_build(header, payload, key=None):
    """A compact JWT; signed with HMAC-SHA256 under `key` when given,
    else with an empty signature."""
    signing_input = (b64url_encode(jsonlib.dumps(header, separators=(",", ":")).encode()) + "."
                     + b64url_encode(jsonlib.dumps(payload, separators=(",", ":")).encode()))
    sig = b""
    if key is not None:
        sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url_encode(sig)


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def _der_int(b):
    if b and b[0] & 0x80:
        b = b"\x00" + b
    return _der(0x02, b)


def rsa_jwk_to_pem(jwk):
    """SubjectPublicKeyInfo PEM of an RSA JWK (n, e) — what an attacker would
    use as the HMAC key in an RS256→HS256 confusion attack."""
    n, e = b64url_decode(jwk["n"]), b64url_decode(jwk["e"])
    rsa_key = _der(0x30, _der_int(n) + _der_int(e))
    alg_id = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    spki = _der(0x30, alg_id + _der(0x03, b"\x00" + rsa_key))
    b64 = base64.b64encode(spki).decode()
    lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{lines}\n-----END PUBLIC KEY-----\n"


# ---------------------------------------------------------------- server

# First lines of the reports the sanitizer runtimes write to stderr (the
# server log). A sanitizer build's server exits non-zero on such a report
# (ASan aborts, TSan with halt_on_error=1 exits 66, a leak sets the exit
# status), and stop() quotes the report so the failure says what it was.
SANITIZER_REPORT = re.compile(r"WARNING: ThreadSanitizer:|ERROR: AddressSanitizer:|"
                              r"ERROR: LeakSanitizer:|: runtime error: ")


def sanitizer_reports(log_path, limit=3, lines_each=40):
    """The first `limit` sanitizer reports in a log, each cut to
    `lines_each` lines; [] when there is none."""
    try:
        with open(log_path, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return []
    reports = []
    for i, line in enumerate(lines):
        if SANITIZER_REPORT.search(line):
            reports.append("".join(lines[i:i + lines_each]))
            if len(reports) == limit:
                break
    return reports


class Server:
    """A real authsvc process with a generated config. Several may share one
    database (several instances behind a load balancer)."""

    def __init__(self, db_url, tmpdir, name="server", **overrides):
        self.db_url, self.tmpdir, self.name = db_url, tmpdir, name
        self.overrides = overrides
        self.preexec_fn = None  # run in the child before exec (e.g. resource limits)
        # start() returns once /health answers and, with wait_ready, /ready is 200
        # (start-up work such as the migrations of a new database runs in the
        # background after the server listens)
        self.wait_ready = True
        self.proc = None
        self.port = None
        self.fixed_port = None  # set before start() when the config must name the port
        self.conf_path = os.path.join(tmpdir, f"{name}.conf")
        self.log_path = os.path.join(tmpdir, f"{name}.log")
        self.drain_timeout = merge(base_config(""), overrides).get("drain_timeout", 5)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_config(self):
        settings = merge(base_config(self.db_url, self.port), self.overrides)
        with open(self.conf_path, "w") as f:
            f.write(f"# generated by tests/integration/harness.py for {self.name}\n")
            f.write(to_libconfig(settings))
        return self.conf_path

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self):
        _require_binary(BIN, "authsvc", "AUTHSVC_BIN")
        for attempt in range(3):
            self.port = self.fixed_port or free_port()
            self.write_config()
            env = dict(os.environ)
            env.pop("AUTHSVC_LISTEN", None)
            env.pop("AUTHSVC_DATABASE_URL", None)
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen([BIN, "-c", self.conf_path], stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log, env=env,
                                             preexec_fn=self.preexec_fn)
            finally:
                log.close()
            if self._wait_healthy():
                return self
            rc = self.proc.poll()
            tail = self.log_tail()
            if rc is not None and "in use" in tail and attempt < 2:
                continue  # lost a race for the port: try another one
            self._kill()
            raise SetupError(f"{self.name} did not become healthy on port {self.port} "
                             f"(exit status {rc}); config {self.conf_path}; log tail:\n{tail}")
        return self

    def _wait_healthy(self):
        deadline = time.monotonic() + scaled(10)
        healthy = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                conn = httpclient.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/health" if not healthy else "/ready")
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
                conn.close()
                if ok and (healthy or not self.wait_ready):
                    return True
                healthy = healthy or ok
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def sanitizer_failure(self):
        """An AssertionError message quoting the sanitizer reports in the log,
        or None when there is none."""
        reports = sanitizer_reports(self.log_path)
        if not reports:
            return None
        return (f"{self.name}: sanitizer report(s) in {self.log_path}:\n"
                + "\n".join(reports))

    def stop(self):
        """SIGTERM by PID; assert a clean exit (0) within the drain timeout
        (scaled) and no sanitizer report in the log."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is not None:
            raise AssertionError(self.sanitizer_failure() or
                                 f"{self.name} (pid {proc.pid}) had already exited with "
                                 f"{proc.returncode}; log tail:\n{self.log_tail()}")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=scaled(self.drain_timeout + 5))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"{self.name} (pid {proc.pid}) ignored SIGTERM for "
                                 f"{scaled(self.drain_timeout + 5):.0f}s; log tail:\n"
                                 f"{self.log_tail()}")
        report = self.sanitizer_failure()
        if report:
            raise AssertionError(report)
        if rc != 0:
            raise AssertionError(f"{self.name} exited with {rc} after SIGTERM; "
                                 f"log tail:\n{self.log_tail()}")
        # lines the server writes only when its own code is wrong
        try:
            with open(self.log_path, errors="replace") as f:
                bugs = [line for line in f if "transaction left open" in line]
        except OSError:
            bugs = []
        if bugs:
            raise AssertionError(f"{self.name}: a handler left a transaction open:\n"
                                 + "".join(bugs[:5]))

    def http(self, method, path, **kw):
        return http(self.url, method, path, **kw)


# ---------------------------------------------------------------- admin CLI

def admin(conf_path, *args, stdin=None, check=True):
    """Run authsvc-admin -c conf_path args...; returns CompletedProcess (text).
    With check=True a non-zero exit raises AssertionError showing stderr."""
    _require_binary(ADMIN_BIN, "authsvc-admin", "AUTHSVC_ADMIN_BIN")
    p = subprocess.run([ADMIN_BIN, "-c", conf_path, *args], input=stdin, capture_output=True,
                       text=True, timeout=scaled(60))
    if check and p.returncode != 0:
        raise AssertionError(f"authsvc-admin {' '.join(args)} exited {p.returncode}: "
                             f"{p.stderr.strip()}")
    return p


# ---------------------------------------------------------------- suite and context

class Suite:
    """Per test file: temp dir, database (migrated), admin config, shared server."""

    def __init__(self, name):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"authsvc-{name}-")
        self.db = None
        self.server = None
        self.servers = 0
        _require_binary(ADMIN_BIN, "authsvc-admin", "AUTHSVC_ADMIN_BIN")
        self.db = Db(name)
        self.admin_conf = os.path.join(self.tmp, "admin.conf")
        with open(self.admin_conf, "w") as f:
            f.write(to_libconfig(base_config(self.db.url)))
        p = admin(self.admin_conf, "migrate", check=False)
        if p.returncode != 0:
            raise SetupError(f"authsvc-admin migrate failed ({p.returncode}): {p.stderr.strip()}")

    def new_server(self, name=None, **overrides):
        self.servers += 1
        return Server(self.db.url, self.tmp, name or f"server{self.servers}", **overrides)

    def shared_server(self):
        if self.server is None or not self.server.alive():
            if self.server is not None:
                dead, self.server = self.server, None
                print(f"# shared server died; log tail:\n{dead.log_tail()}")
                report = dead.sanitizer_failure()
                if report:  # fails the test that found it; the next one restarts
                    raise AssertionError(report)
            self.server = self.new_server("shared").start()
        return self.server

    def close(self, keep=False):
        errors = []
        if self.server is not None:
            try:
                self.server.stop()
            except AssertionError as e:
                errors.append(str(e))
        if self.db is not None and not keep:
            try:
                self.db.drop()
            except AssertionError as e:
                errors.append(str(e))
        if keep:
            db = self.db.name if self.db else "-"
            print(f"# kept: temp dir {self.tmp}, database {db}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return errors


class Fixture:
    """Ids of the standard fixture rows."""

    def __init__(self, db):
        self.tenant_id = db.value("SELECT id FROM main.tenants WHERE key = :'k'", k=TENANT_KEY)
        self.user_id = db.value("SELECT id FROM main.users WHERE username = :'u'", u=USERNAME)
        self.role_id = db.value("SELECT id FROM main.roles WHERE name = :'r'", r=ROLE)
        self.user_tenant_id = db.value(
            "SELECT id FROM main.user_tenants WHERE user_id = :'u'", u=self.user_id)
        self.client_ids = dict(db.sql("SELECT client_id, id FROM main.auth_clients"))


class T:
    """What a test function receives."""

    def __init__(self, suite, name):
        self.suite, self.name = suite, name
        self.db = suite.db
        self.fx = None
        self._servers = []

    # -- servers and HTTP
    @property
    def server(self):
        return self.suite.shared_server()

    def start_server(self, name=None, **overrides):
        """Another authsvc on this database (config overrides as nested dicts),
        stopped (and checked for a clean exit) when the test ends."""
        srv = self.suite.new_server(name, **overrides)
        self._servers.append(srv)
        return srv.start()

    def http(self, method, path, server=None, **kw):
        return (server or self.server).http(method, path, **kw)

    def finish(self):
        errors = []
        for srv in self._servers:
            try:
                srv.stop()
            except AssertionError as e:
                errors.append(str(e))
        return errors

    # -- admin CLI and fixture
    def admin(self, *args, stdin=None, check=True):
        return admin(self.suite.admin_conf, *args, stdin=stdin, check=check)

    def provision(self):
        """The standard fixture (as upstream's acceptance tests have it), through the admin CLI."""
        self.admin("tenant", "add", "--key", TENANT_KEY, "--name", "Tenant One")
        self.admin("role", "add", "--name", ROLE, "--permissions", ",".join(PERMISSIONS))
        for cid in ("web", "mobile"):
            self.add_client(cid)
        self.add_user(USERNAME, PASSWORD, client="web")
        self.fx = Fixture(self.db)
        return self.fx

    def add_client(self, client_id, secret=CLIENT_SECRET, access_ttl=None, refresh_ttl=None,
                   code_ttl=None, redirect_url=REDIRECT_URL):
        args = ["client", "add", "--client-id", client_id, "--redirect-url", redirect_url]
        if secret is not None:
            args += ["--secret", secret]
        for flag, v in (("--access-ttl", access_ttl), ("--refresh-ttl", refresh_ttl),
                        ("--code-ttl", code_ttl)):
            if v is not None:
                args += [flag, str(v)]
        self.admin(*args)
        return int(self.db.value("SELECT id FROM main.auth_clients WHERE client_id = :'c' "
                                 "AND NOT deleted", c=client_id))

    def add_user(self, username, password=PASSWORD, tenant=TENANT_KEY, role=ROLE, client="web",
                 email=None):
        args = ["user", "add", "--username", username, "--password-stdin",
                "--email", email or f"{username}@example.com", "--tenant", tenant, "--role", role]
        if client:
            args += ["--client", client]
        self.admin(*args, stdin=password + "\n")
        return self.db.value("SELECT id FROM main.users WHERE username = :'u'", u=username)

    def add_tenant(self, key, name=None):
        self.admin("tenant", "add", "--key", key, "--name", name or f"Tenant {key}")
        return self.db.value("SELECT id FROM main.tenants WHERE key = :'k'", k=key)

    def allow_client(self, username, client_id):
        """Add a client to a user's allowed clients (auth_client_ids)."""
        self.db.sql("UPDATE main.users SET auth_client_ids = array_append(auth_client_ids, "
                    "(SELECT id FROM main.auth_clients WHERE client_id = :'c' AND NOT deleted)) "
                    "WHERE username = :'u'", c=client_id, u=username)

    def set_status(self, status, username=USERNAME):
        self.db.sql("UPDATE main.user_tenants SET status = :'s' WHERE user_id = "
                    "(SELECT id FROM main.users WHERE username = :'u')", s=status, u=username)

    # -- flows
    def login(self, username=USERNAME, password=PASSWORD, client_id="web",
              client_secret=CLIENT_SECRET, form=False, path="/auth/login", server=None,
              headers=None):
        body = {"client_id": client_id, "username": username, "password": password}
        if client_secret is not None:
            body["client_secret"] = client_secret
        if form:
            return self.http("POST", path, form=body, server=server, headers=headers)
        return self.http("POST", path, json=body, server=server, headers=headers)

    def login_token(self, **kw):
        return self.login(path="/auth/login-token", **kw)

    def code(self, **kw):
        r = expect(self.login(**kw), 200)
        assert isinstance(r.body, dict) and r.body.get("code"), f"no code: {r!r}"
        return r.body["code"]

    def exchange(self, code, client_id="web", server=None, headers=None, expect_ok=True):
        r = self.http("POST", "/auth/token", json={"clientId": client_id, "code": code},
                      server=server, headers=headers)
        if expect_ok:
            expect(r, 200)
            return r.body
        return r

    def tokens_for(self, username=USERNAME, password=PASSWORD, client_id="web",
                   client_secret=CLIENT_SECRET, server=None):
        """login + exchange: a TokenResponse dict."""
        code = self.code(username=username, password=password, client_id=client_id,
                         client_secret=client_secret, server=server)
        return self.exchange(code, client_id=client_id, server=server)

    def refresh(self, tokens, access=None, server=None):
        """POST /auth/token-refresh with the pair's (or the given) access token."""
        return self.http("POST", "/auth/token-refresh",
                         json={"refreshToken": tokens["refreshToken"]},
                         headers={"Authorization": "Bearer " + (access or tokens["accessToken"])},
                         server=server)

    def me(self, access, server=None):
        return self.http("GET", "/auth/me", headers={"Authorization": "Bearer " + access},
                         server=server)

    def logout(self, tokens, server=None):
        return self.http("POST", "/logout", json={"refreshToken": tokens["refreshToken"]},
                         headers={"Authorization": "Bearer " + tokens["accessToken"]},
                         server=server)

    def row_counts(self):
        """Rows that flows write; compare before/after a failing request."""
        return {t: self.db.count(t) for t in ("login_activity", "refresh_tokens", "auth_codes")}

    def wait_rows(self, table, where, n=1, timeout=2, **variables):
        """Poll until `table` has >= n rows matching `where` (activity may be
        written after the reply). Returns the count."""
        return wait_until(lambda: (self.db.count(table, where, **variables) >= n)
                          and self.db.count(table, where, **variables),
                          timeout, what=f"{n} row(s) in {table} where {where}")


# ---------------------------------------------------------------- runner

def no_fixture(fn):
    """Mark a test that needs an empty database (no standard fixture)."""
    fn.no_fixture = True
    return fn


def _short_failure(exc):
    """An assertion failure as the test-file lines that led to it plus the message."""
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != here]
    where = "".join(f"  at {os.path.basename(f.filename)}:{f.lineno}: {f.line}\n"
                    for f in frames)
    return f"{where}{type(exc).__name__}: {exc}"


def main(module_globals):
    """Run the test_* functions of a module in definition order (or those
    whose names contain one of argv[1:]), then the module's teardown() if
    any. Prints ok/FAIL lines and
    'N passed, N failed'; exits 1 on any failure."""
    file = module_globals.get("__file__", "tests")
    name = os.path.splitext(os.path.basename(file))[0]
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and callable(f)]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    wanted = sys.argv[1:]
    if wanted:
        tests = [(n, f) for n, f in tests if any(w in n for w in wanted)]

    passed = failed = 0
    try:
        suite = Suite(name)
    except (SetupError, subprocess.TimeoutExpired, AssertionError) as e:
        print(f"SETUP FAILED ({name}): {e}")
        print(f"0 passed, {len(tests)} failed")
        sys.exit(1)

    setup_broken = None
    try:
        for tname, fn in tests:
            if setup_broken:
                print(f"FAIL {tname}: not run: {setup_broken}")
                failed += 1
                continue
            t = T(suite, tname)
            start = time.monotonic()
            problems = []
            try:
                suite.db.reset()
                if not getattr(fn, "no_fixture", False):
                    t.provision()
                fn(t)
            except SetupError as e:
                problems.append(str(e))
                setup_broken = str(e).splitlines()[0]
            except AssertionError as e:
                problems.append(_short_failure(e))
            except Exception:
                problems.append(traceback.format_exc().rstrip())
            problems += t.finish()
            elapsed = time.monotonic() - start
            if problems:
                failed += 1
                print(f"FAIL {tname} ({elapsed:.2f}s)")
                for p in problems:
                    print("  " + p.replace("\n", "\n  "))
                if suite.server is not None:
                    print("  --- shared server log tail ---")
                    print("  " + suite.server.log_tail(25).replace("\n", "\n  "))
            else:
                passed += 1
                print(f"ok   {tname} ({elapsed:.2f}s)")
            sys.stdout.flush()
    finally:
        if callable(module_globals.get("teardown")):  # file-level peers (SMTP, webhook sink)
            try:
                module_globals["teardown"]()
            except Exception:
                traceback.print_exc()
        errors = suite.close(keep=KEEP or failed > 0 and os.environ.get("CI") != "true")
        for e in errors:
            failed += 1
            print(f"FAIL teardown: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def concurrently(fns):
    """Run callables at the same instant (barrier); return their results in order."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def run(i, f):
        barrier.wait()
        try:
            results[i] = f()
        except Exception as e:  # reported to the caller as a value
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(fns)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(scaled(30))
    return results

# SPDX-License-Identifier: Apache-2.0
"""authsvc-admin import-upstream against a real upstream database.

The upstream database is built as upstream builds it: the pg migrations of
the @sourceloop/authentication-service package (the tarball pinned in
tests/upstream/package.json, fetched by scripts/install-deps) run with
db-migrate, then rows are seeded through SQL as upstream holds them:
bcrypt cost-10 password hashes made by the npm bcryptjs package, client
secrets in clear, social logins as (auth_provider, auth_id) credentials,
user-level permission overrides. Every imported user then logs in through
the real authsvc with the old password, and /auth/me's permissions are
upstream's merge of role and user permissions (loopback4-authorization's
UserPermissionsProvider, which upstream's jwt-payload provider calls: the
role's permissions, then each user permission with allowed=true added if
missing and with allowed=false removed).
"""
import json
import os
import subprocess
import shutil
import tarfile
import tempfile
import urllib.parse

import harness
import oidc
from harness import expect, no_fixture

UPSTREAM_DIR = os.path.join(harness.REPO, "tests", "upstream")
TARBALL = os.path.join(UPSTREAM_DIR, "node_modules", ".upstream", "upstream.tgz")
DB_MIGRATE = os.path.join(UPSTREAM_DIR, "node_modules", ".bin", "db-migrate")

ACME = "a0000000-0000-4000-8000-000000000001"
BETA = "a0000000-0000-4000-8000-000000000002"
ROLE_ADMIN = "b0000000-0000-4000-8000-000000000001"
ROLE_VIEWER = "b0000000-0000-4000-8000-000000000002"
ROLE_GUEST = "b0000000-0000-4000-8000-000000000003"
ROLE_BETA_ADMIN = "b0000000-0000-4000-8000-000000000004"
ALICE = "c0000000-0000-4000-8000-000000000001"
BOB = "c0000000-0000-4000-8000-000000000002"
CAROL = "c0000000-0000-4000-8000-000000000003"
GONE = "c0000000-0000-4000-8000-000000000004"
DAN = "c0000000-0000-4000-8000-000000000005"
ERIN = "c0000000-0000-4000-8000-000000000006"

# username as upstream holds it, password, user id
INTERNAL_USERS = [
    ("alice", "alice-old-Passw0rd", ALICE),
    ("Bob.Smith", "bob's old pass 2", BOB),
    ("dan", "dan-in-beta-9", DAN),
]

WEB_SECRET = "web-upstream-secret"
MOBILE_SECRET = "mobile-upstream-secret"

IMPORTED_TABLES = ["tenants", "tenant_configs", "roles", "auth_clients", "users",
                   "user_credentials", "user_identities", "user_tenants", "user_permissions",
                   "user_resources", "login_activity"]

_upstream = {}


def bcrypt_hashes(passwords):
    """Cost-10 hashes from npm bcryptjs, as upstream's PasswordHashingProvider makes them."""
    script = ("const b = require('bcryptjs');"
              "const pw = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(pw.map((p) => b.hashSync(p, 10))));")
    p = subprocess.run(["node", "-e", script], input=json.dumps(passwords), text=True,
                       capture_output=True, cwd=UPSTREAM_DIR, timeout=harness.scaled(60))
    if p.returncode != 0:
        raise harness.SetupError(f"bcryptjs failed: {p.stderr.strip()}")
    return json.loads(p.stdout)


def seed_sql(hashes):
    h = dict(zip([u[0] for u in INTERNAL_USERS], hashes))
    return f"""
SET search_path TO main;
INSERT INTO tenants (id, name, status, key, website) VALUES
  ('{ACME}', 'Acme', 1, 'acme', 'https://acme.example'),
  ('{BETA}', 'Beta', 1, 'beta', NULL);
INSERT INTO tenant_configs (config_key, config_value, tenant_id) VALUES
  ('profile', '{{"locale": "de"}}', '{BETA}');
INSERT INTO roles (id, name, permissions, role_type, tenant_id, description) VALUES
  ('{ROLE_ADMIN}', 'admin', '{{CreateUser,ViewUser,DeleteUser}}', 0, '{ACME}', 'Admins'),
  ('{ROLE_VIEWER}', 'viewer', '{{ViewUser}}', 1, '{ACME}', NULL),
  ('{ROLE_GUEST}', 'guest', NULL, 2, '{BETA}', NULL),
  ('{ROLE_BETA_ADMIN}', 'admin', '{{ManageBeta}}', 0, '{BETA}', 'Beta admins');
INSERT INTO auth_clients (client_id, client_secret, secret, redirect_url, client_type,
  access_token_expiration, refresh_token_expiration, auth_code_expiration) VALUES
  ('webapp', '{WEB_SECRET}', 'webapp-jwt-secret', 'http://localhost:4200/cb', 'private',
   600, 7200, 120),
  ('mobile', '{MOBILE_SECRET}', 'mobile-jwt-secret', 'http://localhost:4300/cb', 'public',
   900, 86400, 180);
INSERT INTO auth_clients (client_id, client_secret, secret, deleted) VALUES
  ('retired', 'retired-secret', 'x', true);
INSERT INTO users (id, first_name, last_name, username, email, auth_client_ids,
  default_tenant_id, designation, created_on) VALUES
  ('{ALICE}', 'Alice', 'Admin', 'alice', 'alice@acme.example', '{{1,2}}', '{ACME}', 'CTO',
   now() - interval '3 days'),
  ('{BOB}', 'Bob', 'Smith', 'Bob.Smith', 'Bob.Smith@acme.example', '{{1}}', '{ACME}', NULL,
   now() - interval '2 days'),
  ('{CAROL}', 'Carol', NULL, 'carol@gmail.example', 'carol@gmail.example', '{{1}}', '{ACME}',
   NULL, now() - interval '1 day'),
  ('{DAN}', 'Dan', NULL, 'dan', 'dan@beta.example', '{{2}}', '{BETA}', NULL, now()),
  ('{ERIN}', 'Erin', NULL, 'erin.sso', 'erin@acme.example', '{{1}}', '{ACME}', NULL, now());
INSERT INTO users (id, first_name, username, deleted, deleted_on) VALUES
  ('{GONE}', 'Gone', 'gone', true, now());
INSERT INTO user_credentials (user_id, auth_provider, password) VALUES
  ('{ALICE}', 'internal', '{h["alice"]}'),
  ('{BOB}', 'internal', '{h["Bob.Smith"]}'),
  ('{DAN}', 'internal', '{h["dan"]}');
INSERT INTO user_credentials (user_id, auth_provider, auth_id) VALUES
  ('{CAROL}', 'google', '109876543210987654321'),
  ('{ERIN}', 'keycloak', 'erin');
INSERT INTO user_tenants (id, user_id, tenant_id, role_id, status) VALUES
  ('d0000000-0000-4000-8000-000000000001', '{ALICE}', '{ACME}', '{ROLE_ADMIN}', 1),
  ('d0000000-0000-4000-8000-000000000002', '{BOB}', '{ACME}', '{ROLE_VIEWER}', 1),
  ('d0000000-0000-4000-8000-000000000003', '{CAROL}', '{ACME}', '{ROLE_VIEWER}', 1),
  ('d0000000-0000-4000-8000-000000000004', '{DAN}', '{BETA}', '{ROLE_GUEST}', 1),
  ('d0000000-0000-4000-8000-000000000005', '{ERIN}', '{ACME}', '{ROLE_VIEWER}', 1);
INSERT INTO user_permissions (user_tenant_id, permission, allowed, created_on) VALUES
  ('d0000000-0000-4000-8000-000000000001', 'DeleteUser', false, now() - interval '2 hours'),
  ('d0000000-0000-4000-8000-000000000001', 'ExportData', true, now() - interval '1 hour'),
  ('d0000000-0000-4000-8000-000000000002', 'ViewUser', true, now() - interval '1 hour'),
  ('d0000000-0000-4000-8000-000000000004', 'ViewUser', true, now() - interval '1 hour'),
  ('d0000000-0000-4000-8000-000000000004', 'NeverGiven', false, now());
INSERT INTO login_activity (actor, tenant_id, login_time, token_payload, login_type,
  device_info, ip_address) VALUES
  ('{ALICE}', '{ACME}', now() - interval '1 day', 'payload-1', 'LOGIN', 'firefox', '10.0.0.1'),
  ('{BOB}', '{ACME}', now() - interval '1 hour', 'payload-2', 'LOGOUT', 'curl', '10.0.0.2');
"""


def upstream():
    """The upstream database (built once per file): a harness.Db."""
    if "db" in _upstream:
        return _upstream["db"]
    for path, what in ((TARBALL, "the upstream package tarball"), (DB_MIGRATE, "db-migrate")):
        if not os.path.exists(path):
            raise harness.SetupError(f"{what} is missing ({path}): run scripts/install-deps "
                                     "(npm ci --prefix tests/upstream)")
    db = harness.Db("upstream_src")
    _upstream["db"] = db
    work = tempfile.mkdtemp(prefix="authsvc-upstream-")
    _upstream["work"] = work
    with tarfile.open(TARBALL) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith("package/migrations/pg/") and m.isfile()]
        tar.extractall(work, members=members, filter="data")
    migdir = os.path.join(work, "package", "migrations", "pg")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["DATABASE_URL"] = db.url  # db-migrate takes it over database.json's values
    p = subprocess.run([DB_MIGRATE, "up", "--config", "database.json", "-m", "migrations",
                        "-e", "master"], cwd=migdir, env=env, capture_output=True, text=True,
                       timeout=harness.scaled(120))
    if p.returncode != 0:
        raise harness.SetupError(f"upstream migrations failed: {p.stderr.strip()[-2000:]}")
    db.sql(seed_sql(bcrypt_hashes([u[1] for u in INTERNAL_USERS])))
    return db


def teardown():
    if "work" in _upstream:
        shutil.rmtree(_upstream["work"], ignore_errors=True)
    if "db" in _upstream and not harness.KEEP:
        _upstream["db"].drop()


def run_import(t, *extra, check=True, source=None):
    return t.admin("import-upstream", "--from", source or upstream().url, *extra, check=check)


def counts(out):
    """The report's table: {table: (upstream, new, changed, kept)}."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] in IMPORTED_TABLES:
            rows[parts[0]] = tuple(int(x) for x in parts[1:])
    return rows


def snapshot(t):
    """Every imported table's rows as text, to compare two moments."""
    return {tb: t.db.sql(f"SELECT t::text FROM main.{tb} t ORDER BY t::text")
            for tb in IMPORTED_TABLES}


def upstream_permissions(username):
    """loopback4-authorization's UserPermissionsProvider.action over upstream's rows."""
    db = upstream()
    role = db.value("SELECT array_to_json(coalesce(r.permissions, '{}')) FROM main.users u"
                    " JOIN main.user_tenants ut ON ut.user_id = u.id"
                    "  AND ut.tenant_id = u.default_tenant_id"
                    " JOIN main.roles r ON r.id = ut.role_id WHERE u.username = :'u'",
                    u=username)
    perms = list(json.loads(role))
    for perm, allowed in db.sql(
            "SELECT p.permission, p.allowed FROM main.user_permissions p"
            " JOIN main.user_tenants ut ON ut.id = p.user_tenant_id"
            " JOIN main.users u ON u.id = ut.user_id"
            " WHERE u.username = :'u' AND NOT p.deleted ORDER BY p.created_on", u=username):
        if allowed == "t" and perm not in perms:
            perms.append(perm)
        elif allowed == "f" and perm in perms:
            perms.remove(perm)
    return perms


def client_for(username):
    """A client the user is allowed on: (client_id, secret)."""
    if username == "dan":
        return "mobile", MOBILE_SECRET
    return "webapp", WEB_SECRET


@no_fixture
def test_dry_run_reports_and_writes_nothing(t):
    p = run_import(t, "--dry-run", "--with-activity")
    assert "dry run: nothing was written" in p.stdout, p.stdout
    c = counts(p.stdout)
    assert c["users"] == (6, 6, 0, 0), c
    assert c["auth_clients"] == (3, 3, 0, 0), c
    assert c["user_permissions"] == (5, 5, 0, 0), c
    assert c["user_identities"] == (2, 2, 0, 0), c
    assert c["login_activity"] == (2, 2, 0, 0), c
    assert "Redis" in p.stdout and "not moved" in p.stdout, p.stdout
    for tb in IMPORTED_TABLES:
        assert t.db.count(tb) == 0, f"dry run wrote {tb}"


@no_fixture
def test_imported_users_log_in_with_their_old_passwords(t):
    p = run_import(t)
    assert "imported in one transaction" in p.stdout, p.stdout
    for username, password, uid in INTERNAL_USERS:
        stored = t.db.value("SELECT password FROM main.user_credentials WHERE user_id = :'u'",
                            u=uid)
        assert stored.startswith("$2b$10$"), f"{username}: bcrypt hash not kept: {stored[:7]}"
        client_id, secret = client_for(username)
        tokens = t.tokens_for(username=username, password=password, client_id=client_id,
                              client_secret=secret)
        me = expect(t.me(tokens["accessToken"]), 200).body
        assert me["id"] == uid, me
        assert me["permissions"] == upstream_permissions(username), (username, me)
        # the bcrypt hash gave way to argon2id at this first login
        stored = t.db.value("SELECT password FROM main.user_credentials WHERE user_id = :'u'",
                            u=uid)
        assert stored.startswith("$argon2id$"), f"{username}: not re-hashed: {stored[:10]}"
    # the merge: alice's role minus DeleteUser plus ExportData; dan's NULL role
    # permissions plus ViewUser
    assert upstream_permissions("alice") == ["CreateUser", "ViewUser", "ExportData"]
    assert upstream_permissions("dan") == ["ViewUser"]
    # a wrong password is still refused
    r = t.login(username="alice", password="not-her-password", client_id="webapp",
                client_secret=WEB_SECRET)
    assert r.status == 401, r


@no_fixture
def test_role_tenant_and_locale_come_across(t):
    run_import(t)
    tokens = t.tokens_for(username="dan", password="dan-in-beta-9", client_id="mobile",
                          client_secret=MOBILE_SECRET)
    me = expect(t.me(tokens["accessToken"]), 200).body
    assert me["role"] == "guest" and me["tenantId"] == BETA, me
    assert me["userPreferences"]["locale"] == "de", me
    tokens = t.tokens_for(username="bob.smith", password="bob's old pass 2",
                          client_id="webapp", client_secret=WEB_SECRET)
    me = expect(t.me(tokens["accessToken"]), 200).body
    assert me["role"] == "viewer" and me["username"] == "Bob.Smith", me
    # each tenant keeps its own "admin"; user add takes the one of the user's tenant
    rows = t.db.sql("SELECT tenant_id, permissions FROM main.roles WHERE name = 'admin'"
                    " ORDER BY tenant_id")
    assert rows == [[ACME, "{CreateUser,ViewUser,DeleteUser}"], [BETA, "{ManageBeta}"]], rows
    t.add_user("newbeta", tenant="beta", role="admin", client="mobile")
    tokens = t.tokens_for(username="newbeta", password=harness.PASSWORD, client_id="mobile",
                          client_secret=MOBILE_SECRET)
    me = expect(t.me(tokens["accessToken"]), 200).body
    assert me["tenantId"] == BETA and me["permissions"] == ["ManageBeta"], me


@no_fixture
def test_client_secrets_are_hashed_and_ttls_kept(t):
    run_import(t)
    rows = t.db.sql("SELECT client_id, client_secret, secret, client_type,"
                    " access_token_expiration, refresh_token_expiration, auth_code_expiration"
                    " FROM main.auth_clients WHERE NOT deleted ORDER BY id")
    assert [r[0] for r in rows] == ["webapp", "mobile"], rows
    for r in rows:
        assert r[1].startswith("hmac-sha256:"), f"{r[0]}: secret not hashed: {r[1][:12]}"
        assert WEB_SECRET not in r[1] and MOBILE_SECRET not in r[1]
        assert "jwt-secret" not in r[2], f"{r[0]}: upstream's signing secret copied"
    assert rows[0][3:] == ["private", "600", "7200", "120"], rows[0]
    # a wrong client secret is refused, the right one passes (tokens_for above)
    r = t.login(username="alice", password="alice-old-Passw0rd", client_id="webapp",
                client_secret=MOBILE_SECRET)
    assert r.status == 401, r
    # a client added later gets an id past the imported ones
    cid = t.add_client("later")
    assert cid > 3, cid


@no_fixture
def test_social_credentials_become_identities(t):
    run_import(t)
    rows = t.db.sql("SELECT provider, subject, user_id FROM main.user_identities"
                    " ORDER BY provider")
    assert rows == [["google", "109876543210987654321", CAROL], ["keycloak", "erin", ERIN]], \
        rows
    cred = t.db.sql("SELECT auth_provider, coalesce(password, '') FROM main.user_credentials"
                    " WHERE user_id = :'u'", u=CAROL)
    assert cred == [["google", ""]], cred


@no_fixture
def test_a_social_user_logs_in_through_the_provider(t):
    """erin signed in at upstream through Keycloak (auth_id = her subject);
    after the import the keycloak plugin finds her by that subject alone:
    no e-mail linking, no sign-up, and her provider e-mail is not the one
    upstream holds."""
    run_import(t)
    port = harness.free_port()
    cb = f"http://127.0.0.1:{port}/auth/keycloak-auth-redirect"
    idp = oidc.Provider(t.suite.tmp, [oidc.issuer("keycloak", [
        oidc.client("authsvc-kc", "kc-secret-0123456789", [cb])],
        {"erin": {"email": "erin@elsewhere.example", "email_verified": True}})]).start()
    try:
        srv = t.suite.new_server("kc", plugins={
            "local": {"file": "local.so"},
            "keycloak": {"file": "keycloak.so", "settings": {
                "issuer": idp.issuer_url("keycloak"), "client_id": "authsvc-kc",
                "client_secret": "kc-secret-0123456789", "redirect_uri": cb,
                "allow_http": True, "cookie_secure": False, "link_by_email": False,
                "timeout_ms": 5000}}})
        srv.fixed_port = port
        t._servers.append(srv)
        srv.start()
        r = expect(srv.http("POST", "/auth/keycloak",
                            form={"client_id": "webapp", "client_secret": WEB_SECRET}), 302)
        cookie = r.headers["set-cookie"].split(";")[0]
        loc = idp.browser_login(r.headers["location"], "erin")
        r = expect(srv.http("GET", loc[len(srv.url):], headers={"Cookie": cookie}), 302)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(
            r.headers["location"]).query))["code"]
        tokens = t.exchange(code, client_id="webapp", server=srv)
        me = expect(t.me(tokens["accessToken"], server=srv), 200).body
        assert me["id"] == ERIN and me["username"] == "erin.sso", me
        assert me["permissions"] == upstream_permissions("erin.sso"), me
        assert t.db.count("users") == 6, "a new user was signed up"
    finally:
        idp.close()


@no_fixture
def test_second_import_changes_nothing(t):
    run_import(t, "--with-activity")
    # authsvc's own changes since: a login (last_login, argon2id re-hash)
    t.tokens_for(username="alice", password="alice-old-Passw0rd", client_id="webapp",
                 client_secret=WEB_SECRET)
    before = snapshot(t)
    p = run_import(t, "--with-activity")
    c = counts(p.stdout)
    for tb, (seen, new, changed, kept) in c.items():
        assert new == 0 and changed == 0 and kept == seen, (tb, c[tb])
    assert snapshot(t) == before, "the second import changed rows"
    t.tokens_for(username="alice", password="alice-old-Passw0rd", client_id="webapp",
                 client_secret=WEB_SECRET)


@no_fixture
def test_an_upstream_change_after_the_import_comes_across(t):
    run_import(t)
    db = upstream()
    db.sql(f"UPDATE main.users SET designation = 'CEO' WHERE id = '{ALICE}'")
    try:
        p = run_import(t)
        assert counts(p.stdout)["users"] == (6, 0, 1, 5), p.stdout
        assert t.db.value(f"SELECT designation FROM main.users WHERE id = '{ALICE}'") == "CEO"
    finally:
        db.sql(f"UPDATE main.users SET designation = 'CTO' WHERE id = '{ALICE}'")


@no_fixture
def test_activity_only_when_asked(t):
    p = run_import(t)
    assert "login_activity: not copied" in p.stdout, p.stdout
    assert t.db.count("login_activity") == 0
    run_import(t, "--with-activity")
    rows = t.db.sql("SELECT actor, login_type, ip_address FROM main.login_activity"
                    " ORDER BY login_time")
    assert rows == [[ALICE, "LOGIN", "10.0.0.1"], [BOB, "LOGOUT", "10.0.0.2"]], rows


@no_fixture
def test_unknown_schema_version_is_refused(t):
    db = upstream()
    db.sql("INSERT INTO public.migrations (name, run_on)"
           " VALUES ('/20990101000000-from-the-future', now())")
    try:
        p = run_import(t, check=False)
    finally:
        db.sql("DELETE FROM public.migrations WHERE name = '/20990101000000-from-the-future'")
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "unknown upstream schema version" in p.stderr, p.stderr
    assert "20990101000000-from-the-future" in p.stderr, p.stderr
    for tb in IMPORTED_TABLES:
        assert t.db.count(tb) == 0, f"refused import wrote {tb}"
    # a database the upstream migrations never ran on
    p = run_import(t, check=False, source=t.db.url)
    assert p.returncode == 1 and "no db-migrate table" in p.stderr, p.stderr


@no_fixture
def test_rows_that_cannot_be_mapped_are_named_and_nothing_is_written(t):
    # authsvc already has a user "ALICE" (another id): upstream's alice cannot come
    t.add_tenant("local")
    t.admin("role", "add", "--name", "local-role")
    t.add_client("local-client")
    t.add_user("ALICE", tenant="local", role="local-role", client="local-client",
               email="someone@else.example")
    before = snapshot(t)
    p = run_import(t, "--dry-run", check=False)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert f'cannot map: users "{ALICE}"' in p.stdout, p.stdout
    assert "nothing was written" in p.stderr, p.stderr
    p = run_import(t, check=False)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert f'cannot map: users "{ALICE}"' in p.stdout, p.stdout
    assert snapshot(t) == before, "a failed import wrote rows"


@no_fixture
def test_usage_errors(t):
    p = t.admin("import-upstream", check=False)
    assert p.returncode == 2 and "--from is required" in p.stderr, p.stderr
    p = t.admin("import-upstream", "--from", "postgresql://127.0.0.1:1/none", check=False)
    assert p.returncode == 1 and "upstream database" in p.stderr, p.stderr


if __name__ == "__main__":
    harness.main(globals())

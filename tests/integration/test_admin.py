# SPDX-License-Identifier: Apache-2.0
"""authsvc-admin: provisioning, listings and refusals (non-zero exit, one line on stderr)."""
import harness
from harness import PASSWORD, USERNAME, expect, no_fixture


def refused(p, what):
    assert p.returncode != 0, f"{what}: exit 0; stdout {p.stdout!r}"
    msg = p.stderr.strip()
    assert msg and "\n" not in msg, f"{what}: want one line on stderr, got {p.stderr!r}"
    return msg


@no_fixture
def test_migrate_is_idempotent(t):
    t.admin("migrate")
    t.admin("migrate")


def test_cli_user_can_log_in(t):
    # The standard fixture is made by the CLI alone: the user must be usable.
    t.exchange(t.code())


def test_password_is_stored_hashed(t):
    stored = t.db.value("SELECT password FROM main.user_credentials WHERE user_id = :'u'",
                        u=t.fx.user_id)
    assert stored and PASSWORD not in stored, "password stored in clear"
    assert stored.startswith("$argon2id$"), f"not an argon2id hash: {stored[:20]}"


def test_client_secret_is_not_stored_in_clear(t):
    stored = t.db.value("SELECT client_secret FROM main.auth_clients WHERE client_id = 'web'")
    assert stored != harness.CLIENT_SECRET, "client secret stored in clear"


def test_client_ttls_are_stored(t):
    t.add_client("ttl", access_ttl=60, refresh_ttl=600, code_ttl=30)
    row = t.db.sql("SELECT access_token_expiration, refresh_token_expiration, "
                   "auth_code_expiration FROM main.auth_clients WHERE client_id = 'ttl'")
    assert row == [["60", "600", "30"]], row


def test_public_client_has_no_secret(t):
    t.add_client("spa", secret=None)
    # psql prints an empty string as an empty line: compare in SQL instead
    assert t.db.value("SELECT client_secret = '' FROM main.auth_clients WHERE client_id = 'spa'") == "t"


def test_user_list_shows_users(t):
    p = t.admin("user", "list")
    assert USERNAME in p.stdout, p.stdout


def test_client_list_shows_clients(t):
    p = t.admin("client", "list")
    assert "web" in p.stdout and "mobile" in p.stdout, p.stdout


def test_role_permissions_are_stored(t):
    perms = t.db.value("SELECT array_to_string(permissions, ',') FROM main.roles "
                       "WHERE name = :'r'", r=harness.ROLE)
    assert perms == ",".join(harness.PERMISSIONS), perms


def test_duplicate_username_is_refused(t):
    p = t.admin("user", "add", "--username", USERNAME, "--password-stdin", "--tenant",
                harness.TENANT_KEY, "--role", harness.ROLE, stdin="another-pass-1\n",
                check=False)
    refused(p, "duplicate username")
    assert t.db.count("users") == 1


def test_duplicate_username_differs_only_in_case(t):
    p = t.admin("user", "add", "--username", USERNAME.upper(), "--password-stdin", "--tenant",
                harness.TENANT_KEY, "--role", harness.ROLE, stdin="another-pass-1\n",
                check=False)
    refused(p, "duplicate username (case)")


def test_unknown_tenant_is_refused(t):
    p = t.admin("user", "add", "--username", "newbie", "--password-stdin", "--tenant",
                "no-such-tenant", "--role", harness.ROLE, stdin="newbie-pass-1\n", check=False)
    refused(p, "unknown tenant")
    assert t.db.count("users", "username = 'newbie'") == 0, "half-created user left behind"


def test_unknown_role_is_refused(t):
    p = t.admin("user", "add", "--username", "newbie", "--password-stdin", "--tenant",
                harness.TENANT_KEY, "--role", "no-such-role", stdin="newbie-pass-1\n",
                check=False)
    refused(p, "unknown role")
    assert t.db.count("users", "username = 'newbie'") == 0, "half-created user left behind"


def test_weak_password_is_refused(t):
    for pw in ("abc", "newbie"):   # too short; equal to the username
        p = t.admin("user", "add", "--username", "newbie", "--password-stdin", "--tenant",
                    harness.TENANT_KEY, "--role", harness.ROLE, stdin=pw + "\n", check=False)
        refused(p, f"weak password {pw!r}")
    assert t.db.count("users", "username = 'newbie'") == 0


def test_names_are_measured_in_characters_as_the_columns_are(t):
    # varchar(50) holds 50 characters, whatever their bytes: 50 Cyrillic
    # letters (100 bytes) fit, 51 do not. A username is at most 150
    # characters and 159 bytes (the plugin ABI's identity holds 160): 79
    # two-byte letters (158 bytes) log in, 80 are refused at creation.
    name = "\u0416" * 50
    uname = "\u00fc" * 79
    t.admin("user", "add", "--username", uname, "--password-stdin", "--tenant",
            harness.TENANT_KEY, "--role", harness.ROLE, "--first-name", name, "--client", "web",
            stdin="umlaut-pass-1\n")
    assert t.db.value("SELECT first_name FROM main.users WHERE username = :'u'", u=uname) == name
    r = expect(t.login(username=uname, password="umlaut-pass-1"), 200)
    assert r.body.get("code"), r
    p = t.admin("user", "add", "--username", "toolong", "--password-stdin", "--tenant",
                harness.TENANT_KEY, "--role", harness.ROLE, "--first-name", name + "\u0416",
                stdin="toolong-pass-1\n", check=False)
    refused(p, "first name of 51 characters")
    assert "longer than 50 characters" in p.stderr, p.stderr
    p = t.admin("user", "add", "--username", "\u00fc" * 80, "--password-stdin", "--tenant",
                harness.TENANT_KEY, "--role", harness.ROLE, stdin="umlaut-pass-2\n", check=False)
    refused(p, "username of 160 bytes")
    assert "longer than 159 bytes" in p.stderr, p.stderr
    assert t.db.count("users", "username = '" + "\u00fc" * 80 + "'") == 0


def test_duplicate_client_is_refused(t):
    p = t.admin("client", "add", "--client-id", "web", "--secret", "x", "--redirect-url",
                harness.REDIRECT_URL, check=False)
    refused(p, "duplicate client")


def test_unknown_subcommand_is_refused(t):
    p = t.admin("frobnicate", check=False)
    assert p.returncode != 0 and p.stderr.strip(), f"exit {p.returncode} {p.stderr!r}"


def test_user_added_while_server_runs_can_log_in(t):
    expect(t.http("GET", "/health"), 200)
    t.add_user("late_user", "late-password-1")
    expect(t.login(username="late_user", password="late-password-1"), 200)


if __name__ == "__main__":
    harness.main(globals())

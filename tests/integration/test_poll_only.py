# SPDX-License-Identifier: Apache-2.0
"""Revocations without LISTEN/NOTIFY and without the snapshot functions
(docs/scaling.md: engines that lack them): `database.listen = false` and
`database.snapshots = false` leave the poll alone, reading by revoked_on.

The instances connect as a role that may not call pg_current_snapshot and
its companions in this database (as on an engine without them); the
default configuration cannot start there, the poll-only one converges."""
import subprocess

import harness
from harness import expect, expect_error, wait_until

ROLE = "authsvc_nosnap"
POLL_ONLY = {"database": {"listen": False, "snapshots": False},
             "tokens": {"revocation_poll": 1}}


def setup_role(t):
    """A URL for ROLE, which lacks the snapshot functions here."""
    t.db.sql(f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
    CREATE ROLE {ROLE} LOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA main TO {ROLE};
GRANT ALL ON ALL TABLES IN SCHEMA main TO {ROLE};
GRANT ALL ON ALL SEQUENCES IN SCHEMA main TO {ROLE};
GRANT SELECT ON public.authsvc_migrations TO {ROLE};
REVOKE EXECUTE ON FUNCTION pg_current_snapshot() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_snapshot_xmin(pg_snapshot) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_visible_in_snapshot(xid8, pg_snapshot) FROM PUBLIC;
""")
    pg = t.db.pg
    return f"postgresql://{ROLE}@{pg['PGHOST']}:{pg['PGPORT']}/{t.db.name}"


def start(t, name, url, **overrides):
    srv = t.suite.new_server(name, **harness.merge(POLL_ONLY, overrides))
    srv.db_url = url
    t._servers.append(srv)
    return srv.start()


def refused(t, access, server):
    return t.me(access, server=server).status == 401


def test_the_default_needs_the_snapshot_functions(t):
    # shows the role really lacks them: with snapshots on, no start
    url = setup_role(t)
    t.server  # the shared server (own role) made the signing keys
    srv = t.suite.new_server("default", tokens={"revocation_poll": 1})
    srv.db_url = url
    try:
        srv.start()
    except harness.SetupError as e:
        assert "revoked tokens" in str(e), e
    else:
        srv.stop()
        raise AssertionError("authsvc started without the snapshot functions")


def test_logout_and_refresh_converge_through_the_poll(t):
    url = setup_role(t)
    t.server
    a = start(t, "a", url)
    b = start(t, "b", url)
    out = t.tokens_for(server=a)
    rot = t.tokens_for(server=a)
    for s in (out, rot):
        expect(t.me(s["accessToken"], server=b), 200)
    expect(t.logout(out, server=a), 200)
    new = expect(t.refresh(rot, server=a), 200).body
    # the poll runs once a second; the deadline is only a bound
    wait_until(lambda: refused(t, out["accessToken"], b) and refused(t, rot["accessToken"], b),
               15, interval=0.2, what="instance b to refuse both revoked tokens through the poll")
    expect(t.me(new["accessToken"], server=b), 200)
    expect_error(t.refresh(rot, server=b), 401)


def test_a_revocation_from_a_transaction_older_than_the_last_read_is_found(t):
    # revoked_on is the revoking transaction's start: one that was open
    # across a poll and commits later is inside the next poll's window
    url = setup_role(t)
    t.server
    a = start(t, "a", url)
    tokens = t.tokens_for(server=a)
    claims = harness.jwt_parts(tokens["accessToken"])[1]
    holder = t.db.hold("SET LOCAL authsvc.revocations = 'batched'; "
                       "INSERT INTO main.revoked_tokens (jti, expires_at)"
                       f" VALUES ('{claims['jti']}', to_timestamp({int(claims['exp'])}))")
    try:
        other = t.tokens_for(server=a)
        expect(t.logout(other, server=a), 200)
        b = start(t, "b", url)  # b's reads run while the holder is open
        wait_until(lambda: refused(t, other["accessToken"], b), 15, interval=0.2,
                   what="instance b to refuse a token logged out on a")
        expect(t.me(tokens["accessToken"], server=b), 200)
    finally:
        holder.release()
    wait_until(lambda: refused(t, tokens["accessToken"], b), 15, interval=0.2,
               what="the poll to find a revocation whose transaction began before a read")


def test_no_listen_and_no_notify(t):
    url = setup_role(t)
    t.server
    a = start(t, "a", url)
    tokens = t.tokens_for(server=a)
    expect(t.logout(tokens, server=a), 200)
    # the poll-only listener session never ran LISTEN
    rows = t.db.sql("SELECT query FROM pg_stat_activity WHERE usename = :'r' "
                    "AND datname = current_database()", r=ROLE)
    assert rows and not any("LISTEN" in q[0] for q in rows), rows


def check_config(t, name, database):
    srv = t.suite.new_server(name, database=database)
    srv.port = harness.free_port()
    return subprocess.run([harness.BIN, "--check-config", "-c", srv.write_config()],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=harness.scaled(30))


@harness.no_fixture
def test_database_settings_are_checked(t):
    p = check_config(t, "ok", {"listen": False, "snapshots": False,
                               "prepared_statements": False, "listen_url": t.db.url})
    assert p.returncode == 0, p.stderr
    p = check_config(t, "typo", {"snapshot": False})
    assert p.returncode == 1 and "database.snapshot: unknown setting" in p.stderr, p.stderr
    p = check_config(t, "type", {"listen": "no"})
    assert p.returncode == 1 and "listen: must be true or false" in p.stderr, p.stderr


if __name__ == "__main__":
    harness.main(globals())

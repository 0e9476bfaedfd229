# SPDX-License-Identifier: Apache-2.0
"""Signing-key rotation (docs/operator-guide.md "Key rotation") across two
instances on one database: authsvc-admin keys list|rotate|retire, pickup
without a restart (NOTIFY authsvc_keys, and the tokens.key_poll poll),
old keys verifying for as long as their tokens can live, automatic
retirement, and automatic rotation (tokens.key_rotation) that makes exactly
one key per period however many instances run."""

import harness
from harness import expect, jwt_parts, wait_until

FAST = {"tokens": {"key_poll": 1}}


def kid_of(token):
    return jwt_parts(token)[0].get("kid")


def jwks_kids(t, srv):
    r = expect(t.http("GET", "/.well-known/jwks.json", server=srv), 200)
    return [k["kid"] for k in r.body["keys"]]


def signing_kid(t, srv):
    return kid_of(t.tokens_for(server=srv)["accessToken"])


def keys_admin(srv, *args, check=True):
    """authsvc-admin with the server's own config (its key_poll and passphrase)."""
    return harness.admin(srv.conf_path, "keys", *args, check=check)


def key_rows(t):
    return [r[0] for r in t.db.sql("SELECT key_id FROM main.jwt_keys ORDER BY active_from, id")]


def test_rotate_reaches_both_instances_and_old_tokens_live_on(t):
    a, b = t.start_server("a", **FAST), t.start_server("b", **FAST)
    old = t.tokens_for(server=a)["accessToken"]
    old_kid = kid_of(old)
    assert signing_kid(t, b) == old_kid

    out = keys_admin(a, "rotate").stdout
    new_kid = out.split()[2]
    assert out.startswith("key added: ") and new_kid != old_kid, out
    # both publish the new key, then both sign with it, without a restart
    for srv in (a, b):
        wait_until(lambda: new_kid in jwks_kids(t, srv), 10, what=f"{srv.name} JWKS has the new key")
    for srv in (a, b):
        wait_until(lambda: signing_kid(t, srv) == new_kid, 10, interval=0.2,
                   what=f"{srv.name} signs with {new_kid}")
        assert old_kid in jwks_kids(t, srv), "the old key left the JWKS while still needed"
        # a token signed by the old key still passes, on either instance
        expect(t.me(old, server=srv), 200)

    listing = keys_admin(a, "list").stdout
    rows = {line.split()[0]: line.split() for line in listing.splitlines()[1:] if line.strip()}
    assert rows[new_kid][2] == "signing" and rows[old_kid][2] == "verifying", listing
    assert rows[old_kid][4] != "-", listing  # needed until a stated time

    # retire refuses the signing key and a key still needed; an unknown kid fails
    p = keys_admin(a, "retire", new_kid, check=False)
    assert p.returncode == 1 and "signing key" in p.stderr, p.stderr
    p = keys_admin(a, "retire", old_kid, check=False)
    assert p.returncode == 1 and "still verifies" in p.stderr, p.stderr
    p = keys_admin(a, "retire", "no-such-kid", check=False)
    assert p.returncode == 1 and "no signing key" in p.stderr, p.stderr
    assert old_kid in key_rows(t)
    expect(t.me(old, server=b), 200)

    # --force retires it: both instances stop accepting its tokens
    keys_admin(a, "retire", old_kid, "--force")
    for srv in (a, b):
        wait_until(lambda: t.me(old, server=srv).status == 401, 10,
                   what=f"{srv.name} refuses the retired key's token")
        assert old_kid not in jwks_kids(t, srv)
    expect(t.me(t.tokens_for(server=b)["accessToken"], server=a), 200)


def test_old_key_is_retired_once_its_tokens_have_expired(t):
    a, b = t.start_server("a", **FAST), t.start_server("b", **FAST)
    old = t.tokens_for(server=a)["accessToken"]
    old_kid = kid_of(old)
    new_kid = keys_admin(a, "rotate", "--now").stdout.split()[2]
    for srv in (a, b):
        wait_until(lambda: signing_kid(t, srv) == new_kid, 10, interval=0.2,
                   what=f"{srv.name} signs with {new_kid}")
    expect(t.me(old, server=b), 200)
    assert old_kid in key_rows(t)
    # as if the new key had signed for two days: longer than any client's
    # access-token lifetime (900 s here) plus the leeway
    t.db.sql("UPDATE main.jwt_keys SET active_from = active_from - interval '2 days'")
    wait_until(lambda: old_kid not in key_rows(t), 10, what="the old key retired")
    assert new_kid in key_rows(t)
    for srv in (a, b):
        wait_until(lambda: t.me(old, server=srv).status == 401, 10,
                   what=f"{srv.name} refuses the retired key's token")
        assert jwks_kids(t, srv)[0] == new_kid
        assert old_kid not in jwks_kids(t, srv)


def test_automatic_rotation_makes_one_key_per_period(t):
    auto = {"tokens": {"key_poll": 1, "key_rotation": "1h"}, "statement_timeout_ms": 60000}
    a, b = t.start_server("a", **auto), t.start_server("b", **auto)
    before = set(key_rows(t))
    # Make the keys an hour and more old (rotation due), in a transaction that
    # keeps jwt_keys locked until both instances wait to look at them: once
    # it commits, both find a rotation due at the same moment.
    holder = t.db.hold("UPDATE main.jwt_keys SET active_from = active_from - interval '2 hours';"
                       " LOCK TABLE main.jwt_keys IN ACCESS EXCLUSIVE MODE")
    try:
        wait_until(lambda: int(t.db.value(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'")) >= 2, 20, what="both instances waiting on the keys")
    finally:
        holder.release()
    wait_until(lambda: set(key_rows(t)) - before, 20, what="an automatic rotation")
    # both have run their check again (their next poll) and neither added another
    for srv in (a, b):
        wait_until(lambda: signing_kid(t, srv) not in before, 10, interval=0.2,
                   what=f"{srv.name} signs with the rotated key")
    assert len(set(key_rows(t)) - before) == 1, key_rows(t)
    logs = open(a.log_path).read() + open(b.log_path).read()
    assert logs.count("signing key rotated") == 1, logs


def test_short_rotation_period_rotates_on_its_own(t):
    before = set(key_rows(t))
    srv = t.start_server("a", tokens={"key_poll": 1, "key_rotation": "2s"})
    wait_until(lambda: signing_kid(t, srv) not in before, 20, interval=0.2,
               what="a key made by the automatic rotation signing")
    # every key made so far starts signing a period or more after the one before
    close = t.db.value(
        "SELECT count(*) FROM (SELECT active_from - lag(active_from) OVER (ORDER BY active_from)"
        " AS gap FROM main.jwt_keys WHERE NOT key_id = ANY(string_to_array(:'old', ','))) g"
        " WHERE gap < interval '2 seconds'", old=",".join(before))
    assert int(close) == 0, t.db.sql("SELECT key_id, active_from FROM main.jwt_keys")


def test_rotate_refuses_configurations_without_database_keys(t):
    p = harness.admin(t.suite.admin_conf, "keys", "rotate", "extra", check=False)
    assert p.returncode == 2, p
    p = harness.admin(t.suite.admin_conf, "keys", "retire", check=False)
    assert p.returncode == 2 and "exactly one KID" in p.stderr, p.stderr
    conf = f"{t.suite.tmp}/hs.conf"
    with open(conf, "w") as f:
        f.write(harness.to_libconfig(harness.merge(
            harness.base_config(t.db.url),
            {"tokens": {"algorithm": "HS256", "hs_secret": "x" * 40}})))
    p = harness.admin(conf, "keys", "rotate", check=False)
    assert p.returncode == 1 and "HS256" in p.stderr, p.stderr


if __name__ == "__main__":
    harness.main(globals())

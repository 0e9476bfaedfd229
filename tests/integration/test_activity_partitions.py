# SPDX-License-Identifier: Apache-2.0
"""login_activity partitioned by month (host/sql/0009_activity_partitions.sql,
docs/operator-guide.md "Login activity retention"): the migration converts a
populated table without losing or changing a row, a query over a loginTime
range scans only the partitions of its months (EXPLAIN), the API answers
across partitions, and activity.retention_months drops old months whole."""

import datetime
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import harness
from harness import expect, no_fixture, wait_until

UTC = datetime.timezone.utc


def month_start(d):
    return d.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def months_back(n, now=None):
    """The first instant (UTC) of the month n months before now's month."""
    d = month_start(now or datetime.datetime.now(UTC))
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return d.replace(year=y, month=m + 1)


def part_name(d):
    return f"login_activity_y{d.year:04d}m{d.month:02d}"


def partitions(db):
    return {r[0] for r in db.sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'main.login_activity'::regclass")}


def add_months(db, first_back, last_back=0):
    """Partitions for the months first_back .. last_back months ago."""
    for n in range(first_back, last_back - 1, -1):
        db.sql("SELECT main.login_activity_add_month(:'m'::timestamptz)",
               m=months_back(n).isoformat())


def insert_rows(db, per_month, first_back, last_back=0, actor="p-actor", tenant=None):
    """per_month rows in each month first_back .. last_back months ago (the
    5th day of the month, hour = row number)."""
    for n in range(first_back, last_back - 1, -1):
        day = months_back(n) + datetime.timedelta(days=4)
        db.sql("INSERT INTO main.login_activity (actor, tenant_id, login_time, token_payload,"
               " login_type) SELECT :'a', NULLIF(:'t', ''), :'d'::timestamptz"
               " + g * interval '1 hour', 'payload', 'ACCESS' FROM generate_series(1, :n) g",
               a=actor, t=tenant or "", d=day.isoformat(), n=str(per_month))


def plan_partitions(text):
    """The partitions an EXPLAIN text reads."""
    return {w for w in text.replace("(", " ").split()
            if re.fullmatch(r"login_activity_y[0-9]{4}m[0-9]{2}|login_activity_default", w)}


def scanned(db, sql, setup=""):
    """The partitions a query's executed plan reads, and the plan."""
    plan = db.sql(f"{setup}EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}")
    text = "\n".join(r[0] for r in plan)
    return plan_partitions(text), text


def test_range_queries_scan_only_their_months(t):
    add_months(t.db, 6)
    insert_rows(t.db, 5, 6)
    a, b = months_back(4), months_back(3)
    lo = (a + datetime.timedelta(days=10)).isoformat()
    hi = (b + datetime.timedelta(days=10)).isoformat()
    page = ("SELECT id, actor, login_time FROM main.login_activity WHERE actor = 'p-actor'"
            f" AND login_time BETWEEN '{lo}'::timestamptz AND '{hi}'::timestamptz"
            " ORDER BY login_time DESC LIMIT 50")
    names, plan = scanned(t.db, page)
    assert names == {part_name(a), part_name(b)}, plan
    # the shape of /active-users: a range over every tenant
    active = ("SELECT count(DISTINCT actor) FROM main.login_activity"
              f" WHERE login_time BETWEEN '{lo}'::timestamptz AND '{hi}'::timestamptz")
    names, plan = scanned(t.db, active)
    assert names == {part_name(a), part_name(b)}, plan
    # as the server sends them: parameters, a generic plan pruned at run time
    prep = ("PREPARE r(timestamptz, timestamptz) AS SELECT count(*) FROM main.login_activity"
            " WHERE login_time BETWEEN $1 AND $2; ")
    names, plan = scanned(t.db, f"EXECUTE r('{lo}', '{hi}')",
                          setup="SET plan_cache_mode = force_generic_plan; " + prep)
    assert "Subplans Removed" in plan, plan
    assert names == {part_name(a), part_name(b)}, plan


def test_the_api_answers_across_partitions(t):
    good = t.tokens_for()["accessToken"]
    t.wait_rows("login_activity", "true", n=1)
    t.db.sql("DELETE FROM main.login_activity")
    add_months(t.db, 3)
    insert_rows(t.db, 3, 3, tenant=t.fx.tenant_id)
    lo = months_back(2) + datetime.timedelta(days=1)
    hi = months_back(0) + datetime.timedelta(days=1)
    f = {"where": {"actor": "p-actor", "loginTime": {"between": [
        lo.strftime("%Y-%m-%dT%H:%M:%S.000Z"), hi.strftime("%Y-%m-%dT%H:%M:%S.000Z")]}},
        "order": "loginTime DESC"}
    r = expect(t.http("GET", "/login-activity?filter=" + urllib.parse.quote(json.dumps(f)),
                      headers={"Authorization": "Bearer " + good}), 200)
    assert len(r.body) == 6, r.body  # two months of three rows
    times = [row["loginTime"] for row in r.body]
    assert times == sorted(times, reverse=True), times


def test_retention_drops_old_months_whole(t):
    add_months(t.db, 8)
    insert_rows(t.db, 2, 8)
    # a row older than any partition, kept by the default partition
    t.db.sql("INSERT INTO main.login_activity (actor, login_time, token_payload, login_type)"
             " VALUES ('p-old', now() - interval '5 years', 'payload', 'ACCESS')")
    assert part_name(months_back(8)) in partitions(t.db)
    srv = t.start_server("retention", activity={"retention_months": 3})
    have = partitions(t.db)
    for n in range(8, 3, -1):
        assert part_name(months_back(n)) not in have, (n, sorted(have))
    for n in range(3, -4, -1):  # kept, and created ahead
        assert part_name(months_back(n)) in have, (n, sorted(have))
    assert t.db.count("login_activity", "login_time < :'c'::timestamptz",
                      c=months_back(3).isoformat()) == 0
    assert t.db.count("login_activity", "actor = 'p-actor'") == 2 * 4
    assert "login activity months dropped" in open(srv.log_path).read()
    # logins still record activity, into the current month's partition
    t.tokens_for(server=srv)
    t.wait_rows("login_activity", "actor <> 'p-actor'", n=1)
    assert int(t.db.value(f"SELECT count(*) FROM main.{part_name(months_back(0))}"
                          " WHERE actor <> 'p-actor'")) >= 1


@no_fixture
def test_migration_converts_a_populated_table(t):
    db = harness.Db("activity_convert")
    try:
        sql8 = os.path.join(t.suite.tmp, "sql-0008")
        os.makedirs(sql8, exist_ok=True)
        for name in sorted(os.listdir(harness.SQL_DIR)):
            if name.endswith(".sql") and name < "0009":
                shutil.copy(os.path.join(harness.SQL_DIR, name), sql8)
        conf = os.path.join(t.suite.tmp, "convert.conf")
        with open(conf, "w") as f:
            f.write(harness.to_libconfig(harness.base_config(db.url)))
        harness.admin(conf, "migrate", "--sql-dir", sql8)
        assert db.value("SELECT relkind FROM pg_class WHERE oid = 'main.login_activity'::regclass"
                        ) == "r"
        # 14 months of rows, one far in the past, one in the future
        db.sql("INSERT INTO main.login_activity (actor, tenant_id, login_time, token_payload,"
               " login_type, device_info, ip_address) SELECT 'c-' || (g % 7), 't-' || (g % 3),"
               " now() - g * interval '17 hours', 'payload-' || g, 'ACCESS', 'dev', '10.0.0.1'"
               " FROM generate_series(0, 700) g")
        db.sql("INSERT INTO main.login_activity (actor, login_time, token_payload, login_type)"
               " VALUES ('c-far', '2001-01-01T00:00:00Z', 'x', 'ACCESS'),"
               " ('c-next', now() + interval '40 days', 'x', 'ACCESS')")
        digest = ("SELECT count(*) || ':' || md5(string_agg(l::text, ',' ORDER BY id))"
                  " FROM main.login_activity l")
        before = db.value(digest)
        harness.admin(conf, "migrate")
        assert db.value("SELECT relkind FROM pg_class WHERE oid = 'main.login_activity'::regclass"
                        ) == "p"
        assert db.value(digest) == before
        have = partitions(db)
        oldest = month_start(datetime.datetime.now(UTC) - datetime.timedelta(hours=17 * 700))
        n = 0
        while months_back(n) >= oldest:
            assert part_name(months_back(n)) in have, (n, sorted(have))
            n += 1
        assert part_name(months_back(-3)) in have, sorted(have)
        assert "login_activity_default" in have
        # the stray 2001 row has a month of its own (not every month since)
        assert "login_activity_y2001m01" in have and "login_activity_y2001m02" not in have
        assert db.value("SELECT count(*) FROM main.login_activity_default") == "0"
        assert db.value("SELECT count(*) FROM pg_tables WHERE tablename ="
                        " 'login_activity_partitioned'") == "0"
    finally:
        db.drop()


def old_schema_db(t, name):
    """A database migrated up to 0008 (login_activity unpartitioned), and a
    config for it."""
    db = harness.Db(name)
    sql8 = os.path.join(t.suite.tmp, "sql-0008")
    os.makedirs(sql8, exist_ok=True)
    for f in sorted(os.listdir(harness.SQL_DIR)):
        if f.endswith(".sql") and f < "0009":
            shutil.copy(os.path.join(harness.SQL_DIR, f), sql8)
    conf = os.path.join(t.suite.tmp, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(harness.to_libconfig(harness.base_config(db.url)))
    harness.admin(conf, "migrate", "--sql-dir", sql8)
    return db, conf


def waiting_on_locks(db):
    return int(db.value("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"))


@no_fixture
def test_migration_under_concurrent_logins_loses_no_row(t):
    db, conf = old_schema_db(t, "activity_concurrent")
    insert = ("INSERT INTO main.login_activity (actor, login_time, token_payload, login_type)"
              " VALUES ('{}', now(), 'x', 'ACCESS')")
    try:
        db.sql(insert.format("before"))
        # a login's transaction in flight when the migration starts
        first = db.hold(insert.format("in-flight"))
        migrate = subprocess.Popen([harness.ADMIN_BIN, "-c", conf, "migrate"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: waiting_on_locks(db) >= 1, 20, what="the migration waiting")
            # a login that comes while the migration waits queues behind it
            late = subprocess.Popen(
                [db._psql_path(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", db.pg["PGHOST"],
                 "-p", db.pg["PGPORT"], "-U", db.pg["PGUSER"], "-d", db.name,
                 "-c", insert.format("queued")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_until(lambda: waiting_on_locks(db) >= 2, 20, what="the second login waiting")
        finally:
            first.release()
        out, err = migrate.communicate(timeout=harness.scaled(60))
        assert migrate.returncode == 0, err
        _, lerr = late.communicate(timeout=harness.scaled(60))
        assert late.returncode == 0, lerr
        assert db.value("SELECT relkind FROM pg_class WHERE oid = 'main.login_activity'::regclass"
                        ) == "p"
        got = sorted(r[0] for r in db.sql("SELECT actor FROM main.login_activity"))
        assert got == ["before", "in-flight", "queued"], got
    finally:
        db.drop()


if __name__ == "__main__":
    harness.main(globals())

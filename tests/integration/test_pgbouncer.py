# SPDX-License-Identifier: Apache-2.0
"""Two instances through pgbouncer in transaction pooling mode
(docs/scaling.md, "Connection pooler"): each transaction may run on a
different server session, so the statement path uses unnamed statements
(`database.prepared_statements = false`; pgbouncer 1.18 does not keep
protocol-level prepared statements), session settings come from the
database (ALTER DATABASE ... SET), and the revocation listener, which
needs a session for LISTEN, connects past the pooler
(`database.listen_url`).

The pool has two server connections for many client connections, so
consecutive transactions of one instance land on different sessions."""
import threading

import harness
import scale
from harness import expect, expect_error, wait_until

PGB = None


def teardown():
    if PGB is not None:
        PGB.stop()


def pooled(t, name, **overrides):
    """An instance whose statements go through pgbouncer, its listener direct."""
    global PGB
    pg = t.db.pg
    if PGB is None:
        # what a session would otherwise set for itself: every server
        # session of this database gets it, whichever client it serves
        t.db.sql(f'ALTER DATABASE "{t.db.name}" SET search_path = main;\n'
                 f'ALTER DATABASE "{t.db.name}" SET statement_timeout = \'5s\'')
        PGB = scale.Pgbouncer(t.suite.tmp, pg["PGHOST"], pg["PGPORT"]).start()
    srv = t.suite.new_server(name, **harness.merge(
        {"database": {"prepared_statements": False, "listen_url": t.db.url},
         "tokens": {"revocation_poll": 3600}}, overrides))  # revocations by NOTIFY only
    srv.db_url = f"postgresql://{pg['PGUSER']}@127.0.0.1:{PGB.port}/{t.db.name}"
    t._servers.append(srv)
    return srv.start()


def test_login_refresh_logout_through_the_pooler(t):
    a = pooled(t, "a")
    b = pooled(t, "b")
    tokens = t.tokens_for(server=a)
    expect(t.me(tokens["accessToken"], server=b), 200)
    new = expect(t.refresh(tokens, server=b), 200).body
    expect(t.me(new["accessToken"], server=a), 200)
    expect(t.logout(new, server=a), 200)
    expect_error(t.refresh(new, server=b), 401)
    expect_error(t.refresh(tokens, server=a), 401)  # rotated on b: used for a too


def test_revocations_cross_instances_through_the_direct_listener(t):
    a = pooled(t, "a")
    b = pooled(t, "b")
    out = t.tokens_for(server=a)
    rot = t.tokens_for(server=b)
    for s in (out, rot):
        expect(t.me(s["accessToken"], server=b), 200)
        expect(t.me(s["accessToken"], server=a), 200)
    expect(t.logout(out, server=a), 200)
    expect(t.refresh(rot, server=b), 200)
    # no poll for an hour: only a NOTIFY on the listeners' own sessions
    wait_until(lambda: t.me(out["accessToken"], server=b).status == 401, 5,
               what="b to refuse the token logged out on a")
    wait_until(lambda: t.me(rot["accessToken"], server=a).status == 401, 5,
               what="a to refuse the token rotated out on b")


def test_concurrent_flows_share_two_server_sessions(t):
    many = {"workers": 4, "bruteforce": {"enabled": False}}
    a = pooled(t, "a", **many)
    b = pooled(t, "b", **many)
    bad = []
    lock = threading.Lock()

    def flow(i):
        srv, other = (a, b) if i % 2 else (b, a)
        for _ in range(4):
            try:
                tokens = t.tokens_for(server=srv)
                r1 = t.refresh(tokens, server=other)
                r2 = t.logout(r1.body, server=srv) if r1.status == 200 else r1
                ok = r1.status == 200 and r2.status == 200
            except (AssertionError, OSError) as e:
                r1, r2, ok = e, None, False
            if not ok:
                with lock:
                    bad.append((r1, r2))

    threads = [threading.Thread(target=flow, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(harness.scaled(120))
    assert not bad, bad[:3]
    assert int(t.db.value("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                          "current_database() AND application_name = 'pgbouncer'") or 0) <= 2


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""Failure behaviour: a full work queue, SIGTERM while a request is in flight,
and the database going away and coming back (a private cluster)."""
import http.client as httpclient
import os
import signal
import subprocess
import threading
import time

import harness
from harness import USERNAME, expect, expect_error, wait_until

SCRIPT = os.path.join(harness.REPO, "scripts", "pg-cluster")


def unknown_login(srv, user="nobody-at-all"):
    return srv.http("POST", "/auth/login",
                    json={"client_id": "web", "client_secret": "test", "username": user,
                          "password": "not-the-password-1"})


def lock_waiters(t, table, query_prefix):
    """Sessions whose statement starting with query_prefix waits for a lock
    on main.<table>: a request that a worker is running, held by the lock."""
    return int(t.db.value(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE NOT l.granted AND l.relation = :'rel'::regclass "
        "AND a.query LIKE :'prefix' || '%'", rel=f"main.{table}", prefix=query_prefix))


def tcp_queues(port):
    """{(local_port, remote_port): (tx_queue, rx_queue)} of the established
    IPv4 loopback connections with an end on `port` (/proc/net/tcp)."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            lport, rport = int(local.split(":")[1], 16), int(remote.split(":")[1], 16)
            if state == "01" and port in (lport, rport):
                tx, rx = (int(x, 16) for x in queues.split(":"))
                out[(lport, rport)] = (tx, rx)
    return out


def requests_read(port, client_ports):
    """True once every request sent from client_ports has been read by the
    server: the client's bytes are acknowledged (its tx_queue is empty) and
    the server's socket holds none of them (its rx_queue is empty). evhttp
    reads a whole small request at once and hands it on in the same call."""
    q = tcp_queues(port)
    for cport in client_ports:
        client, server = q.get((cport, port)), q.get((port, cport))
        if client is None or server is None or client[0] != 0 or server[1] != 0:
            return False
    return True


# The barrier of the tests below: a request that writes a table which a
# second session holds locked stays in its worker for as long as the test
# holds the lock, however fast or slow the machine. /auth/login-token
# inserts into main.refresh_tokens; a failed login counts the failure in
# main.auth_failures. The statement timeout is set far above the time a
# test holds a lock.
TOKEN_INSERT = "INSERT INTO refresh_tokens"
FAILURE_INSERT = "INSERT INTO auth_failures"
HELD = {"statement_timeout_ms": int(harness.scaled(120) * 1000)}


def post_raw(port, path, username, password, timeout):
    """An open connection that has sent POST `path` with a login body (the
    answer is read with .getresponse())."""
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.connect()
    conn.request("POST", path, body=(
        '{"client_id":"web","client_secret":"%s","username":"%s","password":"%s"}'
        % (harness.CLIENT_SECRET, username, password)),
        headers={"Content-Type": "application/json"})
    return conn


def login_token_raw(port, timeout):
    """post_raw of /auth/login-token for the standard user."""
    return post_raw(port, "/auth/login-token", USERNAME, harness.PASSWORD, timeout)


def refused_or_503(port):
    """A new connection to a draining server is refused or answered 503."""
    try:
        conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=harness.scaled(2))
        conn.request("GET", "/health")
        status = conn.getresponse().status
        conn.close()
        return status == 503 and "503"
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
            httpclient.RemoteDisconnected):
        return "refused"


# ---------------------------------------------------------------- queue full

def test_full_queue_answers_503_with_retry_after(t):
    # workers=1, queue_max=1: the worker holds the first login (its failure
    # count waits for the locked table), the queue holds the second, so the
    # third finds the queue full
    srv = t.start_server("busy", workers=1, queue_max=1, **HELD)
    timeout = harness.scaled(120)
    held = []
    holder = t.db.hold("LOCK TABLE main.auth_failures IN EXCLUSIVE MODE")
    try:
        held.append(post_raw(srv.port, "/auth/login", "nobody0", "not-the-password-1", timeout))
        wait_until(lambda: lock_waiters(t, "auth_failures", FAILURE_INSERT) == 1, 30,
                   what="the worker to wait for the locked table")
        held.append(post_raw(srv.port, "/auth/login", "nobody1", "not-the-password-1", timeout))
        wait_until(lambda: requests_read(srv.port, [held[1].sock.getsockname()[1]]), 30,
                   what="the server to read the queued request")
        r = unknown_login(srv, "nobody2")
        expect_error(r, 503)
        assert r.headers.get("retry-after", "").strip().isdigit(), f"Retry-After: {r.headers}"
        assert holder.poll() is None, "the lock holder ended early"
    finally:
        holder.release()
    for conn in held:
        try:
            resp = conn.getresponse()
            r = harness.Resp("POST", "/auth/login", resp.status,
                             {k.lower(): v for k, v in resp.getheaders()},
                             resp.read().decode("utf-8", "replace"))
        finally:
            conn.close()
        expect_error(r, 401, "Invalid Credentials")

    # Healthy afterwards: probes, a real login, a full flow.
    expect(srv.http("GET", "/health"), 200)
    expect(wait_until(lambda: (r := srv.http("GET", "/ready")).status == 200 and r, 5,
                      what="/ready 200 after the burst"), 200)
    tokens = t.tokens_for(server=srv)
    expect(t.me(tokens["accessToken"], server=srv), 200)
    assert srv.alive(), "server died"


# ---------------------------------------------------------------- SIGTERM

def thread_stats(pid, field):
    """One field of each thread of pid, from /proc/PID/task/TID/stat (1-based
    as in proc(5): 19 is nice, 41 the scheduling policy)."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            # the command name may hold spaces: fields start after its ')'
            fields = f.read().rsplit(")", 1)[1].split()
        out.append(int(fields[field - 3]))
    return out


def thread_nices(pid):
    return thread_stats(pid, 19)


SCHED_OTHER, SCHED_IDLE = 0, 5


def once_started(pid, field, value, n, what):
    """thread_stats(pid, field) once n threads show value. A worker sets
    its nice and class first thing in its own thread, which may not have
    run yet when the server first answers (a busy machine)."""
    return wait_until(lambda: (v := thread_stats(pid, field)).count(value) >= n and v, 10,
                      what=what)


def test_workers_run_at_worker_nice(t):
    """The worker threads (hashing, database) yield the CPU to the event
    loops: worker_nice applies to them and to nothing else."""
    srv = t.start_server("nice", workers=3, loops=2, worker_nice=7)
    expect(srv.http("GET", "/health"), 200)
    nices = once_started(srv.proc.pid, 19, 7, 3, "3 workers at nice 7")
    assert nices.count(7) == 3, f"want 3 threads at nice 7 (the workers): {nices}"
    assert nices.count(0) >= 3, f"main thread and loops should stay at nice 0: {nices}"
    default = once_started(t.server.proc.pid, 19, 19, 2,  # the harness's config: workers = 2
                           "2 workers at nice 19")
    assert default.count(19) == 2, f"want the 2 workers at the default nice 19: {default}"
    policies = thread_stats(srv.proc.pid, 41)  # the harness's worker_sched: normal
    assert set(policies) == {SCHED_OTHER}, f"want no SCHED_IDLE thread: {policies}"


def test_workers_run_in_the_idle_class_by_default(t):
    """worker_sched "idle" (the default; the harness sets "normal"): the
    workers, and only they, are SCHED_IDLE, so any other thread that wakes
    up, an event loop above all, preempts them at once."""
    srv = t.start_server("idle", workers=3, loops=2, worker_sched="idle")
    expect(srv.http("GET", "/health"), 200)
    tokens = t.tokens_for(server=srv)  # a login: hashing and database work run
    expect(t.me(tokens["accessToken"], server=srv), 200)
    policies = once_started(srv.proc.pid, 41, SCHED_IDLE, 3, "3 workers in SCHED_IDLE")
    assert policies.count(SCHED_IDLE) == 3, f"want the 3 workers SCHED_IDLE: {policies}"
    assert policies.count(SCHED_OTHER) >= 3, f"main thread and loops stay normal: {policies}"
    assert thread_nices(srv.proc.pid).count(19) == 3, "worker_nice still applies"


def test_sigterm_drains_in_flight_request(t):
    srv = t.start_server("drain", drain_timeout=int(harness.scaled(60)), **HELD)
    expect(t.login(server=srv), 200)  # warm: the login path works
    result = {}

    def held():
        try:
            result["resp"] = t.login_token(server=srv)
        except Exception as e:  # reported below
            result["error"] = e

    th = threading.Thread(target=held)
    proc = srv.proc
    holder = t.db.hold("LOCK TABLE main.refresh_tokens IN ACCESS EXCLUSIVE MODE")
    try:
        th.start()
        wait_until(lambda: lock_waiters(t, "refresh_tokens", TOKEN_INSERT) == 1, 30,
                   what="the request to wait in a worker for the locked table")
        proc, srv.proc = srv.proc, None  # signalled once here, not again by the harness
        proc.send_signal(signal.SIGTERM)

        wait_until(lambda: refused_or_503(srv.port), 30, interval=0.02,
                   what="new connections refused after SIGTERM")
        assert th.is_alive(), f"the held request was answered while held: {result}"
        assert holder.poll() is None, "the lock holder ended early"
        assert proc.poll() is None, f"the server exited with a request in flight: {proc.returncode}"
    finally:
        holder.release()
    try:
        th.join(harness.scaled(30))
        assert not th.is_alive(), "the in-flight request got no answer"
        try:
            rc = proc.wait(timeout=harness.scaled(30))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"server did not exit after draining; log:\n{srv.log_tail()}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "error" not in result, (f"in-flight request got no answer: {result['error']!r} "
                                   f"(exit status {rc}); log:\n{srv.log_tail(6)}")
    r = expect(result["resp"], 200)
    assert r.body.get("accessToken") and r.body.get("refreshToken"), r
    assert t.db.count("refresh_tokens") == 1, "the drained request's token was not stored"
    assert rc == 0, f"exit status {rc} after SIGTERM; log:\n{srv.log_tail()}"
    report = srv.sanitizer_failure()
    assert report is None, report


def test_sigterm_answers_connections_idle_loops_accepted(t):
    # Connections opened before SIGTERM and idle at it spread over both
    # loops; one loop has a request in flight, the other nothing. A request
    # sent on any of them during the drain is answered 503 + close: a loop
    # with nothing in flight must not stop while the server still drains.
    srv = t.start_server("drainidle", loops=2, drain_timeout=int(harness.scaled(60)),
                         header_timeout=int(harness.scaled(120)), **HELD)
    expect(t.login(server=srv), 200)
    result = {}

    def held():
        try:
            result["resp"] = t.login_token(server=srv)
        except Exception as e:  # reported below
            result["error"] = e

    idle = []  # kept-alive after one answer each: accepted and owned by a loop
    for _ in range(8):
        c = httpclient.HTTPConnection("127.0.0.1", srv.port, timeout=harness.scaled(10))
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
        idle.append(c)
    th = threading.Thread(target=held)
    proc = srv.proc
    holder = t.db.hold("LOCK TABLE main.refresh_tokens IN ACCESS EXCLUSIVE MODE")
    try:
        th.start()
        wait_until(lambda: lock_waiters(t, "refresh_tokens", TOKEN_INSERT) == 1, 30,
                   what="the request to wait in a worker for the locked table")
        proc, srv.proc = srv.proc, None
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: refused_or_503(srv.port), 30, interval=0.02,
                   what="new connections refused after SIGTERM")
        for i, c in enumerate(idle):
            c.request("GET", "/health")
            r = c.getresponse()
            assert r.status == 503, f"idle connection {i}: {r.status}"
            assert r.getheader("Retry-After") == "1", r.getheaders()
            assert (r.getheader("Connection") or "").lower() == "close", r.getheaders()
            r.read()
            c.close()
        assert proc.poll() is None, f"the server exited with a request in flight: {proc.returncode}"
    finally:
        holder.release()
        for c in idle:
            c.close()
    th.join(harness.scaled(30))
    try:
        rc = proc.wait(timeout=harness.scaled(30))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "error" not in result, f"in-flight request got no answer: {result['error']!r}"
    expect(result["resp"], 200)
    assert rc == 0, f"exit status {rc} after SIGTERM; log:\n{srv.log_tail()}"
    report = srv.sanitizer_failure()
    assert report is None, report


def test_sigterm_under_load_answers_every_accepted_request(t):
    # Eight logins at once: two wait in the workers for the locked table,
    # six wait in the queue. SIGTERM then: every one of them must still get
    # its answer, and exit is 0.
    srv = t.start_server("drainload", workers=2, drain_timeout=int(harness.scaled(60)), **HELD)
    n = 8
    timeout = harness.scaled(120)
    proc = srv.proc
    conns = []
    holder = t.db.hold("LOCK TABLE main.refresh_tokens IN ACCESS EXCLUSIVE MODE")
    try:
        for _ in range(n):
            conns.append(login_token_raw(srv.port, timeout))
        ports = [c.sock.getsockname()[1] for c in conns]
        wait_until(lambda: lock_waiters(t, "refresh_tokens", TOKEN_INSERT) == 2, 30,
                   what="both workers to wait for the locked table")
        wait_until(lambda: requests_read(srv.port, ports), 30,
                   what="the server to read all eight requests")
        proc, srv.proc = srv.proc, None
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: refused_or_503(srv.port), 30, interval=0.02,
                   what="new connections refused after SIGTERM")
        assert proc.poll() is None, f"the server exited with requests in flight: {proc.returncode}"
        assert holder.poll() is None, "the lock holder ended early"
    finally:
        holder.release()
    results = []
    try:
        for c in conns:
            try:
                results.append(c.getresponse().status)
            except Exception as e:
                results.append(repr(e))
            finally:
                c.close()
        rc = proc.wait(timeout=harness.scaled(30))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert results == [200] * n, f"answers after SIGTERM: {results}"
    assert t.db.count("refresh_tokens") == n, "a drained request's token was not stored"
    report = srv.sanitizer_failure()
    assert report is None, report
    assert rc == 0, f"exit status {rc}; log:\n{srv.log_tail()}"


# ---------------------------------------------------------------- database down

class PrivateDb(harness.Db):
    """The `authsvc` database of a private cluster (not created or dropped here)."""

    def __init__(self, env):
        self.pg = env
        self.name = env.get("PGDATABASE", "authsvc")
        self.url = f"postgresql://{env['PGUSER']}@{env['PGHOST']}:{env['PGPORT']}/{self.name}"


class PrivateSuite:
    """Enough of harness.Suite for a harness.T bound to the private cluster."""

    def __init__(self, tmp, db):
        self.tmp, self.db, self.servers = tmp, db, 0
        self.admin_conf = os.path.join(tmp, "private-admin.conf")
        with open(self.admin_conf, "w") as f:
            f.write(harness.to_libconfig(harness.base_config(db.url)))

    def new_server(self, name=None, **overrides):
        self.servers += 1
        return harness.Server(self.db.url, self.tmp, name or f"private{self.servers}",
                              **overrides)


def pg_cluster(action, pgdir, port=None):
    env = dict(os.environ)
    if port is not None:
        env["PG_CLUSTER_PORT"] = str(port)
    p = subprocess.run([SCRIPT, action, pgdir], capture_output=True, text=True, env=env,
                       timeout=harness.scaled(120))
    if p.returncode != 0:
        raise AssertionError(f"pg-cluster {action} {pgdir} exited {p.returncode}: "
                             f"{p.stdout}{p.stderr}")
    return p


def read_env(pgdir):
    env = {}
    with open(os.path.join(pgdir, "env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


@harness.no_fixture
def test_a_locked_table_answers_503_not_500(t):
    """A statement that outlives statement_timeout_ms behind a lock is a
    passing condition: 503 + Retry-After, nothing half-written, and the
    same request works once the lock is gone."""
    t.provision()
    srv = t.start_server("locked", statement_timeout_ms=300)
    before = t.db.count("refresh_tokens")
    holder = t.db.hold("LOCK TABLE main.refresh_tokens IN ACCESS EXCLUSIVE MODE")
    try:
        r = t.login_token(server=srv)
        expect_error(r, 503)
        assert r.headers.get("retry-after", "").strip().isdigit(), r.headers
    finally:
        holder.release()
    assert t.db.count("refresh_tokens") == before
    expect(t.login_token(server=srv), 200)
    assert t.db.count("refresh_tokens") == before + 1


def test_database_down_and_back(t):
    pgdir = os.path.join(t.suite.tmp, "pg")
    pt = None
    try:
        pg_cluster("start", pgdir)
        env = read_env(pgdir)
        port = env["PGPORT"]
        db = PrivateDb(env)
        psuite = PrivateSuite(t.suite.tmp, db)
        harness.admin(psuite.admin_conf, "migrate")
        pt = harness.T(psuite, "private")
        pt.provision()

        srv = pt.start_server("dbfaults", statement_timeout_ms=2000)
        expect(srv.http("GET", "/ready"), 200)
        before = pt.tokens_for(server=srv)
        spare = pt.tokens_for(server=srv)  # refreshed after the outage
        expect(pt.me(before["accessToken"], server=srv), 200)

        # load that runs through the outage: every answer must be 200 or 503
        stop_load = threading.Event()
        seen, issued, failures = [], [0], []

        def load():
            while not stop_load.is_set():
                try:
                    r = pt.login_token(server=srv)
                except Exception as e:  # a dropped connection is a failure
                    failures.append(repr(e))
                    continue
                seen.append(r.status)
                if r.status == 200:
                    issued[0] += 1
        loaders = [threading.Thread(target=load) for _ in range(3)]
        for th in loaders:
            th.start()
        time.sleep(0.3)

        pg_cluster("stop", pgdir)

        expect(srv.http("GET", "/health"), 200)
        r = wait_until(lambda: (r := srv.http("GET", "/ready")).status == 503 and r, 5,
                       what="/ready 503 with the database down")
        assert isinstance(r.body, dict), f"/ready body: {r!r}"
        for i in range(4):  # more than `workers`: every worker meets the outage
            r = pt.login(server=srv)
            expect_error(r, 503)
        r = pt.exchange("no-such-code", server=srv, expect_ok=False)
        expect_error(r, 503)
        r = pt.refresh(before, server=srv)
        expect_error(r, 503)
        r = expect(pt.me(before["accessToken"], server=srv), 200)
        assert r.body.get("username") == USERNAME, f"{r!r}"
        expect(srv.http("GET", "/health"), 200)
        assert srv.alive(), "server died with the database down"

        pg_cluster("start", pgdir, port=port)
        assert read_env(pgdir)["PGPORT"] == port, "the cluster came back on another port"

        wait_until(lambda: srv.http("GET", "/ready").status == 200, 10, interval=0.1,
                   what="/ready 200 after the database came back")
        time.sleep(0.3)
        stop_load.set()
        for th in loaders:
            th.join()
        assert not failures, f"dropped connections under load: {failures[:3]}"
        assert set(seen) <= {200, 503}, f"statuses under load: {sorted(set(seen))}"
        assert 503 in seen and 200 in seen, f"statuses under load: {sorted(set(seen))}"
        # every token pair a client received was committed with its activity row
        assert pt.db.count("login_activity", "login_type = 'ACCESS'") == issued[0] + 2
        assert pt.db.count("refresh_tokens") == issued[0] + 2
        for i in range(4):  # every worker must have reconnected
            expect(pt.login(server=srv), 200)
        after = pt.tokens_for(server=srv)
        expect(pt.me(after["accessToken"], server=srv), 200)

        # The refresh token tried during the outage was not used up, and the
        # spare one works once (and only once).
        r = expect(pt.refresh(before, server=srv), 200)
        assert r.body["refreshToken"] != before["refreshToken"], f"{r!r}"
        r = expect(pt.refresh(spare, server=srv), 200)
        expect_error(pt.refresh(spare, server=srv), 401)
    finally:
        errors = pt.finish() if pt is not None else []
        pg_cluster("stop", pgdir)
        if errors:
            raise AssertionError("; ".join(errors))


def test_requests_of_departed_clients_are_skipped(t):
    """A queued login whose client hung up is not worked on: only the one a
    worker had already started counts as a failed attempt."""
    import json as jsonlib
    import socket
    srv = t.start_server("departed", workers=1, queue_max=64, **HELD)
    body = jsonlib.dumps({"client_id": "web", "client_secret": harness.CLIENT_SECRET,
                          "username": "gone-away", "password": "whatever-1"}).encode()
    request = (b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    socks = []
    # the one worker stays on the first login (its failure count waits for
    # the locked table) while the loop reads and queues the other five
    holder = t.db.hold("LOCK TABLE main.auth_failures IN EXCLUSIVE MODE")
    try:
        for _ in range(6):
            s = socket.create_connection(("127.0.0.1", srv.port),
                                         timeout=harness.scaled(10))
            s.sendall(request)
            socks.append(s)
        ports = [s.getsockname()[1] for s in socks]
        wait_until(lambda: lock_waiters(t, "auth_failures", FAILURE_INSERT) == 1,
                   30, what="the worker to wait for the locked table")
        wait_until(lambda: requests_read(srv.port, ports), 30,
                   what="the server to read all six requests")
        for s in socks:
            s.close()
    finally:
        for s in socks:
            s.close()
        holder.release()
    # the queue is first in, first out: this answer comes after the five
    expect_error(unknown_login(srv, "someone-else"), 401, "Invalid Credentials")
    n = int(t.db.value("SELECT coalesce(sum(failures), 0) FROM main.auth_failures "
                       "WHERE kind = 'acct' AND subject = 'gone-away'"))
    assert n == 1, f"{n} of 6 departed logins were worked on"
    # the skipped ones are logged as the client leaving, not as 503s sent
    with open(srv.log_path, errors="replace") as f:
        log = f.read()
    assert "path=/auth/login client gone" in log, srv.log_tail()
    assert "path=/auth/login status=503" not in log, srv.log_tail()


def test_sigkill_under_load_and_restart(t):
    """SIGKILL while requests are in flight loses nothing committed: tokens
    issued before still work once, revocations still hold, no partial rows."""
    srv = t.start_server("killed")
    before = [t.tokens_for(server=srv) for _ in range(3)]
    revoked = t.tokens_for(server=srv)
    expect(t.logout(revoked, server=srv), 200)
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                t.login_token(server=srv)
            except Exception:  # the server dies under us: expected
                pass

    threads = [threading.Thread(target=load) for _ in range(4)]
    for th in threads:
        th.start()
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    stop.set()
    for th in threads:
        th.join()
    # tokens and their activity row commit together: equal counts, none half-written
    issued = t.db.count("refresh_tokens")
    recorded = t.db.count("login_activity", "login_type IN ('ACCESS', 'RELOGIN')")
    assert issued == recorded and issued >= 4, f"{issued} refresh tokens, {recorded} activity rows"
    srv.start()
    for tokens in before:
        expect(t.me(tokens["accessToken"], server=srv), 200)
        expect(t.refresh(tokens, server=srv), 200)
        expect_error(t.refresh(tokens, server=srv), 401)
    expect_error(t.me(revoked["accessToken"], server=srv), 401)
    expect_error(t.refresh(revoked, server=srv), 401)


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""Scale-out peers for integration tests, all on loopback: a round-robin
TCP balancer in front of several authsvc instances, pgbouncer in front of
the test cluster, and a PostgreSQL primary with a streaming standby in a
test's own folder (docs/scaling.md, docs/reliability.md).

    lb = scale.Balancer([a, b, c, d]).start()   # lb.url: one address for all
    pgb = scale.Pgbouncer(tmp, pg_host, pg_port).start()   # pgb.port
    pair = scale.Replicated(tmp).start()        # pair.primary, pair.standby

PostgreSQL and pgbouncer refuse to run as root: as root they run as the
system user the test cluster uses (scripts/pg-cluster creates it), through
runuser. Every process is stopped by PID.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

from harness import SetupError, free_port, scaled, wait_until

PG_OS_USER = "authsvc-pg"
DB_ROLE = "authsvc"


def _as_owner(cmd):
    if os.getuid() == 0:
        return ["runuser", "-u", PG_OS_USER, "--"] + cmd
    return cmd


def _owner_can_reach(path):
    """Give the owner the search right on path and its ancestors where it
    lacks it (as scripts/pg-cluster does for the test cluster)."""
    if os.getuid() != 0:
        return
    parts = []
    p = os.path.abspath(path)
    while p != "/":
        parts.insert(0, p)
        p = os.path.dirname(p)
    for p in parts:
        if subprocess.run(["runuser", "-u", PG_OS_USER, "--", "test", "-x", p]).returncode != 0:
            os.chmod(p, os.stat(p).st_mode | 0o001)


def _owned_dir(path):
    os.makedirs(path, exist_ok=True)
    _owner_can_reach(path)
    if os.getuid() == 0:
        shutil.chown(path, PG_OS_USER)
    return path


# ---------------------------------------------------------------- balancer

class Balancer:
    """Accepts on one loopback port and hands each connection to the next
    backend in turn (round robin), copying bytes both ways."""

    def __init__(self, servers):
        self.servers = servers
        self.next = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.name = "balancer"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def http(self, method, path, **kw):
        import harness
        return harness.http(self.url, method, path, **kw)

    def start(self):
        self.sock.listen(128)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                srv = self.servers[self.next % len(self.servers)]
                self.next += 1
            threading.Thread(target=self._serve, args=(client, srv.port), daemon=True).start()

    def _serve(self, client, port):
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=scaled(30))
        except OSError:
            client.close()
            return
        t = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
        t.start()
        self._pipe(client, upstream)
        t.join(scaled(30))
        client.close()
        upstream.close()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stop(self):
        self.stopped = True
        self.sock.close()


# ---------------------------------------------------------------- pgbouncer

def pgbouncer_bin():
    for cand in (shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise SetupError("pgbouncer not found (install pgbouncer: scripts/install-deps)")


class Pgbouncer:
    """pgbouncer (pool_mode = transaction by default) in front of the
    PostgreSQL at pg_host:pg_port; every database name is passed through."""

    def __init__(self, tmpdir, pg_host, pg_port, pool_mode="transaction", pool_size=2):
        self.dir = _owned_dir(os.path.join(tmpdir, "pgbouncer"))
        self.port = free_port()
        self.ini = os.path.join(self.dir, "pgbouncer.ini")
        self.log = os.path.join(self.dir, "pgbouncer.log")
        self.pidfile = os.path.join(self.dir, "pgbouncer.pid")
        users = os.path.join(self.dir, "userlist.txt")
        with open(users, "w") as f:
            f.write(f'"{DB_ROLE}" ""\n')
        with open(self.ini, "w") as f:
            f.write(f"""[databases]
* = host={pg_host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = {pool_mode}
default_pool_size = {pool_size}
max_client_conn = 500
logfile = {self.log}
pidfile = {self.pidfile}
""")
        for p in (users, self.ini):
            if os.getuid() == 0:
                shutil.chown(p, PG_OS_USER)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(_as_owner([pgbouncer_bin(), self.ini]),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                raise SetupError(f"pgbouncer exited with {self.proc.returncode}: "
                                 f"{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_until(up, 10, what="pgbouncer to accept connections")
        return self

    def log_tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # runuser passes it on
            try:
                self.proc.wait(timeout=scaled(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- primary + standby

def pg_bindir():
    best = None
    base = "/usr/lib/postgresql"
    if os.path.isdir(base):
        for v in sorted(os.listdir(base), key=lambda s: [int(x) for x in s.split(".") if x.isdigit()]):
            if os.access(os.path.join(base, v, "bin", "initdb"), os.X_OK):
                best = os.path.join(base, v, "bin")
    if best is None:
        raise SetupError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    return best


class Node:
    """One PostgreSQL server of the pair: a data directory and a port."""

    def __init__(self, bindir, datadir, port, name):
        self.bindir, self.dir, self.port, self.name = bindir, datadir, port, name

    def run(self, tool, *args, check=True):
        p = subprocess.run(_as_owner([os.path.join(self.bindir, tool), *args]),
                           capture_output=True, text=True, timeout=scaled(120), cwd="/")
        if check and p.returncode != 0:
            raise SetupError(f"{tool} {' '.join(args)} failed ({p.returncode}): "
                             f"{p.stderr.strip()}\n{self.log_tail()}")
        return p

    def start(self, *settings):
        opts = " ".join(f"-c {s}" for s in (f"port={self.port}", "listen_addresses=127.0.0.1",
                                             "unix_socket_directories=''", *settings))
        self.run("pg_ctl", "-D", self.dir, "-l", os.path.join(self.dir, "postgres.log"),
                 "-w", "-t", "60", "-o", opts, "start")
        return self

    def pid(self):
        with open(os.path.join(self.dir, "postmaster.pid")) as f:
            return int(f.readline())

    def kill(self):
        """SIGKILL the postmaster and every backend: the machine is gone."""
        pid = self.pid()
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                  text=True).stdout.split()
        os.kill(pid, signal.SIGKILL)
        for c in children:
            try:
                os.kill(int(c), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def running(self):
        try:
            os.kill(self.pid(), 0)
            return True
        except (OSError, ValueError):
            return False

    def stop(self):
        if os.path.exists(os.path.join(self.dir, "postmaster.pid")) and self.running():
            self.run("pg_ctl", "-D", self.dir, "-m", "immediate", "-w", "-t", "30", "stop",
                     check=False)

    def psql(self, sql, db="postgres"):
        p = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-A", "-t", "-q",
                            "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", DB_ROLE, "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=scaled(30))
        if p.returncode != 0:
            raise AssertionError(f"psql on {self.name} failed: {p.stderr.strip()}")
        return p.stdout.strip()

    def log_tail(self, n=15):
        try:
            with open(os.path.join(self.dir, "postgres.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"


class Replicated:
    """A primary and a streaming standby with synchronous replication
    (docs/reliability.md, "Failover"), in tmpdir."""

    # the primary waits for the standby's flush before a commit returns
    PRIMARY = ("wal_level=replica", "synchronous_standby_names=standby1",
               "synchronous_commit=on", "max_wal_senders=5", "wal_keep_size=64MB",
               "fsync=off", "max_connections=100")
    # the standby keeps no synchronous standby of its own: once promoted
    # it commits alone instead of waiting for a standby it does not have
    STANDBY = ("synchronous_standby_names=''", "hot_standby=on", "fsync=off",
               "max_connections=100")

    def __init__(self, tmpdir):
        self.bindir = pg_bindir()
        base = _owned_dir(os.path.join(tmpdir, "pg"))
        self.primary = Node(self.bindir, os.path.join(base, "primary"), free_port(), "primary")
        self.standby = Node(self.bindir, os.path.join(base, "standby"), free_port(), "standby")
        self.base = base

    def start(self):
        p = self.primary
        p.run("initdb", "-D", p.dir, "-U", DB_ROLE, "--auth-local=trust", "--auth-host=trust",
              "-E", "UTF8", "--locale=C.UTF-8")
        p.start(*self.PRIMARY)
        s = self.standby
        conninfo = (f"host=127.0.0.1 port={p.port} user={DB_ROLE} "
                    f"application_name=standby1")
        s.run("pg_basebackup", "-d", conninfo, "-D", s.dir, "-R", "-X", "stream",
              "-c", "fast")
        s.start(*self.STANDBY)
        wait_until(lambda: p.psql("SELECT sync_state FROM pg_stat_replication "
                                  "WHERE application_name = 'standby1'") == "sync",
                   30, interval=0.1, what="the standby to replicate synchronously")
        return self

    def url(self, dbname):
        """The multi-host URL authsvc uses: whichever of the two is
        writable (docs/reliability.md)."""
        return (f"postgresql://{DB_ROLE}@127.0.0.1:{self.primary.port},127.0.0.1:"
                f"{self.standby.port}/{dbname}?target_session_attrs=read-write"
                f"&connect_timeout=2")

    def promote(self):
        self.standby.run("pg_ctl", "-D", self.standby.dir, "-w", "-t", "60", "promote")

    def stop(self):
        for n in (self.standby, self.primary):
            n.stop()

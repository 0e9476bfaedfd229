# SPDX-License-Identifier: Apache-2.0
"""A second authsvc on an address another process holds refuses to start
(exit status 1, one logfmt error line naming the address and the holder),
instead of joining the first one's SO_REUSEPORT group and taking a share of
its connections; the server's own loops keep one SO_REUSEPORT socket each.
A process of another user cannot join the group at all. Two real binaries,
plus plain sockets as the foreign process.
"""
import os
import shutil
import subprocess

import harness
import logfmt
from harness import expect


def listeners(port):
    """Inodes of the TCP sockets listening on port (/proc/net/tcp, tcp6)."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":
                    out.add(cols[9])
    return out


def start_second(t, name, port):
    """authsvc on port as a plain process; its exit status and stderr."""
    srv = t.suite.new_server(name)
    srv.port = port
    path = srv.write_config()
    p = subprocess.run([harness.BIN, "-c", path], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=harness.scaled(30))
    return p


def refusal(p, port):
    assert p.returncode == 1, f"exit status {p.returncode}: {p.stderr[-600:]}"
    lines = [logfmt.parse(ln) for ln in p.stderr.splitlines()]
    errors = [x for x in lines if x["level"] == "error"]
    assert len(errors) == 1, lines
    detail = errors[0]["detail"]
    assert f"127.0.0.1:{port}" in detail and "in use by another process" in detail, detail
    assert not any(x["msg"] == "listening" for x in lines), lines
    return detail


def test_second_instance_refuses_and_names_the_first(t):
    first = t.start_server("first", loops=2)
    p = start_second(t, "second", first.port)
    detail = refusal(p, first.port)
    assert f"pid {first.proc.pid}, authsvc" in detail, detail
    # the first is unharmed and alone on its port: one listening socket per
    # loop, every one of them its own
    held = listeners(first.port)
    assert len(held) == 2, held
    own = {os.readlink(f"/proc/{first.proc.pid}/fd/{fd}")
           for fd in os.listdir(f"/proc/{first.proc.pid}/fd")}
    assert {f"socket:[{i}]" for i in held} <= own, (held, own)
    for _ in range(20):
        expect(first.http("GET", "/health"), 200)
    expect(t.login(server=first), 200)


def test_another_user_cannot_join_with_reuseport(t):
    # Linux lets a socket join a SO_REUSEPORT group only for the same
    # effective user: the service user of its own keeps the group closed
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        print("  (skipped: needs root and setpriv)")
        return
    srv = t.start_server("held")
    p = subprocess.run(
        [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "python3", "-c",
         "import socket\n"
         "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
         "try:\n"
         f"    s.bind(('127.0.0.1', {srv.port})); s.listen(4); print('joined')\n"
         "except OSError as e:\n"
         "    print('refused', e.errno)\n"],
        capture_output=True, text=True, timeout=harness.scaled(20))
    assert p.stdout.strip() == "refused 98", p  # EADDRINUSE
    expect(srv.http("GET", "/health"), 200)


def test_refuses_a_port_a_foreign_process_holds(t):
    # a process that listens with SO_REUSEPORT (the old way to share silently)
    port = harness.free_port()
    holder = subprocess.Popen(
        ["python3", "-c", "import socket,sys\n"
         "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
         f"s.bind(('127.0.0.1', {port})); s.listen(4); print('ready', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        detail = refusal(start_second(t, "foreign", port), port)
        assert f"pid {holder.pid}, python3" in detail, detail
    finally:
        holder.stdin.close()
        holder.wait(timeout=harness.scaled(10))
    # the port free again: the same config starts
    srv = t.suite.new_server("after")
    srv.fixed_port = port
    srv.start()
    expect(srv.http("GET", "/health"), 200)
    srv.stop()


def test_restart_on_the_same_port_after_stop(t):
    first = t.start_server("one")
    port = first.port
    expect(t.login(server=first), 200)
    first.stop()
    again = t.suite.new_server("again")
    again.fixed_port = port
    again.start()
    expect(again.http("GET", "/health"), 200)
    again.stop()


if __name__ == "__main__":
    harness.main(globals())

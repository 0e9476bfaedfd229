# SPDX-License-Identifier: Apache-2.0
"""Slow and numerous clients: absolute header and body deadlines, connections
counted from accept, and accept() paused (not spun) when descriptors run out."""
import os
import resource
import socket
import threading
import time

import harness
from harness import expect

TRICKLE_EVERY = 0.5  # seconds between two header lines of a trickling client


def _closed_by_server(s):
    """True when the server has closed (or reset) s; never blocks (s is
    non-blocking: a socket with a timeout would wait for it first)."""
    try:
        data = s.recv(4096)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    return data == b"" or data.startswith(b"HTTP/1.1 4") or data.startswith(b"HTTP/1.1 5")


def _trickle(s, line):
    """Send one more header line; False when the server has hung up."""
    try:
        s.sendall(line)
        return True
    except OSError:
        return False


def _open_trickler(port, request_line):
    s = socket.create_connection(("127.0.0.1", port), timeout=harness.scaled(5))
    s.sendall(request_line + b"Host: x\r\n")
    s.setblocking(False)
    return s


def test_trickled_headers_are_cut_at_the_header_deadline(t):
    # the idle timeout (30 s) restarts on every byte; header_timeout does not
    srv = t.start_server("trickle", header_timeout=2, timeout=30)
    s = _open_trickler(srv.port, b"GET /health HTTP/1.1\r\n")
    cut = False
    deadline = time.monotonic() + harness.scaled(15)
    try:
        while time.monotonic() < deadline:
            if _closed_by_server(s) or not _trickle(s, b"X-Slow: 1\r\n"):
                cut = True
                break
            time.sleep(TRICKLE_EVERY)
    finally:
        s.close()
    assert cut, "a client sending a header line every 0.5 s was never disconnected"
    expect(srv.http("GET", "/health"), 200)


def test_trickled_body_is_cut_at_the_body_deadline(t):
    srv = t.start_server("tricklebody", header_timeout=2, body_timeout=2, timeout=30)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=harness.scaled(5))
    s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 4000\r\n\r\n{")
    s.setblocking(False)
    cut = False
    deadline = time.monotonic() + harness.scaled(15)
    try:
        while time.monotonic() < deadline:
            if _closed_by_server(s) or not _trickle(s, b" "):
                cut = True
                break
            time.sleep(TRICKLE_EVERY)
    finally:
        s.close()
    assert cut, "a client sending its body a byte every 0.5 s was never disconnected"
    expect(srv.http("GET", "/health"), 200)


def test_slowloris_is_cut_while_others_are_served(t):
    """300 connections trickle header lines (and come back when cut) for a
    bounded time; every one of them is disconnected by the server, and
    /health and /auth/me keep answering 200 for everybody else."""
    srv = t.start_server("slowloris", header_timeout=2, timeout=30)
    access = t.tokens_for(server=srv)["accessToken"]
    attackers, attack_seconds = 300, harness.scaled(6)

    results, stop = [], threading.Event()

    def others():
        while not stop.is_set() or len(results) < 40:
            for path, headers in (("/health", None),
                                  ("/auth/me", {"Authorization": "Bearer " + access})):
                try:
                    r = srv.http("GET", path, headers=headers, timeout=5)
                    results.append((path, r.status))
                except OSError as e:
                    results.append((path, repr(e)))

    socks = [_open_trickler(srv.port, b"GET /health HTTP/1.1\r\n") for _ in range(attackers)]
    opened, cut = len(socks), 0
    worker = threading.Thread(target=others)
    worker.start()
    end = time.monotonic() + attack_seconds
    try:
        while time.monotonic() < end:
            for i, s in enumerate(socks):
                if _closed_by_server(s) or not _trickle(s, b"X-Slow: 1\r\n"):
                    s.close()
                    cut += 1
                    socks[i] = _open_trickler(srv.port, b"GET /health HTTP/1.1\r\n")
                    opened += 1
            time.sleep(TRICKLE_EVERY)
    finally:
        stop.set()
        worker.join(harness.scaled(60))
        for s in socks:
            s.close()
    bad = [r for r in results if r[1] != 200]
    assert not bad, f"{len(bad)} of {len(results)} requests failed during the attack: {bad[:5]}"
    assert len(results) >= 40, results
    # each of the first 300 lived 6 s or more, past header_timeout: all were cut
    assert cut >= attackers, f"only {cut} of {opened} trickling connections were cut"


def test_idle_connections_count_toward_max_connections(t):
    import http.client
    srv = t.start_server("fewidle", loops=1, max_connections=3)
    idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=harness.scaled(5))
            for _ in range(3)]  # connected, never a request

    def refused():
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=harness.scaled(5))
        try:
            c.request("GET", "/health")
            r = c.getresponse()
            return r.status == 503 and b"Too many connections" in r.read()
        finally:
            c.close()
    # the three are accepted in order, before the fourth
    harness.wait_until(refused, 5, what="503 for a 4th connection")
    for s in idle:
        s.close()

    def served():
        try:
            return srv.http("GET", "/health", timeout=2).status == 200
        except OSError:
            return False
    harness.wait_until(served, 5, what="a slot after the idle connections closed")


def _cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _limit_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def test_running_out_of_descriptors_pauses_accepting(t):
    srv = t.suite.new_server("fewfds", loops=1)
    srv.preexec_fn = _limit_fds
    t._servers.append(srv)
    srv.start()
    held = []
    try:
        for _ in range(150):  # more than the 64 descriptors the server may open
            held.append(socket.create_connection(("127.0.0.1", srv.port),
                                                 timeout=harness.scaled(5)))
        window = 2.0
        before, start = _cpu_seconds(srv.proc.pid), time.monotonic()
        time.sleep(window)  # a measuring window, not a wait for an event
        used = _cpu_seconds(srv.proc.pid) - before
        elapsed = time.monotonic() - start
    finally:
        for s in held:
            s.close()
    # a bound on a busy loop (one core at 100 % would be ~1.0), not a speed test
    assert used < 0.5 * elapsed, f"the server used {used:.2f} s of CPU in {elapsed:.2f} s"

    def healthy():
        try:
            return srv.http("GET", "/health", timeout=2).status == 200
        except OSError:
            return False
    harness.wait_until(healthy, 10, what="/health after the connections closed")
    with open(srv.log_path, errors="replace") as f:
        lines = [line for line in f if "accept" in line.lower()]
    assert len(lines) <= 5, f"{len(lines)} log lines about accept(), e.g. {lines[:3]}"


if __name__ == "__main__":
    harness.main(globals())

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# starttime.py: milliseconds from exec to the first 200 of a server's routes.
#
#   bench/starttime.py [--ready PATH] [--log FILE] URL_BASE HEALTH_PATH -- CMD ARGS...
#
# Takes a monotonic timestamp, execs CMD, then asks GET URL_BASE+HEALTH_PATH
# (and, with --ready, GET URL_BASE+PATH) over a fresh connection every
# millisecond until each answers 200 (a connection the server accepted but has
# not answered yet is waited for, up to 10 s), and prints one line
#   health_ms=N ready_ms=N
# (ready_ms=- without --ready). The server is then sent SIGTERM and waited
# for; its output goes to --log (default /dev/null). Exits 1 when the server
# exits or does not answer within 30 s. Used by bench/startup and
# bench/peer-glewlwyd; prints figures, never judges them.
import argparse
import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.parse


def status(host, port, path):
    try:
        c = http.client.HTTPConnection(host, port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready")
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("base")
    ap.add_argument("health")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    u = urllib.parse.urlsplit(a.base)
    host, port = u.hostname, u.port or 80
    log = open(a.log, "ab")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    health = ready = None
    try:
        while time.monotonic() - t0 < 30:
            if p.poll() is not None:
                print(f"starttime: {cmd[0]} exited with {p.returncode}", file=sys.stderr)
                return 1
            if health is None and status(host, port, a.health) == 200:
                health = (time.monotonic() - t0) * 1000
            if health is not None and a.ready is None:
                break
            if health is not None and status(host, port, a.ready) == 200:
                ready = (time.monotonic() - t0) * 1000
                break
            time.sleep(0.001)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if health is None or (a.ready is not None and ready is None):
        print("starttime: no 200 within 30 s", file=sys.stderr)
        return 1
    print(f"health_ms={health:.1f} ready_ms=" + ("-" if ready is None else f"{ready:.1f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

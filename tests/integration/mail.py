# SPDX-License-Identifier: Apache-2.0
"""Real delivery peers for integration tests: an SMTP server and a webhook sink.

Smtp runs aiosmtpd (Debian's python3-aiosmtpd, installed by
scripts/install-deps) as its own process on a free loopback port. It
offers STARTTLS with a throw-away self-signed certificate (so authsvc's
libcurl upgrades the session; `ca_file` is that certificate) and writes
every accepted message into a Maildir under the test's temp dir, which the
test reads to finish a flow. Stopped by PID.

    smtp = mail.Smtp(tmpdir).start()
    srv = t.start_server(notify=smtp.notify_config())
    ...
    msg = smtp.wait_for("test_user@example.com")
    code = mail.find(r"code is (\\w+)", msg)

WebhookSink is an HTTP server thread recording POSTed JSON events and their
X-Authsvc-Signature headers.
"""

import email
import email.policy
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from harness import SetupError, free_port, scaled, wait_until


def _smtp_python():
    """The interpreter that has aiosmtpd: AUTHSVC_SMTP_PYTHON, Debian's
    /usr/bin/python3, or this one."""
    for cand in (os.environ.get("AUTHSVC_SMTP_PYTHON"), "/usr/bin/python3", sys.executable):
        if cand and os.path.exists(cand) and subprocess.run(
                [cand, "-c", "import aiosmtpd"], capture_output=True).returncode == 0:
            return cand
    raise SetupError("no Python with aiosmtpd: apt-get install python3-aiosmtpd "
                     "(scripts/install-deps does)")


class Smtp:
    def __init__(self, tmpdir, tls=True):
        # a directory of its own: a port number is no unique name, since a
        # stopped server's port can come back from free_port
        self.dir = tempfile.mkdtemp(prefix="smtp-", dir=tmpdir)
        self.maildir = os.path.join(self.dir, "Maildir")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        self.tls = tls
        self.port = None
        self.proc = None
        self.log = os.path.join(self.dir, "smtp.log")

    def _make_cert(self):
        p = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-keyout", self.key, "-out", self.cert, "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
        if p.returncode != 0:
            raise SetupError(f"openssl req failed: {p.stderr.strip()}")

    def start(self, port=None):
        if self.tls and not os.path.exists(self.cert):
            self._make_cert()
        self.port = port or self.port or free_port()
        cmd = [_smtp_python(), "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox",
               "-l", f"127.0.0.1:{self.port}"]
        if self.tls:
            cmd += ["--tlscert", self.cert, "--tlskey", self.key, "--no-requiretls"]
        cmd.append(self.maildir)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_until(self._banner, 10, what=f"SMTP server on port {self.port}")
        return self

    def _banner(self):
        if self.proc.poll() is not None:
            with open(self.log) as f:
                raise SetupError(f"SMTP server exited: {f.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                return s.recv(64).startswith(b"220")
        except OSError:
            return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=scaled(5))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def notify_config(self, **overrides):
        """The `notify` group that points authsvc at this server."""
        conf = {"channel": "smtp", "retry_delay": 1, "timeout": 5,
                "from": "authsvc <no-reply@authsvc.test>",
                "smtp": {"url": f"smtp://127.0.0.1:{self.port}",
                         "starttls": "require" if self.tls else "off",
                         "ca_file": self.cert if self.tls else ""}}
        conf.update(overrides)
        return conf

    # -- reading what was delivered
    def messages(self, to=None):
        """Delivered messages (oldest first), optionally only those to `to`."""
        files = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            if os.path.isdir(d):
                files += [os.path.join(d, n) for n in os.listdir(d)]
        files.sort(key=lambda p: (os.stat(p).st_mtime_ns, p))
        out = []
        for path in files:
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if to is None or to.lower() in str(msg.get("To", "")).lower():
                out.append(msg)
        return out

    def wait_for(self, to, count=1, timeout=5):
        """The newest message to `to`, once at least `count` arrived."""
        msgs = wait_until(lambda: (lambda m: m if len(m) >= count else None)(self.messages(to)),
                          timeout, what=f"{count} mail(s) to {to}")
        return msgs[-1]

    def clear(self):
        """Forget delivered mail (the Maildir itself stays: the server writes there)."""
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            if os.path.isdir(d):
                for n in os.listdir(d):
                    os.unlink(os.path.join(d, n))


def body(msg):
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else msg.get_payload()


def find(pattern, msg):
    """First group of pattern in the message body (AssertionError if absent)."""
    text = body(msg)
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in mail body: {text!r}"
    return m.group(1)


class WebhookSink:
    """Records POSTed events: list of (headers dict, raw body bytes)."""

    def __init__(self, status=200):
        self.events = []
        self.status = status
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(n)
                sink.events.append(({k.lower(): v for k, v in self.headers.items()}, data))
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, count=1, timeout=5):
        wait_until(lambda: len(self.events) >= count, timeout, what=f"{count} webhook event(s)")
        return self.events[count - 1]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

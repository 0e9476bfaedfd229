# SPDX-License-Identifier: Apache-2.0
"""Delivery channels (issue 3): SMTP with STARTTLS, a signed webhook, the
development log channel, operator templates, and failures answered 503.

Codes are produced by the passwordless plugin (the simplest sender); the
peers are real programs on loopback: aiosmtpd and an HTTP sink."""
import hashlib
import hmac
import json
import subprocess

import harness
import logfmt
import mail
from harness import expect, expect_error, USERNAME

TO = f"{USERNAME}@example.com"
SECRET = "0123456789abcdef0123456789abcdef-webhook"
PEERS = []


def teardown():
    for p in PEERS:
        p.close()


def smtp(t, tls=True):
    s = mail.Smtp(t.suite.tmp, tls=tls).start()
    PEERS.append(s)
    return s


def sink(status=200):
    s = mail.WebhookSink(status)
    PEERS.append(s)
    return s


def server(t, notify, name="notify", **extra):
    plugins = {"local": {"file": "local.so"}, "passwordless": {"file": "passwordless.so"}}
    return t.start_server(name, plugins=plugins, notify=notify, **extra)


def start(t, srv, key=USERNAME):
    return t.http("POST", "/auth/passwordless/start", server=srv,
                  json={"client_id": "web", "client_secret": "test", "key": key})


def check_config(t, name, **overrides):
    srv = t.suite.new_server(name, **overrides)
    srv.write_config()
    return subprocess.run([harness.BIN, "--check-config", "-c", srv.conf_path],
                          capture_output=True, text=True, timeout=harness.scaled(30))


def test_smtp_starttls_delivers_a_well_formed_mail(t):
    s = smtp(t)
    srv = server(t, s.notify_config())
    expect(start(t, srv), 204)
    msg = s.wait_for(TO)
    for h in ("Date", "Message-ID", "From", "To", "Subject"):
        assert msg[h], f"no {h} header"
    assert msg.get_content_type() == "text/plain"
    assert msg["X-Peer"] is not None  # aiosmtpd's stamp: it came over SMTP
    code = mail.find(r"sign-in code is (\d{6})\b", msg)
    expect(t.http("POST", "/auth/passwordless/verify", server=srv,
                  json={"key": USERNAME, "otp": code}), 200)


def test_starttls_required_but_not_offered_fails_cleanly(t):
    plain = smtp(t, tls=False)
    conf = plain.notify_config(retries=0)
    conf["smtp"]["starttls"] = "require"
    srv = server(t, conf)
    expect(start(t, srv), 204)  # queued; the attempt then fails
    r = harness.wait_until(lambda: (lambda r: r if r.status == 503 else None)(start(t, srv)),
                           5, interval=0.2, what="503 after the failed STARTTLS")
    assert int(r.headers["retry-after"]) >= 1
    assert plain.messages() == []
    assert "delivery failed" in open(srv.log_path).read()


def test_operator_templates_replace_the_builtin_ones(t):
    s = smtp(t)
    srv = server(t, s.notify_config(templates={"passwordless": {
        "subject": "Login for {{username}}", "body": "CODE={{code}} valid {{minutes}}m\n"}}))
    expect(start(t, srv), 204)
    msg = s.wait_for(TO)
    assert msg["Subject"] == f"Login for {USERNAME}", msg["Subject"]
    assert mail.find(r"CODE=(\d{6}) valid 5m", msg)


def test_templates_change_on_reload(t):
    """SIGHUP (issue 19): the next message uses the reloaded templates; the
    notifier itself (channel, server) keeps running."""
    import os
    import re
    import signal
    s = smtp(t)
    srv = server(t, s.notify_config(templates={"passwordless": {"subject": "Old {{username}}"}}))
    expect(start(t, srv), 204)
    assert s.wait_for(TO)["Subject"] == f"Old {USERNAME}"
    srv.overrides["notify"]["templates"] = {"passwordless": {"subject": "New {{username}}"}}
    srv.write_config()
    at = os.path.getsize(srv.log_path)
    srv.proc.send_signal(signal.SIGHUP)

    def reloaded():
        with open(srv.log_path, errors="replace") as f:
            f.seek(at)
            return re.search(r'msg="config reloaded"', f.read())
    harness.wait_until(reloaded, 10, what="the reload")
    expect(start(t, srv), 204)
    assert s.wait_for(TO, count=2)["Subject"] == f"New {USERNAME}"


def test_smtp_server_and_sender_change_on_reload(t):
    """SIGHUP: the next message goes to the new SMTP server with the new
    sender; the old server gets nothing more, and the change is not
    reported as needing a restart."""
    import os
    import re
    import signal
    old, new = smtp(t), smtp(t)
    srv = server(t, old.notify_config())
    expect(start(t, srv), 204)
    assert old.wait_for(TO)["From"] == "authsvc <no-reply@authsvc.test>"
    srv.overrides["notify"] = new.notify_config(**{"from": "Accounts <accounts@authsvc.test>"})
    srv.write_config()
    at = os.path.getsize(srv.log_path)
    srv.proc.send_signal(signal.SIGHUP)

    def reloaded():
        with open(srv.log_path, errors="replace") as f:
            f.seek(at)
            text = f.read()
        return text if re.search(r'msg="config reloaded"', text) else None
    text = harness.wait_until(reloaded, 10, what="the reload")
    assert "needs restart" not in text, text
    expect(start(t, srv), 204)
    assert new.wait_for(TO)["From"] == "Accounts <accounts@authsvc.test>"
    assert len(old.messages(TO)) == 1, "the old server got a message after the reload"


def test_webhook_event_is_signed(t):
    hook = sink()
    srv = server(t, {"channel": "webhook", "webhook": {"url": hook.url, "secret": SECRET}})
    expect(start(t, srv), 204)
    headers, raw = hook.wait_for(1)
    sig = dict(kv.split("=", 1) for kv in headers["x-authsvc-signature"].split(","))
    want = hmac.new(SECRET.encode(), sig["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig["v1"], want), (sig, want)
    ev = json.loads(raw)
    assert ev["event"] == "passwordless" and ev["to"]["email"] == TO, ev
    assert ev["to"]["username"] == USERNAME
    code = ev["data"]["code"]
    assert f"code is {code}" in ev["text"]
    expect(t.http("POST", "/auth/passwordless/verify", server=srv,
                  json={"key": USERNAME, "otp": code}), 200)
    # a forged body does not match the signature
    forged = raw.replace(code.encode(), b"000000")
    bad = hmac.new(SECRET.encode(), sig["t"].encode() + b"." + forged, hashlib.sha256)
    assert bad.hexdigest() != sig["v1"]


def test_webhook_receiver_failing_answers_503(t):
    hook = sink(status=500)
    srv = server(t, {"channel": "webhook", "retries": 1, "retry_delay": 1,
                     "webhook": {"url": hook.url, "secret": SECRET}})
    expect(start(t, srv), 204)
    r = harness.wait_until(lambda: (lambda r: r if r.status == 503 else None)(start(t, srv)),
                           5, interval=0.2, what="503 while the receiver fails")
    expect_error(r, 503)
    hook.wait_for(2)  # the first message was retried once
    hook.status = 200
    harness.wait_until(lambda: start(t, srv).status == 204, 5, interval=0.3,
                       what="recovery once the receiver answers 200")


def test_webhook_needs_https_and_a_long_secret(t):
    p = check_config(t, "hookhttp", notify={"channel": "webhook", "webhook": {
        "url": "http://example.com/hook", "secret": SECRET}})
    assert p.returncode != 0 and "notify.webhook.url" in p.stderr, p.stderr
    p = check_config(t, "hookshort", notify={"channel": "webhook", "webhook": {
        "url": "https://example.com/hook", "secret": "short"}})
    assert p.returncode != 0 and "notify.webhook.secret" in p.stderr, p.stderr


def test_log_channel_refused_unless_allowed(t):
    p = check_config(t, "logno", notify={"channel": "log"})
    assert p.returncode != 0 and "allow_log_channel" in p.stderr, p.stderr
    srv = server(t, {"channel": "log", "allow_log_channel": True})
    expect(start(t, srv), 204)
    log = harness.wait_until(lambda: (lambda s: s if "notify.log" in s else None)(
        open(srv.log_path).read()), 3, what="the log channel line")
    (line,) = [logfmt.parse(ln) for ln in log.splitlines() if 'msg="notify.log"' in ln]
    assert "code" in json.loads(line["data"]) and line["to"] == TO, line


def test_bad_notify_settings_are_refused(t):
    for name, notify, word in (("chan", {"channel": "pigeon"}, "notify.channel"),
                               ("tls", {"smtp": {"starttls": "maybe"}}, "notify.smtp.starttls"),
                               ("url", {"smtp": {"url": "http://x"}}, "notify.smtp.url"),
                               ("key", {"colour": "red"}, "notify.colour"),
                               ("tmpl", {"templates": {"nope": {"body": "x"}}}, "nope")):
        p = check_config(t, f"bad{name}", notify=notify)
        assert p.returncode != 0 and word in p.stderr, (name, p.stderr)


if __name__ == "__main__":
    harness.main(globals())

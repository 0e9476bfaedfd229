# SPDX-License-Identifier: Apache-2.0
"""Every line the server writes is valid logfmt (tests/integration/logfmt.py,
a strict parser), including values that hold quotes, `=`, backslashes and
newlines: a plugin refused for a group-writable file (its error text, itself
with a quoted reason, nested in detail=), request lines of odd paths, a
config file that is missing or unreadable ("cannot read file" says which).
"""
import os
import shutil
import subprocess

import harness
import logfmt
from harness import expect, no_fixture


def parse_all(text, where):
    """Every line of text parsed; AssertionError naming the first bad one."""
    lines = text.splitlines()
    assert lines, f"no log lines from {where}"
    out = []
    for n, line in enumerate(lines, 1):
        try:
            pairs = logfmt.parse(line)
        except ValueError as e:
            raise AssertionError(f"{where}: line {n} is not logfmt ({e}): {line!r}")
        for key in ("ts", "level", "msg"):
            assert key in pairs, f"{where}: line {n} has no {key}=: {line!r}"
        # the logger's fallback for words that are not pairs: our own code
        # never needs it
        assert "text" not in pairs, f"{where}: line {n} is not key=value pairs: {line!r}"
        out.append(pairs)
    return out


def test_server_log_with_refused_plugin_and_requests_is_logfmt(t):
    # one log file, as journald would keep it: a start refused for a
    # group-writable plugin, then a start that serves requests
    src = os.path.join(harness.PLUGIN_DIR, "local.so")
    dst = os.path.join(t.suite.tmp, "local \"copy\".so")  # a quote and a space in the path
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o664)
    bad = t.suite.new_server("logfmt", plugins={"local": {"file": dst}})
    bad.port = harness.free_port()
    with open(bad.log_path, "ab") as log:
        p = subprocess.run([harness.BIN, "-c", bad.write_config()], stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, timeout=harness.scaled(30))
    assert p.returncode == 1, f"exit {p.returncode}: {bad.log_tail()}"

    srv = t.start_server("logfmt")  # log_level debug: one line per request
    assert srv.log_path == bad.log_path
    expect(t.login(server=srv), 200)
    for path in ("/no/such", "/a%22b%3Dc%5Cd", "/x%0Ay%20z", "/%E2%9C%93?q=\"1\""):
        r = srv.http("GET", path)
        assert r.status in (404, 400), (path, r)
    srv.stop()
    with open(srv.log_path, errors="strict") as f:
        pairs = parse_all(f.read(), srv.log_path)

    errors = [x for x in pairs if x["level"] == "error"]
    assert len(errors) == 1, errors
    detail = errors[0].get("detail", "")
    assert detail.startswith("plugin refused file=") and dst in detail, detail
    assert detail.endswith('reason="file is group- or world-writable"'), detail

    requests = [x for x in pairs if x["msg"] == "request"]
    paths = {x.get("path") for x in requests}
    assert "/auth/login" in paths, paths
    assert any('"' in p and "=" in p and "\\" in p for p in paths if p), paths
    assert any("\n" in p for p in paths if p), paths
    assert any(x["msg"] == "listening" for x in pairs), "no listening line"


@no_fixture
def test_cannot_read_config_says_why(t):
    missing = os.path.join(t.suite.tmp, "nope.conf")
    p = subprocess.run([harness.BIN, "--check-config", "-c", missing], capture_output=True,
                       text=True, timeout=harness.scaled(30))
    assert p.returncode == 1, p
    (line,) = parse_all(p.stderr, "a missing config")
    assert line["detail"] == f"{missing}: cannot read file: missing", line

    # permission denied: a 0600 file of root's read by another user
    srv = t.suite.new_server("secret")
    srv.port = harness.free_port()
    path = srv.write_config()
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        print("  (permission case skipped: needs root and setpriv)")
        return
    os.chmod(path, 0o600)
    os.chmod(t.suite.tmp, 0o755)
    p = subprocess.run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        harness.BIN, "--check-config", "-c", path], capture_output=True,
                       text=True, timeout=harness.scaled(30))
    assert p.returncode == 1, p
    (line,) = parse_all(p.stderr, "an unreadable config")
    assert line["detail"] == f"{path}: cannot read file: permission denied", line


if __name__ == "__main__":
    harness.main(globals())

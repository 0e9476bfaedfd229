# SPDX-License-Identifier: Apache-2.0
"""One plugin file loaded under several instance names (ABI 1.2), and
plugins built against the frozen 1.0 and 1.1 SDK headers, in the real
server (tests/abi/instance_plugin.c, legacy_plugin.c)."""
import subprocess

import harness
from harness import expect, expect_error


def instances(greeting_a, greeting_b):
    return {"plugins": {
        "local": {"file": "local.so"},
        "alpha": {"file": "test_instance.so", "settings": {"greeting": greeting_a}},
        "beta": {"file": "test_instance.so", "settings": {"greeting": greeting_b}},
    }}


def check_config(t, name, **overrides):
    srv = t.suite.new_server(name, **overrides)
    harness._require_binary(harness.BIN, "authsvc", "AUTHSVC_BIN")
    srv.port = harness.free_port()
    return subprocess.run([harness.BIN, "--check-config", "-c", srv.write_config()],
                          capture_output=True, text=True, timeout=harness.scaled(30))


def test_two_instances_answer_with_their_own_setting(t):
    srv = t.start_server("two", **instances("hello from alpha", "hello from beta"))
    a = expect(t.http("GET", "/test/alpha/hello", server=srv), 200).body
    b = expect(t.http("GET", "/test/beta/hello", server=srv), 200).body
    assert a == {"instance": "alpha", "greeting": "hello from alpha"}, a
    assert b == {"instance": "beta", "greeting": "hello from beta"}, b
    log = open(srv.log_path).read()
    assert "name=test_instance instance=alpha" in log and "instance=beta" in log, log


def test_an_instance_without_settings_gets_the_defaults(t):
    srv = t.start_server("defaults", plugins={"local": {"file": "local.so"},
                                              "gamma": {"file": "test_instance.so"}})
    g = expect(t.http("GET", "/test/gamma/hello", server=srv), 200).body
    assert g == {"instance": "gamma", "greeting": "hi"}, g
    expect_error(t.http("GET", "/test/alpha/hello", server=srv), 404)


def test_static_routes_of_two_instances_are_refused(t):
    p = check_config(t, "clash", plugins={"local": {"file": "local.so"},
                                          "hook_a": {"file": "test_hook.so"},
                                          "hook_b": {"file": "test_hook.so"}})
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "duplicate route GET /test/hook-logins (instance hook_b of test_hook)" in out, out


def test_route_add_of_a_taken_route_is_refused(t):
    p = check_config(t, "twice", plugins={
        "local": {"file": "local.so"},
        "dup": {"file": "test_instance.so", "settings": {"twice": True}}})
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "duplicate route GET /test/dup/hello" in out, out


def frozen_server(t, name):
    # legacy_11 has an MFA_VERIFY hook: the server then wants a secrets key
    return t.start_server(name, plugins={"local": {"file": "local.so"},
                                         name: {"file": f"{name}.so"}},
                          mfa={"secret_key": "ab" * 32})


def test_plugins_built_for_abi_10_and_11_still_hook_into_logins(t):
    for name in ("legacy_10", "legacy_11"):
        srv = frozen_server(t, name)
        code = t.code(password="legacy-pass", server=srv)       # its PASSWORD_CHECK
        tokens = t.exchange(code, server=srv)
        me = expect(t.me(tokens["accessToken"], server=srv), 200).body
        assert me["username"] == harness.USERNAME, me
        expect_error(t.login(password="legacy-deny", server=srv), 401, "Invalid Credentials")
        expect(t.login(server=srv), 200)                         # declined: built-in check
        seen = expect(t.http("GET", f"/test/{name}/logins", server=srv), 200).body
        assert seen == {"logins": 2}, (name, seen)               # its LOGIN_SUCCEEDED
        log = open(srv.log_path).read()
        assert f"name={name} instance={name} version=1.0.0 abi=1.{name[-1]}" in log, log


if __name__ == "__main__":
    harness.main(globals())

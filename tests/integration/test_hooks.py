# SPDX-License-Identifier: Apache-2.0
"""Plugin hooks on the password login: PASSWORD_CHECK and LOGIN_SUCCEEDED
(sdk/include/authsvc/plugin.h), through tests/abi/hook_plugin.c."""
import harness
from harness import expect, expect_error

PLUGINS = {"plugins": {"local": {"file": "local.so"}, "hook": {"file": "test_hook.so"}}}


def hooked(t):
    return t.start_server("hooked", **PLUGINS)


def logins(t, srv):
    return expect(t.http("GET", "/test/hook-logins", server=srv), 200).body["logins"]


def test_password_check_hook_can_accept(t):
    srv = hooked(t)
    code = t.code(password="hook-pass", server=srv)
    tokens = t.exchange(code, server=srv)
    me = expect(t.me(tokens["accessToken"], server=srv), 200).body
    assert me["username"] == harness.USERNAME, me


def test_password_check_hook_can_deny(t):
    srv = hooked(t)
    expect_error(t.login(password="hook-deny", server=srv), 401, "Invalid Credentials")


def test_declined_falls_back_to_builtin_check(t):
    srv = hooked(t)
    expect(t.login(server=srv), 200)
    expect_error(t.login(password="wrong-password-1", server=srv), 401, "Invalid Credentials")


def test_hook_accepting_unknown_user_is_401(t):
    srv = hooked(t)
    expect_error(t.login(username="nobody-here", password="hook-pass", server=srv), 401,
                 "Invalid Credentials")


def test_hook_does_not_bypass_eligibility(t):
    srv = hooked(t)
    t.set_status(2)
    expect_error(t.login_token(password="hook-pass", server=srv), 401, "UserInactive")


def test_login_succeeded_hook_sees_each_login(t):
    srv = hooked(t)
    before = logins(t, srv)
    expect(t.login(server=srv), 200)
    expect(t.login_token(password="hook-pass", server=srv), 200)
    expect_error(t.login(password="hook-deny", server=srv), 401)
    assert logins(t, srv) == before + 2


def test_without_the_plugin_hook_password_is_refused(t):
    expect_error(t.login(password="hook-pass"), 401, "Invalid Credentials")


if __name__ == "__main__":
    harness.main(globals())

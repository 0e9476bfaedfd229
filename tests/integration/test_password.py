# SPDX-License-Identifier: Apache-2.0
"""PATCH /auth/change-password (docs/api.md "Where authsvc differs from upstream", all sessions end)."""
import harness
from harness import PASSWORD, USERNAME, expect, expect_error

NEW_PASSWORD = "n3w-Passw0rd!"


def change(t, tokens, password=NEW_PASSWORD, old=PASSWORD, username=USERNAME, access=None):
    body = {"username": username, "password": password, "refreshToken": tokens["refreshToken"]}
    if old is not None:
        body["oldPassword"] = old
    return t.http("PATCH", "/auth/change-password", json=body,
                  headers={"Authorization": "Bearer " + (access or tokens["accessToken"])})


def test_change_password_succeeds(t):
    r = expect(change(t, t.tokens_for()), 200)
    assert r.body.get("success") is True, f"{r!r}"


def test_old_password_refused_new_accepted(t):
    expect(change(t, t.tokens_for()), 200)
    expect_error(t.login(password=PASSWORD), 401, "Invalid Credentials")
    expect(t.login(password=NEW_PASSWORD), 200)


def test_change_back_to_original(t):
    expect(change(t, t.tokens_for()), 200)
    tokens = t.tokens_for(password=NEW_PASSWORD)
    expect(change(t, tokens, password=PASSWORD, old=NEW_PASSWORD), 200)
    expect(t.login(password=PASSWORD), 200)


def test_change_revokes_every_refresh_token_of_the_user(t):
    a, b, c = t.tokens_for(), t.tokens_for(), t.tokens_for()
    expect(change(t, a), 200)
    for s in (a, b, c):
        expect_error(t.refresh(s), 401)


def test_change_revokes_the_access_token_used(t):
    tokens = t.tokens_for()
    expect(change(t, tokens), 200)
    expect_error(t.me(tokens["accessToken"]), 401)


def test_change_leaves_other_users_alone(t):
    t.add_user("other_user", "other-password-1")
    other = t.tokens_for(username="other_user", password="other-password-1")
    expect(change(t, t.tokens_for()), 200)
    expect(t.refresh(other), 200)


def test_wrong_old_password_is_401(t):
    tokens = t.tokens_for()
    expect_error(change(t, tokens, old="not-my-password"), 401, "Incorrect Password")
    expect(t.login(password=PASSWORD), 200)
    expect(t.refresh(tokens), 200)


def test_other_username_is_403(t):
    t.add_user("other_user", "other-password-1")
    r = change(t, t.tokens_for(), username="other_user", old="other-password-1")
    expect_error(r, 403)
    expect(t.login(username="other_user", password="other-password-1"), 200)


def test_without_bearer_is_401(t):
    tokens = t.tokens_for()
    r = t.http("PATCH", "/auth/change-password",
               json={"username": USERNAME, "password": NEW_PASSWORD, "oldPassword": PASSWORD,
                     "refreshToken": tokens["refreshToken"]})
    expect_error(r, 401)


def test_without_refresh_token_is_422(t):
    tokens = t.tokens_for()
    r = t.http("PATCH", "/auth/change-password",
               json={"username": USERNAME, "password": NEW_PASSWORD, "oldPassword": PASSWORD},
               headers={"Authorization": "Bearer " + tokens["accessToken"]})
    expect_error(r, 422)
    expect(t.login(password=PASSWORD), 200)


def test_refresh_token_of_other_session_is_401(t):
    a, b = t.tokens_for(), t.tokens_for()
    body = {"username": USERNAME, "password": NEW_PASSWORD, "oldPassword": PASSWORD,
            "refreshToken": b["refreshToken"]}
    r = t.http("PATCH", "/auth/change-password", json=body,
               headers={"Authorization": "Bearer " + a["accessToken"]})
    expect_error(r, 401)
    expect(t.login(password=PASSWORD), 200)


def test_weak_new_password_is_refused(t):
    r = change(t, t.tokens_for(), password="abc")
    assert 400 <= r.status < 500, f"a 3-character password was not refused: {r!r}"
    expect(t.login(password=PASSWORD), 200)


def test_old_password_required(t):
    r = change(t, t.tokens_for(), old=None)
    assert 400 <= r.status < 500, f"change without oldPassword accepted: {r!r}"
    expect(t.login(password=PASSWORD), 200)


if __name__ == "__main__":
    harness.main(globals())

# SPDX-License-Identifier: Apache-2.0
"""POST /logout and GET /logout/redirect (docs/api.md "Endpoints served now")."""
import urllib.parse

import harness
from harness import expect, expect_error


def test_logout_succeeds(t):
    r = expect(t.logout(t.tokens_for()), 200)
    assert r.body.get("success") is True, f"{r!r}"


def test_logout_revokes_access_token(t):
    tokens = t.tokens_for()
    expect(t.logout(tokens), 200)
    expect_error(t.me(tokens["accessToken"]), 401)


def test_logout_revokes_refresh_token(t):
    tokens = t.tokens_for()
    expect(t.logout(tokens), 200)
    expect_error(t.refresh(tokens), 401)


def test_logout_twice_is_401(t):
    tokens = t.tokens_for()
    expect(t.logout(tokens), 200)
    expect_error(t.logout(tokens), 401)


def test_logout_leaves_other_sessions_alone(t):
    a, b = t.tokens_for(), t.tokens_for()
    expect(t.logout(a), 200)
    expect(t.me(b["accessToken"]), 200)
    expect(t.refresh(b), 200)


def test_logout_with_unknown_refresh_token_is_401(t):
    tokens = t.tokens_for()
    r = t.http("POST", "/logout", json={"refreshToken": "aaaa"},
               headers={"Authorization": "Bearer " + tokens["accessToken"]})
    expect_error(r, 401)
    expect(t.me(tokens["accessToken"]), 200)


def test_logout_with_other_sessions_refresh_token_is_401(t):
    a, b = t.tokens_for(), t.tokens_for()
    r = t.http("POST", "/logout", json={"refreshToken": b["refreshToken"]},
               headers={"Authorization": "Bearer " + a["accessToken"]})
    expect_error(r, 401)
    expect(t.refresh(b), 200)


def test_logout_without_bearer_is_401(t):
    tokens = t.tokens_for()
    expect_error(t.http("POST", "/logout", json={"refreshToken": tokens["refreshToken"]}), 401)


def test_logout_without_refresh_token_is_422(t):
    tokens = t.tokens_for()
    r = t.http("POST", "/logout", json={},
               headers={"Authorization": "Bearer " + tokens["accessToken"]})
    expect_error(r, 422)


def test_logout_records_logout_activity(t):
    tokens = t.tokens_for()
    expect(t.logout(tokens), 200)
    t.wait_rows("login_activity", "login_type = 'LOGOUT' AND actor = :'u' "
                "AND length(token_payload) > 0", u=t.fx.user_id)


def test_logout_redirect_without_state_is_200(t):
    r = expect(t.http("GET", "/logout/redirect"), 200)
    assert r.body == {"success": True}, f"{r!r}"


def test_logout_redirect_to_clients_logout_url(t):
    url = "https://app.example.com/signed-out"
    t.db.sql("UPDATE main.auth_clients SET logout_redirect_url = :'url' WHERE client_id = 'web'",
             url=url)
    r = expect(t.http("GET", "/logout/redirect?state=client_id%3Dweb"), 302)
    assert r.headers.get("location", "").startswith(url), f"Location: {r.headers}"


def test_logout_redirect_carries_the_states_other_parameters_whole(t):
    url = "https://app.example.com/signed-out?from=app"
    t.db.sql("UPDATE main.auth_clients SET logout_redirect_url = :'url' WHERE client_id = 'web'",
             url=url)
    long_value = "\u00e9" * 500  # 1000 bytes, 3000 once percent-encoded
    state = urllib.parse.urlencode({"client_id": "web", "next": "/a b&c", "v": long_value})
    r = expect(t.http("GET", "/logout/redirect?state=" + urllib.parse.quote(state)), 302)
    location = r.headers.get("location", "")
    base, _, query = location.partition("?")
    assert base == "https://app.example.com/signed-out", f"Location: {location[:200]}"
    assert urllib.parse.parse_qs(query) == {"from": ["app"], "next": ["/a b&c"],
                                            "v": [long_value]}, f"Location: {location[:200]}"


def test_logout_url_longer_than_its_buffer_is_a_logged_500_not_a_cut_url(t):
    # 174 characters fit varchar(200), but they are 324 bytes: more than the
    # 200 the client row holds. Before, the Location header was cut short.
    url = "https://app.example.com/" + "\u00e9" * 150
    (old,), = t.db.sql("SELECT '=' || coalesce(logout_redirect_url, '') FROM main.auth_clients"
                       " WHERE client_id = 'web'")  # '=': an empty value is still a row
    t.db.sql("UPDATE main.auth_clients SET logout_redirect_url = :'url' WHERE client_id = 'web'",
             url=url)
    try:
        r = t.http("GET", "/logout/redirect?state=client_id%3Dweb")
        expect_error(r, 500)
        assert "location" not in r.headers, f"{r.headers}"
        harness.wait_until(lambda: "(logout_redirect_url) holds 324 bytes" in
                           open(t.server.log_path).read(), 3, what="the logged cause")
    finally:
        t.db.sql("UPDATE main.auth_clients SET logout_redirect_url = nullif(:'old', '')"
                 " WHERE client_id = 'web'", old=old[1:])


def test_logout_redirect_client_without_url_is_200(t):
    r = expect(t.http("GET", "/logout/redirect?state=client_id%3Dmobile"), 200)
    assert "location" not in r.headers, f"{r.headers}"


def test_logout_redirect_unknown_client_is_200(t):
    r = expect(t.http("GET", "/logout/redirect?state=client_id%3Dnope"), 200)
    assert "location" not in r.headers, f"{r.headers}"


def test_logout_redirect_never_goes_to_a_url_from_the_request(t):
    r = t.http("GET", "/logout/redirect?state=client_id%3Dnope%26redirect_uri%3Dhttps%3A%2F%2Fevil.example")
    expect(r, 200)
    assert "evil.example" not in r.headers.get("location", ""), f"{r.headers}"


if __name__ == "__main__":
    harness.main(globals())

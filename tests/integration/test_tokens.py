# SPDX-License-Identifier: Apache-2.0
"""GET /auth/me, POST /auth/token-refresh, POST /auth/token-switch and bearer checks
(docs/api.md "Requests and errors")."""
import harness
from harness import (USERNAME, expect, expect_error, jwt_build, jwt_parts, rsa_jwk_to_pem,
                     wait_until)


def bearer(token):
    return {"Authorization": "Bearer " + token}


# -- /auth/me

def test_me_returns_auth_user(t):
    tokens = t.tokens_for()
    r = expect(t.me(tokens["accessToken"]), 200)
    me = r.body
    assert me["id"] == t.fx.user_id, f"{r!r}"
    assert me["username"] == USERNAME, f"{r!r}"
    assert me["tenantId"] == t.fx.tenant_id, f"{r!r}"
    assert me["userTenantId"] == t.fx.user_tenant_id, f"{r!r}"
    assert me["role"] == harness.ROLE, f"{r!r}"
    assert me["permissions"] == harness.PERMISSIONS, f"{r!r}"
    assert me["status"] == 1, f"{r!r}"
    for k in ("iat", "exp", "iss", "deviceInfo", "password"):
        assert k not in me, f"/auth/me leaks {k}: {r!r}"


def test_me_scheme_is_case_insensitive(t):
    tokens = t.tokens_for()
    r = t.http("GET", "/auth/me", headers={"Authorization": "bearer " + tokens["accessToken"]})
    expect(r, 200)


def test_user_permissions_adjust_role_permissions(t):
    t.db.sql("INSERT INTO main.user_permissions (user_tenant_id, permission, allowed) VALUES "
             "(:'ut', 'NotAllowed', false), (:'ut', 'Extra', true)", ut=t.fx.user_tenant_id)
    me = expect(t.me(t.tokens_for()["accessToken"]), 200).body
    assert me["permissions"] == ["ViewLoginActivity", "Extra"], me


def test_granted_permissions_follow_the_role_in_grant_order(t):
    """Role permissions in the role's order (minus denied ones), then granted
    ones oldest first; a grant of a role permission or a deleted grant or
    deny changes nothing; a refresh reads them again."""
    t.db.sql("INSERT INTO main.user_permissions (user_tenant_id, permission, allowed, created_on)"
             " VALUES (:'ut', 'Second', true, now() - interval '1 minute'),"
             " (:'ut', 'First', true, now() - interval '2 minutes'),"
             " (:'ut', 'NotAllowed', true, now() - interval '3 minutes')",
             ut=t.fx.user_tenant_id)
    t.db.sql("INSERT INTO main.user_permissions (user_tenant_id, permission, allowed, deleted)"
             " VALUES (:'ut', 'Gone', true, true), (:'ut', 'ViewLoginActivity', false, true)",
             ut=t.fx.user_tenant_id)
    tokens = t.tokens_for()
    me = expect(t.me(tokens["accessToken"]), 200).body
    assert me["permissions"] == ["ViewLoginActivity", "NotAllowed", "First", "Second"], me
    t.db.sql("UPDATE main.user_permissions SET deleted = true WHERE permission = 'First'")
    r = expect(t.http("POST", "/auth/token-refresh", json={"refreshToken": tokens["refreshToken"]},
                      headers={"Authorization": "Bearer " + tokens["accessToken"]}), 200)
    me = expect(t.me(r.body["accessToken"]), 200).body
    assert me["permissions"] == ["ViewLoginActivity", "NotAllowed", "Second"], me


# -- bearer failures: all 401, never 500

def test_me_without_token_is_401(t):
    expect_error(t.http("GET", "/auth/me"), 401, name="UnauthorizedError")


def test_me_with_garbage_is_401(t):
    for value in ("Bearer garbage", "Bearer a.b.c", "Bearer ", "Basic dXNlcjpwYXNz",
                  "Bearer " + "A" * 4000):
        r = t.http("GET", "/auth/me", headers={"Authorization": value})
        expect_error(r, 401)


def test_me_with_tampered_payload_is_401(t):
    access = t.tokens_for()["accessToken"]
    header, payload, sig = jwt_parts(access)
    payload["permissions"] = payload.get("permissions", []) + ["EverythingAllowed"]
    forged = jwt_build(header, payload).rsplit(".", 1)[0] + "." + access.rsplit(".", 1)[1]
    expect_error(t.me(forged), 401)


def test_me_with_tampered_signature_is_401(t):
    access = t.tokens_for()["accessToken"]
    head, sig = access.rsplit(".", 1)
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    expect_error(t.me(head + "." + flipped), 401)


def test_me_with_alg_none_is_401(t):
    access = t.tokens_for()["accessToken"]
    _, payload, _ = jwt_parts(access)
    for alg in ("none", "None", "NONE"):
        expect_error(t.me(jwt_build({"alg": alg, "typ": "JWT"}, payload)), 401)


def test_me_with_hs256_signed_by_public_key_is_401(t):
    access = t.tokens_for()["accessToken"]
    header, payload, _ = jwt_parts(access)
    jwks = t.http("GET", "/.well-known/jwks.json").body["keys"]
    jwk = next(k for k in jwks if k["kid"] == header["kid"])
    pem = rsa_jwk_to_pem(jwk)
    for key in (pem.encode(), pem.strip().encode(), harness.b64url_decode(jwk["n"])):
        forged = jwt_build({"alg": "HS256", "typ": "JWT", "kid": header["kid"]}, payload, key)
        expect_error(t.me(forged), 401)


def test_me_with_unknown_kid_is_401(t):
    access = t.tokens_for()["accessToken"]
    header, payload, _ = jwt_parts(access)
    header["kid"] = "no-such-key"
    forged = jwt_build(header, payload).rsplit(".", 1)[0] + "." + access.rsplit(".", 1)[1]
    expect_error(t.me(forged), 401)


def test_me_with_expired_token_is_401(t):
    # exp is in whole seconds: a 2-second token is valid for at least one
    # more second after it was issued, whenever in a second that was
    t.add_client("brief", access_ttl=2)
    t.allow_client(USERNAME, "brief")
    access = t.tokens_for(client_id="brief")["accessToken"]
    expect(t.me(access), 200)
    r = wait_until(lambda: (lambda r: r if r.status != 200 else None)(t.me(access)), 4,
                   what="the 2-second access token to expire")
    expect_error(r, 401)


def test_me_with_revoked_token_is_401(t):
    tokens = t.tokens_for()
    expect(t.logout(tokens), 200)
    expect_error(t.me(tokens["accessToken"]), 401)


# -- refresh: rotation, binding to the access token, family revocation

def test_refresh_returns_new_pair(t):
    first = t.tokens_for()
    r = expect(t.refresh(first), 200)
    for k in ("accessToken", "refreshToken", "expiresIn", "expiresAt"):
        assert k in r.body, f"{r!r}"
    assert r.body["refreshToken"] != first["refreshToken"], f"{r!r}"
    assert r.body["accessToken"] != first["accessToken"], f"{r!r}"
    me = expect(t.me(r.body["accessToken"]), 200).body
    assert me["tenantId"] == t.fx.tenant_id and me["username"] == USERNAME, me


def test_refresh_accepts_form_body(t):
    first = t.tokens_for()
    r = t.http("POST", "/auth/token-refresh", form={"refreshToken": first["refreshToken"]},
               headers=bearer(first["accessToken"]))
    expect(r, 200)


def test_refresh_revokes_old_access_token(t):
    first = t.tokens_for()
    expect(t.refresh(first), 200)
    expect_error(t.me(first["accessToken"]), 401)


def test_old_refresh_token_is_refused_after_rotation(t):
    first = t.tokens_for()
    expect(t.refresh(first), 200)
    expect_error(t.refresh(first), 401)


def test_refresh_reuse_revokes_the_family(t):
    first = t.tokens_for()
    second = expect(t.refresh(first), 200).body
    expect_error(t.refresh(first), 401)           # reuse of a rotated token ...
    expect_error(t.refresh(second), 401)          # ... ends the newer session too


def test_refresh_reuse_leaves_other_sessions_alone(t):
    other = t.tokens_for()
    first = t.tokens_for()
    expect(t.refresh(first), 200)
    expect_error(t.refresh(first), 401)
    expect(t.refresh(other), 200)


def test_reuse_within_grace_is_refused_without_revoking(t):
    # Two tabs refresh with the same token at once: with
    # tokens.refresh_token_grace the second is refused (401) and the first
    # tab's new pair stays valid.
    srv = t.start_server("grace", tokens={"refresh_token_grace": 60})
    first = t.tokens_for(server=srv)
    second = expect(t.refresh(first, server=srv), 200).body
    expect_error(t.refresh(first, server=srv), 401, "Token Expired")
    expect(t.me(second["accessToken"], server=srv), 200)
    third = expect(t.refresh(second, server=srv), 200).body
    expect(t.me(third["accessToken"], server=srv), 200)


def test_reuse_after_grace_revokes_the_family(t):
    srv = t.start_server("grace", tokens={"refresh_token_grace": 60})
    first = t.tokens_for(server=srv)
    second = expect(t.refresh(first, server=srv), 200).body
    # the rotation is older than the grace (moved back rather than waited for)
    t.db.sql("UPDATE main.refresh_tokens SET used_at = used_at - interval '61 seconds' "
             "WHERE used_at IS NOT NULL")
    expect_error(t.refresh(first, server=srv), 401, "Token Expired")
    expect_error(t.refresh(second, server=srv), 401)
    expect_error(t.me(second["accessToken"], server=srv), 401)


def test_refresh_with_expired_access_token_works(t):
    t.add_client("brief", access_ttl=1)
    t.allow_client(USERNAME, "brief")
    first = t.tokens_for(client_id="brief")
    wait_until(lambda: t.me(first["accessToken"]).status == 401, 3,
               what="the access token to expire")
    expect(t.refresh(first), 200)


def test_refresh_with_wrong_bearer_is_401(t):
    first = t.tokens_for()
    expect_error(t.refresh(first, access="abc"), 401)


def test_refresh_with_other_sessions_access_is_401(t):
    a, b = t.tokens_for(), t.tokens_for()
    expect_error(t.refresh(a, access=b["accessToken"]), 401)


def test_refresh_without_bearer_is_401(t):
    first = t.tokens_for()
    r = t.http("POST", "/auth/token-refresh", json={"refreshToken": first["refreshToken"]})
    expect_error(r, 401)


def test_refresh_with_unknown_token_is_401(t):
    first = t.tokens_for()
    expect_error(t.refresh({"refreshToken": "f" * 64, "accessToken": first["accessToken"]}),
                 401)


def test_refresh_without_refresh_token_is_422(t):
    first = t.tokens_for()
    r = t.http("POST", "/auth/token-refresh", json={}, headers=bearer(first["accessToken"]))
    expect_error(r, 422)


def test_refresh_records_relogin_activity(t):
    expect(t.refresh(t.tokens_for()), 200)
    t.wait_rows("login_activity", "login_type = 'RELOGIN' AND actor = :'u' AND tenant_id = :'t'",
                u=t.fx.user_id, t=t.fx.tenant_id)


# -- switch

def _second_tenant(t, status=1, key="tenant2"):
    tid = t.add_tenant(key)
    t.db.sql("INSERT INTO main.user_tenants (user_id, tenant_id, role_id, status) "
             "VALUES (:'u', :'t', :'r', :'s')", u=t.fx.user_id, t=tid, r=t.fx.role_id, s=status)
    return tid


def switch(t, tokens, tenant_id, access=None):
    body = {"refreshToken": tokens["refreshToken"]}
    if tenant_id is not None:
        body["tenantId"] = tenant_id
    return t.http("POST", "/auth/token-switch", json=body,
                  headers=bearer(access or tokens["accessToken"]))


def test_switch_issues_tokens_for_new_tenant(t):
    tid = _second_tenant(t)
    r = expect(switch(t, t.tokens_for(), tid), 200)
    _, payload, _ = jwt_parts(r.body["accessToken"])
    assert payload["tenantId"] == tid, payload
    assert expect(t.me(r.body["accessToken"]), 200).body["tenantId"] == tid


def test_switch_then_refresh_stays_in_new_tenant(t):
    tid = _second_tenant(t)
    switched = expect(switch(t, t.tokens_for(), tid), 200).body
    r = expect(t.refresh(switched), 200)
    assert jwt_parts(r.body["accessToken"])[1]["tenantId"] == tid


def test_switch_rotates_refresh_token(t):
    tid = _second_tenant(t)
    first = t.tokens_for()
    expect(switch(t, first, tid), 200)
    expect_error(t.refresh(first), 401)


def test_switch_allows_password_change_needed(t):
    tid = _second_tenant(t, status=3)
    expect(switch(t, t.tokens_for(), tid), 200)


def test_switch_to_inactive_tenant_membership_is_refused(t):
    # One status rule on every token-issuing path (docs/api.md "Eligibility"):
    # REGISTERED is 400 "User not active yet", INACTIVE/REJECTED 401 "UserInactive".
    for n, (status, code, msg) in enumerate(((0, 400, "User not active yet"),
                                             (2, 401, "UserInactive"),
                                             (4, 401, "UserInactive"))):
        tid = _second_tenant(t, status=status, key=f"tx{n}")
        expect_error(switch(t, t.tokens_for(), tid), code, msg)


def test_switch_to_tenant_without_membership_is_401(t):
    tid = t.add_tenant("elsewhere")
    expect_error(switch(t, t.tokens_for(), tid), 401)


def test_failed_switch_leaves_the_session_alone(t):
    # The switch revokes the old access token in its transaction and then
    # fails (no membership; an inactive one): the rollback undoes the
    # revocation, and this instance must not keep refusing the token in
    # memory while the database (and every other instance) accepts it.
    inactive = _second_tenant(t, status=2, key="inactive2")
    for tid in (t.add_tenant("nowhere"), inactive):
        tokens = t.tokens_for()
        expect_error(switch(t, tokens, tid), 401)
        expect(t.me(tokens["accessToken"]), 200)
        expect(t.refresh(tokens), 200)


def test_switch_without_tenant_is_400(t):
    expect_error(switch(t, t.tokens_for(), None), 400, "Tenant ID is required")


def test_switch_without_bearer_is_401(t):
    tid = _second_tenant(t)
    r = t.http("POST", "/auth/token-switch",
               json={"refreshToken": t.tokens_for()["refreshToken"], "tenantId": tid})
    expect_error(r, 401)


def test_switch_with_other_sessions_refresh_is_401(t):
    tid = _second_tenant(t)
    a, b = t.tokens_for(), t.tokens_for()
    expect_error(switch(t, a, tid, access=b["accessToken"]), 401)


def test_switch_records_relogin_activity(t):
    tid = _second_tenant(t)
    expect(switch(t, t.tokens_for(), tid), 200)
    t.wait_rows("login_activity", "login_type = 'RELOGIN' AND tenant_id = :'t'", t=tid)


def test_refresh_does_not_move_last_login(t):
    tokens = t.tokens_for()
    q = "SELECT last_login FROM main.users WHERE id = :'u'"
    before = t.db.value(q, u=t.fx.user_id)
    assert before, "code exchange sets last_login"
    expect(t.refresh(tokens), 200)
    assert t.db.value(q, u=t.fx.user_id) == before


if __name__ == "__main__":
    harness.main(globals())

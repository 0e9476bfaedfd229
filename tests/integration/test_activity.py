# SPDX-License-Identifier: Apache-2.0
"""Login-activity API: GET /login-activity, /login-activity/count,
/login-activity/{id}, /active-users/{range} (docs/api.md "Login activity", issue 5).

Rows are seeded with SQL; tokens come from the standard fixture (role
`others` has ViewLoginActivity) and from a role without it."""
import json
import urllib.parse

import harness
from harness import expect, expect_error

OTHER = "other-tenant"


def rid(n):
    return f"00000000-0000-4000-8000-{n:012d}"


def tokens(t):
    """(access token with ViewLoginActivity, access token without it). The
    logins write activity rows of their own; they are removed."""
    good = t.tokens_for()["accessToken"]
    t.admin("role", "add", "--name", "noview", "--permissions", "NotAllowed")
    t.add_user("noview_user", role="noview")
    bad = t.tokens_for(username="noview_user")["accessToken"]
    t.wait_rows("login_activity", "true", n=2)
    t.db.sql("DELETE FROM main.login_activity")
    return good, bad


def seed(t):
    T = t.fx.tenant_id
    rows = [
        (1, "a1", T, "2024-03-22T10:00:00.000Z", "ACCESS", "chrome", "10.0.0.1"),
        (2, "a1", T, "2024-03-22T11:00:00.000Z", "ACCESS", "firefox", "10.0.0.1"),
        (3, "a2", T, "2024-03-22T09:00:00.000Z", "ACCESS", None, "10.0.0.2"),
        (4, "a1", T, "2024-03-22T12:00:00.000Z", "RELOGIN", "chrome", None),
        (5, "a1", T, "2024-03-23T08:00:00.000Z", "LOGOUT", "chrome", None),
        (6, "a3", T, "2024-04-01T00:00:00.000Z", "ACCESS", "Chrome-Mobile", "10.0.0.3"),
        (7, "a1", OTHER, "2024-03-22T10:30:00.000Z", "ACCESS", "chrome", "10.9.9.9"),
        (8, "a4", T, "2024-02-29T23:59:59.999Z", "ACCESS", "safari", "10.0.0.4"),
    ]
    for n, actor, tenant, when, typ, dev, ip in rows:
        t.db.sql("INSERT INTO main.login_activity (id, actor, tenant_id, login_time, "
                 "token_payload, login_type, device_info, ip_address) VALUES "
                 "(:'id', :'a', :'t', :'w', :'p', :'ty', NULLIF(:'d', ''), NULLIF(:'ip', ''))",
                 id=rid(n), a=actor, t=tenant, w=when, p=f"payload-{n}", ty=typ, d=dev or "",
                 ip=ip or "")


def setup(t):
    good, bad = tokens(t)
    seed(t)
    return good, bad


def get(t, path, token, **params):
    """GET with JSON-encoded filter/where params (dicts) or raw strings."""
    q = {k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in params.items()}
    if q:
        path += "?" + urllib.parse.urlencode(q)
    headers = {"Authorization": "Bearer " + token} if token else {}
    return t.http("GET", path, headers=headers)


def get_qs(t, path, token, pairs):
    """GET with a raw list of query pairs (deep-object form)."""
    return t.http("GET", path + "?" + urllib.parse.urlencode(pairs),
                  headers={"Authorization": "Bearer " + token})


def ids(resp):
    expect(resp, 200)
    return [int(r["id"].rsplit("-", 1)[1]) for r in resp.body]


def idset(resp):
    return set(ids(resp))


ENDPOINTS = ["/login-activity", "/login-activity/count", f"/login-activity/{rid(1)}",
             "/active-users/daily?startDate=2024-01-01&endDate=2024-12-31"]


# -- authentication and permission

def test_all_endpoints_need_a_token(t):
    setup(t)
    for path in ENDPOINTS:
        expect_error(t.http("GET", path), 401)


def test_all_endpoints_need_view_login_activity(t):
    good, bad = setup(t)
    for path in ENDPOINTS:
        expect_error(t.http("GET", path, headers={"Authorization": "Bearer " + bad}), 403,
                     message="NotAllowedAccess", name="ForbiddenError")
        expect(t.http("GET", path, headers={"Authorization": "Bearer " + good}), 200)


# -- list

def test_list_shape_default_order_and_tenant_scope(t):
    good, _ = setup(t)
    r = get(t, "/login-activity", good)
    # newest first by default; row 7 belongs to another tenant
    assert ids(r) == [6, 5, 4, 2, 1, 3, 8], r
    row = next(x for x in r.body if x["id"] == rid(3))
    assert row == {"id": rid(3), "actor": "a2", "tenantId": t.fx.tenant_id,
                   "loginTime": "2024-03-22T09:00:00.000Z", "tokenPayload": "payload-3",
                   "loginType": "ACCESS", "deviceInfo": None, "ipAddress": "10.0.0.2"}, row
    r8 = next(x for x in r.body if x["id"] == rid(8))
    assert r8["loginTime"] == "2024-02-29T23:59:59.999Z", r8


def test_where_operators(t):
    good, _ = setup(t)
    cases = [
        ({"actor": "a1"}, {1, 2, 4, 5}),
        ({"actor": {"eq": "a2"}}, {3}),
        ({"actor": {"neq": "a1"}}, {3, 6, 8}),
        ({"loginTime": {"gt": "2024-03-22T11:00:00.000Z"}}, {4, 5, 6}),
        ({"loginTime": {"gte": "2024-03-22T11:00:00.000Z"}}, {2, 4, 5, 6}),
        ({"loginTime": {"lt": "2024-03-22T10:00:00Z"}}, {3, 8}),
        ({"loginTime": {"lte": "2024-03-22T10:00:00Z"}}, {1, 3, 8}),
        ({"loginTime": {"gt": "2024-03-22T12:00:00+02:00"}}, {2, 4, 5, 6}),  # 10:00Z
        ({"actor": {"inq": ["a2", "a3"]}}, {3, 6}),
        ({"actor": {"nin": ["a1", "a2"]}}, {6, 8}),
        ({"actor": {"inq": []}}, set()),
        ({"loginTime": {"between": ["2024-03-22", "2024-03-23"]}}, {1, 2, 3, 4}),
        ({"deviceInfo": {"like": "chrom%"}}, {1, 4, 5}),
        ({"deviceInfo": {"nlike": "chrom%"}}, {2, 6, 8}),
        ({"deviceInfo": {"ilike": "chrom%"}}, {1, 4, 5, 6}),
        ({"deviceInfo": {"nilike": "chrom%"}}, {2, 8}),
        ({"deviceInfo": {"regexp": "^(fire|saf)"}}, {2, 8}),
        ({"deviceInfo": {"regexp": "/^CHROME-/i"}}, {6}),
        ({"deviceInfo": None}, {3}),
        ({"ipAddress": {"neq": None}}, {1, 2, 3, 6, 8}),
        ({"id": rid(4)}, {4}),
        ({"id": {"like": "%0005"}}, {5}),
        ({"loginType": "RELOGIN", "actor": "a1"}, {4}),
        ({"loginTime": {"gt": "2024-03-01", "lt": "2024-03-23"}}, {1, 2, 3, 4}),
        ({"tenantId": OTHER}, set()),  # scoped: the caller cannot see other tenants
    ]
    for where, want in cases:
        r = get(t, "/login-activity", good, filter={"where": where})
        assert idset(r) == want, f"where {where}: {r!r}"


def test_and_or_nesting(t):
    good, _ = setup(t)
    where = {"or": [{"and": [{"actor": "a1"}, {"loginType": "ACCESS"}]},
                    {"and": [{"actor": {"inq": ["a3", "a4"]}},
                             {"or": [{"deviceInfo": "safari"}, {"ipAddress": "nope"}]}]}]}
    assert idset(get(t, "/login-activity", good, filter={"where": where})) == {1, 2, 8}


def test_fields_object_and_array(t):
    good, _ = setup(t)
    r = expect(get(t, "/login-activity", good,
                   filter={"fields": ["id", "loginTime"], "where": {"id": rid(1)}}), 200)
    assert r.body == [{"id": rid(1), "loginTime": "2024-03-22T10:00:00.000Z"}], r
    r = expect(get(t, "/login-activity", good,
                   filter={"fields": {"actor": True, "loginType": True},
                           "where": {"id": rid(4)}}), 200)
    assert r.body == [{"actor": "a1", "loginType": "RELOGIN"}], r
    r = expect(get(t, "/login-activity", good,
                   filter={"fields": {"tokenPayload": False, "ipAddress": False},
                           "where": {"id": rid(4)}}), 200)
    assert set(r.body[0]) == {"id", "actor", "tenantId", "loginTime", "loginType",
                              "deviceInfo"}, r


def test_order_forms(t):
    good, _ = setup(t)
    r = get(t, "/login-activity", good, filter={"order": "loginTime ASC"})
    assert ids(r) == [8, 3, 1, 2, 4, 5, 6], r
    r = get(t, "/login-activity", good, filter={"order": "loginTime"})
    assert ids(r) == [8, 3, 1, 2, 4, 5, 6], r
    r = get(t, "/login-activity", good, filter={"order": ["actor DESC", "loginTime desc"]})
    assert ids(r) == [8, 6, 3, 5, 4, 2, 1], r
    r = get(t, "/login-activity", good, filter={"order": "actor DESC, loginTime ASC"})
    assert ids(r) == [8, 6, 3, 1, 2, 4, 5], r


def test_limit_skip_offset(t):
    good, _ = setup(t)
    base = {"order": "loginTime ASC"}
    assert ids(get(t, "/login-activity", good, filter={**base, "limit": 2})) == [8, 3]
    assert ids(get(t, "/login-activity", good, filter={**base, "limit": 2, "skip": 2})) == [1, 2]
    assert ids(get(t, "/login-activity", good,
                   filter={**base, "limit": 3, "offset": 4})) == [4, 5, 6]
    assert ids(get(t, "/login-activity", good, filter={**base, "skip": 6})) == [6]
    expect(get(t, "/login-activity", good, filter={"limit": 1000}), 200)
    expect_error(get(t, "/login-activity", good, filter={"limit": 1001}), 400)


def test_default_limit_is_100(t):
    good, _ = setup(t)
    t.db.sql("INSERT INTO main.login_activity (actor, tenant_id, login_time, token_payload, "
             "login_type) SELECT 'bulk', :'t', now() - g * interval '1 minute', 'p', 'ACCESS' "
             "FROM generate_series(1, 150) g", t=t.fx.tenant_id)
    r = expect(get(t, "/login-activity", good), 200)
    assert len(r.body) == 100, len(r.body)
    r = expect(get(t, "/login-activity", good, filter={"limit": 120}), 200)
    assert len(r.body) == 120, len(r.body)


def test_deep_object_form(t):
    good, _ = setup(t)
    r = get_qs(t, "/login-activity", good, [("filter[where][actor]", "a1"),
                                             ("filter[limit]", "2"),
                                             ("filter[order][0]", "loginTime DESC")])
    assert ids(r) == [5, 4], r
    r = get_qs(t, "/login-activity", good,
               [("filter[where][loginTime][gt]", "2024-03-22T11:00:00.000Z"),
                ("filter[order]", "loginTime ASC"), ("filter[skip]", "1")])
    assert ids(r) == [5, 6], r
    r = get_qs(t, "/login-activity", good, [("filter[where][actor][inq][0]", "a2"),
                                             ("filter[where][actor][inq][1]", "a4")])
    assert idset(r) == {3, 8}, r
    r = get_qs(t, "/login-activity", good, [("filter[where][or][0][actor]", "a3"),
                                             ("filter[where][or][1][loginType]", "LOGOUT"),
                                             ("filter[fields][0]", "id")])
    assert r.status == 200 and sorted(r.body, key=lambda x: x["id"]) == [
        {"id": rid(5)}, {"id": rid(6)}], r
    r = get_qs(t, "/login-activity", good, [("filter[fields][actor]", "true"),
                                             ("filter[where][id]", rid(2))])
    assert expect(r, 200).body == [{"actor": "a1"}], r
    expect_error(get_qs(t, "/login-activity", good, [("filter[limit]", "x")]), 400)
    expect_error(get_qs(t, "/login-activity", good, [("filter[where][foo]", "1")]), 400,
                 message="Unknown property 'foo' in where")


def test_count(t):
    good, _ = setup(t)
    assert expect(get(t, "/login-activity/count", good), 200).body == {"count": 7}
    r = get(t, "/login-activity/count", good, where={"actor": "a1"})
    assert expect(r, 200).body == {"count": 4}, r
    r = get_qs(t, "/login-activity/count", good, [("where[actor]", "a1"),
                                                   ("where[loginType]", "ACCESS")])
    assert expect(r, 200).body == {"count": 2}, r
    expect_error(get(t, "/login-activity/count", good, where={"nope": 1}), 400,
                 message="Unknown property 'nope' in where")


def test_find_by_id_path_parameter_is_decoded(t):
    """Escapes in a path parameter decode as before (the router keeps only
    %2F and %25 encoded, and decodes them in the parameter)."""
    good, _ = setup(t)
    r = expect(get(t, "/login-activity/" + rid(1).replace("-", "%2D"), good), 200)
    assert r.body["id"] == rid(1), r
    r = get(t, "/login-activity/" + rid(1)[:8] + "%2F" + rid(1)[9:], good)
    assert r.status in (400, 404), r


def test_find_by_id(t):
    good, _ = setup(t)
    r = expect(get(t, f"/login-activity/{rid(1)}", good), 200)
    assert r.body["id"] == rid(1) and r.body["actor"] == "a1" and \
        r.body["loginTime"] == "2024-03-22T10:00:00.000Z" and len(r.body) == 8, r
    r = expect(get(t, f"/login-activity/{rid(1)}", good, filter={"fields": ["actor"]}), 200)
    assert r.body == {"actor": "a1"}, r
    # the where of the filter does not widen or narrow findById
    r = expect(get(t, f"/login-activity/{rid(1)}", good,
                   filter={"where": {"actor": "a2"}}), 200)
    assert r.body["id"] == rid(1), r
    expect_error(get(t, f"/login-activity/{rid(7)}", good), 404)  # other tenant
    expect_error(get(t, f"/login-activity/{rid(99)}", good), 404)
    expect_error(get(t, "/login-activity/not-a-uuid", good), 404)
    expect_error(get(t, f"/login-activity/{rid(1)}", good, filter={"fields": ["bad"]}), 400)


def test_bad_input_is_400_naming_the_problem(t):
    good, _ = setup(t)
    cases = [
        ({"where": {"foo": "x"}}, "Unknown property 'foo' in where"),
        ({"where": {"actor": {"foo": "x"}}}, "Unknown operator 'foo' for property 'actor'"),
        ({"where": {"actor": {"inq": "a1"}}}, "inq expects an array"),
        ({"where": {"actor": True}}, "expected a string"),
        ({"where": {"loginTime": {"gt": "yesterday"}}}, "ISO-8601"),
        ({"where": {"loginTime": {"gt": "2024-02-30"}}}, "ISO-8601"),
        ({"where": {"loginTime": {"like": "2024%"}}}, "not supported"),
        ({"where": {"id": "42"}}, "UUID"),
        ({"where": {"loginTime": {"between": ["2024-01-01"]}}}, "two values"),
        ({"where": {"and": {"actor": "a1"}}}, "'and'"),
        ({"where": []}, "where must be an object"),
        ({"fields": ["nope"]}, "Unknown property 'nope' in fields"),
        ({"fields": 3}, "fields must be"),
        ({"order": "nope DESC"}, "Unknown property 'nope' in order"),
        ({"order": "loginTime sideways"}, "ASC or DESC"),
        ({"limit": -1}, "limit"),
        ({"limit": 1.5}, "limit"),
        ({"limit": 5000}, "limit"),
        ({"skip": "ten"}, "skip"),
        ({"include": ["x"]}, "Unknown property 'include' in filter"),
    ]
    for f, fragment in cases:
        r = get(t, "/login-activity", good, filter=f)
        err = expect_error(r, 400, name="BadRequestError")
        assert fragment in err["message"], f"{f}: {r!r}"
    for raw in ("{not json", "[1,2]", '"str"', '{"limit":1,"limit":2}'):
        expect_error(get(t, "/login-activity", good, filter=raw), 400)
    expect_error(get(t, "/login-activity", good,
                     filter={"where": {"deviceInfo": {"regexp": "(unclosed"}}}), 400)
    expect_error(get_qs(t, "/login-activity", good, [("filter", '{"limit":1}'),
                                                      ("filter[limit]", "2")]), 400)
    expect_error(get_qs(t, "/login-activity", good, [("filter[where", "x")]), 400)


def test_injection_attempts_are_harmless(t):
    good, _ = setup(t)
    attempts = [
        {"where": {"actor'; DROP TABLE main.login_activity; --": "x"}},
        {"where": {"actor": "a1'; DROP TABLE main.login_activity; --"}},
        {"where": {"actor": {"inq": ["a1') OR 1=1 --", "x"]}}},
        {"where": {"deviceInfo": {"like": "%' OR '1'='1"}}},
        {"where": {"loginTime": {"gt": "2024-01-01'; DROP TABLE main.login_activity; --"}}},
        {"order": "loginTime; DROP TABLE main.login_activity"},
        {"order": "loginTime DESC; DELETE FROM main.login_activity"},
        {"order": ["(SELECT 1)"]},
        {"fields": {"id\"; DROP TABLE main.login_activity; --": True}},
        {"limit": "1; DROP TABLE main.login_activity"},
        {"where": {"or": [{"actor": "a1"}, {"1=1) OR (1": "1"}]}},
    ]
    for f in attempts:
        r = get(t, "/login-activity", good, filter=f)
        assert r.status in (200, 400), f"{f}: {r!r}"
        if r.status == 200:  # a value, compared literally: matches nothing
            assert r.body == [], f"{f}: {r!r}"
    r = get_qs(t, "/login-activity/count", good,
               [("where[actor]", "x' OR '1'='1"), ("where[tenantId][neq]", "'; DROP --")])
    assert expect(r, 200).body == {"count": 0}, r
    assert t.db.count("login_activity") == 8
    assert idset(get(t, "/login-activity", good)) == {1, 2, 3, 4, 5, 6, 8}


# -- active users

def test_active_users_daily_groups_and_dedups(t):
    good, _ = setup(t)
    r = expect(get(t, "/active-users/daily", good, startDate="2024-03-22T00:00:00.000Z",
                   endDate="2024-03-23T23:59:59.999Z"), 200)
    body = r.body
    assert list(body) == ["2024-03-22", "2024-03-23"], r
    day = body["2024-03-22"]
    assert set(day) == {"ACCESS", "RELOGIN"}, r
    # a1 logged in twice that day (rows 1, 2): the earliest (1) is kept; a2 came first
    assert [x["id"] for x in day["ACCESS"]] == [rid(3), rid(1)], r
    assert [x["id"] for x in day["RELOGIN"]] == [rid(4)], r
    assert [x["id"] for x in body["2024-03-23"]["LOGOUT"]] == [rid(5)], r
    full = day["ACCESS"][1]
    assert full == {"id": rid(1), "actor": "a1", "tenantId": t.fx.tenant_id,
                    "loginTime": "2024-03-22T10:00:00.000Z", "tokenPayload": "payload-1",
                    "loginType": "ACCESS", "deviceInfo": "chrome", "ipAddress": "10.0.0.1"}, r


def test_active_users_monthly(t):
    good, _ = setup(t)
    r = expect(get(t, "/active-users/monthly", good, startDate="2024-01-01",
                   endDate="2024-12-31T23:59:59Z"), 200)
    assert list(r.body) == ["02-2024", "03-2024", "04-2024"], r
    march = r.body["03-2024"]
    assert [x["actor"] for x in march["ACCESS"]] == ["a2", "a1"], r
    assert [x["id"] for x in march["LOGOUT"]] == [rid(5)], r
    assert [x["id"] for x in r.body["02-2024"]["ACCESS"]] == [rid(8)], r


def test_active_users_range_bounds_are_inclusive(t):
    good, _ = setup(t)
    r = expect(get(t, "/active-users/daily", good, startDate="2024-03-22T10:00:00Z",
                   endDate="2024-03-22T12:00:00Z"), 200)
    assert [x["id"] for x in r.body["2024-03-22"]["ACCESS"]] == [rid(1)], r
    assert [x["id"] for x in r.body["2024-03-22"]["RELOGIN"]] == [rid(4)], r


def test_active_users_filter(t):
    good, _ = setup(t)
    t.db.sql("INSERT INTO main.login_activity (id, actor, tenant_id, login_time, token_payload, "
             "login_type) VALUES (:'id', :'a', :'t', '2024-03-22T15:00:00Z', 'p', 'ACCESS')",
             id=rid(9), a=t.fx.user_id, t=t.fx.tenant_id)
    dates = {"startDate": "2024-03-22", "endDate": "2024-03-22T23:59:59Z"}

    def access_actors(flt):
        r = expect(get(t, "/active-users/daily", good, filter=flt, **dates), 200)
        return [x["actor"] for x in r.body.get("2024-03-22", {}).get("ACCESS", [])]

    assert access_actors({"inclusion": True, "userIdentity": "actorId",
                          "userIdentifier": ["a1"]}) == ["a1"]
    assert access_actors({"inclusion": False, "userIdentity": "actorId",
                          "userIdentifier": ["a1"]}) == ["a2", t.fx.user_id]
    assert access_actors({"inclusion": True, "userIdentity": "userName",
                          "userIdentifier": [harness.USERNAME]}) == [t.fx.user_id]
    assert access_actors({"inclusion": True, "userIdentity": "userName",
                          "userIdentifier": ["nobody"]}) == []
    assert access_actors({"inclusion": False, "userIdentity": "userName",
                          "userIdentifier": ["nobody"]}) == ["a2", "a1", t.fx.user_id]
    r = get_qs(t, "/active-users/daily", good,
               [("startDate", dates["startDate"]), ("endDate", dates["endDate"]),
                ("filter[inclusion]", "true"), ("filter[userIdentity]", "actorId"),
                ("filter[userIdentifier][0]", "a2")])
    assert [x["actor"] for x in expect(r, 200).body["2024-03-22"]["ACCESS"]] == ["a2"], r
    for bad in ({"inclusion": True}, {"inclusion": "maybe", "userIdentity": "actorId",
                                      "userIdentifier": []},
                {"inclusion": True, "userIdentity": "email", "userIdentifier": []},
                {"inclusion": True, "userIdentity": "actorId", "userIdentifier": "a1"}):
        expect_error(get(t, "/active-users/daily", good, filter=bad, **dates), 400)


def test_active_users_bad_input(t):
    good, _ = setup(t)
    ok = {"startDate": "2024-03-01", "endDate": "2024-03-31"}
    expect(get(t, "/active-users/daily", good, **ok), 200)
    expect_error(get(t, "/active-users/weekly", good, **ok), 400)
    expect_error(get(t, "/active-users/daily", good, startDate="2024-03-01"), 400)
    expect_error(get(t, "/active-users/daily", good, endDate="2024-03-01"), 400)
    expect_error(get(t, "/active-users/daily", good, startDate="March",
                     endDate="2024-03-31"), 400)
    expect_error(get(t, "/active-users/daily", good, startDate="2024-04-01",
                     endDate="2024-03-31"), 400)


if __name__ == "__main__":
    harness.main(globals())

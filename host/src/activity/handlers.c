/* SPDX-License-Identifier: Apache-2.0 */
/* LoginActivityController: the four login-activity routes (docs/api.md "Login activity"). */
#include "activity/handlers.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity/filter.h"
#include "config/config.h"
#include "http/router.h"
#include "http/workers.h"
#include "store/db.h"

#define PERMISSION "ViewLoginActivity"

static const struct route activity_routes[] = {
    {M_GET, "/login-activity", h_activity_find, NULL, NULL, ROUTE_BEARER, NULL, PERMISSION},
    /* before /login-activity/{id}: the router takes the first match */
    {M_GET, "/login-activity/count", h_activity_count, NULL, NULL, ROUTE_BEARER, NULL, PERMISSION},
    {M_GET, "/login-activity/{id}", h_activity_find_by_id, NULL, NULL, ROUTE_BEARER, NULL,
     PERMISSION},
    {M_GET, "/active-users/{range}", h_active_users, NULL, NULL, ROUTE_BEARER, NULL, PERMISSION},
};

int activity_routes_register(struct router *router, const struct config *cfg, char *msg,
			     size_t msgsz)
{
	for (size_t i = 0; i < sizeof(activity_routes) / sizeof(activity_routes[0]); i++) {
		struct route r = activity_routes[i];

		r.state = (void *)cfg; /* read only */
		if (router_add(router, &r, msg, msgsz) < 0)
			return -1;
	}
	return 0;
}

/* The caller's tenant (token tenantId), or NULL when the token has none. */
static const char *token_tenant(const struct authsvc_req *req)
{
	const char *t = json_string_value(json_object_get(req->bearer, "tenantId"));

	return t != NULL && *t != '\0' ? t : NULL;
}

static enum authsvc_status fail_query(struct authsvc_req *req, const struct err *err)
{
	const char *state = db_last_sqlstate();

	if (strcmp(state, "57014") == 0) {
		req_store_status(req, err); /* logs the cause */
		req->retry_after = 1;
		return req_fail(req, 503, "The query took too long. Please retry.");
	}
	if (err->code == 503)
		return req_fail_store(req, err);
	/* Errors caused by the values in a filter (invalid regular expression,
	 * bad LIKE escape, a value PostgreSQL will not convert): the client's. */
	if (strcmp(state, "2201B") == 0)
		return req_fail(req, 400, "Invalid regular expression in filter");
	if (strncmp(state, "22", 2) == 0)
		return req_fail(req, 400, "Invalid value in filter");
	if (strcmp(state, "54001") == 0)
		return req_fail(req, 400, "The filter is too complex");
	return req_fail_store(req, err);
}

/*
 * How many workers run a login-activity query now, across the process.
 * Analytics may hold at most activity.max_workers of them, so that a burst
 * of costly filters never leaves logins waiting for a worker: a query over
 * the cap answers 503 + Retry-After at once instead of queueing.
 */
static _Atomic int analytics_busy;

static bool analytics_enter(const struct config *cfg)
{
	if (atomic_fetch_add(&analytics_busy, 1) < cfg->activity_max_workers)
		return true;
	atomic_fetch_sub(&analytics_busy, 1);
	return false;
}

static void analytics_leave(void)
{
	atomic_fetch_sub(&analytics_busy, 1);
}

/*
 * Run the statement in a read-only transaction of its own whose
 * statement_timeout is activity.query_timeout_ms (SET LOCAL: it ends with
 * the transaction), shorter than the one logins run under. NULL with err
 * (and db_last_sqlstate) on failure; the transaction is closed either way.
 */
static PGresult *run(struct authsvc_req *req, const struct config *cfg,
		     const struct activity_query *q, struct err *err)
{
	struct db *db = &req->worker->db;
	char ms[16];
	const char *params[1] = {ms};
	PGresult *res;

	snprintf(ms, sizeof(ms), "%d", cfg->activity_query_timeout_ms);
	if (db_begin(db, err) < 0)
		return NULL;
	res = db_exec_prepared(db,
			       "SELECT set_config('statement_timeout', $1, true),"
			       " set_config('transaction_read_only', 'on', true)",
			       1, params, err);
	if (res == NULL) {
		db_rollback(db);
		return NULL;
	}
	PQclear(res);
	res = db_exec(db, q->sql, (int)q->nparams, (const char *const *)q->params, err);
	db_rollback(db); /* read only: nothing to keep; the sqlstate stays */
	return res;
}

/* Row `row` of res as a LoginActivity object; columns from `col0` on are
 * the selected fields of q. New reference. */
static json_t *row_json(const PGresult *res, int row, int col0, const struct activity_query *q)
{
	json_t *o = json_object();
	size_t n = activity_query_nfields(q);

	for (size_t i = 0; o != NULL && i < n; i++) {
		int c = col0 + (int)i;
		json_t *v =
		    PQgetisnull(res, row, c) ? json_null() : json_string(PQgetvalue(res, row, c));

		json_object_set_new(o, activity_field_name(activity_query_field(q, i)), v);
	}
	return o;
}

/* The filter-style parameter `name`, as JSON (NULL when absent). -1 after
 * answering 400. */
static int param(struct authsvc_req *req, const char *name, json_t **out)
{
	struct err err = {0};

	if (activity_param_json(name, req->query, req->nquery, out, &err) < 0) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		return -1;
	}
	return 0;
}

static enum authsvc_status activity_find(const struct config *cfg, struct authsvc_req *req)
{
	struct activity_query q;
	json_t *filter = NULL, *rows;
	const char *tenant = token_tenant(req);
	struct err err = {0};
	PGresult *res;

	if (param(req, "filter", &filter) < 0)
		return AUTHSVC_OK;
	activity_query_init(&q);
	if (activity_filter_parse(&q, filter, &err) < 0 ||
	    (tenant != NULL && activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, tenant, &err) < 0) ||
	    activity_query_sql(&q, ACTIVITY_SQL_LIST, &err) == NULL) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		goto out;
	}
	res = run(req, cfg, &q, &err);
	if (res == NULL) {
		fail_query(req, &err);
		goto out;
	}
	rows = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(rows, row_json(res, i, 0, &q));
	PQclear(res);
	req_reply_json(req, 200, rows);
out:
	activity_query_release(&q);
	json_decref(filter);
	return AUTHSVC_OK;
}

static enum authsvc_status activity_count(const struct config *cfg, struct authsvc_req *req)
{
	struct activity_query q;
	json_t *where = NULL;
	const char *tenant = token_tenant(req);
	struct err err = {0};
	PGresult *res;
	long long n;

	if (param(req, "where", &where) < 0)
		return AUTHSVC_OK;
	activity_query_init(&q);
	if (activity_where_parse(&q, where, &err) < 0 ||
	    (tenant != NULL && activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, tenant, &err) < 0) ||
	    activity_query_sql(&q, ACTIVITY_SQL_COUNT, &err) == NULL) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		goto out;
	}
	res = run(req, cfg, &q, &err);
	if (res == NULL) {
		fail_query(req, &err);
		goto out;
	}
	n = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	req_reply_json(req, 200, json_pack("{s:I}", "count", (json_int_t)n));
out:
	activity_query_release(&q);
	json_decref(where);
	return AUTHSVC_OK;
}

static enum authsvc_status not_found(struct authsvc_req *req, const char *id)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "Entity not found: LoginActivity with id \"%.100s\"", id);
	return req_fail(req, 404, msg);
}

static enum authsvc_status activity_find_by_id(const struct config *cfg, struct authsvc_req *req)
{
	struct activity_query q;
	json_t *filter = NULL, *fields;
	const char *tenant = token_tenant(req), *id = req->params[0];
	struct err err = {0};
	PGresult *res;

	if (param(req, "filter", &filter) < 0)
		return AUTHSVC_OK;
	activity_query_init(&q);
	/* Only `fields` counts here; the where is replaced by {id, tenantId}. */
	fields = json_pack("{s:O*}", "fields", json_object_get(filter, "fields"));
	if (filter != NULL && !json_is_object(filter)) {
		req_fail(req, 400, "filter must be an object");
		goto out;
	}
	if (activity_filter_parse(&q, filter, &err) < 0) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		goto out;
	}
	activity_query_release(&q);
	activity_query_init(&q);
	if (activity_filter_parse(&q, fields, &err) < 0) {
		req_fail(req, 400, err.msg);
		goto out;
	}
	if (tenant == NULL || activity_query_and_eq(&q, ACTIVITY_F_ID, id, &err) < 0) {
		not_found(req, id);
		goto out;
	}
	if (activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, tenant, &err) < 0 ||
	    activity_query_sql(&q, ACTIVITY_SQL_ONE, &err) == NULL) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		goto out;
	}
	res = run(req, cfg, &q, &err);
	if (res == NULL) {
		fail_query(req, &err);
		goto out;
	}
	if (PQntuples(res) == 0)
		not_found(req, id);
	else
		req_reply_json(req, 200, row_json(res, 0, 0, &q));
	PQclear(res);
out:
	activity_query_release(&q);
	json_decref(fields);
	json_decref(filter);
	return AUTHSVC_OK;
}

/*
 * {date: {loginType: [row, ...]}} from rows ordered by date, type, time
 * (column 0 the date key, then every field). Rows arrive deduplicated.
 */
static json_t *group_rows(const PGresult *res, const struct activity_query *all)
{
	json_t *out = json_object();

	for (int i = 0; out != NULL && i < PQntuples(res); i++) {
		const char *day = PQgetvalue(res, i, 0);
		const char *type = PQgetvalue(res, i, 1 + ACTIVITY_F_LOGIN_TYPE);
		json_t *d = json_object_get(out, day), *list;

		if (d == NULL) {
			d = json_object();
			json_object_set_new(out, day, d);
		}
		list = json_object_get(d, type);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(d, type, list);
		}
		json_array_append_new(list, row_json(res, i, 1, all));
	}
	return out;
}

static enum authsvc_status active_users(const struct config *cfg, struct authsvc_req *req)
{
	struct activity_users u = {0};
	struct activity_query q;
	const char *actor = cfg->activity_actor;
	json_t *filter = NULL;
	struct err err = {0};
	PGresult *res;

	if (param(req, "filter", &filter) < 0)
		return AUTHSVC_OK;
	activity_query_init(&q);
	u.actor_is_user_tenant = actor != NULL && strcmp(actor, "user_tenant_id") == 0;
	if (activity_users_parse(&u, req->params[0], req_query(req, "startDate"),
				 req_query(req, "endDate"), filter, &err) < 0 ||
	    activity_users_sql(&q, &u, token_tenant(req), &err) == NULL) {
		req_fail(req, err.code ? err.code : 400, err.msg);
		goto out;
	}
	res = run(req, cfg, &q, &err);
	if (res == NULL) {
		fail_query(req, &err);
		goto out;
	}
	q.fields = ACTIVITY_FIELDS_ALL;
	req_reply_json(req, 200, group_rows(res, &q));
	PQclear(res);
out:
	activity_query_release(&q);
	activity_users_release(&u);
	json_decref(filter);
	return AUTHSVC_OK;
}

/* The routes: each holds one of analytics' workers while it runs. */
static enum authsvc_status capped(void *state, struct authsvc_req *req,
				  enum authsvc_status (*fn)(const struct config *cfg,
							    struct authsvc_req *req))
{
	const struct config *cfg = state; /* activity_routes_register */
	enum authsvc_status st;

	if (!analytics_enter(cfg)) {
		req->retry_after = 1;
		return req_fail(req, 503, "Too many login-activity queries at once. Please retry.");
	}
	st = fn(cfg, req);
	analytics_leave();
	return st;
}

enum authsvc_status h_activity_find(void *state, void *tstate, struct authsvc_req *req)
{
	(void)tstate;
	return capped(state, req, activity_find);
}

enum authsvc_status h_activity_count(void *state, void *tstate, struct authsvc_req *req)
{
	(void)tstate;
	return capped(state, req, activity_count);
}

enum authsvc_status h_activity_find_by_id(void *state, void *tstate, struct authsvc_req *req)
{
	(void)tstate;
	return capped(state, req, activity_find_by_id);
}

enum authsvc_status h_active_users(void *state, void *tstate, struct authsvc_req *req)
{
	(void)tstate;
	return capped(state, req, active_users);
}

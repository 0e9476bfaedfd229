/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The login-activity query language: LoopBack filters translated to
 * parameterised SQL over main.login_activity (docs/api.md "Login activity"). filter.c
 * holds the query object, fields/order/limit and the statements; where.c
 * the where clause.
 *
 * Pure code: no libpq, no evhttp, no logging. Every function may be called
 * from any thread on its own struct activity_query; nothing is shared.
 *
 * Safety rule: column names and operators in the generated SQL come only
 * from the static whitelists in filter.c (columns) and where.c (operators);
 * every value taken from the input becomes a $n parameter in q->params.
 * Input never reaches the SQL text.
 *
 * Typical use (a worker thread):
 *
 *	struct activity_query q;
 *	json_t *filter = NULL;
 *
 *	activity_query_init(&q);
 *	if (activity_param_json("filter", req->query, req->nquery, &filter, &err) < 0 ||
 *	    activity_filter_parse(&q, filter, &err) < 0 ||
 *	    activity_query_and_eq(&q, ACTIVITY_F_TENANT_ID, tenant, &err) < 0 ||
 *	    activity_query_sql(&q, ACTIVITY_SQL_LIST, &err) == NULL)
 *		... answer 400 with err.msg ...
 *	res = db_exec(db, q.sql, (int)q.nparams, (const char *const *)q.params, &err);
 *	... columns of res follow activity_query_field(&q, i) ...
 *	activity_query_release(&q);
 *	json_decref(filter);
 *
 * Errors: each parsing function returns -1 with err->code 400 and a
 * client-safe message naming the problem ("Unknown property 'foo' in
 * where"); 0 on success.
 */
#ifndef AUTHSVC_ACTIVITY_FILTER_H
#define AUTHSVC_ACTIVITY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

/* The rest of the login-activity API, split by concept; included here so
 * that filter.h stays the one header callers need. */
#include "activity/query_params.h" /* activity_param_json */
#include "activity/time.h"	   /* activity_time_parse */
#include "activity/users.h"	   /* GET /active-users */

/* Rows returned when the filter has no limit (upstream has none). */
#define ACTIVITY_LIMIT_DEFAULT 100
/* Largest limit a client may ask for; more is a 400. A constant rather than
 * a config key: a bigger page is a different API, not a tuning knob. */
#define ACTIVITY_LIMIT_MAX 1000
/* Largest skip/offset accepted. */
#define ACTIVITY_SKIP_MAX 1000000000ULL
/* Caps that keep a hostile filter from building a huge statement
 * (ACTIVITY_SQL_MAX: bytes of SQL text). */
#define ACTIVITY_PARAMS_MAX 512
#define ACTIVITY_DEPTH_MAX  8
#define ACTIVITY_SQL_MAX    (64 * 1024)

/* The LoginActivity properties, in response order. */
enum activity_field {
	ACTIVITY_F_ID = 0,
	ACTIVITY_F_ACTOR,
	ACTIVITY_F_TENANT_ID,
	ACTIVITY_F_LOGIN_TIME,
	ACTIVITY_F_TOKEN_PAYLOAD,
	ACTIVITY_F_LOGIN_TYPE,
	ACTIVITY_F_DEVICE_INFO,
	ACTIVITY_F_IP_ADDRESS,
	ACTIVITY_F_COUNT
};

#define ACTIVITY_FIELDS_ALL ((1u << ACTIVITY_F_COUNT) - 1)

enum activity_sql_kind {
	ACTIVITY_SQL_LIST,  /* SELECT fields ... WHERE ... ORDER BY ... LIMIT $n OFFSET $m */
	ACTIVITY_SQL_COUNT, /* SELECT count(*) ... WHERE ... */
	ACTIVITY_SQL_ONE,   /* SELECT fields ... WHERE ... LIMIT 1 (find by id) */
};

/*
 * One translated query. All strings are malloc'd and owned by the struct;
 * activity_query_release frees them. Read-only for callers except through
 * the functions below.
 */
struct activity_query {
	char *where;   /* SQL condition, "" when none */
	char *order;   /* SQL ORDER BY list, "" when none (the default is used) */
	char **params; /* nparams values for $1..$n, never NULL elements */
	size_t nparams;
	uint64_t limit;	 /* ACTIVITY_LIMIT_DEFAULT when not given */
	uint64_t offset; /* skip, or its alias offset */
	unsigned fields; /* bit (1u << enum activity_field) per selected column */
	char *sql;	 /* the last statement built by activity_query_sql */
};

void activity_query_init(struct activity_query *q);
void activity_query_release(struct activity_query *q);

/*
 * A whole LoopBack filter: {where, fields, order, limit, skip, offset}.
 * filter NULL means "no filter" (defaults). Any other top-level key, an
 * unknown property, operator or wrong value type is an error.
 *   where:  {prop: value} (equality, null → IS NULL), {prop: {op: value}}
 *           with op eq, neq, gt, gte, lt, lte, inq, nin, between, like, nlike,
 *           ilike, nilike, regexp; {"and": [...]}, {"or": [...]} nested up to
 *           ACTIVITY_DEPTH_MAX. Several keys in one object are AND-ed, and so
 *           are several operators on one property.
 *   fields: {prop: true|false} (any true → only those; else all but the
 *           false ones) or [prop, ...]. "true"/"false" strings are accepted.
 *   order:  "prop [ASC|DESC]", comma-separated, or an array of such.
 *   limit, skip, offset: non-negative integers or digit strings; limit 0 is
 *           "not given", limit above ACTIVITY_LIMIT_MAX is an error.
 */
int activity_filter_parse(struct activity_query *q, const json_t *filter, struct err *err);

/*
 * A `regexp` value's pattern may cost no more than its length: 0, or -1
 * with err (400, saying what was refused) when it is longer than
 * ACTIVITY_REGEXP_LEN_MAX, holds a backreference (\1 ... \9), a
 * quantifier applied to a group that holds one (`(a+)+`, `(a|b?)*`; `?`
 * on such a group is fine), a count above ACTIVITY_REGEXP_REPEAT_MAX in
 * {m,n}, groups nested deeper than ACTIVITY_REGEXP_DEPTH_MAX, a director
 * (`***`) or an embedded option that changes the syntax (b, e, q, x).
 * Those are what make a regular expression engine backtrack or grow its
 * automaton; the statement timeout bounds whatever is left.
 */
#define ACTIVITY_REGEXP_LEN_MAX	   256
#define ACTIVITY_REGEXP_REPEAT_MAX 100
#define ACTIVITY_REGEXP_DEPTH_MAX  8
int activity_regexp_check(const char *pattern, struct err *err);

/* A bare where object (GET /login-activity/count). NULL: no condition. */
int activity_where_parse(struct activity_query *q, const json_t *where, struct err *err);

/* AND `field = value` into the query (tenant scoping, find by id). An id
 * that is not a UUID is an error (code 404 so callers can answer not found). */
int activity_query_and_eq(struct activity_query *q, enum activity_field field, const char *value,
			  struct err *err);

/*
 * Build the statement into q->sql (owned by q; also returned). For LIST the
 * limit and offset are appended as parameters. NULL on error (too large).
 * Result columns are the selected fields in enum order (see
 * activity_query_field), or one count column for COUNT.
 */
const char *activity_query_sql(struct activity_query *q, enum activity_sql_kind kind,
			       struct err *err);

/* Number of selected fields and the field of result column i. */
size_t activity_query_nfields(const struct activity_query *q);
enum activity_field activity_query_field(const struct activity_query *q, size_t i);
/* "loginTime" for ACTIVITY_F_LOGIN_TIME, and so on. */
const char *activity_field_name(enum activity_field f);

#endif

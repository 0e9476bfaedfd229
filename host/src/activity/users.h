/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GET /active-users/{range}: the request parameters and the statement over
 * main.login_activity that answers it. Pure code like filter.h (whose
 * struct activity_query carries the statement): no shared state, any thread.
 */
#ifndef AUTHSVC_ACTIVITY_USERS_H
#define AUTHSVC_ACTIVITY_USERS_H

#include <stdbool.h>

#include <jansson.h>

#include "util/err.h"

struct activity_query; /* filter.h */

enum activity_range { ACTIVITY_RANGE_DAILY, ACTIVITY_RANGE_MONTHLY };

struct activity_users {
	enum activity_range range;
	char start[32], end[32];   /* canonical UTC start/end (inclusive) */
	bool has_filter;	   /* the optional upstream filter */
	bool inclusion;		   /* true: actor IN ids; false: NOT IN */
	bool by_username;	   /* userIdentity userName (else actorId) */
	bool actor_is_user_tenant; /* userName maps to user_tenant ids */
	json_t *identifiers;	   /* array of strings, owned */
};

/*
 * Validate range ("daily"/"monthly"), startDate/endDate (required,
 * ISO-8601, start <= end) and the optional filter {inclusion, userIdentity,
 * userIdentifier} (all three required when present). 0 or -1 (code 400).
 */
int activity_users_parse(struct activity_users *u, const char *range, const char *start,
			 const char *end, const json_t *filter, struct err *err);
void activity_users_release(struct activity_users *u);

/*
 * The active-users statement into q (q freshly initialised, tenant NULL for
 * no scoping). Result columns: the date key, then all fields in enum order;
 * rows come deduplicated per (date, loginType, actor) keeping the earliest,
 * ordered by date, loginType, then loginTime.
 */
const char *activity_users_sql(struct activity_query *q, const struct activity_users *u,
			       const char *tenant, struct err *err);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* GET /active-users/{range}: parameters and statement (see users.h). */
#include "activity/users.h"

#include <stdlib.h>
#include <string.h>

#include "activity/filter_internal.h"
#include "activity/time.h"

void activity_users_release(struct activity_users *u)
{
	json_decref(u->identifiers);
	u->identifiers = NULL;
}

static int users_filter(struct activity_users *u, const json_t *filter, struct err *err)
{
	const json_t *inc = json_object_get(filter, "inclusion");
	const char *ident = json_string_value(json_object_get(filter, "userIdentity"));
	json_t *ids = json_object_get(filter, "userIdentifier"), *e;
	const char *key;
	size_t i;

	if (!json_is_object(filter))
		return err_set(err, 400, "filter must be an object");
	json_object_foreach((json_t *)filter, key, e)
	{
		if (strcmp(key, "inclusion") != 0 && strcmp(key, "userIdentity") != 0 &&
		    strcmp(key, "userIdentifier") != 0)
			return err_set(err, 400, "Unknown property '%.64s' in filter", key);
	}
	if (inc == NULL || ident == NULL || ids == NULL)
		return err_set(err, 400, "filter needs inclusion, userIdentity and userIdentifier");
	if (activity_flag_value(inc, &u->inclusion) < 0)
		return err_set(err, 400, "filter.inclusion must be true or false");
	if (strcmp(ident, "actorId") == 0)
		u->by_username = false;
	else if (strcmp(ident, "userName") == 0)
		u->by_username = true;
	else
		return err_set(err, 400, "filter.userIdentity must be actorId or userName");
	if (!json_is_array(ids))
		return err_set(err, 400, "filter.userIdentifier must be an array of strings");
	if (json_array_size(ids) > ACTIVITY_PARAMS_MAX - 8)
		return err_set(err, 400, "filter.userIdentifier has too many entries");
	json_array_foreach(ids, i, e)
	{
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
			return err_set(err, 400,
				       "filter.userIdentifier must be an array of strings");
	}
	u->identifiers = json_incref(ids);
	u->has_filter = true;
	return 0;
}

int activity_users_parse(struct activity_users *u, const char *range, const char *start,
			 const char *end, const json_t *filter, struct err *err)
{
	int64_t a, b;
	bool ut = u->actor_is_user_tenant;

	memset(u, 0, sizeof(*u));
	u->actor_is_user_tenant = ut;
	if (range != NULL && strcmp(range, "daily") == 0)
		u->range = ACTIVITY_RANGE_DAILY;
	else if (range != NULL && strcmp(range, "monthly") == 0)
		u->range = ACTIVITY_RANGE_MONTHLY;
	else
		return err_set(err, 400, "range must be daily or monthly");
	if (start == NULL || end == NULL)
		return err_set(err, 400, "startDate and endDate are required");
	if (activity_time_parse(start, &a, u->start, sizeof(u->start)) < 0)
		return err_set(err, 400, "startDate is not an ISO-8601 date-time");
	if (activity_time_parse(end, &b, u->end, sizeof(u->end)) < 0)
		return err_set(err, 400, "endDate is not an ISO-8601 date-time");
	if (a > b)
		return err_set(err, 400, "startDate must not be after endDate");
	if (filter != NULL && users_filter(u, filter, err) < 0)
		return -1;
	return 0;
}

/* actor [NOT] IN (ids) or (the ids of users with these usernames). */
static int users_actor_cond(struct activity_query *q, const struct activity_users *u,
			    struct sbuf *b, struct err *err)
{
	size_t i;
	json_t *e;

	if (json_array_size(u->identifiers) == 0) {
		sbuf_addf(b, " AND %s", u->inclusion ? "FALSE" : "TRUE");
		return 0;
	}
	sbuf_addf(b, " AND actor %sIN (", u->inclusion ? "" : "NOT ");
	if (u->by_username && u->actor_is_user_tenant)
		sbuf_addf(b, "SELECT ut.id::text FROM main.user_tenants ut JOIN main.users us"
			     " ON us.id = ut.user_id WHERE NOT us.deleted AND NOT ut.deleted"
			     " AND lower(us.username) IN (");
	else if (u->by_username)
		sbuf_addf(b, "SELECT us.id::text FROM main.users us WHERE NOT us.deleted"
			     " AND lower(us.username) IN (");
	json_array_foreach(u->identifiers, i, e)
	{
		int n = activity_param_push(q, strdup(json_string_value(e)), err);

		if (n < 0)
			return -1;
		sbuf_addf(b, u->by_username ? "%slower($%d)" : "%s$%d", i ? ", " : "", n);
	}
	sbuf_addf(b, u->by_username ? "))" : ")");
	return 0;
}

const char *activity_users_sql(struct activity_query *q, const struct activity_users *u,
			       const char *tenant, struct err *err)
{
	struct sbuf b = SBUF_INIT(ACTIVITY_SQL_MAX);
	bool daily = u->range == ACTIVITY_RANGE_DAILY;
	int ns, ne, nt;

	ns = activity_param_push(q, strdup(u->start), err);
	if (ns < 0)
		return NULL;
	ne = activity_param_push(q, strdup(u->end), err);
	if (ne < 0)
		return NULL;
	sbuf_addf(&b, "SELECT d, ");
	activity_select_list(&b, ACTIVITY_FIELDS_ALL);
	sbuf_addf(&b,
		  " FROM (SELECT DISTINCT ON (k, login_type, actor) *,"
		  " to_char(login_time AT TIME ZONE 'UTC', '%s') AS d,"
		  " date_trunc('%s', login_time AT TIME ZONE 'UTC') AS k"
		  " FROM main.login_activity"
		  " WHERE login_time BETWEEN $%d::timestamptz AND $%d::timestamptz",
		  daily ? "YYYY-MM-DD" : "MM-YYYY", daily ? "day" : "month", ns, ne);
	if (tenant != NULL) {
		nt = activity_param_push(q, strdup(tenant), err);
		if (nt < 0)
			goto out_free;
		sbuf_addf(&b, " AND tenant_id = $%d", nt);
	}
	if (u->has_filter && users_actor_cond(q, u, &b, err) < 0)
		goto out_free;
	sbuf_addf(&b, " ORDER BY k, login_type, actor, login_time, id) s"
		      " ORDER BY k, login_type, login_time, id");
	return activity_finish_sql(q, &b, err);
out_free:
	free(sbuf_detach(&b, NULL));
	return NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The activity_query object and the parts of a LoopBack filter other than
 * where: fields, order, limit/skip → SQL over main.login_activity (see
 * filter.h). The column whitelist lives here and is shared with where.c and
 * users.c through filter_internal.h; SQL text is built in a struct sbuf
 * capped at ACTIVITY_SQL_MAX.
 */
#include "activity/filter.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activity/filter_internal.h"

/* The whitelist: the only column names that reach SQL. */
const struct activity_col activity_cols[ACTIVITY_F_COUNT] = {
    {"id", "id::text", "id", ACTIVITY_COL_UUID},
    {"actor", "actor", "actor", ACTIVITY_COL_TEXT},
    {"tenantId", "tenant_id", "tenant_id", ACTIVITY_COL_TEXT},
    {"loginTime", "to_char(login_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
     "login_time", ACTIVITY_COL_TIME},
    {"tokenPayload", "token_payload", "token_payload", ACTIVITY_COL_TEXT},
    {"loginType", "login_type", "login_type", ACTIVITY_COL_TEXT},
    {"deviceInfo", "device_info", "device_info", ACTIVITY_COL_TEXT},
    {"ipAddress", "ip_address", "ip_address", ACTIVITY_COL_TEXT},
};

/* ---------------------------------------------------------------- the query */

void activity_query_init(struct activity_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = ACTIVITY_LIMIT_DEFAULT;
	q->fields = ACTIVITY_FIELDS_ALL;
}

void activity_query_release(struct activity_query *q)
{
	for (size_t i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->where);
	free(q->order);
	free(q->sql);
	memset(q, 0, sizeof(*q));
}

const char *activity_field_name(enum activity_field f)
{
	return (unsigned)f < ACTIVITY_F_COUNT ? activity_cols[f].prop : "";
}

size_t activity_query_nfields(const struct activity_query *q)
{
	size_t n = 0;

	for (int f = 0; f < ACTIVITY_F_COUNT; f++)
		n += (q->fields >> f) & 1u;
	return n;
}

enum activity_field activity_query_field(const struct activity_query *q, size_t i)
{
	for (int f = 0; f < ACTIVITY_F_COUNT; f++) {
		if (!((q->fields >> f) & 1u))
			continue;
		if (i-- == 0)
			return (enum activity_field)f;
	}
	return ACTIVITY_F_COUNT;
}

int activity_col_find(const char *prop)
{
	for (int f = 0; f < ACTIVITY_F_COUNT; f++)
		if (strcmp(activity_cols[f].prop, prop) == 0)
			return f;
	return -1;
}

/* Append a parameter (takes v); its number, or -1. */
int activity_param_push(struct activity_query *q, char *v, struct err *err)
{
	char **p;

	if (v == NULL) /* the value was refused (err filled) or strdup failed */
		return err != NULL && err->code != 0 ? -1 : err_set(err, 500, "Out of memory");
	if (q->nparams >= ACTIVITY_PARAMS_MAX) {
		free(v);
		return err_set(err, 400, "The filter has too many values (at most %d)",
			       ACTIVITY_PARAMS_MAX);
	}
	p = realloc(q->params, (q->nparams + 1) * sizeof(*p));
	if (p == NULL) {
		free(v);
		return err_set(err, 500, "Out of memory");
	}
	q->params = p;
	q->params[q->nparams++] = v;
	return (int)q->nparams;
}

/* ---------------------------------------------------------------- fields, order, limits */

int activity_flag_value(const json_t *v, bool *out)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		*out = json_integer_value(v) == 1;
	else if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
		*out = true;
	else if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0))
		*out = false;
	else
		return -1;
	return 0;
}

static int fields_parse(struct activity_query *q, const json_t *v, struct err *err)
{
	unsigned on = 0, off = 0;
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			int f;

			if (!json_is_string(e))
				return err_set(err, 400, "fields entries must be property names");
			f = activity_col_find(json_string_value(e));
			if (f < 0)
				return err_set(err, 400, "Unknown property '%.64s' in fields",
					       json_string_value(e));
			on |= 1u << f;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			int f = activity_col_find(key);
			bool b;

			if (f < 0)
				return err_set(err, 400, "Unknown property '%.64s' in fields", key);
			if (activity_flag_value(e, &b) < 0)
				return err_set(err, 400, "fields.%s must be true or false", key);
			if (b)
				on |= 1u << f;
			else
				off |= 1u << f;
		}
	} else {
		return err_set(err, 400, "fields must be an object or an array");
	}
	if (on != 0)
		q->fields = on;
	else
		q->fields = ACTIVITY_FIELDS_ALL & ~off;
	if (q->fields == 0)
		return err_set(err, 400, "fields selects no property");
	return 0;
}

/* One "prop [ASC|DESC]" item, bounded by [s, e). */
static int order_item(struct sbuf *b, const char *s, const char *e, struct err *err)
{
	char prop[32], dir[8] = "ASC";
	const char *p;
	size_t n;
	int f;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	for (p = s; p < e && !isspace((unsigned char)*p); p++)
		;
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(prop))
		return err_set(err, 400, "Invalid order '%.*s'", (int)((e - s) > 64 ? 64 : e - s),
			       s);
	memcpy(prop, s, n);
	prop[n] = '\0';
	f = activity_col_find(prop);
	if (f < 0)
		return err_set(err, 400, "Unknown property '%s' in order", prop);
	while (p < e && isspace((unsigned char)*p))
		p++;
	if (p < e) {
		if ((size_t)(e - p) == 3 && strncasecmp(p, "ASC", 3) == 0)
			snprintf(dir, sizeof(dir), "ASC");
		else if ((size_t)(e - p) == 4 && strncasecmp(p, "DESC", 4) == 0)
			snprintf(dir, sizeof(dir), "DESC");
		else
			return err_set(err, 400, "Invalid order '%.*s': expected ASC or DESC",
				       (int)((e - s) > 64 ? 64 : e - s), s);
	}
	sbuf_addf(b, "%s%s %s", b->len ? ", " : "", activity_cols[f].ref, dir);
	return 0;
}

static int order_string(struct sbuf *b, const json_t *v, struct err *err)
{
	const char *s = json_string_value(v), *comma;

	if (s == NULL || strlen(s) != json_string_length(v))
		return err_set(err, 400, "order must be a string or an array of strings");
	do {
		comma = strchr(s, ',');
		if (order_item(b, s, comma ? comma : s + strlen(s), err) < 0)
			return -1;
		if (comma != NULL)
			s = comma + 1;
	} while (comma != NULL);
	return 0;
}

static int order_parse(struct activity_query *q, const json_t *v, struct err *err)
{
	struct sbuf b = SBUF_INIT(ACTIVITY_SQL_MAX);
	json_t *e;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (order_string(&b, e, err) < 0)
				goto out_free;
		}
	} else if (order_string(&b, v, err) < 0) {
		goto out_free;
	}
	free(q->order);
	q->order = sbuf_detach(&b, NULL);
	if (q->order == NULL)
		return err_set(err, 400, "order is too long");
	return 0;
out_free:
	free(sbuf_detach(&b, NULL));
	return -1;
}

static int count_parse(const char *name, const json_t *v, uint64_t max, uint64_t *out,
		       struct err *err)
{
	const char *s = json_string_value(v);
	uint64_t n = 0;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
			goto out_range;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (s == NULL || *s == '\0' || strlen(s) > 19 || strspn(s, "0123456789") != strlen(s))
		return err_set(err, 400, "%s must be a non-negative integer", name);
	for (; *s; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	if (n > max)
		goto out_range;
	*out = n;
	return 0;
out_range:
	return err_set(err, 400, "%s must be between 0 and %" PRIu64, name, max);
}

int activity_filter_parse(struct activity_query *q, const json_t *filter, struct err *err)
{
	const char *key;
	json_t *v;
	uint64_t n;
	bool have_skip = false;

	if (filter == NULL)
		return 0;
	if (!json_is_object(filter))
		return err_set(err, 400, "filter must be an object");
	json_object_foreach((json_t *)filter, key, v)
	{
		if (strcmp(key, "where") == 0) {
			if (activity_where_parse(q, v, err) < 0)
				return -1;
		} else if (strcmp(key, "fields") == 0) {
			if (fields_parse(q, v, err) < 0)
				return -1;
		} else if (strcmp(key, "order") == 0) {
			if (order_parse(q, v, err) < 0)
				return -1;
		} else if (strcmp(key, "limit") == 0) {
			if (count_parse("limit", v, ACTIVITY_LIMIT_MAX, &n, err) < 0)
				return -1;
			q->limit = n ? n : ACTIVITY_LIMIT_DEFAULT;
		} else if (strcmp(key, "skip") == 0 || strcmp(key, "offset") == 0) {
			if (count_parse(key, v, ACTIVITY_SKIP_MAX, &n, err) < 0)
				return -1;
			if (!have_skip || key[0] == 's')
				q->offset = n; /* skip wins over offset */
			have_skip = have_skip || key[0] == 's';
		} else {
			return err_set(err, 400, "Unknown property '%.64s' in filter", key);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- statements */

void activity_select_list(struct sbuf *b, unsigned fields)
{
	bool first = true;

	for (int f = 0; f < ACTIVITY_F_COUNT; f++) {
		if (!((fields >> f) & 1u))
			continue;
		sbuf_addf(b, "%s%s", first ? "" : ", ", activity_cols[f].sel);
		first = false;
	}
}

const char *activity_finish_sql(struct activity_query *q, struct sbuf *b, struct err *err)
{
	free(q->sql);
	q->sql = sbuf_detach(b, NULL);
	if (q->sql == NULL)
		err_set(err, 400, "The filter is too large");
	return q->sql;
}

const char *activity_query_sql(struct activity_query *q, enum activity_sql_kind kind,
			       struct err *err)
{
	struct sbuf b = SBUF_INIT(ACTIVITY_SQL_MAX);
	const char *where = q->where && q->where[0] ? q->where : "TRUE";
	char num[24];
	int nl, no;

	if (kind == ACTIVITY_SQL_COUNT) {
		sbuf_addf(&b, "SELECT count(*) FROM main.login_activity WHERE %s", where);
		return activity_finish_sql(q, &b, err);
	}
	sbuf_addf(&b, "SELECT ");
	activity_select_list(&b, q->fields);
	sbuf_addf(&b, " FROM main.login_activity WHERE %s", where);
	if (kind == ACTIVITY_SQL_ONE) {
		sbuf_addf(&b, " LIMIT 1");
		return activity_finish_sql(q, &b, err);
	}
	/* Default order: newest first, so a bare limit is a stable "latest N". */
	sbuf_addf(&b, " ORDER BY %s", q->order && q->order[0] ? q->order : "login_time DESC");
	snprintf(num, sizeof(num), "%" PRIu64, q->limit);
	nl = activity_param_push(q, strdup(num), err);
	if (nl < 0)
		goto out_free;
	snprintf(num, sizeof(num), "%" PRIu64, q->offset);
	no = activity_param_push(q, strdup(num), err);
	if (no < 0)
		goto out_free;
	sbuf_addf(&b, " LIMIT $%d::bigint OFFSET $%d::bigint", nl, no);
	return activity_finish_sql(q, &b, err);
out_free:
	free(sbuf_detach(&b, NULL));
	return NULL;
}

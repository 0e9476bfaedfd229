/* SPDX-License-Identifier: Apache-2.0 */
/* LoopBack where → parameterised SQL conditions (see filter.h). */
#include "activity/filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity/filter_internal.h"
#include "activity/time.h"

enum op_kind { OP_CMP, OP_LIST, OP_BETWEEN, OP_LIKE, OP_REGEXP };

static const struct op {
	const char *name;
	const char *sql;
	enum op_kind kind;
} ops[] = {
    {"eq", "=", OP_CMP},
    {"neq", "!=", OP_CMP},
    {"gt", ">", OP_CMP},
    {"gte", ">=", OP_CMP},
    {"lt", "<", OP_CMP},
    {"lte", "<=", OP_CMP},
    {"inq", "IN", OP_LIST},
    {"nin", "NOT IN", OP_LIST},
    {"between", "BETWEEN", OP_BETWEEN},
    {"like", "LIKE", OP_LIKE},
    {"nlike", "NOT LIKE", OP_LIKE},
    {"ilike", "ILIKE", OP_LIKE},
    {"nilike", "NOT ILIKE", OP_LIKE},
    {"regexp", "~", OP_REGEXP},
};

/* ---------------------------------------------------------------- values */

static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[sizeof(shape) - 1] == '\0';
}

/* The text of one value for column c, checked for its type; malloc'd. */
static char *value_text(const struct activity_col *c, const json_t *v, bool as_text,
			struct err *err)
{
	char canon[40];
	const char *s;

	if (json_is_integer(v) && c->type == ACTIVITY_COL_TEXT) {
		char num[32];

		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(num);
	}
	if (!json_is_string(v)) {
		err_set(err, 400, "Invalid value for '%s': expected a string", c->prop);
		return NULL;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		err_set(err, 400, "Invalid value for '%s': contains a NUL character", c->prop);
		return NULL;
	}
	if (c->type == ACTIVITY_COL_UUID && !as_text && !is_uuid(s)) {
		err_set(err, 400, "Invalid value for '%s': expected a UUID", c->prop);
		return NULL;
	}
	if (c->type == ACTIVITY_COL_TIME) {
		if (activity_time_parse(s, NULL, canon, sizeof(canon)) < 0) {
			err_set(err, 400, "Invalid value for '%s': expected an ISO-8601 date-time",
				c->prop);
			return NULL;
		}
		s = canon;
	}
	return strdup(s);
}

static const char *cast_of(const struct activity_col *c)
{
	return c->type == ACTIVITY_COL_UUID   ? "::uuid"
	       : c->type == ACTIVITY_COL_TIME ? "::timestamptz"
					      : "";
}

static char *regexp_pattern(const struct activity_col *c, const json_t *v, bool *icase,
			    struct err *err);

/* A LoopBack regexp string "/pat/flags" → pattern, with i → case-insensitive;
 * NULL (err) for a pattern activity_regexp_check refuses. */
static char *regexp_text(const struct activity_col *c, const json_t *v, bool *icase,
			 struct err *err)
{
	char *pat = regexp_pattern(c, v, icase, err);

	struct err why = {0};

	if (pat != NULL && activity_regexp_check(pat, &why) < 0) {
		err_set(err, 400, "Invalid value for '%s': %s", c->prop, why.msg);
		free(pat);
		return NULL;
	}
	return pat;
}

static char *regexp_pattern(const struct activity_col *c, const json_t *v, bool *icase,
			    struct err *err)
{
	const char *s = json_string_value(v), *slash;

	*icase = false;
	if (s == NULL || strlen(s) != json_string_length(v)) {
		err_set(err, 400, "Invalid value for '%s': regexp expects a string", c->prop);
		return NULL;
	}
	slash = strrchr(s, '/');
	if (s[0] == '/' && slash != NULL && slash != s &&
	    strspn(slash + 1, "igm") == strlen(slash + 1)) {
		*icase = strchr(slash + 1, 'i') != NULL;
		return strndup(s + 1, (size_t)(slash - s - 1));
	}
	return strdup(s);
}

/* ---------------------------------------------------------------- where */

struct wctx {
	struct activity_query *q;
	struct sbuf b;
	struct err *err;
};

static int where_obj(struct wctx *w, const json_t *obj, int depth);

static int emit_param(struct wctx *w, const struct activity_col *c, const json_t *v, bool as_text)
{
	int n = activity_param_push(w->q, value_text(c, v, as_text, w->err), w->err);

	if (n < 0)
		return -1;
	sbuf_addf(&w->b, "$%d%s", n, as_text ? "" : cast_of(c));
	return 0;
}

static int cond_op(struct wctx *w, const struct activity_col *c, const struct op *op,
		   const json_t *v)
{
	const char *ref = c->ref;
	size_t i;
	json_t *e;

	if (op->kind == OP_CMP && json_is_null(v)) {
		if (strcmp(op->name, "eq") != 0 && strcmp(op->name, "neq") != 0)
			return err_set(w->err, 400, "Invalid value for '%s': %s needs a value",
				       c->prop, op->name);
		sbuf_addf(&w->b, "%s IS %sNULL", ref, op->name[0] == 'n' ? "NOT " : "");
		return 0;
	}
	switch (op->kind) {
	case OP_CMP:
		sbuf_addf(&w->b, "%s %s ", ref, op->sql);
		return emit_param(w, c, v, false);
	case OP_LIST:
		if (!json_is_array(v))
			return err_set(w->err, 400, "Invalid value for '%s': %s expects an array",
				       c->prop, op->name);
		if (json_array_size(v) == 0) {
			sbuf_addf(&w->b, "%s", op->name[0] == 'n' ? "TRUE" : "FALSE");
			return 0;
		}
		sbuf_addf(&w->b, "%s %s (", ref, op->sql);
		json_array_foreach(v, i, e)
		{
			if (i > 0)
				sbuf_addf(&w->b, ", ");
			if (emit_param(w, c, e, false) < 0)
				return -1;
		}
		sbuf_addf(&w->b, ")");
		return 0;
	case OP_BETWEEN:
		if (!json_is_array(v) || json_array_size(v) != 2)
			return err_set(
			    w->err, 400,
			    "Invalid value for '%s': between expects an array of two values",
			    c->prop);
		sbuf_addf(&w->b, "%s BETWEEN ", ref);
		if (emit_param(w, c, json_array_get(v, 0), false) < 0)
			return -1;
		sbuf_addf(&w->b, " AND ");
		return emit_param(w, c, json_array_get(v, 1), false);
	case OP_LIKE:
	case OP_REGEXP:
		break;
	}
	if (c->type == ACTIVITY_COL_TIME)
		return err_set(w->err, 400, "Operator '%s' is not supported for '%s'", op->name,
			       c->prop);
	if (c->type == ACTIVITY_COL_UUID)
		sbuf_addf(&w->b, "%s::text ", ref);
	else
		sbuf_addf(&w->b, "%s ", ref);
	if (op->kind == OP_LIKE) {
		if (!json_is_string(v))
			return err_set(w->err, 400, "Invalid value for '%s': %s expects a string",
				       c->prop, op->name);
		sbuf_addf(&w->b, "%s ", op->sql);
		return emit_param(w, c, v, true);
	} else {
		bool icase;
		int n = activity_param_push(w->q, regexp_text(c, v, &icase, w->err), w->err);

		if (n < 0)
			return -1;
		sbuf_addf(&w->b, "%s $%d", icase ? "~*" : "~", n);
	}
	return 0;
}

static int cond_prop(struct wctx *w, const char *prop, const json_t *v)
{
	int f = activity_col_find(prop);
	const char *key;
	json_t *ov;
	bool first = true;

	if (f < 0)
		return err_set(w->err, 400, "Unknown property '%.64s' in where", prop);
	if (!json_is_object(v))
		return cond_op(w, &activity_cols[f], &ops[0], v);
	if (json_object_size(v) == 0)
		return err_set(w->err, 400, "Invalid value for '%s': empty condition", prop);
	sbuf_addf(&w->b, "(");
	json_object_foreach((json_t *)v, key, ov)
	{
		const struct op *op = NULL;

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(ops[i].name, key) == 0)
				op = &ops[i];
		if (op == NULL)
			return err_set(w->err, 400, "Unknown operator '%.64s' for property '%s'",
				       key, prop);
		if (!first)
			sbuf_addf(&w->b, " AND ");
		first = false;
		if (cond_op(w, &activity_cols[f], op, ov) < 0)
			return -1;
	}
	sbuf_addf(&w->b, ")");
	return 0;
}

static int cond_logic(struct wctx *w, const char *key, const json_t *v, int depth)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(w->err, 400, "'%s' in where expects a non-empty array of conditions",
			       key);
	sbuf_addf(&w->b, "(");
	json_array_foreach(v, i, e)
	{
		if (i > 0)
			sbuf_addf(&w->b, " %s ", key[0] == 'a' ? "AND" : "OR");
		if (where_obj(w, e, depth + 1) < 0)
			return -1;
	}
	sbuf_addf(&w->b, ")");
	return 0;
}

static int where_obj(struct wctx *w, const json_t *obj, int depth)
{
	const char *key;
	json_t *v;
	bool first = true;

	if (depth > ACTIVITY_DEPTH_MAX)
		return err_set(w->err, 400, "where is nested too deeply (at most %d levels)",
			       ACTIVITY_DEPTH_MAX);
	if (!json_is_object(obj))
		return err_set(w->err, 400, "where must be an object");
	if (json_object_size(obj) == 0) {
		sbuf_addf(&w->b, "TRUE");
		return 0;
	}
	sbuf_addf(&w->b, "(");
	json_object_foreach((json_t *)obj, key, v)
	{
		int rc;

		if (!first)
			sbuf_addf(&w->b, " AND ");
		first = false;
		if (strcmp(key, "and") == 0 || strcmp(key, "or") == 0)
			rc = cond_logic(w, key, v, depth);
		else
			rc = cond_prop(w, key, v);
		if (rc < 0)
			return -1;
	}
	sbuf_addf(&w->b, ")");
	return 0;
}

/* AND a new condition (malloc'd, taken) into q->where. */
static int where_and(struct activity_query *q, char *cond, struct err *err)
{
	struct sbuf b = SBUF_INIT(ACTIVITY_SQL_MAX);

	if (cond == NULL)
		return err_set(err, 400, "The filter is too large");
	if (q->where == NULL || q->where[0] == '\0') {
		free(q->where);
		q->where = cond;
		return 0;
	}
	sbuf_addf(&b, "%s AND %s", q->where, cond);
	free(cond);
	cond = sbuf_detach(&b, NULL);
	if (cond == NULL)
		return err_set(err, 400, "The filter is too large");
	free(q->where);
	q->where = cond;
	return 0;
}

int activity_where_parse(struct activity_query *q, const json_t *where, struct err *err)
{
	struct wctx w = {q, SBUF_INIT(ACTIVITY_SQL_MAX), err};

	if (where == NULL)
		return 0;
	if (where_obj(&w, where, 0) < 0) {
		free(sbuf_detach(&w.b, NULL));
		return -1;
	}
	return where_and(q, sbuf_detach(&w.b, NULL), err);
}

int activity_query_and_eq(struct activity_query *q, enum activity_field field, const char *value,
			  struct err *err)
{
	struct sbuf b = SBUF_INIT(ACTIVITY_SQL_MAX);
	const struct activity_col *c;
	int n;

	if ((unsigned)field >= ACTIVITY_F_COUNT || value == NULL)
		return err_set(err, 500, "bad field");
	c = &activity_cols[field];
	if (c->type == ACTIVITY_COL_UUID && !is_uuid(value))
		return err_set(err, 404, "not a UUID");
	if (c->type == ACTIVITY_COL_TIME && activity_time_parse(value, NULL, NULL, 0) < 0)
		return err_set(err, 400, "Invalid value for '%s'", c->prop);
	n = activity_param_push(q, strdup(value), err);
	if (n < 0)
		return -1;
	sbuf_addf(&b, "%s = $%d%s", c->ref, n, cast_of(c));
	return where_and(q, sbuf_detach(&b, NULL), err);
}

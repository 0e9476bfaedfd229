/* LoopBack filter → parameterised SQL over main.login_activity (see filter.h). */
#include "activity/filter.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col_type { T_TEXT, T_UUID, T_TIME };

/* The whitelist: the only column names that reach SQL. */
static const struct col {
	const char *prop; /* JSON name */
	const char *sel;  /* select-list expression */
	const char *ref;  /* expression in WHERE / ORDER BY */
	enum col_type type;
} cols[ACTIVITY_F_COUNT] = {
    {"id", "id::text", "id", T_UUID},
    {"actor", "actor", "actor", T_TEXT},
    {"tenantId", "tenant_id", "tenant_id", T_TEXT},
    {"loginTime", "to_char(login_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
     "login_time", T_TIME},
    {"tokenPayload", "token_payload", "token_payload", T_TEXT},
    {"loginType", "login_type", "login_type", T_TEXT},
    {"deviceInfo", "device_info", "device_info", T_TEXT},
    {"ipAddress", "ip_address", "ip_address", T_TEXT},
};

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

/* A growable string with a hard cap (curl dynbuf). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->len + (size_t)n + 1 > ACTIVITY_SQL_MAX) {
		b->failed = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + (size_t)n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Hand the text over (never NULL unless failed); the sbuf is emptied. */
static char *sb_take(struct sbuf *b)
{
	char *p = b->p;

	if (b->failed) {
		free(b->p);
		p = NULL;
	} else if (p == NULL) {
		p = calloc(1, 1);
	}
	memset(b, 0, sizeof(*b));
	return p;
}

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
	return (unsigned)f < ACTIVITY_F_COUNT ? cols[f].prop : "";
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

static int col_find(const char *prop)
{
	for (int f = 0; f < ACTIVITY_F_COUNT; f++)
		if (strcmp(cols[f].prop, prop) == 0)
			return f;
	return -1;
}

/* Append a parameter (takes v); its number, or -1. */
static int param_push(struct activity_query *q, char *v, struct err *err)
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

/* ---------------------------------------------------------------- dates */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n digits at *s into *out; advances. */
static bool digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int activity_time_parse(const char *s, int64_t *us_out, char *canon, size_t canonsz)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, days, us;

	if (s == NULL || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
	    !digits(&s, 2, &d))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (!digits(&s, 2, &sec))
				return -1;
			if (*s == '.' || *s == ',') {
				int n = 0;

				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				for (; isdigit((unsigned char)*s); s++, n++)
					if (n < 6)
						frac = frac * 10 + (*s - '0');
				for (; n < 6; n++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!digits(&s, 2, &oh))
				return -1;
			if (*s == ':')
				s++;
			if (*s != '\0' && !digits(&s, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
		}
	}
	if (*s != '\0')
		return -1;
	days = days_from_civil(y, mo, d);
	us = ((days * 86400 + h * 3600 + mi * 60 + sec) - sign * (oh * 3600 + om * 60)) * 1000000 +
	     frac;
	if (us_out != NULL)
		*us_out = us;
	if (canon != NULL) {
		int64_t dd = us / 86400000000LL, rem = us % 86400000000LL;
		int cy, cm, cd;

		if (rem < 0) {
			rem += 86400000000LL;
			dd--;
		}
		civil_from_days(dd, &cy, &cm, &cd);
		if (cy < 1 || cy > 9999)
			return -1;
		snprintf(canon, canonsz, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", cy, cm, cd,
			 (int)(rem / 3600000000LL), (int)(rem / 60000000LL % 60),
			 (int)(rem / 1000000 % 60), (int)(rem % 1000000));
	}
	return 0;
}

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
static char *value_text(const struct col *c, const json_t *v, bool as_text, struct err *err)
{
	char canon[40];
	const char *s;

	if (json_is_integer(v) && c->type == T_TEXT) {
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
	if (c->type == T_UUID && !as_text && !is_uuid(s)) {
		err_set(err, 400, "Invalid value for '%s': expected a UUID", c->prop);
		return NULL;
	}
	if (c->type == T_TIME) {
		if (activity_time_parse(s, NULL, canon, sizeof(canon)) < 0) {
			err_set(err, 400, "Invalid value for '%s': expected an ISO-8601 date-time",
				c->prop);
			return NULL;
		}
		s = canon;
	}
	return strdup(s);
}

static const char *cast_of(const struct col *c)
{
	return c->type == T_UUID ? "::uuid" : c->type == T_TIME ? "::timestamptz" : "";
}

/* A LoopBack regexp string "/pat/flags" → pattern, with i → case-insensitive. */
static char *regexp_text(const struct col *c, const json_t *v, bool *icase, struct err *err)
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

static int emit_param(struct wctx *w, const struct col *c, const json_t *v, bool as_text)
{
	int n = param_push(w->q, value_text(c, v, as_text, w->err), w->err);

	if (n < 0)
		return -1;
	sb_add(&w->b, "$%d%s", n, as_text ? "" : cast_of(c));
	return 0;
}

static int cond_op(struct wctx *w, const struct col *c, const struct op *op, const json_t *v)
{
	const char *ref = c->ref;
	size_t i;
	json_t *e;

	if (op->kind == OP_CMP && json_is_null(v)) {
		if (strcmp(op->name, "eq") != 0 && strcmp(op->name, "neq") != 0)
			return err_set(w->err, 400, "Invalid value for '%s': %s needs a value",
				       c->prop, op->name);
		sb_add(&w->b, "%s IS %sNULL", ref, op->name[0] == 'n' ? "NOT " : "");
		return 0;
	}
	switch (op->kind) {
	case OP_CMP:
		sb_add(&w->b, "%s %s ", ref, op->sql);
		return emit_param(w, c, v, false);
	case OP_LIST:
		if (!json_is_array(v))
			return err_set(w->err, 400, "Invalid value for '%s': %s expects an array",
				       c->prop, op->name);
		if (json_array_size(v) == 0) {
			sb_add(&w->b, "%s", op->name[0] == 'n' ? "TRUE" : "FALSE");
			return 0;
		}
		sb_add(&w->b, "%s %s (", ref, op->sql);
		json_array_foreach(v, i, e)
		{
			if (i > 0)
				sb_add(&w->b, ", ");
			if (emit_param(w, c, e, false) < 0)
				return -1;
		}
		sb_add(&w->b, ")");
		return 0;
	case OP_BETWEEN:
		if (!json_is_array(v) || json_array_size(v) != 2)
			return err_set(
			    w->err, 400,
			    "Invalid value for '%s': between expects an array of two values",
			    c->prop);
		sb_add(&w->b, "%s BETWEEN ", ref);
		if (emit_param(w, c, json_array_get(v, 0), false) < 0)
			return -1;
		sb_add(&w->b, " AND ");
		return emit_param(w, c, json_array_get(v, 1), false);
	case OP_LIKE:
	case OP_REGEXP:
		break;
	}
	if (c->type == T_TIME)
		return err_set(w->err, 400, "Operator '%s' is not supported for '%s'", op->name,
			       c->prop);
	if (c->type == T_UUID)
		sb_add(&w->b, "%s::text ", ref);
	else
		sb_add(&w->b, "%s ", ref);
	if (op->kind == OP_LIKE) {
		if (!json_is_string(v))
			return err_set(w->err, 400, "Invalid value for '%s': %s expects a string",
				       c->prop, op->name);
		sb_add(&w->b, "%s ", op->sql);
		return emit_param(w, c, v, true);
	} else {
		bool icase;
		int n = param_push(w->q, regexp_text(c, v, &icase, w->err), w->err);

		if (n < 0)
			return -1;
		sb_add(&w->b, "%s $%d", icase ? "~*" : "~", n);
	}
	return 0;
}

static int cond_prop(struct wctx *w, const char *prop, const json_t *v)
{
	int f = col_find(prop);
	const char *key;
	json_t *ov;
	bool first = true;

	if (f < 0)
		return err_set(w->err, 400, "Unknown property '%.64s' in where", prop);
	if (!json_is_object(v))
		return cond_op(w, &cols[f], &ops[0], v);
	if (json_object_size(v) == 0)
		return err_set(w->err, 400, "Invalid value for '%s': empty condition", prop);
	sb_add(&w->b, "(");
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
			sb_add(&w->b, " AND ");
		first = false;
		if (cond_op(w, &cols[f], op, ov) < 0)
			return -1;
	}
	sb_add(&w->b, ")");
	return 0;
}

static int cond_logic(struct wctx *w, const char *key, const json_t *v, int depth)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return err_set(w->err, 400, "'%s' in where expects a non-empty array of conditions",
			       key);
	sb_add(&w->b, "(");
	json_array_foreach(v, i, e)
	{
		if (i > 0)
			sb_add(&w->b, " %s ", key[0] == 'a' ? "AND" : "OR");
		if (where_obj(w, e, depth + 1) < 0)
			return -1;
	}
	sb_add(&w->b, ")");
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
		sb_add(&w->b, "TRUE");
		return 0;
	}
	sb_add(&w->b, "(");
	json_object_foreach((json_t *)obj, key, v)
	{
		int rc;

		if (!first)
			sb_add(&w->b, " AND ");
		first = false;
		if (strcmp(key, "and") == 0 || strcmp(key, "or") == 0)
			rc = cond_logic(w, key, v, depth);
		else
			rc = cond_prop(w, key, v);
		if (rc < 0)
			return -1;
	}
	sb_add(&w->b, ")");
	return 0;
}

/* AND a new condition (malloc'd, taken) into q->where. */
static int where_and(struct activity_query *q, char *cond, struct err *err)
{
	struct sbuf b = {0};

	if (cond == NULL)
		return err_set(err, 400, "The filter is too large");
	if (q->where == NULL || q->where[0] == '\0') {
		free(q->where);
		q->where = cond;
		return 0;
	}
	sb_add(&b, "%s AND %s", q->where, cond);
	free(cond);
	cond = sb_take(&b);
	if (cond == NULL)
		return err_set(err, 400, "The filter is too large");
	free(q->where);
	q->where = cond;
	return 0;
}

int activity_where_parse(struct activity_query *q, const json_t *where, struct err *err)
{
	struct wctx w = {q, {0}, err};

	if (where == NULL)
		return 0;
	if (where_obj(&w, where, 0) < 0) {
		free(sb_take(&w.b));
		return -1;
	}
	return where_and(q, sb_take(&w.b), err);
}

int activity_query_and_eq(struct activity_query *q, enum activity_field field, const char *value,
			  struct err *err)
{
	struct sbuf b = {0};
	const struct col *c;
	int n;

	if ((unsigned)field >= ACTIVITY_F_COUNT || value == NULL)
		return err_set(err, 500, "bad field");
	c = &cols[field];
	if (c->type == T_UUID && !is_uuid(value))
		return err_set(err, 404, "not a UUID");
	if (c->type == T_TIME && activity_time_parse(value, NULL, NULL, 0) < 0)
		return err_set(err, 400, "Invalid value for '%s'", c->prop);
	n = param_push(q, strdup(value), err);
	if (n < 0)
		return -1;
	sb_add(&b, "%s = $%d%s", c->ref, n, cast_of(c));
	return where_and(q, sb_take(&b), err);
}

/* ---------------------------------------------------------------- fields, order, limits */

static int flag_value(const json_t *v, bool *out)
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
			f = col_find(json_string_value(e));
			if (f < 0)
				return err_set(err, 400, "Unknown property '%.64s' in fields",
					       json_string_value(e));
			on |= 1u << f;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, e)
		{
			int f = col_find(key);
			bool b;

			if (f < 0)
				return err_set(err, 400, "Unknown property '%.64s' in fields", key);
			if (flag_value(e, &b) < 0)
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
	f = col_find(prop);
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
	sb_add(b, "%s%s %s", b->len ? ", " : "", cols[f].ref, dir);
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
	struct sbuf b = {0};
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
	q->order = sb_take(&b);
	if (q->order == NULL)
		return err_set(err, 400, "order is too long");
	return 0;
out_free:
	free(sb_take(&b));
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

static void select_list(struct sbuf *b, unsigned fields)
{
	bool first = true;

	for (int f = 0; f < ACTIVITY_F_COUNT; f++) {
		if (!((fields >> f) & 1u))
			continue;
		sb_add(b, "%s%s", first ? "" : ", ", cols[f].sel);
		first = false;
	}
}

static const char *finish_sql(struct activity_query *q, struct sbuf *b, struct err *err)
{
	free(q->sql);
	q->sql = sb_take(b);
	if (q->sql == NULL)
		err_set(err, 400, "The filter is too large");
	return q->sql;
}

const char *activity_query_sql(struct activity_query *q, enum activity_sql_kind kind,
			       struct err *err)
{
	struct sbuf b = {0};
	const char *where = q->where && q->where[0] ? q->where : "TRUE";
	char num[24];
	int nl, no;

	if (kind == ACTIVITY_SQL_COUNT) {
		sb_add(&b, "SELECT count(*) FROM main.login_activity WHERE %s", where);
		return finish_sql(q, &b, err);
	}
	sb_add(&b, "SELECT ");
	select_list(&b, q->fields);
	sb_add(&b, " FROM main.login_activity WHERE %s", where);
	if (kind == ACTIVITY_SQL_ONE) {
		sb_add(&b, " LIMIT 1");
		return finish_sql(q, &b, err);
	}
	/* Default order: newest first, so a bare limit is a stable "latest N". */
	sb_add(&b, " ORDER BY %s", q->order && q->order[0] ? q->order : "login_time DESC");
	snprintf(num, sizeof(num), "%" PRIu64, q->limit);
	nl = param_push(q, strdup(num), err);
	if (nl < 0)
		goto out_free;
	snprintf(num, sizeof(num), "%" PRIu64, q->offset);
	no = param_push(q, strdup(num), err);
	if (no < 0)
		goto out_free;
	sb_add(&b, " LIMIT $%d::bigint OFFSET $%d::bigint", nl, no);
	return finish_sql(q, &b, err);
out_free:
	free(sb_take(&b));
	return NULL;
}

/* ---------------------------------------------------------------- deep-object parameters */

/* Next "[seg]" at *p: seg into [*s, *e); advances. */
static bool bracket_next(const char **p, const char **s, const char **e)
{
	const char *close;

	if (**p != '[')
		return false;
	close = strchr(*p + 1, ']');
	if (close == NULL || memchr(*p + 1, '[', (size_t)(close - *p - 1)) != NULL)
		return false;
	*s = *p + 1;
	*e = close;
	*p = close + 1;
	return true;
}

/* Objects whose keys are all small integers become arrays, by index. */
static json_t *arrays_fix(json_t *v)
{
	const char *key;
	json_t *e, *arr;
	size_t n = json_object_size(v);
	json_t **slots;
	bool numeric = n > 0;

	if (!json_is_object(v))
		return v;
	json_object_foreach(v, key, e)
	{
		json_object_set_new(v, key, arrays_fix(json_incref(e)));
		if (strlen(key) > 4 || strspn(key, "0123456789") != strlen(key) || *key == '\0' ||
		    (key[0] == '0' && key[1] != '\0'))
			numeric = false;
	}
	if (!numeric)
		return v;
	slots = calloc(10000, sizeof(*slots));
	arr = json_array();
	if (slots == NULL || arr == NULL) {
		free(slots);
		json_decref(arr);
		return v;
	}
	json_object_foreach(v, key, e) slots[strtoul(key, NULL, 10)] = e;
	for (size_t i = 0; i < 10000; i++)
		if (slots[i] != NULL)
			json_array_append(arr, slots[i]);
	free(slots);
	json_decref(v);
	return arr;
}

static int deep_set(json_t *root, const char *key, const char *rest, const char *val,
		    struct err *err)
{
	json_t *cur = root;
	const char *p = rest, *s, *e;
	int depth = 0;

	while (bracket_next(&p, &s, &e)) {
		char seg[64];
		json_t *child;
		bool last = *p == '\0';

		if (++depth > ACTIVITY_DEPTH_MAX * 2 || (size_t)(e - s) >= sizeof(seg))
			return err_set(err, 400, "Parameter '%.64s' is too deep or too long", key);
		if (s == e)
			snprintf(seg, sizeof(seg), "%zu", json_object_size(cur));
		else
			snprintf(seg, sizeof(seg), "%.*s", (int)(e - s), s);
		child = json_object_get(cur, seg);
		if (last) {
			if (child != NULL)
				return err_set(err, 400, "Parameter '%.64s' is given twice", key);
			return json_object_set_new(cur, seg, json_string(val)) == 0
				   ? 0
				   : err_set(err, 400, "Parameter '%.64s' is not valid UTF-8", key);
		}
		if (child == NULL) {
			child = json_object();
			if (json_object_set_new(cur, seg, child) < 0)
				return err_set(err, 400, "Parameter '%.64s' is malformed", key);
		} else if (!json_is_object(child)) {
			return err_set(err, 400, "Parameter '%.64s' conflicts with another", key);
		}
		cur = child;
	}
	return err_set(err, 400, "Parameter '%.64s' is malformed", key);
}

int activity_param_json(const char *name, const struct kv *query, size_t nquery, json_t **out,
			struct err *err)
{
	size_t nlen = strlen(name);
	json_t *deep = NULL, *plain = NULL;

	*out = NULL;
	for (size_t i = 0; i < nquery; i++) {
		const char *k = query[i].key, *val = query[i].val ? query[i].val : "";

		if (strcmp(k, name) == 0) {
			json_error_t je;

			if (plain != NULL)
				goto out_twice;
			if (*val == '\0')
				continue;
			plain = json_loads(val, JSON_REJECT_DUPLICATES, &je);
			if (plain == NULL) {
				err_set(err, 400, "Invalid JSON in %s: %s", name, je.text);
				goto out_free;
			}
			if (!json_is_object(plain)) {
				err_set(err, 400, "%s must be a JSON object", name);
				goto out_free;
			}
		} else if (strncmp(k, name, nlen) == 0 && k[nlen] == '[') {
			if (deep == NULL && (deep = json_object()) == NULL) {
				err_set(err, 500, "Out of memory");
				goto out_free;
			}
			if (deep_set(deep, k, k + nlen, val, err) < 0)
				goto out_free;
		}
	}
	if (plain != NULL && deep != NULL) {
		err_set(err, 400, "%s is given both as JSON and in deep-object form", name);
		goto out_free;
	}
	*out = plain ? plain : deep ? arrays_fix(deep) : NULL;
	return *out != NULL;
out_twice:
	err_set(err, 400, "%s is given twice", name);
out_free:
	json_decref(plain);
	json_decref(deep);
	return -1;
}

/* ---------------------------------------------------------------- active users */

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
	if (flag_value(inc, &u->inclusion) < 0)
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
		sb_add(b, " AND %s", u->inclusion ? "FALSE" : "TRUE");
		return 0;
	}
	sb_add(b, " AND actor %sIN (", u->inclusion ? "" : "NOT ");
	if (u->by_username && u->actor_is_user_tenant)
		sb_add(b, "SELECT ut.id::text FROM main.user_tenants ut JOIN main.users us"
			  " ON us.id = ut.user_id WHERE NOT us.deleted AND NOT ut.deleted"
			  " AND lower(us.username) IN (");
	else if (u->by_username)
		sb_add(b, "SELECT us.id::text FROM main.users us WHERE NOT us.deleted"
			  " AND lower(us.username) IN (");
	json_array_foreach(u->identifiers, i, e)
	{
		int n = param_push(q, strdup(json_string_value(e)), err);

		if (n < 0)
			return -1;
		sb_add(b, u->by_username ? "%slower($%d)" : "%s$%d", i ? ", " : "", n);
	}
	sb_add(b, u->by_username ? "))" : ")");
	return 0;
}

const char *activity_users_sql(struct activity_query *q, const struct activity_users *u,
			       const char *tenant, struct err *err)
{
	struct sbuf b = {0};
	bool daily = u->range == ACTIVITY_RANGE_DAILY;
	int ns, ne, nt;

	ns = param_push(q, strdup(u->start), err);
	if (ns < 0)
		return NULL;
	ne = param_push(q, strdup(u->end), err);
	if (ne < 0)
		return NULL;
	sb_add(&b, "SELECT d, ");
	select_list(&b, ACTIVITY_FIELDS_ALL);
	sb_add(&b,
	       " FROM (SELECT DISTINCT ON (k, login_type, actor) *,"
	       " to_char(login_time AT TIME ZONE 'UTC', '%s') AS d,"
	       " date_trunc('%s', login_time AT TIME ZONE 'UTC') AS k"
	       " FROM main.login_activity"
	       " WHERE login_time BETWEEN $%d::timestamptz AND $%d::timestamptz",
	       daily ? "YYYY-MM-DD" : "MM-YYYY", daily ? "day" : "month", ns, ne);
	if (tenant != NULL) {
		nt = param_push(q, strdup(tenant), err);
		if (nt < 0)
			goto out_free;
		sb_add(&b, " AND tenant_id = $%d", nt);
	}
	if (u->has_filter && users_actor_cond(q, u, &b, err) < 0)
		goto out_free;
	sb_add(&b, " ORDER BY k, login_type, actor, login_time, id) s"
		   " ORDER BY k, login_type, login_time, id");
	return finish_sql(q, &b, err);
out_free:
	free(sb_take(&b));
	return NULL;
}

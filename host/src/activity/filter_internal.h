/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the activity query-language files (filter.c, where.c,
 * users.c); not part of the API and not to be included outside activity/.
 * Everything here is defined in filter.c.
 *
 * Same rules as filter.h: pure code, no shared mutable state, and only the
 * column names in activity_cols (and the operators in where.c) reach SQL.
 */
#ifndef AUTHSVC_ACTIVITY_FILTER_INTERNAL_H
#define AUTHSVC_ACTIVITY_FILTER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "activity/filter.h"
#include "util/err.h"
#include "util/sbuf.h"

enum activity_col_type { ACTIVITY_COL_TEXT, ACTIVITY_COL_UUID, ACTIVITY_COL_TIME };

/* One whitelisted column of main.login_activity. */
struct activity_col {
	const char *prop; /* JSON name */
	const char *sel;  /* select-list expression */
	const char *ref;  /* expression in WHERE / ORDER BY */
	enum activity_col_type type;
};

/* The whitelist, indexed by enum activity_field. */
extern const struct activity_col activity_cols[ACTIVITY_F_COUNT];

/* The enum activity_field of JSON property prop, or -1 when unknown. */
int activity_col_find(const char *prop);

/*
 * Append v (malloc'd, taken, freed on error) to q->params: its $n number,
 * or -1 with err filled. v NULL means the value was refused (err already
 * filled) or an allocation failed (500).
 */
int activity_param_push(struct activity_query *q, char *v, struct err *err);

/* A boolean given as true/false, 1/0 or "true"/"false"/"1"/"0"; 0 or -1. */
int activity_flag_value(const json_t *v, bool *out);

/* Append the select-list expressions of the fields set in fields (enum order). */
void activity_select_list(struct sbuf *b, unsigned fields);

/* Move b into q->sql and return it; NULL ("The filter is too large") if b failed. */
const char *activity_finish_sql(struct activity_query *q, struct sbuf *b, struct err *err);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bounds on a filter's `regexp` pattern before it reaches PostgreSQL (see
 * activity_regexp_check in filter.h). The pattern is a PostgreSQL advanced
 * regular expression; this walks its syntax once, enough to find the
 * constructs that make matching cost grow with more than the row's length:
 * backreferences, a repeated group that itself repeats, large counted
 * repetitions, deep nesting, and options or directors that change the
 * syntax under the walk. Anything else is left to PostgreSQL, which
 * refuses a malformed pattern (400, "Invalid regular expression").
 */
#include "activity/filter.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define REFUSE(err, ...) err_set(err, 400, "regexp: " __VA_ARGS__)

/* Index just past the bracket expression that starts at p[i] == '['. */
static size_t skip_bracket(const char *p, size_t i)
{
	i++;
	if (p[i] == '^')
		i++;
	if (p[i] == ']') /* a leading ] is a member */
		i++;
	while (p[i] != '\0' && p[i] != ']') {
		if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			char close = p[i + 1];
			const char *end = p + i + 2;

			while (*end != '\0' && !(end[0] == close && end[1] == ']'))
				end++;
			if (*end == '\0')
				return (size_t)(end - p);
			i = (size_t)(end - p) + 2;
		} else if (p[i] == '\\' && p[i + 1] != '\0') {
			i += 2;
		} else {
			i++;
		}
	}
	return p[i] == ']' ? i + 1 : i;
}

/* A {m}, {m,} or {m,n} bound at p[i]: its length (0 when this is not a
 * bound), *multi when it allows more than one repetition, and err when a
 * count is above ACTIVITY_REGEXP_REPEAT_MAX. */
static size_t bound(const char *p, size_t i, bool *multi, struct err *err)
{
	size_t j = i + 1;
	long m = 0, n = -1;

	if (!isdigit((unsigned char)p[j]))
		return 0;
	while (isdigit((unsigned char)p[j]) && m <= ACTIVITY_REGEXP_REPEAT_MAX)
		m = m * 10 + (p[j++] - '0');
	if (p[j] == ',') {
		j++;
		if (isdigit((unsigned char)p[j])) {
			n = 0;
			while (isdigit((unsigned char)p[j]) && n <= ACTIVITY_REGEXP_REPEAT_MAX)
				n = n * 10 + (p[j++] - '0');
		} else {
			n = ACTIVITY_REGEXP_REPEAT_MAX + 1; /* {m,}: no upper bound */
		}
	} else {
		n = m;
	}
	if (isdigit((unsigned char)p[j]) || m > ACTIVITY_REGEXP_REPEAT_MAX ||
	    (n > ACTIVITY_REGEXP_REPEAT_MAX && p[j - 1] != ',')) {
		REFUSE(err, "counts above %d are not allowed", ACTIVITY_REGEXP_REPEAT_MAX);
		return 0;
	}
	if (p[j] != '}')
		return 0; /* not a bound; PostgreSQL judges it */
	*multi = n > 1;
	return j + 1 - i;
}

/* Embedded options (?letters) at the start: only those that leave the
 * syntax alone. Length of the options, 0 when there are none, err set
 * when one is refused. */
static size_t leading_options(const char *p, struct err *err)
{
	size_t i = 2;

	if (p[0] != '(' || p[1] != '?' || strchr(":=!<", p[2]) != NULL)
		return 0;
	for (; p[i] != '\0' && p[i] != ')'; i++)
		if (strchr("cimnpstw", p[i]) == NULL) {
			REFUSE(err, "the option '%c' is not allowed", p[i]);
			return 0;
		}
	return p[i] == ')' ? i + 1 : i;
}

int activity_regexp_check(const char *p, struct err *err)
{
	bool inner[ACTIVITY_REGEXP_DEPTH_MAX + 1] = {false}; /* a quantifier inside group d */
	bool atom = false;	 /* the previous token can take a quantifier */
	bool atom_quant = false; /* ... and already contains one */
	bool after_quant = false;
	size_t len = strlen(p), i;
	int d = 0;

	if (len > ACTIVITY_REGEXP_LEN_MAX)
		return REFUSE(err, "longer than %d characters is not allowed",
			      ACTIVITY_REGEXP_LEN_MAX);
	if (strncmp(p, "***", 3) == 0)
		return REFUSE(err, "directors (***) are not allowed");
	i = leading_options(p, err);
	if (err->code != 0)
		return -1;
	while (i < len) {
		char c = p[i];
		bool multi = false, quant = false;
		size_t n = 1;

		if (c == '\\') {
			if (p[i + 1] >= '1' && p[i + 1] <= '9')
				return REFUSE(err, "backreferences are not allowed");
			n = p[i + 1] != '\0' ? 2 : 1;
			atom = true, atom_quant = false;
		} else if (c == '[') {
			n = skip_bracket(p, i) - i;
			atom = true, atom_quant = false;
		} else if (c == '(') {
			if (d == ACTIVITY_REGEXP_DEPTH_MAX)
				return REFUSE(err, "groups nested deeper than %d are not allowed",
					      ACTIVITY_REGEXP_DEPTH_MAX);
			if (p[i + 1] == '?') /* (?: (?= (?! (?<= (?<! */
				n = p[i + 2] == '<' ? 4 : 3;
			inner[++d] = false;
			atom = false;
		} else if (c == ')' && d > 0) {
			atom = true, atom_quant = inner[d];
			d--;
			inner[d] = inner[d] || atom_quant;
		} else if (c == '*' || c == '+' || c == '?') {
			quant = true;
			multi = c != '?';
		} else if (c == '{') {
			n = bound(p, i, &multi, err);
			if (err->code != 0)
				return -1;
			quant = n > 0;
			if (n == 0) {
				n = 1;
				atom = true, atom_quant = false;
			}
		} else if (c == '|' || c == '^' || c == '$') {
			atom = false;
		} else {
			atom = true, atom_quant = false;
		}
		if (quant && c == '?' && after_quant) {
			quant = false; /* the non-greedy mark of the quantifier before */
		} else if (quant) {
			if (atom && atom_quant && multi)
				return REFUSE(err, "nested quantifiers (a repeated group holding a "
						   "repetition) are not allowed");
			inner[d] = true; /* ?, too: (a?){50} costs what a{0,50} does */
			atom_quant = true;
		}
		after_quant = quant;
		i += n;
	}
	return 0;
}

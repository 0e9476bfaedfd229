/* SPDX-License-Identifier: Apache-2.0 */
#include "http/body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hex.h"

/* Keep: escapes that http_path_decode leaves as they are. */
static int path_keeps(int c)
{
	return c == '/' || c == '%';
}

static char *decode(const char *s, size_t len, int plus_space, int path)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				goto bad;
			hi = hex_digit((unsigned char)s[i + 1], 0);
			lo = hex_digit((unsigned char)s[i + 2], 0);
			if (hi < 0 || lo < 0)
				goto bad;
			c = hi * 16 + lo;
			if (path && path_keeps(c)) { /* stays an escape, upper case */
				out[o++] = '%';
				out[o++] = "0123456789ABCDEF"[hi];
				c = "0123456789ABCDEF"[lo];
			}
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == 0)
			goto bad;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

char *http_url_decode(const char *s, size_t len, int plus_space)
{
	return decode(s, len, plus_space, 0);
}

char *http_path_decode(const char *s, size_t len)
{
	return decode(s, len, 0, 1);
}

int http_form_each(const char *s, size_t len, int (*fn)(void *arg, char *key, char *val), void *arg)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i, eq;
		char *k, *v;

		while (end < len && s[end] != '&')
			end++;
		if (end == i) {
			i++;
			continue;
		}
		eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
		k = http_url_decode(s + i, eq - i, 1);
		v = eq < end ? http_url_decode(s + eq + 1, end - eq - 1, 1) : strdup("");
		if (k == NULL || v == NULL || *k == '\0') {
			free(k);
			free(v);
			return -1;
		}
		if (fn(arg, k, v) != 0)
			return -1;
		i = end + 1;
	}
	return 0;
}

/* A repeated key is refused, as JSON_REJECT_DUPLICATES does for JSON: two
 * readers that keep the first and the last value would see two requests. */
static int form_set(void *arg, char *key, char *val)
{
	json_t *obj = arg;
	json_t *s = json_object_get(obj, key) == NULL ? json_string(val) : NULL;
	int rc = s != NULL ? json_object_set_new(obj, key, s) : -1;

	free(key);
	free(val);
	return rc;
}

static int ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(ctype, want, n) == 0 &&
	       (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

int http_body_parse(const char *ctype, const char *data, size_t len, json_t **out, const char **msg)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	if (len == 0)
		return 0;
	if (ctype == NULL) {
		*msg = "A request body needs a Content-Type: application/json or "
		       "application/x-www-form-urlencoded";
		return 415;
	}
	if (ctype_is(ctype, "application/json")) {
		v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (v == NULL) {
			*msg = "Malformed JSON in request body";
			return 400;
		}
		if (!json_is_object(v)) {
			json_decref(v);
			*msg = "The request body must be a JSON object";
			return 422;
		}
		*out = v;
		return 0;
	}
	if (ctype_is(ctype, "application/x-www-form-urlencoded")) {
		v = json_object();
		if (v == NULL || http_form_each(data, len, form_set, v) < 0) {
			json_decref(v);
			*msg = "Malformed form body (or a key given twice)";
			return 400;
		}
		*out = v;
		return 0;
	}
	*msg = "Content-Type must be application/json or application/x-www-form-urlencoded";
	return 415;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Deep-object query-string parameters → JSON (see query_params.h). */
#include "activity/query_params.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity/filter.h"

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

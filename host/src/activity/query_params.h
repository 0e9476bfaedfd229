/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query-string parameters that carry JSON: ?filter={...} or the deep-object
 * form ?filter[where][actor]=x (the login-activity API). Pure code: no
 * shared state, any thread.
 */
#ifndef AUTHSVC_ACTIVITY_QUERY_PARAMS_H
#define AUTHSVC_ACTIVITY_QUERY_PARAMS_H

#include <stddef.h>

#include <jansson.h>

#include "http/request.h"
#include "util/err.h"

/*
 * Query-string parameter `name` as JSON: either name={json} (parsed; must be
 * an object) or the deep-object form name[a][b]=v, name[a][0]=v, name[a][]=v
 * (values stay strings; objects whose keys are all small integers become
 * arrays ordered by index). Returns 1 with *out a new reference, 0 when the
 * parameter is absent (*out NULL), -1 on malformed input (code 400).
 */
int activity_param_json(const char *name, const struct kv *query, size_t nquery, json_t **out,
			struct err *err);

#endif

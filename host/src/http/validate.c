/* SPDX-License-Identifier: Apache-2.0 */
#include "http/validate.h"

#include <stdio.h>
#include <string.h>

static bool type_ok(const json_t *v, uint32_t type)
{
	switch (type) {
	case AUTHSVC_FIELD_STRING:
		return json_is_string(v);
	case AUTHSVC_FIELD_NUMBER:
		return json_is_number(v);
	case AUTHSVC_FIELD_BOOL:
		return json_is_boolean(v);
	case AUTHSVC_FIELD_OBJECT:
		return json_is_object(v);
	default:
		return false;
	}
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case AUTHSVC_FIELD_STRING:
		return "string";
	case AUTHSVC_FIELD_NUMBER:
		return "number";
	case AUTHSVC_FIELD_BOOL:
		return "boolean";
	default:
		return "object";
	}
}

static const struct authsvc_field *field_find(const struct authsvc_field *fields, const char *name)
{
	for (const struct authsvc_field *f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

bool http_body_validate(struct authsvc_req *req, const struct authsvc_field *fields, bool open)
{
	char msg[192];
	const char *key;
	json_t *v;

	for (const struct authsvc_field *f = fields; f->name != NULL; f++) {
		v = req->body ? json_object_get(req->body, f->name) : NULL;
		if (v == NULL || json_is_null(v)) {
			if (!f->required)
				continue;
			snprintf(msg, sizeof(msg), "must have required property '%s'", f->name);
			req_fail_validation(req, "", "required", msg);
			return false;
		}
		if (!type_ok(v, f->type)) {
			snprintf(msg, sizeof(msg), "must be %s", type_name(f->type));
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " (/%s)", f->name);
			req_fail_validation(req, f->name, "type", msg);
			return false;
		}
	}
	if (open || req->body == NULL)
		return true;
	json_object_foreach(req->body, key, v)
	{
		if (field_find(fields, key) == NULL) {
			snprintf(msg, sizeof(msg), "must NOT have additional properties ('%.100s')",
				 key);
			req_fail_validation(req, "", "additionalProperties", msg);
			return false;
		}
	}
	return true;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "http/request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/reload.h"
#include "log/log.h"

void req_init(struct authsvc_req *req, struct app *app)
{
	memset(req, 0, sizeof(*req));
	req->app = app;
	req->status = 500;
}

void req_release(struct authsvc_req *req)
{
	if (req->body != NULL)
		json_decref(req->body);
	if (req->reply != NULL)
		json_decref(req->reply);
	if (req->bearer != NULL)
		json_decref(req->bearer);
	config_snap_unref(req->snap);
	req->snap = NULL;
	arena_release(&req->arena);
}

const char *req_header(const struct authsvc_req *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].key, name) == 0)
			return req->headers[i].val;
	return NULL;
}

const char *req_query(const struct authsvc_req *req, const char *key)
{
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].key, key) == 0)
			return req->query[i].val;
	return NULL;
}

const char *req_body_str(const struct authsvc_req *req, const char *key)
{
	json_t *v = req->body ? json_object_get(req->body, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

char *req_strdup(struct authsvc_req *req, const char *s)
{
	return arena_strdup(&req->arena, s);
}

int req_add_header(struct authsvc_req *req, const char *name, const char *value)
{
	struct kv *h;

	if (req->nreply_headers >= sizeof(req->reply_headers) / sizeof(req->reply_headers[0]))
		return -1;
	h = &req->reply_headers[req->nreply_headers];
	h->key = req_strdup(req, name);
	h->val = req_strdup(req, value);
	if (h->key == NULL || h->val == NULL)
		return -1;
	req->nreply_headers++;
	return 0;
}

void req_reply_json(struct authsvc_req *req, int status, json_t *body)
{
	if (req->reply != NULL)
		json_decref(req->reply);
	req->reply = body;
	req->status = status;
	req->location = NULL;
	req->replied = true;
}

void req_reply_empty(struct authsvc_req *req, int status)
{
	req_reply_json(req, status, NULL);
}

void req_reply_redirect(struct authsvc_req *req, int status, const char *url)
{
	req_reply_json(req, status, NULL);
	req->location = req_strdup(req, url);
}

static const struct {
	int status;
	const char *name;
} error_names[] = {
    {400, "BadRequestError"},
    {401, "UnauthorizedError"},
    {403, "ForbiddenError"},
    {404, "NotFoundError"},
    {405, "MethodNotAllowedError"},
    {408, "RequestTimeoutError"},
    {409, "ConflictError"},
    {413, "PayloadTooLargeError"},
    {415, "UnsupportedMediaTypeError"},
    {422, "UnprocessableEntityError"},
    {429, "TooManyRequestsError"},
    {431, "RequestHeaderFieldsTooLargeError"},
    {500, "InternalServerError"},
    {501, "NotImplementedError"},
    {502, "BadGatewayError"},
    {503, "ServiceUnavailableError"},
};

const char *http_error_name(int status)
{
	for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
		if (error_names[i].status == status)
			return error_names[i].name;
	return status >= 500 ? "InternalServerError" : "BadRequestError";
}

static json_t *error_object(int status, const char *message)
{
	return json_pack("{s:i, s:s, s:s}", "statusCode", status, "name", http_error_name(status),
			 "message", message);
}

enum authsvc_status req_fail(struct authsvc_req *req, int status, const char *message)
{
	req_reply_json(req, status, json_pack("{s:o}", "error", error_object(status, message)));
	return AUTHSVC_OK;
}

enum authsvc_status req_fail_validation(struct authsvc_req *req, const char *path, const char *code,
					const char *message)
{
	json_t *err = error_object(422, "The request body is invalid. See error object `details` "
					"property for more info.");

	json_object_set_new(err, "code", json_string("VALIDATION_FAILED"));
	json_object_set_new(
	    err, "details",
	    json_pack("[{s:s, s:s, s:s}]", "path", path, "code", code, "message", message));
	req_reply_json(req, 422, json_pack("{s:o}", "error", err));
	return AUTHSVC_OK;
}

void req_fail_status(struct authsvc_req *req, enum authsvc_status st)
{
	switch (st) {
	case AUTHSVC_OK:
		req_fail(req, 500, "Internal Server Error");
		break;
	case AUTHSVC_DENIED:
	case AUTHSVC_NOT_FOUND:
	case AUTHSVC_DECLINED:
		req_fail(req, 401, "Invalid Credentials");
		break;
	case AUTHSVC_DISABLED:
		req_fail(req, 401, "UserInactive");
		break;
	case AUTHSVC_INVALID:
		req_fail(req, 422, "The request body is invalid.");
		break;
	case AUTHSVC_THROTTLED:
		if (req->retry_after <= 0)
			req->retry_after = 1;
		req_fail(req, 429, "Too many attempts. Please retry later.");
		break;
	case AUTHSVC_UNAVAILABLE:
		if (req->retry_after <= 0)
			req->retry_after = 1;
		req_fail(req, 503, "Service temporarily unavailable. Please retry.");
		break;
	case AUTHSVC_EXPIRED:
		req_fail(req, 401, "Otp Token Incorrect or Expired");
		break;
	case AUTHSVC_ERROR:
	default:
		req_fail(req, 500, "Internal Server Error");
		break;
	}
}

enum authsvc_status req_store_status(struct authsvc_req *req, const struct err *err)
{
	int code = err != NULL ? err->code : 0;

	log_error("store error req=%s status=%d detail=%s", req->id, code == 503 ? 503 : 500,
		  LOG_Q(err != NULL && err->msg[0] != '\0' ? err->msg : "(none)"));
	return code == 503 ? AUTHSVC_UNAVAILABLE : AUTHSVC_ERROR;
}

enum authsvc_status req_fail_store(struct authsvc_req *req, const struct err *err)
{
	req_fail_status(req, req_store_status(req, err));
	return AUTHSVC_OK;
}

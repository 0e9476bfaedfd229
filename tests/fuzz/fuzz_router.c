/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the router's path matcher (host/src/http/router.c) and
 * body validation against a route's field schema (host/src/http/validate.c).
 *
 * The router holds a copy of the real route table: the core routes
 * (host/src/core/routes.c), the login-activity routes
 * (host/src/activity/handlers.c) and the local plugin's routes, with their
 * field schemas. core_routes_register itself is not used: it would pull in
 * every handler, the store and libpq.
 *
 * Input: byte 0 picks the method; the bytes up to the next NUL are the
 * (already percent-decoded) path; whatever follows the NUL is a JSON body
 * validated against every schema, closed and open. A match must be
 * explainable: substituting the captured params (with '/' and '%' encoded
 * again as %2F and %25) into the route's pattern
 * gives back the path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "http/validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S AUTHSVC_FIELD_STRING
static const struct authsvc_field token_fields[] = {{"clientId", S, 1}, {"code", S, 1}, {0}};
static const struct authsvc_field refresh_fields[] = {
    {"refreshToken", S, 1}, {"tenantId", S, 0}, {0}};
static const struct authsvc_field logout_fields[] = {{"refreshToken", S, 0}, {0}};
static const struct authsvc_field change_fields[] = {
    {"refreshToken", S, 0}, {"username", S, 0}, {"password", S, 0}, {"oldPassword", S, 0}, {0}};
static const struct authsvc_field login_fields[] = {
    {"client_id", S, 1}, {"client_secret", S, 0}, {"username", S, 1}, {"password", S, 1}, {0}};
#undef S
static const struct authsvc_field mixed_fields[] = {{"s", AUTHSVC_FIELD_STRING, 1},
						    {"n", AUTHSVC_FIELD_NUMBER, 0},
						    {"b", AUTHSVC_FIELD_BOOL, 0},
						    {"o", AUTHSVC_FIELD_OBJECT, 0},
						    {0}};

static const struct route table[] = {
    {M_POST, "/auth/token", NULL, NULL, NULL, 0, token_fields, NULL},
    {M_POST, "/auth/token-refresh", NULL, NULL, NULL, 0, refresh_fields, NULL},
    {M_POST, "/auth/token-switch", NULL, NULL, NULL, ROUTE_BEARER, refresh_fields, NULL},
    {M_GET, "/auth/me", NULL, NULL, NULL, ROUTE_BEARER | ROUTE_ON_LOOP, NULL, NULL},
    {M_PATCH, "/auth/change-password", NULL, NULL, NULL, ROUTE_BEARER, change_fields, NULL},
    {M_POST, "/logout", NULL, NULL, NULL, ROUTE_BEARER, logout_fields, NULL},
    {M_GET, "/logout/redirect", NULL, NULL, NULL, 0, NULL, NULL},
    {M_GET, "/health", NULL, NULL, NULL, ROUTE_ON_LOOP, NULL, NULL},
    {M_GET, "/ready", NULL, NULL, NULL, 0, NULL, NULL},
    {M_GET, "/.well-known/jwks.json", NULL, NULL, NULL, ROUTE_ON_LOOP, NULL, NULL},
    {M_GET, "/openapi.json", NULL, NULL, NULL, ROUTE_ON_LOOP, NULL, NULL},
    {M_GET, "/login-activity", NULL, NULL, NULL, ROUTE_BEARER, NULL, "ViewLoginActivity"},
    {M_GET, "/login-activity/count", NULL, NULL, NULL, ROUTE_BEARER, NULL, "ViewLoginActivity"},
    {M_GET, "/login-activity/{id}", NULL, NULL, NULL, ROUTE_BEARER, NULL, "ViewLoginActivity"},
    {M_GET, "/active-users/{range}", NULL, NULL, NULL, ROUTE_BEARER, NULL, "ViewLoginActivity"},
    {M_POST, "/auth/login", NULL, NULL, NULL, AUTHSVC_ROUTE_CLIENT_AUTH, login_fields, NULL},
    {M_POST, "/auth/login-token", NULL, NULL, NULL, AUTHSVC_ROUTE_CLIENT_AUTH, login_fields, NULL},
    /* two params in one path, as a plugin may register */
    {M_DELETE, "/t/{tenant}/users/{user}", NULL, NULL, NULL, 0, mixed_fields, NULL},
};
#define NROUTES (sizeof(table) / sizeof(table[0]))

static struct router router;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char msg[128];

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NROUTES; i++)
		if (router_add(&router, &table[i], msg, sizeof(msg)) < 0)
			abort();
	/* a duplicate is refused */
	if (router_add(&router, &table[0], msg, sizeof(msg)) == 0 || router.n != NROUTES)
		abort();
	return 0;
}

/* A path segment as the router hands it out: %2F and %25 decoded (the
 * path keeps them as escapes, http_path_decode). 1 when it equals p. */
static int segment_is(const char *seg, size_t len, const char *p)
{
	size_t i = 0;

	while (i < len) {
		char c = seg[i];

		if (c == '%' && len - i >= 3 && seg[i + 1] == '2' &&
		    (seg[i + 2] == 'F' || seg[i + 2] == '5')) {
			c = seg[i + 2] == 'F' ? '/' : '%';
			i += 3;
		} else {
			i++;
		}
		if (*p++ != c)
			return 0;
	}
	return *p == '\0';
}

/* The pattern with {x} replaced by the captured params, compared with path. */
static void check_match(const struct route *rt, const struct authsvc_req *req)
{
	const char *pat = rt->path, *path = req->path;
	int np = 0;

	while (*pat != '\0') {
		if (*pat == '{') {
			const char *p = req->params[np++];
			size_t n;

			if (np > 2 || p == NULL || p[0] == '\0')
				abort();
			n = strcspn(path, "/"); /* a decoded %2F is no separator */
			if (!segment_is(path, n, p))
				abort();
			path += n;
			pat = strchr(pat, '}') + 1;
			continue;
		}
		if (*pat++ != *path++)
			abort();
	}
	if (*path != '\0')
		abort();
	if (np < 2 && req->params[np] != NULL)
		abort();
}

static void route_path(enum req_method m, char *path)
{
	struct authsvc_req req;
	const struct route *rt;

	req_init(&req, NULL);
	req.method = m;
	req.path = path;
	rt = router_match(&router, &req);
	if (rt != NULL) {
		if (rt < router.routes || rt >= router.routes + router.n || rt->method != m)
			abort();
		check_match(rt, &req);
	}
	if (rt != NULL && !router_path_known(&router, path))
		abort();
	req_release(&req);
}

static void validate(json_t *body, const struct authsvc_field *fields, bool open)
{
	struct authsvc_req req;
	bool ok;

	req_init(&req, NULL);
	req.body = json_incref(body);
	ok = http_body_validate(&req, fields, open);
	if (ok == req.replied)
		abort();
	if (!ok && (req.status != 422 || !json_is_object(req.reply)))
		abort();
	req_release(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	size_t plen;
	char *path;

	if (size == 0)
		return 0;
	data++;
	size--;
	nul = memchr(data, '\0', size);
	plen = nul ? (size_t)(nul - data) : size;
	path = malloc(plen + 1);
	if (path == NULL)
		return 0;
	memcpy(path, data, plen);
	path[plen] = '\0';
	route_path((enum req_method)(data[-1] % (M_OTHER + 1)), path);
	free(path);

	if (nul != NULL) {
		const char *json = (const char *)nul + 1;
		size_t jlen = size - plen - 1;
		json_t *body = json_loadb(json, jlen, JSON_REJECT_DUPLICATES, NULL);

		if (json_is_object(body)) {
			for (size_t i = 0; i < NROUTES; i++) {
				if (table[i].fields == NULL)
					continue;
				validate(body, table[i].fields, false);
				validate(body, table[i].fields, true);
			}
		}
		validate(NULL, login_fields, false); /* an empty body */
		json_decref(body);
	}
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The core's route table and the OpenAPI document built from all routes. */
#include "core/app.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/handlers.h"
#include "core/otp.h"
#include "plugins/loader.h"

#define S AUTHSVC_FIELD_STRING

static const struct authsvc_field token_fields[] = {
    {"clientId", S, 1}, {"code", S, 1}, {"code_verifier", S, 0}, {0}};
static const struct authsvc_field refresh_fields[] = {
    {"refreshToken", S, 1}, {"tenantId", S, 0}, {0}};
static const struct authsvc_field logout_fields[] = {{"refreshToken", S, 0}, {0}};
static const struct authsvc_field change_fields[] = {
    {"refreshToken", S, 0}, {"username", S, 0}, {"password", S, 0}, {"oldPassword", S, 0}, {0}};

static const struct authsvc_field verify_otp_fields[] = {
    {"key", S, 1}, {"otp", S, 1}, {"clientId", S, 0}, {"code", S, 0}, {0}};

/* account flows (handlers_reset.c, handlers_signup.c): the seed's DTOs */
static const struct authsvc_field forget_fields[] = {
    {"username", S, 1}, {"client_id", S, 1}, {"client_secret", S, 1}, {0}};
static const struct authsvc_field reset_fields[] = {
    {"token", S, 1}, {"password", S, 1}, {"client_id", S, 1}, {"client_secret", S, 1}, {0}};
static const struct authsvc_field signup_token_fields[] = {{"client_id", S, 1},
							   {"client_secret", S, 0},
							   {"email", S, 1},
							   {"data", AUTHSVC_FIELD_OBJECT, 0},
							   {0}};
static const struct authsvc_field signup_user_fields[] = {{"email", S, 1},
							  {"password", S, 1},
							  {"username", S, 0},
							  {"firstName", S, 0},
							  {"lastName", S, 0},
							  {"phone", S, 0},
							  {0}};
static const struct authsvc_field signup_fast_fields[] = {{"client_id", S, 1},
							  {"client_secret", S, 0},
							  {"username", S, 1},
							  {"password", S, 0},
							  {"email", S, 0},
							  {"phone", S, 0},
							  {0}};

#undef S

static const struct route core_routes[] = {
    {M_POST, "/auth/token", h_token, NULL, NULL, 0, token_fields, NULL},
    {M_POST, "/auth/token-refresh", h_token_refresh, NULL, NULL, 0, refresh_fields, NULL},
    {M_POST, "/auth/token-switch", h_token_switch, NULL, NULL, ROUTE_BEARER, refresh_fields, NULL},
    {M_GET, "/auth/me", h_me, NULL, NULL, ROUTE_BEARER | ROUTE_ON_LOOP, NULL, NULL},
    {M_PATCH, "/auth/change-password", h_change_password, NULL, NULL, ROUTE_BEARER, change_fields,
     NULL},
    {M_POST, "/logout", h_logout, NULL, NULL, ROUTE_BEARER, logout_fields, NULL},
    {M_GET, "/logout/redirect", h_logout_redirect, NULL, NULL, 0, NULL, NULL},
    {M_POST, "/auth/verify-otp", h_verify_otp, NULL, NULL, 0, verify_otp_fields, NULL},
    {M_POST, "/auth/forget-password", h_forget_password, NULL, NULL, AUTHSVC_ROUTE_CLIENT_AUTH,
     forget_fields, NULL},
    {M_GET, "/auth/verify-reset-password-link", h_verify_reset_link, NULL, NULL, 0, NULL, NULL},
    {M_PATCH, "/auth/reset-password", h_reset_password, NULL, NULL, AUTHSVC_ROUTE_CLIENT_AUTH,
     reset_fields, NULL},
    {M_POST, "/auth/signup/create-token", h_signup_create_token, NULL, NULL,
     AUTHSVC_ROUTE_CLIENT_AUTH, signup_token_fields, NULL},
    {M_GET, "/auth/signup/verify-token", h_signup_verify_token, NULL, NULL, 0, NULL, NULL},
    {M_POST, "/auth/signup/create-user", h_signup_create_user, NULL, NULL, AUTHSVC_ROUTE_OPEN_BODY,
     signup_user_fields, NULL},
    {M_POST, "/auth/signup/fast", h_signup_fast, NULL, NULL, AUTHSVC_ROUTE_CLIENT_AUTH,
     signup_fast_fields, NULL},
    {M_GET, "/health", h_health, NULL, NULL, ROUTE_ON_LOOP | ROUTE_ANY_TIME, NULL, NULL},
    {M_GET, "/ready", h_ready, NULL, NULL, 0, NULL, NULL},
    {M_GET, "/.well-known/jwks.json", h_jwks, NULL, NULL, ROUTE_ON_LOOP, NULL, NULL},
    {M_GET, "/openapi.json", h_openapi, NULL, NULL, ROUTE_ON_LOOP, NULL, NULL},
};

int core_routes_register(struct app *app, char *msg, size_t msgsz)
{
	for (size_t i = 0; i < sizeof(core_routes) / sizeof(core_routes[0]); i++) {
		struct route r = core_routes[i];

		r.state = app;
		if (router_add(&app->router, &r, msg, msgsz) < 0)
			return -1;
	}
	return 0;
}

static json_t *body_schema(const struct authsvc_field *fields, bool open)
{
	json_t *props = json_object(), *req = json_array();
	static const char *const types[] = {"", "string", "number", "boolean", "object"};

	for (const struct authsvc_field *f = fields; f->name != NULL; f++) {
		json_object_set_new(props, f->name,
				    json_pack("{s:s}", "type", types[f->type <= 4 ? f->type : 0]));
		if (f->required)
			json_array_append_new(req, json_string(f->name));
	}
	return json_pack("{s:s, s:o, s:o, s:b}", "type", "object", "properties", props, "required",
			 req, "additionalProperties", open);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

json_t *core_openapi_build(const struct app *app)
{
	json_t *paths = json_object();

	for (size_t i = 0; i < app->router.n; i++) {
		const struct route *r = &app->router.routes[i];
		json_t *item = json_object_get(paths, r->path), *op;
		char method[16];

		if (item == NULL) {
			item = json_object();
			json_object_set_new(paths, r->path, item);
		}
		snprintf(method, sizeof(method), "%s", http_method_name(r->method));
		lower(method);
		op = json_pack("{s:{s:{s:s}}}", "responses", "default", "description",
			       "See the error envelope");
		if (r->flags & ROUTE_BEARER)
			json_object_set_new(op, "security", json_pack("[{s:[]}]", "HTTPBearer"));
		if (r->fields != NULL) {
			json_t *schema =
			    body_schema(r->fields, (r->flags & AUTHSVC_ROUTE_OPEN_BODY) != 0);
			json_t *content = json_object();

			if (!(r->flags & AUTHSVC_ROUTE_FORM_ONLY))
				json_object_set_new(content, "application/json",
						    json_pack("{s:O}", "schema", schema));
			json_object_set_new(content, "application/x-www-form-urlencoded",
					    json_pack("{s:O}", "schema", schema));
			json_decref(schema);
			json_object_set_new(op, "requestBody",
					    json_pack("{s:o}", "content", content));
		}
		if (r->plugin != NULL)
			json_object_set_new(op, "x-authsvc-plugin",
					    json_string(r->plugin->desc->name));
		json_object_set_new(item, method, op);
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}}}", "openapi", "3.0.0",
			 "info", "title", "authsvc", "version", AUTHSVC_VERSION, "paths", paths,
			 "components", "securitySchemes", "HTTPBearer", "type", "http", "scheme",
			 "bearer", "bearerFormat", "JWT");
}

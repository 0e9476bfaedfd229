/* The host API table handed to every plugin: thin, checked wrappers over the core. */
#include "plugins/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/finish.h"
#include "core/login.h"
#include "core/otp.h"
#include "http/request.h"
#include "http/router.h"
#include "log/log.h"
#include "tokens/opaque.h"

__attribute__((format(printf, 3, 4))) static void api_log(struct authsvc_req *req, int level,
							  const char *fmt, ...)
{
	char prefix[160];
	const char *name = "?";
	va_list ap;

	if (level < AUTHSVC_LOG_ERROR || level > AUTHSVC_LOG_DEBUG)
		level = AUTHSVC_LOG_INFO;
	if (req != NULL && req->route != NULL && req->route->plugin != NULL)
		name = req->route->plugin->cfg.pc->name; /* the instance */
	snprintf(prefix, sizeof(prefix), "plugin=%s req=%s ", name, req ? req->id : "-");
	va_start(ap, fmt);
	log_vmsg((enum log_level)level, prefix, fmt, ap);
	va_end(ap);
}

static const char *api_cfg_str(const struct authsvc_cfg *cfg, const char *key)
{
	const struct authsvc_setting *s;
	const char *v;

	if (config_plugin_str(cfg->pc, key, &v) == 0)
		return v;
	for (s = cfg->schema; s != NULL && s->key != NULL; s++)
		if (strcmp(s->key, key) == 0)
			return s->def_str;
	return NULL;
}

static int64_t api_cfg_int(const struct authsvc_cfg *cfg, const char *key)
{
	const struct authsvc_setting *s;
	int64_t v;
	bool b;

	for (s = cfg->schema; s != NULL && s->key != NULL; s++) {
		if (strcmp(s->key, key) != 0)
			continue;
		if (s->type == AUTHSVC_SET_BOOL)
			return config_plugin_bool(cfg->pc, key, &b) == 0 ? b : s->def_int;
		return config_plugin_int(cfg->pc, key, &v) == 0 ? v : s->def_int;
	}
	return 0;
}

static const char *api_req_body_str(struct authsvc_req *req, const char *key)
{
	return req_body_str(req, key);
}

static const json_t *api_req_body(struct authsvc_req *req)
{
	return req->body;
}

static const char *api_req_query(struct authsvc_req *req, const char *key)
{
	return req_query(req, key);
}

static const char *api_req_header(struct authsvc_req *req, const char *name)
{
	return req_header(req, name);
}

static void *api_req_alloc(struct authsvc_req *req, size_t n)
{
	return arena_alloc(&req->arena, n);
}

static int api_reply_json(struct authsvc_req *req, int status, json_t *body)
{
	if (status < 200 || status > 599) {
		json_decref(body);
		return -1;
	}
	req_reply_json(req, status, body);
	return 0;
}

static int api_reply_redirect(struct authsvc_req *req, int status, const char *url)
{
	if (status < 300 || status > 308 || url == NULL)
		return -1;
	req_reply_redirect(req, status, url);
	return 0;
}

static int api_reply_error(struct authsvc_req *req, int status, const char *message)
{
	if (status < 400 || status > 599 || message == NULL)
		return -1;
	req_fail(req, status, message);
	return 0;
}

static int api_random_bytes(void *buf, size_t n)
{
	return tokens_random_bytes(buf, n);
}

static void api_wipe(void *buf, size_t n)
{
	OPENSSL_cleanse(buf, n);
}

static const char *api_instance_name(const struct authsvc_cfg *cfg)
{
	return cfg != NULL ? cfg->pc->name : NULL;
}

static int api_route_add(const struct authsvc_cfg *cfg, const struct authsvc_route *route)
{
	if (cfg == NULL || cfg->pl == NULL)
		return -1;
	return plugin_route_add(cfg->pl, route);
}

/* The 1.1 spelling of a sign-up send: a space name the plugin chose. */
static const char *legacy_space(const char *space, uint32_t *flags)
{
	if (space != NULL && strcmp(space, "passwordless-signup") == 0) {
		*flags |= AUTHSVC_OTP_SIGNUP;
		return "passwordless";
	}
	return space;
}

static enum authsvc_status api_otp_send(struct authsvc_req *req, const char *space, const char *key)
{
	uint32_t flags = 0;

	space = legacy_space(space, &flags);
	return core_otp_send(req, space, key, flags);
}

static enum authsvc_status api_otp_check(struct authsvc_req *req, const char *space,
					 const char *key, const char *otp,
					 struct authsvc_identity *who_out)
{
	uint32_t flags = 0;

	space = legacy_space(space, &flags);
	return core_otp_check(req, space, key, otp, flags, who_out);
}

const struct authsvc_host host_api = {
    AUTHSVC_HOST_HEADER,
    .log = api_log,
    .cfg_str = api_cfg_str,
    .cfg_int = api_cfg_int,
    .req_body_str = api_req_body_str,
    .req_body = api_req_body,
    .req_query = api_req_query,
    .req_header = api_req_header,
    .req_alloc = api_req_alloc,
    .reply_json = api_reply_json,
    .reply_redirect = api_reply_redirect,
    .reply_error = api_reply_error,
    .password_verify = core_password_verify,
    .complete_login = core_complete_login,
    .random_bytes = api_random_bytes,
    .wipe = api_wipe,
    .user_find = core_user_find,
    .otp_send = api_otp_send,
    .otp_check = api_otp_check,
    .secret_get = core_secret_get,
    .secret_set = core_secret_set,
    .secret_use_step = core_secret_use_step,
    .mfa_lookup = core_mfa_lookup,
    /* 1.2 */
    .instance_name = api_instance_name,
    .route_add = api_route_add,
    .otp_send_ex = core_otp_send,
    .otp_check_ex = core_otp_check,
};

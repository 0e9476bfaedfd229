/* SPDX-License-Identifier: Apache-2.0 */
/* The host API table handed to every plugin: thin, checked wrappers over the core. */
#include "plugins/loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/finish.h"
#include "core/login.h"
#include "core/otp.h"
#include "core/social.h"
#include "http/request.h"
#include "http/router.h"
#include "log/log.h"
#include "tokens/opaque.h"
#include "util/sbuf.h"

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

/* A string setting, or the default, or NULL when empty. */
static const char *oidc_str(const struct authsvc_cfg *cfg, const char *key, const char *def)
{
	const char *v = api_cfg_str(cfg, key);

	if (v == NULL || v[0] == '\0')
		v = def;
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* tmpl with each {name} replaced by the instance's string setting name:
 * 0 (out filled), or -1 with err naming the setting that is missing. */
static int fill_placeholders(const struct authsvc_cfg *cfg, const char *tmpl, struct sbuf *out,
			     struct authsvc_err *err)
{
	const char *p = tmpl;

	while (*p != '\0') {
		const char *open = strchr(p, '{'), *close, *v;
		char key[64];

		if (open == NULL) {
			sbuf_addstr(out, p);
			break;
		}
		close = strchr(open, '}');
		if (close == NULL || (size_t)(close - open - 1) >= sizeof(key)) {
			sbuf_addstr(out, p);
			break;
		}
		sbuf_add(out, p, (size_t)(open - p));
		memcpy(key, open + 1, (size_t)(close - open - 1));
		key[close - open - 1] = '\0';
		v = oidc_str(cfg, key, NULL);
		if (v == NULL || strpbrk(v, "/?#@ ") != NULL) {
			snprintf(err->msg, sizeof(err->msg), "setting %s is needed for the issuer",
				 key);
			return -1;
		}
		sbuf_addstr(out, v);
		p = close + 1;
	}
	return sbuf_failed(out) ? -1 : 0;
}

static const char *const multi_segments[] = {"/common/", "/organizations/", "/consumers/"};

/* An issuer path naming no single tenant: the segment in it, or NULL. */
static const char *multi_tenant(const char *issuer, size_t *seg_len)
{
	for (size_t i = 0; i < sizeof(multi_segments) / sizeof(multi_segments[0]); i++) {
		const char *at = strstr(issuer, multi_segments[i]);

		if (at != NULL) {
			*seg_len = strlen(multi_segments[i]);
			return at;
		}
	}
	return NULL;
}

/* A key file of at most 16 KiB, NUL-terminated, into *out (malloc'd). */
static int read_small_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return -1;
	buf = calloc(1, 16385);
	n = buf != NULL ? fread(buf, 1, 16384, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n == 16384) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* The outbound HTTP settings every provider instance has. */
static void provider_http(const struct authsvc_cfg *cfg, bool allow_http,
			  struct outbound_opts *http)
{
	http->connect_timeout_ms = (long)api_cfg_int(cfg, "connect_timeout_ms");
	http->timeout_ms = (long)api_cfg_int(cfg, "timeout_ms");
	http->allow_http = allow_http;
	http->ca_file = oidc_str(cfg, "ca_file", NULL);
}

/* 0 when every configured URL of urls[0..n) may be called, else -1 with
 * err naming the first that may not. */
static int provider_urls_allowed(const char *const *urls, size_t n, bool allow_http,
				 struct authsvc_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (urls[i] != NULL && !outbound_url_allowed(urls[i], allow_http)) {
			snprintf(err->msg, sizeof(err->msg),
				 "%s must be https (http only on loopback with allow_http)",
				 urls[i]);
			return -1;
		}
	}
	return 0;
}

static int api_oidc_new(const struct authsvc_cfg *cfg, const struct authsvc_oidc_defaults *d,
			void *state, struct authsvc_oidc **out, struct authsvc_err *err)
{
	struct sbuf issuer = SBUF_INIT(2048), discovery = SBUF_INIT(2100),
		    tenant_tmpl = SBUF_INIT(2100);
	const char *tmpl, *auth, *urls[6], *seg;
	size_t seg_len = 0;
	struct social_conf sc = {0};
	struct social_provider *sp;
	struct err e = {0};
	uint32_t dflags = 0;
	char *pem = NULL;
	bool allow_http;
	int rc = -1;

	if (cfg == NULL || d == NULL || out == NULL ||
	    d->size <
		offsetof(struct authsvc_oidc_defaults, claims_check) + sizeof(d->claims_check)) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "oidc_new: bad arguments");
		return -1;
	}
	allow_http = api_cfg_int(cfg, "allow_http") != 0;
	tmpl = oidc_str(cfg, "issuer", d->issuer);
	if (tmpl != NULL && fill_placeholders(cfg, tmpl, &issuer, err) < 0)
		goto out;
	sc.oidc.name = cfg->pc->name;
	sc.oidc.issuer = issuer.len > 0 ? sbuf_str(&issuer) : NULL;
	sc.oidc.discovery_url = oidc_str(cfg, "discovery_url", NULL);
	if (sc.oidc.issuer != NULL && d->issuer_template != NULL &&
	    (seg = multi_tenant(sc.oidc.issuer, &seg_len)) != NULL) {
		/* a multi-tenant endpoint (Azure's common, organizations): its
		 * discovery names no one issuer; ID tokens are checked against
		 * the configured issuer with the segment replaced by their own
		 * tenant id (tid), so an overridden issuer keeps its host */
		if (sc.oidc.discovery_url == NULL) {
			sbuf_addstr(&discovery, sc.oidc.issuer);
			sbuf_addstr(&discovery, "/.well-known/openid-configuration");
			sc.oidc.discovery_url = sbuf_str(&discovery);
		}
		sbuf_add(&tenant_tmpl, sc.oidc.issuer, (size_t)(seg - sc.oidc.issuer));
		sbuf_addstr(&tenant_tmpl, "/{tenantid}/");
		sbuf_addstr(&tenant_tmpl, seg + seg_len);
		if (sbuf_failed(&tenant_tmpl)) {
			snprintf(err->msg, sizeof(err->msg), "out of memory");
			goto out;
		}
		sc.oidc.issuer = NULL;
	}
	sc.oidc.issuer_template = sc.oidc.issuer != NULL ? NULL
				  : tenant_tmpl.len > 0	 ? sbuf_str(&tenant_tmpl)
							 : d->issuer_template;
	sc.oidc.authorization_url = oidc_str(cfg, "authorization_url", NULL);
	sc.oidc.token_url = oidc_str(cfg, "token_url", NULL);
	sc.oidc.userinfo_url = oidc_str(cfg, "userinfo_url", NULL);
	sc.oidc.jwks_url = oidc_str(cfg, "jwks_url", NULL);
	sc.oidc.client_id = oidc_str(cfg, "client_id", NULL);
	sc.oidc.client_secret = oidc_str(cfg, "client_secret", NULL);
	sc.oidc.redirect_uri = oidc_str(cfg, "redirect_uri", NULL);
	sc.oidc.scope =
	    oidc_str(cfg, "scope", d->scope != NULL ? d->scope : "openid email profile");
	sc.oidc.skew_s = (long)api_cfg_int(cfg, "clock_skew");
	provider_http(cfg, allow_http, &sc.oidc.http);
	urls[0] = sc.oidc.issuer;
	urls[1] = sc.oidc.discovery_url;
	urls[2] = sc.oidc.authorization_url;
	urls[3] = sc.oidc.token_url;
	urls[4] = sc.oidc.userinfo_url;
	urls[5] = sc.oidc.jwks_url;
	if (provider_urls_allowed(urls, 6, allow_http, err) < 0)
		goto out;
	if (oidc_algs_parse(oidc_str(cfg, "algs", d->algs != NULL ? d->algs : "RS256"),
			    &sc.oidc.algs) < 0) {
		snprintf(err->msg, sizeof(err->msg), "algs: only RS256 and ES256 are accepted");
		goto out;
	}
	auth = oidc_str(cfg, "token_auth", "client_secret_basic");
	if (strcmp(auth, "client_secret_basic") == 0) {
		sc.oidc.token_auth = OIDC_AUTH_BASIC;
	} else if (strcmp(auth, "client_secret_post") == 0) {
		sc.oidc.token_auth = OIDC_AUTH_POST;
	} else {
		snprintf(err->msg, sizeof(err->msg),
			 "token_auth: client_secret_basic or client_secret_post");
		goto out;
	}
	if (AUTHSVC_HAS(struct authsvc_oidc_defaults, d, flags))
		dflags = d->flags;
	if (dflags & AUTHSVC_OIDC_APPLE_SECRET) {
		const char *file = oidc_str(cfg, "private_key_file", NULL);

		sc.oidc.token_auth = OIDC_AUTH_APPLE_SECRET;
		sc.oidc.apple.team_id = oidc_str(cfg, "team_id", NULL);
		sc.oidc.apple.key_id = oidc_str(cfg, "key_id", NULL);
		sc.oidc.apple.audience = "https://appleid.apple.com";
		sc.oidc.apple.ttl_s = (int)api_cfg_int(cfg, "client_secret_ttl");
		if (file == NULL || read_small_file(file, &pem) < 0) {
			snprintf(err->msg, sizeof(err->msg), "private_key_file: cannot read %s",
				 file != NULL ? file : "(not set)");
			goto out;
		}
		sc.oidc.apple.key_pem = pem;
	} else if (sc.oidc.client_secret == NULL) {
		snprintf(err->msg, sizeof(err->msg),
			 "client_secret (or client_secret_env) is needed");
		goto out;
	}
	sc.form_post = (dflags & AUTHSVC_OIDC_FORM_POST) != 0;
	sc.subject_claim = d->subject_claim;
	sc.email_claim = d->email_claim;
	sc.email_verified_implied = d->email_verified_implied != 0;
	sc.link_by_email = api_cfg_int(cfg, "link_by_email") != 0;
	sc.signup = api_cfg_int(cfg, "signup") != 0;
	sc.signup_tenant = oidc_str(cfg, "signup_tenant", NULL);
	sc.signup_role = oidc_str(cfg, "signup_role", NULL);
	sc.cookie_secure = api_cfg_int(cfg, "cookie_secure") != 0;
	sc.tx_ttl_s = (int)api_cfg_int(cfg, "transaction_ttl");
	sc.auth_params = d->auth_params;
	sc.claims_check = d->claims_check;
	sc.claims_state = state;
	sp = core_social_new(&sc, &e);
	if (sp == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
		goto out;
	}
	*out = (struct authsvc_oidc *)sp;
	rc = 0;
out:
	if (pem != NULL) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	sbuf_release(&issuer);
	sbuf_release(&discovery);
	sbuf_release(&tenant_tmpl);
	return rc;
}

static int api_oauth_new(const struct authsvc_cfg *cfg, const struct authsvc_oauth_defaults *d,
			 struct authsvc_oidc **out, struct authsvc_err *err)
{
	const char *urls[3];
	struct social_conf sc = {0};
	struct social_provider *sp;
	struct err e = {0};
	bool allow_http;

	if (cfg == NULL || d == NULL || out == NULL ||
	    d->size <
		offsetof(struct authsvc_oauth_defaults, auth_params) + sizeof(d->auth_params)) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "oauth_new: bad arguments");
		return -1;
	}
	allow_http = api_cfg_int(cfg, "allow_http") != 0;
	sc.oidc.name = cfg->pc->name;
	sc.oidc.no_id_token = true;
	sc.oidc.authorization_url = oidc_str(cfg, "authorization_url", d->authorization_url);
	sc.oidc.token_url = oidc_str(cfg, "token_url", d->token_url);
	sc.oidc.userinfo_url = oidc_str(cfg, "userinfo_url", d->profile_url);
	sc.oidc.client_id = oidc_str(cfg, "client_id", NULL);
	sc.oidc.client_secret = oidc_str(cfg, "client_secret", NULL);
	sc.oidc.redirect_uri = oidc_str(cfg, "redirect_uri", NULL);
	sc.oidc.scope = oidc_str(cfg, "scope", d->scope);
	sc.oidc.algs = OIDC_ALG_RS256; /* unused: no ID token */
	/* the Graph API and Instagram take the secret in the form */
	sc.oidc.token_auth = OIDC_AUTH_POST;
	provider_http(cfg, allow_http, &sc.oidc.http);
	urls[0] = sc.oidc.authorization_url;
	urls[1] = sc.oidc.token_url;
	urls[2] = sc.oidc.userinfo_url;
	if (provider_urls_allowed(urls, 3, allow_http, err) < 0)
		return -1;
	if (sc.oidc.client_secret == NULL) {
		snprintf(err->msg, sizeof(err->msg),
			 "client_secret (or client_secret_env) is needed");
		return -1;
	}
	sc.subject_claim = d->id_field != NULL ? d->id_field : "id";
	/* no e-mail field: a name that no profile answer carries */
	sc.email_claim = d->email_field != NULL ? d->email_field : "-";
	sc.email_verified_implied = (d->flags & AUTHSVC_OAUTH_EMAIL_VERIFIED) != 0;
	sc.username_claim = d->username_field;
	sc.profile_fields = d->profile_fields;
	sc.appsecret_proof = (d->flags & AUTHSVC_OAUTH_APPSECRET_PROOF) != 0;
	sc.token_in_query = (d->flags & AUTHSVC_OAUTH_TOKEN_QUERY) != 0;
	sc.link_by_email = api_cfg_int(cfg, "link_by_email") != 0;
	sc.signup = api_cfg_int(cfg, "signup") != 0;
	sc.signup_tenant = oidc_str(cfg, "signup_tenant", NULL);
	sc.signup_role = oidc_str(cfg, "signup_role", NULL);
	sc.cookie_secure = api_cfg_int(cfg, "cookie_secure") != 0;
	sc.tx_ttl_s = (int)api_cfg_int(cfg, "transaction_ttl");
	sc.auth_params = d->auth_params;
	sp = core_social_new(&sc, &e);
	if (sp == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
		return -1;
	}
	*out = (struct authsvc_oidc *)sp;
	return 0;
}

static void api_oidc_free(struct authsvc_oidc *p)
{
	core_social_free((struct social_provider *)p);
}

static enum authsvc_status api_oidc_start(struct authsvc_req *req, struct authsvc_oidc *p,
					  uint32_t flags)
{
	if (req == NULL || p == NULL || (flags & ~(uint32_t)AUTHSVC_OIDC_PUBLIC_START) != 0)
		return AUTHSVC_ERROR;
	return core_social_start(req, (struct social_provider *)p,
				 (flags & AUTHSVC_OIDC_PUBLIC_START) ? SOCIAL_PUBLIC_START : 0);
}

static enum authsvc_status api_oidc_callback(struct authsvc_req *req, struct authsvc_oidc *p)
{
	if (req == NULL || p == NULL)
		return AUTHSVC_ERROR;
	return core_social_callback(req, (struct social_provider *)p);
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
    /* 1.3 */
    .oidc_new = api_oidc_new,
    .oidc_free = api_oidc_free,
    .oidc_start = api_oidc_start,
    .oidc_callback = api_oidc_callback,
    .oauth_new = api_oauth_new,
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authsvc strategy plugin ABI.
 *
 * This is the only header a strategy plugin includes (plus jansson, whose
 * json_t is the one foreign type the ABI uses). A plugin is a shared object
 * that exports exactly one symbol:
 *
 *	AUTHSVC_EXPORT const struct authsvc_plugin authsvc_plugin = { ... };
 *
 * Versioning (Varnish/Apache rule): appending a field or function at the end
 * of a struct bumps AUTHSVC_ABI_MINOR; any other change bumps
 * AUTHSVC_ABI_MAJOR. The host loads a plugin whose major equals its own and
 * whose minor is less than or equal to its own. Both struct authsvc_plugin
 * and struct authsvc_host start with abi_major, abi_minor, size; a reader
 * touches a field only when AUTHSVC_HAS() says the other side has it.
 *
 * ABI changelog
 *	2026-11-28  1.0  first version.
 *	2026-11-28  1.1  AUTHSVC_EXPIRED, AUTHSVC_HOOK_MFA_VERIFY; host: user_find,
 *	                 otp_send, otp_check, secret_get, secret_set,
 *	                 secret_use_step, mfa_lookup.
 *	2026-12-02  1.2  typed hooks (struct authsvc_hooks, descriptor field
 *	                 typed_hooks; struct authsvc_hook and authsvc_hook_fn
 *	                 stay for 1.0/1.1 plugins); host: instance_name,
 *	                 route_add, otp_send_ex, otp_check_ex with
 *	                 AUTHSVC_OTP_SIGNUP (the 1.1 space name
 *	                 "passwordless-signup" keeps working through otp_send
 *	                 and otp_check). authsvc_err.code documented as
 *	                 reserved; field offsets frozen by static assertions.
 *	2026-12-02  1.3  OpenID Connect providers run by the host: struct
 *	                 authsvc_oidc_defaults, AUTHSVC_OIDC_SETTINGS,
 *	                 AUTHSVC_OIDC_PUBLIC_START; host: oidc_new, oidc_free,
 *	                 oidc_start, oidc_callback.
 *	2026-12-02  1.4  plain OAuth 2.0 providers run by the host (Facebook,
 *	                 Instagram): struct authsvc_oauth_defaults; host:
 *	                 oauth_new (its provider is started, called back and
 *	                 freed with oidc_start, oidc_callback, oidc_free);
 *	                 authsvc_oidc_defaults.flags (AUTHSVC_OIDC_FORM_POST,
 *	                 AUTHSVC_OIDC_APPLE_SECRET) and
 *	                 AUTHSVC_OIDC_APPLE_SETTINGS (Sign in with Apple).
 *	2026-12-02  1.5  AUTHSVC_OAUTH_TOKEN_QUERY (the profile GET's access
 *	                 token in the query, as the Instagram API has it).
 *
 * Threads. init/start/stop/fini run on the main thread before workers start
 * or after they stopped. Route handlers and hooks run on worker threads,
 * concurrently; they may block (database, hashing, outbound HTTP) inside
 * host calls. Plugin state is read-only after init; per-worker mutable
 * data lives in the tstate made by thread_init. A plugin flagged
 * AUTHSVC_PLUGIN_THREAD_UNSAFE is serialised by the host.
 *
 * Memory. Everything the host passes in is borrowed for the call. Strings
 * the host returns from a request (req_*) live until the reply is sent;
 * host->req_alloc() memory likewise. reply_json() steals its json_t.
 * Long-lived plugin state is allocated in init and freed in fini by the
 * plugin itself. Buffers that held a secret are wiped with host->wipe().
 *
 * A handler ends in exactly one of three ways:
 *   1. return host->complete_login(req, &who, flags): the core checks the
 *      user's eligibility, applies MFA, issues the code or the tokens,
 *      records login activity and replies;
 *   2. host->reply_json() / host->reply_redirect(), then return AUTHSVC_OK;
 *   3. return a non-OK status: the host writes the error envelope.
 * Returning AUTHSVC_OK without a reply is a plugin bug: the host answers 500.
 */
#ifndef AUTHSVC_PLUGIN_H
#define AUTHSVC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUTHSVC_ABI_MAJOR 1u
#define AUTHSVC_ABI_MINOR 5u

#define AUTHSVC_EXPORT __attribute__((visibility("default")))

/* C11 and C++ spell a compile-time assertion differently. */
#ifdef __cplusplus
#define AUTHSVC_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define AUTHSVC_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* True when the struct p (of type T, led by a size field) has field f. */
#define AUTHSVC_HAS(T, p, f) ((p)->size >= offsetof(T, f) + sizeof(((T *)0)->f))

/* What a strategy concluded; the host maps it to the HTTP status and envelope. */
enum authsvc_status {
	AUTHSVC_OK = 0,	     /* identity established, or the handler already replied */
	AUTHSVC_DENIED,	     /* wrong secret or code: 401 Invalid Credentials */
	AUTHSVC_NOT_FOUND,   /* unknown user: answered like DENIED, no extra detail */
	AUTHSVC_DECLINED,    /* "not mine": a hook passes to the next plugin */
	AUTHSVC_DISABLED,    /* inactive or locked account: 401 UserInactive */
	AUTHSVC_INVALID,     /* malformed input: 422 */
	AUTHSVC_UNAVAILABLE, /* database or provider down: 503 */
	AUTHSVC_ERROR,	     /* unexpected failure: 500, logged */
	AUTHSVC_THROTTLED,   /* too many failures for this account or address: 429 */
	AUTHSVC_EXPIRED,     /* 1.1: no live one-time code: 401 Otp Token Incorrect or Expired */
};

enum authsvc_log_level {
	AUTHSVC_LOG_ERROR = 0,
	AUTHSVC_LOG_WARN,
	AUTHSVC_LOG_INFO,
	AUTHSVC_LOG_DEBUG,
};

/* Opaque to plugins. */
struct authsvc_req;
struct authsvc_cfg;

/* Lifecycle errors: filled by the plugin, owned by the caller (the host
 * zeroes it before each call). msg is what the host logs when init or
 * start fails; the host forces a terminator at msg[255] before reading it,
 * so a plugin that fills the whole buffer is cut, not overrun.
 * code is reserved: the host ignores it (it stays for the layout; removing
 * it would be a major change). */
struct authsvc_err {
	int32_t code; /* reserved, ignored by the host */
	char msg[256];
};

/* ---- settings schema: the host parses and validates the plugin's group ---- */

enum authsvc_setting_type {
	AUTHSVC_SET_END = 0,
	AUTHSVC_SET_STRING,
	AUTHSVC_SET_INT,
	AUTHSVC_SET_BOOL,
};

enum authsvc_setting_flags {
	AUTHSVC_SET_REQUIRED = 1 << 0, /* no default: the key must be present */
	AUTHSVC_SET_SECRET = 1 << 1,   /* may be given as KEY_env naming a variable; never logged */
};

struct authsvc_setting {
	const char *key;
	uint32_t type;	     /* enum authsvc_setting_type */
	uint32_t flags;	     /* enum authsvc_setting_flags */
	const char *def_str; /* default for STRING */
	int64_t def_int;     /* default for INT and BOOL */
	int64_t min, max;    /* range for INT (ignored when min > max) */
	const char *help;
};

/* ---- request body schema: the host validates before the handler runs ---- */

enum authsvc_field_type {
	AUTHSVC_FIELD_END = 0,
	AUTHSVC_FIELD_STRING,
	AUTHSVC_FIELD_NUMBER,
	AUTHSVC_FIELD_BOOL,
	AUTHSVC_FIELD_OBJECT,
};

struct authsvc_field {
	const char *name;
	uint32_t type;	   /* enum authsvc_field_type */
	uint32_t required; /* 1: missing gives 422 */
};

/* ---- routes ---- */

enum authsvc_route_flags {
	AUTHSVC_ROUTE_CLIENT_AUTH = 1 << 0, /* host checks client_id/client_secret first (401) */
	AUTHSVC_ROUTE_OPEN_BODY = 1 << 1,   /* body may carry fields beyond the schema */
	AUTHSVC_ROUTE_FORM_ONLY = 1 << 2,   /* only application/x-www-form-urlencoded */
};

typedef enum authsvc_status (*authsvc_handler_fn)(void *state, void *tstate,
						  struct authsvc_req *req);

struct authsvc_route {
	const char *method; /* "GET", "POST", "PATCH", ... */
	const char *path;   /* exact path, e.g. "/auth/login" */
	authsvc_handler_fn handler;
	uint32_t flags;			    /* enum authsvc_route_flags */
	const struct authsvc_field *fields; /* body schema, {0}-terminated; NULL: no body check */
};

/* ---- hooks: join a flow the plugin does not own ----
 *
 * Hooks of one point run in ascending `order` (ties: plugin load order),
 * on worker threads. Since 1.2 a plugin declares them in struct
 * authsvc_hooks (typed_hooks in the descriptor), one typed signature per
 * point, below. The 1.0/1.1 form, struct authsvc_hook with the one
 * authsvc_hook_fn shared by every point, still loads and runs; its
 * arguments per point are:
 *
 * AUTHSVC_HOOK_PASSWORD_CHECK: fn(state, req, username, password, who)
 *	asked before the built-in password check of every password login
 *	(an LDAP or legacy-hash plugin). OK: the password is right; fill
 *	who->username (the host then resolves the local user by that name;
 *	an unknown name is answered like a wrong password). DENIED: the
 *	password is wrong, stop. DECLINED: not mine, ask the next hook, and
 *	after the last one the built-in check. Other statuses end the login
 *	with that status.
 * AUTHSVC_HOOK_LOGIN_SUCCEEDED: fn(state, req, username, NULL, who) after
 *	a login issued its code or tokens. Notification only: the return
 *	value is ignored and the reply is already decided.
 * AUTHSVC_HOOK_MFA_VERIFY (1.1): fn(state, req, username, otp, who) from
 *	POST /auth/verify-otp, after the core found the user's live MFA
 *	transaction (who is that user, filled by the core). OK: the second
 *	factor is right; the core then burns the transaction and issues the
 *	code. DENIED: wrong (the core counts the attempt). EXPIRED: no live
 *	code of this factor. DECLINED: not mine (say, the user has no
 *	authenticator secret), ask the next hook.
 */

enum authsvc_hook_point {
	AUTHSVC_HOOK_END = 0,
	AUTHSVC_HOOK_PASSWORD_CHECK,
	AUTHSVC_HOOK_LOGIN_SUCCEEDED,
	AUTHSVC_HOOK_MFA_VERIFY, /* 1.1 */
};

struct authsvc_identity;

typedef enum authsvc_status (*authsvc_hook_fn)(void *state, struct authsvc_req *req,
					       const char *username, const char *secret,
					       struct authsvc_identity *who);

struct authsvc_hook {
	uint32_t point; /* enum authsvc_hook_point */
	int32_t order;	/* lower runs first */
	authsvc_hook_fn fn;
};

/* 1.2: one signature per point. Each runs on a worker thread with the
 * plugin's state and the worker's tstate (from thread_init; NULL without
 * one). Strings and who are borrowed for the call.
 *
 * password_check: the password login's username and password. OK: right;
 *	fill who_out->username (the host resolves the local user by it; an
 *	unknown name is answered like a wrong password). DENIED: wrong, stop.
 *	DECLINED: not mine, ask the next hook (after the last one, the
 *	built-in check). Other statuses end the login with that status.
 * mfa_verify: the second factor otp of POST /auth/verify-otp; who is the
 *	user of the live MFA transaction (user_id, username, provider).
 *	OK: right (the core burns the transaction and issues the code).
 *	DENIED: wrong (counted). EXPIRED: no live code of this factor.
 *	DECLINED: not mine, ask the next hook.
 * login_succeeded: a login issued its code or tokens to who.
 *	Notification only; the reply is already decided. */
typedef enum authsvc_status (*authsvc_password_check_fn)(void *state, void *tstate,
							 struct authsvc_req *req,
							 const char *username, const char *password,
							 struct authsvc_identity *who_out);
typedef enum authsvc_status (*authsvc_mfa_verify_fn)(void *state, void *tstate,
						     struct authsvc_req *req,
						     const struct authsvc_identity *who,
						     const char *otp);
typedef void (*authsvc_login_succeeded_fn)(void *state, void *tstate, struct authsvc_req *req,
					   const struct authsvc_identity *who);

/* One hook of a point; arrays end with an entry whose fn is NULL ({0}). */
struct authsvc_password_check_hook {
	int32_t order; /* lower runs first */
	authsvc_password_check_fn fn;
};

struct authsvc_mfa_verify_hook {
	int32_t order;
	authsvc_mfa_verify_fn fn;
};

struct authsvc_login_succeeded_hook {
	int32_t order;
	authsvc_login_succeeded_fn fn;
};

/* The typed hooks of a plugin, one array per point (each may be NULL).
 * Led by size, like the descriptor: a later point is appended as a new
 * array and read only when AUTHSVC_HAS(struct authsvc_hooks, h, field).
 * The loader refuses a plugin whose typed_hooks has no size (a forgotten
 * AUTHSVC_HOOKS_HEADER would otherwise drop every hook). */
struct authsvc_hooks {
	uint32_t size; /* sizeof(struct authsvc_hooks): use AUTHSVC_HOOKS_HEADER */
	const struct authsvc_password_check_hook *password_check;
	const struct authsvc_mfa_verify_hook *mfa_verify;
	const struct authsvc_login_succeeded_hook *login_succeeded;
};

/* ---- identities handed to the core ---- */

/* Who authenticated. user_id is the users.id uuid; the core loads the rest. */
struct authsvc_identity {
	char user_id[40];
	char username[160];
	char provider[32]; /* "internal", "google", ... */
};

/* 1.2: flags of otp_send_ex and otp_check_ex. */
enum authsvc_otp_flags {
	/* An unknown key that is an e-mail address gets a code too, and the
	 * account is created (username and e-mail = key, no password, the
	 * tenant and role of account.signup_tenant / signup_role) when that
	 * code is checked with the same flag. Without account.signup_tenant
	 * the flag has no effect. */
	AUTHSVC_OTP_SIGNUP = 1 << 0,
};

enum authsvc_login_flags {
	AUTHSVC_LOGIN_CODE = 0,	       /* answer {code} to exchange at /auth/token */
	AUTHSVC_LOGIN_TOKENS = 1 << 0, /* answer a TokenResponse directly */
};

/* ---- 1.3: OpenID Connect providers run by the host ----
 *
 * A provider plugin (plugins/keycloak is the model; docs/providers.md)
 * declares AUTHSVC_OIDC_SETTINGS in its settings, calls host->oidc_new in
 * init with its defaults, and routes its start and callback paths to
 * host->oidc_start and host->oidc_callback. The host does the rest: the
 * login transaction, PKCE, discovery, the code exchange, the ID-token
 * checks, the local user, and the login's end as for a password login.
 */
struct authsvc_oidc; /* opaque: one provider instance of the host */

/* A plugin's own check of a verified ID token's claims (e.g. Google's
 * hosted domain): OK to go on, DENIED to refuse the login (401). */
typedef enum authsvc_status (*authsvc_oidc_claims_fn)(void *state, const json_t *claims);

/* The provider's defaults. Every string may be overridden by the
 * instance's setting of the same purpose; "{name}" in issuer is replaced
 * by the instance's string setting name (e.g. {tenant}, {region}). */
struct authsvc_oidc_defaults {
	uint32_t size;	    /* AUTHSVC_OIDC_DEFAULTS_HEADER */
	const char *issuer; /* default of the setting issuer */
	const char
	    *issuer_template;	   /* with an empty issuer: ID-token iss with {tenantid} (Azure) */
	const char *scope;	   /* default of the setting scope */
	const char *algs;	   /* default of the setting algs: "RS256", "ES256", both */
	const char *subject_claim; /* identity claim: "sub" (NULL), Azure "oid" */
	const char *email_claim;   /* "email" (NULL) */
	int32_t email_verified_implied; /* 1: the provider asserts only verified e-mails */
	const char *const *auth_params; /* extra authorization parameters, name/value, NULL-ended */
	authsvc_oidc_claims_fn claims_check; /* may be NULL */
	/* ---- 1.4 ---- */
	uint32_t flags; /* enum authsvc_oidc_default_flags */
};

enum authsvc_oidc_default_flags {
	/* response_mode=form_post: the callback route is also a POST whose
	 * form has state, code or error (and Apple's `user` JSON, whose name
	 * is used for a signed-up account only); the browser-binding cookie is
	 * SameSite=None; Secure so that the cross-site POST carries it. */
	AUTHSVC_OIDC_FORM_POST = 1 << 0,
	/* The client secret is an ES256 JWT the host signs with the key of
	 * the settings of AUTHSVC_OIDC_APPLE_SETTINGS (kid key_id, iss
	 * team_id, sub client_id, aud https://appleid.apple.com), renewed
	 * before it expires. */
	AUTHSVC_OIDC_APPLE_SECRET = 1 << 1,
};

#define AUTHSVC_OIDC_APPLE_SETTINGS                                                                \
	{.key = "team_id", .type = AUTHSVC_SET_STRING, .help = "Apple developer team id"},         \
	    {.key = "key_id",                                                                      \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "id of the Sign in with Apple key"},                                          \
	    {.key = "private_key_file",                                                            \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "the key's .p8 file (PKCS#8 PEM)"},                                           \
	{                                                                                          \
		.key = "client_secret_ttl", .type = AUTHSVC_SET_INT, .def_int = 3600, .min = 300,  \
		.max = 86400, .help = "seconds each signed client secret is valid"                 \
	}

#define AUTHSVC_OIDC_DEFAULTS_HEADER .size = sizeof(struct authsvc_oidc_defaults)

/* ---- 1.4: plain OAuth 2.0 providers run by the host ----
 *
 * A provider without ID tokens (Facebook, Instagram): the code exchange,
 * then a GET of its profile with the access token; the identity is the
 * profile's id_field. The plugin declares AUTHSVC_OIDC_SETTINGS (issuer,
 * discovery, jwks_url and algs are not used; userinfo_url is the profile
 * URL) and calls host->oauth_new; start, callback and free are oidc_*.
 */
enum authsvc_oauth_flags {
	AUTHSVC_OAUTH_APPSECRET_PROOF = 1 << 0, /* Graph API appsecret_proof on the profile GET */
	AUTHSVC_OAUTH_EMAIL_VERIFIED = 1 << 1,	/* the profile's e-mail counts as verified */
	/* 1.5: the profile GET carries the access token as the query parameter
	 * access_token (as the Instagram API documents), not a Bearer header */
	AUTHSVC_OAUTH_TOKEN_QUERY = 1 << 2,
};

struct authsvc_oauth_defaults {
	uint32_t size;			/* AUTHSVC_OAUTH_DEFAULTS_HEADER */
	uint32_t flags;			/* enum authsvc_oauth_flags */
	const char *authorization_url;	/* default of the setting authorization_url */
	const char *token_url;		/* default of the setting token_url */
	const char *profile_url;	/* default of the setting userinfo_url */
	const char *profile_fields;	/* the profile GET's fields=, or NULL */
	const char *scope;		/* default of the setting scope */
	const char *id_field;		/* the identity: "id" (NULL), Instagram "user_id" */
	const char *email_field;	/* NULL: the profile has no e-mail */
	const char *username_field;	/* sign-up without e-mail takes this username */
	const char *const *auth_params; /* extra authorization parameters, name/value, NULL-ended */
};

#define AUTHSVC_OAUTH_DEFAULTS_HEADER .size = sizeof(struct authsvc_oauth_defaults)

/* oidc_start flags. */
enum authsvc_oidc_flags {
	/* A public client's start: client_id, client_challenge and
	 * client_challenge_method (S256) from the query, no secret; the
	 * challenge is bound to the code, and POST /auth/token then needs the
	 * matching code_verifier. */
	AUTHSVC_OIDC_PUBLIC_START = 1 << 0,
};

/* The settings the host reads for an OIDC provider instance; put them in
 * the plugin's settings table (before its {0}). */
#define AUTHSVC_OIDC_SETTINGS                                                                      \
	{.key = "issuer",                                                                          \
	 .type = AUTHSVC_SET_STRING,                                                               \
	 .help = "issuer URL (discovery at <issuer>/.well-known/openid-configuration)"},           \
	    {.key = "discovery_url",                                                               \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "discovery document URL, instead of the issuer's"},                           \
	    {.key = "authorization_url",                                                           \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "overrides discovery"},                                                       \
	    {.key = "token_url", .type = AUTHSVC_SET_STRING, .help = "overrides discovery"},       \
	    {.key = "userinfo_url", .type = AUTHSVC_SET_STRING, .help = "overrides discovery"},    \
	    {.key = "jwks_url", .type = AUTHSVC_SET_STRING, .help = "overrides discovery"},        \
	    {.key = "client_id", .type = AUTHSVC_SET_STRING, .help = "client id at the provider"}, \
	    {.key = "client_secret",                                                               \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .flags = AUTHSVC_SET_SECRET,                                                          \
	     .help = "client secret at the provider"},                                             \
	    {.key = "redirect_uri",                                                                \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "this instance's callback URL, as registered at the provider"},               \
	    {.key = "scope", .type = AUTHSVC_SET_STRING, .help = "scopes asked for"},              \
	    {.key = "algs",                                                                        \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "ID-token algorithms accepted: RS256, ES256"},                                \
	    {.key = "token_auth",                                                                  \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .def_str = "client_secret_basic",                                                     \
	     .help = "client_secret_basic or client_secret_post"},                                 \
	    {.key = "allow_http",                                                                  \
	     .type = AUTHSVC_SET_BOOL,                                                             \
	     .help = "accept http:// provider URLs on loopback (tests only)"},                     \
	    {.key = "ca_file",                                                                     \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "CA bundle for the provider (default: the system's)"},                        \
	    {.key = "clock_skew",                                                                  \
	     .type = AUTHSVC_SET_INT,                                                              \
	     .def_int = 120,                                                                       \
	     .min = 0,                                                                             \
	     .max = 600,                                                                           \
	     .help = "seconds of clock skew allowed on ID tokens"},                                \
	    {.key = "connect_timeout_ms",                                                          \
	     .type = AUTHSVC_SET_INT,                                                              \
	     .def_int = 3000,                                                                      \
	     .min = 100,                                                                           \
	     .max = 60000,                                                                         \
	     .help = "provider connect timeout"},                                                  \
	    {.key = "timeout_ms",                                                                  \
	     .type = AUTHSVC_SET_INT,                                                              \
	     .def_int = 10000,                                                                     \
	     .min = 100,                                                                           \
	     .max = 120000,                                                                        \
	     .help = "provider call timeout"},                                                     \
	    {.key = "link_by_email",                                                               \
	     .type = AUTHSVC_SET_BOOL,                                                             \
	     .help = "link an unknown identity to the user with its verified e-mail"},             \
	    {.key = "signup",                                                                      \
	     .type = AUTHSVC_SET_BOOL,                                                             \
	     .help = "create a user for an unknown identity with a verified e-mail"},              \
	    {.key = "signup_tenant",                                                               \
	     .type = AUTHSVC_SET_STRING,                                                           \
	     .help = "tenant key of signed-up users"},                                             \
	    {.key = "signup_role", .type = AUTHSVC_SET_STRING, .help = "role of signed-up users"}, \
	    {.key = "cookie_secure",                                                               \
	     .type = AUTHSVC_SET_BOOL,                                                             \
	     .def_int = 1,                                                                         \
	     .help = "mark the login-transaction cookie Secure"},                                  \
	{                                                                                          \
		.key = "transaction_ttl", .type = AUTHSVC_SET_INT, .def_int = 600, .min = 30,      \
		.max = 3600, .help = "seconds a started login may take"                            \
	}

/* ---- the host API table ---- */

struct authsvc_host {
	uint32_t abi_major, abi_minor, size;

	/* Logging: one structured line; the host adds plugin name and request id.
	 * Never pass a secret. req may be NULL outside a request. */
	void (*log)(struct authsvc_req *req, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

	/* Settings, validated against the schema; borrowed until fini. */
	const char *(*cfg_str)(const struct authsvc_cfg *cfg, const char *key);
	int64_t (*cfg_int)(const struct authsvc_cfg *cfg, const char *key);

	/* Request access. Strings are borrowed and live until the reply. */
	const char *(*req_body_str)(struct authsvc_req *req, const char *key);
	const json_t *(*req_body)(struct authsvc_req *req); /* borrowed object */
	const char *(*req_query)(struct authsvc_req *req, const char *key);
	const char *(*req_header)(struct authsvc_req *req, const char *name);
	void *(*req_alloc)(struct authsvc_req *req, size_t n); /* zeroed, freed after reply */

	/* Replies. reply_json steals body. */
	int (*reply_json)(struct authsvc_req *req, int status, json_t *body);
	int (*reply_redirect)(struct authsvc_req *req, int status, const char *url);
	/* The standard error envelope with a message of the plugin's choosing,
	 * for outcomes no status covers (e.g. a route the operator disabled). */
	int (*reply_error)(struct authsvc_req *req, int status, const char *message);

	/* Users. password_verify looks the user up and checks the password in
	 * constant time against unknown users; it may block. */
	enum authsvc_status (*password_verify)(struct authsvc_req *req, const char *username,
					       const char *password,
					       struct authsvc_identity *who_out);

	/* Ends every successful authentication the same way (see top). */
	enum authsvc_status (*complete_login)(struct authsvc_req *req,
					      const struct authsvc_identity *who, uint32_t flags);

	/* Randomness and hygiene. */
	int (*random_bytes)(void *buf, size_t n); /* 0 or -1 */
	void (*wipe)(void *buf, size_t n);

	/* ---- 1.1: check AUTHSVC_HAS(struct authsvc_host, host, field) ---- */

	/* A user by username (case-insensitive; soft-deleted users invisible).
	 * OK (who_out filled), NOT_FOUND, UNAVAILABLE. Blocks. */
	enum authsvc_status (*user_find)(struct authsvc_req *req, const char *username,
					 struct authsvc_identity *who_out);

	/* One-time codes kept by the host, one live code per (space, key).
	 * space is "mfa" (key: a username with a live MFA transaction) or
	 * "passwordless" (key: a username). otp_send checks the delivery
	 * channel and the send limits, then answers; after the handler's reply
	 * the host makes a code as its [otp] settings say (length, alphabet,
	 * lifetime), keeps only its hash, replaces any earlier code of the key
	 * and queues delivery to the user's e-mail or phone, so the reply's
	 * time does not depend on the key. The request's authenticated client
	 * is recorded with it. An unknown key gets the same database work and
	 * nothing is sent. OK, THROTTLED (send rate limit; Retry-After set),
	 * UNAVAILABLE (delivery down or database), INVALID. */
	enum authsvc_status (*otp_send)(struct authsvc_req *req, const char *space,
					const char *key);
	/* Check a code and burn it on success: OK (who_out filled and the
	 * request's client set to the one the code was sent for), DENIED (wrong;
	 * counted, the code burned after max_attempts), EXPIRED (none live),
	 * UNAVAILABLE. Constant time in the code. */
	enum authsvc_status (*otp_check)(struct authsvc_req *req, const char *space,
					 const char *key, const char *otp,
					 struct authsvc_identity *who_out);

	/* Per-user secrets, encrypted at rest by the host. kind: "totp".
	 * secret_get: OK (buf holds the secret, *confirmed 0 while pending),
	 * NOT_FOUND (none), UNAVAILABLE, ERROR (buf too small, key missing).
	 * secret_set stores a new pending secret in place of a pending one:
	 * DENIED when a confirmed secret is there (kept; checked in the same
	 * statement that writes), NOT_FOUND when the user is gone.
	 * secret_use_step records that step (a TOTP time step) was used and
	 * confirms a pending secret: DENIED when step is not after the last one
	 * used (a replay). Each blocks. */
	enum authsvc_status (*secret_get)(struct authsvc_req *req, const char *user_id,
					  const char *kind, char *buf, size_t bufsz,
					  int *confirmed);
	enum authsvc_status (*secret_set)(struct authsvc_req *req, const char *user_id,
					  const char *kind, const char *secret);
	enum authsvc_status (*secret_use_step)(struct authsvc_req *req, const char *user_id,
					       const char *kind, int64_t step);

	/* The MFA transaction an MFA-flagged code (from /auth/login) belongs
	 * to, without using it up: OK (who_out filled) when code is live and was
	 * issued to client_id; EXPIRED when it was but has expired; DENIED
	 * otherwise. */
	enum authsvc_status (*mfa_lookup)(struct authsvc_req *req, const char *code,
					  const char *client_id, struct authsvc_identity *who_out);

	/* ---- 1.2: check AUTHSVC_HAS(struct authsvc_host, host, field) ---- */

	/* The instance name the operator gave this plugin: the name of its
	 * group under `plugins` (plugins.gitlab = { file = "oidc.so"; } is
	 * "gitlab"). One .so may be loaded as several instances, each with its
	 * own settings, state and name. Borrowed until fini. */
	const char *(*instance_name)(const struct authsvc_cfg *cfg);

	/* Register a route of this instance; callable from init only. For
	 * routes that depend on the instance (e.g. "/auth/" + instance name),
	 * which a static route table cannot give two instances of one .so.
	 * method and path are copied; fields and handler must live until fini.
	 * The handler gets this instance's state. 0, or -1 when the route is
	 * invalid, already taken (by the core or any plugin) or init is over;
	 * after a -1 the loader refuses the plugin naming the route, whatever
	 * init returns. */
	int (*route_add)(const struct authsvc_cfg *cfg, const struct authsvc_route *route);

	/* otp_send and otp_check with flags (enum authsvc_otp_flags). A code
	 * sent with AUTHSVC_OTP_SIGNUP to a key without an account is
	 * accepted only by a check with that flag. Unknown flags: ERROR.
	 * 1.1 plugins that pass the space "passwordless-signup" to otp_send and
	 * otp_check get space "passwordless" with AUTHSVC_OTP_SIGNUP. */
	enum authsvc_status (*otp_send_ex)(struct authsvc_req *req, const char *space,
					   const char *key, uint32_t flags);
	enum authsvc_status (*otp_check_ex)(struct authsvc_req *req, const char *space,
					    const char *key, const char *otp, uint32_t flags,
					    struct authsvc_identity *who_out);

	/* ---- 1.3: check AUTHSVC_HAS(struct authsvc_host, host, field) ---- */

	/* An OpenID Connect provider for this instance from its
	 * AUTHSVC_OIDC_SETTINGS and d; state is passed to d->claims_check.
	 * Init only; nothing is fetched yet. 0, or -1 with err->msg (a missing
	 * client_id, redirect_uri or issuer, a refused URL or algorithm). */
	int (*oidc_new)(const struct authsvc_cfg *cfg, const struct authsvc_oidc_defaults *d,
			void *state, struct authsvc_oidc **out, struct authsvc_err *err);
	void (*oidc_free)(struct authsvc_oidc *p); /* fini */
	/* A start route: the client (the route's CLIENT_AUTH, or a public
	 * start with AUTHSVC_OIDC_PUBLIC_START), then 302 to the provider. */
	enum authsvc_status (*oidc_start)(struct authsvc_req *req, struct authsvc_oidc *p,
					  uint32_t flags);
	/* The callback route: 302 to the client with code (or error=), or an
	 * error reply. */
	enum authsvc_status (*oidc_callback)(struct authsvc_req *req, struct authsvc_oidc *p);

	/* ---- 1.4: check AUTHSVC_HAS(struct authsvc_host, host, field) ---- */

	/* A plain OAuth 2.0 provider for this instance from its
	 * AUTHSVC_OIDC_SETTINGS and d; use it with oidc_start, oidc_callback
	 * and oidc_free. 0, or -1 with err->msg. */
	int (*oauth_new)(const struct authsvc_cfg *cfg, const struct authsvc_oauth_defaults *d,
			 struct authsvc_oidc **out, struct authsvc_err *err);
};

/* ---- the plugin descriptor ---- */

enum authsvc_plugin_flags {
	AUTHSVC_PLUGIN_THREAD_UNSAFE = 1 << 0,
};

struct authsvc_plugin {
	uint32_t abi_major, abi_minor, size; /* first, so the rest can be trusted */
	const char *name;
	const char *version;
	const struct authsvc_setting *settings; /* {0}-terminated; may be NULL */
	const struct authsvc_route *routes;	/* {0}-terminated; may be NULL */
	const struct authsvc_hook *hooks;	/* {0}-terminated; may be NULL */
	int (*init)(const struct authsvc_host *host, const struct authsvc_cfg *cfg,
		    void **state_out, struct authsvc_err *err);
	int (*start)(void *state, struct authsvc_err *err); /* optional */
	void (*stop)(void *state);			    /* optional */
	void (*fini)(void *state);
	int (*thread_init)(void *state, void **tstate_out); /* optional, once per worker */
	void (*thread_fini)(void *state, void *tstate);	    /* optional */
	uint32_t flags;					    /* enum authsvc_plugin_flags */

	/* ---- 1.2 ---- */
	/* Typed hooks; may be NULL. A plugin may also fill hooks (1.0 form);
	 * both are registered. */
	const struct authsvc_hooks *typed_hooks;
};

#define AUTHSVC_PLUGIN_HEADER                                                                      \
	.abi_major = AUTHSVC_ABI_MAJOR, .abi_minor = AUTHSVC_ABI_MINOR,                            \
	.size = sizeof(struct authsvc_plugin)

#define AUTHSVC_HOOKS_HEADER .size = sizeof(struct authsvc_hooks)

#define AUTHSVC_HOST_HEADER                                                                        \
	.abi_major = AUTHSVC_ABI_MAJOR, .abi_minor = AUTHSVC_ABI_MINOR,                            \
	.size = sizeof(struct authsvc_host)

/*
 * Frozen layout. A 1.x plugin or host built against an older header reads
 * these offsets; each field of 1.0 and 1.1 (and of 1.2, once released)
 * must stay where it is, and the element structs of arrays and the
 * caller-allocated structs must keep their size. Checked where pointers
 * are 8 bytes (LP64: x86_64, aarch64); the layout on other targets follows
 * from the same rules but is not pinned here.
 */
#define AUTHSVC_ABI_OFFSET(T, f, off)                                                              \
	AUTHSVC_STATIC_ASSERT(offsetof(struct T, f) == (off), "ABI: " #T "." #f " moved")
#define AUTHSVC_ABI_SIZE(T, n) AUTHSVC_STATIC_ASSERT(sizeof(struct T) == (n), "ABI: " #T " size")

#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
AUTHSVC_ABI_OFFSET(authsvc_plugin, abi_major, 0);
AUTHSVC_ABI_OFFSET(authsvc_plugin, abi_minor, 4);
AUTHSVC_ABI_OFFSET(authsvc_plugin, size, 8);
AUTHSVC_ABI_OFFSET(authsvc_plugin, name, 16);
AUTHSVC_ABI_OFFSET(authsvc_plugin, version, 24);
AUTHSVC_ABI_OFFSET(authsvc_plugin, settings, 32);
AUTHSVC_ABI_OFFSET(authsvc_plugin, routes, 40);
AUTHSVC_ABI_OFFSET(authsvc_plugin, hooks, 48);
AUTHSVC_ABI_OFFSET(authsvc_plugin, init, 56);
AUTHSVC_ABI_OFFSET(authsvc_plugin, start, 64);
AUTHSVC_ABI_OFFSET(authsvc_plugin, stop, 72);
AUTHSVC_ABI_OFFSET(authsvc_plugin, fini, 80);
AUTHSVC_ABI_OFFSET(authsvc_plugin, thread_init, 88);
AUTHSVC_ABI_OFFSET(authsvc_plugin, thread_fini, 96);
AUTHSVC_ABI_OFFSET(authsvc_plugin, flags, 104);
AUTHSVC_ABI_OFFSET(authsvc_host, abi_major, 0);
AUTHSVC_ABI_OFFSET(authsvc_host, abi_minor, 4);
AUTHSVC_ABI_OFFSET(authsvc_host, size, 8);
AUTHSVC_ABI_OFFSET(authsvc_host, log, 16);
AUTHSVC_ABI_OFFSET(authsvc_host, cfg_str, 24);
AUTHSVC_ABI_OFFSET(authsvc_host, cfg_int, 32);
AUTHSVC_ABI_OFFSET(authsvc_host, req_body_str, 40);
AUTHSVC_ABI_OFFSET(authsvc_host, req_body, 48);
AUTHSVC_ABI_OFFSET(authsvc_host, req_query, 56);
AUTHSVC_ABI_OFFSET(authsvc_host, req_header, 64);
AUTHSVC_ABI_OFFSET(authsvc_host, req_alloc, 72);
AUTHSVC_ABI_OFFSET(authsvc_host, reply_json, 80);
AUTHSVC_ABI_OFFSET(authsvc_host, reply_redirect, 88);
AUTHSVC_ABI_OFFSET(authsvc_host, reply_error, 96);
AUTHSVC_ABI_OFFSET(authsvc_host, password_verify, 104);
AUTHSVC_ABI_OFFSET(authsvc_host, complete_login, 112);
AUTHSVC_ABI_OFFSET(authsvc_host, random_bytes, 120);
AUTHSVC_ABI_OFFSET(authsvc_host, wipe, 128);
AUTHSVC_ABI_OFFSET(authsvc_host, user_find, 136);
AUTHSVC_ABI_OFFSET(authsvc_host, otp_send, 144);
AUTHSVC_ABI_OFFSET(authsvc_host, otp_check, 152);
AUTHSVC_ABI_OFFSET(authsvc_host, secret_get, 160);
AUTHSVC_ABI_OFFSET(authsvc_host, secret_set, 168);
AUTHSVC_ABI_OFFSET(authsvc_host, secret_use_step, 176);
AUTHSVC_ABI_OFFSET(authsvc_host, mfa_lookup, 184);
AUTHSVC_ABI_OFFSET(authsvc_err, code, 0);
AUTHSVC_ABI_OFFSET(authsvc_err, msg, 4);
AUTHSVC_ABI_SIZE(authsvc_err, 260);
AUTHSVC_ABI_OFFSET(authsvc_setting, key, 0);
AUTHSVC_ABI_OFFSET(authsvc_setting, type, 8);
AUTHSVC_ABI_OFFSET(authsvc_setting, flags, 12);
AUTHSVC_ABI_OFFSET(authsvc_setting, def_str, 16);
AUTHSVC_ABI_OFFSET(authsvc_setting, def_int, 24);
AUTHSVC_ABI_OFFSET(authsvc_setting, min, 32);
AUTHSVC_ABI_OFFSET(authsvc_setting, max, 40);
AUTHSVC_ABI_OFFSET(authsvc_setting, help, 48);
AUTHSVC_ABI_SIZE(authsvc_setting, 56);
AUTHSVC_ABI_OFFSET(authsvc_field, name, 0);
AUTHSVC_ABI_OFFSET(authsvc_field, type, 8);
AUTHSVC_ABI_OFFSET(authsvc_field, required, 12);
AUTHSVC_ABI_SIZE(authsvc_field, 16);
AUTHSVC_ABI_OFFSET(authsvc_route, method, 0);
AUTHSVC_ABI_OFFSET(authsvc_route, path, 8);
AUTHSVC_ABI_OFFSET(authsvc_route, handler, 16);
AUTHSVC_ABI_OFFSET(authsvc_route, flags, 24);
AUTHSVC_ABI_OFFSET(authsvc_route, fields, 32);
AUTHSVC_ABI_SIZE(authsvc_route, 40);
AUTHSVC_ABI_OFFSET(authsvc_hook, point, 0);
AUTHSVC_ABI_OFFSET(authsvc_hook, order, 4);
AUTHSVC_ABI_OFFSET(authsvc_hook, fn, 8);
AUTHSVC_ABI_SIZE(authsvc_hook, 16);
AUTHSVC_ABI_OFFSET(authsvc_identity, user_id, 0);
AUTHSVC_ABI_OFFSET(authsvc_identity, username, 40);
AUTHSVC_ABI_OFFSET(authsvc_identity, provider, 200);
AUTHSVC_ABI_SIZE(authsvc_identity, 232);
/* 1.2 */
AUTHSVC_ABI_OFFSET(authsvc_plugin, typed_hooks, 112);
AUTHSVC_ABI_SIZE(authsvc_plugin, 120);
AUTHSVC_ABI_OFFSET(authsvc_host, instance_name, 192);
AUTHSVC_ABI_OFFSET(authsvc_host, route_add, 200);
AUTHSVC_ABI_OFFSET(authsvc_host, otp_send_ex, 208);
AUTHSVC_ABI_OFFSET(authsvc_host, otp_check_ex, 216);
AUTHSVC_ABI_OFFSET(authsvc_host, oidc_new, 224);
AUTHSVC_ABI_OFFSET(authsvc_host, oidc_free, 232);
AUTHSVC_ABI_OFFSET(authsvc_host, oidc_start, 240);
AUTHSVC_ABI_OFFSET(authsvc_host, oidc_callback, 248);
AUTHSVC_ABI_OFFSET(authsvc_host, oauth_new, 256);
AUTHSVC_ABI_SIZE(authsvc_host, 264);
/* 1.3 */
AUTHSVC_ABI_OFFSET(authsvc_oidc_defaults, size, 0);
AUTHSVC_ABI_OFFSET(authsvc_oidc_defaults, issuer, 8);
AUTHSVC_ABI_OFFSET(authsvc_oidc_defaults, claims_check, 72);
AUTHSVC_ABI_OFFSET(authsvc_oidc_defaults, flags, 80);
AUTHSVC_ABI_SIZE(authsvc_oidc_defaults, 88);
/* 1.4 */
AUTHSVC_ABI_OFFSET(authsvc_oauth_defaults, authorization_url, 8);
AUTHSVC_ABI_OFFSET(authsvc_oauth_defaults, auth_params, 72);
AUTHSVC_ABI_SIZE(authsvc_oauth_defaults, 80);
AUTHSVC_ABI_OFFSET(authsvc_hooks, size, 0);
AUTHSVC_ABI_OFFSET(authsvc_hooks, password_check, 8);
AUTHSVC_ABI_OFFSET(authsvc_hooks, mfa_verify, 16);
AUTHSVC_ABI_OFFSET(authsvc_hooks, login_succeeded, 24);
AUTHSVC_ABI_SIZE(authsvc_hooks, 32);
AUTHSVC_ABI_OFFSET(authsvc_password_check_hook, order, 0);
AUTHSVC_ABI_OFFSET(authsvc_password_check_hook, fn, 8);
AUTHSVC_ABI_SIZE(authsvc_password_check_hook, 16);
AUTHSVC_ABI_OFFSET(authsvc_mfa_verify_hook, order, 0);
AUTHSVC_ABI_OFFSET(authsvc_mfa_verify_hook, fn, 8);
AUTHSVC_ABI_SIZE(authsvc_mfa_verify_hook, 16);
AUTHSVC_ABI_OFFSET(authsvc_login_succeeded_hook, order, 0);
AUTHSVC_ABI_OFFSET(authsvc_login_succeeded_hook, fn, 8);
AUTHSVC_ABI_SIZE(authsvc_login_succeeded_hook, 16);
#endif
AUTHSVC_STATIC_ASSERT(offsetof(struct authsvc_plugin, size) == 8, "plugin header layout");
AUTHSVC_STATIC_ASSERT(offsetof(struct authsvc_host, size) == 8, "host header layout");
AUTHSVC_STATIC_ASSERT(sizeof(struct authsvc_identity) == 232, "identity layout");

#ifdef __cplusplus
}
#endif

#endif /* AUTHSVC_PLUGIN_H */

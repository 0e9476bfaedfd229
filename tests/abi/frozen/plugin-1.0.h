/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FROZEN: sdk/include/authsvc/plugin.h as it was at ABI 1.0 (git a14c94e),
 * kept byte for byte below this comment. Test plugins built against it
 * (tests/abi/legacy_plugin.c) show that a plugin compiled for 1.0 still
 * loads in today's host and that its hooks still run. Never edit.
 */
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
#define AUTHSVC_ABI_MINOR 0u

#define AUTHSVC_EXPORT __attribute__((visibility("default")))

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

/* Lifecycle errors: filled by the plugin, owned by the caller. */
struct authsvc_err {
	int32_t code;
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
 * Hooks of one point run in ascending `order` (ties: plugin load order).
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
 */

enum authsvc_hook_point {
	AUTHSVC_HOOK_END = 0,
	AUTHSVC_HOOK_PASSWORD_CHECK,
	AUTHSVC_HOOK_LOGIN_SUCCEEDED,
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

/* ---- identities handed to the core ---- */

/* Who authenticated. user_id is the users.id uuid; the core loads the rest. */
struct authsvc_identity {
	char user_id[40];
	char username[160];
	char provider[32]; /* "internal", "google", ... */
};

enum authsvc_login_flags {
	AUTHSVC_LOGIN_CODE = 0,	       /* answer {code} to exchange at /auth/token */
	AUTHSVC_LOGIN_TOKENS = 1 << 0, /* answer a TokenResponse directly */
};

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
};

#define AUTHSVC_PLUGIN_HEADER                                                                      \
	.abi_major = AUTHSVC_ABI_MAJOR, .abi_minor = AUTHSVC_ABI_MINOR,                            \
	.size = sizeof(struct authsvc_plugin)

#define AUTHSVC_HOST_HEADER                                                                        \
	.abi_major = AUTHSVC_ABI_MAJOR, .abi_minor = AUTHSVC_ABI_MINOR,                            \
	.size = sizeof(struct authsvc_host)

_Static_assert(offsetof(struct authsvc_plugin, size) == 8, "plugin header layout");
_Static_assert(offsetof(struct authsvc_host, size) == 8, "host header layout");
_Static_assert(sizeof(struct authsvc_identity) == 232, "identity layout");

#ifdef __cplusplus
}
#endif

#endif /* AUTHSVC_PLUGIN_H */

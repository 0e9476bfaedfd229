/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FROZEN: sdk/include/authsvc/plugin.h as it was at ABI 1.1 (git 48e50ea),
 * kept byte for byte below this comment. Test plugins built against it
 * (tests/abi/legacy_plugin.c) show that a plugin compiled for 1.1 still
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
 *	2026-11-28  1.1  AUTHSVC_EXPIRED, AUTHSVC_HOOK_MFA_VERIFY; host: user_find,
 *	                 otp_send, otp_check, secret_get, secret_set,
 *	                 secret_use_step, mfa_lookup.
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
#define AUTHSVC_ABI_MINOR 1u

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

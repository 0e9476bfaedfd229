/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's configuration: one libconfig file read once into a typed
 * struct config, with defaults and range checks, then AUTHSVC_* environment
 * overrides (AUTHSVC_LISTEN, AUTHSVC_DATABASE_URL). No config_setting_t
 * leaves host/src/config/. `authsvc --check-config` and the server run the
 * same config_load().
 *
 * Secrets may be given inline or as `<key>_env = "VAR"` naming an
 * environment variable; config_load resolves them.
 *
 * Main thread only; the struct is read-only once workers start. A reload
 * (SIGHUP, config/reload.h) loads a new one; none in use ever changes.
 */
#ifndef AUTHSVC_CONFIG_H
#define AUTHSVC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/netaddr.h"

enum jwt_alg_kind { JWT_KIND_RS256 = 0, JWT_KIND_ES256, JWT_KIND_HS256 };

struct plugin_conf {
	char *name; /* group name, e.g. "local" */
	char *file; /* path; relative paths are resolved against plugin_dir */
	bool enabled;
	void *settings; /* opaque: libconfig group, read by config_plugin_* */
};

struct password_policy {
	int min_length;		     /* default 8 */
	int max_length;		     /* default 256 */
	bool require_mixed;	     /* letters and digits; default false */
	bool forbid_username;	     /* default true */
	uint32_t argon2_t_cost;	     /* default 3 */
	uint32_t argon2_m_cost_kib;  /* default 65536 */
	uint32_t argon2_parallelism; /* default 1 */
	int hash_concurrency;	     /* concurrent hashes; default = number of CPUs */
	bool require_old_password;   /* change-password needs oldPassword; default true */
};

struct bruteforce_policy {
	bool enabled;		  /* default true */
	int account_max_failures; /* per account from one address or device, within the
				     window, before that pair is locked out; default 5 */
	int account_rate;	  /* attempts per window per account, all addresses together,
				     from clients without a device token; default 20 */
	int ip_max_failures;	  /* failures per client address within the window; default 50 */
	int window_s;		  /* default 900 */
	int lockout_s;		  /* how long a pair or address over its limit waits; default 300 */
	int device_ttl_s;	  /* life of a device token; 0: none issued; default 30 days */
};

/* notify { ... }: delivery of codes and links (notify/notify.h). */
struct notify_template {
	char *event; /* "otp", "passwordless", "reset", "signup" */
	char *subject;
	char *body;
};

struct notify_conf {
	char *channel;		/* "smtp" (default), "webhook", "log" */
	bool allow_log_channel; /* the log channel prints codes: development only */
	int threads;		/* delivery threads; default 1 */
	int queue_max;		/* queued messages before sends are refused; 256 */
	int retries;		/* further attempts after a failure; 3 */
	int retry_delay_s;	/* between attempts, and how long a failing channel refuses; 5 */
	int timeout_s;		/* per attempt; 10 */
	int drain_s;		/* at shutdown, time to deliver what is queued; 5 */
	char *from;		/* "authsvc <no-reply@localhost>" */
	char *smtp_url;		/* "smtp://127.0.0.1:25" (smtps:// for implicit TLS) */
	char *smtp_starttls;	/* "try" (default), "require", "off" */
	char *smtp_username;
	char *smtp_password;  /* secret */
	char *smtp_ca_file;   /* CA bundle for the server's certificate; "": system */
	char *webhook_url;    /* https://... (http:// only to a loopback address) */
	char *webhook_secret; /* secret: HMAC-SHA256 key of X-Authsvc-Signature */
	char *webhook_ca_file;
	/* sends (OTP, passwordless, reset, signup mails) per subject per window */
	int send_per_user;		   /* default 5 */
	int send_per_ip;		   /* default 30 */
	int send_window_s;		   /* default 900 */
	struct notify_template *templates; /* operator overrides of the built-in ones */
	size_t ntemplates;
};

/* otp { ... }: server-generated one-time codes (MFA "otp", passwordless). */
struct otp_conf {
	int length;	  /* default 6 */
	char *alphabet;	  /* default "0123456789"; drawn without modulo bias */
	int ttl_s;	  /* default 300 */
	int max_attempts; /* wrong codes before the code is burned; default 5 */
};

/* mfa { ... }: the core's second-factor gate (docs/api.md "Second factor and passwordless login").
 */
struct mfa_conf {
	char *mode;	/* "off" (default), "all", "users" (users.mfa_enabled) */
	char *method;	/* "otp" (default: a code is sent) or "totp" (an app code) */
	char **clients; /* client_ids the gate applies to; none listed: every client */
	size_t nclients;
	int ttl_s;	  /* lifetime of the MFA step after the password; default 300 */
	char *secret_key; /* secret: 32 bytes (hex or base64) encrypting TOTP secrets */
};

/* account { ... }: forgot/reset password and sign-up (docs/api.md "Forgotten passwords and
 * sign-up"). */
struct account_conf {
	int reset_ttl_s;	    /* default 1800 */
	char *reset_url;	    /* link template, "{{token}}" replaced */
	int signup_ttl_s;	    /* default 1800 */
	char *signup_url;	    /* link template, "{{token}}" replaced */
	char *signup_tenant;	    /* tenant key new users join; "": sign-up answers 501 */
	char *signup_role;	    /* role name for them */
	bool signup_fast;	    /* POST /auth/signup/fast allowed; default false */
	char **signup_fast_clients; /* clients allowed the fast path; none listed: every client */
	size_t nsignup_fast_clients;
	int password_history; /* a new password may not be one of the last N; default 5 */
};

struct config {
	char *path;

	/* server */
	char *listen;		 /* "127.0.0.1:3000" */
	int loops;		 /* event loops (SO_REUSEPORT listeners); default CPUs, 1..64 */
	int workers;		 /* default 2 × CPUs, 1..256 */
	int worker_nice;	 /* nice of the worker threads, 0..19; default 19 */
	bool worker_sched_idle;	 /* worker_sched "idle" (SCHED_IDLE, default) or "normal" */
	int queue_max;		 /* pending jobs before 503; default 1024 */
	size_t max_body_bytes;	 /* default 64 KiB */
	size_t max_header_bytes; /* default 16 KiB */
	int timeout_s;		 /* read/write timeout per connection; default 30 */
	int header_timeout_s;	 /* request line + headers, absolute; default 10 */
	int body_timeout_s;	 /* body after the headers, absolute; default 30 */
	int max_connections;	 /* client connections at once, all loops; 0: no limit; 4096 */
	int connection_rate;	 /* requests per second per connection; 0: no limit (default) */
	int drain_timeout_s;	 /* SIGTERM grace; default 10 */
	char *log_level;	 /* "info" */

	/* store */
	char *database_url;
	int statement_timeout_ms; /* default 5000 */
	char *sql_dir;		  /* migrations; "" (default): the built-in ones */
	bool migrate_on_start;	  /* default false */
	/* database { }: the revocation listener's own connection (LISTEN
	 * needs a session, so not through a transaction pooler); NULL: the
	 * database_url (secret: may hold a password) */
	char *database_listen_url;
	bool database_prepared;	 /* named prepared statements; default true */
	bool database_listen;	 /* LISTEN/NOTIFY for revocations; default true */
	bool database_snapshots; /* pg_current_snapshot in the poll; default true */

	/* tokens */
	char *issuer;		    /* "authsvc" */
	enum jwt_alg_kind jwt_alg;  /* "RS256" (default), "ES256", "HS256" */
	char *jwt_private_key_file; /* PEM; empty: keys generated and kept in the DB */
	char *jwt_public_key_file;
	char *jwt_key_passphrase; /* encrypts generated private keys at rest (secret) */
	char *jwt_hs_secret;	  /* HS256 only (secret, >= 32 bytes) */
	int revocation_poll_s;	  /* default 5 */
	int revocation_batch_ms;  /* default 20: one NOTIFY per batch of revocations */
	/* seconds after a rotation in which the old refresh token coming back
	 * is refused without revoking its family (two tabs refreshing at
	 * once); 0 (default): any reuse revokes the family */
	int refresh_token_grace_s;
	/* signing-key rotation (docs/operator-guide.md "Key rotation"): a new
	 * key every key_rotation_s seconds (0, the default: only by hand), and
	 * how often instances look for new keys besides NOTIFY (default 30) */
	int key_rotation_s;
	int key_poll_s;

	/* login activity */
	bool activity_enabled; /* default true */
	char *activity_key;    /* 32-byte key, hex or base64 (secret); empty: stored plain */
	char *activity_actor;  /* "user_id" or "user_tenant_id" */
	char *trusted_proxies; /* addresses and CIDR ranges of the reverse proxies */
	struct netrange_list trusted_proxy_ranges; /* trusted_proxies, parsed */
	bool forwarded_rfc7239; /* forwarded_header = "Forwarded" (else X-Forwarded-For) */
	/* login-activity queries (analytics): their own statement timeout, and
	 * how many workers they may hold at once, so logins keep the rest */
	int activity_query_timeout_ms; /* default 2000 */
	int activity_max_workers;      /* default workers / 2, at least 1 */
	/* months of login activity kept besides the current one; older
	 * months' partitions are dropped (app/housekeeping.h). 0 (default): all */
	int activity_retention_months;

	/* clients.secret_key (secret): 32 bytes, hex or base64; client secrets
	 * are stored as HMAC-SHA-256 under it. Empty: unsalted SHA-256. */
	char *client_secret_key;

	struct password_policy password;
	struct bruteforce_policy bruteforce;

	/* CORS: browser origins allowed to call the API (exact match, e.g.
	 * "https://app.example"); none by default. */
	char **cors_origins;
	size_t ncors_origins;
	bool cors_credentials; /* Access-Control-Allow-Credentials; default false */
	int cors_max_age_s;    /* preflight cache; default 600 */

	struct notify_conf notify;
	struct otp_conf otp;
	struct mfa_conf mfa;
	struct account_conf account;

	/* metrics { ... }: the Prometheus listener (docs/operator-guide.md "Metrics") */
	bool metrics_enabled; /* default false: nothing counted, no listener */
	char *metrics_listen; /* "127.0.0.1:9464"; never the API listener */

	/* plugins */
	char *plugin_dir;
	struct plugin_conf *plugins;
	size_t nplugins;

	void *priv; /* libconfig state kept for plugin settings */
};

/* true when client_id is in list (n == 0: every client). Any thread. */
bool config_client_listed(char *const *list, size_t n, const char *client_id);

/* true when origin is one of cors_origins. Any thread. */
bool config_cors_allows(const struct config *cfg, const char *origin);

/* Read and validate path into cfg (zeroed by the caller). 0 or -1 with err. */
int config_load(const char *path, struct config *cfg, struct err *err);
void config_release(struct config *cfg);

/*
 * Plugin settings, looked up in the plugin's `settings` group. Return 0 when
 * found (*out set; strings borrowed until config_release), 1 when absent,
 * -1 on a type mismatch. Secrets: `<key>_env` is resolved by
 * config_plugin_str when the key itself is absent.
 */
int config_plugin_str(const struct plugin_conf *pc, const char *key, const char **out);
int config_plugin_int(const struct plugin_conf *pc, const char *key, int64_t *out);
int config_plugin_bool(const struct plugin_conf *pc, const char *key, bool *out);
/* Names of all keys in the plugin's settings group, for unknown-key checks.
 * Returns the count; names are borrowed. */
size_t config_plugin_keys(const struct plugin_conf *pc, const char **names, size_t max);

#endif

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
 * Main thread only; the struct is read-only once workers start.
 */
#ifndef AUTHSVC_CONFIG_H
#define AUTHSVC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

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
	int account_max_failures; /* failures per account within the window; default 5 */
	int ip_max_failures;	  /* failures per client address within the window; default 50 */
	int window_s;		  /* default 900 */
	int lockout_s;		  /* first lockout; doubles with each further one; default 300 */
};

struct config {
	char *path;

	/* server */
	char *listen;		 /* "127.0.0.1:3000" */
	int loops;		 /* event loops (SO_REUSEPORT listeners); default CPUs, 1..64 */
	int workers;		 /* default 2 × CPUs, 1..256 */
	int queue_max;		 /* pending jobs before 503; default 1024 */
	size_t max_body_bytes;	 /* default 64 KiB */
	size_t max_header_bytes; /* default 16 KiB */
	int timeout_s;		 /* read/write timeout per connection; default 30 */
	int max_connections;	 /* client connections at once, all loops; 0: no limit; 4096 */
	int connection_rate;	 /* requests per second per connection; 0: no limit (default) */
	int drain_timeout_s;	 /* SIGTERM grace; default 10 */
	char *log_level;	 /* "info" */

	/* store */
	char *database_url;
	int statement_timeout_ms; /* default 5000 */
	char *sql_dir;		  /* migrations; default AUTHSVC_SQL_DIR */
	bool migrate_on_start;	  /* default false */

	/* tokens */
	char *issuer;		    /* "authsvc" */
	enum jwt_alg_kind jwt_alg;  /* "RS256" (default), "ES256", "HS256" */
	char *jwt_private_key_file; /* PEM; empty: keys generated and kept in the DB */
	char *jwt_public_key_file;
	char *jwt_key_passphrase; /* encrypts generated private keys at rest (secret) */
	char *jwt_hs_secret;	  /* HS256 only (secret, >= 32 bytes) */
	int revocation_poll_s;	  /* default 5 */

	/* login activity */
	bool activity_enabled; /* default true */
	char *activity_key;    /* 32-byte key, hex or base64 (secret); empty: stored plain */
	char *activity_actor;  /* "user_id" or "user_tenant_id" */
	char *trusted_proxies; /* comma list of IPs whose X-Forwarded-For is used */

	struct password_policy password;
	struct bruteforce_policy bruteforce;

	/* CORS: browser origins allowed to call the API (exact match, e.g.
	 * "https://app.example"); none by default. */
	char **cors_origins;
	size_t ncors_origins;
	bool cors_credentials; /* Access-Control-Allow-Credentials; default false */
	int cors_max_age_s;    /* preflight cache; default 600 */

	/* plugins */
	char *plugin_dir;
	struct plugin_conf *plugins;
	size_t nplugins;

	void *priv; /* libconfig state kept for plugin settings */
};

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

/* SPDX-License-Identifier: Apache-2.0 */
#include "config/config.h"
#include "config/config_internal.h"

#include <libconfig.h>

#include "log/log.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef AUTHSVC_PLUGIN_DIR
#define AUTHSVC_PLUGIN_DIR "/usr/lib/authsvc/plugins"
#endif

static int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n < 1024 ? (int)n : 1;
}

/*
 * The plugin directory a binary run from its build tree was built with: the
 * plugins/ beside the executable when that directory also holds
 * CMakeCache.txt (build/authsvc finds build/plugins, whatever the current
 * directory). Written into buf; NULL for an installed binary, which uses
 * AUTHSVC_PLUGIN_DIR. No build path is compiled in, so installed binaries
 * do not carry one.
 */
static const char *build_tree_plugin_dir(char *buf, size_t size)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	struct stat st;

	if (n <= 0 || (size_t)n >= sizeof(exe) - 1)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/CMakeCache.txt", exe);
	if (stat(probe, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	if ((size_t)snprintf(buf, size, "%s/plugins", exe) >= size || stat(buf, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return NULL;
	return buf;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* A string setting, or `<key>_env` naming an environment variable. */
int cfg_get_str(const config_setting_t *grp, const char *key, const char *def, bool secret,
		char **out, struct err *err)
{
	const char *v = NULL;
	char envkey[128];

	if (grp != NULL && config_setting_lookup_string(grp, key, &v) != CONFIG_TRUE) {
		if (config_setting_get_member(grp, key) != NULL)
			return err_set(err, 0, "%s: must be a string", key);
		v = NULL;
	}
	if (v == NULL && secret && grp != NULL) {
		const char *var = NULL;

		snprintf(envkey, sizeof(envkey), "%s_env", key);
		if (config_setting_lookup_string(grp, envkey, &var) == CONFIG_TRUE) {
			v = getenv(var);
			if (v == NULL)
				return err_set(err, 0, "%s: environment variable %s is not set",
					       envkey, var);
		}
	}
	if (v == NULL)
		v = def;
	free(*out);
	*out = dup_or_null(v);
	if (v != NULL && *out == NULL)
		return err_set(err, 0, "out of memory");
	return 0;
}

int cfg_get_int(const config_setting_t *grp, const char *key, int def, int min, int max, int *out,
		struct err *err)
{
	const config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	int v;

	/* *out always holds a value, also on error, so no caller reads it
	 * uninitialised (and gcc -O2 can see that across err_set()). */
	*out = def;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return err_set(err, 0, "%s: must be an integer", key);
	v = config_setting_get_int(s);
	if (v < min || v > max)
		return err_set(err, 0, "%s: must be between %d and %d", key, min, max);
	*out = v;
	return 0;
}

/* A period: an integer of seconds, or a string "<n>s|m|h|d|w" ("90d"). */
static int cfg_get_period(const config_setting_t *grp, const char *key, int def, int max, int *out,
			  struct err *err)
{
	static const struct {
		char unit;
		long secs;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	const config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
	const char *str;
	char *end;
	long n;
	size_t i;

	*out = def;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		return cfg_get_int(grp, key, def, 0, max, out, err);
	str = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (str == NULL || *str < '0' || *str > '9')
		return err_set(err, 0, "%s: must be seconds or a period such as \"90d\"", key);
	n = strtol(str, &end, 10);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].unit && end[1] == '\0')
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return err_set(
		    err, 0, "%s: must be seconds or a period such as \"90d\" (s, m, h, d, w)", key);
	if (n > max / units[i].secs)
		return err_set(err, 0, "%s: at most %d seconds", key, max);
	*out = (int)(n * units[i].secs);
	return 0;
}

int cfg_get_bool(const config_setting_t *grp, const char *key, bool def, bool *out, struct err *err)
{
	const config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;

	*out = def;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return err_set(err, 0, "%s: must be true or false", key);
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

/* Refuse keys the schema does not know, so typos are caught at --check-config. */
int cfg_check_keys(const config_setting_t *grp, const char *where, const char *const *known,
		   struct err *err)
{
	int n = grp ? config_setting_length(grp) : 0;

	/* a list's elements have no names (and a scalar would read as empty) */
	if (grp != NULL && !config_setting_is_group(grp))
		return err_set(err, 0, "%.*s: must be a group", (int)strcspn(where, "."), where);
	for (int i = 0; i < n; i++) {
		const char *name = config_setting_name(config_setting_get_elem(grp, i));
		bool ok = false;

		for (const char *const *k = known; *k != NULL && !ok; k++) {
			size_t kl = strlen(*k);

			ok = strcmp(name, *k) == 0 ||
			     (strncmp(name, *k, kl) == 0 && strcmp(name + kl, "_env") == 0);
		}
		if (!ok)
			return err_set(err, 0, "%s%s: unknown setting", where, name);
	}
	return 0;
}

static const char *const top_keys[] = {"listen",
				       "loops",
				       "workers",
				       "worker_nice",
				       "worker_sched",
				       "queue_max",
				       "max_body_bytes",
				       "max_header_bytes",
				       "timeout",
				       "header_timeout",
				       "body_timeout",
				       "max_connections",
				       "connection_rate",
				       "drain_timeout",
				       "log_level",
				       "database_url",
				       "statement_timeout_ms",
				       "sql_dir",
				       "migrate_on_start",
				       "tokens",
				       "activity",
				       "password",
				       "plugin_dir",
				       "plugins",
				       "bruteforce",
				       "cors",
				       "notify",
				       "otp",
				       "mfa",
				       "account",
				       "clients",
				       "database",
				       "metrics",
				       NULL};
static const char *const token_keys[] = {
    "issuer", "algorithm", "private_key_file", "public_key_file", "key_passphrase", "hs_secret",
    "revocation_poll", "revocation_batch_ms", "refresh_token_grace",
    /* signing-key rotation */
    "key_rotation", "key_poll", NULL};
static const char *const activity_keys[] = {"enabled", "key", "actor", "trusted_proxies",
					    "forwarded_header", "query_timeout_ms", "max_workers",
					    /* monthly partitions */
					    "retention_months", NULL};
static const char *const password_keys[] = {"min_length",	    "max_length",
					    "require_mixed",	    "forbid_username",
					    "argon2_t_cost",	    "argon2_m_cost_kib",
					    "argon2_parallelism",   "hash_concurrency",
					    "require_old_password", NULL};
static const char *const plugin_keys[] = {"file", "enabled", "settings", NULL};
static const char *const bruteforce_keys[] = {"enabled",      "account_max_failures",
					      "account_rate", "ip_max_failures",
					      "window",	      "lockout",
					      "device_ttl",   NULL};

/* database { ... }: connection roles and the PostgreSQL features used, for
 * poolers, standbys and engines that lack some (docs/scaling.md). */
static const char *const database_keys[] = {"listen_url", "prepared_statements", "listen",
					    "snapshots", NULL};

static int load_database(const config_setting_t *grp, struct config *c, struct err *err)
{
	if (cfg_check_keys(grp, "database.", database_keys, err) < 0 ||
	    cfg_get_str(grp, "listen_url", NULL, true, &c->database_listen_url, err) < 0 ||
	    cfg_get_bool(grp, "prepared_statements", true, &c->database_prepared, err) < 0 ||
	    cfg_get_bool(grp, "listen", true, &c->database_listen, err) < 0 ||
	    cfg_get_bool(grp, "snapshots", true, &c->database_snapshots, err) < 0)
		return -1;
	return 0;
}

static int load_bruteforce(const config_setting_t *grp, struct config *c, struct err *err)
{
	struct bruteforce_policy *b = &c->bruteforce;

	if (cfg_check_keys(grp, "bruteforce.", bruteforce_keys, err) < 0 ||
	    cfg_get_bool(grp, "enabled", true, &b->enabled, err) < 0 ||
	    cfg_get_int(grp, "account_max_failures", 5, 1, 1000000, &b->account_max_failures, err) <
		0 ||
	    cfg_get_int(grp, "account_rate", 20, 1, 1000000, &b->account_rate, err) < 0 ||
	    cfg_get_int(grp, "ip_max_failures", 50, 1, 1000000, &b->ip_max_failures, err) < 0 ||
	    cfg_get_int(grp, "window", 900, 1, 86400 * 30, &b->window_s, err) < 0 ||
	    cfg_get_int(grp, "lockout", 300, 1, 86400, &b->lockout_s, err) < 0 ||
	    cfg_get_int(grp, "device_ttl", 30 * 86400, 0, 400 * 86400, &b->device_ttl_s, err) < 0)
		return -1;
	return 0;
}

static int load_server(const config_setting_t *root, struct config *c, struct err *err)
{
	int body, hdr, lvl;
	char *sched = NULL, built[PATH_MAX];
	const char *plugin_dir = build_tree_plugin_dir(built, sizeof(built));

	if (cfg_get_str(root, "listen", "127.0.0.1:3000", false, &c->listen, err) < 0 ||
	    cfg_get_int(root, "loops", cpu_count(), 1, 64, &c->loops, err) < 0 ||
	    cfg_get_int(root, "workers", 2 * cpu_count(), 1, 256, &c->workers, err) < 0 ||
	    cfg_get_int(root, "worker_nice", 19, 0, 19, &c->worker_nice, err) < 0 ||
	    cfg_get_int(root, "queue_max", 1024, 1, 1000000, &c->queue_max, err) < 0 ||
	    cfg_get_int(root, "max_body_bytes", 65536, 256, 16 << 20, &body, err) < 0 ||
	    cfg_get_int(root, "max_header_bytes", 16384, 1024, 1 << 20, &hdr, err) < 0 ||
	    cfg_get_int(root, "timeout", 30, 1, 3600, &c->timeout_s, err) < 0 ||
	    cfg_get_int(root, "header_timeout", 10, 1, 3600, &c->header_timeout_s, err) < 0 ||
	    cfg_get_int(root, "body_timeout", 30, 1, 3600, &c->body_timeout_s, err) < 0 ||
	    cfg_get_int(root, "max_connections", 4096, 0, 1000000, &c->max_connections, err) < 0 ||
	    cfg_get_int(root, "connection_rate", 0, 0, 1000000, &c->connection_rate, err) < 0 ||
	    cfg_get_int(root, "drain_timeout", 10, 0, 3600, &c->drain_timeout_s, err) < 0 ||
	    cfg_get_str(root, "log_level", "info", false, &c->log_level, err) < 0 ||
	    cfg_get_str(root, "worker_sched", "idle", false, &sched, err) < 0) {
		free(sched);
		return -1;
	}
	c->worker_sched_idle = strcmp(sched, "idle") == 0;
	if (!c->worker_sched_idle && strcmp(sched, "normal") != 0) {
		free(sched);
		return err_set(err, 0, "worker_sched: must be idle or normal");
	}
	free(sched);
	c->max_body_bytes = (size_t)body;
	c->max_header_bytes = (size_t)hdr;
	lvl = log_level_parse(c->log_level);
	if (lvl < 0)
		return err_set(err, 0, "log_level: must be error, warn, info or debug");
	if (cfg_get_str(root, "database_url", NULL, true, &c->database_url, err) < 0 ||
	    cfg_get_int(root, "statement_timeout_ms", 5000, 10, 3600000, &c->statement_timeout_ms,
			err) < 0 ||
	    cfg_get_str(root, "sql_dir", "", false, &c->sql_dir, err) < 0 ||
	    cfg_get_bool(root, "migrate_on_start", false, &c->migrate_on_start, err) < 0 ||
	    cfg_get_str(root, "plugin_dir", plugin_dir ? plugin_dir : AUTHSVC_PLUGIN_DIR, false,
			&c->plugin_dir, err) < 0)
		return -1;
	return 0;
}

static int load_tokens(const config_setting_t *grp, struct config *c, struct err *err)
{
	char *alg = NULL;
	int rc = -1;

	if (cfg_check_keys(grp, "tokens.", token_keys, err) < 0 ||
	    cfg_get_str(grp, "issuer", "authsvc", false, &c->issuer, err) < 0 ||
	    cfg_get_str(grp, "algorithm", "RS256", false, &alg, err) < 0 ||
	    cfg_get_str(grp, "private_key_file", NULL, false, &c->jwt_private_key_file, err) < 0 ||
	    cfg_get_str(grp, "public_key_file", NULL, false, &c->jwt_public_key_file, err) < 0 ||
	    cfg_get_str(grp, "key_passphrase", NULL, true, &c->jwt_key_passphrase, err) < 0 ||
	    cfg_get_str(grp, "hs_secret", NULL, true, &c->jwt_hs_secret, err) < 0 ||
	    cfg_get_int(grp, "revocation_poll", 5, 1, 3600, &c->revocation_poll_s, err) < 0 ||
	    cfg_get_int(grp, "revocation_batch_ms", 20, 0, 1000, &c->revocation_batch_ms, err) <
		0 ||
	    cfg_get_int(grp, "refresh_token_grace", 0, 0, 300, &c->refresh_token_grace_s, err) <
		0 ||
	    cfg_get_period(grp, "key_rotation", 0, 3650 * 86400, &c->key_rotation_s, err) < 0 ||
	    cfg_get_period(grp, "key_poll", 30, 3600, &c->key_poll_s, err) < 0)
		goto out;
	if (c->key_poll_s < 1) {
		err_set(err, 0, "tokens.key_poll: at least 1 second");
		goto out;
	}
	if (strcmp(alg, "RS256") == 0)
		c->jwt_alg = JWT_KIND_RS256;
	else if (strcmp(alg, "ES256") == 0)
		c->jwt_alg = JWT_KIND_ES256;
	else if (strcmp(alg, "HS256") == 0)
		c->jwt_alg = JWT_KIND_HS256;
	else {
		err_set(err, 0, "tokens.algorithm: must be RS256, ES256 or HS256");
		goto out;
	}
	if (c->jwt_alg == JWT_KIND_HS256 &&
	    (c->jwt_hs_secret == NULL || strlen(c->jwt_hs_secret) < 32)) {
		err_set(err, 0, "tokens.hs_secret: HS256 needs a secret of at least 32 bytes");
		goto out;
	}
	rc = 0;
out:
	free(alg);
	return rc;
}

static int load_activity(const config_setting_t *grp, struct config *c, struct err *err)
{
	char *hdr = NULL;
	struct err e = {0};
	int rc = -1;

	if (cfg_check_keys(grp, "activity.", activity_keys, err) < 0 ||
	    cfg_get_bool(grp, "enabled", true, &c->activity_enabled, err) < 0 ||
	    cfg_get_int(grp, "retention_months", 0, 0, 1200, &c->activity_retention_months, err) <
		0 ||
	    cfg_get_str(grp, "key", NULL, true, &c->activity_key, err) < 0 ||
	    cfg_get_str(grp, "actor", "user_id", false, &c->activity_actor, err) < 0 ||
	    cfg_get_str(grp, "trusted_proxies", "", false, &c->trusted_proxies, err) < 0 ||
	    cfg_get_str(grp, "forwarded_header", "X-Forwarded-For", false, &hdr, err) < 0 ||
	    cfg_get_int(grp, "query_timeout_ms", 2000, 10, 3600000, &c->activity_query_timeout_ms,
			err) < 0 ||
	    cfg_get_int(grp, "max_workers", c->workers > 1 ? c->workers / 2 : 1, 1, 256,
			&c->activity_max_workers, err) < 0)
		goto out;
	if (c->activity_max_workers > c->workers) {
		err_set(err, 0, "activity.max_workers: at most workers (%d)", c->workers);
		goto out;
	}
	if (strcmp(c->activity_actor, "user_id") != 0 &&
	    strcmp(c->activity_actor, "user_tenant_id") != 0) {
		err_set(err, 0, "activity.actor: must be user_id or user_tenant_id");
		goto out;
	}
	if (strcasecmp(hdr, "X-Forwarded-For") == 0) {
		c->forwarded_rfc7239 = false;
	} else if (strcasecmp(hdr, "Forwarded") == 0) {
		c->forwarded_rfc7239 = true;
	} else {
		err_set(err, 0, "activity.forwarded_header: must be X-Forwarded-For or Forwarded");
		goto out;
	}
	if (netrange_list_parse(c->trusted_proxies, &c->trusted_proxy_ranges, &e) < 0) {
		err_set(err, 0, "activity.trusted_proxies: %s", e.msg);
		goto out;
	}
	rc = 0;
out:
	free(hdr);
	return rc;
}

static int load_password(const config_setting_t *grp, struct config *c, struct err *err)
{
	struct password_policy *p = &c->password;
	int t, m, par;

	if (cfg_check_keys(grp, "password.", password_keys, err) < 0 ||
	    cfg_get_int(grp, "min_length", 8, 1, 1024, &p->min_length, err) < 0 ||
	    cfg_get_int(grp, "max_length", 256, 8, 4096, &p->max_length, err) < 0 ||
	    cfg_get_bool(grp, "require_mixed", false, &p->require_mixed, err) < 0 ||
	    cfg_get_bool(grp, "forbid_username", true, &p->forbid_username, err) < 0 ||
	    cfg_get_int(grp, "argon2_t_cost", 3, 1, 100, &t, err) < 0 ||
	    cfg_get_int(grp, "argon2_m_cost_kib", 65536, 8, 4 << 20, &m, err) < 0 ||
	    cfg_get_int(grp, "argon2_parallelism", 1, 1, 64, &par, err) < 0 ||
	    cfg_get_int(grp, "hash_concurrency", cpu_count(), 1, 1024, &p->hash_concurrency, err) <
		0 ||
	    cfg_get_bool(grp, "require_old_password", true, &p->require_old_password, err) < 0)
		return -1;
	if (p->min_length > p->max_length)
		return err_set(err, 0, "password.min_length: larger than max_length");
	p->argon2_t_cost = (uint32_t)t;
	p->argon2_m_cost_kib = (uint32_t)m;
	p->argon2_parallelism = (uint32_t)par;
	return 0;
}

static const char *const cors_keys[] = {"allowed_origins", "allow_credentials", "max_age", NULL};

static const char *const clients_keys[] = {"secret_key", NULL};

static int load_clients(const config_setting_t *grp, struct config *c, struct err *err)
{
	if (cfg_check_keys(grp, "clients.", clients_keys, err) < 0 ||
	    cfg_get_str(grp, "secret_key", "", true, &c->client_secret_key, err) < 0)
		return -1;
	return 0;
}

static const char *const metrics_keys[] = {"enabled", "listen", NULL};

static int load_metrics(const config_setting_t *grp, struct config *c, struct err *err)
{
	if (cfg_check_keys(grp, "metrics.", metrics_keys, err) < 0 ||
	    cfg_get_bool(grp, "enabled", false, &c->metrics_enabled, err) < 0 ||
	    cfg_get_str(grp, "listen", "127.0.0.1:9464", false, &c->metrics_listen, err) < 0)
		return -1;
	if (c->metrics_enabled && strcmp(c->metrics_listen, c->listen) == 0)
		return err_set(err, 0, "metrics.listen: must differ from listen");
	return 0;
}

static int load_cors(const config_setting_t *grp, struct config *c, struct err *err)
{
	const config_setting_t *list =
	    grp ? config_setting_get_member(grp, "allowed_origins") : NULL;
	int n = list ? config_setting_length(list) : 0;

	if (grp != NULL && !config_setting_is_group(grp))
		return err_set(err, 0, "cors: must be a group");
	if (cfg_check_keys(grp, "cors.", cors_keys, err) < 0 ||
	    cfg_get_bool(grp, "allow_credentials", false, &c->cors_credentials, err) < 0 ||
	    cfg_get_int(grp, "max_age", 600, 0, 86400, &c->cors_max_age_s, err) < 0)
		return -1;
	if (list != NULL && !config_setting_is_array(list) && !config_setting_is_list(list))
		return err_set(err, 0, "cors.allowed_origins: must be a list of strings");
	c->cors_origins = calloc((size_t)n + 1, sizeof(char *));
	if (c->cors_origins == NULL)
		return err_set(err, 0, "out of memory");
	for (int i = 0; i < n; i++) {
		const char *o = config_setting_get_string_elem(list, i);

		if (o == NULL ||
		    (strncmp(o, "https://", 8) != 0 && strncmp(o, "http://", 7) != 0) ||
		    o[strlen(o) - 1] == '/')
			return err_set(err, 0,
				       "cors.allowed_origins: \"scheme://host[:port]\" strings, "
				       "no path");
		c->cors_origins[c->ncors_origins] = strdup(o);
		if (c->cors_origins[c->ncors_origins] == NULL)
			return err_set(err, 0, "out of memory");
		c->ncors_origins++;
	}
	return 0;
}

bool config_cors_allows(const struct config *cfg, const char *origin)
{
	if (origin == NULL)
		return false;
	for (size_t i = 0; i < cfg->ncors_origins; i++)
		if (strcmp(cfg->cors_origins[i], origin) == 0)
			return true;
	return false;
}

static int load_plugins(const config_setting_t *grp, struct config *c, struct err *err)
{
	int n = grp ? config_setting_length(grp) : 0;

	if (grp != NULL && !config_setting_is_group(grp))
		return err_set(err, 0, "plugins: must be a group of name = { file = ...; }");
	c->plugins = calloc(n > 0 ? (size_t)n : 1, sizeof(*c->plugins));
	if (c->plugins == NULL)
		return err_set(err, 0, "out of memory");
	for (int i = 0; i < n; i++) {
		config_setting_t *pg = config_setting_get_elem(grp, (unsigned)i);
		struct plugin_conf *pc = &c->plugins[c->nplugins];
		char where[128];

		snprintf(where, sizeof(where), "plugins.%s.", config_setting_name(pg));
		if (!config_setting_is_group(pg))
			return err_set(err, 0, "%s: must be a group", where);
		if (cfg_check_keys(pg, where, plugin_keys, err) < 0)
			return -1;
		pc->name = strdup(config_setting_name(pg));
		if (pc->name == NULL)
			return err_set(err, 0, "out of memory");
		c->nplugins++;
		if (cfg_get_str(pg, "file", NULL, false, &pc->file, err) < 0 ||
		    cfg_get_bool(pg, "enabled", true, &pc->enabled, err) < 0)
			return -1;
		if (pc->file == NULL)
			return err_set(err, 0, "%sfile: required", where);
		pc->settings = config_setting_get_member(pg, "settings");
		if (pc->settings != NULL &&
		    !config_setting_is_group((config_setting_t *)pc->settings))
			return err_set(err, 0, "%ssettings: must be a group", where);
	}
	return 0;
}

static int apply_env(struct config *c, struct err *err)
{
	const char *v;

	v = getenv("AUTHSVC_LISTEN");
	if (v != NULL && *v != '\0') {
		free(c->listen);
		c->listen = strdup(v);
	}
	v = getenv("AUTHSVC_DATABASE_URL");
	if (v != NULL && *v != '\0') {
		free(c->database_url);
		c->database_url = strdup(v);
		if (c->database_url == NULL)
			return err_set(err, 0, "out of memory");
	}
	if (c->listen == NULL)
		return err_set(err, 0, "out of memory");
	return 0;
}

int config_load(const char *path, struct config *c, struct err *err)
{
	config_t *lc = calloc(1, sizeof(*lc));
	const config_setting_t *root;

	memset(c, 0, sizeof(*c));
	if (lc == NULL)
		return err_set(err, 0, "out of memory");
	config_init(lc);
	c->priv = lc;
	c->path = strdup(path);
	if (config_read_file(lc, path) != CONFIG_TRUE) {
		if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
			/* libconfig keeps no errno: ask the file system why */
			FILE *f = fopen(path, "r");
			int e = f == NULL ? errno : EIO;

			if (f != NULL)
				fclose(f);
			return err_set(err, 0, "%s: cannot read file: %s", path,
				       err_file_reason(e));
		}
		return err_set(err, 0, "%s:%d: %s", path, config_error_line(lc),
			       config_error_text(lc));
	}
	root = config_root_setting(lc);
	if (cfg_check_keys(root, "", top_keys, err) < 0 || load_server(root, c, err) < 0 ||
	    load_tokens(config_setting_get_member(root, "tokens"), c, err) < 0 ||
	    load_activity(config_setting_get_member(root, "activity"), c, err) < 0 ||
	    load_password(config_setting_get_member(root, "password"), c, err) < 0 ||
	    load_bruteforce(config_setting_get_member(root, "bruteforce"), c, err) < 0 ||
	    load_plugins(config_setting_get_member(root, "plugins"), c, err) < 0 ||
	    load_cors(config_setting_get_member(root, "cors"), c, err) < 0 ||
	    load_clients(config_setting_get_member(root, "clients"), c, err) < 0 ||
	    load_database(config_setting_get_member(root, "database"), c, err) < 0 ||
	    load_metrics(config_setting_get_member(root, "metrics"), c, err) < 0 ||
	    config_load_flows(root, c, err) < 0 || apply_env(c, err) < 0)
		return -1;
	if (c->database_url == NULL || *c->database_url == '\0')
		return err_set(err, 0, "database_url: required (or AUTHSVC_DATABASE_URL)");
	return 0;
}

void config_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void config_release(struct config *c)
{
	for (size_t i = 0; i < c->nplugins; i++) {
		free(c->plugins[i].name);
		free(c->plugins[i].file);
	}
	free(c->plugins);
	for (size_t i = 0; i < c->ncors_origins; i++)
		free(c->cors_origins[i]);
	free(c->cors_origins);
	free(c->path);
	free(c->listen);
	free(c->metrics_listen);
	free(c->log_level);
	free(c->database_url);
	config_free_secret(c->database_listen_url);
	free(c->sql_dir);
	free(c->plugin_dir);
	free(c->issuer);
	free(c->jwt_private_key_file);
	free(c->jwt_public_key_file);
	config_free_secret(c->jwt_key_passphrase);
	config_free_secret(c->jwt_hs_secret);
	config_free_secret(c->activity_key);
	config_free_secret(c->client_secret_key);
	free(c->activity_actor);
	free(c->trusted_proxies);
	netrange_list_release(&c->trusted_proxy_ranges);
	config_release_flows(c);
	if (c->priv != NULL) {
		config_destroy(c->priv);
		free(c->priv);
	}
	memset(c, 0, sizeof(*c));
}

int config_plugin_str(const struct plugin_conf *pc, const char *key, const char **out)
{
	const config_setting_t *s =
	    pc->settings ? config_setting_get_member(pc->settings, key) : NULL;
	char envkey[128];

	if (s == NULL) {
		snprintf(envkey, sizeof(envkey), "%s_env", key);
		s = pc->settings ? config_setting_get_member(pc->settings, envkey) : NULL;
		if (s == NULL)
			return 1;
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return -1;
		*out = getenv(config_setting_get_string(s));
		return *out != NULL ? 0 : 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return -1;
	*out = config_setting_get_string(s);
	return 0;
}

int config_plugin_int(const struct plugin_conf *pc, const char *key, int64_t *out)
{
	const config_setting_t *s =
	    pc->settings ? config_setting_get_member(pc->settings, key) : NULL;

	if (s == NULL)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return -1;
	*out = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		*out = config_setting_get_int(s);
	return 0;
}

int config_plugin_bool(const struct plugin_conf *pc, const char *key, bool *out)
{
	const config_setting_t *s =
	    pc->settings ? config_setting_get_member(pc->settings, key) : NULL;

	if (s == NULL)
		return 1;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return -1;
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

size_t config_plugin_keys(const struct plugin_conf *pc, const char **names, size_t max)
{
	int n = pc->settings ? config_setting_length(pc->settings) : 0;
	size_t k = 0;

	for (int i = 0; i < n && k < max; i++)
		names[k++] =
		    config_setting_name(config_setting_get_elem(pc->settings, (unsigned)i));
	return k;
}

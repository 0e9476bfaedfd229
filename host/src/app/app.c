/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Start-up and shut-down of the server (app/app.h): keys from the
 * configuration, migrations and the schema check, token keys, the
 * background services and the plugins.
 */
#include "app/app.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <jansson.h>

#include "activity/handlers.h"
#include "app/housekeeping.h"
#include "app/keys_sync.h"
#include "core/hooks.h"
#include "core/password.h"
#include "log/log.h"
#include "notify/notify.h"
#include "plugins/loader.h"
#include "store/db.h"
#include "store/keys_store.h"
#include "store/migrate.h"
#include "util/key32.h"
#include "util/metrics.h"

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		errno = EFBIG; /* the one way here that leaves errno unset */
		return -1;
	}
	*out = calloc(1, (size_t)n + 1);
	if (*out == NULL || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		int e = *out == NULL ? ENOMEM : EIO;

		free(*out);
		fclose(f);
		errno = e;
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/*
 * A 32-byte key setting (util/key32.h) into out: 0 when unset or empty, 1
 * when set, -1 when it does not decode. The message names the setting and
 * the length given, never the value.
 */
static int key_load(const char *name, const char *value, unsigned char out[KEY32_LEN],
		    struct err *err)
{
	if (value == NULL || *value == '\0')
		return 0;
	if (key32_parse(value, out) < 0)
		return err_set(err, 0,
			       "%s: not a 32-byte key (%zu characters given; want 64 hex digits, "
			       "as `openssl rand -hex 32` prints, or base64 of 32 bytes)",
			       name, strlen(value));
	return 1;
}

/* Generated keys live in the database, and only encrypted there. */
static int key_storage_check(const struct config *cfg, struct err *err)
{
	if (cfg->jwt_alg == JWT_KIND_HS256 ||
	    (cfg->jwt_private_key_file != NULL && *cfg->jwt_private_key_file != '\0'))
		return 0;
	if (cfg->jwt_key_passphrase == NULL || *cfg->jwt_key_passphrase == '\0')
		return err_set(err, 0,
			       "tokens.key_passphrase: required unless private_key_file is set");
	if (strlen(cfg->jwt_key_passphrase) < 16)
		return err_set(err, 0, "tokens.key_passphrase: at least 16 characters");
	return 0;
}

/* The signing keys live in the database (RS256/ES256 without a key file). */
static bool keys_in_db(const struct config *cfg)
{
	return cfg->jwt_alg != JWT_KIND_HS256 &&
	       (cfg->jwt_private_key_file == NULL || *cfg->jwt_private_key_file == '\0');
}

/* Publish ring (released here) as app->keys. */
static int keys_publish(struct app *app, struct keyring *ring, struct err *err)
{
	struct keyset *set = keyset_new(ring);

	keyring_release(ring);
	if (set == NULL)
		return err_set(err, 0, "out of memory");
	keys_live_set(&app->keys, set);
	return 0;
}

/* The keys the configuration holds: the HS secret or the key file. */
static int keys_from_config(struct app *app, const struct config *cfg, struct err *err)
{
	struct keyring ring;
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (keyring_init(&ring, cfg->jwt_alg) < 0)
		return err_set(err, 0, "out of memory");
	if (cfg->jwt_alg == JWT_KIND_HS256) {
		rc = keyring_set_hs_secret(&ring, (const unsigned char *)cfg->jwt_hs_secret,
					   strlen(cfg->jwt_hs_secret), err);
	} else if (read_file(cfg->jwt_private_key_file, &pem, &len) < 0) {
		rc = err_set(err, 0, "tokens.private_key_file: cannot read file %s: %s",
			     cfg->jwt_private_key_file, err_file_reason(errno));
	} else {
		rc = keyring_add_private_pem(&ring, NULL, pem, len, cfg->jwt_key_passphrase, err);
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	if (rc < 0) {
		keyring_release(&ring);
		return -1;
	}
	return keys_publish(app, &ring, err);
}

/* Keys from the jwt_keys table: load what is there; with create, make the
 * first one when there is none (an RSA-2048 key takes a noticeable time).
 * 1 published (the key listener then keeps them current, app/keys_sync.h),
 * 0 none there yet (without create), -1 error. */
static int keys_from_db(struct app *app, const struct config *cfg, struct db *db, bool create,
			struct err *err)
{
	struct keyring ring;
	int encrypted = 0, rc;

	if (keyring_init(&ring, cfg->jwt_alg) < 0)
		return err_set(err, 0, "out of memory");
	rc = create ? keys_store_load_or_create(db, &ring, cfg->jwt_key_passphrase, &encrypted,
						NULL, err)
		    : keys_store_load(db, &ring, cfg->jwt_key_passphrase, &encrypted, NULL, err);
	if (encrypted > 0)
		log_warn("signing keys were stored unencrypted; now encrypted count=%d", encrypted);
	if (rc < 0 || ring.nkeys == 0) {
		keyring_release(&ring);
		return rc < 0 ? -1 : 0;
	}
	if (keys_publish(app, &ring, err) < 0 || keys_sync_start(app, &app->keys_sync, err) < 0)
		return -1;
	return 1;
}

/* A server on a schema older than its code would answer 500s: refuse to
 * start instead, naming the fix. Compared with the built-in migrations, or
 * with sql_dir when set; skipped (with a warning) when that directory is
 * not there to compare with. */
static int schema_check(const struct config *cfg, struct db *db, struct err *err)
{
	struct err e = {0};
	int pending = 0;

	if (cfg->sql_dir[0] != '\0' && access(cfg->sql_dir, R_OK | X_OK) != 0) {
		log_warn("schema check skipped sql_dir=%s", LOG_Q(cfg->sql_dir));
		return 0;
	}
	if (store_migrate_pending(db, cfg->sql_dir, &pending, &e) < 0)
		return err_set(err, 0,
			       "database schema missing or unreadable: run authsvc-admin migrate");
	if (pending > 0)
		return err_set(err, 0,
			       "database schema is behind this version (%d migration(s) pending): "
			       "run authsvc-admin migrate",
			       pending);
	return 0;
}

/* What start-up leaves to the background thread (app->deferred). */
enum deferred {
	DEFER_MIGRATE = 1u << 0, /* migrate_on_start, and there is something to apply */
	DEFER_KEY = 1u << 1,	 /* the database has no signing key yet: generate one */
	/* the revocation listener and the housekeeping wait for the migrations */
	DEFER_SERVICES = 1u << 2,
};

/* The revocation listener, on its own connection (database.listen_url);
 * now (may be NULL) is a connection open anyway, for its first read. */
static int revocations_begin(struct app *app, const struct config *cfg, struct db *now,
			     struct err *err)
{
	return revocations_start(
	    &app->revoked,
	    cfg->database_listen_url != NULL ? cfg->database_listen_url : cfg->database_url,
	    now != NULL ? now->conn : NULL, cfg->revocation_poll_s, cfg->revocation_batch_ms, err);
}

/*
 * The database steps of start-up that are quick on a database already set
 * up (the schema check, loading the keys) run here, on one connection, so
 * their failures stop the server before it listens. What is slow only on a
 * new database (applying the migrations, generating the first key) is left
 * in app->deferred for app_start_background.
 */
static int db_setup_now(struct app *app, const struct config *cfg, struct err *err)
{
	struct err e = {0};
	struct db db;
	int pending = 0, rc = 0;

	if (db_connect(&db, cfg->database_url, cfg->statement_timeout_ms, err) < 0) {
		db_close(&db);
		return -1;
	}
	if (cfg->migrate_on_start &&
	    /* an error here is a database with no migrations table yet */
	    (store_migrate_pending(&db, cfg->sql_dir, &pending, &e) < 0 || pending > 0)) {
		app->deferred = DEFER_MIGRATE | DEFER_SERVICES | (keys_in_db(cfg) ? DEFER_KEY : 0);
		db_close(&db);
		return 0;
	}
	if (!cfg->migrate_on_start)
		rc = schema_check(cfg, &db, err);
	if (rc == 0 && keys_in_db(cfg)) {
		rc = keys_from_db(app, cfg, &db, false, err);
		if (rc == 0)
			app->deferred |= DEFER_KEY;
		rc = rc < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = housekeeping_start(cfg, &app->housekeeping, err);
	if (rc == 0)
		rc = revocations_begin(app, cfg, &db, err);
	db_close(&db);
	return rc;
}

/* The background thread: app->deferred in order, then ready. On failure
 * the server stops (SIGTERM to itself) and exits with 1 (app_setup_failed). */
static void *setup_run(void *arg)
{
	struct app *app = arg;
	const struct config *cfg = app->cfg;
	struct err err = {0};
	struct db db;
	int applied = 0, rc;

	rc = db_connect(&db, cfg->database_url, cfg->statement_timeout_ms, &err);
	if (rc == 0 && (app->deferred & DEFER_MIGRATE)) {
		rc = store_migrate(&db, cfg->sql_dir, &applied, &err);
		if (rc == 0 && applied > 0)
			log_info("migrations applied count=%d", applied);
	}
	if (rc == 0 && (app->deferred & DEFER_KEY))
		rc = keys_from_db(app, cfg, &db, true, &err) < 0 ? -1 : 0;
	if (rc == 0 && (app->deferred & DEFER_SERVICES)) {
		rc = housekeeping_start(cfg, &app->housekeeping, &err);
		if (rc == 0)
			rc = revocations_begin(app, cfg, &db, &err);
	}
	db_close(&db);
	if (rc < 0) {
		log_error("startup failed detail=%s", LOG_Q(err.msg));
		atomic_store(&app->setup_failed, true);
		kill(getpid(), SIGTERM);
		return NULL;
	}
	log_info("ready");
	atomic_store_explicit(&app->starting, false, memory_order_release);
	return NULL;
}

static double revocation_size(void *arg)
{
	return (double)revocations_count(arg);
}

static double revocation_lag(void *arg)
{
	return revocations_sync_lag_s(arg);
}

/* Label every route, in the router's order: the server counts route i of
 * the table under metrics id i + 1 (http/server.c). Then the gauges read
 * at scrape time. Counting starts with metrics.enabled. */
static void metrics_setup(struct app *app, const struct config *cfg)
{
	metrics_enable(cfg->metrics_enabled);
	if (!cfg->metrics_enabled)
		return;
	for (size_t i = 0; i < app->router.n; i++) {
		const struct route *r = &app->router.routes[i];

		metrics_route_register(http_method_name(r->method), r->path,
				       metrics_login_type_of(r->path));
	}
	metrics_gauge_register("authsvc_revocation_set_size",
			       "Revoked tokens held in memory (not yet expired)", revocation_size,
			       &app->revoked);
	metrics_gauge_register("authsvc_revocation_sync_lag_seconds",
			       "Seconds since this instance last read the revocations of the "
			       "others",
			       revocation_lag, &app->revoked);
	metrics_workers_total(cfg->workers);
}

int app_build(struct app *app, const struct config *cfg, bool check_only, struct err *err)
{
	char msg[256];
	int rc;

	app->cfg = cfg;
	db_set_prepared(cfg->database_prepared);
	if (keys_live_init(&app->keys) < 0)
		return err_set(err, 0, "out of memory");
	app->keys_live_ready = true;
	if (revocations_init(&app->revoked) < 0)
		return err_set(err, 0, "out of memory");
	app->revoked.listen = cfg->database_listen;
	app->revoked.snapshots = cfg->database_snapshots;
	rc = key_load("activity.key", cfg->activity_key, app->activity_key, err);
	if (rc < 0)
		return -1;
	app->activity_key_set = rc;
	rc = key_load("mfa.secret_key", cfg->mfa.secret_key, app->mfa_key, err);
	if (rc < 0)
		return -1;
	app->mfa_key_set = rc;
	rc = key_load("clients.secret_key", cfg->client_secret_key, app->client_key, err);
	if (rc < 0)
		return -1;
	app->client_key_set = rc;
	if (rc == 0)
		log_warn("client secrets stored as unsalted SHA-256: set clients.secret_key");
	if (key_storage_check(cfg, err) < 0)
		return -1;
	if (password_init(&cfg->password, err) < 0)
		return -1;
	if (core_routes_register(app, msg, sizeof(msg)) < 0 ||
	    activity_routes_register(&app->router, cfg, msg, sizeof(msg)) < 0)
		return err_set(err, 0, "%s", msg);
	if (plugins_load(app, &host_api, cfg, &app->plugins, err) < 0)
		return -1;
	if (strcmp(cfg->mfa.mode, "off") != 0 && strcmp(cfg->mfa.method, "totp") == 0 &&
	    hooks_count(&app->hooks, AUTHSVC_HOOK_MFA_VERIFY) == 0)
		return err_set(err, 0,
			       "mfa.method = \"totp\": no plugin verifies app codes "
			       "(enable the totp plugin)");
	if (!app->mfa_key_set && hooks_count(&app->hooks, AUTHSVC_HOOK_MFA_VERIFY) > 0)
		return err_set(err, 0,
			       "mfa.secret_key: required to keep authenticator secrets "
			       "(32 bytes, hex or base64; or secret_key_env)");
	if (check_only)
		return 0;
	if (!keys_in_db(cfg) && keys_from_config(app, cfg, err) < 0)
		return -1;
	if (db_setup_now(app, cfg, err) < 0)
		return -1;
	app->openapi = core_openapi_build(app);
	if (app->openapi == NULL)
		return err_set(err, 0, "out of memory");
	metrics_setup(app, cfg);
	if (app->deferred != 0)
		atomic_store(&app->starting, true); /* before anything listens */
	if (notify_start(&app->notifier, cfg, err) < 0)
		return -1;
	return plugins_start(app->plugins, err);
}

int app_start_background(struct app *app, struct err *err)
{
	if (app->deferred == 0)
		return 0;
	log_info("starting in the background migrations=%d key=%d",
		 (app->deferred & DEFER_MIGRATE) != 0, (app->deferred & DEFER_KEY) != 0);
	if (pthread_create(&app->setup_thread, NULL, setup_run, app) != 0)
		return err_set(err, 0, "cannot start the start-up thread");
	app->setup_running = true;
	return 0;
}

bool app_setup_failed(const struct app *app)
{
	return atomic_load(&app->setup_failed);
}

void app_wait_background(struct app *app)
{
	if (app->setup_running) /* bounded: its statements have statement_timeout_ms */
		pthread_join(app->setup_thread, NULL);
	app->setup_running = false;
}

void app_release(struct app *app)
{
	app_wait_background(app);
	if (app->notifier != NULL)
		notify_stop(app->notifier);
	revocations_stop(&app->revoked);
	revocations_release(&app->revoked);
	plugins_unload(app->plugins);
	router_release(&app->router);
	housekeeping_stop(app->housekeeping);
	app->housekeeping = NULL;
	keys_sync_stop(app->keys_sync);
	app->keys_sync = NULL;
	if (app->keys_live_ready)
		keys_live_release(&app->keys);
	app->keys_live_ready = false;
	json_decref(app->openapi);
	OPENSSL_cleanse(app->activity_key, sizeof(app->activity_key));
	OPENSSL_cleanse(app->mfa_key, sizeof(app->mfa_key));
}

int app_list_plugins(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < cfg->nplugins; i++) {
		const struct authsvc_plugin *d;
		char path[4096], msg[256];
		void *dl;

		snprintf(path, sizeof(path), "%s%s%s",
			 cfg->plugins[i].file[0] == '/' ? "" : cfg->plugin_dir,
			 cfg->plugins[i].file[0] == '/' ? "" : "/", cfg->plugins[i].file);
		if (plugin_open(path, &dl, &d, msg, sizeof(msg)) < 0) {
			fprintf(out, "%-16s %-10s %-6s %s (refused: %s)\n", cfg->plugins[i].name,
				"-", "-", path, msg);
			continue;
		}
		fprintf(out, "%-16s %-10s %u.%-4u %s%s\n", d->name, d->version, d->abi_major,
			d->abi_minor, path, cfg->plugins[i].enabled ? "" : " (disabled)");
	}
	return 0;
}

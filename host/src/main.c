/* authsvc: the server. `authsvc -c FILE`, `--check-config`, `--version`, `--list-plugins`. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <jansson.h>

#include "activity/handlers.h"
#include "app/serve.h"
#include "config/config.h"
#include "core/app.h"
#include "core/password.h"
#include "http/server.h"
#include "log/log.h"
#include "notify/notify.h"
#include "plugins/loader.h"
#include "store/db.h"
#include "store/keys_store.h"
#include "store/migrate.h"

#define DEFAULT_CONFIG "/etc/authsvc/authsvc.conf"

static void usage(FILE *f)
{
	fprintf(f, "usage: authsvc [-c FILE] [--check-config | --list-plugins | --version]\n"
		   "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
		   "  --check-config      validate the configuration and plugins, then exit\n"
		   "  --list-plugins      print each configured plugin's name, version, ABI, file\n"
		   "  --version           print the version\n");
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return -1;
	}
	*out = calloc(1, (size_t)n + 1);
	if (*out == NULL || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		free(*out);
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

/* 64 hex characters or base64 of exactly 32 bytes. */
static int parse_key32(const char *s, unsigned char out[32])
{
	size_t n = strlen(s);

	if (n == 64) {
		for (size_t i = 0; i < 32; i++) {
			unsigned v;

			if (sscanf(s + 2 * i, "%2x", &v) != 1)
				return -1;
			out[i] = (unsigned char)v;
		}
		return 0;
	}
	{
		unsigned char buf[64];
		int len = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);

		while (n > 0 && s[n - 1] == '=') {
			n--;
			len--;
		}
		if (len != 32)
			return -1;
		memcpy(out, buf, 32);
	}
	return 0;
}

static int keys_setup(struct app *app, const struct config *cfg, struct err *err)
{
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if (keyring_init(&app->keyring, cfg->jwt_alg) < 0)
		return err_set(err, 0, "out of memory");
	if (cfg->jwt_alg == JWT_KIND_HS256)
		return keyring_set_hs_secret(&app->keyring,
					     (const unsigned char *)cfg->jwt_hs_secret,
					     strlen(cfg->jwt_hs_secret), err);
	if (cfg->jwt_private_key_file != NULL && *cfg->jwt_private_key_file != '\0') {
		if (read_file(cfg->jwt_private_key_file, &pem, &len) < 0)
			return err_set(err, 0, "tokens.private_key_file: cannot read %s",
				       cfg->jwt_private_key_file);
		rc = keyring_add_private_pem(&app->keyring, NULL, pem, len, cfg->jwt_key_passphrase,
					     err);
		OPENSSL_cleanse(pem, len);
		free(pem);
		return rc;
	}
	{
		struct db db;

		if (db_connect(&db, cfg->database_url, cfg->statement_timeout_ms, err) < 0) {
			db_close(&db);
			return -1;
		}
		rc = keys_store_load_or_create(&db, &app->keyring, cfg->jwt_key_passphrase, err);
		db_close(&db);
	}
	return rc;
}

static int migrate_now(const struct config *cfg, struct err *err)
{
	struct db db;
	int applied = 0, rc;

	if (db_connect(&db, cfg->database_url, cfg->statement_timeout_ms, err) < 0) {
		db_close(&db);
		return -1;
	}
	rc = store_migrate(&db, cfg->sql_dir, &applied, err);
	db_close(&db);
	if (rc == 0 && applied > 0)
		log_info("migrations applied count=%d", applied);
	return rc;
}

/* A server on a schema older than its code would answer 500s: refuse to
 * start instead, naming the fix. Skipped (with a warning) when the
 * migrations directory is not there to compare with. */
static int schema_check(const struct config *cfg, struct err *err)
{
	struct db db;
	struct err e = {0};
	int pending = 0, rc;

	if (access(cfg->sql_dir, R_OK | X_OK) != 0) {
		log_warn("schema check skipped sql_dir=%s", cfg->sql_dir);
		return 0;
	}
	if (db_connect(&db, cfg->database_url, cfg->statement_timeout_ms, err) < 0) {
		db_close(&db);
		return -1;
	}
	rc = store_migrate_pending(&db, cfg->sql_dir, &pending, &e);
	db_close(&db);
	if (rc < 0)
		return err_set(err, 0,
			       "database schema missing or unreadable: run authsvc-admin migrate");
	if (pending > 0)
		return err_set(err, 0,
			       "database schema is behind this version (%d migration(s) pending): "
			       "run authsvc-admin migrate",
			       pending);
	return 0;
}

static int app_build(struct app *app, const struct config *cfg, bool check_only, struct err *err)
{
	char msg[256];

	app->cfg = cfg;
	if (revocations_init(&app->revoked) < 0)
		return err_set(err, 0, "out of memory");
	if (cfg->activity_key != NULL && *cfg->activity_key != '\0') {
		if (parse_key32(cfg->activity_key, app->activity_key) < 0)
			return err_set(err, 0, "activity.key: must be 32 bytes (64 hex or base64)");
		app->activity_key_set = 1;
	}
	if (cfg->mfa.secret_key != NULL && *cfg->mfa.secret_key != '\0') {
		if (parse_key32(cfg->mfa.secret_key, app->mfa_key) < 0)
			return err_set(err, 0,
				       "mfa.secret_key: must be 32 bytes (64 hex or base64)");
		app->mfa_key_set = 1;
	}
	if (password_init(&cfg->password, err) < 0)
		return -1;
	if (core_routes_register(app, msg, sizeof(msg)) < 0 ||
	    activity_routes_register(&app->router, cfg, msg, sizeof(msg)) < 0)
		return err_set(err, 0, "%s", msg);
	if (plugins_load(app, cfg, &app->plugins, err) < 0)
		return -1;
	if (strcmp(cfg->mfa.mode, "off") != 0 && strcmp(cfg->mfa.method, "totp") == 0 &&
	    (app->plugins == NULL || app->plugins->nhooks[AUTHSVC_HOOK_MFA_VERIFY] == 0))
		return err_set(err, 0,
			       "mfa.method = \"totp\": no plugin verifies app codes "
			       "(enable the totp plugin)");
	if (!app->mfa_key_set && app->plugins != NULL &&
	    app->plugins->nhooks[AUTHSVC_HOOK_MFA_VERIFY] > 0)
		return err_set(err, 0,
			       "mfa.secret_key: required to keep authenticator secrets "
			       "(32 bytes, hex or base64; or secret_key_env)");
	if (check_only)
		return 0;
	if (cfg->migrate_on_start && migrate_now(cfg, err) < 0)
		return -1;
	if (schema_check(cfg, err) < 0)
		return -1;
	if (keys_setup(app, cfg, err) < 0)
		return -1;
	app->jwks = keyring_jwks(&app->keyring);
	app->openapi = core_openapi_build(app);
	if (app->jwks == NULL || app->openapi == NULL)
		return err_set(err, 0, "out of memory");
	if (revocations_start(&app->revoked, cfg->database_url, cfg->revocation_poll_s,
			      cfg->revocation_batch_ms, err) < 0)
		return -1;
	if (notify_start(&app->notifier, cfg, err) < 0)
		return -1;
	return plugins_start(app->plugins, err);
}

static void app_release(struct app *app)
{
	if (app->notifier != NULL)
		notify_stop(app->notifier);
	revocations_stop(&app->revoked);
	revocations_release(&app->revoked);
	plugins_unload(app->plugins);
	router_release(&app->router);
	keyring_release(&app->keyring);
	json_decref(app->jwks);
	json_decref(app->openapi);
	OPENSSL_cleanse(app->activity_key, sizeof(app->activity_key));
	OPENSSL_cleanse(app->mfa_key, sizeof(app->mfa_key));
}

static int list_plugins(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nplugins; i++) {
		const struct authsvc_plugin *d;
		char path[4096], msg[256];
		void *dl;

		snprintf(path, sizeof(path), "%s%s%s",
			 cfg->plugins[i].file[0] == '/' ? "" : cfg->plugin_dir,
			 cfg->plugins[i].file[0] == '/' ? "" : "/", cfg->plugins[i].file);
		if (plugin_open(path, &dl, &d, msg, sizeof(msg)) < 0) {
			printf("%-16s %-10s %-6s %s (refused: %s)\n", cfg->plugins[i].name, "-",
			       "-", path, msg);
			continue;
		}
		printf("%-16s %-10s %u.%-4u %s%s\n", d->name, d->version, d->abi_major,
		       d->abi_minor, path, cfg->plugins[i].enabled ? "" : " (disabled)");
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
	    {"list-plugins", no_argument, NULL, 'l'}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0}};
	const char *path = DEFAULT_CONFIG;
	bool check = false, list = false;
	struct config cfg;
	struct app app = {0};
	struct server *srv = NULL;
	struct err err = {0};
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'l':
			list = true;
			break;
		case 'V':
			printf("authsvc %s (plugin ABI %u.%u)\n", AUTHSVC_VERSION,
			       AUTHSVC_ABI_MAJOR, AUTHSVC_ABI_MINOR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (config_load(path, &cfg, &err) < 0) {
		log_error("config invalid detail=\"%s\"", err.msg);
		config_release(&cfg);
		return 1;
	}
	log_set_level((enum log_level)log_level_parse(cfg.log_level));
	if (list) {
		rc = list_plugins(&cfg);
		config_release(&cfg);
		return rc;
	}
	json_object_seed(0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (app_build(&app, &cfg, check, &err) < 0) {
		log_error("startup failed detail=\"%s\"", err.msg);
		goto out;
	}
	if (check) {
		printf("configuration ok: %s\n", path);
		rc = 0;
		goto out;
	}
	srv = server_new(app.cfg, &app.router, &app, &app_server_calls, &err);
	if (srv == NULL) {
		log_error("startup failed detail=\"%s\"", err.msg);
		goto out;
	}
	rc = server_run(srv);
	server_free(srv);
	log_info("stopped");
out:
	app_release(&app);
	curl_global_cleanup();
	config_release(&cfg);
	return rc;
}

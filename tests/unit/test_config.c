/* SPDX-License-Identifier: Apache-2.0 */
/* Config loading: defaults, values, env overrides, secrets from env, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static char path[64];

static int load(const char *text, struct config *cfg, struct err *err)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/authsvc-cfg-%d.conf", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return config_load(path, cfg, err);
}

static void test_defaults(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	unsetenv("AUTHSVC_LISTEN");
	unsetenv("AUTHSVC_DATABASE_URL");
	assert_int_equal(load("database_url = \"postgresql:///x\";\n", &c, &err), 0);
	assert_string_equal(c.listen, "127.0.0.1:3000");
	assert_int_equal(c.jwt_alg, JWT_KIND_RS256);
	assert_string_equal(c.issuer, "authsvc");
	assert_int_equal(c.max_body_bytes, 65536);
	assert_int_equal(c.password.min_length, 8);
	assert_true(c.password.require_old_password);
	assert_int_equal(c.nplugins, 0);
	assert_int_equal(c.worker_nice, 19); /* the loops win the CPU */
	assert_int_equal(c.revocation_poll_s, 5);
	assert_int_equal(c.revocation_batch_ms, 20);
	assert_int_equal(c.refresh_token_grace_s, 0); /* any reuse revokes the family */
	config_release(&c);
}

static void test_values_and_plugins(void **state)
{
	struct config c;
	struct err err = {0};
	const char *s;
	int64_t i;
	bool b;

	(void)state;
	assert_int_equal(load("listen = \"127.0.0.1:9\"; database_url = \"x\"; workers = 3;\n"
			      "tokens = { algorithm = \"ES256\"; issuer = \"me\";\n"
			      "  revocation_batch_ms = 0; };\n"
			      "plugins = { local = { file = \"local.so\";\n"
			      "  settings = { login_token = false; n = 5; s = \"v\"; }; }; };\n",
			      &c, &err),
			 0);
	assert_string_equal(c.listen, "127.0.0.1:9");
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.jwt_alg, JWT_KIND_ES256);
	assert_string_equal(c.issuer, "me");
	assert_int_equal(c.revocation_batch_ms, 0); /* every commit announced at once */
	assert_int_equal(c.nplugins, 1);
	assert_string_equal(c.plugins[0].name, "local");
	assert_string_equal(c.plugins[0].file, "local.so");
	assert_int_equal(config_plugin_bool(&c.plugins[0], "login_token", &b), 0);
	assert_false(b);
	assert_int_equal(config_plugin_int(&c.plugins[0], "n", &i), 0);
	assert_int_equal(i, 5);
	assert_int_equal(config_plugin_str(&c.plugins[0], "s", &s), 0);
	assert_string_equal(s, "v");
	assert_int_equal(config_plugin_str(&c.plugins[0], "absent", &s), 1);
	assert_int_equal(config_plugin_str(&c.plugins[0], "n", &s), -1);
	config_release(&c);
}

static void test_env_overrides_and_secrets(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	setenv("AUTHSVC_LISTEN", "127.0.0.1:4444", 1);
	setenv("AUTHSVC_DATABASE_URL", "postgresql:///fromenv", 1);
	setenv("TEST_HS", "0123456789abcdef0123456789abcdef!", 1);
	assert_int_equal(load("database_url = \"file\";\n"
			      "tokens = { algorithm = \"HS256\"; hs_secret_env = \"TEST_HS\"; };\n",
			      &c, &err),
			 0);
	assert_string_equal(c.listen, "127.0.0.1:4444");
	assert_string_equal(c.database_url, "postgresql:///fromenv");
	assert_string_equal(c.jwt_hs_secret, "0123456789abcdef0123456789abcdef!");
	config_release(&c);
	unsetenv("AUTHSVC_LISTEN");
	unsetenv("AUTHSVC_DATABASE_URL");
}

static void expect_error(const char *text, const char *want)
{
	struct config c;
	struct err err = {0};

	assert_int_equal(load(text, &c, &err), -1);
	if (strstr(err.msg, want) == NULL)
		fail_msg("expected error containing \"%s\", got \"%s\"", want, err.msg);
	config_release(&c);
}

static void test_worker_nice(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\"; worker_nice = 7;\n", &c, &err), 0);
	assert_int_equal(c.worker_nice, 7);
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; worker_nice = 0;\n", &c, &err), 0);
	assert_int_equal(c.worker_nice, 0);
	assert_true(c.worker_sched_idle); /* the default */
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; worker_sched = \"normal\";\n", &c, &err), 0);
	assert_false(c.worker_sched_idle);
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; worker_sched = \"idle\";\n", &c, &err), 0);
	assert_true(c.worker_sched_idle);
	config_release(&c);
}

/* header_timeout and body_timeout: absolute deadlines, 1..3600 s */
static void test_connection_deadlines(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\";\n", &c, &err), 0);
	assert_int_equal(c.header_timeout_s, 10);
	assert_int_equal(c.body_timeout_s, 30);
	assert_int_equal(c.timeout_s, 30);
	config_release(&c);
	assert_int_equal(
	    load("database_url = \"x\"; header_timeout = 1; body_timeout = 3600;\n", &c, &err), 0);
	assert_int_equal(c.header_timeout_s, 1);
	assert_int_equal(c.body_timeout_s, 3600);
	config_release(&c);
	expect_error("database_url = \"x\"; header_timeout = 0;\n",
		     "header_timeout: must be between 1 and 3600");
	expect_error("database_url = \"x\"; header_timeout = 3601;\n",
		     "header_timeout: must be between 1 and 3600");
	expect_error("database_url = \"x\"; body_timeout = 0;\n",
		     "body_timeout: must be between 1 and 3600");
	expect_error("database_url = \"x\"; body_timeout = \"30\";\n",
		     "body_timeout: must be an integer");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("database_url = \"x\"; listn = \"a\";\n", "listn: unknown setting");
	expect_error("database_url = \"x\"; workers = 0;\n", "workers: must be between 1 and 256");
	expect_error("database_url = \"x\"; workers = \"2\";\n", "workers: must be an integer");
	expect_error("database_url = \"x\"; worker_nice = 20;\n",
		     "worker_nice: must be between 0 and 19");
	expect_error("database_url = \"x\"; worker_nice = -1;\n",
		     "worker_nice: must be between 0 and 19");
	expect_error("database_url = \"x\"; worker_sched = \"fifo\";\n",
		     "worker_sched: must be idle or normal");
	expect_error("database_url = \"x\"; tokens = { algorithm = \"none\"; };\n",
		     "tokens.algorithm");
	expect_error("database_url = \"x\"; tokens = { revocation_batch_ms = 1001; };\n",
		     "revocation_batch_ms: must be between 0 and 1000");
	expect_error(
	    "database_url = \"x\"; tokens = { algorithm = \"HS256\"; hs_secret = \"short\"; };\n",
	    "at least 32 bytes");
	expect_error("database_url = \"x\"; tokens = { hs_secret_env = \"NOPE_NOT_SET\"; };\n",
		     "NOPE_NOT_SET is not set");
	expect_error("listen = \"a\";\n", "database_url: required");
	expect_error("database_url = \"x\"; log_level = \"loud\";\n", "log_level");
	expect_error("database_url = \"x\"; plugins = { p = { enabled = true; }; };\n",
		     "plugins.p.file: required");
	expect_error("database_url = \"x\" oops\n", "syntax error");
	expect_error("database_url = \"x\"; password = { min_length = 20; max_length = 10; };\n",
		     "min_length");
	/* found by fuzz_config: a list where a group belongs crashed (unnamed elements) */
	expect_error("database_url = \"x\"; tokens = ( 1, 2 );\n", "tokens: must be a group");
	expect_error("database_url = \"x\"; activity = [ 1 ];\n", "activity: must be a group");
	expect_error("database_url = \"x\"; password = 5;\n", "password: must be a group");
}

static void test_bruteforce(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\";\n", &c, &err), 0);
	assert_true(c.bruteforce.enabled);
	assert_int_equal(c.bruteforce.account_max_failures, 5);
	assert_int_equal(c.bruteforce.account_rate, 20);
	assert_int_equal(c.bruteforce.ip_max_failures, 50);
	assert_int_equal(c.bruteforce.window_s, 900);
	assert_int_equal(c.bruteforce.lockout_s, 300);
	assert_int_equal(c.bruteforce.device_ttl_s, 30 * 86400);
	config_release(&c);
	assert_int_equal(load("database_url = \"x\";\n"
			      "bruteforce = { account_rate = 7; device_ttl = 0; };\n",
			      &c, &err),
			 0);
	assert_int_equal(c.bruteforce.account_rate, 7);
	assert_int_equal(c.bruteforce.device_ttl_s, 0); /* no device tokens */
	config_release(&c);
	expect_error("database_url = \"x\"; bruteforce = { account_rate = 0; };\n",
		     "account_rate: must be between 1 and 1000000");
	expect_error("database_url = \"x\"; bruteforce = { device_ttl = -1; };\n",
		     "device_ttl: must be between 0 and 34560000");
	expect_error("database_url = \"x\"; bruteforce = { device_tll = 1; };\n",
		     "bruteforce.device_tll: unknown setting");
}

static void test_cors_origins(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\";\n"
			      "cors = { allowed_origins = [\"https://a.example\", "
			      "\"http://127.0.0.1:8080\"]; };\n",
			      &c, &err),
			 0);
	assert_true(config_cors_allows(&c, "https://a.example"));
	assert_true(config_cors_allows(&c, "http://127.0.0.1:8080"));
	assert_false(config_cors_allows(&c, "https://a.example.evil"));
	assert_false(config_cors_allows(&c, "http://a.example"));
	assert_false(config_cors_allows(&c, NULL));
	assert_int_equal(c.cors_max_age_s, 600);
	config_release(&c);
	expect_error("database_url = \"x\"; cors = { allowed_origins = [\"*\"]; };\n",
		     "cors.allowed_origins");
	expect_error("database_url = \"x\"; cors = { origins = []; };\n", "cors.origins: unknown");
}

/* Analytics queries: their own statement timeout and worker cap. */
static void test_activity_limits(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\"; workers = 6;\n", &c, &err), 0);
	assert_int_equal(c.activity_query_timeout_ms, 2000);
	assert_int_equal(c.activity_max_workers, 3); /* half the workers */
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; workers = 1;\n", &c, &err), 0);
	assert_int_equal(c.activity_max_workers, 1); /* at least one */
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; workers = 4;\n"
			      "activity = { query_timeout_ms = 250; max_workers = 4; };\n",
			      &c, &err),
			 0);
	assert_int_equal(c.activity_query_timeout_ms, 250);
	assert_int_equal(c.activity_max_workers, 4);
	config_release(&c);
	expect_error("database_url = \"x\"; workers = 4; activity = { max_workers = 5; };\n",
		     "activity.max_workers: at most workers (4)");
	expect_error("database_url = \"x\"; activity = { max_workers = 0; };\n",
		     "max_workers: must be between 1 and 256");
	expect_error("database_url = \"x\"; activity = { query_timeout_ms = 5; };\n",
		     "query_timeout_ms: must be between");
}

static void test_refresh_token_grace(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(
	    load("database_url = \"x\"; tokens = { refresh_token_grace = 10; };\n", &c, &err), 0);
	assert_int_equal(c.refresh_token_grace_s, 10);
	config_release(&c);
	expect_error("database_url = \"x\"; tokens = { refresh_token_grace = 301; };\n",
		     "refresh_token_grace: must be between 0 and 300");
	expect_error("database_url = \"x\"; tokens = { refresh_token_grace = -1; };\n",
		     "refresh_token_grace: must be between 0 and 300");
}

/* tokens.key_rotation and key_poll: seconds or "<n>s|m|h|d|w"; activity.retention_months. */
static void test_rotation_and_retention(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\";\n", &c, &err), 0);
	assert_int_equal(c.key_rotation_s, 0);
	assert_int_equal(c.key_poll_s, 30);
	assert_int_equal(c.activity_retention_months, 0);
	config_release(&c);
	assert_int_equal(load("database_url = \"x\"; tokens = { key_rotation = \"90d\";"
			      " key_poll = \"2m\"; }; activity = { retention_months = 13; };\n",
			      &c, &err),
			 0);
	assert_int_equal(c.key_rotation_s, 90 * 86400);
	assert_int_equal(c.key_poll_s, 120);
	assert_int_equal(c.activity_retention_months, 13);
	config_release(&c);
	assert_int_equal(
	    load("database_url = \"x\"; tokens = { key_rotation = 3600; };\n", &c, &err), 0);
	assert_int_equal(c.key_rotation_s, 3600);
	config_release(&c);
	expect_error("database_url = \"x\"; tokens = { key_rotation = \"90x\"; };\n",
		     "key_rotation: must be seconds or a period");
	expect_error("database_url = \"x\"; tokens = { key_rotation = \"-1d\"; };\n",
		     "key_rotation: must be seconds or a period");
	expect_error("database_url = \"x\"; tokens = { key_rotation = \"99999w\"; };\n",
		     "key_rotation: at most");
	expect_error("database_url = \"x\"; tokens = { key_poll = 0; };\n",
		     "tokens.key_poll: at least 1 second");
	expect_error("database_url = \"x\"; activity = { retention_months = -1; };\n",
		     "retention_months: must be between 0 and 1200");
}

/* clients.secret_key: the key of the client-secret HMAC, inline or from the environment. */
static void test_clients_secret_key(void **state)
{
	struct config c;
	struct err err = {0};

	(void)state;
	assert_int_equal(load("database_url = \"x\";\n", &c, &err), 0);
	assert_string_equal(c.client_secret_key, ""); /* none: SHA-256, with a warning */
	config_release(&c);
	setenv("TEST_CLIENT_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	assert_int_equal(load("database_url = \"x\";\n"
			      "clients = { secret_key_env = \"TEST_CLIENT_KEY\"; };\n",
			      &c, &err),
			 0);
	assert_string_equal(c.client_secret_key,
			    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	config_release(&c);
	unsetenv("TEST_CLIENT_KEY");
	expect_error("database_url = \"x\"; clients = { key = \"x\"; };\n",
		     "clients.key: unknown setting");
	expect_error("database_url = \"x\"; clients = 5;\n", "clients: must be a group");
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values_and_plugins),
	    cmocka_unit_test(test_env_overrides_and_secrets),
	    cmocka_unit_test(test_worker_nice),
	    cmocka_unit_test(test_connection_deadlines),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_cors_origins),
	    cmocka_unit_test(test_bruteforce),
	    cmocka_unit_test(test_activity_limits),
	    cmocka_unit_test(test_refresh_token_grace),
	    cmocka_unit_test(test_clients_secret_key),
	    cmocka_unit_test(test_rotation_and_retention),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}

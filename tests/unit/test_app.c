/* SPDX-License-Identifier: Apache-2.0 */
/* app_build in check-only mode (--check-config): a key setting that is not
 * a 32-byte key is a config error naming the setting, never a crash, and
 * nothing in check-only mode needs the database (the URL here points at a
 * socket directory that does not exist). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/app.h"

#define DB_URL "database_url = \"postgresql:///none?host=/nonexistent/authsvc-test\";\n"
#define NO_DB  DB_URL "tokens = { key_passphrase = \"unit-test-key-passphrase\"; };\n"
#define HEX32  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char path[64];

static void write_config(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/authsvc-app-%d.conf", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* app_build(check_only) over the config text; its result, err filled. */
static int check(const char *text, struct err *err)
{
	struct config cfg;
	struct app app = {0};
	int rc;

	write_config(text);
	assert_int_equal(config_load(path, &cfg, err), 0);
	rc = app_build(&app, &cfg, true, err);
	app_release(&app);
	config_release(&cfg);
	unlink(path);
	return rc;
}

/* n hex digits, as `openssl rand -hex n/2` prints (caller frees). */
static char *config_with(const char *group, const char *key, size_t n)
{
	size_t sz = n + 256;
	char *hex = malloc(n + 1), *text = malloc(sz);

	assert_non_null(hex);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		hex[i] = "0123456789abcdef"[i % 16];
	hex[n] = '\0';
	snprintf(text, sz, NO_DB "%s = { %s = \"%s\"; };\n", group, key, hex);
	free(hex);
	return text;
}

static void test_valid_keys_need_no_database(void **state)
{
	struct err err = {0};

	(void)state;
	assert_int_equal(
	    check(NO_DB "activity = { key = \"" HEX32 "\"; };\n"
			"mfa = { secret_key = \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"; "
			"};\n",
		  &err),
	    0);
}

/* Generated signing keys are kept in the database only encrypted. */
static void test_key_passphrase_is_required(void **state)
{
	struct err err = {0};

	(void)state;
	assert_int_equal(check(DB_URL, &err), -1);
	assert_non_null(strstr(err.msg, "tokens.key_passphrase: required"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	    check(DB_URL "tokens = { key_passphrase = \"0123456789abcde\"; };\n", &err), -1);
	assert_non_null(strstr(err.msg, "at least 16 characters"));
	assert_null(strstr(err.msg, "0123456789abcde"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(check(DB_URL "tokens = { algorithm = \"HS256\"; hs_secret = "
				      "\"0123456789abcdef0123456789abcdef\"; };\n",
			       &err),
			 0);
}

static void test_long_keys_are_config_errors(void **state)
{
	static const size_t lens[] = {100, 128, 129, 1000};
	static const struct {
		const char *group, *key, *name;
	} settings[] = {{"activity", "key", "activity.key"},
			{"mfa", "secret_key", "mfa.secret_key"}};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			char *text = config_with(settings[s].group, settings[s].key, lens[i]);
			struct err err = {0};

			assert_int_equal(check(text, &err), -1);
			assert_non_null(strstr(err.msg, settings[s].name));
			assert_non_null(strstr(err.msg, "32-byte"));
			assert_null(strstr(err.msg, "0123456789abcdef")); /* not the value */
			free(text);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_keys_need_no_database),
	    cmocka_unit_test(test_key_passphrase_is_required),
	    cmocka_unit_test(test_long_keys_are_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

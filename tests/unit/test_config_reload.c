/* SPDX-License-Identifier: Apache-2.0 */
/* config/reload: the merge of a reloaded file (settings only a restart
 * applies keep their running value and are named; the rest come from the
 * file), plugin settings compared deeply, and snapshot reference counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/reload.h"

static void load(const char *text, struct config *cfg)
{
	const char *dir = getenv("TMPDIR");
	char path[512];
	struct err err = {0};
	FILE *f;

	snprintf(path, sizeof(path), "%s/authsvc-reload-%d.conf", dir ? dir : "/tmp",
		 (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(config_load(path, cfg, &err), 0);
	unlink(path);
}

#define BASE                                                                                       \
	"database_url = \"postgresql:///a\"; listen = \"127.0.0.1:3000\"; workers = 4;\n"          \
	"plugins = { local = { file = \"local.so\"; settings = { login_token = true; } } };\n"

static void test_live_and_fixed(void **state)
{
	struct config boot, next;
	char changed[256];

	(void)state;
	unsetenv("AUTHSVC_LISTEN");
	unsetenv("AUTHSVC_DATABASE_URL");
	load(BASE "log_level = \"info\"; bruteforce = { account_max_failures = 5; };\n"
		  "cors = { allowed_origins = [\"https://a.example\"]; };\n"
		  "notify = { channel = \"log\"; allow_log_channel = true; };\n",
	     &boot);
	load("database_url = \"postgresql:///b\"; listen = \"127.0.0.1:4000\"; workers = 4;\n"
	     "plugins = { local = { file = \"local.so\"; settings = { login_token = false; } } };\n"
	     "log_level = \"warn\"; bruteforce = { account_max_failures = 1; };\n"
	     "cors = { allowed_origins = [\"https://b.example\"]; };\n"
	     "notify = { channel = \"log\"; allow_log_channel = true; send_per_user = 2; };\n"
	     "metrics = { enabled = true; };\n",
	     &next);
	assert_int_equal(config_reload_merge(&boot, &next, changed, sizeof(changed)), 0);
	assert_string_equal(changed, "listen,database_url,metrics.enabled,plugins");
	/* carried over */
	assert_string_equal(next.listen, "127.0.0.1:3000");
	assert_string_equal(next.database_url, "postgresql:///a");
	assert_false(next.metrics_enabled);
	/* live: the file's */
	assert_string_equal(next.log_level, "warn");
	assert_int_equal(next.bruteforce.account_max_failures, 1);
	assert_true(config_cors_allows(&next, "https://b.example"));
	assert_false(config_cors_allows(&next, "https://a.example"));
	assert_int_equal(next.notify.send_per_user, 2);
	config_release(&next);
	config_release(&boot);
}

static void test_nothing_fixed_changed(void **state)
{
	struct config boot, next;
	char changed[64] = "x";

	(void)state;
	load(BASE, &boot);
	load(BASE "log_level = \"debug\"; otp = { length = 8; };\n", &next);
	assert_int_equal(config_reload_merge(&boot, &next, changed, sizeof(changed)), 0);
	assert_string_equal(changed, "");
	assert_int_equal(next.otp.length, 8);
	config_release(&next);
	config_release(&boot);
}

static void test_changed_list_is_cut_short(void **state)
{
	struct config boot, next;
	char changed[24];

	(void)state;
	load(BASE, &boot);
	load("database_url = \"postgresql:///b\"; listen = \"127.0.0.1:4000\"; workers = 2;\n"
	     "loops = 3; queue_max = 7;\n",
	     &next);
	assert_int_equal(config_reload_merge(&boot, &next, changed, sizeof(changed)), 0);
	assert_true(strlen(changed) < sizeof(changed));
	assert_non_null(strstr(changed, "..."));
	assert_int_equal(strncmp(changed, "listen,loops", 12), 0);
	config_release(&next);
	config_release(&boot);
}

static void test_snapshot_refs(void **state)
{
	struct config c;
	struct config_snap *s, *t;

	(void)state;
	load(BASE, &c);
	s = config_snap_adopt(&c);
	assert_non_null(s);
	assert_null(c.listen); /* moved */
	assert_string_equal(config_snap_cfg(s)->listen, "127.0.0.1:3000");
	t = config_snap_ref(s);
	config_snap_unref(s);
	assert_string_equal(config_snap_cfg(t)->listen, "127.0.0.1:3000"); /* still held */
	config_snap_unref(t); /* the last: freed (valgrind_config_reload checks) */
	assert_null(config_snap_ref(NULL));
	config_snap_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_live_and_fixed),
	    cmocka_unit_test(test_nothing_fixed_changed),
	    cmocka_unit_test(test_changed_list_is_cut_short),
	    cmocka_unit_test(test_snapshot_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

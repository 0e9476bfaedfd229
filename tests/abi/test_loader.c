/* The loader refuses every broken plugin with a message naming the reason,
 * and accepts a well-formed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/app.h"
#include "plugins/loader.h"

static void expect_open_refused(const char *name, const char *reason)
{
	const struct authsvc_plugin *d = NULL;
	char path[512], msg[256] = "";
	void *dl = NULL;

	snprintf(path, sizeof(path), "%s/%s.so", ABI_DIR, name);
	assert_int_equal(plugin_open(path, &dl, &d, msg, sizeof(msg)), -1);
	if (strstr(msg, reason) == NULL)
		fail_msg("%s: expected reason containing \"%s\", got \"%s\"", name, reason, msg);
}

static void test_wrong_major(void **state)
{
	(void)state;
	expect_open_refused("bad_major", "abi 2.0");
}

static void test_newer_minor(void **state)
{
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "abi %u.%u, host", AUTHSVC_ABI_MAJOR, AUTHSVC_ABI_MINOR + 1);
	expect_open_refused("bad_minor", want);
}

static void test_short_size(void **state)
{
	(void)state;
	expect_open_refused("bad_size", "incomplete descriptor");
}

static void test_duplicate_route(void **state)
{
	(void)state;
	expect_open_refused("bad_dup_route", "duplicate route POST /test/a");
}

static void test_missing_symbol(void **state)
{
	(void)state;
	expect_open_refused("bad_no_symbol", "missing symbol authsvc_plugin");
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_open_refused("does_not_exist", "cannot stat");
}

static void test_world_writable(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/good_plugin.so", ABI_DIR);
	assert_int_equal(chmod(path, 0777), 0);
	expect_open_refused("good_plugin", "world-writable");
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_good_plugin_opens(void **state)
{
	const struct authsvc_plugin *d = NULL;
	char path[512], msg[256] = "";
	void *dl = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/good_plugin.so", ABI_DIR);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(plugin_open(path, &dl, &d, msg, sizeof(msg)), 0);
	assert_string_equal(d->name, "bad");
}

/* plugins_load: init failure and a route clashing with a core route. */
static void load_expect(const char *file, const char *reason)
{
	struct plugin_conf pc = {.name = "t", .file = (char *)file, .enabled = true};
	struct config cfg = {.plugin_dir = (char *)ABI_DIR, .plugins = &pc, .nplugins = 1};
	struct app app = {.cfg = &cfg};
	struct err err = {0};
	char msg[256];

	assert_int_equal(core_routes_register(&app, msg, sizeof(msg)), 0);
	assert_int_equal(plugins_load(&app, &host_api, &cfg, &app.plugins, &err), -1);
	if (strstr(err.msg, reason) == NULL || strstr(err.msg, file) == NULL)
		fail_msg("expected \"%s\" naming %s, got \"%s\"", reason, file, err.msg);
	plugins_unload(app.plugins);
	router_release(&app.router);
}

static void test_init_failure(void **state)
{
	(void)state;
	load_expect("bad_init.so", "init failed: no");
}

static void test_route_clash_with_core(void **state)
{
	(void)state;
	load_expect("bad_core_route.so", "duplicate route POST /auth/token");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrong_major),	   cmocka_unit_test(test_newer_minor),
	    cmocka_unit_test(test_short_size),	   cmocka_unit_test(test_duplicate_route),
	    cmocka_unit_test(test_missing_symbol), cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_world_writable), cmocka_unit_test(test_good_plugin_opens),
	    cmocka_unit_test(test_init_failure),   cmocka_unit_test(test_route_clash_with_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

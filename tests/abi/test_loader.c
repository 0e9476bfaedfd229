/* SPDX-License-Identifier: Apache-2.0 */
/* The loader refuses every broken plugin with a message naming the reason,
 * and accepts a well-formed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libconfig.h>

#include "core/app.h"
#include "core/hooks.h"
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

static void test_typed_hooks_without_size(void **state)
{
	(void)state;
	expect_open_refused("bad_hooks_size", "typed_hooks without size");
}

static void test_missing_symbol(void **state)
{
	(void)state;
	expect_open_refused("bad_no_symbol", "missing symbol authsvc_plugin");
}

static void test_missing_file(void **state)
{
	(void)state;
	expect_open_refused("does_not_exist", "cannot read file: missing");
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

/* A plugin that fills its whole error message without a terminator: the
 * host cuts it instead of reading past the buffer (ASan builds catch a
 * read past it). */
static size_t run_of_x(const char *s)
{
	const char *p = strstr(s, "failed: x");
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (p += strlen("failed: "); *p == 'x'; p++)
		n++;
	return n;
}

static void test_init_message_without_terminator(void **state)
{
	(void)state;
	load_expect("bad_init_full.so", "init failed: xxxx");
}

static void test_start_message_without_terminator(void **state)
{
	struct plugin_conf pc = {.name = "t", .file = (char *)"bad_start.so", .enabled = true};
	struct config cfg = {.plugin_dir = (char *)ABI_DIR, .plugins = &pc, .nplugins = 1};
	struct app app = {.cfg = &cfg};
	struct err err = {0};
	char msg[256];

	(void)state;
	assert_int_equal(core_routes_register(&app, msg, sizeof(msg)), 0);
	assert_int_equal(plugins_load(&app, &host_api, &cfg, &app.plugins, &err), 0);
	assert_int_equal(plugins_start(app.plugins, &err), -1);
	if (strstr(err.msg, "bad_start.so") == NULL || run_of_x(err.msg) == 0 ||
	    run_of_x(err.msg) > 200)
		fail_msg("got \"%s\"", err.msg);
	plugins_unload(app.plugins);
	router_release(&app.router);
}

static void test_route_clash_with_core(void **state)
{
	(void)state;
	load_expect("bad_core_route.so", "duplicate route POST /auth/token");
}

static enum authsvc_status route_of_handler_unused(void *s, void *t, struct authsvc_req *r)
{
	(void)s;
	(void)t;
	(void)r;
	return AUTHSVC_ERROR;
}

/* Instances and hooks: plugins_load over several files of PLUGIN_OUT_DIR,
 * all instances named by the caller. */
struct loaded {
	struct plugin_conf pc[4];
	struct config cfg;
	struct app app;
	struct err err;
};

static int load_many(struct loaded *l, const char *const *names, const char *const *files, size_t n)
{
	char msg[256];

	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n; i++)
		l->pc[i] = (struct plugin_conf){
		    .name = (char *)names[i], .file = (char *)files[i], .enabled = true};
	l->cfg =
	    (struct config){.plugin_dir = (char *)PLUGIN_OUT_DIR, .plugins = l->pc, .nplugins = n};
	l->app.cfg = &l->cfg;
	assert_int_equal(core_routes_register(&l->app, msg, sizeof(msg)), 0);
	return plugins_load(&l->app, &host_api, &l->cfg, &l->app.plugins, &l->err);
}

static void loaded_release(struct loaded *l)
{
	plugins_unload(l->app.plugins);
	router_release(&l->app.router);
}

static const struct route *route_of(const struct router *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->routes[i].path, path) == 0)
			return &r->routes[i];
	return NULL;
}

/* A plugin compiled against the frozen 1.0 or 1.1 header loads, and its
 * hooks (the one authsvc_hook_fn of those versions) run. */
static void test_frozen_plugins_load_and_hook(void **state)
{
	static const char *const names[] = {"legacy_10", "legacy_11"};
	static const char *const files[] = {"legacy_10.so", "legacy_11.so"};
	struct authsvc_identity who = {0}, mfa_user = {"uid-1", "carol", "internal"};
	struct loaded l;

	(void)state;
	if (load_many(&l, names, files, 2) < 0)
		fail_msg("frozen plugins refused: %s", l.err.msg);
	assert_int_equal(l.app.plugins->v[0].desc->abi_minor, 0);
	assert_int_equal(l.app.plugins->v[1].desc->abi_minor, 1);
	assert_int_equal(hooks_count(&l.app.hooks, AUTHSVC_HOOK_PASSWORD_CHECK), 2);
	assert_int_equal(hooks_count(&l.app.hooks, AUTHSVC_HOOK_MFA_VERIFY), 1);
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "alice", "legacy-pass", &who),
			 AUTHSVC_OK);
	assert_string_equal(who.username, "alice");
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "alice", "legacy-deny", &who),
			 AUTHSVC_DENIED);
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "alice", "other", &who),
			 AUTHSVC_DECLINED);
	assert_int_equal(hooks_mfa_verify(&l.app.hooks, NULL, &mfa_user, "111111"), AUTHSVC_OK);
	assert_int_equal(hooks_mfa_verify(&l.app.hooks, NULL, &mfa_user, "000000"),
			 AUTHSVC_DECLINED);
	loaded_release(&l);
}

/* Typed (1.2) and 1.0-form hooks of one point run together in order:
 * test_typed at 5 and 20, legacy_10 at 10. */
static void test_typed_and_legacy_hooks_in_order(void **state)
{
	static const char *const names[] = {"typed", "legacy_10"};
	static const char *const files[] = {"test_typed.so", "legacy_10.so"};
	struct authsvc_identity who = {0}, user = {"uid-2", "dave", "internal"};
	struct loaded l;

	(void)state;
	if (load_many(&l, names, files, 2) < 0)
		fail_msg("refused: %s", l.err.msg);
	assert_int_equal(hooks_count(&l.app.hooks, AUTHSVC_HOOK_PASSWORD_CHECK), 3);
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "bob", "typed-pass", &who),
			 AUTHSVC_OK);
	assert_string_equal(who.username, "typed");
	/* declined at 5, accepted at 10 before 20 is asked */
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "bob", "legacy-pass", &who),
			 AUTHSVC_OK);
	assert_string_equal(who.username, "bob");
	assert_int_equal(hooks_password_check(&l.app.hooks, NULL, "bob", "late-pass", &who),
			 AUTHSVC_OK);
	assert_string_equal(who.username, "late");
	assert_int_equal(hooks_mfa_verify(&l.app.hooks, NULL, &user, "222222"), AUTHSVC_OK);
	hooks_login_succeeded(&l.app.hooks, NULL, &user);
	hooks_login_succeeded(&l.app.hooks, NULL, &user);
	assert_int_equal(*(long *)l.app.plugins->v[0].state, 2);
	loaded_release(&l);
	assert_int_equal(hooks_count(&l.app.hooks, AUTHSVC_HOOK_PASSWORD_CHECK), 0);
}

/* One .so under two instance names: both load, each with its own state,
 * name and route_add route. */
static void test_two_instances_of_one_file(void **state)
{
	static const char *const names[] = {"gitlab", "google"};
	static const char *const files[] = {"test_instance.so", "test_instance.so"};
	const struct route *a, *b;
	struct loaded l;

	(void)state;
	if (load_many(&l, names, files, 2) < 0)
		fail_msg("two instances refused: %s", l.err.msg);
	assert_int_equal(l.app.plugins->n, 2);
	assert_ptr_equal(l.app.plugins->v[0].desc, l.app.plugins->v[1].desc);
	assert_ptr_not_equal(l.app.plugins->v[0].state, l.app.plugins->v[1].state);
	assert_string_equal(host_api.instance_name(&l.app.plugins->v[0].cfg), "gitlab");
	assert_string_equal(host_api.instance_name(&l.app.plugins->v[1].cfg), "google");
	a = route_of(&l.app.router, "/test/gitlab/hello");
	b = route_of(&l.app.router, "/test/google/hello");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(a->plugin, &l.app.plugins->v[0]);
	assert_ptr_equal(b->plugin, &l.app.plugins->v[1]);
	loaded_release(&l);
}

static void expect_many_refused(const char *const *names, const char *const *files, size_t n,
				const char *reason)
{
	struct loaded l;

	assert_int_equal(load_many(&l, names, files, n), -1);
	if (strstr(l.err.msg, reason) == NULL)
		fail_msg("expected \"%s\", got \"%s\"", reason, l.err.msg);
	loaded_release(&l);
}

static void test_duplicate_instance_name_refused(void **state)
{
	static const char *const names[] = {"same", "same"};
	static const char *const files[] = {"test_instance.so", "legacy_10.so"};

	(void)state;
	expect_many_refused(names, files, 2, "duplicate plugin instance same");
}

/* A static route table cannot serve two instances: the second is refused,
 * naming the route and the instance. */
static void test_static_route_of_two_instances_refused(void **state)
{
	static const char *const names[] = {"hook_a", "hook_b"};
	static const char *const files[] = {"test_hook.so", "test_hook.so"};

	(void)state;
	expect_many_refused(names, files, 2,
			    "duplicate route GET /test/hook-logins (instance hook_b of test_hook)");
}

static void test_route_add_taken_route_refused(void **state)
{
	static const char *const names[] = {"twice"};
	static const char *const files[] = {"test_instance.so"};
	struct plugin_conf *pc;
	struct loaded l;
	config_t *lc;

	(void)state;
	/* settings = { twice = true; } through libconfig, as the config loader would */
	lc = calloc(1, sizeof(*lc));
	assert_non_null(lc);
	config_init(lc);
	assert_int_equal(config_read_string(lc, "twice = true;"), CONFIG_TRUE);
	memset(&l, 0, sizeof(l));
	pc = &l.pc[0];
	*pc = (struct plugin_conf){.name = (char *)names[0],
				   .file = (char *)files[0],
				   .enabled = true,
				   .settings = config_root_setting(lc)};
	l.cfg =
	    (struct config){.plugin_dir = (char *)PLUGIN_OUT_DIR, .plugins = l.pc, .nplugins = 1};
	l.app.cfg = &l.cfg;
	assert_int_equal(core_routes_register(&l.app, l.err.msg, sizeof(l.err.msg)), 0);
	assert_int_equal(plugins_load(&l.app, &host_api, &l.cfg, &l.app.plugins, &l.err), -1);
	if (strstr(l.err.msg, "duplicate route GET /test/twice/hello") == NULL)
		fail_msg("got \"%s\"", l.err.msg);
	loaded_release(&l);
	config_destroy(lc);
	free(lc);
}

static void test_route_add_after_init_refused(void **state)
{
	static const char *const names[] = {"late"};
	static const char *const files[] = {"test_instance.so"};
	const struct authsvc_route r = {
	    .method = "GET", .path = "/test/late/again", .handler = route_of_handler_unused};
	struct loaded l;

	(void)state;
	if (load_many(&l, names, files, 1) < 0)
		fail_msg("refused: %s", l.err.msg);
	assert_int_equal(host_api.route_add(&l.app.plugins->v[0].cfg, &r), -1);
	assert_null(route_of(&l.app.router, "/test/late/again"));
	loaded_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrong_major),
	    cmocka_unit_test(test_newer_minor),
	    cmocka_unit_test(test_short_size),
	    cmocka_unit_test(test_duplicate_route),
	    cmocka_unit_test(test_missing_symbol),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_world_writable),
	    cmocka_unit_test(test_good_plugin_opens),
	    cmocka_unit_test(test_init_failure),
	    cmocka_unit_test(test_route_clash_with_core),
	    cmocka_unit_test(test_typed_hooks_without_size),
	    cmocka_unit_test(test_init_message_without_terminator),
	    cmocka_unit_test(test_start_message_without_terminator),
	    cmocka_unit_test(test_frozen_plugins_load_and_hook),
	    cmocka_unit_test(test_typed_and_legacy_hooks_in_order),
	    cmocka_unit_test(test_two_instances_of_one_file),
	    cmocka_unit_test(test_duplicate_instance_name_refused),
	    cmocka_unit_test(test_static_route_of_two_instances_refused),
	    cmocka_unit_test(test_route_add_taken_route_refused),
	    cmocka_unit_test(test_route_add_after_init_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* plugin-load-check [--settings] FILE...: dlopen each plugin with the
 * loader's own checks (file ownership and mode, symbol, ABI version, size,
 * routes), as the server would before init, and print what it declares:
 * name, version, ABI, and how many hooks in the 1.2 typed form (typed_hooks)
 * and the 1.0 form (hooks). With --settings, also one line per setting of
 * its schema: "setting NAME KEY TYPE FLAGS DEFAULT MIN..MAX HELP" (what
 * tests/tools/doc-check compares with authsvc.conf(5)). Exit 0 when every
 * file passes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plugins/loader.h"

static size_t count_typed(const struct authsvc_plugin *d)
{
	const struct authsvc_hooks *th;
	size_t n = 0;

	if (!AUTHSVC_HAS(struct authsvc_plugin, d, typed_hooks) || d->typed_hooks == NULL)
		return 0;
	th = d->typed_hooks;
	if (AUTHSVC_HAS(struct authsvc_hooks, th, password_check))
		for (const struct authsvc_password_check_hook *h = th->password_check;
		     h != NULL && h->fn != NULL; h++)
			n++;
	if (AUTHSVC_HAS(struct authsvc_hooks, th, mfa_verify))
		for (const struct authsvc_mfa_verify_hook *h = th->mfa_verify;
		     h != NULL && h->fn != NULL; h++)
			n++;
	if (AUTHSVC_HAS(struct authsvc_hooks, th, login_succeeded))
		for (const struct authsvc_login_succeeded_hook *h = th->login_succeeded;
		     h != NULL && h->fn != NULL; h++)
			n++;
	return n;
}

static size_t count_legacy(const struct authsvc_plugin *d)
{
	size_t n = 0;

	for (const struct authsvc_hook *h = d->hooks; h != NULL && h->point != AUTHSVC_HOOK_END;
	     h++)
		n++;
	return n;
}

static void print_settings(const struct authsvc_plugin *d)
{
	static const char *const types[] = {"end", "string", "int", "bool"};

	for (const struct authsvc_setting *s = d->settings; s != NULL && s->key != NULL; s++) {
		const char *type = s->type < 4 ? types[s->type] : "?";
		char def[256];

		if (s->type == AUTHSVC_SET_STRING)
			snprintf(def, sizeof(def), "\"%s\"", s->def_str ? s->def_str : "");
		else if (s->type == AUTHSVC_SET_BOOL)
			snprintf(def, sizeof(def), "%s", s->def_int ? "true" : "false");
		else
			snprintf(def, sizeof(def), "%" PRId64, s->def_int);
		printf("setting %s %s %s %s%s %s %" PRId64 "..%" PRId64 " %s\n", d->name, s->key,
		       type, s->flags & AUTHSVC_SET_REQUIRED ? "required," : "",
		       s->flags & AUTHSVC_SET_SECRET ? "secret" : "-", def, s->min, s->max,
		       s->help ? s->help : "");
	}
}

int main(int argc, char **argv)
{
	int bad = 0, first = 1, settings = 0;

	if (argc > 1 && strcmp(argv[1], "--settings") == 0)
		settings = 1, first = 2;
	if (argc <= first) {
		fprintf(stderr, "usage: plugin-load-check [--settings] FILE...\n");
		return 2;
	}
	for (int i = first; i < argc; i++) {
		const struct authsvc_plugin *d;
		char msg[256];
		void *dl;

		if (plugin_open(argv[i], &dl, &d, msg, sizeof(msg)) < 0) {
			printf("refused %s: %s\n", argv[i], msg);
			bad = 1;
			continue;
		}
		printf("ok %s name=%s version=%s abi=%u.%u typed_hooks=%zu hooks=%zu\n", argv[i],
		       d->name, d->version, d->abi_major, d->abi_minor, count_typed(d),
		       count_legacy(d));
		if (settings)
			print_settings(d);
	}
	return bad;
}

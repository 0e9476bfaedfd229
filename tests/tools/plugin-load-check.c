/* SPDX-License-Identifier: Apache-2.0 */
/* plugin-load-check FILE...: dlopen each plugin with the loader's own checks
 * (file ownership and mode, symbol, ABI version, size, routes), as the server
 * would before init, and print what it declares: name, version, ABI, and
 * how many hooks in the 1.2 typed form (typed_hooks) and the 1.0 form
 * (hooks). Exit 0 when every file passes. */
#include <stdio.h>

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

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: plugin-load-check FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
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
	}
	return bad;
}

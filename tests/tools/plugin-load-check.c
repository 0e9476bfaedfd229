/* plugin-load-check FILE...: dlopen each plugin with the loader's own checks
 * (file ownership and mode, symbol, ABI version, size, routes), as the server
 * would before init. Exit 0 when every file passes. */
#include <stdio.h>

#include "plugins/loader.h"

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
		printf("ok %s name=%s version=%s abi=%u.%u\n", argv[i], d->name, d->version,
		       d->abi_major, d->abi_minor);
	}
	return bad;
}

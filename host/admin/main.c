/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin: the operator CLI. Global options, then one subcommand group. */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

struct command {
	const char *name;
	int (*run)(struct admin *a, int argc, char **argv);
};

static const struct command commands[] = {
    {"migrate", admin_cmd_migrate},
    {"tenant", admin_cmd_tenant},
    {"role", admin_cmd_role},
    {"client", admin_cmd_client},
    {"user", admin_cmd_user},
    /* moving from the upstream service (docs/migrating.md) */
    {"import-upstream", admin_cmd_import},
    {"keys", admin_cmd_keys},
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct admin a = {.config_path = ADMIN_DEFAULT_CONFIG};
	size_t i;
	int c, rc;

	admin_getopt_reset();
	/* "+": stop at the command, whose own options follow it */
	while ((c = admin_getopt(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'h':
			admin_usage(stdout);
			return ADMIN_OK;
		default:
			return ADMIN_USAGE;
		}
	}
	if (optind >= argc)
		return admin_usage_error("missing command (see --help)");
	if (strcmp(argv[optind], "help") == 0) {
		admin_usage(stdout);
		return ADMIN_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return admin_usage_error("unknown command '%s' (see --help)", argv[optind]);
	json_object_seed(0);
	rc = commands[i].run(&a, argc - optind, argv + optind);
	admin_release(&a);
	return rc;
}

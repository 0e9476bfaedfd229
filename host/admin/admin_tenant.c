/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin tenant add, role add */
#include "admin.h"

#include "store/provision.h"

static const char *const add_only[] = {"add", NULL};

int admin_cmd_tenant(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"name", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	const char *key = NULL, *name = NULL;
	struct err err = {0};
	int c;

	if (admin_action(argc, argv, "tenant", add_only) < 0)
		return ADMIN_USAGE;
	argc--, argv++;
	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "tenant add")) != -1) {
		if (c == 'k')
			key = optarg;
		else if (c == 'n')
			name = optarg;
		else
			return ADMIN_USAGE;
	}
	if (admin_no_operands(argc, argv, "tenant add") != 0)
		return ADMIN_USAGE;
	if (key == NULL || name == NULL)
		return admin_usage_error("tenant add: --key and --name are required");
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	if (provision_tenant_add(&a->db, key, name, &err) < 0)
		return admin_fail("tenant add: %s", err.msg);
	printf("tenant added: %s\n", key);
	return ADMIN_OK;
}

int admin_cmd_role(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"permissions", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *perms = NULL;
	struct err err = {0};
	int c;

	if (admin_action(argc, argv, "role", add_only) < 0)
		return ADMIN_USAGE;
	argc--, argv++;
	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "role add")) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'p')
			perms = optarg;
		else
			return ADMIN_USAGE;
	}
	if (admin_no_operands(argc, argv, "role add") != 0)
		return ADMIN_USAGE;
	if (name == NULL)
		return admin_usage_error("role add: --name is required");
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	if (provision_role_add(&a->db, name, perms, &err) < 0)
		return admin_fail("role add: %s", err.msg);
	printf("role added: %s\n", name);
	return ADMIN_OK;
}

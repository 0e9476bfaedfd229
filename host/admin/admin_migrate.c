/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin migrate [--sql-dir DIR] */
#include "admin.h"

#include "store/migrate.h"

int admin_cmd_migrate(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"sql-dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	struct err err = {0};
	int c, applied = 0, rc;

	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":h", longopts, "migrate")) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			admin_usage(stdout);
			return ADMIN_OK;
		default:
			return ADMIN_USAGE;
		}
	}
	if (admin_no_operands(argc, argv, "migrate") != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	if (dir == NULL)
		dir = a->cfg.sql_dir;
	rc = store_migrate(&a->db, dir, &applied, &err);
	printf("migrations applied: %d\n", applied);
	if (rc < 0)
		return admin_fail("migrate: %s", err.msg);
	return ADMIN_OK;
}

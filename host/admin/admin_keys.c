/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin keys list | rotate [--now] | retire KID [--force]
 * (docs/operator-guide.md "Key rotation") */
#include "admin.h"

#include <string.h>

#include "store/keys_store.h"

static const char *const key_actions[] = {"list", "rotate", "retire", NULL};

/* Keys in the database are what these commands manage; refuse otherwise. */
static int db_keys_check(struct admin *a, const char *cmd)
{
	if (admin_config(a) < 0)
		return -1;
	if (a->cfg.jwt_alg == JWT_KIND_HS256) {
		admin_fail(
		    "%s: tokens.algorithm HS256 signs with tokens.hs_secret, no keys to manage",
		    cmd);
		return -1;
	}
	if (a->cfg.jwt_private_key_file != NULL && *a->cfg.jwt_private_key_file != '\0') {
		admin_fail("%s: the signing key is tokens.private_key_file; keys in the database "
			   "are used only without it",
			   cmd);
		return -1;
	}
	return admin_connect(a);
}

static int keys_list(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};
	struct err err = {0};
	PGresult *res;

	admin_getopt_reset();
	if (admin_getopt(argc, argv, ":", longopts, "keys list") != -1)
		return ADMIN_USAGE;
	if (admin_no_operands(argc, argv, "keys list") != 0)
		return ADMIN_USAGE;
	if (db_keys_check(a, "keys list") < 0)
		return ADMIN_FAIL;
	res = keys_store_list(&a->db, keys_store_leeway(a->cfg.key_poll_s), &err);
	if (res == NULL)
		return admin_fail("keys list: %s", err.msg);
	admin_print_table(res);
	PQclear(res);
	return ADMIN_OK;
}

static int keys_rotate(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"now", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct err err = {0};
	char kid[64] = "";
	bool now = false;
	int c, delay;

	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "keys rotate")) != -1) {
		if (c == 'n')
			now = true;
		else
			return ADMIN_USAGE;
	}
	if (admin_no_operands(argc, argv, "keys rotate") != 0)
		return ADMIN_USAGE;
	if (db_keys_check(a, "keys rotate") < 0)
		return ADMIN_FAIL;
	/* by default every instance has it (next poll at the latest) before it signs */
	delay = now ? 0 : a->cfg.key_poll_s;
	if (keys_store_rotate(&a->db, a->cfg.jwt_alg, a->cfg.jwt_key_passphrase, delay, kid, &err) <
	    0)
		return admin_fail("keys rotate: %s", err.msg);
	printf("key added: %s (%s), signs in %d s\n", kid, jwt_alg_kind_name(a->cfg.jwt_alg),
	       delay);
	return ADMIN_OK;
}

static int keys_retire(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	struct err err = {0};
	char state[32] = "";
	bool force = false;
	int c;

	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "keys retire")) != -1) {
		if (c == 'f')
			force = true;
		else
			return ADMIN_USAGE;
	}
	if (optind + 1 != argc)
		return admin_usage_error("keys retire: exactly one KID is required");
	if (db_keys_check(a, "keys retire") < 0)
		return ADMIN_FAIL;
	if (keys_store_retire(&a->db, argv[optind], force, keys_store_leeway(a->cfg.key_poll_s),
			      state, sizeof(state), &err) < 0)
		return admin_fail("keys retire: %s", err.msg);
	printf("key retired: %s (was %s)\n", argv[optind], state);
	return ADMIN_OK;
}

int admin_cmd_keys(struct admin *a, int argc, char **argv)
{
	int action = admin_action(argc, argv, "keys", key_actions);

	if (action < 0)
		return ADMIN_USAGE;
	argc--, argv++;
	if (action == 0)
		return keys_list(a, argc, argv);
	if (action == 1)
		return keys_rotate(a, argc, argv);
	return keys_retire(a, argc, argv);
}

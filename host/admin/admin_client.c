/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin client add, client list */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "store/provision.h"
#include "util/key32.h"

#define TTL_ACCESS_MAX	(7L * 86400)   /* a week */
#define TTL_REFRESH_MAX (366L * 86400) /* a year */
#define TTL_CODE_MAX	3600L

enum {
	OPT_SECRET = 1,
	OPT_SECRET_STDIN,
	OPT_REDIRECT,
	OPT_LOGOUT,
	OPT_ACCESS,
	OPT_REFRESH,
	OPT_CODE
};

static int client_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"client-id", required_argument, NULL, 'i'},
	    {"secret", required_argument, NULL, OPT_SECRET},
	    {"secret-stdin", no_argument, NULL, OPT_SECRET_STDIN},
	    {"redirect-url", required_argument, NULL, OPT_REDIRECT},
	    {"logout-redirect-url", required_argument, NULL, OPT_LOGOUT},
	    {"access-ttl", required_argument, NULL, OPT_ACCESS},
	    {"refresh-ttl", required_argument, NULL, OPT_REFRESH},
	    {"code-ttl", required_argument, NULL, OPT_CODE},
	    {NULL, 0, NULL, 0},
	};
	struct client_spec spec = {.access_ttl = 900, .refresh_ttl = 86400, .code_ttl = 180};
	unsigned char key[KEY32_LEN];
	const char *secret_arg = NULL;
	char *secret = NULL;
	bool secret_stdin = false;
	struct err err = {0};
	int c, rc = 0;

	admin_getopt_reset();
	while (rc == 0 && (c = admin_getopt(argc, argv, ":", longopts, "client add")) != -1) {
		switch (c) {
		case 'i':
			spec.client_id = optarg;
			break;
		case OPT_SECRET:
			secret_arg = optarg;
			break;
		case OPT_SECRET_STDIN:
			secret_stdin = true;
			break;
		case OPT_REDIRECT:
			spec.redirect_url = optarg;
			break;
		case OPT_LOGOUT:
			spec.logout_redirect_url = optarg;
			break;
		case OPT_ACCESS:
			rc = admin_parse_int("--access-ttl", optarg, 1, TTL_ACCESS_MAX,
					     &spec.access_ttl);
			break;
		case OPT_REFRESH:
			rc = admin_parse_int("--refresh-ttl", optarg, 1, TTL_REFRESH_MAX,
					     &spec.refresh_ttl);
			break;
		case OPT_CODE:
			rc = admin_parse_int("--code-ttl", optarg, 1, TTL_CODE_MAX, &spec.code_ttl);
			break;
		default:
			return ADMIN_USAGE;
		}
	}
	if (rc != 0 || admin_no_operands(argc, argv, "client add") != 0)
		return ADMIN_USAGE;
	if (spec.client_id == NULL || spec.redirect_url == NULL)
		return admin_usage_error("client add: --client-id and --redirect-url are required");
	if (secret_arg != NULL && secret_stdin)
		return admin_usage_error("client add: give --secret or --secret-stdin, not both");
	if (secret_arg != NULL && secret_arg[0] == '\0')
		return admin_usage_error("client add: --secret is empty (omit it for a public "
					 "client)");
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	if (secret_stdin) {
		secret = admin_read_secret("client secret");
		if (secret == NULL)
			return ADMIN_FAIL;
		if (secret[0] == '\0') {
			admin_secret_free(secret);
			return admin_fail("client add: the secret on stdin is empty");
		}
	}
	spec.secret = secret != NULL ? secret : secret_arg;
	/* the same key the server checks with (clients.secret_key) */
	if (a->cfg.client_secret_key != NULL && a->cfg.client_secret_key[0] != '\0') {
		if (key32_parse(a->cfg.client_secret_key, key) < 0) {
			admin_secret_free(secret);
			return admin_fail("client add: clients.secret_key: not a 32-byte key "
					  "(64 hex digits or base64 of 32 bytes)");
		}
		spec.secret_key = key;
	} else if (spec.secret != NULL) {
		fprintf(stderr, "authsvc-admin: warning: clients.secret_key is not set; the "
				"secret is stored as unsalted SHA-256\n");
	}
	rc = provision_client_add(&a->db, &spec, &err);
	OPENSSL_cleanse(key, sizeof(key));
	admin_secret_free(secret);
	if (rc < 0)
		return admin_fail("client add: %s", err.msg);
	printf("client added: %s (%s)\n", spec.client_id,
	       spec.secret != NULL ? "confidential" : "public");
	return ADMIN_OK;
}

static int client_list(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};
	struct err err = {0};
	PGresult *res;

	admin_getopt_reset();
	if (admin_getopt(argc, argv, ":", longopts, "client list") != -1)
		return ADMIN_USAGE;
	if (admin_no_operands(argc, argv, "client list") != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	res = provision_client_list(&a->db, &err);
	if (res == NULL)
		return admin_fail("client list: %s", err.msg);
	admin_print_table(res);
	PQclear(res);
	return ADMIN_OK;
}

int admin_cmd_client(struct admin *a, int argc, char **argv)
{
	static const char *const actions[] = {"add", "list", NULL};

	switch (admin_action(argc, argv, "client", actions)) {
	case 0:
		return client_add(a, argc - 1, argv + 1);
	case 1:
		return client_list(a, argc - 1, argv + 1);
	default:
		return ADMIN_USAGE;
	}
}

/* SPDX-License-Identifier: Apache-2.0 */
/* authsvc-admin user add, user list */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/password.h"
#include "store/provision.h"

enum { OPT_PASSWORD_STDIN = 1, OPT_FIRST_NAME };

/* Client ids from repeated --client options, each maybe a comma list. */
struct id_list {
	char **ids;  /* point into the copies */
	char **bufs; /* one strdup'd copy per option */
	size_t n, nbufs;
};

static int id_list_add(struct id_list *l, const char *arg)
{
	char *copy, *p, *comma, **ids, **bufs;
	const char *q;
	size_t items = 1;

	for (q = arg; (q = strchr(q, ',')) != NULL; q++)
		items++;
	copy = strdup(arg);
	bufs = realloc(l->bufs, (l->nbufs + 1) * sizeof(*bufs));
	if (bufs != NULL)
		l->bufs = bufs;
	ids = realloc(l->ids, (l->n + items) * sizeof(*ids));
	if (ids != NULL)
		l->ids = ids;
	if (copy == NULL || bufs == NULL || ids == NULL) {
		free(copy);
		admin_fail("out of memory");
		return -1;
	}
	l->bufs[l->nbufs++] = copy;
	for (p = copy; p != NULL; p = comma) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		if (*p != '\0')
			l->ids[l->n++] = p;
	}
	return 0;
}

static void id_list_release(struct id_list *l)
{
	size_t i;

	for (i = 0; i < l->nbufs; i++)
		free(l->bufs[i]);
	free(l->bufs);
	free(l->ids);
}

/* Read, check and hash the password; 0 or an exit code (message printed). */
static int user_password_hash(struct admin *a, const char *username, char *hash, size_t hashsz)
{
	struct err err = {0};
	char *password;
	int rc;

	if (password_init(&a->cfg.password, &err) < 0)
		return admin_fail("%s", err.msg);
	password = admin_read_secret("password");
	if (password == NULL)
		return ADMIN_FAIL;
	rc = password_policy_check(&a->cfg.password, username, password, &err);
	if (rc == 0)
		rc = password_hash(password, hash, hashsz, &err);
	admin_secret_free(password);
	if (rc < 0)
		return admin_fail("user add: %s", err.msg);
	return 0;
}

static int user_add_run(struct admin *a, struct user_spec *spec)
{
	char hash[PASSWORD_HASH_MAX], id[40];
	struct err err = {0};
	int rc;

	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	rc = user_password_hash(a, spec->username, hash, sizeof(hash));
	if (rc != 0)
		return rc;
	spec->password_hash = hash;
	rc = provision_user_add(&a->db, spec, id, sizeof(id), &err);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc < 0)
		return admin_fail("user add: %s", err.msg);
	printf("user added: %s (id %s)\n", spec->username, id);
	return ADMIN_OK;
}

static int user_add(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"username", required_argument, NULL, 'u'},
	    {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
	    {"email", required_argument, NULL, 'e'},
	    {"first-name", required_argument, NULL, OPT_FIRST_NAME},
	    {"tenant", required_argument, NULL, 't'},
	    {"role", required_argument, NULL, 'r'},
	    {"client", required_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0},
	};
	struct user_spec spec = {0};
	struct id_list clients = {0};
	bool password_stdin = false;
	int c, rc = 0;

	admin_getopt_reset();
	while (rc == 0 && (c = admin_getopt(argc, argv, ":", longopts, "user add")) != -1) {
		switch (c) {
		case 'u':
			spec.username = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			password_stdin = true;
			break;
		case 'e':
			spec.email = optarg;
			break;
		case OPT_FIRST_NAME:
			spec.first_name = optarg;
			break;
		case 't':
			spec.tenant_key = optarg;
			break;
		case 'r':
			spec.role = optarg;
			break;
		case 'C':
			rc = id_list_add(&clients, optarg) < 0 ? ADMIN_FAIL : 0;
			break;
		default:
			rc = ADMIN_USAGE;
		}
	}
	if (rc == 0 && admin_no_operands(argc, argv, "user add") != 0)
		rc = ADMIN_USAGE;
	if (rc == 0 && (spec.username == NULL || spec.username[0] == '\0'))
		rc = admin_usage_error("user add: --username is required");
	if (rc == 0 && !password_stdin)
		rc = admin_usage_error("user add: --password-stdin is required");
	if (rc == 0) {
		spec.client_ids = (const char *const *)clients.ids;
		spec.nclients = clients.n;
		rc = user_add_run(a, &spec);
	}
	id_list_release(&clients);
	return rc;
}

static int user_list(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};
	struct err err = {0};
	PGresult *res;

	admin_getopt_reset();
	if (admin_getopt(argc, argv, ":", longopts, "user list") != -1)
		return ADMIN_USAGE;
	if (admin_no_operands(argc, argv, "user list") != 0)
		return ADMIN_USAGE;
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	res = provision_user_list(&a->db, &err);
	if (res == NULL)
		return admin_fail("user list: %s", err.msg);
	admin_print_table(res);
	PQclear(res);
	return ADMIN_OK;
}

/* user mfa --username U --on|--off|--reset-totp: the per-user switch
 * mfa.mode = "users" reads, or forgetting an authenticator (a lost phone):
 * the user enrols again at the next login. */
static int user_mfa(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"username", required_argument, NULL, 'u'},
	    {"on", no_argument, NULL, '1'},
	    {"off", no_argument, NULL, '0'},
	    {"reset-totp", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const sql_switch =
	    "UPDATE main.users SET mfa_enabled = $2::boolean, modified_on = now()"
	    " WHERE lower(username) = lower($1) AND NOT deleted";
	static const char *const sql_reset =
	    "UPDATE main.user_credentials c SET secret_key = NULL, totp_confirmed = false,"
	    " totp_last_step = 0, modified_on = now() FROM main.users u"
	    " WHERE u.id = c.user_id AND lower(u.username) = lower($1)"
	    " AND NOT u.deleted AND NOT c.deleted";
	const char *username = NULL, *action = NULL, *done;
	struct err err = {0};
	PGresult *res;
	int c, actions = 0;

	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "user mfa")) != -1) {
		if (c == 'u') {
			username = optarg;
		} else if (c == '1' || c == '0' || c == 'r') {
			action = c == '1' ? "true" : c == '0' ? "false" : "reset";
			actions++;
		} else {
			return ADMIN_USAGE;
		}
	}
	if (admin_no_operands(argc, argv, "user mfa") != 0)
		return ADMIN_USAGE;
	if (username == NULL || *username == '\0' || actions != 1)
		return admin_usage_error(
		    "user mfa: --username and one of --on, --off, --reset-totp are required");
	if (admin_connect(a) < 0)
		return ADMIN_FAIL;
	if (strcmp(action, "reset") == 0)
		res = db_exec(&a->db, sql_reset, 1, (const char *const[]){username}, &err);
	else
		res = db_exec(&a->db, sql_switch, 2, (const char *const[]){username, action}, &err);
	if (res == NULL)
		return admin_fail("user mfa: %s", err.msg);
	c = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (c == 0)
		return admin_fail("user mfa: no user '%s'", username);
	done = strcmp(action, "reset") == 0  ? "authenticator forgotten"
	       : strcmp(action, "true") == 0 ? "mfa on"
					     : "mfa off";
	printf("user %s: %s\n", username, done);
	return ADMIN_OK;
}

int admin_cmd_user(struct admin *a, int argc, char **argv)
{
	static const char *const actions[] = {"add", "list", "mfa", NULL};

	switch (admin_action(argc, argv, "user", actions)) {
	case 0:
		return user_add(a, argc - 1, argv + 1);
	case 1:
		return user_list(a, argc - 1, argv + 1);
	case 2:
		return user_mfa(a, argc - 1, argv + 1);
	default:
		return ADMIN_USAGE;
	}
}

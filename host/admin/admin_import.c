/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authsvc-admin import-upstream: copy an upstream authentication-service
 * database into authsvc's (docs/migrating.md).
 *
 * Upstream is read in one REPEATABLE READ, READ ONLY transaction (one
 * snapshot), authsvc's is written in one transaction: either every row is
 * mapped and the whole import commits, or nothing is written. --dry-run
 * runs exactly the same statements and rolls back, so its report is what
 * the import would do. Each batch runs under a savepoint; a batch that
 * breaks a constraint is retried row by row to name the rows that cannot
 * be mapped (a username taken by another authsvc user, a client id that
 * names another client, ...), and the report lists them.
 */
#include "admin.h"
#include "admin_import.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "store/clients.h"
#include "util/key32.h"

#define IMPORT_BATCH	    "500"
#define IMPORT_PROBLEMS_MAX 100 /* listed one per line; past that, counted */

struct import {
	PGconn *up; /* upstream, read only */
	PGconn *to; /* authsvc, in the import's transaction */
	const unsigned char *secret_key;
	bool dry_run;
	long problems;
};

struct tally {
	long read, inserted, updated, problems;
};

/* "authsvc-admin: import-upstream: <message>" as one line on stderr (a
 * libpq message's own newlines become blanks); returns -1. */
__attribute__((format(printf, 1, 2))) static int import_fail(const char *fmt, ...)
{
	char msg[1024];
	size_t i, n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (i = 0; i < n; i++)
		if (msg[i] == '\n')
			msg[i] = ' ';
	fprintf(stderr, ADMIN_PROG ": import-upstream: %s\n", msg);
	return -1;
}

static bool res_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static PGresult *exec(PGconn *conn, const char *sql, int n, const char *const *params)
{
	return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

/* A statement whose result is not needed; 0, or -1 with the message printed. */
static int run(PGconn *conn, const char *sql, const char *what)
{
	PGresult *res = exec(conn, sql, 0, NULL);
	int rc = 0;

	if (!res_ok(res))
		rc = import_fail("%s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return rc;
}

/* A constraint or a value that does not fit (SQLSTATE class 23 or 22): the
 * row cannot be mapped. Anything else stops the import. */
static bool unmappable(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0);
}

static void problem(struct import *im, struct tally *t, const char *table, const char *msg)
{
	im->problems++;
	t->problems++;
	if (im->problems <= IMPORT_PROBLEMS_MAX)
		printf("cannot map: %s %s\n", table, msg);
}

/* The failure of one row, without a "Failing row contains (...)" detail,
 * which would print the row's values (password hashes among them). */
static void row_problem(struct import *im, struct tally *t, const char *table, json_t *row,
			const PGresult *res)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	json_t *id = json_object_get(row, "id");
	char *idtext = id != NULL ? json_dumps(id, JSON_ENCODE_ANY) : NULL;
	char line[512];

	if (detail != NULL && strncmp(detail, "Failing row contains", 20) == 0)
		detail = NULL;
	snprintf(line, sizeof(line), "%s: %s%s%s%s", idtext != NULL ? idtext : "(no id)",
		 msg != NULL ? msg : "refused", detail != NULL ? " (" : "",
		 detail != NULL ? detail : "", detail != NULL ? ")" : "");
	free(idtext);
	problem(im, t, table, line);
}

static void count_written(struct import *im, struct tally *t, const char *table,
			  const PGresult *res)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		const char *what = PQgetvalue(res, i, 0);

		if (strcmp(what, "inserted") == 0)
			t->inserted++;
		else if (strcmp(what, "updated") == 0)
			t->updated++;
		else
			problem(im, t, table, what);
	}
}

/* The batch again, one row per savepoint, to name the rows that fail. */
static int write_rows(struct import *im, const struct import_table *tb, json_t *rows,
		      struct tally *t)
{
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *one = json_pack("[O]", json_array_get(rows, i));
		char *text = one != NULL ? json_dumps(one, JSON_COMPACT) : NULL;
		const char *params[1] = {text};
		PGresult *res;
		int rc = 0;

		json_decref(one);
		if (text == NULL)
			return import_fail("out of memory");
		if (run(im->to, "SAVEPOINT import_row", "savepoint") < 0) {
			free(text);
			return -1;
		}
		res = exec(im->to, tb->write, 1, params);
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		if (res_ok(res)) {
			count_written(im, t, tb->name, res);
			rc = run(im->to, "RELEASE SAVEPOINT import_row", "savepoint");
		} else if (unmappable(res)) {
			row_problem(im, t, tb->name, json_array_get(rows, i), res);
			rc = run(im->to, "ROLLBACK TO SAVEPOINT import_row", "savepoint");
		} else {
			rc = import_fail("writing %s: %s", tb->name, PQerrorMessage(im->to));
		}
		PQclear(res);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Upstream keeps client secrets in clear: store each as `client add` does
 * (HMAC-SHA-256 under clients.secret_key), wiping the clear text. */
static int hash_client_secrets(struct import *im, json_t *rows)
{
	char form[CLIENT_SECRET_FORM_MAX];
	struct err err = {0};
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		json_t *v = json_object_get(row, "client_secret");
		const char *s = json_string_value(v);

		if (s == NULL || s[0] == '\0')
			continue;
		if (client_secret_form(s, im->secret_key, form, &err) < 0)
			return import_fail("%s", err.msg);
		/* jansson's own copy of the clear secret, before it is freed */
		OPENSSL_cleanse((char *)s, json_string_length(v));
		json_object_set_new(row, "client_secret", json_string(form));
		OPENSSL_cleanse(form, sizeof(form));
	}
	return 0;
}

static void wipe_result_text(PGresult *res)
{
	OPENSSL_cleanse(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* One batch (a JSON array as upstream gave it) into authsvc's table. */
static int write_batch(struct import *im, const struct import_table *tb, const char *batch,
		       struct tally *t)
{
	json_t *rows = NULL;
	char *text = NULL;
	const char *params[1] = {batch};
	PGresult *res;
	int rc = 0;

	if (tb->transform == IMPORT_CLIENT_SECRETS) {
		rows = json_loads(batch, 0, NULL);
		if (rows == NULL || hash_client_secrets(im, rows) < 0 ||
		    (text = json_dumps(rows, JSON_COMPACT)) == NULL) {
			json_decref(rows);
			return rows == NULL ? import_fail("bad upstream JSON") : -1;
		}
		params[0] = text;
	}
	if (run(im->to, "SAVEPOINT import_batch", "savepoint") < 0) {
		rc = -1;
		goto out;
	}
	res = exec(im->to, tb->write, 1, params);
	if (res_ok(res)) {
		count_written(im, t, tb->name, res);
		rc = run(im->to, "RELEASE SAVEPOINT import_batch", "savepoint");
	} else if (unmappable(res)) {
		rc = run(im->to, "ROLLBACK TO SAVEPOINT import_batch", "savepoint");
		if (rc == 0 && rows == NULL && (rows = json_loads(batch, 0, NULL)) == NULL)
			rc = import_fail("bad upstream JSON");
		if (rc == 0)
			rc = write_rows(im, tb, rows, t);
	} else {
		rc = import_fail("writing %s: %s", tb->name, PQerrorMessage(im->to));
	}
	PQclear(res);
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	json_decref(rows);
	return rc;
}

static int import_table(struct import *im, const struct import_table *tb, struct tally *t)
{
	char last[64] = "";
	bool first = true;

	for (;;) {
		const char *params[2] = {first ? NULL : last, IMPORT_BATCH};
		PGresult *res = exec(im->up, tb->read, 2, params);
		long n;
		int rc;

		if (!res_ok(res) || PQntuples(res) != 1) {
			PQclear(res);
			return import_fail("reading upstream %s: %s", tb->name,
					   PQerrorMessage(im->up));
		}
		n = strtol(PQgetvalue(res, 0, 1), NULL, 10);
		if (n <= 0 || PQgetlength(res, 0, 2) >= (int)sizeof(last)) {
			PQclear(res);
			return n <= 0 ? 0 : import_fail("%s: id too long", tb->name);
		}
		memcpy(last, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2) + 1);
		first = false;
		t->read += n;
		rc = write_batch(im, tb, PQgetvalue(res, 0, 0), t);
		if (tb->transform == IMPORT_CLIENT_SECRETS)
			wipe_result_text(res);
		PQclear(res);
		if (rc < 0)
			return -1;
	}
}

/* Upstream's schema is one this import knows: db-migrate's table lists
 * exactly import_known_migrations. 0, or -1 with the refusal printed. */
static int check_schema(PGconn *up)
{
	PGresult *res = exec(up, "SELECT to_regclass('public.migrations') IS NOT NULL", 0, NULL);
	bool known;
	int i, n;

	if (!res_ok(res)) {
		PQclear(res);
		return import_fail("reading upstream: %s", PQerrorMessage(up));
	}
	known = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!known)
		return import_fail("refused: upstream has no db-migrate table "
				   "(public.migrations); it was not created by the upstream "
				   "package's migrations");
	res = exec(up, "SELECT name FROM public.migrations ORDER BY id", 0, NULL);
	if (!res_ok(res)) {
		PQclear(res);
		return import_fail("reading upstream migrations: %s", PQerrorMessage(up));
	}
	n = PQntuples(res);
	known = (size_t)n == import_nknown_migrations;
	for (i = 0; known && i < n; i++)
		known = strcmp(PQgetvalue(res, i, 0), import_known_migrations[i]) == 0;
	if (!known) {
		import_fail("refused: unknown upstream schema version: its "
			    "migrations are %d, last '%s'; this import knows %zu, last '%s' "
			    "(@sourceloop/authentication-service up to 19.2.2)",
			    n, n > 0 ? PQgetvalue(res, n - 1, 0) : "", import_nknown_migrations,
			    import_known_migrations[import_nknown_migrations - 1]);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	printf("upstream schema: known (%zu migrations, last %s)\n", import_nknown_migrations,
	       import_known_migrations[import_nknown_migrations - 1] + 1);
	return 0;
}

static int print_notes(PGconn *up)
{
	size_t i;
	int r;

	for (i = 0; i < import_nnotes; i++) {
		PGresult *res = exec(up, import_notes[i], 0, NULL);

		if (!res_ok(res)) {
			PQclear(res);
			return import_fail("reading upstream: %s", PQerrorMessage(up));
		}
		for (r = 0; r < PQntuples(res); r++)
			printf("note: %s\n", PQgetvalue(res, r, 0));
		PQclear(res);
	}
	printf("note: revoked tokens and refresh tokens live in upstream's Redis and are not "
	       "moved: every user signs in again once\n");
	return 0;
}

/* auth_clients keeps upstream's ids (users.auth_client_ids name them): the
 * identity's next value must pass them. */
static int bump_client_ids(PGconn *to)
{
	return run(to,
		   "SELECT setval(seq, greatest(m, coalesce(pg_sequence_last_value(seq), 1)))"
		   " FROM (SELECT pg_get_serial_sequence('main.auth_clients', 'id')::regclass"
		   "  AS seq, (SELECT max(id) FROM main.auth_clients) AS m) s WHERE m IS NOT NULL",
		   "auth_clients identity");
}

static int import_run(struct import *im, bool with_activity)
{
	struct tally t[16] = {{0}};
	size_t i;

	if (import_ntables > sizeof(t) / sizeof(t[0]))
		return import_fail("too many tables");
	if (check_schema(im->up) < 0)
		return -1;
	if (print_notes(im->up) < 0)
		return -1;
	printf("%-18s %8s %8s %8s %8s\n", "table", "upstream", "new", "changed", "kept");
	for (i = 0; i < import_ntables; i++) {
		const struct import_table *tb = &import_tables[i];

		if (tb->activity && !with_activity)
			continue;
		if (import_table(im, tb, &t[i]) < 0)
			return -1;
		printf("%-18s %8ld %8ld %8ld %8ld\n", tb->name, t[i].read, t[i].inserted,
		       t[i].updated, t[i].read - t[i].inserted - t[i].updated - t[i].problems);
	}
	if (!with_activity)
		printf("login_activity: not copied (--with-activity copies it)\n");
	return 0;
}

static int import_connect(struct admin *a, const char *from, struct import *im)
{
	PGresult *res;
	bool migrated;

	im->up = PQconnectdb(from);
	if (PQstatus(im->up) != CONNECTION_OK)
		return import_fail("upstream database: %s", PQerrorMessage(im->up));
	if (run(im->up, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "upstream") < 0)
		return -1;
	if (admin_connect(a) < 0)
		return -1;
	im->to = a->db.conn;
	res = exec(im->to, "SELECT to_regclass('main.user_identities') IS NOT NULL", 0, NULL);
	migrated = res_ok(res) && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!migrated)
		return import_fail("authsvc's database has no schema yet: run "
				   "'authsvc-admin migrate' first");
	return run(im->to, "BEGIN", "authsvc");
}

int admin_cmd_import(struct admin *a, int argc, char **argv)
{
	enum { OPT_FROM = 1, OPT_DRY_RUN, OPT_ACTIVITY };
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, OPT_FROM},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"with-activity", no_argument, NULL, OPT_ACTIVITY},
	    {NULL, 0, NULL, 0},
	};
	struct import im = {0};
	unsigned char key[KEY32_LEN];
	const char *from = NULL;
	bool with_activity = false;
	int c, rc = ADMIN_FAIL;

	admin_getopt_reset();
	while ((c = admin_getopt(argc, argv, ":", longopts, "import-upstream")) != -1) {
		if (c == OPT_FROM)
			from = optarg;
		else if (c == OPT_DRY_RUN)
			im.dry_run = true;
		else if (c == OPT_ACTIVITY)
			with_activity = true;
		else
			return ADMIN_USAGE;
	}
	if (admin_no_operands(argc, argv, "import-upstream") != 0)
		return ADMIN_USAGE;
	if (from == NULL || from[0] == '\0')
		return admin_usage_error("import-upstream: --from is required (the upstream "
					 "database's connection string)");
	if (admin_config(a) < 0)
		return ADMIN_FAIL;
	if (a->cfg.client_secret_key != NULL && a->cfg.client_secret_key[0] != '\0') {
		if (key32_parse(a->cfg.client_secret_key, key) < 0)
			return admin_fail("import-upstream: clients.secret_key: not a 32-byte key "
					  "(64 hex digits or base64 of 32 bytes)");
		im.secret_key = key;
	} else {
		fprintf(stderr, "authsvc-admin: warning: clients.secret_key is not set; client "
				"secrets are stored as unsalted SHA-256\n");
	}
	if (import_connect(a, from, &im) == 0 && import_run(&im, with_activity) == 0) {
		if (im.problems > IMPORT_PROBLEMS_MAX)
			printf("cannot map: %ld more row(s) not listed\n",
			       im.problems - IMPORT_PROBLEMS_MAX);
		if (im.problems > 0) {
			import_fail("%ld row(s) cannot be mapped; nothing was "
				    "written",
				    im.problems);
		} else if (im.dry_run) {
			printf("dry run: nothing was written\n");
			rc = ADMIN_OK;
		} else if (bump_client_ids(im.to) == 0 && run(im.to, "COMMIT", "commit") == 0) {
			printf("imported in one transaction\n");
			rc = ADMIN_OK;
		}
	}
	if (im.to != NULL && PQtransactionStatus(im.to) != PQTRANS_IDLE)
		(void)run(im.to, "ROLLBACK", "rollback");
	PQfinish(im.up);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "store/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_MAX_BYTES (16 * 1024 * 1024)

static const char sql_lock[] = "SELECT pg_advisory_xact_lock(hashtext('authsvc-migrate'))";

/* ^[0-9]{4}_[a-z0-9_]+\.sql$ */
static bool name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len < 4 + 1 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0)
		return false;
	for (i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	if (name[4] != '_')
		return false;
	for (i = 5; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return false;
	return true;
}

static int filter(const struct dirent *d)
{
	return name_ok(d->d_name);
}

/* Lexical by bytes, whatever the locale. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int simple(struct db *db, const char *sql, struct err *err)
{
	PGresult *res = db_exec(db, sql, 0, NULL, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Begin a transaction holding the migration lock, without statement timeout
 * and without NOTICEs ("already exists, skipping") on stderr. */
static int begin_locked(struct db *db, struct err *err)
{
	if (db_begin(db, err) < 0)
		return -1;
	if (simple(db, sql_lock, err) < 0 ||
	    simple(db,
		   "SELECT set_config('statement_timeout', '0', true),"
		   " set_config('client_min_messages', 'warning', true)",
		   err) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

static int ensure_table(struct db *db, struct err *err)
{
	if (begin_locked(db, err) < 0)
		return -1;
	if (simple(db,
		   "CREATE TABLE IF NOT EXISTS public.authsvc_migrations ("
		   " version text PRIMARY KEY,"
		   " applied_on timestamptz NOT NULL DEFAULT now())",
		   err) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

static char *read_file(const char *path, struct err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return err_set(err, 500, "%s: %s", path, strerror(errno)), NULL;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return err_set(err, 500, "%s: cannot read", path), NULL;
	}
	if (len > MIGRATION_MAX_BYTES) {
		fclose(f);
		return err_set(err, 500, "%s: larger than %d bytes", path, MIGRATION_MAX_BYTES),
		       NULL;
	}
	buf = malloc((size_t)len + 1);
	if (buf == NULL) {
		fclose(f);
		return err_set(err, 500, "out of memory"), NULL;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len || memchr(buf, '\0', (size_t)len)) {
		free(buf);
		fclose(f);
		return err_set(err, 500, "%s: cannot read", path), NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* 1 recorded, 0 not yet, -1 error. In the locked transaction. */
static int is_recorded(struct db *db, const char *version, struct err *err)
{
	const char *params[1] = {version};
	PGresult *res = db_exec(db, "SELECT 1 FROM public.authsvc_migrations WHERE version = $1", 1,
				params, err);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	PQclear(res);
	return n > 0;
}

/* Run the file text: PQexec, the one place without parameters (our own file). */
static int run_text(struct db *db, const char *name, const char *sql, struct err *err)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	const char *msg;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return 0;
	}
	if (PQstatus(db->conn) != CONNECTION_OK) {
		PQclear(res);
		return err_set(err, 503, "database unavailable");
	}
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	err_set(err, 500, "%s: %s", name, msg != NULL ? msg : PQerrorMessage(db->conn));
	PQclear(res);
	return -1;
}

/* A migration to run: its name, and its text when built in (NULL: read
 * dir/name when it is its turn). */
struct mig {
	char *name;
	const char *text;
};

static void migs_free(struct mig *m, int n)
{
	for (int i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

static int by_mig_name(const void *a, const void *b)
{
	return strcmp(((const struct mig *)a)->name, ((const struct mig *)b)->name);
}

/* The migrations of dir, or the built-in ones when dir is NULL or "",
 * sorted by name. The count, or -1 with err. */
static int migs_list(const char *dir, struct mig **out, struct err *err)
{
	struct dirent **list = NULL;
	struct mig *m;
	int n = 0, k = 0;

	*out = NULL;
	if (dir != NULL && dir[0] != '\0') {
		n = scandir(dir, &list, filter, by_name);
		if (n < 0)
			return err_set(err, 500, "%s: %s", dir, strerror(errno));
	} else {
		while (store_migrations_builtin[n].name != NULL)
			n++;
	}
	m = calloc(n > 0 ? (size_t)n : 1, sizeof(*m));
	for (int i = 0; i < n; i++) {
		const char *name = list ? list[i]->d_name : store_migrations_builtin[i].name;

		if (m != NULL && name_ok(name)) {
			m[k].name = strdup(name);
			m[k].text = list ? NULL : store_migrations_builtin[i].text;
			if (m[k].name == NULL) {
				migs_free(m, k);
				m = NULL;
			} else {
				k++;
			}
		}
		if (list != NULL)
			free(list[i]);
	}
	free(list);
	if (m == NULL)
		return err_set(err, 500, "out of memory");
	qsort(m, (size_t)k, sizeof(*m), by_mig_name);
	*out = m;
	return k;
}

/* 1 applied, 0 already there, -1 error (rolled back). */
static int apply_one(struct db *db, const char *dir, const struct mig *mg, struct err *err)
{
	char path[PATH_MAX], version[NAME_MAX + 1];
	const char *params[1] = {version};
	const char *name = mg->name;
	char *sql = NULL;
	PGresult *res;
	int rc;

	if (mg->text == NULL &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return err_set(err, 500, "%s/%s: path too long", dir, name);
	snprintf(version, sizeof(version), "%.*s", (int)(strlen(name) - 4), name);
	if (begin_locked(db, err) < 0)
		return -1;
	rc = is_recorded(db, version, err);
	if (rc < 0)
		goto out_fail;
	if (rc > 0) {
		rc = 0; /* applied before, perhaps by a concurrent run */
		goto out_rollback;
	}
	if (mg->text == NULL) {
		sql = read_file(path, err);
		if (sql == NULL)
			goto out_fail;
	}
	rc = run_text(db, name, mg->text != NULL ? mg->text : sql, err);
	free(sql);
	if (rc < 0)
		goto out_fail;
	/* a file may have changed search_path; restore the connection's default */
	res = db_exec(db,
		      "INSERT INTO public.authsvc_migrations (version) VALUES ($1)"
		      " RETURNING set_config('search_path', 'main', false)",
		      1, params, err);
	if (res == NULL)
		goto out_fail;
	PQclear(res);
	if (db_commit(db, err) < 0)
		return -1;
	return 1;
out_fail:
	rc = -1;
out_rollback:
	db_rollback(db);
	return rc;
}

int store_migrate(struct db *db, const char *sql_dir, int *applied_out, struct err *err)
{
	struct mig *list;
	int n, i, rc = 0, applied = 0;

	if (applied_out != NULL)
		*applied_out = 0;
	n = migs_list(sql_dir, &list, err);
	if (n < 0)
		return -1;
	if (db_ensure(db, err) < 0 || ensure_table(db, err) < 0)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++) {
		rc = apply_one(db, sql_dir, &list[i], err);
		if (rc > 0)
			applied++;
		rc = rc < 0 ? -1 : 0;
	}
	migs_free(list, n);
	if (applied_out != NULL)
		*applied_out = applied;
	return rc;
}

/* version is one of the rows of res (column 0). */
static bool has_version(const PGresult *res, const char *version)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), version) == 0)
			return true;
	return false;
}

int store_migrate_pending(struct db *db, const char *sql_dir, int *pending_out, struct err *err)
{
	struct mig *list;
	PGresult *done;
	int n, pending = 0;

	*pending_out = 0;
	/* one round trip for all of them: this runs on every start */
	done = db_exec(db, "SELECT version FROM public.authsvc_migrations", 0, NULL, err);
	if (done == NULL)
		return -1;
	n = migs_list(sql_dir, &list, err);
	if (n < 0) {
		PQclear(done);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char version[NAME_MAX + 1];

		snprintf(version, sizeof(version), "%.*s", (int)(strlen(list[i].name) - 4),
			 list[i].name);
		pending += !has_version(done, version);
	}
	migs_free(list, n);
	PQclear(done);
	*pending_out = pending;
	return 0;
}

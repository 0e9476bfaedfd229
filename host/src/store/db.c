#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

static _Thread_local char last_sqlstate[6];

const char *db_last_sqlstate(void)
{
	return last_sqlstate;
}

static int db_setup(struct db *db, struct err *err)
{
	char timeout[32];
	const char *params[1] = {timeout};
	PGresult *res;

	snprintf(timeout, sizeof(timeout), "%d", db->statement_timeout_ms);
	res = PQexecParams(db->conn,
			   "SELECT set_config('search_path', 'main', false),"
			   " set_config('statement_timeout', $1, false)",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return err_set(err, 503, "database setup failed");
	}
	PQclear(res);
	return 0;
}

int db_connect(struct db *db, const char *url, int statement_timeout_ms, struct err *err)
{
	memset(db, 0, sizeof(*db));
	db->url = strdup(url);
	db->statement_timeout_ms = statement_timeout_ms > 0 ? statement_timeout_ms : 5000;
	if (db->url == NULL)
		return err_set(err, 500, "out of memory");
	db->conn = PQconnectdb(url);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return err_set(err, 503, "database unavailable: %s", PQerrorMessage(db->conn));
	return db_setup(db, err);
}

int db_ensure(struct db *db, struct err *err)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	db->nprepared = 0; /* a new session has none */
	if (db->conn == NULL)
		db->conn = PQconnectdb(db->url);
	else
		PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return err_set(err, 503, "database unavailable");
	return db_setup(db, err);
}

void db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->url);
	memset(db, 0, sizeof(*db));
}

/* Conditions that pass by themselves: a statement or lock timeout, a
 * serialization failure or deadlock, the server short of resources or
 * shutting down. The client may retry: 503, not 500. */
static bool transient(const char *state)
{
	static const char *const codes[] = {"57014", "55P03", "40001", "40P01",
					    "57P01", "57P02", "57P03", NULL};

	if (state == NULL)
		return false;
	if (strncmp(state, "53", 2) == 0)
		return true;
	for (int i = 0; codes[i] != NULL; i++)
		if (strcmp(state, codes[i]) == 0)
			return true;
	return false;
}

/* Keep the SQLSTATE and fill err for a failed result; the result is cleared. */
static PGresult *result_check(struct db *db, PGresult *res, struct err *err)
{
	ExecStatusType st = PQresultStatus(res);
	const char *state;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL)
		snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", state);
	if (PQstatus(db->conn) != CONNECTION_OK)
		err_set(err, 503, "database unavailable");
	else if (transient(state))
		err_set(err, 503, "database busy sqlstate=%s", state);
	else
		err_set(err, 500, "database error sqlstate=%s", state ? state : "?");
	PQclear(res);
	return NULL;
}

/*
 * The pending BEGIN and the transaction's first statement (after its
 * PREPARE, when prep_name is set) in one round trip: libpq pipeline mode,
 * one sync. The statement's result, or NULL with err filled from the first
 * failure (a failed BEGIN or PREPARE aborts what follows it).
 */
static PGresult *with_begin(struct db *db, const char *prep_name, const char *prep_sql,
			    const char *exec_name, const char *sql, int nparams,
			    const char *const *params, struct err *err)
{
	PGconn *c = db->conn;
	PGresult *res, *out = NULL, *bad = NULL;
	int nq = prep_name != NULL ? 3 : 2;
	bool sent;

	db->begin_pending = false;
	if (PQenterPipelineMode(c) != 1)
		return err_set(err, 500, "database: cannot pipeline"), NULL;
	sent = PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	       (prep_name == NULL || PQsendPrepare(c, prep_name, prep_sql, nparams, NULL) == 1) &&
	       (exec_name != NULL
		    ? PQsendQueryPrepared(c, exec_name, nparams, params, NULL, NULL, 0)
		    : PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0)) == 1 &&
	       PQpipelineSync(c) == 1;
	if (sent) {
		for (int i = 0; i < nq; i++)
			while ((res = PQgetResult(c)) != NULL) {
				ExecStatusType st = PQresultStatus(res);
				bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

				if (good && i == nq - 1 && out == NULL)
					out = res;
				else if (!good && bad == NULL && st != PGRES_PIPELINE_ABORTED)
					bad = res;
				else
					PQclear(res);
			}
		while ((res = PQgetResult(c)) != NULL) /* the sync */
			PQclear(res);
	}
	PQexitPipelineMode(c);
	if (!sent || bad != NULL) {
		PQclear(out);
		if (bad != NULL)
			return result_check(db, bad, err);
		return err_set(err, PQstatus(c) != CONNECTION_OK ? 503 : 500,
			       "database: pipeline failed"),
		       NULL;
	}
	if (prep_name != NULL)
		db->prepared[db->nprepared++] = prep_sql;
	return out;
}

PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  struct err *err)
{
	last_sqlstate[0] = '\0';
	if (db_ensure(db, err) < 0)
		return NULL;
	if (db->begin_pending)
		return with_begin(db, NULL, NULL, NULL, sql, nparams, params, err);
	return result_check(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
			    err);
}

PGresult *db_exec_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
			   struct err *err)
{
	char name[16];
	int i;

	last_sqlstate[0] = '\0';
	if (db_ensure(db, err) < 0)
		return NULL;
	for (i = 0; i < db->nprepared && db->prepared[i] != sql; i++)
		;
	if (i == DB_PREPARED_MAX)
		return db_exec(db, sql, nparams, params, err);
	snprintf(name, sizeof(name), "p%d", i);
	if (db->begin_pending)
		return with_begin(db, i == db->nprepared ? name : NULL, sql, name, NULL, nparams,
				  params, err);
	if (i == db->nprepared) {
		PGresult *res =
		    result_check(db, PQprepare(db->conn, name, sql, nparams, NULL), err);

		if (res == NULL)
			return NULL;
		PQclear(res);
		db->prepared[db->nprepared++] = sql;
	}
	return result_check(db, PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0),
			    err);
}

static int db_simple(struct db *db, const char *sql, struct err *err)
{
	PGresult *res = db_exec(db, sql, 0, NULL, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int db_begin(struct db *db, struct err *err)
{
	if (db_ensure(db, err) < 0)
		return -1;
	db->begin_pending = true;
	return 0;
}

int db_commit(struct db *db, struct err *err)
{
	if (db->begin_pending) { /* nothing ran: nothing to commit */
		db->begin_pending = false;
		return 0;
	}
	return db_simple(db, "COMMIT", err);
}

void db_rollback(struct db *db)
{
	PGresult *res;

	if (db->begin_pending) {
		db->begin_pending = false;
		return;
	}
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
}

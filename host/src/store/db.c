/* SPDX-License-Identifier: Apache-2.0 */
#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "tokens/revocation.h"

static _Thread_local char last_sqlstate[6];

/* Named prepared statements (db_set_prepared); set once at startup. */
static bool prepared_on = true;

void db_set_prepared(bool on)
{
	prepared_on = on;
}

const char *db_last_sqlstate(void)
{
	return last_sqlstate;
}

static int db_setup(struct db *db, struct err *err)
{
	char timeout[32];
	const char *params[2] = {timeout, db->announce != NULL ? "batched" : "notify"};
	PGresult *res;

	snprintf(timeout, sizeof(timeout), "%d", db->statement_timeout_ms);
	res = PQexecParams(db->conn,
			   "SELECT set_config('search_path', 'main', false),"
			   " set_config('statement_timeout', $1, false),"
			   " set_config('authsvc.revocations', $2, false)",
			   2, NULL, params, NULL, NULL, 0);
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
	if (db_setup(db, err) < 0) {
		PQfinish(db->conn); /* db_ensure connects afresh */
		db->conn = NULL;
		return -1;
	}
	return 0;
}

int db_ensure(struct db *db, struct err *err)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	db->nprepared = 0; /* a new session has none */
	db->npiped = 0;
	if (db->conn == NULL)
		db->conn = PQconnectdb(db->url);
	else
		PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return err_set(err, 503, "database unavailable");
	if (db_setup(db, err) < 0) {
		/* a session without its settings is not used: the next call
		 * connects afresh (e.g. a standby promoted in between) */
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	return 0;
}

struct db_pending_rev {
	char jti[65];
	int64_t exp;
};

void db_close(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->pending);
	free(db->url);
	memset(db, 0, sizeof(*db));
}

/* Conditions that pass by themselves: a statement or lock timeout, a
 * serialization failure or deadlock, the server short of resources or
 * shutting down, a connection failure (class 08), a server that is (still)
 * a read-only standby during a failover (25006), a transaction pooler that
 * lost its server connection (08P01 from pgbouncer). The client may retry:
 * 503, not 500. */
static bool transient(const char *state)
{
	static const char *const codes[] = {"57014", "55P03", "40001", "40P01", "57P01",
					    "57P02", "57P03", "25006", NULL};

	if (state == NULL)
		return false;
	if (strncmp(state, "53", 2) == 0 || strncmp(state, "08", 2) == 0)
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
 * Pipeline mode. Queries are sent without waiting (pipe_send); pipe_finish
 * adds a sync and reads every result in order. db_begin's BEGIN and
 * db_defer_prepared's writes wait in the pipeline for the next statement or
 * for COMMIT, so a transaction costs one round trip per statement whose
 * result is read, not one per statement.
 */
static int pipe_push(struct db *db, int sent, bool is_prepare, struct err *err)
{
	if (sent != 1)
		return err_set(err, PQstatus(db->conn) != CONNECTION_OK ? 503 : 500,
			       "database: cannot send");
	db->piped_prepare[db->npiped++] = is_prepare;
	return 0;
}

static int pipe_open(struct db *db, struct err *err)
{
	if (db->npiped == 0) {
		if (PQenterPipelineMode(db->conn) != 1)
			return err_set(err, 500, "database: cannot pipeline");
		db->piped_base = db->nprepared;
	}
	if (!db->begin_pending)
		return 0;
	db->begin_pending = false;
	return pipe_push(db, PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0),
			 false, err);
}

/* The slot of sql in the prepared table: < nprepared when prepared,
 * == nprepared when it would be next, DB_PREPARED_MAX when it cannot be. */
static int prepared_index(const struct db *db, const char *sql)
{
	int i;

	if (!prepared_on) /* unnamed statements only: a transaction pooler */
		return DB_PREPARED_MAX;
	for (i = 0; i < db->nprepared && db->prepared[i] != sql; i++)
		;
	return i;
}

/* Queue one statement, prepared by address when prepare is set (and the
 * table has room), after its PREPARE when this connection lacks it. */
static int pipe_send(struct db *db, const char *sql, bool prepare, int nparams,
		     const char *const *params, struct err *err)
{
	char name[16];
	int i = prepare ? prepared_index(db, sql) : DB_PREPARED_MAX;

	if (db->npiped + 2 > DB_PIPE_MAX)
		return err_set(err, 500, "database: pipeline full");
	if (i == DB_PREPARED_MAX)
		return pipe_push(
		    db, PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
		    false, err);
	snprintf(name, sizeof(name), "p%d", i);
	if (i == db->nprepared) {
		if (pipe_push(db, PQsendPrepare(db->conn, name, sql, nparams, NULL), true, err) < 0)
			return -1;
		db->prepared[db->nprepared++] = sql; /* undone by pipe_finish if it fails */
	}
	return pipe_push(db, PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL, 0),
			 false, err);
}

/* Sync and read every queued result: 0 when every query succeeded (*last,
 * when last is not NULL, then holds the last query's result), -1 with err
 * filled from the first failure (the queries after it were skipped). A
 * pipeline that cannot be left drops the connection (re-opened by
 * db_ensure outside a transaction). */
static int pipe_finish(struct db *db, PGresult **last, struct err *err)
{
	PGconn *c = db->conn;
	PGresult *res, *out = NULL, *bad = NULL;
	int n = db->npiped, prepared_ok = 0;
	bool synced = PQpipelineSync(c) == 1;

	db->npiped = 0;
	for (int i = 0; synced && i < n; i++)
		while ((res = PQgetResult(c)) != NULL) {
			ExecStatusType st = PQresultStatus(res);
			bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

			if (good && db->piped_prepare[i] && bad == NULL)
				prepared_ok++;
			if (good && last != NULL && i == n - 1 && out == NULL && bad == NULL)
				out = res;
			else if (!good && bad == NULL && st != PGRES_PIPELINE_ABORTED)
				bad = res;
			else
				PQclear(res);
		}
	while (synced && (res = PQgetResult(c)) != NULL) /* the sync */
		PQclear(res);
	if (PQexitPipelineMode(c) != 1) {
		PQfinish(c);
		db->conn = NULL;
		db->nprepared = 0;
		PQclear(out);
		PQclear(bad);
		return err_set(err, 503, "database unavailable");
	}
	if (synced && bad == NULL && (out != NULL || last == NULL)) {
		if (last != NULL)
			*last = out;
		return 0;
	}
	PQclear(out);
	/* PREPAREs are queued in order and everything after a failure is
	 * skipped: of those this pipeline added, the first prepared_ok exist */
	db->nprepared = db->piped_base + prepared_ok;
	if (bad != NULL) {
		result_check(db, bad, err); /* fills err, clears bad */
		return -1;
	}
	return err_set(err, PQstatus(c) != CONNECTION_OK ? 503 : 500, "database: pipeline failed");
}

/* The connection a statement may use: inside a transaction a lost one is
 * not re-opened (the statement would run outside the transaction). */
static int db_usable(struct db *db, struct err *err)
{
	if (!db->in_tx)
		return db_ensure(db, err);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return err_set(err, 503, "database unavailable");
	return 0;
}

/* Put one statement in the pipeline (after a pending BEGIN; after reading
 * what is queued when the pipeline is full). 0, or -1 with err and nothing
 * left queued. */
static int queue(struct db *db, const char *sql, bool prepare, int nparams,
		 const char *const *params, struct err *err)
{
	if (db->npiped + 2 > DB_PIPE_MAX && pipe_finish(db, NULL, err) < 0)
		return -1;
	if (pipe_open(db, err) == 0 && pipe_send(db, sql, prepare, nparams, params, err) == 0)
		return 0;
	if (db->npiped > 0)
		pipe_finish(db, NULL, &(struct err){0});
	else if (db->conn != NULL)
		PQexitPipelineMode(db->conn);
	return -1;
}

static PGresult *run(struct db *db, const char *sql, bool prepare, int nparams,
		     const char *const *params, struct err *err)
{
	PGresult *res = NULL;

	last_sqlstate[0] = '\0';
	if (db_usable(db, err) < 0)
		return NULL;
	if (!db->begin_pending && db->npiped == 0) {
		/* nothing queued: one statement on its own, unless it needs its
		 * PREPARE first (then both go in one round trip below) */
		int i = prepare ? prepared_index(db, sql) : DB_PREPARED_MAX;
		char name[16];

		if (i == DB_PREPARED_MAX)
			return result_check(
			    db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
			    err);
		if (i < db->nprepared) {
			snprintf(name, sizeof(name), "p%d", i);
			return result_check(
			    db, PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0),
			    err);
		}
	}
	if (queue(db, sql, prepare, nparams, params, err) < 0 || pipe_finish(db, &res, err) < 0)
		return NULL;
	return res;
}

PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  struct err *err)
{
	return run(db, sql, false, nparams, params, err);
}

PGresult *db_exec_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
			   struct err *err)
{
	return run(db, sql, true, nparams, params, err);
}

int db_defer_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
		      struct err *err)
{
	PGresult *res;

	if (!db->in_tx) {
		res = db_exec_prepared(db, sql, nparams, params, err);
		if (res == NULL)
			return -1;
		PQclear(res);
		return 0;
	}
	last_sqlstate[0] = '\0';
	if (db_usable(db, err) < 0)
		return -1;
	return queue(db, sql, true, nparams, params, err);
}

static int db_simple(struct db *db, const char *sql, struct err *err)
{
	PGresult *res = db_exec(db, sql, 0, NULL, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* After a failure inside a transaction: end it if the server still has
 * one open (failed or not). */
static void end_tx(struct db *db)
{
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}

int db_begin(struct db *db, struct err *err)
{
	if (db_ensure(db, err) < 0)
		return -1;
	db->in_tx = true;
	db->begin_pending = true;
	return 0;
}

int db_commit(struct db *db, struct err *err)
{
	int rc = 0;

	if (db->begin_pending) /* nothing ran: nothing to commit */
		db->begin_pending = false;
	else if (db_simple(db, "COMMIT", err) < 0) {
		end_tx(db);
		rc = -1;
	}
	db->in_tx = false;
	for (size_t i = 0; rc == 0 && i < db->npending; i++)
		revocations_add(db->pending_mem, db->pending[i].jti, db->pending[i].exp);
	db->npending = 0;
	if (rc == 0 && db->revoked && db->announce != NULL)
		db->announce(db->announce_arg);
	db->revoked = false;
	return rc;
}

void db_rollback(struct db *db)
{
	db->begin_pending = false;
	if (db->npiped > 0)
		pipe_finish(db, NULL, &(struct err){0});
	end_tx(db);
	db->in_tx = false;
	db->revoked = false;
	db->npending = 0; /* rolled back: nothing was revoked */
}

void db_set_announce(struct db *db, void (*announce)(void *arg), void *arg)
{
	struct err err = {0};

	db->announce = announce;
	db->announce_arg = arg;
	/* a connection made before the hook sends the setting now; a later
	 * one (db_ensure) sends it with the rest of the session setup */
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK && !db->in_tx &&
	    db_setup(db, &err) < 0) {
		PQfinish(db->conn); /* db_ensure connects afresh, with the setting */
		db->conn = NULL;
	}
}

void db_revoked(struct db *db)
{
	if (db->in_tx)
		db->revoked = true;
	else if (db->announce != NULL)
		db->announce(db->announce_arg);
}

int db_revoke_mem(struct db *db, struct revocations *mem, const char *jti, int64_t exp)
{
	struct db_pending_rev *p;

	if (!db->in_tx || strlen(jti) >= sizeof(p->jti))
		return revocations_add(mem, jti, exp);
	if (db->npending == db->cap_pending) {
		size_t cap = db->cap_pending ? 2 * db->cap_pending : 8;

		p = realloc(db->pending, cap * sizeof(*p));
		if (p == NULL) {
			revocations_add(mem, jti, exp);
			return -1;
		}
		db->pending = p;
		db->cap_pending = cap;
	}
	p = &db->pending[db->npending++];
	snprintf(p->jti, sizeof(p->jti), "%s", jti);
	p->exp = exp;
	db->pending_mem = mem;
	return 0;
}

int db_copy_value(const PGresult *res, int row, int col, char *buf, size_t size, struct err *err)
{
	const char *v = PQgetvalue(res, row, col);
	int len = PQgetlength(res, row, col);

	if (v == NULL)
		return err_set(err, 500, "no column %d in row %d of the result", col, row);
	if (size == 0 || len < 0 || (size_t)len >= size) {
		if (size > 0)
			buf[0] = '\0';
		return err_set(err, 500,
			       "column %d (%.63s) holds %d bytes, more than the %zu it may have",
			       col, PQfname(res, col) != NULL ? PQfname(res, col) : "?", len,
			       size > 0 ? size - 1 : 0);
	}
	memcpy(buf, v, (size_t)len);
	buf[len] = '\0';
	return 0;
}

int db_copy_values(const PGresult *res, int row, const struct db_copy *cols, size_t n,
		   struct err *err)
{
	for (size_t i = 0; i < n; i++)
		if (db_copy_value(res, row, cols[i].col, cols[i].buf, cols[i].size, err) < 0)
			return -1;
	return 0;
}

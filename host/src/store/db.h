/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One PostgreSQL connection, owned by one thread (libpq forbids sharing a
 * PGconn between threads at once). Workers each own a struct db; the admin
 * CLI owns one. All SQL goes through PQexecParams with parameters.
 *
 * db_connect sets search_path to main and the statement timeout.
 * db_ensure re-opens a dropped connection; while the database is down it
 * returns -1 and the caller answers 503. May block: workers only.
 */
#ifndef AUTHSVC_STORE_DB_H
#define AUTHSVC_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "util/err.h"

#define DB_PREPARED_MAX 128
#define DB_PIPE_MAX	16

struct revocations;
struct db_pending_rev;

struct db {
	PGconn *conn;
	char *url;
	int statement_timeout_ms;
	/* statements prepared on this connection, by the address of their text */
	const char *prepared[DB_PREPARED_MAX];
	int nprepared;
	bool in_tx;	    /* between db_begin and db_commit/db_rollback */
	bool begin_pending; /* db_begin ran; BEGIN goes out with the next statement */
	/* pipeline mode: queries sent whose results are not read yet */
	int npiped;
	bool piped_prepare[DB_PIPE_MAX]; /* which of them is a PREPARE */
	int piped_base;			 /* nprepared when the pipeline opened */
	/* revocations: see db_set_announce */
	void (*announce)(void *arg);
	void *announce_arg;
	bool revoked; /* this transaction revoked tokens */
	/* in-memory revocations waiting for the commit: see db_revoke_mem */
	struct db_pending_rev *pending;
	size_t npending, cap_pending;
	struct revocations *pending_mem;
};

int db_connect(struct db *db, const char *url, int statement_timeout_ms, struct err *err);
/* Whether db_exec_prepared and db_defer_prepared use named prepared
 * statements (the default) or unnamed ones, as db_exec does: a transaction
 * pooler (pgbouncer pool_mode = transaction, before 1.21) hands each
 * transaction a different server session, where a statement prepared in
 * another one does not exist. Process-wide; call before any thread uses a
 * connection. */
void db_set_prepared(bool on);
int db_ensure(struct db *db, struct err *err);
void db_close(struct db *db);

/* Run one parameterised statement; NULL (and err filled, code 503 when the
 * connection is gone) unless the result status is COMMAND_OK or TUPLES_OK.
 * The caller PQclear()s the result. */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  struct err *err);
/* Like db_exec for the hot paths: the statement is prepared once per
 * connection (parse and plan once) and executed by name afterwards. sql
 * must be a string literal (it is remembered by address); past
 * DB_PREPARED_MAX distinct statements it falls back to db_exec. */
PGresult *db_exec_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
			   struct err *err);
/* A write inside a transaction whose result the caller does not need: it
 * is queued (libpq pipeline mode) and goes out with the next statement or
 * with COMMIT, in that round trip; its failure fails that statement or the
 * commit. Outside a transaction it runs at once. 0, or -1 with err. */
int db_defer_prepared(struct db *db, const char *sql, int nparams, const char *const *params,
		      struct err *err);
/* BEGIN/COMMIT/ROLLBACK helpers: 0 or -1. db_begin sends nothing: BEGIN
 * goes out with the transaction's first statement, in one round trip
 * (libpq pipeline mode); a transaction with no statement sends nothing.
 * Inside a transaction a lost connection is not re-opened: the statement
 * fails with 503 rather than run outside the transaction. A failed commit
 * leaves no transaction open. */
int db_begin(struct db *db, struct err *err);
int db_commit(struct db *db, struct err *err);
void db_rollback(struct db *db);

/* Revoked tokens reach other instances through announce (a batched
 * NOTIFY, tokens/revocation.h) instead of the revoked_tokens trigger's
 * NOTIFY per row: the connection sets authsvc.revocations = 'batched' (now
 * and after a reconnect), and announce(arg) runs once a transaction that
 * called db_revoked has committed (at once outside a transaction). Without
 * a hook (the admin CLI) the trigger notifies. */
void db_set_announce(struct db *db, void (*announce)(void *arg), void *arg);
/* The statement that just succeeded inserted into revoked_tokens. */
void db_revoked(struct db *db);
/*
 * Add jti (until exp) to the in-memory revocation set mem once the
 * transaction commits; a rollback or a failed commit drops it, so that
 * this instance never refuses a token the database still accepts (the
 * other instances learn of a revocation only from committed rows).
 * Outside a transaction it is added at once. Every call of one
 * transaction must name the same mem. 0, or -1 (out of memory: added at
 * once, the safe side).
 */
int db_revoke_mem(struct db *db, struct revocations *mem, const char *jti, int64_t exp);

/*
 * Copy the text of the value at (row, col) of res into buf (size bytes, NUL
 * included); a NULL value copies as "". 0, or -1 with err set (500, naming
 * the column) when the value does not fit: a value longer than the buffer
 * made for it is a schema or data bug, and is reported, never cut short.
 */
int db_copy_value(const PGresult *res, int row, int col, char *buf, size_t size, struct err *err);

/* One column to copy into a fixed buffer, for db_copy_values. */
struct db_copy {
	int col;
	char *buf;
	size_t size;
};

/* db_copy_value for each of cols[0..n) of one row, in order: 0, or -1 at
 * the first value that does not fit (err set, later buffers untouched). */
int db_copy_values(const PGresult *res, int row, const struct db_copy *cols, size_t n,
		   struct err *err);

/* SQLSTATE of the last failed db_exec on this thread ("" if none), e.g.
 * "23505" for a unique violation. */
const char *db_last_sqlstate(void);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
#include "store/failures.h"

#include <stdio.h>
#include <stdlib.h>

static int int_value(PGresult *res, int col)
{
	return (int)strtol(PQgetvalue(res, 0, col), NULL, 10);
}

int store_failures_take(struct db *db, const char *kind, const char *subject, int max, int window_s,
			int lockout_s, struct err *err)
{
	char maxs[16], window[16], lockout[16];
	const char *params[5] = {kind, subject, maxs, window, lockout};
	PGresult *res;
	int count, wait;

	snprintf(maxs, sizeof(maxs), "%d", max);
	snprintf(window, sizeof(window), "%d", window_s);
	snprintf(lockout, sizeof(lockout), "%d", lockout_s);
	/* fresh: the lockout is over, or there was none and the window is;
	 * the attempt that brings the count to max starts the lockout */
	res = db_exec_prepared(
	    db,
	    "INSERT INTO auth_failures AS f (kind, subject, failures, window_start, locked_until)"
	    " VALUES ($1, lower($2), 1, now(),"
	    "  CASE WHEN $3::int <= 1 THEN now() + make_interval(secs => $5::int) END)"
	    " ON CONFLICT (kind, subject) DO UPDATE SET"
	    "  failures = CASE WHEN (f.locked_until IS NOT NULL AND f.locked_until <= now()) OR"
	    "   (f.locked_until IS NULL AND f.window_start <= now() - make_interval(secs => "
	    "$4::int))"
	    "   THEN 1 ELSE f.failures + 1 END,"
	    "  window_start = CASE WHEN (f.locked_until IS NOT NULL AND f.locked_until <= now()) OR"
	    "   (f.locked_until IS NULL AND f.window_start <= now() - make_interval(secs => "
	    "$4::int))"
	    "   THEN now() ELSE f.window_start END,"
	    "  locked_until = CASE WHEN (f.locked_until IS NOT NULL AND f.locked_until <= now()) OR"
	    "   (f.locked_until IS NULL AND f.window_start <= now() - make_interval(secs => "
	    "$4::int))"
	    "   THEN CASE WHEN $3::int <= 1 THEN now() + make_interval(secs => $5::int) END"
	    "   WHEN f.failures + 1 = $3::int THEN now() + make_interval(secs => $5::int)"
	    "   ELSE f.locked_until END"
	    " RETURNING failures, greatest(1, ceil(extract(epoch FROM coalesce(locked_until,"
	    "  window_start + make_interval(secs => $4::int)) - now())))::int",
	    5, params, err);
	if (res == NULL)
		return -1;
	count = int_value(res, 0);
	wait = int_value(res, 1);
	PQclear(res);
	return count > max ? wait : 0;
}

int store_failures_give_back(struct db *db, const char *kind, const char *subject, struct err *err)
{
	const char *params[2] = {kind, subject};
	/* a counter back at nothing, with no lockout running, goes */
	PGresult *res = db_exec_prepared(
	    db,
	    "WITH gone AS (DELETE FROM auth_failures WHERE kind = $1 AND subject = lower($2)"
	    "  AND failures <= 1 AND (locked_until IS NULL OR locked_until <= now()) RETURNING 1)"
	    " UPDATE auth_failures SET failures = greatest(failures - 1, 0)"
	    " WHERE kind = $1 AND subject = lower($2) AND NOT EXISTS (SELECT 1 FROM gone)",
	    2, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_failures_forget(struct db *db, const char *kind, const char *subject, struct err *err)
{
	const char *params[2] = {kind, subject};
	PGresult *res = db_exec_prepared(
	    db, "DELETE FROM auth_failures WHERE kind = $1 AND subject = lower($2)", 2, params,
	    err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The emission interval of the bucket, in seconds, as SQL reads it. */
static void interval_text(char *buf, size_t bufsz, int per_window, int window_s)
{
	snprintf(buf, bufsz, "%.6f", (double)window_s / (double)(per_window > 0 ? per_window : 1));
}

int store_failures_rate_take(struct db *db, const char *account, int per_window, int window_s,
			     struct err *err)
{
	char step[32], window[16];
	const char *params[3] = {account, step, window};
	PGresult *res;
	int wait;

	interval_text(step, sizeof(step), per_window, window_s);
	snprintf(window, sizeof(window), "%d", window_s);
	/* GCRA: locked_until is the theoretical arrival time; an attempt is
	 * allowed while it stays within one window of now */
	res = db_exec_prepared(
	    db,
	    "INSERT INTO auth_failures AS f (kind, subject, failures, window_start, locked_until)"
	    " VALUES ('acct', lower($1), 1, now(), now() + make_interval(secs => $2::float8))"
	    " ON CONFLICT (kind, subject) DO UPDATE SET failures = f.failures + 1,"
	    "  locked_until = greatest(f.locked_until, now()) + make_interval(secs => $2::float8)"
	    " WHERE greatest(f.locked_until, now()) + make_interval(secs => $2::float8)"
	    "  <= now() + make_interval(secs => $3::int)"
	    " RETURNING 0",
	    3, params, err);
	if (res == NULL)
		return -1;
	wait = PQntuples(res) == 1 ? 0 : -2;
	PQclear(res);
	if (wait == 0)
		return 0;
	res = db_exec_prepared(
	    db,
	    "SELECT greatest(1, ceil(extract(epoch FROM max(locked_until)"
	    " + make_interval(secs => $2::float8) - now() - make_interval(secs => $3::int))))::int"
	    " FROM auth_failures WHERE kind = 'acct' AND subject = lower($1)",
	    3, params, err);
	if (res == NULL)
		return -1;
	wait = PQgetisnull(res, 0, 0) ? 1 : int_value(res, 0);
	PQclear(res);
	return wait;
}

int store_failures_rate_give_back(struct db *db, const char *account, int per_window, int window_s,
				  struct err *err)
{
	char step[32];
	const char *params[2] = {account, step};
	PGresult *res;

	interval_text(step, sizeof(step), per_window, window_s);
	/* a bucket that is empty again goes */
	res = db_exec_prepared(
	    db,
	    "WITH gone AS (DELETE FROM auth_failures WHERE kind = 'acct' AND subject = lower($1)"
	    "  AND locked_until - make_interval(secs => $2::float8) <= now() RETURNING 1)"
	    " UPDATE auth_failures SET failures = greatest(failures - 1, 0),"
	    "  locked_until = locked_until - make_interval(secs => $2::float8)"
	    " WHERE kind = 'acct' AND subject = lower($1) AND NOT EXISTS (SELECT 1 FROM gone)",
	    2, params, err);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

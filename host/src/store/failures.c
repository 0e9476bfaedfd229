#include "store/failures.h"

#include <stdio.h>
#include <stdlib.h>

int store_failures_locked(struct db *db, const char *account, const char *ip, struct err *err)
{
	const char *params[2] = {account, ip};
	PGresult *res;
	int secs;

	res = db_exec_prepared(
	    db,
	    "SELECT coalesce(ceil(extract(epoch FROM max(locked_until) - now())), 0)::int"
	    " FROM auth_failures WHERE locked_until > now() AND"
	    " ((kind = 'account' AND subject = lower($1)) OR (kind = 'ip' AND subject = $2))",
	    2, params, err);
	if (res == NULL)
		return -1;
	secs = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return secs > 0 ? secs : 0;
}

static int add_one(struct db *db, const char *kind, const char *subject, int max_failures,
		   const struct bruteforce_policy *bp, struct err *err)
{
	char maxf[16], window[16], lockout[16];
	const char *ins[3] = {kind, subject, window};
	const char *upd[4] = {kind, subject, maxf, lockout};
	PGresult *res;

	snprintf(maxf, sizeof(maxf), "%d", max_failures);
	snprintf(window, sizeof(window), "%d", bp->window_s);
	snprintf(lockout, sizeof(lockout), "%d", bp->lockout_s);
	/* failures past the threshold lock for lockout × 2^(extra lockouts), ≤ 1 day */
	res = db_exec_prepared(
	    db,
	    "INSERT INTO auth_failures AS f (kind, subject, failures, window_start)"
	    " VALUES ($1, lower($2), 1, now())"
	    " ON CONFLICT (kind, subject) DO UPDATE SET"
	    "  failures = CASE WHEN f.window_start < now() - make_interval(secs => $3::int)"
	    "   THEN 1 ELSE f.failures + 1 END,"
	    "  window_start = CASE WHEN f.window_start < now() - make_interval(secs => $3::int)"
	    "   THEN now() ELSE f.window_start END"
	    " RETURNING failures",
	    3, ins, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		int n = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);

		PQclear(res);
		if (n < max_failures)
			return 0;
		res = db_exec_prepared(
		    db,
		    "UPDATE auth_failures SET locked_until = now() + make_interval(secs =>"
		    " least(86400, $4::int * power(2, least(16, (failures - $3::int)"
		    " / greatest($3::int, 1)))::int))"
		    " WHERE kind = $1 AND subject = lower($2)",
		    4, upd, err);
		if (res == NULL)
			return -1;
	}
	PQclear(res);
	return 0;
}

int store_failures_add(struct db *db, const struct bruteforce_policy *bp, const char *account,
		       const char *ip, struct err *err)
{
	if (account != NULL && *account != '\0' &&
	    add_one(db, "account", account, bp->account_max_failures, bp, err) < 0)
		return -1;
	if (ip != NULL && *ip != '\0' && add_one(db, "ip", ip, bp->ip_max_failures, bp, err) < 0)
		return -1;
	return 0;
}

int store_failures_clear(struct db *db, const char *account, struct err *err)
{
	const char *params[1] = {account};
	PGresult *res = db_exec_prepared(
	    db, "DELETE FROM auth_failures WHERE kind = 'account' AND subject = lower($1)", 1,
	    params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

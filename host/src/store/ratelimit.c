/* SPDX-License-Identifier: Apache-2.0 */
#include "store/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>

int store_send_take(struct db *db, const char *kind, const char *subject, int limit, int window_s,
		    struct err *err)
{
	char window[16];
	const char *params[3] = {kind, subject, window};
	PGresult *res;
	int count, left;

	snprintf(window, sizeof(window), "%d", window_s);
	res = db_exec_prepared(
	    db,
	    "INSERT INTO send_counters AS s (kind, subject, count, window_start)"
	    " VALUES ($1, lower($2), 1, now())"
	    " ON CONFLICT (kind, subject) DO UPDATE SET"
	    "  count = CASE WHEN s.window_start <= now() - make_interval(secs => $3::int)"
	    "   THEN 1 ELSE s.count + 1 END,"
	    "  window_start = CASE WHEN s.window_start <= now() - make_interval(secs => $3::int)"
	    "   THEN now() ELSE s.window_start END"
	    " RETURNING count, greatest(1, ceil(extract(epoch FROM"
	    "  window_start + make_interval(secs => $3::int) - now())))::int",
	    3, params, err);
	if (res == NULL)
		return -1;
	count = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	left = (int)strtol(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return count > limit ? left : 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The revocation listener: one thread and one connection per instance.
 *
 * It announces this instance's revocations — one NOTIFY authsvc_revoked
 * per batch, at most one per batch_ms — and learns everyone's: on any
 * notification on that channel, and every poll_s seconds, it reads the
 * revoked_tokens rows committed since its last read. "Since" is a
 * snapshot (pg_current_snapshot), not a time: a row is new when its
 * transaction (the xid column) was not visible to the last read, so a
 * transaction that began before that read and committed after it is still
 * found. Notifications carry no information the reader needs; the
 * per-row payload "jti exp" that other writers' trigger sends is ignored.
 *
 * For engines without LISTEN/NOTIFY or without the snapshot functions
 * (docs/scaling.md) each can be switched off (r->listen, r->snapshots):
 * then only the poll runs, and without snapshots it reads by revoked_on,
 * over a window that reaches REVOCATION_LOOKBACK_S before the last read.
 */
#include "tokens/revocation.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "log/log.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Rows committed since the snapshot *snap (every live row when *snap is
 * NULL) go into the set; *snap becomes this read's snapshot. One statement,
 * so the snapshot row and the token rows see the same commits; the
 * snapshot row is the one without an expiry. 0 or -1. */
static int read_rows(struct revocations *r, PGconn *conn, char **snap)
{
	static const char all[] =
	    "SELECT jti, extract(epoch FROM expires_at)::bigint FROM main.revoked_tokens"
	    " WHERE expires_at > now()"
	    " UNION ALL SELECT pg_current_snapshot()::text, NULL";
	static const char since[] =
	    "SELECT jti, extract(epoch FROM expires_at)::bigint FROM main.revoked_tokens"
	    " WHERE xid >= pg_snapshot_xmin($1::pg_snapshot)"
	    " AND NOT pg_visible_in_snapshot(xid, $1::pg_snapshot) AND expires_at > now()"
	    " UNION ALL SELECT pg_current_snapshot()::text, NULL";
	const char *params[1] = {*snap};
	PGresult *res = *snap == NULL ? PQexec(conn, all)
				      : PQexecParams(conn, since, 1, NULL, params, NULL, NULL, 0);
	char *next = NULL;
	int n;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warn("revocation read failed detail=%s", LOG_Q(PQresultErrorMessage(res)));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 1)) {
			free(next);
			next = strdup(PQgetvalue(res, i, 0));
		} else {
			revocations_add(r, PQgetvalue(res, i, 0),
					strtoll(PQgetvalue(res, i, 1), NULL, 10));
		}
	}
	PQclear(res);
	if (next == NULL)
		return -1;
	free(*snap);
	*snap = next;
	atomic_store(&r->synced_ms, now_ms());
	return 0;
}

/* read_rows without the snapshot functions: every live row at first, then
 * the rows whose revoked_on is within the time since the last read plus
 * REVOCATION_LOOKBACK_S (rows seen before are added again, harmlessly). */
static int read_rows_window(struct revocations *r, PGconn *conn)
{
	static const char all[] =
	    "SELECT jti, extract(epoch FROM expires_at)::bigint FROM main.revoked_tokens"
	    " WHERE expires_at > now()";
	static const char since[] =
	    "SELECT jti, extract(epoch FROM expires_at)::bigint FROM main.revoked_tokens"
	    " WHERE revoked_on >= now() - make_interval(secs => $1::float8)"
	    " AND expires_at > now()";
	int64_t now = now_ms();
	char secs[32];
	const char *params[1] = {secs};
	PGresult *res;
	int n;

	snprintf(secs, sizeof(secs), "%lld",
		 (long long)((now - r->last_read_ms) / 1000 + 1 + REVOCATION_LOOKBACK_S));
	res = r->last_read_ms == 0 ? PQexec(conn, all)
				   : PQexecParams(conn, since, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warn("revocation read failed: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		revocations_add(r, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10));
	PQclear(res);
	r->last_read_ms = now;
	atomic_store(&r->synced_ms, now);
	return 0;
}

/* One catch-up read, by snapshot or by time window. */
static int catch_up(struct revocations *r, PGconn *conn)
{
	if (!r->snapshots)
		return read_rows_window(r, conn);
	return read_rows(r, conn, &r->snapshot);
}

double revocations_sync_lag_s(struct revocations *r)
{
	int64_t at = atomic_load(&r->synced_ms);

	return at > 0 ? (double)(now_ms() - at) / 1000.0 : 0.0;
}

static PGconn *listen_connect(struct revocations *r)
{
	PGconn *conn = PQconnectdb(r->url);
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return NULL;
	}
	if (!r->listen)
		return conn;
	res = PQexec(conn, "LISTEN authsvc_revoked");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		/* engines without LISTEN still converge through polling */
		log_warn("revocation listen unavailable, polling only");
	}
	PQclear(res);
	return conn;
}

/* Notifications received so far (their payload does not matter). */
static int drain_notifies(PGconn *conn)
{
	PGnotify *n;
	int count = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return count;
}

static void announce_now(struct revocations *r, PGconn *conn)
{
	PGresult *res;

	atomic_store(&r->announce, 0); /* a commit after this asks again */
	if (!r->listen)
		return; /* the others' polls find the rows */
	res = PQexec(conn, "NOTIFY authsvc_revoked");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		atomic_store(&r->announce, 1); /* retried after the reconnect */
	PQclear(res);
}

/* Expired codes, tokens, revocations and counters are dead weight: drop them
 * (a day late, so recent history stays inspectable). Best effort. */
static void purge_expired(PGconn *conn)
{
	static const char *const sql[] = {
	    "DELETE FROM main.auth_codes WHERE expires_at < now() - interval '1 day'",
	    "DELETE FROM main.refresh_tokens WHERE expires_at < now() - interval '1 day'",
	    "DELETE FROM main.revoked_tokens WHERE expires_at < now() - interval '1 day'",
	    "DELETE FROM main.otp_pending WHERE expires_at < now() - interval '1 hour'",
	    "DELETE FROM main.action_tokens WHERE expires_at < now() - interval '1 day'",
	    "DELETE FROM main.send_counters WHERE window_start < now() - interval '1 day'",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		PQclear(PQexec(conn, sql[i]));
}

static void drain_wake(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* How long to sleep: until the next poll, or the next batch when one waits. */
static int wait_ms(const struct revocations *r, int64_t now, int64_t last_read, int64_t last_sent)
{
	int64_t t = last_read + (int64_t)r->poll_s * 1000 - now;

	if (atomic_load(&r->announce)) {
		int64_t b = last_sent + r->batch_ms - now;

		if (b < t)
			t = b;
	}
	return t < 0 ? 0 : (int)t;
}

static void *listener_main(void *arg)
{
	struct revocations *r = arg;
	PGconn *conn = NULL;
	int64_t last_read = 0, last_sent = 0, last_purge = now_ms() - 3600 * 1000;

	while (!r->stop) {
		struct pollfd pfd[2];
		int64_t now = now_ms();

		if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
			if (conn != NULL)
				PQfinish(conn);
			/* listen first, then catch up: nothing falls in between */
			conn = listen_connect(r);
			if (conn == NULL || catch_up(r, conn) < 0) {
				/* database down: wait and retry */
				pfd[0] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
				if (poll(pfd, 1, 1000) > 0)
					drain_wake(r->wake[0]);
				continue;
			}
			last_read = now;
		}
		if (atomic_load(&r->announce) && now - last_sent >= r->batch_ms) {
			announce_now(r, conn);
			last_sent = now;
		}
		if (drain_notifies(conn) > 0 || now - last_read >= (int64_t)r->poll_s * 1000) {
			catch_up(r, conn); /* on failure: again at the next poll */
			last_read = now;
			continue; /* notifications that came meanwhile are queued */
		}
		if (now - last_purge >= 3600 * 1000) {
			purge_expired(conn);
			last_purge = now;
		}
		pfd[0] = (struct pollfd){.fd = PQsocket(conn), .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
		if (poll(pfd, 2, wait_ms(r, now, last_read, last_sent)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			drain_wake(r->wake[0]);
		if (pfd[0].revents != 0)
			PQconsumeInput(conn); /* a lost connection: reconnect above */
	}
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK && atomic_load(&r->announce))
		announce_now(r, conn); /* the last batch */
	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

int revocations_start(struct revocations *r, const char *db_url, PGconn *now, int poll_s,
		      int batch_ms, struct err *err)
{
	PGconn *conn = now;
	int rc;

	r->url = strdup(db_url);
	r->poll_s = poll_s > 0 ? poll_s : 5;
	r->batch_ms = batch_ms >= 0 ? batch_ms : 20;
	if (r->url == NULL || pipe2(r->wake, O_NONBLOCK | O_CLOEXEC) < 0)
		return err_set(err, 500, "cannot start revocation listener");
	if (now == NULL)
		conn = PQconnectdb(db_url);
	rc = PQstatus(conn) == CONNECTION_OK ? catch_up(r, conn) : -1;
	if (now == NULL)
		PQfinish(conn);
	if (rc < 0)
		return err_set(err, 503, "cannot load revoked tokens");
	if (pthread_create(&r->thread, NULL, listener_main, r) != 0)
		return err_set(err, 500, "cannot start revocation listener");
	r->running = true;
	return 0;
}

void revocations_announce(void *arg)
{
	struct revocations *r = arg;

	/* only the first announcement of a batch wakes the listener */
	if (r->running && atomic_exchange(&r->announce, 1) == 0 && write(r->wake[1], "a", 1) < 0 &&
	    errno != EAGAIN)
		log_warn("revocation listener wake failed");
}

void revocations_stop(struct revocations *r)
{
	if (r->running) {
		r->stop = 1;
		if (write(r->wake[1], "x", 1) < 0 && errno != EAGAIN)
			log_warn("revocation listener wake failed");
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (r->wake[i] >= 0)
			close(r->wake[i]);
		r->wake[i] = -1;
	}
	free(r->url);
	free(r->snapshot);
	r->url = NULL;
	r->snapshot = NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The revoked access-token set: jti → expiry, in memory in every
 * instance, so bearer checks never touch the database.
 *
 * Writers: a worker that revokes a token writes it to the revoked_tokens
 * table and adds it here once its transaction commits (db_revoke_mem in
 * store/db.h: a rolled-back revocation never reaches this set), then calls
 * revocations_announce. The listener thread (revocation_sync.c, its own
 * connection) sends one NOTIFY for all the revocations announced within
 * batch_ms, and on every NOTIFY (its own too, other instances', or a
 * revoked_tokens row another program inserted) reads the rows committed
 * since its last read — by transaction snapshot, so none is missed — and
 * adds them here; a poll every poll_s seconds does the same (reconnects,
 * lost notifications). Readers: the loop thread and workers.
 * Thread-safe (rwlock). Expired entries are purged as they age out.
 */
#ifndef AUTHSVC_TOKENS_REVOCATION_H
#define AUTHSVC_TOKENS_REVOCATION_H

#include <pthread.h>

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct revocations {
	pthread_rwlock_t lock;
	struct rev_entry *slots;
	size_t cap, used;
	/* listener (revocation_sync.c) */
	pthread_t thread;
	bool running;
	_Atomic int stop;
	_Atomic int announce; /* revocations committed, not yet announced */
	char *url;
	char *snapshot; /* of the listener's last read */
	int poll_s, batch_ms;
	int wake[2]; /* pipe to interrupt the listener's wait */
	/* set before revocations_start (revocations_init sets both):
	 * listen: LISTEN/NOTIFY (else the poll alone); snapshots: the poll
	 * reads by pg_current_snapshot (else by revoked_on, within a window
	 * reaching REVOCATION_LOOKBACK_S before the last read) */
	bool listen, snapshots;
	int64_t last_read_ms;	   /* monotonic, of the last successful read */
	_Atomic int64_t synced_ms; /* CLOCK_MONOTONIC ms of the last good read; 0: none */
};

int revocations_init(struct revocations *r);
void revocations_release(struct revocations *r);
/* Add jti until exp (unix seconds). 0 or -1 (out of memory). */
int revocations_add(struct revocations *r, const char *jti, int64_t exp);
bool revocations_contains(struct revocations *r, const char *jti, int64_t now);
size_t revocations_count(struct revocations *r);
/* Seconds since the listener last read the database's revocations (0 before
 * the first read): how far behind the other instances this
 * one may be. Any thread. */
double revocations_sync_lag_s(struct revocations *r);

/* Without snapshots, a poll reads the rows whose revoked_on (the start of
 * the revoking transaction) is at most this long before the previous read:
 * a revoking transaction that runs longer, or database clocks further
 * apart, could be missed until the next restart. */
#define REVOCATION_LOOKBACK_S 60

/* Load current rows (on `now` when not NULL, a connection the caller has
 * open anyway, which saves a connection set-up at start; else on one of
 * its own), then start the listener thread on its own connection. */
int revocations_start(struct revocations *r, const char *db_url, PGconn *now, int poll_s,
		      int batch_ms, struct err *err);
/* Stop the listener (before revocations_release). */
void revocations_stop(struct revocations *r);
/* Revocations were committed: tell the other instances (the next batch).
 * Any thread; never blocks. The argument is the struct revocations. */
void revocations_announce(void *r);

#endif

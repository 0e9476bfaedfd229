/*
 * The revoked access-token set: jti → expiry, in memory in every
 * instance, so bearer checks never touch the database.
 *
 * Writers: a worker that revokes a token adds it here at once (and to the
 * revoked_tokens table, whose trigger NOTIFYs the other instances); the
 * listener thread adds what other instances revoke, from LISTEN/NOTIFY and
 * from a periodic poll of recent rows (for engines without NOTIFY, and to
 * catch up after a reconnect). Readers: the loop thread and workers.
 * Thread-safe (rwlock). Expired entries are purged as they age out.
 */
#ifndef AUTHSVC_TOKENS_REVOCATION_H
#define AUTHSVC_TOKENS_REVOCATION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct revocations {
	pthread_rwlock_t lock;
	struct rev_entry *slots;
	size_t cap, used;
	/* listener */
	pthread_t thread;
	bool running;
	_Atomic int stop;
	char *url;
	int poll_s;
	int wake[2]; /* pipe to interrupt the listener's wait */
};

int revocations_init(struct revocations *r);
void revocations_release(struct revocations *r);
/* Add jti until exp (unix seconds). 0 or -1 (out of memory). */
int revocations_add(struct revocations *r, const char *jti, int64_t exp);
bool revocations_contains(struct revocations *r, const char *jti, int64_t now);
size_t revocations_count(struct revocations *r);

/* Load current rows, then start the listener thread on its own connection. */
int revocations_start(struct revocations *r, const char *db_url, int poll_s, struct err *err);
void revocations_stop(struct revocations *r);

#endif

#include "tokens/revocation.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/sha.h>

#include "log/log.h"

/* 24 bytes a revoked token: the jti as 16 bytes (ours are 32 hex digits of
 * random bytes; any other jti by its SHA-256, cut to 16 bytes) and its exp
 * (0: empty slot). */
struct rev_entry {
	unsigned char key[16];
	int64_t exp;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void jti_key(const char *jti, unsigned char key[16])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i;

	/* jti[2i] is not NUL when reached: each earlier pair was two hex digits */
	for (i = 0; i < 16; i++) {
		int hi = hexval(jti[2 * i]), lo = hi >= 0 ? hexval(jti[2 * i + 1]) : -1;

		if (lo < 0)
			break;
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	if (i == 16 && jti[32] == '\0')
		return;
	SHA256((const unsigned char *)jti, strlen(jti), md);
	memcpy(key, md, 16);
}

static uint64_t key_hash(const unsigned char key[16])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h)); /* random bytes already */
	return h;
}

int revocations_init(struct revocations *r)
{
	memset(r, 0, sizeof(*r));
	r->wake[0] = r->wake[1] = -1;
	if (pthread_rwlock_init(&r->lock, NULL) != 0)
		return -1;
	r->cap = 1024;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	return r->slots != NULL ? 0 : -1;
}

void revocations_release(struct revocations *r)
{
	revocations_stop(r);
	free(r->slots);
	free(r->url);
	pthread_rwlock_destroy(&r->lock);
	r->slots = NULL;
}

static struct rev_entry *slot_find(struct rev_entry *slots, size_t cap, const unsigned char key[16])
{
	size_t i = key_hash(key) & (cap - 1);

	for (;;) {
		if (slots[i].exp == 0 || memcmp(slots[i].key, key, 16) == 0)
			return &slots[i];
		i = (i + 1) & (cap - 1);
	}
}

/* Rebuild into a table sized for the live entries (at most half full);
 * drops expired ones. Write lock held. The table is rebuilt when it is two
 * thirds full: linear probing stays short (about five slots for a token
 * that is not there, the common case) and a slot costs 24 bytes, so the
 * set takes 36-72 bytes per live revocation. */
static int rebuild(struct revocations *r, int64_t now)
{
	size_t live = 0, cap = 1024;
	struct rev_entry *ns;

	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].exp > now)
			live++;
	while (cap < live * 2)
		cap *= 2;
	ns = calloc(cap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].exp > now)
			*slot_find(ns, cap, r->slots[i].key) = r->slots[i];
	free(r->slots);
	r->slots = ns;
	r->cap = cap;
	r->used = live;
	return 0;
}

int revocations_add(struct revocations *r, const char *jti, int64_t exp)
{
	struct rev_entry *e;
	unsigned char key[16];
	int rc = 0;

	if (strlen(jti) == 0 || strlen(jti) > 64)
		return -1;
	if (exp <= 0) /* long expired: nothing to refuse */
		return 0;
	jti_key(jti, key);
	pthread_rwlock_wrlock(&r->lock);
	if ((r->used + 1) * 3 > r->cap * 2 && rebuild(r, (int64_t)time(NULL)) < 0) {
		rc = -1;
		goto out;
	}
	e = slot_find(r->slots, r->cap, key);
	if (e->exp == 0) {
		memcpy(e->key, key, 16);
		r->used++;
	}
	if (exp > e->exp)
		e->exp = exp;
out:
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

bool revocations_contains(struct revocations *r, const char *jti, int64_t now)
{
	struct rev_entry *e;
	unsigned char key[16];
	bool hit;

	if (strlen(jti) > 64)
		return false;
	jti_key(jti, key);
	pthread_rwlock_rdlock(&r->lock);
	e = slot_find(r->slots, r->cap, key);
	hit = e->exp > now;
	pthread_rwlock_unlock(&r->lock);
	return hit;
}

size_t revocations_count(struct revocations *r)
{
	size_t n;

	pthread_rwlock_rdlock(&r->lock);
	n = r->used;
	pthread_rwlock_unlock(&r->lock);
	return n;
}

/* ---- listener: its own connection and thread, never the event loop ---- */

static int load_rows(struct revocations *r, PGconn *conn, int64_t since)
{
	char sbuf[32];
	const char *params[1] = {sbuf};
	PGresult *res;
	int n;

	snprintf(sbuf, sizeof(sbuf), "%lld", (long long)since);
	res = PQexecParams(
	    conn,
	    "SELECT jti, extract(epoch FROM expires_at)::bigint FROM main.revoked_tokens"
	    " WHERE expires_at > now() AND revoked_on >= to_timestamp($1::bigint)",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		revocations_add(r, PQgetvalue(res, i, 0), strtoll(PQgetvalue(res, i, 1), NULL, 10));
	PQclear(res);
	return 0;
}

static PGconn *listen_connect(struct revocations *r)
{
	PGconn *conn = PQconnectdb(r->url);
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, "LISTEN authsvc_revoked");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		/* engines without LISTEN still converge through polling */
		log_warn("revocation listen unavailable, polling only");
	}
	PQclear(res);
	return conn;
}

static void drain_notifies(struct revocations *r, PGconn *conn)
{
	PGnotify *n;

	while ((n = PQnotifies(conn)) != NULL) {
		char jti[65];
		long long exp;

		if (sscanf(n->extra, "%64s %lld", jti, &exp) == 2)
			revocations_add(r, jti, exp);
		PQfreemem(n);
	}
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

static void *listener_main(void *arg)
{
	struct revocations *r = arg;
	PGconn *conn = NULL;
	int64_t last_poll = 0, last_purge = 0;

	while (!r->stop) {
		struct pollfd pfd[2];
		int64_t now = (int64_t)time(NULL);

		if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
			if (conn != NULL)
				PQfinish(conn);
			conn = listen_connect(r);
			if (conn == NULL || load_rows(r, conn, 0) < 0) {
				/* database down: wait and retry */
				pfd[0] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
				poll(pfd, 1, 1000);
				continue;
			}
			last_poll = now;
		}
		if (now - last_poll >= r->poll_s) {
			if (load_rows(r, conn, last_poll - 2 * r->poll_s) == 0)
				last_poll = now;
		}
		if (now - last_purge >= 3600) {
			purge_expired(conn);
			last_purge = now;
		}
		pfd[0] = (struct pollfd){.fd = PQsocket(conn), .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
		if (poll(pfd, 2, r->poll_s * 1000) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents != 0) {
			if (PQconsumeInput(conn) == 0)
				continue; /* connection lost: reconnect above */
			drain_notifies(r, conn);
		}
	}
	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

int revocations_start(struct revocations *r, const char *db_url, int poll_s, struct err *err)
{
	PGconn *conn;
	int rc;

	r->url = strdup(db_url);
	r->poll_s = poll_s > 0 ? poll_s : 5;
	if (r->url == NULL || pipe(r->wake) < 0)
		return err_set(err, 500, "cannot start revocation listener");
	conn = PQconnectdb(db_url);
	rc = PQstatus(conn) == CONNECTION_OK ? load_rows(r, conn, 0) : -1;
	PQfinish(conn);
	if (rc < 0)
		return err_set(err, 503, "cannot load revoked tokens");
	if (pthread_create(&r->thread, NULL, listener_main, r) != 0)
		return err_set(err, 500, "cannot start revocation listener");
	r->running = true;
	return 0;
}

void revocations_stop(struct revocations *r)
{
	if (r->running) {
		r->stop = 1;
		if (write(r->wake[1], "x", 1) < 0)
			log_warn("revocation listener wake failed");
		pthread_join(r->thread, NULL);
		r->running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (r->wake[i] >= 0)
			close(r->wake[i]);
		r->wake[i] = -1;
	}
}

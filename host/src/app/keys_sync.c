/* SPDX-License-Identifier: Apache-2.0 */
/* The key listener (app/keys_sync.h). */
#include "app/keys_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "log/log.h"
#include "store/db.h"
#include "store/keys_store.h"

struct keys_sync {
	struct app *app;
	pthread_t thread;
	_Atomic int stop;
	int wake[2];
	struct db db;
	char *fingerprint;   /* of the keys loaded last */
	int64_t activate_at; /* ms (monotonic) when a waiting key starts signing; 0: none */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_listen(struct keys_sync *ks)
{
	const struct config *cfg = ks->app->cfg;
	struct err err = {0};
	PGresult *res;

	db_close(&ks->db);
	/* like the revocation listener: a session of its own, never through a
	 * transaction pooler (database.listen_url), or the poll alone */
	if (db_connect(&ks->db,
		       cfg->database_listen_url != NULL ? cfg->database_listen_url
							: cfg->database_url,
		       cfg->statement_timeout_ms, &err) < 0)
		return -1;
	if (!cfg->database_listen)
		return 0;
	res = PQexec(ks->db.conn, "LISTEN authsvc_keys");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warn("key listen unavailable, polling only");
	PQclear(res);
	return 0;
}

/* Load the keys into a new keyset and publish it. 0 or -1 (logged). */
static int reload(struct keys_sync *ks, char *fingerprint)
{
	const struct config *cfg = ks->app->cfg;
	struct keyring ring;
	struct keyset *set;
	struct err err = {0};
	long pending = -1;
	int encrypted = 0;

	if (keyring_init(&ring, cfg->jwt_alg) < 0)
		return -1;
	if (keys_store_load_or_create(&ks->db, &ring, cfg->jwt_key_passphrase, &encrypted, &pending,
				      &err) < 0) {
		log_warn("signing keys not reloaded: %s", err.msg);
		keyring_release(&ring);
		return -1;
	}
	if (encrypted > 0)
		log_warn("signing keys were stored unencrypted; now encrypted count=%d", encrypted);
	set = keyset_new(&ring);
	if (set == NULL) {
		keyring_release(&ring);
		return -1;
	}
	log_info("signing keys loaded keys=%zu signing_kid=%s", set->ring.nkeys,
		 set->ring.keys[0].kid);
	keys_live_set(&ks->app->keys, set);
	free(ks->fingerprint);
	ks->fingerprint = fingerprint;
	/* a second late, so the database's now() has passed active_from too */
	ks->activate_at = pending >= 0 ? now_ms() + (pending + 1) * 1000 : 0;
	return 0;
}

/* Reload when the keys differ from the ones loaded (or force). */
static void check(struct keys_sync *ks, bool force)
{
	struct err err = {0};
	char *fp = keys_store_fingerprint(&ks->db, ks->app->cfg->jwt_alg, &err);

	if (fp == NULL) {
		log_warn("signing keys not checked: %s", err.msg);
		return;
	}
	if (!force && ks->fingerprint != NULL && strcmp(fp, ks->fingerprint) == 0) {
		free(fp);
		return;
	}
	if (reload(ks, fp) < 0)
		free(fp);
}

/* Rotation when due, retirement of the keys no longer needed. */
static void maintain(struct keys_sync *ks)
{
	const struct config *cfg = ks->app->cfg;
	struct err err = {0};
	char kid[64] = "";
	bool rotated = false;
	int retired = 0;

	if (keys_store_rotate_due(&ks->db, cfg->jwt_alg, cfg->jwt_key_passphrase,
				  cfg->key_rotation_s, cfg->key_poll_s, kid, &rotated, &err) < 0)
		log_warn("signing key rotation failed: %s", err.msg);
	else if (rotated)
		log_info("signing key rotated kid=%s signs_in=%ds", kid, cfg->key_poll_s);
	if (keys_store_retire_expired(&ks->db, cfg->jwt_alg, keys_store_leeway(cfg->key_poll_s),
				      &retired, &err) < 0)
		log_warn("signing key retirement failed: %s", err.msg);
	else if (retired > 0)
		log_info("signing keys retired count=%d", retired);
}

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

static void drain_wake(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int wait_ms(const struct keys_sync *ks, int64_t now, int64_t last_poll)
{
	int64_t t = last_poll + (int64_t)ks->app->cfg->key_poll_s * 1000 - now;

	if (ks->activate_at > 0 && ks->activate_at - now < t)
		t = ks->activate_at - now;
	return t < 0 ? 0 : (int)t;
}

static void *keys_sync_main(void *arg)
{
	struct keys_sync *ks = arg;
	int64_t last_poll = now_ms();

	while (!atomic_load(&ks->stop)) {
		struct pollfd pfd[2];
		int64_t now = now_ms();

		if (ks->db.conn == NULL || PQstatus(ks->db.conn) != CONNECTION_OK) {
			/* listen first, then catch up: nothing falls in between */
			if (connect_listen(ks) < 0) {
				pfd[0] = (struct pollfd){.fd = ks->wake[0], .events = POLLIN};
				if (poll(pfd, 1, 1000) > 0)
					drain_wake(ks->wake[0]);
				continue;
			}
			check(ks, false);
		}
		if (now - last_poll >= (int64_t)ks->app->cfg->key_poll_s * 1000) {
			maintain(ks);
			drain_notifies(ks->db.conn); /* its own changes: checked now */
			check(ks, false);
			last_poll = now;
			continue;
		}
		if (ks->activate_at > 0 && now >= ks->activate_at) {
			ks->activate_at = now + 1000; /* retried in a second if the reload fails */
			check(ks, true);
			continue;
		}
		if (drain_notifies(ks->db.conn) > 0) {
			check(ks, false);
			continue;
		}
		pfd[0] = (struct pollfd){.fd = PQsocket(ks->db.conn), .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = ks->wake[0], .events = POLLIN};
		if (poll(pfd, 2, wait_ms(ks, now, last_poll)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			drain_wake(ks->wake[0]);
		if (pfd[0].revents != 0)
			PQconsumeInput(ks->db.conn); /* a lost connection: reconnect above */
	}
	return NULL;
}

int keys_sync_start(struct app *app, struct keys_sync **out, struct err *err)
{
	struct keys_sync *ks = calloc(1, sizeof(*ks));

	*out = NULL;
	if (ks == NULL)
		return err_set(err, 500, "out of memory");
	ks->app = app;
	ks->wake[0] = ks->wake[1] = -1;
	if (pipe2(ks->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(ks);
		return err_set(err, 500, "cannot start the key listener");
	}
	if (pthread_create(&ks->thread, NULL, keys_sync_main, ks) != 0) {
		close(ks->wake[0]);
		close(ks->wake[1]);
		free(ks);
		return err_set(err, 500, "cannot start the key listener");
	}
	*out = ks;
	return 0;
}

void keys_sync_stop(struct keys_sync *ks)
{
	if (ks == NULL)
		return;
	atomic_store(&ks->stop, 1);
	if (write(ks->wake[1], "x", 1) < 0 && errno != EAGAIN)
		log_warn("key listener wake failed");
	pthread_join(ks->thread, NULL);
	close(ks->wake[0]);
	close(ks->wake[1]);
	db_close(&ks->db);
	free(ks->fingerprint);
	free(ks);
}

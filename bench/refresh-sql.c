/* SPDX-License-Identifier: Apache-2.0 */
/* refresh-sql: the database work of POST /auth/token-refresh through
 * authsvc's own store code, without HTTP or the event loop, for
 * bench/refresh-floor. Each thread holds one connection, as a worker does,
 * and repeats what a refresh sends: the rotating statement (uses up the
 * refresh token, revokes its access token, reads the client and the user's
 * claims) in one round trip, then the new refresh token and the
 * login_activity row with the COMMIT in a second. With --sign it also
 * signs an RS256 token from the claims between the two, as a worker does.
 * Built by CMake only with -DAUTHSVC_BENCH=ON; nothing here fails on a
 * timing.
 *
 *   refresh-sql [--sign] URL ROWS THREADS SECONDS
 *
 * The refresh tokens 1..ROWS are those bench/refresh-floor loads: token
 * hash sha256(decimal g), access hash sha256("a" g). Thread t uses
 * t+1, t+1+THREADS, ... once each. Prints one line,
 *   refreshes=N seconds=S cpu=C
 * C being this process's CPU seconds (user + system); the caller reads
 * PostgreSQL's from /proc. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "core/issue.h"
#include "store/activity.h"
#include "store/clients.h"
#include "store/db.h"
#include "store/sessions.h"
#include "store/users.h"
#include "tokens/jwt_codec.h"
#include "tokens/keyring.h"
#include "tokens/opaque.h"

struct job {
	const char *url;
	long rows, first, step;
	double until;
	const struct keyring *kr; /* NULL: no signing */
	long done;
	int failed;
};

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void no_announce(void *arg)
{
	(void)arg;
}

/* One refresh of token g: 1 done, 0 the token was not there, -1 error. */
static int refresh_one(struct db *db, const struct job *j, long g)
{
	char text[32], th[65], ah[65], jti[33], nt[65], nh[65];
	struct refresh_row row;
	struct client c;
	struct user_ctx u;
	struct err err = {0};
	char *tok = NULL;
	int rc;

	snprintf(text, sizeof(text), "%ld", g);
	core_token_hash(text, th);
	snprintf(text, sizeof(text), "a%ld", g);
	core_token_hash(text, ah);
	if (db_begin(db, &err) < 0)
		return -1;
	rc = store_refresh_rotate(db, th, ah, NULL, &row, &c, &u, &err);
	if (rc != 1 || u.claims == NULL) {
		db_rollback(db);
		user_ctx_release(&u);
		return rc < 0 ? -1 : 0;
	}
	if (tokens_random_hex(jti, 16) < 0 || tokens_random_hex(nt, 32) < 0)
		goto fail;
	if (j->kr != NULL) {
		json_object_set_new(u.claims, "jti", json_string(jti));
		tok = tokens_jwt_sign(j->kr, u.claims, &err);
		if (tok == NULL)
			goto fail;
		core_token_hash(tok, nh);
		free(tok);
	} else {
		core_token_hash(jti, nh);
	}
	{
		struct refresh_new rn = {
		    .token_hash = nt,
		    .family_id = row.family_id,
		    .client_id = c.client_id,
		    .user_id = u.user_id,
		    .tenant_id = u.tenant_id,
		    .access_jti = jti,
		    .access_hash = nh,
		    .access_exp = (int64_t)time(NULL) + 600,
		    .ttl_s = 86400,
		};
		struct activity a = {
		    .actor = u.user_id,
		    .tenant_id = u.tenant_id,
		    .login_type = "RELOGIN",
		    .payload = u.claims,
		    .device_info = "refresh-sql",
		    .ip_address = "127.0.0.1",
		};

		if (store_refresh_insert(db, &rn, &err) < 0 ||
		    store_activity_insert(db, &a, NULL, &err) < 0 || db_commit(db, &err) < 0)
			goto fail;
	}
	user_ctx_release(&u);
	return 1;
fail:
	db_rollback(db);
	user_ctx_release(&u);
	fprintf(stderr, "refresh-sql: %s\n", err.msg[0] != '\0' ? err.msg : "failed");
	return -1;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct db db;
	struct err err = {0};

	if (db_connect(&db, j->url, 0, &err) < 0) {
		fprintf(stderr, "refresh-sql: %s\n", err.msg);
		j->failed = 1;
		return NULL;
	}
	db_set_announce(&db, no_announce, NULL);
	for (long g = j->first; g <= j->rows; g += j->step) {
		int rc = refresh_one(&db, j, g);

		if (rc < 0) {
			j->failed = 1;
			break;
		}
		j->done += rc;
		if ((j->done & 15) == 0 && seconds_now() >= j->until)
			break;
	}
	db_close(&db);
	return NULL;
}

int main(int argc, char **argv)
{
	struct keyring kr;
	struct signing_key k;
	struct err err = {0};
	struct rusage ru;
	bool sign = argc > 1 && strcmp(argv[1], "--sign") == 0;
	int a = sign ? 2 : 1, nthreads;
	long rows, total = 0;
	double t0, secs;
	struct job jobs[64];
	pthread_t th[64];
	int failed = 0;

	if (argc - a != 4) {
		fprintf(stderr, "usage: refresh-sql [--sign] URL ROWS THREADS SECONDS\n");
		return 2;
	}
	rows = strtol(argv[a + 1], NULL, 10);
	nthreads = (int)strtol(argv[a + 2], NULL, 10);
	secs = strtod(argv[a + 3], NULL);
	if (rows < 1 || nthreads < 1 || nthreads > 64 || secs <= 0) {
		fprintf(stderr, "refresh-sql: bad ROWS, THREADS or SECONDS\n");
		return 2;
	}
	if (sign &&
	    (keyring_init(&kr, JWT_KIND_RS256) < 0 ||
	     keyring_generate(JWT_KIND_RS256, &k, &err) < 0 || keyring_add_key(&kr, &k) < 0)) {
		fprintf(stderr, "refresh-sql: cannot make a key\n");
		return 1;
	}
	t0 = seconds_now();
	for (int i = 0; i < nthreads; i++) {
		jobs[i] = (struct job){.url = argv[a],
				       .rows = rows,
				       .first = i + 1,
				       .step = nthreads,
				       .until = t0 + secs,
				       .kr = sign ? &kr : NULL};
		if (pthread_create(&th[i], NULL, worker, &jobs[i]) != 0) {
			fprintf(stderr, "refresh-sql: cannot start a thread\n");
			return 1;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		total += jobs[i].done;
		failed |= jobs[i].failed;
	}
	secs = seconds_now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("refreshes=%ld seconds=%.3f cpu=%.3f\n", total, secs,
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		   ru.ru_stime.tv_usec / 1e6);
	if (sign)
		keyring_release(&kr);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Housekeeping of login_activity's partitions (app/housekeeping.h). */
#include "app/housekeeping.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log/log.h"
#include "store/db.h"

struct housekeeping {
	const struct config *cfg;
	pthread_t thread;
	_Atomic int stop;
	int wake[2];
	struct db db;
};

/* One statement returning one integer; -1 when it failed (logged). */
static long run_count(struct housekeeping *hk, const char *sql, int arg, const char *what)
{
	char a[16];
	const char *params[1] = {a};
	struct err err = {0};
	PGresult *res;
	long n;

	snprintf(a, sizeof(a), "%d", arg);
	res = db_exec(&hk->db, sql, 1, params, &err);
	if (res == NULL) {
		log_warn("login activity %s failed: %s", what, err.msg);
		return -1;
	}
	n = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n;
}

static void run_once(struct housekeeping *hk)
{
	struct err err = {0};
	long created, dropped;

	if (hk->db.conn == NULL || PQstatus(hk->db.conn) != CONNECTION_OK) {
		db_close(&hk->db);
		if (db_connect(&hk->db, hk->cfg->database_url, hk->cfg->statement_timeout_ms,
			       &err) < 0) {
			log_warn("login activity housekeeping skipped: %s", err.msg);
			return;
		}
	}
	created = run_count(hk, "SELECT main.login_activity_add_months($1::int)",
			    HOUSEKEEPING_MONTHS_AHEAD, "partition creation");
	if (created > 0)
		log_info("login activity partitions created count=%ld", created);
	dropped = run_count(hk, "SELECT main.login_activity_drop_months($1::int)",
			    hk->cfg->activity_retention_months, "retention");
	if (dropped > 0)
		log_info("login activity months dropped count=%ld retention_months=%d", dropped,
			 hk->cfg->activity_retention_months);
}

static void *housekeeping_main(void *arg)
{
	struct housekeeping *hk = arg;
	char buf[64];

	while (!atomic_load(&hk->stop)) {
		struct pollfd pfd = {.fd = hk->wake[0], .events = POLLIN};

		if (poll(&pfd, 1, HOUSEKEEPING_INTERVAL_S * 1000) < 0 && errno != EINTR)
			break;
		if (pfd.revents != 0) {
			while (read(hk->wake[0], buf, sizeof(buf)) > 0)
				;
			continue;
		}
		run_once(hk);
	}
	return NULL;
}

int housekeeping_start(const struct config *cfg, struct housekeeping **out, struct err *err)
{
	struct housekeeping *hk = calloc(1, sizeof(*hk));

	*out = NULL;
	if (hk == NULL)
		return err_set(err, 500, "out of memory");
	hk->cfg = cfg;
	hk->wake[0] = hk->wake[1] = -1;
	run_once(hk);
	if (pipe2(hk->wake, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    pthread_create(&hk->thread, NULL, housekeeping_main, hk) != 0) {
		if (hk->wake[0] >= 0) {
			close(hk->wake[0]);
			close(hk->wake[1]);
		}
		db_close(&hk->db);
		free(hk);
		return err_set(err, 500, "cannot start login activity housekeeping");
	}
	*out = hk;
	return 0;
}

void housekeeping_stop(struct housekeeping *hk)
{
	if (hk == NULL)
		return;
	atomic_store(&hk->stop, 1);
	if (write(hk->wake[1], "x", 1) < 0 && errno != EAGAIN)
		log_warn("housekeeping wake failed");
	pthread_join(hk->thread, NULL);
	close(hk->wake[0]);
	close(hk->wake[1]);
	db_close(&hk->db);
	free(hk);
}

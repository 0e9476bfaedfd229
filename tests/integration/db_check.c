/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store/db.c against a real PostgreSQL: transactions whose BEGIN and
 * deferred writes travel in libpq pipelines. Run by test_db.py, which makes
 * a fresh database and passes its URL in AUTHSVC_TEST_DB_URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/db.h"

static const char *url;

static const char ins_sql[] = "INSERT INTO items (k) VALUES ($1)";
static const char count_sql[] = "SELECT count(*) FROM items";
static const char fresh_sql[] = "INSERT INTO items (k) VALUES ($1 || '-fresh')";

/* Two connections: db is the one under test, peer looks from outside. */
struct fix {
	struct db db;
	struct db peer;
};

static void run_ok(struct db *db, const char *sql)
{
	struct err err = {0};
	PGresult *res = db_exec(db, sql, 0, NULL, &err);

	if (res == NULL)
		fail_msg("%s: %s", sql, err.msg);
	PQclear(res);
}

static long count_items(struct db *db)
{
	struct err err = {0};
	PGresult *res = db_exec_prepared(db, count_sql, 0, NULL, &err);
	long n;

	if (res == NULL)
		fail_msg("count: %s", err.msg);
	n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

static int defer_insert(struct db *db, const char *key, struct err *err)
{
	const char *params[1] = {key};

	return db_defer_prepared(db, ins_sql, 1, params, err);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct err err = {0};

	if (f == NULL || db_connect(&f->db, url, 5000, &err) < 0 ||
	    db_connect(&f->peer, url, 5000, &err) < 0) {
		fprintf(stderr, "connect: %s\n", err.msg);
		free(f);
		return -1;
	}
	run_ok(&f->peer, "SET client_min_messages = warning");
	run_ok(&f->peer, "CREATE SCHEMA IF NOT EXISTS main");
	run_ok(&f->peer, "DROP TABLE IF EXISTS main.items");
	run_ok(&f->peer, "CREATE TABLE main.items (k text PRIMARY KEY)");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	db_close(&f->db);
	db_close(&f->peer);
	free(f);
	return 0;
}

static void assert_idle(struct db *db)
{
	assert_non_null(db->conn);
	assert_int_equal(PQtransactionStatus(db->conn), PQTRANS_IDLE);
	assert_int_equal(PQpipelineStatus(db->conn), PQ_PIPELINE_OFF);
	assert_false(db->in_tx);
}

static void test_deferred_writes_land_with_commit(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "a", &err), 0);
	assert_int_equal(defer_insert(&f->db, "b", &err), 0);
	/* queued, not yet run: nothing waits on the server for them */
	assert_int_equal(count_items(&f->peer), 0);
	assert_int_equal(db_commit(&f->db, &err), 0);
	assert_int_equal(count_items(&f->peer), 2);
	assert_idle(&f->db);
}

static void test_a_read_sees_the_deferred_writes_before_it(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "a", &err), 0);
	assert_int_equal(count_items(&f->db), 1); /* same transaction, in order */
	assert_int_equal(count_items(&f->peer), 0);
	db_rollback(&f->db);
	assert_int_equal(count_items(&f->peer), 0);
	assert_idle(&f->db);
}

static void test_a_failed_deferred_write_fails_the_commit(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	run_ok(&f->peer, "INSERT INTO main.items VALUES ('taken')");
	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "good", &err), 0);
	assert_int_equal(defer_insert(&f->db, "taken", &err), 0);
	assert_int_equal(defer_insert(&f->db, "after", &err), 0);
	assert_int_equal(db_commit(&f->db, &err), -1);
	assert_int_equal(err.code, 500);
	assert_string_equal(db_last_sqlstate(), "23505");
	/* nothing of the transaction stays, the connection is ready */
	assert_idle(&f->db);
	assert_int_equal(count_items(&f->peer), 1);
	assert_int_equal(count_items(&f->db), 1);
}

static void test_a_failed_deferred_write_fails_the_next_read(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	run_ok(&f->peer, "INSERT INTO main.items VALUES ('taken')");
	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "taken", &err), 0);
	assert_null(db_exec_prepared(&f->db, count_sql, 0, NULL, &err));
	assert_string_equal(db_last_sqlstate(), "23505");
	db_rollback(&f->db);
	assert_idle(&f->db);
	assert_int_equal(count_items(&f->db), 1);
}

/* A PREPARE queued behind a failed statement never ran: the connection must
 * not believe it has that statement. */
static void test_a_skipped_prepare_is_prepared_again(void **state)
{
	struct fix *f = *state;
	struct err err = {0};
	const char *params[1] = {"x"};

	run_ok(&f->peer, "INSERT INTO main.items VALUES ('taken')");
	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "taken", &err), 0);
	assert_int_equal(db_defer_prepared(&f->db, fresh_sql, 1, params, &err), 0);
	assert_int_equal(db_commit(&f->db, &err), -1);
	assert_idle(&f->db);

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(db_defer_prepared(&f->db, fresh_sql, 1, params, &err), 0);
	assert_int_equal(db_commit(&f->db, &err), 0);
	assert_int_equal(count_items(&f->peer), 2);
	/* and, prepared now, it runs again by name */
	params[0] = "y";
	assert_int_equal(db_defer_prepared(&f->db, fresh_sql, 1, params, &err), 0);
	assert_int_equal(count_items(&f->peer), 3);
}

static void test_rollback_drops_what_was_queued(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(defer_insert(&f->db, "a", &err), 0);
	db_rollback(&f->db);
	assert_idle(&f->db);
	assert_int_equal(count_items(&f->peer), 0);
	assert_int_equal(count_items(&f->db), 0);
}

static void test_outside_a_transaction_a_write_runs_at_once(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	assert_int_equal(defer_insert(&f->db, "now", &err), 0);
	assert_int_equal(count_items(&f->peer), 1);
	assert_idle(&f->db);
}

static void test_more_writes_than_a_pipeline_holds(void **state)
{
	struct fix *f = *state;
	struct err err = {0};
	char key[16];

	assert_int_equal(db_begin(&f->db, &err), 0);
	for (int i = 0; i < 3 * DB_PIPE_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(defer_insert(&f->db, key, &err), 0);
	}
	assert_int_equal(db_commit(&f->db, &err), 0);
	assert_int_equal(count_items(&f->peer), 3 * DB_PIPE_MAX);
	assert_idle(&f->db);
}

static void test_an_empty_transaction_sends_nothing(void **state)
{
	struct fix *f = *state;
	struct err err = {0};

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(db_commit(&f->db, &err), 0);
	assert_int_equal(db_begin(&f->db, &err), 0);
	db_rollback(&f->db);
	assert_idle(&f->db);
}

/* A connection lost inside a transaction is not silently re-opened: what
 * follows would run outside the transaction. After it ends, it is. */
static void test_a_lost_connection_is_not_reopened_inside_a_transaction(void **state)
{
	struct fix *f = *state;
	struct err err = {0};
	char sql[96];

	assert_int_equal(db_begin(&f->db, &err), 0);
	assert_int_equal(count_items(&f->db), 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", PQbackendPID(f->db.conn));
	run_ok(&f->peer, sql);
	assert_null(db_exec_prepared(&f->db, count_sql, 0, NULL, &err));
	assert_int_equal(err.code, 503);
	assert_int_equal(defer_insert(&f->db, "lost", &err), -1);
	assert_int_equal(err.code, 503);
	assert_int_equal(db_commit(&f->db, &err), -1);
	assert_int_equal(err.code, 503);
	assert_false(f->db.in_tx);
	assert_int_equal(count_items(&f->db), 0); /* re-opened now */
	assert_int_equal(count_items(&f->peer), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_deferred_writes_land_with_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_read_sees_the_deferred_writes_before_it, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_deferred_write_fails_the_commit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_deferred_write_fails_the_next_read, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_skipped_prepare_is_prepared_again, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_drops_what_was_queued, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outside_a_transaction_a_write_runs_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_more_writes_than_a_pipeline_holds, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_an_empty_transaction_sends_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_lost_connection_is_not_reopened_inside_a_transaction, setup, teardown),
	};

	url = getenv("AUTHSVC_TEST_DB_URL");
	if (url == NULL || *url == '\0') {
		fprintf(stderr, "db_check: set AUTHSVC_TEST_DB_URL (test_db.py does)\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* store/db: db_copy_value and db_copy_values copy a result's text into
 * fixed buffers and report, never cut, a value that does not fit. The
 * results are built with libpq's own PGresult constructors: no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "store/db.h"

/* One row: id = "abcd", note = NULL, long = 300 'x'. */
static int setup(void **state)
{
	PGresAttDesc attrs[3] = {
	    {.name = "id", .format = 0, .typid = 25, .typlen = -1, .atttypmod = -1},
	    {.name = "note", .format = 0, .typid = 25, .typlen = -1, .atttypmod = -1},
	    {.name = "long", .format = 0, .typid = 25, .typlen = -1, .atttypmod = -1},
	};
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	char big[300];

	memset(big, 'x', sizeof(big));
	if (res == NULL || !PQsetResultAttrs(res, 3, attrs) || !PQsetvalue(res, 0, 0, "abcd", 4) ||
	    !PQsetvalue(res, 0, 1, NULL, -1) || !PQsetvalue(res, 0, 2, big, (int)sizeof(big)))
		return -1;
	*state = res;
	return 0;
}

static int teardown(void **state)
{
	PQclear(*state);
	return 0;
}

static void test_value_that_fits(void **state)
{
	struct err err = {0};
	char buf[5];

	assert_int_equal(db_copy_value(*state, 0, 0, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "abcd"); /* exactly fills buf with its NUL */
	assert_int_equal(err.code, 0);
}

static void test_value_too_long_is_an_error(void **state)
{
	struct err err = {0};
	char buf[4] = "zzz";

	assert_int_equal(db_copy_value(*state, 0, 0, buf, sizeof(buf), &err), -1);
	assert_int_equal(err.code, 500);
	assert_non_null(strstr(err.msg, "id")); /* names the column */
	assert_string_equal(buf, "");		/* no cut value left behind */
	memset(&err, 0, sizeof(err));
	{
		char mid[256];

		assert_int_equal(db_copy_value(*state, 0, 2, mid, sizeof(mid), &err), -1);
		assert_non_null(strstr(err.msg, "long"));
		assert_non_null(strstr(err.msg, "300"));
	}
}

static void test_null_copies_empty(void **state)
{
	struct err err = {0};
	char buf[8] = "zzz";

	assert_int_equal(db_copy_value(*state, 0, 1, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "");
}

static void test_no_such_column(void **state)
{
	struct err err = {0};
	char buf[8];

	assert_int_equal(db_copy_value(*state, 0, 7, buf, sizeof(buf), &err), -1);
	assert_int_equal(err.code, 500);
	assert_int_equal(db_copy_value(*state, 3, 0, buf, sizeof(buf), &err), -1);
}

static void test_copy_values_stops_at_the_first_misfit(void **state)
{
	struct err err = {0};
	char id[8] = "", note[8] = "zzz", big[16] = "untouched", after[8] = "kept";
	const struct db_copy ok[] = {{0, id, sizeof(id)}, {1, note, sizeof(note)}};
	const struct db_copy bad[] = {
	    {0, id, sizeof(id)}, {2, big, sizeof(big)}, {0, after, sizeof(after)}};

	assert_int_equal(db_copy_values(*state, 0, ok, 2, &err), 0);
	assert_string_equal(id, "abcd");
	assert_string_equal(note, "");
	assert_int_equal(db_copy_values(*state, 0, bad, 3, &err), -1);
	assert_int_equal(err.code, 500);
	assert_string_equal(big, "");
	assert_string_equal(after, "kept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_that_fits),
	    cmocka_unit_test(test_value_too_long_is_an_error),
	    cmocka_unit_test(test_null_copies_empty),
	    cmocka_unit_test(test_no_such_column),
	    cmocka_unit_test(test_copy_values_stops_at_the_first_misfit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Router matching, path parameters, duplicates; body validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"
#include "http/validate.h"

static enum authsvc_status nop(void *s, void *t, struct authsvc_req *r)
{
	(void)s;
	(void)t;
	(void)r;
	return AUTHSVC_OK;
}

static void test_match_and_params(void **state)
{
	struct router r = {0};
	struct route a = {.method = M_GET, .path = "/login-activity/{id}", .fn = nop};
	struct route b = {.method = M_GET, .path = "/login-activity/count", .fn = nop};
	struct authsvc_req req;
	char msg[128];

	(void)state;
	assert_int_equal(router_add(&r, &b, msg, sizeof(msg)), 0);
	assert_int_equal(router_add(&r, &a, msg, sizeof(msg)), 0);
	assert_int_equal(router_add(&r, &a, msg, sizeof(msg)), -1);
	assert_string_equal(msg, "duplicate route GET /login-activity/{id}");

	req_init(&req, NULL);
	req.method = M_GET;
	req.path = "/login-activity/count";
	assert_ptr_equal(router_match(&r, &req), &r.routes[0]);
	req.path = "/login-activity/42";
	assert_ptr_equal(router_match(&r, &req), &r.routes[1]);
	assert_string_equal(req.params[0], "42");
	req.path = "/login-activity/42/x";
	assert_null(router_match(&r, &req));
	req.path = "/login-activity/";
	assert_null(router_match(&r, &req));
	req.method = M_POST;
	req.path = "/login-activity/count";
	assert_null(router_match(&r, &req));
	assert_int_equal(router_path_known(&r, "/login-activity/count"), 1);
	req_release(&req);
	router_release(&r);
}

static const struct authsvc_field fields[] = {
    {"client_id", AUTHSVC_FIELD_STRING, 1},
    {"n", AUTHSVC_FIELD_NUMBER, 0},
    {0},
};

static int validate(const char *body, bool open, int *status)
{
	struct authsvc_req req;
	bool ok;

	req_init(&req, NULL);
	req.body = json_loads(body, 0, NULL);
	ok = http_body_validate(&req, fields, open);
	*status = req.replied ? req.status : 0;
	if (req.replied) {
		json_t *e = json_object_get(req.reply, "error");

		assert_string_equal(json_string_value(json_object_get(e, "code")),
				    "VALIDATION_FAILED");
		assert_string_equal(json_string_value(json_object_get(e, "name")),
				    "UnprocessableEntityError");
	}
	req_release(&req);
	return ok;
}

static void test_validation(void **state)
{
	int st;

	(void)state;
	assert_true(validate("{\"client_id\":\"a\"}", false, &st));
	assert_true(validate("{\"client_id\":\"a\",\"n\":3}", false, &st));
	assert_false(validate("{}", false, &st));
	assert_int_equal(st, 422);
	assert_false(validate("{\"clientId\":\"a\"}", false, &st));
	assert_false(validate("{\"client_id\":1}", false, &st));
	assert_false(validate("{\"client_id\":\"a\",\"extra\":1}", false, &st));
	assert_true(validate("{\"client_id\":\"a\",\"extra\":1}", true, &st));
	assert_false(validate("{\"client_id\":\"a\",\"n\":\"3\"}", false, &st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match_and_params),
	    cmocka_unit_test(test_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

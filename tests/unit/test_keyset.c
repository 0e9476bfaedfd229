/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tokens/keyset: publishing a new keyset while requests hold the old one.
 * A request that took the old keyset keeps signing and verifying with it
 * until it puts it back; new requests get the new one; JWKS travels with
 * its keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tokens/jwt_codec.h"
#include "tokens/keyset.h"

static struct keyset *one_key_set(void)
{
	struct keyring ring;
	struct signing_key key;
	struct err err = {0};
	struct keyset *ks;

	assert_int_equal(keyring_init(&ring, JWT_KIND_ES256), 0);
	assert_int_equal(keyring_generate(JWT_KIND_ES256, &key, &err), 0);
	assert_int_equal(keyring_add_key(&ring, &key), 0);
	ks = keyset_new(&ring);
	assert_non_null(ks);
	assert_int_equal(ring.nkeys, 0); /* the keys moved into the set */
	keyring_release(&ring);
	return ks;
}

static const char *first_kid(const struct keyset *ks)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(ks->jwks, "keys"), 0), "kid"));
}

static void test_swap_while_a_request_holds_the_old_set(void **state)
{
	struct keys_live live;
	struct keyset *old_set, *held, *now;
	json_t *claims = json_pack("{s:s, s:I}", "sub", "u", "exp", (json_int_t)4000000000LL);
	struct err err = {0};
	char *token;

	(void)state;
	assert_int_equal(keys_live_init(&live), 0);
	assert_null(keys_live_get(&live));
	old_set = one_key_set();
	keys_live_set(&live, old_set);
	held = keys_live_get(&live); /* a request in flight */
	assert_ptr_equal(held, old_set);
	assert_string_equal(first_kid(held), held->ring.keys[0].kid);

	keys_live_set(&live, one_key_set()); /* the listener publishes new keys */
	now = keys_live_get(&live);
	assert_ptr_not_equal(now, held);
	assert_string_not_equal(now->ring.keys[0].kid, held->ring.keys[0].kid);

	/* the old set is still whole for the request that holds it */
	token = tokens_jwt_sign(&held->ring, claims, &err);
	assert_non_null(token);
	assert_int_equal(tokens_jwt_verify(&held->ring, token, NULL, NULL, 1000, 0, NULL),
			 TOKEN_OK);
	/* and the new set does not know its key */
	assert_int_equal(tokens_jwt_verify(&now->ring, token, NULL, NULL, 1000, 0, NULL),
			 TOKEN_INVALID);
	free(token);
	keyset_put(held); /* the last reference: freed here */
	keyset_put(now);
	keys_live_release(&live);
	json_decref(claims);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_swap_while_a_request_holds_the_old_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

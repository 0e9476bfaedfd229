/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: bearer tokens. bearer_from_header
 * (host/src/core/bearer.c) and tokens_jwt_verify
 * (host/src/tokens/jwt_codec.c) against an RS256 ring (a key generated once
 * at start), an HS256 ring (a fixed secret, so committed seeds can carry a
 * valid signature) and an ES256 ring; then bearer_authenticate on a fake
 * app around the HS256 ring.
 *
 * Byte 0 picks the mode:
 *   % 4 != 3  the rest is an Authorization header value, and also a bare
 *             token; every ring must refuse anything it did not sign;
 *   % 4 == 3  the rest is a claims object: it is signed (HS256 and ES256),
 *             verified (the result must follow from exp/nbf alone), then
 *             tampered with one flipped character, which must be refused,
 *             and run through bearer_authenticate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/app.h"
#include "core/bearer.h"
#include "tokens/jwt_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The HS256 seeds in tests/fuzz/bearer/ are signed with this secret. */
#define HS_SECRET   "fuzz-bearer-hs256-secret-0123456789abcdef"
#define ISSUER	    "authsvc-fuzz"
#define REVOKED_JTI "revoked-jti"

static struct config cfg;
static struct app app_rs, app_hs, app_es;

/* The app's published signing keys (the fuzzer is single-threaded, so
 * the current set stays put). */
static const struct keyring *ring_of(const struct app *app)
{
	return &app->keys.cur->ring;
}

static void app_setup(struct app *app, enum jwt_alg_kind alg)
{
	struct err err = {0};
	struct signing_key key;
	struct keyring ring;
	struct keyset *set;

	app->cfg = &cfg;
	if (keyring_init(&ring, alg) < 0 || revocations_init(&app->revoked) < 0 ||
	    keys_live_init(&app->keys) < 0)
		abort();
	if (revocations_add(&app->revoked, REVOKED_JTI, 4102444800LL) < 0)
		abort();
	if (alg == JWT_KIND_HS256) {
		if (keyring_set_hs_secret(&ring, (const unsigned char *)HS_SECRET,
					  strlen(HS_SECRET), &err) < 0)
			abort();
	} else {
		/* two keys: the signing one and an older one still trusted */
		for (int i = 0; i < 2; i++) {
			if (keyring_generate(alg, &key, &err) < 0 ||
			    keyring_add_key(&ring, &key) < 0)
				abort();
		}
	}
	set = keyset_new(&ring);
	keyring_release(&ring);
	if (set == NULL)
		abort();
	keys_live_set(&app->keys, set);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cfg.issuer = ISSUER;
	app_setup(&app_rs, JWT_KIND_RS256);
	app_setup(&app_hs, JWT_KIND_HS256);
	app_setup(&app_es, JWT_KIND_ES256);
	return 0;
}

static void check_from_header(const char *h)
{
	const char *t = bearer_from_header(h);

	if (t == NULL)
		return;
	if (strncasecmp(h, "bearer ", 7) != 0 || t < h + 7 || t > h + strlen(h))
		abort();
	if (*t == '\0' || *t == ' ')
		abort();
	for (const char *p = h + 7; p < t; p++)
		if (*p != ' ')
			abort();
}

/* Run the pipeline's bearer check; its answer must agree with a plain verify. */
static void authenticate(struct app *app, const char *header, long long now)
{
	struct authsvc_req req;
	struct kv hdr = {"Authorization", (char *)header};
	const char *t = bearer_from_header(header);
	bool ok;

	req_init(&req, app);
	req.headers = &hdr;
	req.nheaders = 1;
	ok = bearer_authenticate(&req);
	if (ok) {
		if (req.replied || !json_is_object(req.bearer) || req.bearer_token == NULL)
			abort();
		if (t == NULL || strcmp(req.bearer_token, t) != 0)
			abort();
		/* the clock may have ticked since, so allow an expired answer */
		if (tokens_jwt_verify(ring_of(app), t, ISSUER, "access", now, 0, NULL) ==
		    TOKEN_INVALID)
			abort();
	} else if (!req.replied || req.status != 401 || req.bearer != NULL) {
		abort();
	}
	req_release(&req);
}

/* Something nobody signed: every ring must refuse it. */
static void check_foreign(const char *token, long long now)
{
	struct app *apps[] = {&app_rs, &app_hs, &app_es};
	json_t *claims = (json_t *)1;

	for (size_t i = 0; i < 3; i++) {
		int rc = tokens_jwt_verify(ring_of(apps[i]), token, ISSUER, "access", now,
					   TOKENS_VERIFY_ALLOW_EXPIRED, &claims);

		if (apps[i] == &app_hs) /* the seeds may be validly signed: just no leak */
			json_decref(claims);
		else if (rc != TOKEN_INVALID || claims != NULL)
			abort();
		(void)tokens_jwt_verify(ring_of(apps[i]), token, NULL, NULL, now, 0, NULL);
	}
}

/* What verify must say for claims we signed: decided by exp and nbf alone. */
static int expected(const json_t *claims, long long now, unsigned flags)
{
	json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");

	if (!json_is_number(exp))
		return TOKEN_INVALID;
	if (nbf != NULL && (!json_is_number(nbf) || json_number_value(nbf) > (double)now))
		return TOKEN_INVALID;
	if (!(flags & TOKENS_VERIFY_ALLOW_EXPIRED) && json_number_value(exp) <= (double)now)
		return TOKEN_EXPIRED;
	return TOKEN_OK;
}

static void sign_and_verify(struct app *app, json_t *claims, size_t flip, long long now)
{
	struct err err = {0};
	char *token = tokens_jwt_sign(ring_of(app), claims, &err);
	json_t *out = NULL;
	size_t len;
	int rc;

	if (token == NULL) {
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	len = strlen(token);
	rc = tokens_jwt_verify(ring_of(app), token, NULL, NULL, now, TOKENS_VERIFY_ALLOW_EXPIRED,
			       &out);
	if (len <= TOKENS_JWT_MAX_LEN) {
		if (rc != expected(claims, now, TOKENS_VERIFY_ALLOW_EXPIRED))
			abort();
		if (rc == TOKEN_OK && !json_equal(out, claims))
			abort();
	} else if (rc != TOKEN_INVALID) {
		abort();
	}
	json_decref(out);
	if (len <= TOKENS_JWT_MAX_LEN && tokens_jwt_verify(ring_of(app), token, NULL, NULL, now, 0,
							   NULL) != expected(claims, now, 0))
		abort();

	if (app == &app_hs) {
		char *header = malloc(len + 8);

		if (header != NULL) {
			memcpy(header, "Bearer ", 7);
			memcpy(header + 7, token, len + 1);
			authenticate(app, header, now);
			free(header);
		}
	}

	/* one flipped character anywhere: refused (the encoding is canonical) */
	token[flip % len] ^= 1;
	if (tokens_jwt_verify(ring_of(app), token, NULL, NULL, now, TOKENS_VERIFY_ALLOW_EXPIRED,
			      NULL) != TOKEN_INVALID)
		abort();
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long now = (long long)time(NULL);
	char *s;

	if (size == 0)
		return 0;
	s = malloc(size); /* the rest plus a NUL */
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	if (data[0] % 4 != 3) {
		const char *t = bearer_from_header(s);

		check_from_header(s);
		if (t != NULL)
			check_foreign(t, now);
		check_foreign(s, now);
		authenticate(&app_hs, s, now);
		authenticate(&app_rs, s, now);
	} else {
		json_t *claims = json_loadb(s, size - 1, JSON_REJECT_DUPLICATES, NULL);

		if (json_is_object(claims)) {
			size_t flip = size > 1 ? data[size - 1] * 31u + size : 0;

			sign_and_verify(&app_hs, claims, flip, now);
			sign_and_verify(&app_es, claims, flip, now);
		}
		json_decref(claims);
	}
	free(s);
	return 0;
}

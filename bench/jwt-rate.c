/* SPDX-License-Identifier: Apache-2.0 */
/* jwt-rate: how many tokens per second tokens_jwt_sign and tokens_jwt_verify
 * manage on one core, next to raw OpenSSL and libjwt doing the same. Built
 * by CMake only with -DAUTHSVC_BENCH=ON (links authsvc_host and libjwt);
 * not part of the server, and nothing here fails on a timing.
 *
 *   jwt-rate [SECONDS]     each measurement runs SECONDS (default 1)
 *
 * Prints one "name: N ops/s" line per measurement, then the ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>

#include "tokens/jwt_codec.h"
#include "tokens/keyring.h"
#include "tokens/opaque.h"
#include "tokens/verified.h"

#define ISS	 "authsvc-bench"
#define NOW	 1700000000LL
#define DISTINCT (16 * VERIFIED_SLOTS) /* more than the per-thread memory */

static double run_for = 1.0;

static double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "jwt-rate: %s\n", what);
	exit(1);
}

static char *sign_n(const struct keyring *kr, int n)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:i}", "iss", ISS, "sub", "user-1",
			      "purpose", "access", "iat", (json_int_t)(NOW - 5), "exp",
			      (json_int_t)(NOW + 600), "jti", "abc123", "n", n);
	struct err err = {0};
	char *tok = c != NULL ? tokens_jwt_sign(kr, c, &err) : NULL;

	json_decref(c);
	if (tok == NULL)
		die("cannot sign");
	return tok;
}

static void verify_or_die(const struct keyring *kr, const char *tok)
{
	if (tokens_jwt_verify(kr, tok, ISS, "access", NOW, 0, NULL) != TOKEN_OK)
		die("a token did not verify");
}

/* Run one(kr, arg, i) in batches until run_for seconds passed: ops/s. */
static double rate(void (*one)(const struct keyring *, void *, int), const struct keyring *kr,
		   void *arg)
{
	double t0 = seconds_now(), dt;
	long n = 0;

	do {
		for (int i = 0; i < 20; i++)
			one(kr, arg, (int)(n + i));
		n += 20;
		dt = seconds_now() - t0;
	} while (dt < run_for);
	return (double)n / dt;
}

static void verify_many(const struct keyring *kr, void *arg, int i)
{
	char **many = arg;

	verify_or_die(kr, many[i % DISTINCT]);
}

static void verify_same(const struct keyring *kr, void *arg, int i)
{
	(void)i;
	verify_or_die(kr, arg);
}

static void sign_ours(const struct keyring *kr, void *arg, int i)
{
	json_t *claims = arg;
	struct err err = {0};

	(void)i;
	free(tokens_jwt_sign(kr, claims, &err));
}

static void sign_libjwt(const struct keyring *kr, void *arg, int i)
{
	const struct signing_key *k = &kr->keys[0];
	jwt_t *jwt = NULL;

	(void)arg;
	(void)i;
	if (jwt_new(&jwt) != 0 || jwt_add_grant(jwt, "sub", "user-1") != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_RS256, (unsigned char *)k->private_pem,
			(int)k->private_pem_len) != 0)
		die("libjwt refused the key");
	free(jwt_encode_str(jwt));
	jwt_free(jwt);
}

struct raw {
	const char *tok;
	size_t input_len;
	unsigned char sig[512];
	size_t siglen;
};

static void verify_raw(const struct keyring *kr, void *arg, int i)
{
	struct raw *r = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	(void)i;
	if (ctx == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, kr->keys[0].pkey) != 1 ||
	    EVP_DigestVerify(ctx, r->sig, r->siglen, (const unsigned char *)r->tok, r->input_len) !=
		1)
		die("raw RS256 verify failed");
	EVP_MD_CTX_free(ctx);
}

static void bench_verify(const struct keyring *kr, const char *name)
{
	char *many[DISTINCT], *tok = sign_n(kr, -1);
	double first, repeat;

	for (int i = 0; i < DISTINCT; i++)
		many[i] = sign_n(kr, i);
	first = rate(verify_many, kr, many);
	repeat = rate(verify_same, kr, tok);
	printf("tokens_jwt_verify %s, first sight: %.0f ops/s\n", name, first);
	printf("tokens_jwt_verify %s, repeated token: %.0f ops/s (%.1fx first sight)\n", name,
	       repeat, repeat / first);
	if (kr->alg == JWT_KIND_RS256) {
		const char *dot = strrchr(tok, '.');
		struct raw r = {.tok = tok, .input_len = (size_t)(dot - tok)};
		double raw;

		if (tokens_b64url_decode(dot + 1, strlen(dot + 1), r.sig, sizeof(r.sig),
					 &r.siglen) < 0)
			die("cannot decode our own signature");
		raw = rate(verify_raw, kr, &r);
		printf("raw EVP_DigestVerify RS256 (cached EVP_PKEY): %.0f ops/s "
		       "(first sight is %.2fx of it)\n",
		       raw, first / raw);
	}
	for (int i = 0; i < DISTINCT; i++)
		free(many[i]);
	free(tok);
}

static void bench_sign(const struct keyring *kr)
{
	json_t *claims = json_pack("{s:s, s:s, s:I}", "iss", ISS, "sub", "user-1", "exp",
				   (json_int_t)(NOW + 600));
	double ours, theirs;

	if (claims == NULL)
		die("out of memory");
	ours = rate(sign_ours, kr, claims);
	theirs = rate(sign_libjwt, kr, NULL);
	printf("tokens_jwt_sign RS256 (cached EVP_PKEY): %.0f ops/s\n", ours);
	printf("libjwt jwt_encode_str RS256 (PEM read per call): %.0f ops/s "
	       "(ours is %.1fx)\n",
	       theirs, ours / theirs);
	json_decref(claims);
}

int main(int argc, char **argv)
{
	static const unsigned char hs_secret[] = "0123456789abcdef0123456789abcdef-hs-secret";
	struct keyring rs, es, hs;
	struct signing_key k;
	struct err err = {0};
	char *end = NULL;

	if (argc == 2)
		run_for = strtod(argv[1], &end);
	if (argc > 2 || (argc == 2 && (end == argv[1] || *end != '\0' || run_for <= 0))) {
		fprintf(stderr, "usage: jwt-rate [SECONDS]\n");
		return 2;
	}
	if (keyring_init(&rs, JWT_KIND_RS256) < 0 || keyring_init(&es, JWT_KIND_ES256) < 0 ||
	    keyring_init(&hs, JWT_KIND_HS256) < 0 ||
	    keyring_generate(JWT_KIND_RS256, &k, &err) < 0 || keyring_add_key(&rs, &k) < 0 ||
	    keyring_generate(JWT_KIND_ES256, &k, &err) < 0 || keyring_add_key(&es, &k) < 0 ||
	    keyring_set_hs_secret(&hs, hs_secret, sizeof(hs_secret) - 1, &err) < 0)
		die("cannot make the keys");
	bench_verify(&rs, "RS256");
	bench_verify(&es, "ES256");
	bench_verify(&hs, "HS256");
	bench_sign(&rs);
	keyring_release(&rs);
	keyring_release(&es);
	keyring_release(&hs);
	return 0;
}

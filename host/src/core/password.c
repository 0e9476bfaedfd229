/* SPDX-License-Identifier: Apache-2.0 */
#include "core/password.h"

#include <ctype.h>
#include <errno.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config/config.h"

#define SALT_LEN 16
#define TAG_LEN	 32
/* A stored argon2 hash asking for more than this is refused as malformed,
 * so one bad row cannot make a worker allocate without bound. */
#define VERIFY_MAX_M_KIB (4u * 1024 * 1024)
#define VERIFY_MAX_T	 1000u
#define VERIFY_MAX_P	 255u

static struct {
	bool ready;
	uint32_t t_cost, m_cost, lanes;
	sem_t slots;
} pw;

struct argon2_params {
	argon2_type type;
	uint32_t version, m, t, p;
};

static void slot_take(void)
{
	while (sem_wait(&pw.slots) < 0 && errno == EINTR)
		;
}

static void slot_give(void)
{
	sem_post(&pw.slots);
}

int password_init(const struct password_policy *policy, struct err *err)
{
	long cpus;
	int slots = policy->hash_concurrency;

	if (policy->argon2_t_cost < ARGON2_MIN_TIME || policy->argon2_t_cost > VERIFY_MAX_T)
		return err_set(err, 0, "password.argon2_t_cost: must be 1..%u", VERIFY_MAX_T);
	if (policy->argon2_parallelism < 1 || policy->argon2_parallelism > VERIFY_MAX_P)
		return err_set(err, 0, "password.argon2_parallelism: must be 1..%u", VERIFY_MAX_P);
	if (policy->argon2_m_cost_kib < 8 * policy->argon2_parallelism ||
	    policy->argon2_m_cost_kib > VERIFY_MAX_M_KIB)
		return err_set(err, 0, "password.argon2_m_cost_kib: must be %u..%u",
			       8 * policy->argon2_parallelism, VERIFY_MAX_M_KIB);
	if (slots <= 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		slots = cpus > 0 ? (cpus > 1024 ? 1024 : (int)cpus) : 1;
	}
	if (pw.ready) {
		sem_destroy(&pw.slots);
		pw.ready = false;
	}
	if (sem_init(&pw.slots, 0, (unsigned int)slots) < 0)
		return err_set(err, 0, "password: cannot create the hashing semaphore");
	pw.t_cost = policy->argon2_t_cost;
	pw.m_cost = policy->argon2_m_cost_kib;
	pw.lanes = policy->argon2_parallelism;
	pw.ready = true;
	return 0;
}

int password_hash(const char *password, char *out, size_t outsz, struct err *err)
{
	unsigned char salt[SALT_LEN];
	int rc;

	if (outsz > 0)
		out[0] = '\0';
	if (!pw.ready)
		return err_set(err, 500, "password hashing not initialised");
	if (password == NULL)
		return err_set(err, 400, "no password");
	if (outsz < argon2_encodedlen(pw.t_cost, pw.m_cost, pw.lanes, SALT_LEN, TAG_LEN, Argon2_id))
		return err_set(err, 500, "password hash buffer too small");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return err_set(err, 500, "no random bytes for the salt");
	slot_take();
	rc = argon2id_hash_encoded(pw.t_cost, pw.m_cost, pw.lanes, password, strlen(password), salt,
				   sizeof(salt), TAG_LEN, out, outsz);
	slot_give();
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		out[0] = '\0';
		return err_set(err, 500, "password hashing failed: %s", argon2_error_message(rc));
	}
	return 0;
}

/* Read a decimal uint32 at *s up to the next non-digit; advance *s. */
static int parse_u32(const char **s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)**s))
		return -1;
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno != 0 || v > max)
		return -1;
	*out = (uint32_t)v;
	*s = end;
	return 0;
}

static int expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return -1;
	*s += n;
	return 0;
}

/* "$argon2id$v=19$m=65536,t=3,p=1$..." (v= may be missing in old hashes). */
static int argon2_parse(const char *s, struct argon2_params *p)
{
	if (expect(&s, "$argon2id$") == 0)
		p->type = Argon2_id;
	else if (expect(&s, "$argon2i$") == 0)
		p->type = Argon2_i;
	else
		return -1;
	p->version = ARGON2_VERSION_10;
	if (expect(&s, "v=") == 0 && (parse_u32(&s, 0xff, &p->version) < 0 || expect(&s, "$") < 0))
		return -1;
	if (expect(&s, "m=") < 0 || parse_u32(&s, VERIFY_MAX_M_KIB, &p->m) < 0 ||
	    expect(&s, ",t=") < 0 || parse_u32(&s, VERIFY_MAX_T, &p->t) < 0 ||
	    expect(&s, ",p=") < 0 || parse_u32(&s, VERIFY_MAX_P, &p->p) < 0 || expect(&s, "$") < 0)
		return -1;
	return 0;
}

static int verify_argon2(const char *password, const char *stored, bool *needs_rehash)
{
	struct argon2_params p;
	int rc;

	if (argon2_parse(stored, &p) < 0)
		return 0;
	slot_take();
	if (p.type == Argon2_id)
		rc = argon2id_verify(stored, password, strlen(password));
	else
		rc = argon2i_verify(stored, password, strlen(password));
	slot_give();
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL)
		return -1;
	if (rc != ARGON2_OK)
		return 0; /* mismatch, or a hash libargon2 cannot decode */
	*needs_rehash = p.type != Argon2_id || p.version != ARGON2_VERSION_NUMBER ||
			p.m != pw.m_cost || p.t != pw.t_cost || p.p != pw.lanes;
	return 1;
}

static int verify_bcrypt(const char *password, const char *stored, bool *needs_rehash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd)); /* ~32 KiB: not on a worker's stack */
	const char *out;
	size_t len = strlen(stored);
	int match = 0;

	if (cd == NULL)
		return -1;
	slot_take();
	out = crypt_rn(password, stored, cd, sizeof(*cd));
	slot_give();
	/* NULL or a "*..." failure token: a malformed setting, never a match */
	if (out != NULL && out[0] == '$' && strlen(out) == len)
		match = CRYPTO_memcmp(out, stored, len) == 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	if (match)
		*needs_rehash = true;
	return match;
}

int password_verify(const char *password, const char *stored, bool *needs_rehash)
{
	bool dummy;

	if (needs_rehash == NULL)
		needs_rehash = &dummy;
	*needs_rehash = false;
	if (!pw.ready || password == NULL)
		return -1;
	if (stored == NULL || stored[0] == '\0')
		return 0;
	if (strncmp(stored, "$argon2", 7) == 0)
		return verify_argon2(password, stored, needs_rehash);
	if (strncmp(stored, "$2a$", 4) == 0 || strncmp(stored, "$2b$", 4) == 0 ||
	    strncmp(stored, "$2y$", 4) == 0)
		return verify_bcrypt(password, stored, needs_rehash);
	return 0;
}

/*
 * Verifying an argon2id hash is hashing the password again with the stored
 * salt and cost, then comparing: so this hashes with the configured cost and
 * a fixed salt, then compares with a fixed tag. Nothing is computed at
 * start-up (a dummy hash made there cost one full hash before the server
 * could listen).
 */
void password_verify_dummy(const char *password)
{
	static const unsigned char salt[SALT_LEN] = "authsvc-dummy-s";
	static const unsigned char expected[TAG_LEN] = {0};
	unsigned char tag[TAG_LEN];
	const char *p = password != NULL ? password : "";

	if (!pw.ready)
		return;
	slot_take();
	if (argon2id_hash_raw(pw.t_cost, pw.m_cost, pw.lanes, p, strlen(p), salt, sizeof(salt), tag,
			      sizeof(tag)) == ARGON2_OK)
		(void)CRYPTO_memcmp(tag, expected, sizeof(tag));
	slot_give();
	OPENSSL_cleanse(tag, sizeof(tag));
}

static bool has_letter_and_digit(const char *s)
{
	bool letter = false, digit = false;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digit = true;
		else if (isalpha((unsigned char)*s) || (unsigned char)*s >= 0x80)
			letter = true; /* bytes of a UTF-8 sequence count as letters */
	}
	return letter && digit;
}

int password_policy_check(const struct password_policy *policy, const char *username,
			  const char *password, struct err *err)
{
	size_t len;

	if (password == NULL || password[0] == '\0')
		return err_set(err, 400, "Password is required");
	len = strlen(password);
	if (policy->min_length > 0 && len < (size_t)policy->min_length)
		return err_set(err, 400, "Password must be at least %d characters",
			       policy->min_length);
	if (policy->max_length > 0 && len > (size_t)policy->max_length)
		return err_set(err, 400, "Password must be at most %d characters",
			       policy->max_length);
	if (policy->require_mixed && !has_letter_and_digit(password))
		return err_set(err, 400, "Password must contain at least one letter and one digit");
	if (policy->forbid_username && username != NULL && strcasecmp(password, username) == 0)
		return err_set(err, 400, "Password must not be the same as the username");
	return 0;
}

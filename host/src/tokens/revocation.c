/* SPDX-License-Identifier: Apache-2.0 */
#include "tokens/revocation.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "util/hex.h"

/* 24 bytes a revoked token: the jti as 16 bytes (ours are 32 hex digits of
 * random bytes; any other jti by its SHA-256, cut to 16 bytes) and its exp
 * (0: empty slot). */
struct rev_entry {
	unsigned char key[16];
	int64_t exp;
};

static void jti_key(const char *jti, unsigned char key[16])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	/* lowercase only: one spelling per key, as we issue them */
	if (strnlen(jti, 33) == 32 && hex_decode(jti, 32, key, 16, HEX_LOWER_ONLY) == 16)
		return;
	SHA256((const unsigned char *)jti, strlen(jti), md);
	memcpy(key, md, 16);
}

static uint64_t key_hash(const unsigned char key[16])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h)); /* random bytes already */
	return h;
}

int revocations_init(struct revocations *r)
{
	memset(r, 0, sizeof(*r));
	r->wake[0] = r->wake[1] = -1;
	r->listen = r->snapshots = true;
	if (pthread_rwlock_init(&r->lock, NULL) != 0)
		return -1;
	r->cap = 1024;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	return r->slots != NULL ? 0 : -1;
}

void revocations_release(struct revocations *r)
{
	free(r->slots);
	pthread_rwlock_destroy(&r->lock);
	r->slots = NULL;
}

static struct rev_entry *slot_find(struct rev_entry *slots, size_t cap, const unsigned char key[16])
{
	size_t i = key_hash(key) & (cap - 1);

	for (;;) {
		if (slots[i].exp == 0 || memcmp(slots[i].key, key, 16) == 0)
			return &slots[i];
		i = (i + 1) & (cap - 1);
	}
}

/* Rebuild into a table sized for the live entries (at most half full);
 * drops expired ones. Write lock held. The table is rebuilt when it is two
 * thirds full: linear probing stays short (about five slots for a token
 * that is not there, the common case) and a slot costs 24 bytes, so the
 * set takes 36-72 bytes per live revocation. */
static int rebuild(struct revocations *r, int64_t now)
{
	size_t live = 0, cap = 1024;
	struct rev_entry *ns;

	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].exp > now)
			live++;
	while (cap < live * 2)
		cap *= 2;
	ns = calloc(cap, sizeof(*ns));
	if (ns == NULL)
		return -1;
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].exp > now)
			*slot_find(ns, cap, r->slots[i].key) = r->slots[i];
	free(r->slots);
	r->slots = ns;
	r->cap = cap;
	r->used = live;
	return 0;
}

int revocations_add(struct revocations *r, const char *jti, int64_t exp)
{
	struct rev_entry *e;
	unsigned char key[16];
	int rc = 0;

	if (strlen(jti) == 0 || strlen(jti) > 64)
		return -1;
	if (exp <= 0) /* long expired: nothing to refuse */
		return 0;
	jti_key(jti, key);
	pthread_rwlock_wrlock(&r->lock);
	if ((r->used + 1) * 3 > r->cap * 2 && rebuild(r, (int64_t)time(NULL)) < 0) {
		rc = -1;
		goto out;
	}
	e = slot_find(r->slots, r->cap, key);
	if (e->exp == 0) {
		memcpy(e->key, key, 16);
		r->used++;
	}
	if (exp > e->exp)
		e->exp = exp;
out:
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

bool revocations_contains(struct revocations *r, const char *jti, int64_t now)
{
	struct rev_entry *e;
	unsigned char key[16];
	bool hit;

	if (strlen(jti) > 64)
		return false;
	jti_key(jti, key);
	pthread_rwlock_rdlock(&r->lock);
	e = slot_find(r->slots, r->cap, key);
	hit = e->exp > now;
	pthread_rwlock_unlock(&r->lock);
	return hit;
}

size_t revocations_count(struct revocations *r)
{
	size_t n;

	pthread_rwlock_rdlock(&r->lock);
	n = r->used;
	pthread_rwlock_unlock(&r->lock);
	return n;
}

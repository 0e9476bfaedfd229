/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The signing keys a running server uses, replaceable while it runs: a
 * keyring (tokens/keyring.h) and its JWKS body, published together as one
 * reference-counted, read-only keyset.
 *
 * A request takes the current keyset (keys_live_get), signs or verifies
 * with it and puts it back (keyset_put); the key listener (app/keys_sync.c)
 * builds a new keyring off to the side and publishes it (keys_live_set).
 * A request that took the old keyset finishes with it; the old one is
 * freed when its last user puts it back. Every function is thread-safe;
 * the lock is held only to swap or copy one pointer.
 */
#ifndef AUTHSVC_TOKENS_KEYSET_H
#define AUTHSVC_TOKENS_KEYSET_H

#include <pthread.h>

#include <jansson.h>

#include "tokens/keyring.h"

struct keyset {
	_Atomic long refs;
	struct keyring ring;
	json_t *jwks; /* {"keys":[...]} of ring, built once */
};

struct keys_live {
	pthread_mutex_t lock;
	struct keyset *cur; /* NULL until the first keys_live_set */
};

/* A keyset owning *ring's keys (the caller's ring is left empty), with
 * refs 1 and its JWKS built. NULL when out of memory (ring untouched). */
struct keyset *keyset_new(struct keyring *ring);
/* Drop one reference; the last frees the keys (wiped) and the JWKS. NULL is fine. */
void keyset_put(struct keyset *ks);

int keys_live_init(struct keys_live *live);
/* Publish ks (its reference passes to live) and drop the previous one. */
void keys_live_set(struct keys_live *live, struct keyset *ks);
/* The current keyset with a reference the caller puts back, or NULL
 * before the first keys_live_set. */
struct keyset *keys_live_get(struct keys_live *live);
/* Drop the current keyset and the lock. */
void keys_live_release(struct keys_live *live);

#endif

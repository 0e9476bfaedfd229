/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A request arena: allocations freed together, plus cleanup callbacks
 * (nginx pool). Not thread-safe; one owner at a time (the loop thread
 * before and after a request runs, its worker while it runs).
 */
#ifndef AUTHSVC_UTIL_ARENA_H
#define AUTHSVC_UTIL_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	struct arena_cleanup *cleanups;
};

struct arena_cleanup {
	void (*fn)(void *);
	void *arg;
	struct arena_cleanup *next;
};

/* Zeroed memory, or NULL when out of memory or n is absurd (> 64 MiB). */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Run fn(arg) when the arena is released (LIFO). 0 or -1. */
int arena_add_cleanup(struct arena *a, void (*fn)(void *), void *arg);
void arena_release(struct arena *a);

#endif

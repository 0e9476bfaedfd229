/* SPDX-License-Identifier: Apache-2.0 */
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	/* data follows, max_align_t aligned */
	_Alignas(max_align_t) unsigned char data[];
};

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = calloc(1, sizeof(*b) + size);

	if (b != NULL)
		b->size = size;
	return b;
}

/* Bump allocation from 4 KiB blocks (calloc'd, so memory comes zeroed);
 * requests over a quarter block get a block of their own. */
void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b;

	if (n > (64u << 20))
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	b = a->head;
	if (b != NULL && b->size - b->used >= n) {
		void *p = b->data + b->used;

		b->used += n;
		return p;
	}
	if (n > ARENA_BLOCK / 4) {
		b = block_new(n);
		if (b == NULL)
			return NULL;
		b->used = n;
		if (a->head != NULL) { /* keep the current block's free space in front */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			a->head = b;
		}
		return b->data;
	}
	b = block_new(ARENA_BLOCK);
	if (b == NULL)
		return NULL;
	b->next = a->head;
	a->head = b;
	b->used = n;
	return b->data;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s != NULL ? arena_strndup(a, s, strlen(s)) : NULL;
}

int arena_add_cleanup(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	if (c == NULL)
		return -1;
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

void arena_release(struct arena *a)
{
	struct arena_block *b, *next;

	for (struct arena_cleanup *c = a->cleanups; c != NULL; c = c->next)
		c->fn(c->arg);
	a->cleanups = NULL;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	size_t size;
	/* data follows, max_align_t aligned */
	_Alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b;

	if (n > (64u << 20))
		return NULL;
	b = calloc(1, sizeof(*b) + n);
	if (b == NULL)
		return NULL;
	b->size = n;
	b->next = a->head;
	a->head = b;
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

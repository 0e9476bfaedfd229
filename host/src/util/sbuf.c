/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capped growable string of sbuf.h: doubling growth up to the cap,
 * one sticky failure flag, optional cleansing of the memory it gives back.
 */
#include "util/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define SBUF_FIRST_ALLOC 64

static size_t cap_of(const struct sbuf *sb)
{
	return sb->max != 0 ? sb->max : SBUF_MAX_DEFAULT;
}

static int fail(struct sbuf *sb)
{
	sb->failed = true;
	return -1;
}

void sbuf_init(struct sbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void sbuf_init_wipe(struct sbuf *sb, size_t max)
{
	sbuf_init(sb, max);
	sb->wipe = true;
}

/* A block of want bytes holding the text so far: realloc, or with wipe a
 * fresh block so the old one can be cleansed before it is freed. */
static char *regrow(struct sbuf *sb, size_t want)
{
	char *p;

	if (!sb->wipe || sb->buf == NULL)
		return realloc(sb->buf, want);
	p = malloc(want);
	if (p == NULL)
		return NULL;
	memcpy(p, sb->buf, sb->len + 1);
	OPENSSL_cleanse(sb->buf, sb->alloc);
	free(sb->buf);
	return p;
}

int sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t cap = cap_of(sb), need, want;
	char *p;

	if (sb->failed)
		return -1;
	if (extra > cap || sb->len > cap - extra)
		return fail(sb);
	need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return 0;
	want = sb->alloc != 0 ? sb->alloc : SBUF_FIRST_ALLOC;
	while (want < need)
		want = want > (cap + 1) / 2 ? cap + 1 : want * 2;
	if (want > cap + 1)
		want = cap + 1;
	p = regrow(sb, want);
	if (p == NULL)
		return fail(sb);
	if (sb->buf == NULL)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = want;
	return 0;
}

void sbuf_setlen(struct sbuf *sb, size_t len)
{
	if (sb->buf == NULL || len >= sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

int sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	if (sbuf_grow(sb, len) < 0)
		return -1;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_addstr(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, char c)
{
	return sbuf_add(sb, &c, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (sb->failed)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || sbuf_grow(sb, (size_t)n) < 0)
		return fail(sb);
	vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sbuf_str(const struct sbuf *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

bool sbuf_failed(const struct sbuf *sb)
{
	return sb->failed;
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *p = sb->buf;
	size_t n = sb->len;

	if (sb->failed) {
		sbuf_release(sb);
		return NULL;
	}
	if (p == NULL)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	if (len != NULL)
		*len = p != NULL ? n : 0;
	return p;
}

void sbuf_reset(struct sbuf *sb)
{
	if (sb->buf != NULL) {
		if (sb->wipe)
			OPENSSL_cleanse(sb->buf, sb->alloc);
		sb->buf[0] = '\0';
	}
	sb->len = 0;
	sb->failed = false;
}

void sbuf_release(struct sbuf *sb)
{
	sbuf_reset(sb);
	free(sb->buf);
	sb->buf = NULL;
	sb->alloc = 0;
}

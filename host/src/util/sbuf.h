/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct sbuf: a growable, NUL-terminated string with a hard cap on its
 * length (the shape of git's strbuf, the cap of curl's dynbuf).
 *
 * Not called strbuf: libconfig exports strbuf_append() and strbuf_release()
 * from its shared library, and a host function of the same name would
 * replace libconfig's own at run time (ELF interposition).
 *
 * Initialisation: `struct sbuf sb = SBUF_INIT(max);` or sbuf_init().
 * max is the longest text the buffer may ever hold, NUL not counted; a
 * zeroed struct sbuf is a valid empty buffer with the cap
 * SBUF_MAX_DEFAULT. Nothing is allocated until the first append.
 *
 * Ownership: the buffer owns sb->buf until sbuf_detach() hands it to the
 * caller (who free()s it) or sbuf_release() frees it. sb->buf is NULL
 * until something was appended: read the text with sbuf_str(), which is
 * never NULL. A struct sbuf belongs to one thread at a time.
 *
 * Sticky failure: an append that would pass the cap, or that runs out of
 * memory, appends nothing and marks the buffer failed. From then on every
 * append does nothing and returns -1, so a sequence of appends can be
 * checked once at the end (sbuf_failed() or sbuf_detach() returning
 * NULL) without ever producing a silently cut string. sbuf_reset() and
 * sbuf_release() clear the failure.
 *
 * Secrets: with sb->wipe set (sbuf_init_wipe(), before the first append)
 * every byte the buffer leaves behind is cleansed: the old block when it
 * grows, the text on sbuf_reset() and sbuf_release(). Text handed out
 * by sbuf_detach() is the caller's to cleanse.
 */
#ifndef AUTHSVC_UTIL_SBUF_H
#define AUTHSVC_UTIL_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The cap of a zeroed struct sbuf (max == 0). */
#define SBUF_MAX_DEFAULT (1024 * 1024)

struct sbuf {
	char *buf;    /* the text, NUL-terminated; NULL before the first append */
	size_t len;   /* bytes of text, NUL not counted */
	size_t alloc; /* bytes allocated at buf */
	size_t max;   /* the cap on len; 0 means SBUF_MAX_DEFAULT */
	bool failed;  /* an append failed: see "Sticky failure" above */
	bool wipe;    /* cleanse memory given back: see "Secrets" above */
};

#define SBUF_INIT(cap)                                                                             \
	{                                                                                          \
		NULL, 0, 0, (cap), false, false                                                    \
	}

/* An empty buffer holding at most max bytes of text. */
void sbuf_init(struct sbuf *sb, size_t max);
/* The same, for text that must not linger in freed memory. */
void sbuf_init_wipe(struct sbuf *sb, size_t max);

/*
 * Make room for extra more bytes (and the NUL) without changing the text:
 * 0, or -1 (and failed) when len + extra would pass the cap or memory runs
 * out. Use it to size a buffer once before many appends, or to write into
 * sb->buf + sb->len directly and then call sbuf_setlen().
 */
int sbuf_grow(struct sbuf *sb, size_t extra);
/* Set the length to len (at most what sbuf_grow made room for) and write
 * the NUL there: after writing into the room, or to cut the text shorter. */
void sbuf_setlen(struct sbuf *sb, size_t len);

/* Append data[0..len) (may hold NUL bytes), a string, one character, or
 * printf-style text. 0, or -1 when the buffer is or becomes failed. */
int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_addstr(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, char c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The text so far ("" when empty), borrowed: valid until the next append,
 * reset or release. After a failure it is what was there before. */
const char *sbuf_str(const struct sbuf *sb);
/* Whether an append has failed since the last reset. */
bool sbuf_failed(const struct sbuf *sb);

/*
 * Hand the text over: a malloc'd string the caller frees (an empty one when
 * nothing was appended), with its length in *len when len is not NULL; or
 * NULL when the buffer failed (its memory is then freed) or out of memory.
 * Either way the buffer is left empty, not failed, with its cap and wipe.
 */
char *sbuf_detach(struct sbuf *sb, size_t *len);
/* Empty the text and clear the failure; the memory is kept for reuse. */
void sbuf_reset(struct sbuf *sb);
/* Free the memory; the buffer is left empty, not failed, with its cap and
 * wipe, and may be used again. */
void sbuf_release(struct sbuf *sb);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the request stream state machine the body guard runs
 * (host/src/http/stream.c: heads, Content-Length and chunked bodies,
 * trailers, pipelined requests).
 *
 * The first input byte picks the limits (max_body 0, 10 or 4096; max_head
 * 16, 100 or 8192), the second seeds how the rest is cut into pieces. The
 * rest is fed once whole and once in pieces of 1 to 17 bytes, each from an
 * exactly sized copy so ASan sees an over-read. Both runs must agree on
 * the refusal (status, message, the byte that decided it, the bytes of the
 * refused request so far) and on how many heads were passed on; a refusal
 * must be 400, 413 or 431 with a message, and stick; the head buffer never
 * passes max_head. Any crash, over-read or disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	int rc;
	size_t at; /* the deciding byte's end offset, or size */
	unsigned long heads;
	unsigned long long seen;
	const char *msg;
};

static int feed_copy(struct http_stream *s, const uint8_t *p, size_t n, size_t *used)
{
	char *copy = malloc(n ? n : 1);
	int rc;

	if (copy == NULL)
		abort();
	memcpy(copy, p, n);
	rc = http_stream_feed(s, copy, n, used);
	free(copy);
	if (*used > n || (rc == 0 && *used != n) || s->head_len > s->max_head ||
	    s->head_cap > s->max_head)
		abort();
	if (rc != 0 && ((rc != 400 && rc != 413 && rc != 431) || s->msg == NULL || !s->msg[0]))
		abort();
	return rc;
}

static struct run run(const uint8_t *p, size_t n, size_t max_body, size_t max_head, unsigned seed)
{
	struct http_stream s;
	struct run r = {0, n, 0, 0, NULL};
	size_t off = 0, used;

	http_stream_init(&s, max_body, max_head);
	while (off < n) {
		size_t piece = seed == 0 ? n - off : 1 + (seed = seed * 1103515245u + 12345u) % 17;

		if (piece > n - off)
			piece = n - off;
		r.rc = feed_copy(&s, p + off, piece, &used);
		if (r.rc != 0) {
			r.at = off + used;
			/* a refusal sticks and takes nothing more */
			if (http_stream_feed(&s, (const char *)p, n, &used) != r.rc || used != 0)
				abort();
			break;
		}
		off += piece;
	}
	r.heads = s.heads;
	r.seen = s.seen;
	r.msg = s.msg;
	http_stream_release(&s);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bodies[] = {0, 10, 4096}, heads[] = {16, 100, 8192};
	struct run whole, pieces;

	if (size < 2)
		return 0;
	size_t max_body = bodies[data[0] % 3], max_head = heads[(data[0] / 3) % 3];
	unsigned seed = (unsigned)data[1] | 1u;

	whole = run(data + 2, size - 2, max_body, max_head, 0);
	pieces = run(data + 2, size - 2, max_body, max_head, seed);
	if (whole.rc != pieces.rc || whole.at != pieces.at || whole.heads != pieces.heads)
		abort();
	if (whole.rc != 0 && (whole.seen != pieces.seen || strcmp(whole.msg, pieces.msg) != 0))
		abort();
	if (whole.rc != 0 && whole.seen > whole.at)
		abort();
	return 0;
}

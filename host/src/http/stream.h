/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Following a connection's request stream byte by byte, as evhttp will
 * frame it, to refuse a request with the JSON envelope before evhttp
 * parses it (the body guard, guard.h).
 *
 * The stream is a sequence of requests: a head (request line, header
 * lines, an empty line; bare LF accepted as evhttp accepts it), then a
 * body framed by Content-Length or chunked transfer coding, only for the
 * methods evhttp reads a body for (POST, PUT, PATCH). A complete head is
 * checked with http_framing_check (framing.h) on its fields as evhttp
 * would keep them, and its request line must be `token SP target SP
 * HTTP/1.0|1.1`. A chunked body goes through a small state machine:
 * 1*HEXDIG, then optionally SP *(SP/HTAB) ";" extension up to the line
 * end (evhttp refuses an extension without the space), CRLF, data, CRLF,
 * ..., the last chunk 0, trailer lines, an empty line.
 *
 * Refusals: 400 for a malformed request line, header field, framing or
 * chunk; 413 when the declared Content-Length or the chunk sizes declared
 * so far pass max_body (a declared Content-Length is refused whatever the
 * method); 431 when a head or trailer section is longer than
 * max_head. Every line is bounded by those limits (a chunk size line by
 * 1024 bytes). After a refusal the stream stays refused.
 *
 * The head buffer is malloc'ed up to max_head bytes; http_stream_release
 * frees it. No logging, any thread (one stream per connection).
 */
#ifndef AUTHSVC_HTTP_STREAM_H
#define AUTHSVC_HTTP_STREAM_H

#include <stddef.h>

enum stream_state {
	ST_HEAD,
	ST_BODY,
	ST_CHUNK_SIZE,
	ST_CHUNK_BWS,
	ST_CHUNK_EXT,
	ST_CHUNK_SIZE_LF,
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_CR,
	ST_CHUNK_DATA_LF,
	ST_TRAILER,
	ST_REFUSED,
};

struct http_stream {
	size_t max_body, max_head;
	enum stream_state state;
	char *head;		   /* the head so far (ST_HEAD) */
	size_t head_len, head_cap; /* head_cap: allocated, at most max_head */
	int newlines;		   /* line ends in a row (CR ignored) */
	unsigned long long left;   /* body or chunk bytes still to come */
	unsigned long long total;  /* chunk sizes declared so far */
	unsigned long long size;   /* the chunk size being read */
	size_t line;		   /* bytes of the current size or trailer line */
	size_t trailer;		   /* bytes of the trailer section */
	int line_colon;		   /* the trailer line has had its colon */
	unsigned long long seen;   /* bytes of the current request so far */
	unsigned long heads;	   /* complete heads passed on so far */
	int passed;		   /* the current request's head was passed on */
	int status;		   /* the refusal: 400, 413 or 431 */
	const char *msg;	   /* its client-safe message */
};

void http_stream_init(struct http_stream *s, size_t max_body, size_t max_head);
void http_stream_release(struct http_stream *s);

/* Feed p[0..n). Returns 0 when all of it was taken, or the refusal status
 * (s->status, s->msg set) with *used the bytes taken up to and including
 * the one that decided it (s->seen then counts the refused request's bytes
 * so far, that one included). Once refused, every call returns the status
 * with *used 0. */
int http_stream_feed(struct http_stream *s, const char *p, size_t n, size_t *used);

/* The head check alone, for a complete head h[0..len) (ending with its
 * empty line): 0, or 400 with *msg. *body_out gets how the body is framed
 * (-1 chunked, else the declared length, 0 for none) and *reads_body_out
 * whether evhttp reads one for this method. h is modified (NUL-terminated
 * pieces). */
int http_stream_check_head(char *h, size_t len, long long *body_out, int *reads_body_out,
			   const char **msg);

#endif

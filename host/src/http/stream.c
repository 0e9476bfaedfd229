/* SPDX-License-Identifier: Apache-2.0 */
/* Following a connection's request stream as evhttp frames it (stream.h). */
#include "http/stream.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/framing.h"

#define SIZE_LINE_MAX	 1024
#define CHUNK_DIGITS_MAX 15 /* fits an unsigned 64-bit sum with room */

void http_stream_init(struct http_stream *s, size_t max_body, size_t max_head)
{
	*s = (struct http_stream){.max_body = max_body, .max_head = max_head, .state = ST_HEAD};
}

void http_stream_release(struct http_stream *s)
{
	free(s->head);
	s->head = NULL;
	s->head_len = s->head_cap = 0;
}

static int refuse(struct http_stream *s, int status, const char *msg)
{
	s->state = ST_REFUSED;
	s->status = status;
	s->msg = msg;
	return status;
}

/* "token SP target SP HTTP/1.0|1.1"; *body_method: evhttp reads a body. */
static int request_line_valid(const char *l, size_t len, int *body_method)
{
	const char *sp1 = memchr(l, ' ', len), *sp2;

	if (sp1 == NULL || !http_is_token(l, (size_t)(sp1 - l)))
		return 0;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - l));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 0;
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p == 127)
			return 0;
	if (l + len - (sp2 + 1) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return 0;
	/* evhttp_method_may_have_body: only these read a body (case-sensitive) */
	*body_method = (sp1 - l == 4 && memcmp(l, "POST", 4) == 0) ||
		       (sp1 - l == 3 && memcmp(l, "PUT", 3) == 0) ||
		       (sp1 - l == 5 && memcmp(l, "PATCH", 5) == 0);
	return 1;
}

/* Split h at its line ends into NUL-terminated lines (a CR before the LF
 * dropped); the number of lines. */
static size_t split_lines(char *h, size_t len, char **lines, size_t max)
{
	size_t n = 0;
	char *p = h, *end = h + len;

	while (p < end && n < max) {
		char *lf = memchr(p, '\n', (size_t)(end - p));

		if (lf == NULL)
			break;
		*lf = '\0';
		if (lf > p && lf[-1] == '\r')
			lf[-1] = '\0';
		lines[n++] = p;
		p = lf + 1;
	}
	return n;
}

static int check_fields(char **lines, size_t n, struct http_field *f, long long *body_out,
			const char **msg)
{
	long long cl = 0;
	int chunked = 0, rc;

	for (size_t i = 0; i < n; i++) {
		char *colon, *v, *e;

		if (lines[i][0] == ' ' || lines[i][0] == '\t') {
			*msg = "Obsolete line folding in the header";
			return 400;
		}
		colon = strchr(lines[i], ':');
		if (colon == NULL) {
			*msg = "Malformed header field";
			return 400;
		}
		*colon = '\0';
		v = colon + 1;
		v += strspn(v, " \t");
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		f[i].name = lines[i];
		f[i].value = v;
	}
	rc = http_framing_check(f, n, msg);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(f[i].name, "Transfer-Encoding") == 0)
			chunked = 1;
		else if (strcasecmp(f[i].name, "Content-Length") == 0)
			for (const char *d = f[i].value; *d != '\0'; d++)
				cl = cl * 10 + (*d - '0'); /* at most 18 digits (framing.c) */
	}
	*body_out = chunked ? -1 : cl;
	return 0;
}

int http_stream_check_head(char *h, size_t len, long long *body_out, int *reads_body_out,
			   const char **msg)
{
	size_t max = 1, n;
	char **lines;
	struct http_field *f;
	int body_method = 0, rc;

	for (size_t i = 0; i < len; i++)
		max += h[i] == '\n';
	lines = malloc(max * sizeof(*lines));
	f = malloc(max * sizeof(*f));
	if (lines == NULL || f == NULL) {
		rc = 400;
		*msg = "Request head could not be read";
		goto out_free;
	}
	n = split_lines(h, len, lines, max);
	/* lines[n - 1] is the empty line that ends the head */
	if (n < 2 || lines[n - 1][0] != '\0' ||
	    !request_line_valid(lines[0], strlen(lines[0]), &body_method)) {
		rc = 400;
		*msg = "Malformed request line";
		goto out_free;
	}
	rc = check_fields(lines + 1, n - 2, f, body_out, msg);
	*reads_body_out = body_method;
out_free:
	free(lines);
	free(f);
	return rc;
}

/* The request ends here: the next byte starts a head. */
static void request_done(struct http_stream *s)
{
	s->state = ST_HEAD;
	s->seen = 0;
	s->passed = 0;
	s->newlines = 0;
}

static int head_byte(struct http_stream *s, char c)
{
	long long body = 0;
	int reads_body = 0, rc;
	const char *msg;

	if (s->head_len >= s->max_head)
		return refuse(s, 431, "Request header fields are too large");
	if (s->head_len == s->head_cap) {
		size_t cap = s->head_cap ? s->head_cap * 2 : 1024;
		char *p;

		if (cap > s->max_head)
			cap = s->max_head;
		p = realloc(s->head, cap);
		if (p == NULL)
			return refuse(s, 431, "Request header fields are too large");
		s->head = p;
		s->head_cap = cap;
	}
	s->head[s->head_len++] = c;
	if (c == '\r')
		return 0;
	if (c != '\n') {
		s->newlines = 0;
		return 0;
	}
	if (++s->newlines < 2)
		return 0;
	rc = http_stream_check_head(s->head, s->head_len, &body, &reads_body, &msg);
	s->head_len = 0;
	s->newlines = 0;
	if (rc != 0)
		return refuse(s, rc, msg);
	/* declared too large: refused even where evhttp would not read it */
	if (body > 0 && (unsigned long long)body > s->max_body)
		return refuse(s, 413, "Request body is too large");
	s->heads++;
	s->passed = 1;
	if (reads_body && body > 0) {
		s->left = (unsigned long long)body;
		s->state = ST_BODY;
	} else if (reads_body && body < 0) {
		s->total = s->size = 0;
		s->line = 0;
		s->state = ST_CHUNK_SIZE;
	} else {
		request_done(s); /* evhttp reads no body for GET, DELETE, ...*/
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The end of a chunk size line: data follows, or the trailer section. */
static int size_line_done(struct http_stream *s)
{
	if (s->total + s->size > s->max_body)
		return refuse(s, 413, "Request body is too large");
	s->total += s->size;
	s->left = s->size;
	s->line = 0;
	if (s->size == 0) {
		s->trailer = 0;
		s->line_colon = 0;
		s->state = ST_TRAILER;
	} else {
		s->state = ST_CHUNK_DATA;
	}
	return 0;
}

static int chunk_byte(struct http_stream *s, char c)
{
	static const char bad[] = "Malformed chunked body";
	int h;

	if (s->state != ST_CHUNK_DATA_CR && s->state != ST_CHUNK_DATA_LF &&
	    ++s->line > SIZE_LINE_MAX)
		return refuse(s, 400, bad);
	switch (s->state) {
	case ST_CHUNK_SIZE:
		h = hexval(c);
		if (h >= 0) {
			if (s->line > CHUNK_DIGITS_MAX)
				return refuse(s, 413, "Request body is too large");
			s->size = s->size * 16 + (unsigned)h;
			return 0;
		}
		if (s->line == 1)
			return refuse(s, 400, bad);
		if (c == '\n')
			return size_line_done(s);
		if (c == '\r') {
			s->state = ST_CHUNK_SIZE_LF;
			return 0;
		}
		if (c == ' ') { /* evhttp takes an extension only after a space */
			s->state = ST_CHUNK_BWS;
			return 0;
		}
		return refuse(s, 400, bad);
	case ST_CHUNK_BWS:
		if (c == ' ' || c == '\t')
			return 0;
		if (c != ';')
			return refuse(s, 400, bad);
		s->state = ST_CHUNK_EXT;
		return 0;
	case ST_CHUNK_EXT:
		if (c == '\n')
			return size_line_done(s);
		if (c == '\r')
			s->state = ST_CHUNK_SIZE_LF;
		else if (((unsigned char)c < 32 && c != '\t') || c == 127)
			return refuse(s, 400, bad);
		return 0;
	case ST_CHUNK_SIZE_LF:
		return c == '\n' ? size_line_done(s) : refuse(s, 400, bad);
	case ST_CHUNK_DATA_CR:
	case ST_CHUNK_DATA_LF:
		if (c == '\r' && s->state == ST_CHUNK_DATA_CR) {
			s->state = ST_CHUNK_DATA_LF;
			return 0;
		}
		if (c != '\n') /* CRLF after the data, or a bare LF */
			return refuse(s, 400, bad);
		s->size = 0;
		s->line = 0;
		s->state = ST_CHUNK_SIZE;
		return 0;
	default:
		return refuse(s, 400, bad);
	}
}

/* Trailer lines up to an empty line; each needs a colon and no fold. */
static int trailer_byte(struct http_stream *s, char c)
{
	static const char bad[] = "Malformed trailer field";

	if (++s->trailer > s->max_head)
		return refuse(s, 431, "Request header fields are too large");
	if (c == '\r')
		return 0;
	if (c == '\n') {
		if (s->line == 0) {
			request_done(s);
			return 0;
		}
		if (!s->line_colon)
			return refuse(s, 400, bad);
		s->line = 0;
		s->line_colon = 0;
		return 0;
	}
	if (s->line == 0 && (c == ' ' || c == '\t' || c == ':'))
		return refuse(s, 400, bad);
	s->line++;
	if (c == ':')
		s->line_colon = 1;
	return 0;
}

int http_stream_feed(struct http_stream *s, const char *p, size_t n, size_t *used)
{
	size_t i = 0;
	int rc = 0;

	*used = 0;
	if (s->state == ST_REFUSED)
		return s->status;
	while (i < n && rc == 0) {
		if (s->state == ST_BODY || s->state == ST_CHUNK_DATA) {
			size_t take = s->left < n - i ? (size_t)s->left : n - i;

			s->left -= take;
			s->seen += take;
			i += take;
			if (s->left == 0 && s->state == ST_BODY)
				request_done(s);
			else if (s->left == 0)
				s->state = ST_CHUNK_DATA_CR;
			continue;
		}
		s->seen++;
		if (s->state == ST_HEAD)
			rc = head_byte(s, p[i]);
		else if (s->state == ST_TRAILER)
			rc = trailer_byte(s, p[i]);
		else
			rc = chunk_byte(s, p[i]);
		i++;
	}
	*used = i;
	return rc;
}

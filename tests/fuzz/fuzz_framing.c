/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: strict framing checks (host/src/http/framing.c).
 *
 * The input is a header block: lines split at '\n', each split at its
 * first ':' into a name (kept as written, spaces included, as evhttp keeps
 * it) and a value (leading spaces and trailing whitespace trimmed, as
 * evhttp trims them). http_framing_check must answer 0 or 400 with a
 * message, and its answer is checked against a reference of the rules in
 * framing.h. Any crash or disagreement aborts. (The raw request stream,
 * heads in pieces and chunked bodies, is fuzz_stream's.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 64

static int ref_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 32 || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
			return 0;
	}
	return 1;
}

static int ref_digits(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18)
		return 0;
	return strspn(s, "0123456789") == n;
}

/* The rules of framing.h, written out once more. */
static int reference(const struct http_field *f, size_t n)
{
	size_t ncl = 0, nte = 0, nchunked = 0;

	for (size_t i = 0; i < n; i++) {
		if (!ref_token(f[i].name))
			return 400;
		if (strcasecmp(f[i].name, "content-length") == 0) {
			if (!ref_digits(f[i].value))
				return 400;
			ncl++;
		}
		if (strcasecmp(f[i].name, "transfer-encoding") == 0) {
			nte++;
			nchunked += strcasecmp(f[i].value, "chunked") == 0;
		}
	}
	if (ncl > 1 || nte > 1 || (nte == 1 && nchunked != 1) || (nte && ncl))
		return 400;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_field f[MAXF];
	char *buf = malloc(size + 1), *line, *next;
	size_t n = 0;
	const char *msg = NULL;
	int rc;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = buf; line != NULL && n < MAXF; line = next) {
		char *colon, *v, *end;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		v = colon + 1;
		v += strspn(v, " ");
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		f[n].name = line;
		f[n].value = v;
		n++;
	}
	rc = http_framing_check(f, n, &msg);
	if (rc != 0 && (rc != 400 || msg == NULL || msg[0] == '\0'))
		abort();
	if (rc != reference(f, n))
		abort();
	free(buf);
	return 0;
}

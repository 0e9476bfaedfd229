/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: request bodies and query strings (host/src/http/body.c).
 *
 * The first input byte picks the Content-Type (JSON, form, none, other); the
 * rest is the body, given to http_body_parse in an exactly sized buffer (no
 * NUL after it, so ASan sees any over-read). The same bytes also go through
 * http_url_decode (both '+' modes, checked against a reference decoder),
 * http_path_decode (the same reference, keeping %2F and %25 as escapes) and
 * http_form_each. Any crash, leak, or broken promise of body.h aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ctypes[] = {
    "application/json",
    "application/x-www-form-urlencoded",
    NULL, /* no Content-Type: a non-empty body is a 415 */
    "text/plain",
    "Application/JSON; charset=utf-8",
    "application/x-www-form-urlencoded;charset=UTF-8",
    "application/jsonx", /* a prefix is not a match */
};
#define NCTYPES (sizeof(ctypes) / sizeof(ctypes[0]))

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The reference: decoded length, or -1 when http_url_decode must refuse.
 * keep: leave %2F and %25 as upper-case escapes (http_path_decode). */
static long ref_decode(const char *s, size_t len, int plus_space, int keep, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len)
				return -1;
			if (hexval((unsigned char)s[i + 1]) < 0 ||
			    hexval((unsigned char)s[i + 2]) < 0)
				return -1;
			c = hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]);
			i += 2;
			if (keep && (c == '/' || c == '%')) {
				out[o++] = '%';
				out[o++] = '2';
				c = c == '/' ? 'F' : '5';
			}
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c == 0)
			return -1;
		out[o++] = (char)c;
	}
	return (long)o;
}

/* mode 0, 1: http_url_decode with plus_space; 2: http_path_decode */
static void check_url_decode(const char *s, size_t len, int mode)
{
	char *want = malloc(len + 1);
	char *got = mode == 2 ? http_path_decode(s, len) : http_url_decode(s, len, mode);
	long n;

	if (want == NULL) {
		free(got);
		return;
	}
	n = ref_decode(s, len, mode == 1, mode == 2, want);
	if (n < 0) {
		if (got != NULL)
			abort(); /* accepted what it must refuse */
	} else {
		if (got == NULL || strlen(got) != (size_t)n || memcmp(got, want, (size_t)n) != 0)
			abort();
	}
	free(got);
	free(want);
}

struct pairs {
	size_t n;
	size_t len;
};

static int count_pair(void *arg, char *key, char *val)
{
	struct pairs *p = arg;

	/* both are NUL-terminated copies we own; the key is never empty */
	if (key == NULL || val == NULL || key[0] == '\0')
		abort();
	if (strlen(key) + strlen(val) > p->len)
		abort(); /* decoding never grows */
	p->n++;
	free(key);
	free(val);
	return 0;
}

static int stop_at_second(void *arg, char *key, char *val)
{
	struct pairs *p = arg;

	free(key);
	free(val);
	return ++p->n >= 2;
}

static void check_body(const char *ctype, const char *body, size_t len)
{
	json_t *out = (json_t *)1;
	const char *msg = NULL;
	int rc = http_body_parse(ctype, body, len, &out, &msg);

	if (rc == 0) {
		if (len == 0 ? out != NULL : !json_is_object(out))
			abort();
		if (ctype != NULL && strncmp(ctype, "application/x-www", 17) == 0) {
			const char *k;
			json_t *v;

			json_object_foreach(out, k, v)
			{
				if (!json_is_string(v) || k[0] == '\0')
					abort();
			}
		}
	} else {
		if (out != NULL || msg == NULL || msg[0] == '\0')
			abort();
		if (rc != 400 && rc != 415 && rc != 422)
			abort();
		if (ctype == NULL && rc != 415)
			abort(); /* a body without a Content-Type is never parsed */
	}
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ctype;
	char *body;
	size_t len;
	struct pairs p = {0, 0};

	if (size == 0)
		return 0;
	ctype = ctypes[data[0] % NCTYPES];
	len = size - 1;
	body = malloc(len ? len : 1); /* exactly len bytes: no terminator */
	if (body == NULL)
		return 0;
	memcpy(body, data + 1, len);

	check_body(ctype, body, len);
	check_url_decode(body, len, 0);
	check_url_decode(body, len, 1);
	check_url_decode(body, len, 2);
	p.len = len;
	(void)http_form_each(body, len, count_pair, &p);
	p.n = 0;
	(void)http_form_each(body, len, stop_at_second, &p);

	free(body);
	return 0;
}

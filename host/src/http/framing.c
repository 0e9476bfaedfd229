/* Strict HTTP/1.1 framing checks on the request's header fields (framing.h). */
#include "http/framing.h"

#include <string.h>
#include <strings.h>

int http_is_token(const char *s, size_t len)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c != '\0' && strchr(extra, c) != NULL)))
			return 0;
	}
	return 1;
}

/* 1*DIGIT, at most 18 digits (fits an int64 without overflow). */
static int length_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

int http_framing_check(const struct http_field *fields, size_t n, const char **msg)
{
	size_t ncl = 0, nte = 0;
	int chunked = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = fields[i].name ? fields[i].name : "";
		const char *value = fields[i].value ? fields[i].value : "";

		if (!http_is_token(name, strlen(name))) {
			*msg = "Malformed header field name";
			return 400;
		}
		if (strcasecmp(name, "Content-Length") == 0) {
			if (!length_valid(value)) {
				*msg = "Malformed Content-Length";
				return 400;
			}
			ncl++;
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			nte++;
			chunked = strcasecmp(value, "chunked") == 0;
		}
	}
	if (ncl > 1) {
		*msg = "More than one Content-Length";
		return 400;
	}
	if (nte > 1 || (nte == 1 && !chunked)) {
		*msg = "Unsupported Transfer-Encoding";
		return 400;
	}
	if (nte == 1 && ncl == 1) {
		*msg = "Both Transfer-Encoding and Content-Length";
		return 400;
	}
	return 0;
}

/* "METHOD SP target SP HTTP/1.x": the buffer starts a request. */
static int starts_request(const char *s, size_t len)
{
	const char *eol = memchr(s, '\n', len);
	const char *sp = memchr(s, ' ', len);

	if (eol == NULL || sp == NULL || sp == s || sp > eol)
		return 0;
	for (const char *p = s; p < sp; p++)
		if (*p < 'A' || *p > 'Z')
			return 0;
	return eol - s >= 9 && memcmp(eol - 9, "HTTP/1.", 7) == 0;
}

int http_head_body_too_large(const char *head, size_t len, size_t max_body)
{
	const char *end = NULL, *line, *next;

	for (size_t i = 0; i + 3 < len; i++) {
		if (memcmp(head + i, "\r\n\r\n", 4) == 0) {
			end = head + i + 2;
			break;
		}
	}
	if (end == NULL || !starts_request(head, len))
		return 0;
	line = (const char *)memchr(head, '\n', len) + 1;
	for (; line < end; line = next + 1) {
		const char *colon, *v;
		unsigned long long n = 0;

		next = memchr(line, '\n', (size_t)(end - line));
		if (next == NULL)
			break;
		colon = memchr(line, ':', (size_t)(next - line));
		if (colon == NULL)
			continue;
		if ((colon - line == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0))
			return 0; /* evhttp prefers chunked: its size is not known here */
		if (colon - line != 14 || strncasecmp(line, "Content-Length", 14) != 0)
			continue;
		v = colon + 1;
		while (v < next && *v == ' ')
			v++;
		/* evhttp's strtoll takes a sign; the framing check refuses it later */
		if (v < next && *v == '+')
			v++;
		if (v >= next || *v < '0' || *v > '9')
			return 0;
		for (; v < next && *v >= '0' && *v <= '9'; v++) {
			if (n > max_body)
				break;
			n = n * 10 + (unsigned long long)(*v - '0');
		}
		return n > max_body; /* the first one: the one evhttp reads */
	}
	return 0;
}

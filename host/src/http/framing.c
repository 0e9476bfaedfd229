/* SPDX-License-Identifier: Apache-2.0 */
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

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict HTTP/1.1 message framing (RFC 9112 §6, RFC 9110 §5.1, §8.6).
 *
 * evhttp frames a request by the first Content-Length header it finds,
 * takes any value evutil_strtoll accepts ("+2" included), understands only
 * `Transfer-Encoding: chunked` and keeps a field name as written up to the
 * colon ("Transfer-Encoding " with its space). A proxy in front that reads
 * the same bytes differently (the last Content-Length, or the chunked
 * encoding it sees behind a space) then disagrees with us about where the
 * request ends, and the rest of a body becomes a second request: request
 * smuggling. http_framing_check refuses every request whose framing is
 * ambiguous, and the caller answers 400 and closes the connection, so that
 * whatever follows on it is never read as a request:
 *
 *   - a field name that is empty or not a token (whitespace before the
 *     colon, a control character, a separator);
 *   - Content-Length that is not 1*DIGIT (a sign, a list, spaces inside,
 *     more than 18 digits) or that appears more than once, even with the
 *     same value (RFC 9110 §8.6 allows accepting identical copies; we
 *     refuse them, as nothing legitimate sends two);
 *   - Transfer-Encoding other than exactly one `chunked` header (evhttp
 *     would ignore "gzip, chunked" and read by Content-Length), or
 *     Transfer-Encoding together with Content-Length (RFC 9112 §6.3).
 *
 * Pure function: no allocation, no logging, any thread.
 */
#ifndef AUTHSVC_HTTP_FRAMING_H
#define AUTHSVC_HTTP_FRAMING_H

#include <stddef.h>

/* A header field as evhttp kept it: name up to the colon, value trimmed. */
struct http_field {
	const char *name;
	const char *value;
};

/* 0 when the fields frame the message unambiguously, else 400 and a
 * client-safe *msg (never NULL). */
int http_framing_check(const struct http_field *fields, size_t n, const char **msg);

/* 1 when s[0..len) is a token (RFC 9110 §5.6.2: 1*tchar), else 0. */
int http_is_token(const char *s, size_t len);

#endif

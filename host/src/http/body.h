/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request bodies and query strings into JSON objects.
 *
 * http_body_parse accepts application/json (an object) and
 * application/x-www-form-urlencoded (every value a string; a repeated key
 * is refused, as JSON refuses a duplicate member). A non-empty body without
 * a Content-Type is refused (415), not guessed to be JSON. It never allocates beyond the input's
 * size times a small factor and never crashes on any input (it is fuzzed). On failure it returns
 * the HTTP status to answer (400 malformed, 415 wrong type, 422 not an object) and a client-safe
 * message.
 *
 * http_form_each calls fn for each decoded key/value pair of a
 * query string or form body; both strings are NUL-terminated copies the
 * callback may keep (it owns them).
 *
 * Pure functions: any thread.
 */
#ifndef AUTHSVC_HTTP_BODY_H
#define AUTHSVC_HTTP_BODY_H

#include <stddef.h>

#include <jansson.h>

/* 0 and *out (new reference, or NULL for an empty body), or an HTTP status. */
int http_body_parse(const char *content_type, const char *data, size_t len, json_t **out,
		    const char **msg_out);

/* Percent-decode s[0..len) ('+' as space when plus_space); returns a malloc'd
 * string or NULL for a malformed escape or an embedded NUL. */
char *http_url_decode(const char *s, size_t len, int plus_space);

/* Percent-decode a request path for routing: like http_url_decode without
 * plus_space, except that %2F and %25 stay escapes (in upper case). An
 * encoded slash is part of a segment, never a separator, so "/auth%2Fme"
 * does not match the route /auth/me; keeping %25 too means "%252F" cannot
 * turn into one later. Path parameters are decoded in full by the router. */
char *http_path_decode(const char *s, size_t len);

/* 0, or -1 on a malformed pair (fn's non-zero return also stops with -1). */
int http_form_each(const char *s, size_t len, int (*fn)(void *arg, char *key, char *val),
		   void *arg);

#endif

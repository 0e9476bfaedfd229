/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's outbound HTTP client for identity providers (OpenID Connect
 * discovery, JWKS, code exchange, userinfo), on libcurl.
 *
 * Calls block and run on the worker threads that run handlers, never on an
 * event loop. At most `max_concurrent` calls are in flight over the process
 * (a counting semaphore); a call that cannot get a slot within its connect
 * timeout fails with 503 instead of queueing without bound. TLS verification
 * is always on; https is required unless the options allow http and the URL
 * names a loopback host (tests). Redirects are not followed. The proxy
 * variables (https_proxy, no_proxy, ...) are honoured by libcurl itself.
 *
 * Failures fill struct err with the status the caller answers with: 502
 * (refused, TLS failure, answer too large or malformed), 504 (connect or
 * total timeout), 503 (no free slot), 400 (a URL the options refuse).
 * Nothing here logs; err.msg never holds a secret or a response body.
 */
#ifndef AUTHSVC_OUTBOUND_FETCH_H
#define AUTHSVC_OUTBOUND_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/sbuf.h"

struct outbound_opts {
	long connect_timeout_ms; /* 0: 3000 */
	long timeout_ms;	 /* whole call; 0: 10000 */
	size_t max_response;	 /* bytes of body kept; 0: 256 KiB; more is a 502 */
	bool allow_http;	 /* http:// accepted, and only for a loopback host */
	const char *ca_file;	 /* NULL: the system's CA store */
};

struct outbound_resp {
	long status;	  /* HTTP status of the answer */
	struct sbuf body; /* NUL-terminated; sbuf_release when done */
	char content_type[128];
};

/* Set the process-wide limit of calls in flight (default 16) once, before
 * the workers start. */
void outbound_init(unsigned max_concurrent);
/* Calls in flight now (tests, metrics). */
unsigned outbound_in_flight(void);

/* True when url's scheme is https, or http with allow_http and a loopback
 * host (127.0.0.0/8, ::1, localhost). Pure; for the config checks too. */
bool outbound_url_allowed(const char *url, bool allow_http);

/* GET (form == NULL) or POST form (application/x-www-form-urlencoded, the
 * caller encodes it) to url with the extra headers (NULL-terminated "Name:
 * value" strings; may be NULL), Accept: application/json. basic_user and
 * basic_pass (both or neither) send HTTP Basic authentication. 0 with resp
 * filled (any HTTP status: the caller judges it), or -1 with err filled and
 * resp->body released. */
int outbound_fetch(const struct outbound_opts *o, const char *url, const char *form,
		   const char *const *headers, const char *basic_user, const char *basic_pass,
		   struct outbound_resp *resp, struct err *err);

void outbound_resp_release(struct outbound_resp *resp);

#endif

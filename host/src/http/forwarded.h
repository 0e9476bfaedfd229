/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's address behind trusted reverse proxies.
 *
 * A proxy appends the address it received a connection from to
 * X-Forwarded-For (or, with RFC 7239, adds a `for=` element to Forwarded);
 * everything to the left of what the nearest proxy appended was written by
 * whoever connected to it, which may be the attacker. So the walk starts at
 * the right: the TCP peer first, then the header's entries from the last to
 * the first, skipping each hop that is a trusted proxy. The first address
 * that is not a trusted proxy is the client. When every hop is trusted, the
 * left-most entry is the client. An entry that is not an address (garbage,
 * RFC 7239's "unknown" or an obfuscated node) ends the walk at the trusted
 * hop that wrote it. Only one header kind is read, the one the operator's
 * proxies set: a header the proxies do not manage is the client's to forge.
 *
 * Pure function: no allocation, no logging, any thread.
 */
#ifndef AUTHSVC_HTTP_FORWARDED_H
#define AUTHSVC_HTTP_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

#include "util/netaddr.h"

enum forwarded_kind {
	FORWARDED_XFF = 0, /* X-Forwarded-For: 192.0.2.1, 2001:db8::1 */
	FORWARDED_RFC7239, /* Forwarded: for=192.0.2.1;proto=https, for="[2001:db8::1]:80" */
};

/* At most this many right-most entries of the chain are looked at: a walk
 * longer than that has passed more trusted hops than any deployment has. */
#define FORWARDED_MAX_HOPS 32

/* peer: the TCP peer's address; values: every instance of the header, in
 * the order received (may be 0). Sets *out to the client's address and
 * returns true; false when the peer itself is not an address (a Unix
 * socket), in which case the caller keeps the peer as it is. */
bool forwarded_client(const char *peer, const char *const *values, size_t nvalues,
		      enum forwarded_kind kind, const struct netrange_list *trusted,
		      struct netaddr *out);

#endif

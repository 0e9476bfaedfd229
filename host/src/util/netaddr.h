/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses and address ranges, for deciding which peers are trusted
 * proxies.
 *
 * struct netaddr holds one IPv4 or IPv6 address in network byte order. An
 * IPv4-mapped IPv6 address (::ffff:192.0.2.1) is stored as the IPv4
 * address, so a proxy listed as 192.0.2.1 matches a peer seen through a
 * dual-stack socket.
 *
 * struct netrange_list is a parsed list such as "127.0.0.1, 10.0.0.0/8,
 * ::1, fd00::/8": single addresses and CIDR ranges, separated by commas
 * and/or blanks. It owns its array; release it with netrange_list_release.
 *
 * Pure functions: no allocation except netrange_list_parse, no logging,
 * any thread.
 */
#ifndef AUTHSVC_UTIL_NETADDR_H
#define AUTHSVC_UTIL_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct netaddr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

struct netrange {
	struct netaddr net; /* host bits cleared */
	unsigned prefix;    /* 0..32 or 0..128 */
};

struct netrange_list {
	struct netrange *v;
	size_t n;
};

/* Parse exactly len bytes of s as an IPv4 or IPv6 address (no brackets, no
 * port, no zone). true on success. */
bool netaddr_parse(const char *s, size_t len, struct netaddr *out);

/* Write the canonical text form (inet_ntop) into buf; false if it does not fit. */
bool netaddr_format(const struct netaddr *a, char *buf, size_t bufsz);

/* Parse a list of addresses and CIDR ranges. An empty or blank string is
 * an empty list. 0, or -1 with err naming the entry that is not an
 * address or range (a range whose host bits are set is refused too:
 * "10.0.0.1/8" is a typo more often than not). */
int netrange_list_parse(const char *s, struct netrange_list *out, struct err *err);

/* true when a lies in one of the list's ranges. */
bool netrange_list_contains(const struct netrange_list *l, const struct netaddr *a);

void netrange_list_release(struct netrange_list *l);

#endif

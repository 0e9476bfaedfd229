/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the trusted-proxy list parser (host/src/util/netaddr.c)
 * and the client-address walk over X-Forwarded-For and RFC 7239 Forwarded
 * (host/src/http/forwarded.c).
 *
 * Input: byte 0 picks the header kind; the bytes up to the next NUL are the
 * trusted_proxies list; the rest, split at NULs, are header lines. The
 * answer must be the peer or an address that parses back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.h"
#include "util/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *p, *end;
	const char *values[8];
	size_t n = 0;
	struct netrange_list l;
	struct netaddr a, back;
	char text[64];
	enum forwarded_kind kind;

	if (size < 1)
		return 0;
	kind = (data[0] & 1) ? FORWARDED_RFC7239 : FORWARDED_XFF;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	end = buf + size - 1;
	p = buf + strlen(buf) + 1;
	if (netrange_list_parse(buf, &l, NULL) < 0) {
		/* still walk the headers with a fixed list */
		if (netrange_list_parse("127.0.0.0/8, ::1", &l, NULL) < 0)
			abort();
	}
	while (p < end && n < 8) {
		values[n++] = p;
		p += strlen(p) + 1;
	}
	if (forwarded_client("127.0.0.1", values, n, kind, &l, &a)) {
		if (!netaddr_format(&a, text, sizeof(text)) ||
		    !netaddr_parse(text, strlen(text), &back) || back.family != a.family ||
		    memcmp(back.a, a.a, sizeof(a.a)) != 0)
			abort();
	} else {
		abort(); /* 127.0.0.1 is an address */
	}
	netrange_list_release(&l);
	free(buf);
	return 0;
}

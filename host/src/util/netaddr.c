/* SPDX-License-Identifier: Apache-2.0 */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->a) != 1)
		return false;
	out->family = AF_INET6;
	if (memcmp(out->a, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(out->a, out->a + 12, 4);
		memset(out->a + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

bool netaddr_format(const struct netaddr *a, char *buf, size_t bufsz)
{
	return inet_ntop(a->family, a->a, buf, (socklen_t)bufsz) != NULL;
}

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static bool prefix_matches(const unsigned char *x, const unsigned char *y, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(x, y, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((x[whole] ^ y[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* One entry: "ADDR" or "ADDR/PREFIX". */
static bool range_parse(const char *s, size_t len, struct netrange *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - s) : len;
	struct netaddr zero = {0};
	unsigned max;

	if (!netaddr_parse(s, alen, &out->net))
		return false;
	max = family_bits(out->net.family);
	out->prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1, *end = s + len;
		unsigned v = 0;

		if (p == end || end - p > 3)
			return false;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v > max)
			return false;
		out->prefix = v;
	}
	/* host bits must be clear: compare the address with itself masked */
	zero.family = out->net.family;
	memcpy(zero.a, out->net.a, out->prefix / 8);
	if (out->prefix % 8 != 0)
		zero.a[out->prefix / 8] =
		    out->net.a[out->prefix / 8] & (unsigned char)(0xff << (8 - out->prefix % 8));
	return memcmp(zero.a, out->net.a, sizeof(zero.a)) == 0;
}

int netrange_list_parse(const char *s, struct netrange_list *out, struct err *err)
{
	static const char sep[] = ", \t";
	size_t cap = 0;

	out->v = NULL;
	out->n = 0;
	for (const char *p = s; p != NULL && *p != '\0';) {
		size_t len;

		p += strspn(p, sep);
		len = strcspn(p, sep);
		if (len == 0)
			break;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct netrange *v = realloc(out->v, ncap * sizeof(*v));

			if (v == NULL) {
				netrange_list_release(out);
				return err_set(err, 0, "out of memory");
			}
			out->v = v;
			cap = ncap;
		}
		if (!range_parse(p, len, &out->v[out->n])) {
			netrange_list_release(out);
			return err_set(err, 0, "not an address or CIDR range: \"%.*s\"",
				       (int)(len > 64 ? 64 : len), p);
		}
		out->n++;
		p += len;
	}
	return 0;
}

bool netrange_list_contains(const struct netrange_list *l, const struct netaddr *a)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].net.family == a->family &&
		    prefix_matches(l->v[i].net.a, a->a, l->v[i].prefix))
			return true;
	return false;
}

void netrange_list_release(struct netrange_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

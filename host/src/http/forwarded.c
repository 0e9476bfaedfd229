/* SPDX-License-Identifier: Apache-2.0 */
#include "http/forwarded.h"

#include <string.h>
#include <strings.h>

struct span {
	const char *p;
	size_t len;
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(const char *p, size_t len)
{
	while (len > 0 && is_ows(*p)) {
		p++;
		len--;
	}
	while (len > 0 && is_ows(p[len - 1]))
		len--;
	return (struct span){p, len};
}

/* A node as both headers write it: "192.0.2.1", "192.0.2.1:8080",
 * "2001:db8::1", "[2001:db8::1]" or "[2001:db8::1]:8080". */
static bool node_parse(struct span s, struct netaddr *out)
{
	if (s.len > 0 && s.p[0] == '[') {
		const char *close = memchr(s.p, ']', s.len);
		size_t after;

		if (close == NULL)
			return false;
		after = s.len - (size_t)(close - s.p) - 1;
		if (after > 0) {
			if (close[1] != ':' || after == 1)
				return false;
			for (size_t i = 2; i <= after; i++)
				if (close[i] < '0' || close[i] > '9')
					return false;
		}
		return netaddr_parse(s.p + 1, (size_t)(close - s.p) - 1, out);
	}
	{
		const char *colon = memchr(s.p, ':', s.len);

		/* one colon after a dotted quad is a port; more colons are IPv6 */
		if (colon != NULL &&
		    memchr(colon + 1, ':', s.len - (size_t)(colon - s.p) - 1) == NULL &&
		    memchr(s.p, '.', (size_t)(colon - s.p)) != NULL)
			s.len = (size_t)(colon - s.p);
	}
	return netaddr_parse(s.p, s.len, out);
}

/* The `for=` node of one Forwarded element ("for=x;proto=https;by=y"). */
static bool rfc7239_for(struct span el, struct netaddr *out)
{
	const char *p = el.p, *end = el.p + el.len;

	while (p < end) {
		const char *semi = p;
		bool quoted = false;
		struct span pair, name, val;
		const char *eq;

		while (semi < end && (quoted || *semi != ';')) {
			if (*semi == '"')
				quoted = !quoted;
			else if (*semi == '\\' && quoted && semi + 1 < end)
				semi++;
			semi++;
		}
		pair = trim(p, (size_t)(semi - p));
		p = semi + 1;
		eq = memchr(pair.p, '=', pair.len);
		if (eq == NULL)
			continue;
		name = trim(pair.p, (size_t)(eq - pair.p));
		if (name.len != 3 || strncasecmp(name.p, "for", 3) != 0)
			continue;
		val = trim(eq + 1, pair.len - (size_t)(eq - pair.p) - 1);
		if (val.len >= 2 && val.p[0] == '"' && val.p[val.len - 1] == '"') {
			char buf[64];
			size_t n = 0;

			for (size_t i = 1; i + 1 < val.len; i++) {
				if (val.p[i] == '\\' && i + 2 < val.len)
					i++;
				if (n == sizeof(buf))
					return false;
				buf[n++] = val.p[i];
			}
			return node_parse((struct span){buf, n}, out);
		}
		return node_parse(val, out);
	}
	return false;
}

/* Split a header value into its comma-separated elements (commas inside a
 * quoted string do not split), keeping the last FORWARDED_MAX_HOPS. */
static void split(const char *v, struct span *ring, size_t *count)
{
	const char *p = v;

	while (*p != '\0') {
		const char *q = p;
		bool quoted = false;
		struct span el;

		while (*q != '\0' && (quoted || *q != ',')) {
			if (*q == '"')
				quoted = !quoted;
			else if (*q == '\\' && quoted && q[1] != '\0')
				q++;
			q++;
		}
		el = trim(p, (size_t)(q - p));
		if (el.len > 0)
			ring[(*count)++ % FORWARDED_MAX_HOPS] = el;
		p = *q == ',' ? q + 1 : q;
	}
}

bool forwarded_client(const char *peer, const char *const *values, size_t nvalues,
		      enum forwarded_kind kind, const struct netrange_list *trusted,
		      struct netaddr *out)
{
	struct span ring[FORWARDED_MAX_HOPS];
	size_t count = 0, first;

	if (!netaddr_parse(peer, strlen(peer), out))
		return false;
	if (!netrange_list_contains(trusted, out))
		return true;
	for (size_t i = 0; i < nvalues; i++)
		if (values[i] != NULL)
			split(values[i], ring, &count);
	first = count > FORWARDED_MAX_HOPS ? count - FORWARDED_MAX_HOPS : 0;
	for (size_t i = count; i > first; i--) {
		struct span el = ring[(i - 1) % FORWARDED_MAX_HOPS];
		struct netaddr hop;
		bool ok = kind == FORWARDED_RFC7239 ? rfc7239_for(el, &hop) : node_parse(el, &hop);

		if (!ok)
			return true; /* *out: the trusted hop that wrote it */
		*out = hop;
		if (!netrange_list_contains(trusted, out))
			return true;
	}
	return true;
}

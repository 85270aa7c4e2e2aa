/* addr.c - IPv4/IPv6 address values. */
#include "wirestat/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t addr_size(const struct addr *a)
{
	return a->family == ADDR_V6 ? 16 : 4;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, addr_size(a));
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return addr_cmp(a, b) == 0;
}

/* Dotted quad without printf: the report formats every address. */
static size_t format_v4(const uint8_t *b, char *out)
{
	char *p = out;
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	return (size_t)(p - out);
}

char *addr_format(const struct addr *a, char *buf, size_t size)
{
	int af = a->family == ADDR_V6 ? AF_INET6 : AF_INET;
	if (size == 0)
		return buf;
	if (a->family == ADDR_V4 && size >= 16) {
		format_v4(a->bytes, buf);
		return buf;
	}
	if (a->family == ADDR_NONE || !inet_ntop(af, a->bytes, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

char *addr_format_bracketed(const struct addr *a, char *buf, size_t size)
{
	if (a->family != ADDR_V6)
		return addr_format(a, buf, size);
	char tmp[INET6_ADDRSTRLEN];
	snprintf(buf, size, "[%s]", addr_format(a, tmp, sizeof(tmp)));
	return buf;
}

int addr_prefix_parse(const char *text, struct addr_prefix *out, char *errbuf,
		      size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	memset(out, 0, sizeof(*out));
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, out->addr.bytes) == 1) {
		out->addr.family = ADDR_V4;
		out->len = 32;
	} else if (inet_pton(AF_INET6, host, out->addr.bytes) == 1) {
		out->addr.family = ADDR_V6;
		out->len = 128;
	} else {
		goto bad;
	}
	if (slash) {
		char *end;
		unsigned long len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || len > out->len)
			goto bad;
		out->len = (uint8_t)len;
	}
	return 0;
bad:
	snprintf(errbuf, errlen, "'%s' is not an IPv4 or IPv6 address or prefix",
		 text);
	return -1;
}

bool addr_prefix_match(const struct addr_prefix *p, const struct addr *a)
{
	if (p->addr.family != a->family)
		return false;
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr.bytes, a->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

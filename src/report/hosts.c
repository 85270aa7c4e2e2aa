/* hosts.c - host names in reports: the lookup every row uses (the
 * passive caches of every engine, then the active resolver's answers),
 * and the "host:port" table cell. */
#include "hosts.h"

#include <string.h>

int report_resolve_parse(const char *word)
{
	if (strcmp(word, "passive") == 0)
		return REPORT_RESOLVE_PASSIVE;
	if (strcmp(word, "active") == 0)
		return REPORT_RESOLVE_ACTIVE;
	if (strcmp(word, "none") == 0)
		return REPORT_RESOLVE_NONE;
	return -1;
}

void host_namer_init(struct host_namer *h, const struct report_options *o,
		     struct engine *const *engines, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->engines = engines;
	h->n = n;
	h->on = !o->numeric && o->resolve != REPORT_RESOLVE_NONE;
	if (h->on && o->resolve == REPORT_RESOLVE_ACTIVE && o->resolver) {
		h->resolver = o->resolver;
		h->mark = resolver_mark(o->resolver);
	}
}

static bool unspecified(const struct addr *a)
{
	static const uint8_t zero[16];
	return a->family == ADDR_NONE || memcmp(a->bytes, zero, 16) == 0;
}

const char *host_name(const struct host_namer *h, const struct addr *a,
		      char *buf, size_t size)
{
	struct names_entry e;
	if (!h->on || unspecified(a))
		return NULL;
	if (h->n && engines_name_lookup(h->engines, h->n, a, &e)) {
		snprintf(buf, size, "%s", e.name);
		return buf;
	}
	if (h->resolver && resolver_lookup(h->resolver, a, h->mark, buf, size))
		return buf;
	return NULL;
}

void host_endpoint_text(const char *name, bool full, const struct addr *a,
			uint16_t port, const char *proto,
			const struct report_options *o, char *buf, size_t size)
{
	char host[HOST_NAME_MAX_LEN];
	const char *pname = o->numeric ? NULL
				       : services_name(o->services, port, proto);
	if (name && full)
		snprintf(host, sizeof(host), "%s", name);
	else if (name)
		names_short(name, host, sizeof(host));
	else
		addr_format_bracketed(a, host, sizeof(host));
	if (pname) {
		snprintf(buf, size, "%s:%s", host, pname);
		return;
	}
	/* the port's digits without printf: a table may have a million */
	char digits[6], *d = digits + sizeof(digits);
	size_t hlen = strlen(host);
	*--d = '\0';
	do
		*--d = (char)('0' + port % 10);
	while ((port /= 10) != 0);
	size_t dlen = (size_t)(digits + sizeof(digits) - 1 - d);
	if (hlen + 1 + dlen + 1 > size) {
		snprintf(buf, size, "%s:%s", host, d);
		return;
	}
	memcpy(buf, host, hlen + 1);
	buf[hlen] = ':';
	memcpy(buf + hlen + 1, d, dlen + 1);
}

/* hosts.c - host names in reports: the lookup every row uses (the
 * passive caches of every engine, then the active resolver's answers),
 * the "host:port" table cell, and --names, the passive caches
 * themselves. */
#include "hosts.h"

#include <stdlib.h>
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

/* ---- --names ------------------------------------------------------- */

enum {
	N_ADDR,
	N_NAME,
	N_CANONICAL,
	N_SOURCE,
	N_FIRST_T, /* table: the time as text; data: seconds */
	N_FIRST,
	N_LAST_T,
	N_LAST,
	N_TTL,
	N_MAX
};

static const struct emit_field name_fields[N_MAX] = {
	[N_ADDR] = {"addr", "Address", EMIT_IN_ALL, EMIT_LEFT, 15},
	[N_NAME] = {"name", "Name", EMIT_IN_ALL, EMIT_LEFT, 0},
	[N_CANONICAL] = {"canonical", "Canonical Name", EMIT_IN_ALL, EMIT_LEFT,
			 0},
	[N_SOURCE] = {"source", "Source", EMIT_IN_ALL, EMIT_LEFT, 0},
	[N_FIRST_T] = {"", "First Seen", EMIT_IN_TABLE, EMIT_LEFT, 26},
	[N_FIRST] = {"first_seen", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[N_LAST_T] = {"", "Last Seen", EMIT_IN_TABLE, EMIT_LEFT, 26},
	[N_LAST] = {"last_seen", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[N_TTL] = {"ttl", "TTL", EMIT_IN_ALL, EMIT_RIGHT, 0},
};

/* An entry of one engine's cache, borrowed for the report. */
struct entry_ref {
	const struct names_entry *e;
};

/* By address; for one address, the entry learned last first. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct names_entry *a = ((const struct entry_ref *)pa)->e;
	const struct names_entry *b = ((const struct entry_ref *)pb)->e;
	int c = addr_cmp(&a->addr, &b->addr);
	if (c)
		return c;
	return (a->last_ts < b->last_ts) - (a->last_ts > b->last_ts);
}

static bool keep_entry(const struct names_entry *e,
		       const struct report_options *o)
{
	if (o->nhosts == 0)
		return true;
	for (size_t i = 0; i < o->nhosts; i++)
		if (addr_prefix_match(&o->hosts[i], &e->addr))
			return true;
	return false;
}

static void name_values(const struct names_entry *e, char *addr,
			char *first, char *last, struct emit_value *v)
{
	addr_format(&e->addr, addr, ADDR_STRLEN);
	report_time(e->first_ts, first, 48);
	report_time(e->last_ts, last, 48);
	v[N_ADDR] = ev_str(addr);
	v[N_NAME] = ev_str(e->name);
	v[N_CANONICAL] = e->canonical[0] ? ev_str(e->canonical) : ev_null();
	v[N_SOURCE] = ev_str(e->source < NAMES_SRC_MAX
				     ? names_source_names[e->source]
				     : "?");
	v[N_FIRST_T] = ev_str(first);
	v[N_FIRST] = ev_float((double)e->first_ts / WS_NS_PER_SEC, 6);
	v[N_LAST_T] = ev_str(last);
	v[N_LAST] = ev_float((double)e->last_ts / WS_NS_PER_SEC, 6);
	v[N_TTL] = ev_int(e->ttl);
}

struct names_ctx {
	const struct entry_ref *v;
	char addr[ADDR_STRLEN], first[48], last[48];
};

static bool names_fill(void *ctx, size_t i, struct emit_value *vals)
{
	struct names_ctx *c = ctx;
	name_values(c->v[i].e, c->addr, c->first, c->last, vals);
	return true;
}

int report_names(FILE *out, struct engine *const *engines, size_t n,
		 const struct report_options *o)
{
	struct entry_ref *v = NULL;
	size_t count = 0, total = 0;
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		total += names_count(engines[i]->names);
	if (total && !(v = calloc(total, sizeof(*v))))
		return -1;
	for (size_t i = 0; i < n; i++)
		for (const struct names_entry *e = names_first(engines[i]->names);
		     e && count < total; e = names_next(e))
			if (keep_entry(e, o))
				v[count++].e = e;
	if (count)
		qsort(v, count, sizeof(*v), entry_cmp);
	size_t kept = 0; /* each address once: the entry learned last */
	for (size_t i = 0; i < count; i++)
		if (kept == 0 || !addr_equal(&v[kept - 1].e->addr, &v[i].e->addr))
			v[kept++] = v[i];
	struct emit *em = emit_begin(out, o->format, name_fields, N_MAX,
				     "Names Learned from DNS Answers");
	struct names_ctx c = {.v = v};
	if (em)
		ret = emit_rows_end(em, kept, names_fill, &c);
	free(v);
	return ret;
}

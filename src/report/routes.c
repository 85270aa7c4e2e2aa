/* routes.c - netstat -r: the kernel's routing tables, IPv4 and IPv6, in
 * route -n's layout, and beside them the gateways the wire shows: the
 * MAC addresses that carried the frames of addresses beyond the link. */
#include "wirestat/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/nexthop.h"

/* route(8)'s flag letters, in its order. */
static void route_flags(uint32_t f, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		char letter;
	} letters[] = {
		{KERNEL_RTF_UP, 'U'},	    {KERNEL_RTF_GATEWAY, 'G'},
		{KERNEL_RTF_HOST, 'H'},	    {KERNEL_RTF_REINSTATE, 'R'},
		{KERNEL_RTF_DYNAMIC, 'D'},  {KERNEL_RTF_MODIFIED, 'M'},
		{KERNEL_RTF_ADDRCONF, 'A'}, {KERNEL_RTF_CACHE, 'C'},
		{KERNEL_RTF_REJECT, '!'},
	};
	size_t n = 0;
	for (size_t i = 0; i < WS_ARRAY_SIZE(letters) && n + 1 < size; i++)
		if (f & letters[i].bit)
			buf[n++] = letters[i].letter;
	buf[n] = '\0';
}

enum {
	R_DEST_T, /* table cells */
	R_GW_T,
	R_MASK_T,
	R_KIND, /* data keys */
	R_FAMILY,
	R_DEST,
	R_PREFIX,
	R_GW,
	R_MASK,
	R_FLAGS, /* both */
	R_METRIC,
	R_REF,
	R_USE,
	R_IFACE,
	R_MAX
};

static const struct emit_field route_fields[R_MAX] = {
	[R_DEST_T] = {"", "Destination", EMIT_IN_TABLE, EMIT_LEFT, 15},
	[R_GW_T] = {"", "Gateway", EMIT_IN_TABLE, EMIT_LEFT, 15},
	[R_MASK_T] = {"", "Genmask", EMIT_IN_TABLE, EMIT_LEFT, 15},
	[R_KIND] = {"kind", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_FAMILY] = {"family", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_DEST] = {"destination", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_PREFIX] = {"prefix_len", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_GW] = {"gateway", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_MASK] = {"genmask", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[R_FLAGS] = {"flags", "Flags", EMIT_IN_ALL, EMIT_LEFT, 5},
	[R_METRIC] = {"metric", "Metric", EMIT_IN_ALL, EMIT_RIGHT, 6},
	[R_REF] = {"ref", "Ref", EMIT_IN_ALL, EMIT_RIGHT, 3},
	[R_USE] = {"use", "Use", EMIT_IN_ALL, EMIT_RIGHT, 6},
	[R_IFACE] = {"iface", "Iface", EMIT_IN_ALL, EMIT_LEFT, 0},
};

struct route_text {
	char dest_t[ADDR_STRLEN + 8], gw_t[ADDR_STRLEN], mask_t[ADDR_STRLEN];
	char dest[ADDR_STRLEN], gw[ADDR_STRLEN], mask[ADDR_STRLEN];
	char flags[16];
};

/* An IPv4 netmask of len bits. */
static struct addr v4_mask(uint8_t len)
{
	struct addr m = {.family = ADDR_V4};
	for (unsigned b = 0; b < len && b < 32; b++)
		m.bytes[b / 8] |= (uint8_t)(0x80 >> b % 8);
	return m;
}

static bool has_gateway(const struct kernel_route *rt)
{
	for (size_t i = 0; i < sizeof(rt->gateway.bytes); i++)
		if (rt->gateway.bytes[i])
			return true;
	return false;
}

static void route_values(const struct kernel_route *rt, struct route_text *t,
			 struct emit_value *v)
{
	bool v6 = rt->dst.family == ADDR_V6;
	bool gw = has_gateway(rt);
	struct addr any = {.family = rt->dst.family}, gwa = rt->gateway;
	gwa.family = rt->dst.family;
	addr_format(&rt->dst, t->dest, sizeof(t->dest));
	addr_format(gw ? &gwa : &any, t->gw_t, sizeof(t->gw_t));
	snprintf(t->gw, sizeof(t->gw), "%s", t->gw_t);
	if (v6)
		snprintf(t->dest_t, sizeof(t->dest_t), "%s/%u", t->dest,
			 rt->dst_len);
	else
		snprintf(t->dest_t, sizeof(t->dest_t), "%s", t->dest);
	struct addr m = v4_mask(rt->dst_len);
	addr_format(&m, t->mask, sizeof(t->mask));
	snprintf(t->mask_t, sizeof(t->mask_t), "%s", t->mask);
	route_flags(rt->flags, t->flags, sizeof(t->flags));
	v[R_DEST_T] = ev_str(t->dest_t);
	v[R_GW_T] = ev_str(t->gw_t);
	v[R_MASK_T] = ev_str(t->mask_t);
	v[R_KIND] = ev_str("route");
	v[R_FAMILY] = ev_str(v6 ? "inet6" : "inet");
	v[R_DEST] = ev_str(t->dest);
	v[R_PREFIX] = ev_int(rt->dst_len);
	v[R_GW] = gw ? ev_str(t->gw) : ev_null();
	v[R_MASK] = v6 ? ev_null() : ev_str(t->mask);
	v[R_FLAGS] = ev_str(t->flags);
	/* the kernel writes IPv4's metric with %d: -1 stays -1 */
	v[R_METRIC] = ev_int(v6 ? (int64_t)rt->metric : (int32_t)rt->metric);
	v[R_REF] = ev_int(rt->refcnt);
	v[R_USE] = ev_int(rt->use);
	v[R_IFACE] = ev_str(rt->iface);
}

/* One family's routes (ADDR_NONE: both), in the kernel's order. */
static int emit_routes(FILE *out, const struct kernel_routes *r, int family,
		       const struct report_options *o)
{
	struct emit_field fields[R_MAX];
	struct emit_value v[R_MAX];
	struct route_text t;
	memcpy(fields, route_fields, sizeof(fields));
	if (family == ADDR_V6) {
		fields[R_GW_T].heading = "Next Hop";
		fields[R_MASK_T].where = 0;
	}
	struct emit *em = emit_begin(out, o->format, fields, R_MAX,
				     family == ADDR_V6
					     ? "Kernel IPv6 routing table"
					     : "Kernel IP routing table");
	if (!em)
		return -1;
	for (int pass = 0; pass < 2; pass++) { /* IPv4, then IPv6 */
		int fam = pass ? ADDR_V6 : ADDR_V4;
		if (family != ADDR_NONE && fam != family)
			continue;
		for (size_t i = 0; i < r->n; i++) {
			if (r->v[i].dst.family != fam)
				continue;
			route_values(&r->v[i], &t, v);
			if (emit_row(em, v) < 0) {
				emit_end(em);
				return -1;
			}
		}
	}
	return emit_end(em);
}

/* -p: IPv4 (ip, tcp, udp, icmp) and IPv6 (ipv6, tcpv6, ...). */
static bool family_kept(const struct report_options *o, int family)
{
	unsigned protos = o->protos ? o->protos : REPORT_ALL;
	if (family == ADDR_V4)
		return protos & (REPORT_IP | REPORT_TCP | REPORT_UDP |
				 REPORT_ICMP);
	return protos & (REPORT_IP6 | REPORT_TCP6 | REPORT_UDP6 |
			 REPORT_ICMP6);
}

int report_routes(FILE *out, const struct kernel_routes *r,
		  const struct report_options *o)
{
	bool v4 = family_kept(o, ADDR_V4), v6 = family_kept(o, ADDR_V6);
	if (o->format != EMIT_TABLE)
		return emit_routes(out, r, v4 && v6 ? ADDR_NONE
					   : v4	    ? ADDR_V4
						    : ADDR_V6,
				   o);
	if (v4 && emit_routes(out, r, ADDR_V4, o) < 0)
		return -1;
	if (v6 && emit_routes(out, r, ADDR_V6, o) < 0)
		return -1;
	return 0;
}

/* ---- observed gateways ---- */

/* Whether the routes put a beyond every connected route: its longest
 * match (reject routes aside) goes through a gateway, or nothing
 * matches. */
static bool off_link(const struct kernel_routes *r, const struct addr *a)
{
	int best = -1;
	bool gw = true;
	for (size_t i = 0; i < r->n; i++) {
		const struct kernel_route *rt = &r->v[i];
		if (rt->dst.family != a->family ||
		    (rt->flags & KERNEL_RTF_REJECT) || (int)rt->dst_len <= best)
			continue;
		struct addr_prefix p = {.addr = rt->dst, .len = rt->dst_len};
		if (!addr_prefix_match(&p, a))
			continue;
		best = rt->dst_len;
		gw = has_gateway(rt);
	}
	return gw;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const struct nexthop_entry *a = pa, *b = pb;
	int c;
	if (a->link != b->link)
		return a->link < b->link ? -1 : 1;
	if (a->ip.family != b->ip.family)
		return a->ip.family < b->ip.family ? -1 : 1;
	if ((c = memcmp(a->mac, b->mac, 6)))
		return c;
	return addr_cmp(&a->ip, &b->ip);
}

enum {
	G_KIND, /* data */
	G_IFACE,
	G_MAC,
	G_FAMILY,
	G_ADDRS,
	G_OFFLINK,
	G_PACKETS,
	G_BYTES,
	G_SAMPLE,
	G_MAX
};

static const struct emit_field gateway_fields[G_MAX] = {
	[G_KIND] = {"kind", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[G_IFACE] = {"interface", "Interface", EMIT_IN_ALL, EMIT_LEFT, 0},
	[G_MAC] = {"mac", "MAC Address", EMIT_IN_ALL, EMIT_LEFT, 17},
	[G_FAMILY] = {"family", "Family", EMIT_IN_ALL, EMIT_LEFT, 0},
	[G_ADDRS] = {"addresses", "Addresses", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[G_OFFLINK] = {"off_link", "Off-link", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[G_PACKETS] = {"packets", "Packets", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[G_BYTES] = {"bytes", "Bytes", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[G_SAMPLE] = {"sample", "Carried For", EMIT_IN_ALL, EMIT_LEFT, 0},
};

#define SAMPLE_MAX 4 /* addresses named per gateway */

/* One MAC's pairs (v[0..n) share link, family and MAC): its row, if it
 * is a gateway. */
static int gateway_row(struct emit *em, const struct nexthop_entry *v,
		       size_t n, const struct kernel_routes *routes,
		       const char *iface, bool table)
{
	uint64_t packets = 0, bytes = 0, off = 0;
	char mac[18], sample[SAMPLE_MAX * (ADDR_STRLEN + 1) + 8];
	size_t shown = 0, len = 0;
	for (size_t i = 0; i < n; i++) {
		packets += v[i].packets;
		bytes += v[i].bytes;
		off += routes && off_link(routes, &v[i].ip);
	}
	/* a router carries many addresses; with this host's routes, any
	 * address behind a gateway */
	if (n < 2 && off == 0)
		return 0;
	sample[0] = '\0';
	for (int pass = 0; pass < 2 && shown < SAMPLE_MAX; pass++) {
		/* off-link addresses first, when the routes tell */
		for (size_t i = 0; i < n && shown < SAMPLE_MAX; i++) {
			bool is_off = routes && off_link(routes, &v[i].ip);
			if ((pass == 0) != is_off)
				continue;
			char a[ADDR_STRLEN];
			addr_format(&v[i].ip, a, sizeof(a));
			len += (size_t)snprintf(sample + len, sizeof(sample) - len,
						"%s%s", shown ? " " : "", a);
			shown++;
		}
	}
	if (n > shown)
		snprintf(sample + len, sizeof(sample) - len, " ...");
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v[0].mac[0],
		 v[0].mac[1], v[0].mac[2], v[0].mac[3], v[0].mac[4],
		 v[0].mac[5]);
	struct emit_value vals[G_MAX] = {
		[G_IFACE] = ev_str(iface),
		[G_MAC] = ev_str(mac),
		[G_KIND] = ev_str("gateway"),
		[G_FAMILY] = ev_str(v[0].ip.family == ADDR_V6 ? "inet6"
							      : "inet"),
		[G_ADDRS] = ev_int((int64_t)n),
		[G_OFFLINK] = routes	? ev_int((int64_t)off)
			      : table ? ev_str("-")
				      : ev_null(),
		[G_PACKETS] = ev_int((int64_t)packets),
		[G_BYTES] = ev_int((int64_t)bytes),
		[G_SAMPLE] = ev_str(sample),
	};
	return emit_row(em, vals);
}

int report_gateways(FILE *out, struct engine *const *engines, size_t ne,
		    const struct kernel_routes *routes,
		    const struct report_options *o, const char *const *names,
		    size_t nnames)
{
	size_t n = 0, cap = 0, tracked = 0, capacity = 0;
	uint64_t evicted = 0;
	struct nexthop_entry *v = NULL;
	char title[160];
	int ret = -1;
	for (size_t k = 0; k < ne; k++) {
		const struct nexthop_table *t = engines[k]->nexthops;
		if (!t)
			continue;
		tracked += nexthop_count(t);
		capacity += nexthop_capacity(t);
		evicted += nexthop_counters(t)[NHC_EVICTED];
		cap += nexthop_count(t);
	}
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (!v)
		return -1;
	for (size_t k = 0; k < ne; k++) {
		const struct nexthop_table *t = engines[k]->nexthops;
		for (const struct nexthop_entry *e = t ? nexthop_first(t) : NULL;
		     e && n < cap; e = nexthop_next(e))
			v[n++] = *e;
	}
	if (n)
		qsort(v, n, sizeof(*v), pair_cmp);
	/* the workers split one address's flows: one pair, summed */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && pair_cmp(&v[m - 1], &v[i]) == 0) {
			v[m - 1].packets += v[i].packets;
			v[m - 1].bytes += v[i].bytes;
			continue;
		}
		v[m++] = v[i];
	}
	n = m;
	snprintf(title, sizeof(title),
		 "Observed Gateways (%zu address-MAC pairs of %zu, %" PRIu64
		 " evicted)",
		 tracked, capacity, evicted);
	struct emit *em = emit_begin(out, o->format, gateway_fields, G_MAX,
				     title);
	if (!em)
		goto out_free;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && v[j].link == v[i].link &&
		       v[j].ip.family == v[i].ip.family &&
		       memcmp(v[j].mac, v[i].mac, 6) == 0)
			j++;
		const char *iface = v[i].link < nnames ? names[v[i].link] : "?";
		if (family_kept(o, v[i].ip.family) &&
		    gateway_row(em, &v[i], j - i, routes, iface,
				o->format == EMIT_TABLE) < 0) {
			emit_end(em);
			goto out_free;
		}
		i = j;
	}
	ret = emit_end(em);
out_free:
	free(v);
	return ret;
}

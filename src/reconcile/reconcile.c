/* reconcile.c - one snapshot of the wire's sockets beside one of the
 * kernel's, a verdict per row, and the counters of both sides.  Pure:
 * no I/O, no global state; the history that settling needs comes in and
 * goes out as data (DESIGN.md: "two sorted snapshots in, a diff with a
 * reason per row out").
 */
#include "wirestat/reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "wirestat/tcp.h"

enum { PROTO_TCP = 6, PROTO_UDP = 17 };

const char *const rc_verdict_text[RC_VERDICT_MAX] = {
#define RC_X_TEXT(e, text, json) [e] = (text),
	RC_VERDICTS(RC_X_TEXT)
#undef RC_X_TEXT
};

const char *const rc_verdict_json[RC_VERDICT_MAX] = {
#define RC_X_JSON(e, text, json) [e] = (json),
	RC_VERDICTS(RC_X_JSON)
#undef RC_X_JSON
};

static int cmp_u(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

/* The socket view's order: tcp, tcp6, udp, udp6; local address and port;
 * listeners and UDP (no remote) first; remote; VLANs. */
static unsigned proto_rank(const struct rc_key *k)
{
	return (k->proto == PROTO_TCP ? 0 : 2) + (k->local.family == ADDR_V6);
}

int rc_key_cmp(const struct rc_key *a, const struct rc_key *b)
{
	int c;
	if ((c = cmp_u(proto_rank(a), proto_rank(b))))
		return c;
	if ((c = cmp_u(a->proto, b->proto)))
		return c;
	if ((c = addr_cmp(&a->local, &b->local)))
		return c;
	if ((c = cmp_u(a->lport, b->lport)))
		return c;
	if ((c = cmp_u(a->has_remote, b->has_remote)))
		return c;
	if (a->has_remote) {
		if ((c = addr_cmp(&a->remote, &b->remote)))
			return c;
		if ((c = cmp_u(a->rport, b->rport)))
			return c;
	}
	if ((c = cmp_u(a->vlan, b->vlan)))
		return c;
	return cmp_u(a->inner_vlan, b->inner_vlan);
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct rc_row *a = pa, *b = pb;
	int c = rc_key_cmp(&a->key, &b->key);
	if (c)
		return c;
	/* duplicates: the wire's before the kernel's, a matched one first */
	if ((c = cmp_u(!a->on_wire, !b->on_wire)))
		return c;
	return cmp_u(a->ksock == NULL, b->ksock == NULL);
}

static const struct rc_hist *hist_find(const struct rc_history *h,
				       const struct rc_key *k)
{
	size_t lo = 0, hi = h ? h->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rc_key_cmp(&h->v[mid].key, k);
		if (c == 0)
			return &h->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The conntrack entry of a row: by the wire's tuple, else the kernel's. */
static const struct kernel_ct_entry *row_ct(const struct rc_kernel *k,
					    const struct rc_endpoint *ep,
					    const struct rc_ksock *s)
{
	const struct kernel_ct_entry *e = NULL;
	if (ep && ep->has_remote)
		e = rc_find_ct(k, ep->proto, &ep->local, ep->lport,
			       &ep->remote, ep->rport);
	if (!e && s && s->connected)
		e = rc_find_ct(k, s->proto, &s->local, s->lport, &s->remote,
			       s->rport);
	return e;
}

static void wire_row(const struct rc_input *in, const struct rc_wire *w,
		     struct rc_row *r)
{
	const struct rc_kernel *k = in->kernel;
	enum rc_how how;
	const struct kernel_ct_entry *nat;
	memset(r, 0, sizeof(*r));
	r->key.proto = w->ep.proto;
	r->key.local = w->ep.local;
	r->key.lport = w->ep.lport;
	r->key.has_remote = w->shows_remote;
	if (w->shows_remote) {
		r->key.remote = w->ep.remote;
		r->key.rport = w->ep.rport;
	}
	r->key.vlan = w->vlan;
	r->key.inner_vlan = w->inner_vlan;
	r->on_wire = true;
	r->wire_state = w->state;
	r->partial = w->partial;
	r->ksock = rc_find(k, &w->ep, &how, &nat);
	r->how = (uint8_t)how;
	r->ct = nat ? nat : row_ct(k, &w->ep, r->ksock);
	r->owner = rc_owner(k, r->ksock);
}

static void kernel_row(const struct rc_kernel *k, const struct rc_ksock *s,
		       struct rc_row *r)
{
	memset(r, 0, sizeof(*r));
	r->key.proto = s->proto;
	r->key.local = s->local;
	r->key.lport = s->lport;
	/* a TCP connection names its peer; listeners and UDP do not, as in
	 * the socket view */
	r->key.has_remote = s->proto == PROTO_TCP && s->connected;
	if (r->key.has_remote) {
		r->key.remote = s->remote;
		r->key.rport = s->rport;
	}
	r->wire_state = TCP_STATE_MAX;
	r->ksock = s;
	r->how = RC_EXACT;
	r->ct = row_ct(k, NULL, s);
	r->owner = rc_owner(k, s);
}

/* Whether a kernel socket belongs in the comparison: bound where the
 * capture can see it, and not a TCP socket that is only bound (CLOSE:
 * no connection, no listener, nothing to see). */
static bool kernel_in_scope(const struct rc_input *in,
			    const struct rc_ksock *s)
{
	if (s->proto == PROTO_TCP && s->state == TCP_CLOSED)
		return false;
	if (s->proto != PROTO_TCP && s->proto != PROTO_UDP)
		return false;
	return !in->scope || s->wildcard ||
	       kernel_addrs_has(in->scope, &s->local);
}

/* This snapshot's verdict for a row, and what the history learns. */
static enum rc_verdict raw_verdict(const struct rc_row *r, bool baseline,
				   bool wire_seen)
{
	if (r->on_wire && r->ksock) {
		if (r->key.proto != PROTO_TCP)
			return RC_MATCH;
		return r->wire_state == r->ksock->state ? RC_MATCH
							: RC_STATE_DIFFERS;
	}
	if (r->on_wire || !r->ksock) /* (a row has one side at least) */
		return RC_WIRE_ONLY;
	if (r->key.proto == PROTO_TCP && r->ksock->state != TCP_LISTENING &&
	    !baseline && !wire_seen)
		return RC_KERNEL_ONLY_NEVER;
	return RC_KERNEL_ONLY_IDLE;
}

static void settle(const struct rc_input *in, const struct rc_history *prev,
		   struct rc_row *r, struct rc_hist *h)
{
	const struct rc_hist *old = hist_find(prev, &r->key);
	bool baseline = in->first ? r->ksock != NULL : old && old->baseline;
	bool wire_seen = r->on_wire || (old && old->wire_seen);
	enum rc_verdict raw = raw_verdict(r, baseline, wire_seen);
	r->raw = (uint8_t)raw;
	r->since = old && old->raw == raw ? old->since : in->now;
	if (raw == RC_MATCH)
		r->verdict = RC_MATCH;
	else if (in->now - r->since >= in->settle)
		r->verdict = (uint8_t)raw;
	else
		r->verdict = old ? old->verdict : RC_SETTLING;
	memset(h, 0, sizeof(*h));
	h->key = r->key;
	h->since = r->since;
	h->raw = r->raw;
	h->verdict = r->verdict;
	h->baseline = baseline;
	h->wire_seen = wire_seen;
}

int reconcile(const struct rc_input *in, const struct rc_history *prev,
	      struct rc_result *out, char *errbuf)
{
	const struct rc_kernel *k = in->kernel;
	size_t cap = in->nwire + k->nsocks;
	bool *used = calloc(k->nsocks ? k->nsocks : 1, sizeof(*used));
	memset(out, 0, sizeof(*out));
	out->rows = calloc(cap ? cap : 1, sizeof(*out->rows));
	if (!used || !out->rows) {
		free(used);
		rc_result_free(out);
		return ws_error(errbuf, "out of memory for the comparison");
	}
	for (size_t i = 0; i < in->nwire; i++) {
		const struct rc_wire *w = &in->wire[i];
		if (!rc_is_local(k, &w->ep.local)) {
			out->wire_not_local++;
			continue;
		}
		struct rc_row *r = &out->rows[out->n++];
		wire_row(in, w, r);
		if (r->ksock)
			used[r->ksock - k->socks] = true;
	}
	for (size_t i = 0; i < k->nsocks; i++) {
		if (used[i])
			continue;
		if (!kernel_in_scope(in, &k->socks[i])) {
			out->kernel_out_of_scope++;
			continue;
		}
		kernel_row(k, &k->socks[i], &out->rows[out->n++]);
	}
	free(used);
	if (out->n)
		qsort(out->rows, out->n, sizeof(*out->rows), row_cmp);
	/* One row per key: a UDP socket seen in several flows, two kernel
	 * sockets on one UDP port (the first, the wire's, stays). */
	size_t n = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (n && rc_key_cmp(&out->rows[n - 1].key, &out->rows[i].key) == 0)
			continue;
		out->rows[n++] = out->rows[i];
	}
	out->n = n;
	out->hist.v = calloc(n ? n : 1, sizeof(*out->hist.v));
	if (!out->hist.v) {
		rc_result_free(out);
		return ws_error(errbuf, "out of memory for the comparison");
	}
	for (size_t i = 0; i < n; i++)
		settle(in, prev, &out->rows[i], &out->hist.v[i]);
	out->hist.n = n;
	return 0;
}

void rc_result_free(struct rc_result *r)
{
	free(r->rows);
	free(r->hist.v);
	r->rows = NULL;
	r->hist.v = NULL;
	r->n = r->hist.n = 0;
}

/* ---- counters ---- */

/* Where a -s group's keys live among the kernel's counters: the section,
 * and the prefix the -s key carries that snmp6's name does not. */
static const struct {
	const char *group, *section, *strip;
	const char *merged; /* the row's group when two add up */
} counter_map[] = {
	{"ip", "Ip", "", NULL},
	{"ipv6", "Ip6", "Ip6", NULL},
	{"icmp", "Icmp", "", NULL},
	{"icmpv6", "Icmp6", "Icmp6", NULL},
	{"tcp", "Tcp", "", "tcp"},
	{"tcpv6", "Tcp", "", "tcp"}, /* Linux's Tcp counts both families */
	{"udp", "Udp", "", NULL},
	{"udpv6", "Udp6", "Udp6", NULL},
};

/* ICMP message types are in the IcmpMsg section ("InType3"), where the
 * Icmp section has no name for them (In/OutType9 and 10). */
static bool icmp_msg_key(const char *key)
{
	return strncmp(key, "InType", 6) == 0 || strncmp(key, "OutType", 7) == 0;
}

/* A name cut to size (at least 1), NUL-terminated. */
static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

size_t rc_counters(const struct rc_wire_counter *wire, size_t n,
		   const struct kernel_snmp *delta,
		   const struct kernel_snmp *after, struct rc_counter_row *rows)
{
	size_t nrows = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rc_wire_counter *w = &wire[i];
		const char *section = NULL, *strip = "", *group = w->group;
		for (size_t m = 0; m < WS_ARRAY_SIZE(counter_map); m++) {
			if (strcmp(counter_map[m].group, w->group) != 0)
				continue;
			section = counter_map[m].section;
			strip = counter_map[m].strip;
			if (counter_map[m].merged)
				group = counter_map[m].merged;
		}
		if (!section)
			continue; /* wirestat's own: no kernel counterpart */
		size_t j;
		for (j = 0; j < nrows; j++) /* the other family's row */
			if (strcmp(rows[j].group, group) == 0 &&
			    strcmp(rows[j].key, w->key) == 0)
				break;
		struct rc_counter_row *r = &rows[j];
		if (j == nrows) {
			const char *name = w->key;
			size_t sl = strlen(strip);
			if (sl && strncmp(name, strip, sl) == 0)
				name += sl;
			memset(r, 0, sizeof(*r));
			r->group = group;
			r->key = w->key;
			if (strcmp(w->group, "icmp") == 0 && icmp_msg_key(name))
				section = "IcmpMsg";
			copy_name(r->section, sizeof(r->section), section);
			copy_name(r->name, sizeof(r->name), name);
			r->gauge = strcmp(r->section, "Tcp") == 0 &&
				   strcmp(name, "CurrEstab") == 0;
			uint64_t v;
			const struct kernel_snmp *src = r->gauge ? after : delta;
			if (src && kernel_snmp_get(src, r->section, r->name, &v)) {
				r->kernel_known = true;
				r->kernel = (int64_t)v;
			}
			r->wire_known = w->known;
			nrows++;
		} else {
			r->wire_known = r->wire_known && w->known;
		}
		if (w->known)
			r->wire += w->value;
	}
	return nrows;
}

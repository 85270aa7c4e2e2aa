/* match.c - from a socket on the wire to the kernel socket behind it.
 *
 * The kernel's sockets are copied into one sorted array keyed by
 * (protocol, local address and port, remote address and port), with
 * IPv4-mapped IPv6 addresses (a dual-stack socket's view of an IPv4 peer)
 * turned back into IPv4 and the remote of an unconnected socket cleared,
 * so that every lookup is a binary search.  Conntrack's tuples are kept
 * the same way, both directions of every entry, and the original tuples
 * again by destination (for listeners behind a DNAT).  Pure: the
 * snapshots come in, pointers into them go out.
 */
#include "wirestat/reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "wirestat/tcp.h"

enum { PROTO_TCP = 6, PROTO_UDP = 17 };

const char *const rc_how_names[RC_HOW_MAX] = {
	[RC_NOT_FOUND] = "none",
	[RC_EXACT] = "exact",
	[RC_WILDCARD] = "wildcard",
	[RC_NAT] = "nat",
};

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2) as a.b.c.d; others unchanged. */
static struct addr unmap(const struct addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff};
	struct addr r = *a;
	if (a->family == ADDR_V6 && memcmp(a->bytes, prefix, 12) == 0) {
		memset(&r, 0, sizeof(r));
		r.family = ADDR_V4;
		memcpy(r.bytes, a->bytes + 12, 4);
	}
	return r;
}

static bool unspecified(const struct addr *a)
{
	return all_zero(a->bytes, sizeof(a->bytes));
}

static int cmp_u(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

static int sock_key_cmp(uint8_t proto, const struct addr *l, uint16_t lp,
			const struct addr *r, uint16_t rp,
			const struct rc_ksock *s)
{
	int c;
	if ((c = cmp_u(proto, s->proto)))
		return c;
	if ((c = addr_cmp(l, &s->local)))
		return c;
	if ((c = cmp_u(lp, s->lport)))
		return c;
	if ((c = addr_cmp(r, &s->remote)))
		return c;
	return cmp_u(rp, s->rport);
}

static int sock_cmp(const void *pa, const void *pb)
{
	const struct rc_ksock *a = pa, *b = pb;
	int c = sock_key_cmp(a->proto, &a->local, a->lport, &a->remote,
			     a->rport, b);
	return c ? c : cmp_u(a->index, b->index);
}

static int tuple_key_cmp(uint8_t proto, const struct addr *s, uint16_t sp,
			 const struct addr *d, uint16_t dp,
			 const struct rc_cttuple *t)
{
	int c;
	if ((c = cmp_u(proto, t->proto)))
		return c;
	if ((c = addr_cmp(s, &t->src)))
		return c;
	if ((c = cmp_u(sp, t->sport)))
		return c;
	if ((c = addr_cmp(d, &t->dst)))
		return c;
	return cmp_u(dp, t->dport);
}

static int tuple_cmp(const void *pa, const void *pb)
{
	const struct rc_cttuple *a = pa, *b = pb;
	int c = tuple_key_cmp(a->proto, &a->src, a->sport, &a->dst, a->dport,
			      b);
	if (c)
		return c;
	if ((c = cmp_u(a->index, b->index)))
		return c;
	return cmp_u(a->reply, b->reply);
}

static int dst_key_cmp(uint8_t proto, const struct addr *d, uint16_t dp,
		       const struct rc_cttuple *t)
{
	int c;
	if ((c = cmp_u(proto, t->proto)))
		return c;
	if ((c = addr_cmp(d, &t->dst)))
		return c;
	return cmp_u(dp, t->dport);
}

static int dst_cmp(const void *pa, const void *pb)
{
	const struct rc_cttuple *a = pa, *b = pb;
	int c = dst_key_cmp(a->proto, &a->dst, a->dport, b);
	return c ? c : cmp_u(a->index, b->index);
}

static void fill_tuple(struct rc_cttuple *t, const struct kernel_ct_tuple *k,
		       uint8_t reply, uint32_t index)
{
	memset(t, 0, sizeof(*t));
	t->src = unmap(&k->src);
	t->dst = unmap(&k->dst);
	t->sport = k->sport;
	t->dport = k->dport;
	t->proto = k->l4proto;
	t->reply = reply;
	t->index = index;
}

int rc_kernel_build(struct rc_kernel *k, char *errbuf)
{
	size_t ns = k->sockets ? k->sockets->n : 0;
	size_t nc = k->ct ? k->ct->n : 0;
	k->socks = calloc(ns ? ns : 1, sizeof(*k->socks));
	k->tuples = calloc(nc ? 2 * nc : 1, sizeof(*k->tuples));
	k->by_dst = calloc(nc ? nc : 1, sizeof(*k->by_dst));
	k->nsocks = k->ntuples = k->nby_dst = 0;
	if (!k->socks || !k->tuples || !k->by_dst) {
		rc_kernel_free(k);
		return ws_error(errbuf, "out of memory for the kernel's index");
	}
	for (size_t i = 0; i < ns; i++) {
		const struct kernel_socket *s = &k->sockets->v[i];
		struct rc_ksock *r = &k->socks[k->nsocks++];
		memset(r, 0, sizeof(*r));
		r->proto = s->proto;
		r->state = s->state;
		r->local = unmap(&s->local);
		r->lport = s->local_port;
		r->wildcard = unspecified(&s->local);
		r->connected = !unspecified(&s->remote) || s->remote_port;
		if (r->connected) {
			r->remote = unmap(&s->remote);
			r->rport = s->remote_port;
		}
		r->index = (uint32_t)i;
	}
	for (size_t i = 0; i < nc; i++) {
		const struct kernel_ct_entry *e = &k->ct->v[i];
		fill_tuple(&k->tuples[k->ntuples++], &e->orig, 0, (uint32_t)i);
		fill_tuple(&k->tuples[k->ntuples++], &e->reply, 1, (uint32_t)i);
		fill_tuple(&k->by_dst[k->nby_dst++], &e->orig, 0, (uint32_t)i);
	}
	if (k->nsocks)
		qsort(k->socks, k->nsocks, sizeof(*k->socks), sock_cmp);
	if (k->ntuples)
		qsort(k->tuples, k->ntuples, sizeof(*k->tuples), tuple_cmp);
	if (k->nby_dst)
		qsort(k->by_dst, k->nby_dst, sizeof(*k->by_dst), dst_cmp);
	return 0;
}

void rc_kernel_free(struct rc_kernel *k)
{
	free(k->socks);
	free(k->tuples);
	free(k->by_dst);
	k->socks = NULL;
	k->tuples = NULL;
	k->by_dst = NULL;
	k->nsocks = k->ntuples = k->nby_dst = 0;
}

/* The first socket with this key (every one with it follows), or
 * k->nsocks. */
static size_t sock_lower(const struct rc_kernel *k, uint8_t proto,
			 const struct addr *l, uint16_t lp,
			 const struct addr *r, uint16_t rp)
{
	size_t lo = 0, hi = k->nsocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sock_key_cmp(proto, l, lp, r, rp, &k->socks[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A socket with exactly this key whose state is `state` (TCP_STATE_MAX:
 * any), or NULL. */
static const struct rc_ksock *sock_find(const struct rc_kernel *k,
					uint8_t proto, const struct addr *l,
					uint16_t lp, const struct addr *r,
					uint16_t rp, uint8_t state)
{
	for (size_t i = sock_lower(k, proto, l, lp, r, rp); i < k->nsocks;
	     i++) {
		const struct rc_ksock *s = &k->socks[i];
		if (sock_key_cmp(proto, l, lp, r, rp, s) != 0)
			break;
		if (state == TCP_STATE_MAX || s->state == state)
			return s;
	}
	return NULL;
}

/* A socket bound to (l, lp) with no remote: on that address, or on the
 * wildcard of its family, or (IPv4) on IPv6's wildcard, which takes IPv4
 * too unless IPV6_V6ONLY (Linux's default, net.ipv6.bindv6only=0). */
static const struct rc_ksock *bound_find(const struct rc_kernel *k,
					 uint8_t proto, const struct addr *l,
					 uint16_t lp, uint8_t state,
					 enum rc_how *how)
{
	static const struct addr none; /* an unconnected socket's remote */
	struct addr any4 = {.family = ADDR_V4}, any6 = {.family = ADDR_V6};
	const struct rc_ksock *s = sock_find(k, proto, l, lp, &none, 0, state);
	if (s) {
		*how = RC_EXACT;
		return s;
	}
	if (l->family == ADDR_V4)
		s = sock_find(k, proto, &any4, lp, &none, 0, state);
	if (!s)
		s = sock_find(k, proto, &any6, lp, &none, 0, state);
	if (s)
		*how = RC_WILDCARD;
	return s;
}

static const struct rc_cttuple *tuple_find(const struct rc_kernel *k,
					   uint8_t proto, const struct addr *s,
					   uint16_t sp, const struct addr *d,
					   uint16_t dp)
{
	size_t lo = 0, hi = k->ntuples;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = tuple_key_cmp(proto, s, sp, d, dp, &k->tuples[mid]);
		if (c == 0)
			return &k->tuples[mid];
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct kernel_ct_entry *rc_find_ct(const struct rc_kernel *k,
					 uint8_t proto, const struct addr *a,
					 uint16_t ap, const struct addr *b,
					 uint16_t bp)
{
	const struct rc_cttuple *t = tuple_find(k, proto, a, ap, b, bp);
	if (!t)
		t = tuple_find(k, proto, b, bp, a, ap);
	return t ? &k->ct->v[t->index] : NULL;
}

/* Whether the socket a tuple of entry describes (tuple 0, the original:
 * a socket that connected out; 1, the reply: one that accepted) is the
 * wire's local end translated.  The wire's local end is where the
 * translated packets go: the reply's destination for a socket that
 * connected out (SNAT, masquerade), the original destination for one
 * that accepted (DNAT, redirect).  Otherwise the tuple is the socket of
 * the wire's remote end, a peer's, not this one's. */
static bool translated_end(const struct kernel_ct_entry *entry, int tuple,
			   const struct rc_endpoint *e)
{
	const struct kernel_ct_tuple *t = tuple == 0 ? &entry->reply
						     : &entry->orig;
	struct addr dst = unmap(&t->dst);
	return addr_equal(&dst, &e->local) && t->dport == e->lport;
}

/* The socket of a connection whose packets conntrack translates: the
 * entry carrying the wire's packets names, in its other tuple, what the
 * socket sees.  A local socket that connected out has the original
 * tuple (source = itself); one that accepted has the reply tuple. */
static const struct rc_ksock *nat_find(const struct rc_kernel *k,
				       const struct rc_endpoint *e,
				       uint8_t state,
				       const struct kernel_ct_entry **ct)
{
	const struct kernel_ct_entry *entry =
		rc_find_ct(k, e->proto, &e->local, e->lport, &e->remote,
			   e->rport);
	if (!entry)
		return NULL;
	const struct kernel_ct_tuple *cand[2] = {&entry->orig, &entry->reply};
	for (int i = 0; i < 2; i++) {
		struct addr src = unmap(&cand[i]->src), dst = unmap(&cand[i]->dst);
		if (addr_equal(&src, &e->local) && cand[i]->sport == e->lport &&
		    addr_equal(&dst, &e->remote) && cand[i]->dport == e->rport)
			continue; /* the wire's own tuple: looked up already */
		if (!translated_end(entry, i, e))
			continue; /* the peer's socket */
		const struct rc_ksock *s =
			sock_find(k, e->proto, &src, cand[i]->sport, &dst,
				  cand[i]->dport, state);
		if (s) {
			*ct = entry;
			return s;
		}
	}
	return NULL;
}

/* A listener behind a DNAT: connections to (l, lp) are translated to the
 * address and port a listener has (the reply tuple's source). */
static const struct rc_ksock *dnat_listener(const struct rc_kernel *k,
					    const struct rc_endpoint *e,
					    const struct kernel_ct_entry **ct)
{
	size_t lo = 0, hi = k->nby_dst;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (dst_key_cmp(e->proto, &e->local, e->lport,
				&k->by_dst[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < k->nby_dst; i++) {
		if (dst_key_cmp(e->proto, &e->local, e->lport, &k->by_dst[i]))
			break;
		const struct kernel_ct_entry *entry = &k->ct->v[k->by_dst[i].index];
		struct addr to = unmap(&entry->reply.src);
		enum rc_how how;
		if (addr_equal(&to, &e->local) && entry->reply.sport == e->lport)
			continue; /* not translated */
		const struct rc_ksock *s =
			bound_find(k, e->proto, &to, entry->reply.sport,
				   e->proto == PROTO_TCP ? TCP_LISTENING
							 : TCP_STATE_MAX,
				   &how);
		if (s) {
			*ct = entry;
			return s;
		}
	}
	return NULL;
}

const struct rc_ksock *rc_find(const struct rc_kernel *k,
			       const struct rc_endpoint *e, enum rc_how *how,
			       const struct kernel_ct_entry **ct)
{
	const struct rc_ksock *s = NULL;
	*how = RC_NOT_FOUND;
	*ct = NULL;
	if (e->proto == PROTO_TCP && e->has_remote) {
		s = sock_find(k, e->proto, &e->local, e->lport, &e->remote,
			      e->rport, TCP_STATE_MAX);
		if (s) {
			*how = RC_EXACT;
			return s;
		}
	} else if (e->proto == PROTO_TCP) {
		s = bound_find(k, e->proto, &e->local, e->lport, TCP_LISTENING,
			       how);
		if (s)
			return s;
		s = dnat_listener(k, e, ct);
		if (s)
			*how = RC_NAT;
		return s;
	} else if (e->proto == PROTO_UDP) {
		if (e->has_remote)
			s = sock_find(k, e->proto, &e->local, e->lport,
				      &e->remote, e->rport, TCP_STATE_MAX);
		if (s) {
			*how = RC_EXACT;
			return s;
		}
		s = bound_find(k, e->proto, &e->local, e->lport, TCP_STATE_MAX,
			       how);
		if (s)
			return s;
		if (!e->has_remote) {
			s = dnat_listener(k, e, ct);
			if (s)
				*how = RC_NAT;
			return s;
		}
	} else {
		return NULL;
	}
	s = nat_find(k, e, TCP_STATE_MAX, ct);
	if (s)
		*how = RC_NAT;
	else if (e->proto == PROTO_UDP && *ct == NULL) {
		/* a translated UDP peer: its socket may be unconnected */
		const struct kernel_ct_entry *entry =
			rc_find_ct(k, e->proto, &e->local, e->lport, &e->remote,
				   e->rport);
		const struct kernel_ct_tuple *cand[2] = {
			entry ? &entry->orig : NULL,
			entry ? &entry->reply : NULL};
		for (int i = 0; entry && i < 2 && !s; i++) {
			struct addr src = unmap(&cand[i]->src);
			enum rc_how h;
			if ((addr_equal(&src, &e->local) &&
			     cand[i]->sport == e->lport) ||
			    !translated_end(entry, i, e))
				continue;
			s = bound_find(k, e->proto, &src, cand[i]->sport,
				       TCP_STATE_MAX, &h);
		}
		if (s) {
			*how = RC_NAT;
			*ct = entry;
		}
	}
	return s;
}

bool rc_is_local(const struct rc_kernel *k, const struct addr *a)
{
	return k->addrs && kernel_addrs_has(k->addrs, a);
}

const struct kernel_owner *rc_owner(const struct rc_kernel *k,
				    const struct rc_ksock *s)
{
	if (!s || !k->owners || !k->sockets)
		return NULL;
	uint64_t inode = k->sockets->v[s->index].inode;
	return inode ? kernel_owner_find(k->owners, inode) : NULL;
}

const char *rc_ct_state(const struct kernel_ct_entry *e)
{
	if (e->orig.l4proto == PROTO_TCP && e->tcp_state < KCT_TCP_MAX)
		return kernel_ct_tcp_state_names[e->tcp_state];
	if (e->status & KCT_ASSURED)
		return "ASSURED";
	return (e->status & KCT_SEEN_REPLY) ? "REPLIED" : "UNREPLIED";
}

/* test_reconcile.c - the wire beside the kernel on hand-made snapshots:
 * the matcher (4-tuple, wildcard and dual-stack listeners, IPv4-mapped
 * addresses, UDP, NAT through conntrack's tuples both ways, owners),
 * reconcile() (every verdict, the settling time, the first snapshot, the
 * scope) and the counters' mapping by name; then the matcher on the
 * fixture tree's /proc, read through --proc-root's reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirestat/kernel.h"
#include "wirestat/reconcile.h"
#include "wirestat/tcp.h"

#include "unit.h"

enum { TCP = 6, UDP = 17 };

/* A kernel as the readers would fill it. */
struct fake {
	struct kernel_sockets s;
	struct kernel_owners o;
	struct kernel_conntrack ct;
	struct kernel_addrs addrs;
	struct rc_kernel k;
};

static void fake_init(struct fake *f, const char *const *local)
{
	memset(f, 0, sizeof(*f));
	kernel_sockets_init(&f->s, 64);
	kernel_owners_init(&f->o, 64, 64);
	kernel_conntrack_init(&f->ct, 64);
	kernel_addrs_init(&f->addrs, 64);
	f->s.v = calloc(64, sizeof(*f->s.v));
	f->o.v = calloc(64, sizeof(*f->o.v));
	f->ct.v = calloc(64, sizeof(*f->ct.v));
	assert_non_null(f->s.v);
	assert_non_null(f->o.v);
	assert_non_null(f->ct.v);
	f->s.alloc = f->o.alloc = f->ct.alloc = 64;
	for (; local && *local; local++) {
		struct addr a = A(*local);
		assert_true(kernel_addrs_add(&f->addrs, &a, 24, "eth0"));
	}
	kernel_addrs_sort(&f->addrs);
}

/* A socket: proto, local, lport, remote (NULL: unconnected), rport, the
 * kernel's state, inode.  IPv6 addresses go to the tcp6/udp6 files. */
static void sock(struct fake *f, int proto, const char *l, uint16_t lp,
		 const char *r, uint16_t rp, enum tcp_state st, uint64_t inode)
{
	struct kernel_socket *k = &f->s.v[f->s.n++];
	memset(k, 0, sizeof(*k));
	k->proto = (uint8_t)proto;
	k->local = A(l);
	k->local_port = lp;
	if (r) {
		k->remote = A(r);
		k->remote_port = rp;
	} else {
		k->remote.family = k->local.family;
	}
	bool v6 = k->local.family == ADDR_V6;
	k->file = proto == TCP ? (v6 ? KSF_TCP6 : KSF_TCP)
			       : (v6 ? KSF_UDP6 : KSF_UDP);
	k->state = (uint8_t)st;
	k->inode = inode;
}

static void owner(struct fake *f, uint64_t inode, int pid, const char *comm)
{
	struct kernel_owner *o = &f->o.v[f->o.n++];
	memset(o, 0, sizeof(*o));
	o->inode = inode;
	o->pid = pid;
	o->npids = 1;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
}

static void ct(struct fake *f, int proto, const char *os, uint16_t osp,
	       const char *od, uint16_t odp, const char *rs, uint16_t rsp,
	       const char *rd, uint16_t rdp, enum kernel_ct_tcp_state st)
{
	struct kernel_ct_entry *e = &f->ct.v[f->ct.n++];
	memset(e, 0, sizeof(*e));
	e->orig.l4proto = e->reply.l4proto = (uint8_t)proto;
	e->orig.src = A(os);
	e->orig.sport = osp;
	e->orig.dst = A(od);
	e->orig.dport = odp;
	e->reply.src = A(rs);
	e->reply.sport = rsp;
	e->reply.dst = A(rd);
	e->reply.dport = rdp;
	e->tcp_state = (uint8_t)st;
	e->status = KCT_SEEN_REPLY | KCT_ASSURED | KCT_CONFIRMED;
}

/* Index what was added (owners sorted by inode, as the reader leaves
 * them); with_ct false leaves conntrack out. */
static void fake_build(struct fake *f, bool with_ct)
{
	char err[WS_ERRBUF_SIZE];
	for (size_t i = 1; i < f->o.n; i++)
		assert_true(f->o.v[i - 1].inode < f->o.v[i].inode);
	rc_kernel_free(&f->k);
	memset(&f->k, 0, sizeof(f->k));
	f->k.sockets = &f->s;
	f->k.owners = &f->o;
	f->k.ct = with_ct ? &f->ct : NULL;
	f->k.addrs = &f->addrs;
	assert_int_equal(rc_kernel_build(&f->k, err), 0);
}

static void fake_free(struct fake *f)
{
	rc_kernel_free(&f->k);
	kernel_sockets_free(&f->s);
	kernel_owners_free(&f->o);
	kernel_conntrack_free(&f->ct);
	kernel_addrs_free(&f->addrs);
}

static struct rc_endpoint ep(int proto, const char *l, uint16_t lp,
			     const char *r, uint16_t rp)
{
	struct rc_endpoint e;
	memset(&e, 0, sizeof(e));
	e.proto = (uint8_t)proto;
	e.local = A(l);
	e.lport = lp;
	if (r) {
		e.has_remote = true;
		e.remote = A(r);
		e.rport = rp;
	}
	return e;
}

/* The socket found for e, checked against the expected inode and how. */
static const struct rc_ksock *expect_find(const struct fake *f,
					  struct rc_endpoint e,
					  uint64_t inode, enum rc_how how)
{
	enum rc_how got;
	const struct kernel_ct_entry *entry;
	const struct rc_ksock *s = rc_find(&f->k, &e, &got, &entry);
	if (inode == 0) {
		assert_null(s);
		assert_int_equal(got, RC_NOT_FOUND);
		return NULL;
	}
	assert_non_null(s);
	assert_int_equal(f->s.v[s->index].inode, inode);
	assert_int_equal(got, how);
	if (how == RC_NAT)
		assert_non_null(entry);
	else
		assert_null(entry);
	return s;
}

static const char *const host[] = {"10.0.0.1", "fd00::1", "203.0.113.1",
				   "10.2.0.1", NULL};

static void test_match_tcp(void **state)
{
	struct fake f;
	(void)state;
	fake_init(&f, host);
	sock(&f, TCP, "10.0.0.1", 22, "10.0.0.9", 50000, TCP_ESTABLISHED, 11);
	sock(&f, TCP, "0.0.0.0", 22, NULL, 0, TCP_LISTENING, 12);
	sock(&f, TCP, "::", 443, NULL, 0, TCP_LISTENING, 13);
	sock(&f, TCP, "10.0.0.1", 8080, NULL, 0, TCP_CLOSED, 14); /* bound */
	sock(&f, TCP, "::ffff:10.0.0.1", 443, "::ffff:10.0.0.7", 41000,
	     TCP_ESTABLISHED, 15);
	sock(&f, TCP, "10.0.0.1", 9000, "10.0.0.9", 1, TCP_TIME_WAIT, 0);
	owner(&f, 11, 100, "sshd");
	owner(&f, 12, 100, "sshd");
	owner(&f, 15, 300, "nginx");
	fake_build(&f, true);

	const struct rc_ksock *s =
		expect_find(&f, ep(TCP, "10.0.0.1", 22, "10.0.0.9", 50000), 11,
			    RC_EXACT);
	const struct kernel_owner *o = rc_owner(&f.k, s);
	assert_non_null(o);
	assert_int_equal(o->pid, 100);
	assert_string_equal(o->comm, "sshd");
	/* another connection of the same port: no such socket */
	expect_find(&f, ep(TCP, "10.0.0.1", 22, "10.0.0.9", 50001), 0, 0);
	/* the listener, on the wildcard */
	expect_find(&f, ep(TCP, "10.0.0.1", 22, NULL, 0), 12, RC_WILDCARD);
	/* IPv6's wildcard takes IPv4 and IPv6 listeners */
	expect_find(&f, ep(TCP, "10.0.0.1", 443, NULL, 0), 13, RC_WILDCARD);
	expect_find(&f, ep(TCP, "fd00::1", 443, NULL, 0), 13, RC_WILDCARD);
	/* a bound socket that does not listen is no listener */
	expect_find(&f, ep(TCP, "10.0.0.1", 8080, NULL, 0), 0, 0);
	/* a dual-stack socket's IPv4-mapped view of an IPv4 connection */
	s = expect_find(&f, ep(TCP, "10.0.0.1", 443, "10.0.0.7", 41000), 15,
			RC_EXACT);
	assert_int_equal(s->local.family, ADDR_V4);
	assert_string_equal(rc_owner(&f.k, s)->comm, "nginx");
	/* TIME_WAIT: found, owned by no process */
	enum rc_how how;
	const struct kernel_ct_entry *entry;
	struct rc_endpoint tw = ep(TCP, "10.0.0.1", 9000, "10.0.0.9", 1);
	s = rc_find(&f.k, &tw, &how, &entry);
	assert_non_null(s);
	assert_int_equal(s->state, TCP_TIME_WAIT);
	assert_null(rc_owner(&f.k, s));
	fake_free(&f);
}

static void test_match_udp(void **state)
{
	struct fake f;
	(void)state;
	fake_init(&f, host);
	sock(&f, UDP, "10.0.0.1", 5353, "10.0.0.53", 53, TCP_ESTABLISHED, 21);
	sock(&f, UDP, "10.0.0.1", 5353, NULL, 0, TCP_CLOSED, 22);
	sock(&f, UDP, "0.0.0.0", 123, NULL, 0, TCP_CLOSED, 23);
	sock(&f, UDP, "::", 547, NULL, 0, TCP_CLOSED, 24);
	fake_build(&f, true);
	/* connected to the peer the wire saw it talk to */
	expect_find(&f, ep(UDP, "10.0.0.1", 5353, "10.0.0.53", 53), 21,
		    RC_EXACT);
	/* another peer: the unconnected socket bound to the address */
	expect_find(&f, ep(UDP, "10.0.0.1", 5353, "10.0.0.99", 53), 22,
		    RC_EXACT);
	expect_find(&f, ep(UDP, "10.0.0.1", 123, NULL, 0), 23, RC_WILDCARD);
	expect_find(&f, ep(UDP, "10.0.0.1", 547, "10.0.0.2", 546), 24,
		    RC_WILDCARD);
	expect_find(&f, ep(UDP, "10.0.0.1", 999, NULL, 0), 0, 0);
	fake_free(&f);
}

/* This host masquerades its own connection: the socket has 10.1.0.1,
 * the wire (outside) 10.2.0.1.  Conntrack: original 10.1.0.1:40000 ->
 * 10.2.0.2:80, reply 10.2.0.2:80 -> 10.2.0.1:40001. */
static void test_match_snat(void **state)
{
	struct fake f;
	(void)state;
	fake_init(&f, host);
	sock(&f, TCP, "10.1.0.1", 40000, "10.2.0.2", 80, TCP_ESTABLISHED, 31);
	owner(&f, 31, 777, "curl");
	ct(&f, TCP, "10.1.0.1", 40000, "10.2.0.2", 80, "10.2.0.2", 80,
	   "10.2.0.1", 40001, KCT_TCP_ESTABLISHED);
	fake_build(&f, true);
	struct rc_endpoint e = ep(TCP, "10.2.0.1", 40001, "10.2.0.2", 80);
	const struct rc_ksock *s = expect_find(&f, e, 31, RC_NAT);
	assert_int_equal(rc_owner(&f.k, s)->pid, 777);
	/* the same from the other tuple's direction (lookups go both
	 * ways): the remote's packets carry the reply tuple */
	const struct kernel_ct_entry *c =
		rc_find_ct(&f.k, TCP, &e.remote, 80, &e.local, 40001);
	assert_non_null(c);
	assert_string_equal(rc_ct_state(c), "ESTABLISHED");
	/* the peer's end of the same entry is not this host's socket */
	expect_find(&f, ep(TCP, "10.2.0.2", 80, "10.2.0.1", 40001), 0, 0);
	/* without conntrack, the translated socket cannot be found */
	fake_build(&f, false);
	expect_find(&f, e, 0, 0);
	fake_free(&f);
}

/* A service behind a DNAT on this host: clients reach 203.0.113.1:80,
 * the socket listens on 10.0.0.1:8080. */
static void test_match_dnat(void **state)
{
	struct fake f;
	(void)state;
	fake_init(&f, host);
	sock(&f, TCP, "0.0.0.0", 8080, NULL, 0, TCP_LISTENING, 41);
	sock(&f, TCP, "10.0.0.1", 8080, "198.51.100.7", 5555, TCP_ESTABLISHED,
	     42);
	sock(&f, UDP, "10.0.0.1", 5300, NULL, 0, TCP_CLOSED, 43);
	ct(&f, TCP, "198.51.100.7", 5555, "203.0.113.1", 80, "10.0.0.1", 8080,
	   "198.51.100.7", 5555, KCT_TCP_ESTABLISHED);
	ct(&f, UDP, "198.51.100.8", 6000, "203.0.113.1", 53, "10.0.0.1", 5300,
	   "198.51.100.8", 6000, KCT_TCP_NONE);
	fake_build(&f, true);
	expect_find(&f, ep(TCP, "203.0.113.1", 80, "198.51.100.7", 5555), 42,
		    RC_NAT);
	/* the client's end of the same entry is not this host's socket */
	expect_find(&f, ep(TCP, "198.51.100.7", 5555, "203.0.113.1", 80), 0,
		    0);
	expect_find(&f, ep(UDP, "198.51.100.8", 6000, "203.0.113.1", 53), 0,
		    0);
	/* the listener the wire inferred at the public address */
	expect_find(&f, ep(TCP, "203.0.113.1", 80, NULL, 0), 41, RC_NAT);
	/* UDP: the peer's datagrams, to the unconnected socket */
	expect_find(&f, ep(UDP, "203.0.113.1", 53, "198.51.100.8", 6000), 43,
		    RC_NAT);
	expect_find(&f, ep(UDP, "203.0.113.1", 53, NULL, 0), 43, RC_NAT);
	assert_string_equal(rc_ct_state(&f.ct.v[1]), "ASSURED");
	f.ct.v[1].status = KCT_CONFIRMED;
	assert_string_equal(rc_ct_state(&f.ct.v[1]), "UNREPLIED");
	fake_free(&f);
}

/* ---- reconcile() ---- */

static struct rc_wire wire(int proto, const char *l, uint16_t lp,
			   const char *r, uint16_t rp, enum tcp_state st)
{
	struct rc_wire w;
	memset(&w, 0, sizeof(w));
	w.ep = ep(proto, l, lp, r, rp);
	w.shows_remote = proto == TCP && r;
	w.state = proto == TCP ? (uint8_t)st : TCP_STATE_MAX;
	return w;
}

#define SEC(s) ((ws_time)((s) * 1e9))

struct run {
	struct fake *f;
	struct rc_history hist;
	struct rc_result res;
	bool first;
	const struct kernel_addrs *scope;
};

static void step(struct run *r, const struct rc_wire *w, size_t n, double t)
{
	char err[WS_ERRBUF_SIZE];
	struct rc_input in = {
		.wire = w,
		.nwire = n,
		.kernel = &r->f->k,
		.scope = r->scope,
		.now = SEC(t),
		.settle = SEC(2),
		.first = !r->first,
	};
	struct rc_result res;
	assert_int_equal(reconcile(&in, &r->hist, &res, err), 0);
	r->first = true;
	free(r->hist.v);
	free(r->res.rows);
	r->hist = res.hist;
	r->res = res;
	r->res.hist.v = NULL;
	/* rows sorted, histories in the same order */
	for (size_t i = 1; i < res.n; i++)
		assert_true(memcmp(&res.rows[i - 1].key, &res.rows[i].key,
				   sizeof(res.rows[i].key)) != 0);
}

static const struct rc_row *row(const struct run *r, int proto,
				const char *l, uint16_t lp, const char *rem,
				uint16_t rp)
{
	struct addr la = A(l), ra;
	memset(&ra, 0, sizeof(ra));
	if (rem)
		ra = A(rem);
	for (size_t i = 0; i < r->res.n; i++) {
		const struct rc_row *x = &r->res.rows[i];
		if (x->key.proto == proto && addr_equal(&x->key.local, &la) &&
		    x->key.lport == lp && x->key.has_remote == (rem != NULL) &&
		    (!rem || (addr_equal(&x->key.remote, &ra) &&
			      x->key.rport == rp)))
			return x;
	}
	fail_msg("no row %s:%u -> %s:%u", l, lp, rem ? rem : "*", rp);
	return NULL;
}

static void expect_verdict(const struct run *r, int proto, const char *l,
			   uint16_t lp, const char *rem, uint16_t rp,
			   enum rc_verdict v, enum rc_verdict raw)
{
	const struct rc_row *x = row(r, proto, l, lp, rem, rp);
	if (x->verdict != v || x->raw != raw)
		fail_msg("%s:%u -> %s:%u: %s (raw %s), expected %s (raw %s)", l,
			 lp, rem ? rem : "*", rp, rc_verdict_text[x->verdict],
			 rc_verdict_text[x->raw], rc_verdict_text[v],
			 rc_verdict_text[raw]);
}

static void run_free(struct run *r)
{
	free(r->hist.v);
	free(r->res.rows);
}

/* Every verdict, and how settling holds each disagreement back. */
static void test_reconcile_verdicts(void **state)
{
	struct fake f;
	struct run r = {.f = &f};
	(void)state;
	fake_init(&f, host);
	/* before observation: an idle connection and a listener */
	sock(&f, TCP, "10.0.0.1", 22, "10.0.0.9", 50000, TCP_ESTABLISHED, 11);
	sock(&f, TCP, "0.0.0.0", 80, NULL, 0, TCP_LISTENING, 12);
	sock(&f, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, TCP_ESTABLISHED, 13);
	fake_build(&f, true);
	step(&r, NULL, 0, 0);
	assert_int_equal(r.res.n, 3);
	expect_verdict(&r, TCP, "10.0.0.1", 22, "10.0.0.9", 50000,
		       RC_SETTLING, RC_KERNEL_ONLY_IDLE);

	/* t=1: the wire sees the listener answer, port 6000's connection
	 * carries data, a spoofed connection (no socket), and another
	 * host's sockets (left out); a new connection appears in the
	 * kernel the wire never saw */
	sock(&f, TCP, "10.0.0.1", 40000, "10.0.0.5", 443, TCP_ESTABLISHED, 14);
	fake_build(&f, true);
	struct rc_wire w1[] = {
		wire(TCP, "10.0.0.1", 80, NULL, 0, TCP_LISTENING),
		wire(TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, TCP_ESTABLISHED),
		wire(TCP, "10.0.0.1", 31337, "192.0.2.66", 1234,
		     TCP_ESTABLISHED),
		wire(TCP, "10.0.0.9", 7000, "10.0.0.1", 6000, TCP_ESTABLISHED),
	};
	step(&r, w1, 4, 1);
	assert_int_equal(r.res.wire_not_local, 1);
	expect_verdict(&r, TCP, "10.0.0.1", 80, NULL, 0, RC_MATCH, RC_MATCH);
	assert_int_equal(row(&r, TCP, "10.0.0.1", 80, NULL, 0)->how,
			 RC_WILDCARD);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, RC_MATCH,
		       RC_MATCH);
	expect_verdict(&r, TCP, "10.0.0.1", 31337, "192.0.2.66", 1234,
		       RC_SETTLING, RC_WIRE_ONLY);
	expect_verdict(&r, TCP, "10.0.0.1", 22, "10.0.0.9", 50000,
		       RC_SETTLING, RC_KERNEL_ONLY_IDLE);
	expect_verdict(&r, TCP, "10.0.0.1", 40000, "10.0.0.5", 443,
		       RC_SETTLING, RC_KERNEL_ONLY_NEVER);
	/* the wildcard listener matched: no row of its own */
	for (size_t i = 0; i < r.res.n; i++)
		assert_false(r.res.rows[i].key.local.bytes[0] == 0);

	/* t=2: the baseline socket has been idle since observation began
	 * (t=0): settled; the others only 1 s */
	step(&r, w1, 3, 2);
	expect_verdict(&r, TCP, "10.0.0.1", 22, "10.0.0.9", 50000,
		       RC_KERNEL_ONLY_IDLE, RC_KERNEL_ONLY_IDLE);
	expect_verdict(&r, TCP, "10.0.0.1", 31337, "192.0.2.66", 1234,
		       RC_SETTLING, RC_WIRE_ONLY);

	/* t=3: two seconds on: every disagreement is reported; the wire
	 * sees port 6000's socket FIN_WAIT_1 while the kernel still says
	 * ESTABLISHED (a FIN in flight) */
	struct rc_wire w3[] = {
		w1[0], w1[2],
		wire(TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, TCP_FIN_WAIT_1),
	};
	step(&r, w3, 3, 3);
	expect_verdict(&r, TCP, "10.0.0.1", 31337, "192.0.2.66", 1234,
		       RC_WIRE_ONLY, RC_WIRE_ONLY);
	expect_verdict(&r, TCP, "10.0.0.1", 40000, "10.0.0.5", 443,
		       RC_KERNEL_ONLY_NEVER, RC_KERNEL_ONLY_NEVER);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, RC_MATCH,
		       RC_STATE_DIFFERS); /* held: in flight */

	/* t=4: the kernel caught up: MATCH at once, no flap */
	f.s.v[2].state = TCP_FIN_WAIT_1;
	fake_build(&f, true);
	step(&r, w3, 3, 4);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, RC_MATCH,
		       RC_MATCH);

	/* t=4.5 to 6.5: a disagreement that lasts */
	f.s.v[2].state = TCP_CLOSE_WAIT;
	fake_build(&f, true);
	step(&r, w3, 3, 4.5);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, RC_MATCH,
		       RC_STATE_DIFFERS);
	step(&r, w3, 3, 6);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000, RC_MATCH,
		       RC_STATE_DIFFERS);
	step(&r, w3, 3, 6.5);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000,
		       RC_STATE_DIFFERS, RC_STATE_DIFFERS);
	assert_int_equal(row(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000)->since,
			 SEC(4.5));

	/* t=7: the wire no longer shows it (its flow idled out): the
	 * socket carried nothing since, and the wire saw it before: idle,
	 * not "never seen"; STATE_DIFFERS is held until that settles */
	step(&r, w3, 2, 7);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000,
		       RC_STATE_DIFFERS, RC_KERNEL_ONLY_IDLE);
	step(&r, w3, 2, 9);
	expect_verdict(&r, TCP, "10.0.0.1", 6000, "10.0.0.9", 7000,
		       RC_KERNEL_ONLY_IDLE, RC_KERNEL_ONLY_IDLE);
	fake_free(&f);
	run_free(&r);
}

/* UDP has no states: present on both sides is a MATCH; the kernel's
 * listeners and UDP sockets alone are idle, never "never seen". */
static void test_reconcile_udp_and_listeners(void **state)
{
	struct fake f;
	struct run r = {.f = &f};
	(void)state;
	fake_init(&f, host);
	fake_build(&f, true);
	step(&r, NULL, 0, 0);
	sock(&f, UDP, "0.0.0.0", 53, NULL, 0, TCP_CLOSED, 21);
	sock(&f, UDP, "10.0.0.1", 123, NULL, 0, TCP_CLOSED, 22);
	sock(&f, TCP, "::", 8443, NULL, 0, TCP_LISTENING, 23);
	fake_build(&f, true);
	struct rc_wire w[] = {
		wire(UDP, "10.0.0.1", 53, "10.0.0.9", 3333, TCP_STATE_MAX),
	};
	step(&r, w, 1, 1);
	step(&r, w, 1, 3.5);
	expect_verdict(&r, UDP, "10.0.0.1", 53, NULL, 0, RC_MATCH, RC_MATCH);
	expect_verdict(&r, UDP, "10.0.0.1", 123, NULL, 0, RC_KERNEL_ONLY_IDLE,
		       RC_KERNEL_ONLY_IDLE);
	expect_verdict(&r, TCP, "::", 8443, NULL, 0, RC_KERNEL_ONLY_IDLE,
		       RC_KERNEL_ONLY_IDLE);
	fake_free(&f);
	run_free(&r);
}

/* Kernel sockets bound where the capture cannot see (another
 * interface's address, loopback) are left out; wildcard ones stay;
 * bound-only TCP sockets (CLOSE) never count. */
static void test_reconcile_scope(void **state)
{
	struct fake f;
	struct kernel_addrs scope;
	struct run r = {.f = &f, .scope = &scope};
	struct addr a = A("10.0.0.1");
	(void)state;
	fake_init(&f, host);
	kernel_addrs_init(&scope, 8);
	assert_true(kernel_addrs_add(&scope, &a, 24, "eth0"));
	kernel_addrs_sort(&scope);
	sock(&f, TCP, "127.0.0.1", 631, NULL, 0, TCP_LISTENING, 31);
	sock(&f, TCP, "127.0.0.1", 631, "127.0.0.1", 5000, TCP_ESTABLISHED, 32);
	sock(&f, TCP, "10.0.0.1", 22, NULL, 0, TCP_LISTENING, 33);
	sock(&f, TCP, "0.0.0.0", 25, NULL, 0, TCP_LISTENING, 34);
	sock(&f, TCP, "10.0.0.1", 7777, NULL, 0, TCP_CLOSED, 35);
	fake_build(&f, true);
	step(&r, NULL, 0, 0);
	assert_int_equal(r.res.n, 2);
	assert_int_equal(r.res.kernel_out_of_scope, 3);
	row(&r, TCP, "10.0.0.1", 22, NULL, 0);
	row(&r, TCP, "0.0.0.0", 25, NULL, 0);
	kernel_addrs_free(&scope);
	fake_free(&f);
	run_free(&r);
}

/* The history is bounded by the rows: a socket gone is forgotten, and a
 * new one on its tuple starts over. */
static void test_reconcile_forgets(void **state)
{
	struct fake f;
	struct run r = {.f = &f};
	(void)state;
	fake_init(&f, host);
	sock(&f, TCP, "10.0.0.1", 5000, "10.0.0.9", 80, TCP_ESTABLISHED, 41);
	fake_build(&f, true);
	step(&r, NULL, 0, 0);
	f.s.n = 0;
	fake_build(&f, true);
	step(&r, NULL, 0, 5);
	assert_int_equal(r.res.n, 0);
	assert_int_equal(r.hist.n, 0);
	sock(&f, TCP, "10.0.0.1", 5000, "10.0.0.9", 80, TCP_SYN_SENT, 42);
	fake_build(&f, true);
	step(&r, NULL, 0, 6);
	/* not from before observation: the SYN should have been seen */
	expect_verdict(&r, TCP, "10.0.0.1", 5000, "10.0.0.9", 80, RC_SETTLING,
		       RC_KERNEL_ONLY_NEVER);
	fake_free(&f);
	run_free(&r);
}

/* ---- counters ---- */

static void parse_snmp(struct kernel_snmp *s, const char *text, bool v6)
{
	char err[WS_ERRBUF_SIZE];
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	assert_non_null(f);
	if (v6)
		assert_int_equal(kernel_parse_snmp6(f, s, err), 0);
	else
		assert_int_equal(kernel_parse_snmp(f, s, err), 0);
	fclose(f);
}

static const struct rc_counter_row *crow(const struct rc_counter_row *rows,
					 size_t n, const char *group,
					 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].group, group) == 0 &&
		    strcmp(rows[i].key, key) == 0)
			return &rows[i];
	fail_msg("no counter row %s %s", group, key);
	return NULL;
}

static void test_counters(void **state)
{
	struct kernel_snmp before, after, delta;
	char err[WS_ERRBUF_SIZE];
	(void)state;
	kernel_snmp_init(&before, 256);
	kernel_snmp_init(&after, 256);
	kernel_snmp_init(&delta, 256);
	parse_snmp(&before,
		   "Ip: InReceives InDiscards\nIp: 100 5\n"
		   "Icmp: InMsgs InDestUnreachs\nIcmp: 1 1\n"
		   "IcmpMsg: InType3 OutType8\nIcmpMsg: 1 0\n"
		   "Tcp: ActiveOpens CurrEstab InSegs\nTcp: 10 3 1000\n"
		   "Udp: InDatagrams\nUdp: 7\n",
		   false);
	parse_snmp(&before, "Ip6InReceives 50\nUdp6InDatagrams 2\n", true);
	parse_snmp(&after,
		   "Ip: InReceives InDiscards\nIp: 130 9\n"
		   "Icmp: InMsgs InDestUnreachs\nIcmp: 3 2\n"
		   "IcmpMsg: InType3 OutType8\nIcmpMsg: 2 4\n"
		   "Tcp: ActiveOpens CurrEstab InSegs\nTcp: 14 5 1100\n"
		   "Udp: InDatagrams\nUdp: 9\n",
		   false);
	parse_snmp(&after, "Ip6InReceives 58\nUdp6InDatagrams 2\n", true);
	assert_int_equal(kernel_snmp_delta(&before, &after, &delta, err), 0);
	const struct rc_wire_counter w[] = {
		{"ip", "InReceives", 29, true},
		{"ip", "InDiscards", 0, false}, /* the wire cannot see it */
		{"ip", "InTruncatedPkts", 0, true}, /* the kernel has none */
		{"ipv6", "Ip6InReceives", 8, true},
		{"icmp", "InMsgs", 2, true},
		{"icmp", "InType3", 1, true},
		{"icmp", "OutType8", 4, true},
		{"tcp", "ActiveOpens", 3, true},
		{"tcpv6", "ActiveOpens", 1, true}, /* Tcp counts both */
		{"tcp", "CurrEstab", 1, true},
		{"tcpv6", "CurrEstab", 1, true},
		{"tcp", "InSegs", 60, true},
		{"tcpv6", "InSegs", 40, true},
		{"udp", "InDatagrams", 2, true},
		{"udpv6", "Udp6InDatagrams", 0, true},
		{"wirestat", "packets", 1, true}, /* not a kernel counter */
	};
	struct rc_counter_row rows[WS_ARRAY_SIZE(w)];
	size_t n = rc_counters(w, WS_ARRAY_SIZE(w), &delta, &after, rows);
	assert_int_equal(n, WS_ARRAY_SIZE(w) - 4);
	const struct rc_counter_row *r = crow(rows, n, "ip", "InReceives");
	assert_string_equal(r->section, "Ip");
	assert_int_equal(r->wire, 29);
	assert_int_equal(r->kernel, 30);
	r = crow(rows, n, "ip", "InDiscards");
	assert_false(r->wire_known);
	assert_true(r->kernel_known);
	assert_int_equal(r->kernel, 4);
	assert_false(crow(rows, n, "ip", "InTruncatedPkts")->kernel_known);
	r = crow(rows, n, "ipv6", "Ip6InReceives");
	assert_string_equal(r->section, "Ip6");
	assert_string_equal(r->name, "InReceives");
	assert_int_equal(r->kernel, 8);
	r = crow(rows, n, "icmp", "InType3");
	assert_string_equal(r->section, "IcmpMsg");
	assert_int_equal(r->kernel, 1);
	assert_int_equal(crow(rows, n, "icmp", "OutType8")->kernel, 4);
	r = crow(rows, n, "tcp", "ActiveOpens");
	assert_int_equal(r->wire, 4);
	assert_int_equal(r->kernel, 4);
	r = crow(rows, n, "tcp", "CurrEstab");
	assert_true(r->gauge);
	assert_int_equal(r->wire, 2);
	assert_int_equal(r->kernel, 5); /* its value, not its change */
	assert_int_equal(crow(rows, n, "tcp", "InSegs")->wire, 100);
	assert_int_equal(crow(rows, n, "udpv6", "Udp6InDatagrams")->kernel, 0);
	kernel_snmp_free(&before);
	kernel_snmp_free(&after);
	kernel_snmp_free(&delta);
}

/* ---- the fixture tree, as --proc-root reads it ---- */

static char fixtures[4096];

static bool little_endian(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

static void test_fixture_owners(void **state)
{
	struct kernel_host h;
	struct rc_kernel k;
	char err[WS_ERRBUF_SIZE];
	char root[4200];
	(void)state;
	if (!little_endian())
		skip();
	snprintf(root, sizeof(root), "%s/proc", fixtures);
	kernel_host_init(&h);
	assert_int_equal(kernel_host_read(&h, root, KH_SOCKETS | KH_OWNERS,
					  err),
			 0);
	assert_int_equal(h.have, KH_SOCKETS | KH_OWNERS);
	const char *const local[] = {"10.0.0.2", "127.0.0.1"};
	for (size_t i = 0; i < 2; i++) {
		struct addr a = A(local[i]);
		kernel_addrs_add(&h.addrs, &a, 8, "lo");
	}
	kernel_addrs_sort(&h.addrs);
	memset(&k, 0, sizeof(k));
	k.sockets = &h.sockets;
	k.owners = &h.owners;
	k.addrs = &h.addrs;
	assert_int_equal(rc_kernel_build(&k, err), 0);
	enum rc_how how;
	const struct kernel_ct_entry *e;
	struct rc_endpoint x = ep(TCP, "10.0.0.2", 22, "10.0.0.1", 50000);
	const struct kernel_owner *o = rc_owner(&k, rc_find(&k, &x, &how, &e));
	assert_non_null(o);
	assert_int_equal(o->pid, 100); /* two processes hold it */
	assert_int_equal(o->npids, 2);
	assert_string_equal(o->comm, "sshd");
	x = ep(TCP, "127.0.0.1", 8080, NULL, 0);
	o = rc_owner(&k, rc_find(&k, &x, &how, &e));
	assert_non_null(o);
	assert_int_equal(o->pid, 100);
	/* tcp6's IPv4-mapped socket, owned by no process listed */
	x = ep(TCP, "10.0.0.2", 8443, "10.0.0.8", 41000);
	assert_non_null(rc_find(&k, &x, &how, &e));
	assert_int_equal(how, RC_EXACT);
	/* TIME_WAIT (inode 0): found, no owner */
	x = ep(TCP, "10.0.0.2", 54321, "10.0.0.3", 443);
	assert_non_null(rc_find(&k, &x, &how, &e));
	assert_null(rc_owner(&k, rc_find(&k, &x, &how, &e)));
	rc_kernel_free(&k);
	kernel_host_free(&h);
}

int main(void)
{
	unit_fixtures(fixtures, sizeof(fixtures), __FILE__);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_tcp),
		cmocka_unit_test(test_match_udp),
		cmocka_unit_test(test_match_snat),
		cmocka_unit_test(test_match_dnat),
		cmocka_unit_test(test_reconcile_verdicts),
		cmocka_unit_test(test_reconcile_udp_and_listeners),
		cmocka_unit_test(test_reconcile_scope),
		cmocka_unit_test(test_reconcile_forgets),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_fixture_owners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

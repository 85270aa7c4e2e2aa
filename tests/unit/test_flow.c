/* test_flow.c - the flow table (key, pool, cap, eviction policy, expiry,
 * end callback) and the inferred ports table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/flow.h"
#include "wirestat/nexthop.h"
#include "wirestat/ports.h"

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ICMPV6 = 58 };

static struct decoded pkt(const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, uint8_t proto)
{
	struct decoded d;
	memset(&d, 0, sizeof(d));
	d.src = A(src);
	d.dst = A(dst);
	d.sport = sport;
	d.dport = dport;
	d.proto = proto;
	return d;
}

/* The flow from 10.0.0.1:port to 10.0.0.2:80; key side 0 is 10.0.0.1,
 * so key.port[0] names the flow in the tests below. */
static struct decoded client(uint16_t port)
{
	return pkt("10.0.0.1", port, "10.0.0.2", 80, P_TCP);
}

/* ---- the key ---- */

static void test_key_both_directions(void **state)
{
	struct flow_key kf, kr;
	int sf, sr;
	(void)state;
	struct decoded fwd = pkt("10.0.0.1", 5000, "10.0.0.2", 80, P_TCP);
	struct decoded rev = pkt("10.0.0.2", 80, "10.0.0.1", 5000, P_TCP);
	size_t lf = flow_key_make(&fwd, &kf, &sf);
	size_t lr = flow_key_make(&rev, &kr, &sr);
	assert_int_equal(lf, FLOW_KEY_LEN_V4);
	assert_int_equal(lr, FLOW_KEY_LEN_V4);
	assert_memory_equal(&kf, &kr, sizeof(kf));
	assert_int_equal(sf, 0);
	assert_int_equal(sr, 1);
	assert_int_equal(kf.port[0], 5000);
	assert_int_equal(kf.port[1], 80);
	assert_int_equal(kf.proto, P_TCP);
	assert_int_equal(kf.family, ADDR_V4);
	static const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
	assert_memory_equal(kf.addrs, addrs, 8);
	for (size_t i = 8; i < sizeof(kf.addrs); i++)
		assert_int_equal(kf.addrs[i], 0);

	/* The larger address sending first is side 1. */
	struct decoded hi = pkt("10.0.0.9", 1, "10.0.0.2", 2, P_UDP);
	flow_key_make(&hi, &kf, &sf);
	assert_int_equal(sf, 1);
	assert_int_equal(kf.port[0], 2);
	assert_int_equal(kf.port[1], 1);

	/* Same address on both ends: the port orders the sides. */
	struct decoded lo1 = pkt("127.0.0.1", 5000, "127.0.0.1", 80, P_TCP);
	struct decoded lo2 = pkt("127.0.0.1", 80, "127.0.0.1", 5000, P_TCP);
	flow_key_make(&lo1, &kf, &sf);
	flow_key_make(&lo2, &kr, &sr);
	assert_memory_equal(&kf, &kr, sizeof(kf));
	assert_int_equal(sf, 1);
	assert_int_equal(sr, 0);
	assert_int_equal(kf.port[0], 80);

	/* A LAND packet (one endpoint on both sides) is side 0. */
	struct decoded land = pkt("10.0.0.5", 139, "10.0.0.5", 139, P_TCP);
	flow_key_make(&land, &kf, &sf);
	assert_int_equal(sf, 0);
	assert_int_equal(kf.port[0], 139);
	assert_int_equal(kf.port[1], 139);

	/* IPv6 compares all 16 bytes: these differ in the last one. */
	struct decoded v6f = pkt("fd00::2", 443, "fd00::1", 40000, P_TCP);
	struct decoded v6r = pkt("fd00::1", 40000, "fd00::2", 443, P_TCP);
	assert_int_equal(flow_key_make(&v6f, &kf, &sf), FLOW_KEY_LEN_V6);
	assert_int_equal(flow_key_make(&v6r, &kr, &sr), FLOW_KEY_LEN_V6);
	assert_memory_equal(&kf, &kr, sizeof(kf));
	assert_int_equal(sf, 1);
	assert_int_equal(sr, 0);
	assert_int_equal(kf.family, ADDR_V6);
	assert_int_equal(kf.addrs[15], 1);
	assert_int_equal(kf.addrs[31], 2);
}

/* The key is zeroed, padding included, whatever was in it before. */
static void test_key_zeroed(void **state)
{
	struct flow_key k1, k2;
	int s;
	(void)state;
	struct decoded d = client(1234);
	memset(&k1, 0, sizeof(k1));
	memset(&k2, 0xa5, sizeof(k2));
	flow_key_make(&d, &k1, &s);
	flow_key_make(&d, &k2, &s);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(k2.pad[0], 0);
	assert_int_equal(k2.pad[1], 0);
	assert_true(FLOW_KEY_LEN_V4 < FLOW_KEY_LEN_V6);
	assert_int_equal(FLOW_KEY_LEN_V4, offsetof(struct flow_key, addrs) + 8);
	assert_true(FLOW_KEY_LEN_V6 <= sizeof(struct flow_key));
}

static bool same_key(const struct decoded *a, const struct decoded *b)
{
	struct flow_key ka, kb;
	int s;
	size_t la = flow_key_make(a, &ka, &s);
	size_t lb = flow_key_make(b, &kb, &s);
	return la == lb && memcmp(&ka, &kb, sizeof(ka)) == 0;
}

static void test_key_fields(void **state)
{
	(void)state;
	struct decoded base = client(1000);
	struct decoded d;

	d = base;
	d.vlan = 10;
	assert_false(same_key(&base, &d));
	struct decoded d2 = base;
	d2.vlan = 20;
	assert_false(same_key(&d, &d2));
	d2.vlan = 10;
	assert_true(same_key(&d, &d2));
	d = base;
	d.inner_vlan = 10;
	assert_false(same_key(&base, &d));
	d = base;
	d.proto = P_UDP;
	assert_false(same_key(&base, &d));
	d = base;
	d.sport = 1001;
	assert_false(same_key(&base, &d));
	/* ::ffff:10.0.0.1 is another family, another flow. */
	d = pkt("::ffff:10.0.0.1", 1000, "::ffff:10.0.0.2", 80, P_TCP);
	assert_false(same_key(&base, &d));
	/* Fields that are not part of the key do not matter. */
	d = base;
	d.ttl = 1;
	d.seq = 99;
	d.tcp_flags = TH_RST;
	d.ip_len = 1500;
	assert_true(same_key(&base, &d));

	/* ICMP is keyed as Zeek keys it: the type and its counterpart, so
	 * an echo request and its reply share a flow, whatever the echo
	 * identifier; a one-way message is keyed by type and code. */
	struct decoded req = pkt("10.0.0.1", 0, "10.0.0.2", 0, P_ICMP);
	struct decoded rep = pkt("10.0.0.2", 0, "10.0.0.1", 0, P_ICMP);
	req.icmp_id = rep.icmp_id = 7;
	req.icmp_type = 8;
	rep.icmp_type = 0;
	req.sport = 1234; /* stale ports must not split the flow */
	assert_true(same_key(&req, &rep));
	rep.icmp_id = 8;
	assert_true(same_key(&req, &rep));
	rep.icmp_type = 3; /* an unreachable is not the echo's */
	assert_false(same_key(&req, &rep));
	struct decoded r6 = pkt("fd00::1", 0, "fd00::2", 0, P_ICMPV6);
	struct decoded p6 = pkt("fd00::2", 0, "fd00::1", 0, P_ICMPV6);
	r6.icmp_type = 128;
	p6.icmp_type = 129;
	r6.icmp_id = p6.icmp_id = 9;
	assert_true(same_key(&r6, &p6));
}

/* ---- the table ---- */

struct ended {
	size_t n;
	uint16_t port[64];
	enum flow_end why[64];
	uint8_t lru[64];
};

static void record_end(void *ctx, struct flow *f, enum flow_end why)
{
	struct ended *e = ctx;
	assert_true(e->n < WS_ARRAY_SIZE(e->port));
	e->port[e->n] = f->key.port[0];
	e->why[e->n] = why;
	e->lru[e->n] = f->lru;
	e->n++;
}

static struct flow_table *table(size_t max, struct ended *e)
{
	char err[WS_ERRBUF_SIZE] = "";
	struct flow_table *t = flow_table_new(max, err);
	assert_non_null(t);
	if (e) {
		memset(e, 0, sizeof(*e));
		flow_table_on_end(t, record_end, e);
	}
	return t;
}

static struct flow *open_flow(struct flow_table *t, uint16_t port,
			      ws_time now, enum flow_lru lru)
{
	struct decoded d = client(port);
	int side;
	bool created;
	struct flow *f = flow_lookup(t, &d, now, &side, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(f->key.port[0], port);
	flow_set_lru(t, f, lru);
	return f;
}

static struct flow *touch(struct flow_table *t, uint16_t port, ws_time now,
			  bool *created)
{
	struct decoded d = client(port);
	int side;
	struct flow *f = flow_lookup(t, &d, now, &side, created);
	assert_non_null(f);
	return f;
}

static bool in_table(struct flow_table *t, uint16_t port)
{
	for (struct flow *f = flow_first(t); f; f = flow_next(f))
		if (f->key.port[0] == port)
			return true;
	return false;
}

static size_t walk_count(struct flow_table *t)
{
	size_t n = 0;
	for (struct flow *f = flow_first(t); f; f = flow_next(f))
		n++;
	return n;
}

static void test_lookup(void **state)
{
	struct flow_table *t = table(16, NULL);
	int side;
	bool created;
	(void)state;

	struct decoded fwd = pkt("10.0.0.1", 5000, "10.0.0.2", 80, P_TCP);
	struct decoded rev = pkt("10.0.0.2", 80, "10.0.0.1", 5000, P_TCP);
	struct flow *f = flow_lookup(t, &fwd, WS_SEC(10), &side, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(side, 0);
	assert_int_equal(f->orig, 0);
	assert_int_equal(f->lru, FLOW_LRU_TCP_SHORT);
	assert_int_equal(f->first_ts, WS_SEC(10));
	assert_int_equal(f->last_ts, WS_SEC(10));

	struct flow *g = flow_lookup(t, &rev, WS_SEC(12), &side, &created);
	assert_ptr_equal(f, g);
	assert_false(created);
	assert_int_equal(side, 1);
	assert_int_equal(f->orig, 0);
	assert_int_equal(f->first_ts, WS_SEC(10));
	assert_int_equal(f->last_ts, WS_SEC(12));
	/* A packet stamped earlier does not move last activity back. */
	g = flow_lookup(t, &fwd, WS_SEC(11), &side, &created);
	assert_ptr_equal(f, g);
	assert_int_equal(f->last_ts, WS_SEC(12));
	assert_int_equal(flow_count(t), 1);

	struct addr a;
	uint16_t port;
	flow_endpoint(f, 0, &a, &port);
	assert_true(addr_equal(&a, &fwd.src));
	assert_int_equal(port, 5000);
	flow_endpoint(f, 1, &a, &port);
	assert_true(addr_equal(&a, &fwd.dst));
	assert_memory_equal(&a, &fwd.dst, sizeof(a));
	assert_int_equal(port, 80);

	/* The responder speaking first: orig is key side 1. */
	struct decoded v6 = pkt("fd00::9", 443, "fd00::1", 40000, P_TCP);
	struct flow *h = flow_lookup(t, &v6, WS_SEC(13), &side, &created);
	assert_true(created);
	assert_int_equal(side, 1);
	assert_int_equal(h->orig, 1);
	flow_endpoint(h, 1, &a, &port);
	assert_memory_equal(&a, &v6.src, sizeof(a));
	assert_int_equal(port, 443);

	/* Another VLAN is another flow. */
	fwd.vlan = 5;
	g = flow_lookup(t, &fwd, WS_SEC(14), &side, &created);
	assert_true(created);
	assert_ptr_not_equal(f, g);
	assert_int_equal(flow_count(t), 3);
	assert_int_equal(walk_count(t), 3);
	assert_int_equal(flow_counters(t)[FC_CREATED], 3);
	flow_table_free(t);
}

/* flow_find() finds in both directions and never creates. */
static void test_find(void **state)
{
	struct flow_table *t = table(4, NULL);
	int side = -1;
	bool created;
	(void)state;
	struct decoded fwd = client(7);
	struct decoded rev = pkt("10.0.0.2", 80, "10.0.0.1", 7, P_TCP);
	assert_null(flow_find(t, &fwd, &side));
	assert_int_equal(flow_count(t), 0);
	assert_int_equal(flow_counters(t)[FC_CREATED], 0);
	struct flow *f = flow_lookup(t, &fwd, WS_SEC(1), &side, &created);
	assert_ptr_equal(flow_find(t, &rev, &side), f);
	assert_int_equal(side, 1);
	assert_ptr_equal(flow_find(t, &fwd, &side), f);
	assert_int_equal(side, 0);
	rev.vlan = 3;
	assert_null(flow_find(t, &rev, &side));
	assert_int_equal(flow_count(t), 1);
	flow_table_free(t);
}

static void expect_ended(const struct ended *e, const uint16_t *ports,
			 size_t n, enum flow_end why)
{
	assert_int_equal(e->n, n);
	for (size_t i = 0; i < n; i++) {
		if (e->port[i] != ports[i])
			fail_msg("end %zu: flow %u, expected %u", i, e->port[i],
				 ports[i]);
		assert_int_equal(e->why[i], why);
	}
}

/* With the pool full, the least recently active flow of the short lists
 * goes first, however recent; replied UDP before established TCP. */
static void test_eviction_policy(void **state)
{
	struct ended e;
	struct flow_table *t = table(4, &e);
	bool created;
	(void)state;

	open_flow(t, 1, WS_SEC(1), FLOW_LRU_TCP_LONG);
	open_flow(t, 2, WS_SEC(2), FLOW_LRU_UDP_REPLIED);
	open_flow(t, 3, WS_SEC(3), FLOW_LRU_TCP_SHORT);
	open_flow(t, 4, WS_SEC(4), FLOW_LRU_UDP_UNREPLIED);
	assert_int_equal(e.n, 0);

	/* Oldest short flow is 3, older than 4 but younger than 1 and 2. */
	open_flow(t, 5, WS_SEC(10), FLOW_LRU_TCP_SHORT);
	open_flow(t, 6, WS_SEC(11), FLOW_LRU_OTHER);
	/* 5 is touched, so 6 is now the least recently active. */
	touch(t, 5, WS_SEC(12), &created);
	assert_false(created);
	open_flow(t, 7, WS_SEC(13), FLOW_LRU_TCP_SHORT);
	{
		static const uint16_t want[] = {3, 4, 6};
		expect_ended(&e, want, 3, FLOW_END_EVICTED);
	}
	assert_int_equal(flow_counters(t)[FC_EVICTED_SHORT], 3);
	assert_int_equal(flow_counters(t)[FC_EVICTED_LONG], 0);

	/* Only long-lived flows left: replied UDP 2 goes before 1. */
	flow_set_lru(t, touch(t, 5, WS_SEC(14), &created), FLOW_LRU_TCP_LONG);
	flow_set_lru(t, touch(t, 7, WS_SEC(15), &created),
		     FLOW_LRU_UDP_REPLIED);
	open_flow(t, 8, WS_SEC(16), FLOW_LRU_TCP_SHORT);
	/* The newest flow, but short-lived: it goes before any long one. */
	open_flow(t, 9, WS_SEC(17), FLOW_LRU_TCP_LONG);
	open_flow(t, 10, WS_SEC(18), FLOW_LRU_TCP_LONG); /* evicts 7 */
	open_flow(t, 11, WS_SEC(19), FLOW_LRU_TCP_LONG); /* evicts 1 */
	{
		static const uint16_t want[] = {3, 4, 6, 2, 8, 7, 1};
		expect_ended(&e, want, 7, FLOW_END_EVICTED);
	}
	assert_int_equal(flow_counters(t)[FC_EVICTED_SHORT], 4);
	assert_int_equal(flow_counters(t)[FC_EVICTED_LONG], 3);
	assert_int_equal(flow_counters(t)[FC_CREATED], 11);
	assert_int_equal(flow_counters(t)[FC_ALLOC_FAILED], 0);
	assert_int_equal(flow_count(t), 4);
	assert_int_equal(flow_peak(t), 4);
	assert_int_equal(walk_count(t), 4);
	assert_true(in_table(t, 5) && in_table(t, 9) && in_table(t, 10) &&
		    in_table(t, 11));
	flow_table_free(t);
	assert_int_equal(e.n, 11);
}

/* Within one list, a packet makes its flow the most recently active:
 * it is evicted last and expires from its own last packet. */
static void test_lru_order_within_list(void **state)
{
	struct ended e;
	struct flow_table *t = table(2, &e);
	bool created;
	(void)state;
	open_flow(t, 1, WS_SEC(1), FLOW_LRU_TCP_SHORT);
	open_flow(t, 2, WS_SEC(2), FLOW_LRU_TCP_SHORT);
	touch(t, 1, WS_SEC(3), &created);
	open_flow(t, 3, WS_SEC(4), FLOW_LRU_TCP_SHORT);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.port[0], 2);
	flow_table_free(t);

	t = table(8, &e);
	open_flow(t, 1, WS_SEC(0), FLOW_LRU_UDP_UNREPLIED);
	open_flow(t, 2, WS_SEC(0), FLOW_LRU_UDP_UNREPLIED);
	touch(t, 1, WS_SEC(20), &created);
	flow_expire(t, WS_SEC(60));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.port[0], 2);
	assert_true(in_table(t, 1));
	flow_expire(t, WS_SEC(80));
	assert_int_equal(e.n, 2);
	assert_int_equal(e.port[1], 1);
	flow_table_free(t);
}

struct timeout_case {
	enum flow_lru lru;
	int64_t seconds;
};

/* Each list's idle timeout, exactly at the boundary: one nanosecond
 * before it the flow stays, at it the flow goes. */
static void test_expiry_boundaries(void **state)
{
	static const struct timeout_case cases[] = {
		{FLOW_LRU_TCP_SHORT, 131},
		{FLOW_LRU_UDP_UNREPLIED, 60},
		{FLOW_LRU_OTHER, 60},
		{FLOW_LRU_UDP_REPLIED, 120},
		{FLOW_LRU_TCP_LONG, 5 * 24 * 3600},
	};
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++) {
		struct ended e;
		struct flow_table *t = table(8, &e);
		ws_time t0 = WS_SEC(1700000000);
		open_flow(t, 100, t0, cases[i].lru);
		flow_expire(t, t0 + WS_SEC(cases[i].seconds) - 1);
		if (flow_count(t) != 1)
			fail_msg("list %d expired early", (int)cases[i].lru);
		assert_int_equal(e.n, 0);
		flow_expire(t, t0 + WS_SEC(cases[i].seconds));
		if (flow_count(t) != 0)
			fail_msg("list %d did not expire at %lld s",
				 (int)cases[i].lru,
				 (long long)cases[i].seconds);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.why[0], FLOW_END_IDLE);
		assert_int_equal(e.lru[0], cases[i].lru);
		assert_int_equal(flow_counters(t)[FC_EXPIRED], 1);
		assert_null(flow_first(t));
		flow_table_free(t);
		assert_int_equal(e.n, 1);
	}
}

/* Idle time counts from the last packet, per list. */
static void test_expiry_lists(void **state)
{
	struct ended e;
	struct flow_table *t = table(16, &e);
	bool created;
	(void)state;

	open_flow(t, 1, WS_SEC(0), FLOW_LRU_TCP_SHORT);
	open_flow(t, 2, WS_SEC(0), FLOW_LRU_UDP_UNREPLIED);
	open_flow(t, 3, WS_SEC(0), FLOW_LRU_OTHER);
	open_flow(t, 4, WS_SEC(0), FLOW_LRU_UDP_REPLIED);
	open_flow(t, 5, WS_SEC(0), FLOW_LRU_TCP_LONG);
	open_flow(t, 6, WS_SEC(10), FLOW_LRU_UDP_UNREPLIED);
	open_flow(t, 7, WS_SEC(0), FLOW_LRU_TCP_SHORT);
	touch(t, 7, WS_SEC(100), &created); /* active again */

	flow_expire(t, WS_SEC(60));
	{
		static const uint16_t want[] = {2, 3};
		expect_ended(&e, want, 2, FLOW_END_IDLE);
	}
	flow_expire(t, WS_SEC(70));
	assert_int_equal(e.n, 3);
	assert_int_equal(e.port[2], 6);
	flow_expire(t, WS_SEC(120));
	assert_int_equal(e.n, 4);
	assert_int_equal(e.port[3], 4);
	flow_expire(t, WS_SEC(131));
	assert_int_equal(e.n, 5);
	assert_int_equal(e.port[4], 1);
	flow_expire(t, WS_SEC(230));
	assert_int_equal(e.n, 5);
	flow_expire(t, WS_SEC(231));
	assert_int_equal(e.n, 6);
	assert_int_equal(e.port[5], 7);
	assert_int_equal(flow_count(t), 1);
	assert_true(in_table(t, 5));
	assert_int_equal(flow_counters(t)[FC_EXPIRED], 6);
	flow_table_free(t);
	assert_int_equal(e.n, 7);
	assert_int_equal(e.port[6], 5);
	assert_int_equal(e.why[6], FLOW_END_FORCED);
}

/* Every flow that leaves is reported once, with its reason. */
static void test_end_reasons(void **state)
{
	struct ended e;
	struct flow_table *t = table(3, &e);
	(void)state;

	open_flow(t, 1, WS_SEC(0), FLOW_LRU_UDP_UNREPLIED);
	open_flow(t, 2, WS_SEC(1), FLOW_LRU_TCP_SHORT);
	open_flow(t, 3, WS_SEC(2), FLOW_LRU_TCP_SHORT);
	flow_expire(t, WS_SEC(60));
	open_flow(t, 4, WS_SEC(61), FLOW_LRU_TCP_SHORT);
	open_flow(t, 5, WS_SEC(62), FLOW_LRU_TCP_SHORT);
	assert_int_equal(e.n, 2);
	flow_table_free(t);

	static const uint16_t port[] = {1, 2, 3, 4, 5};
	static const enum flow_end why[] = {FLOW_END_IDLE, FLOW_END_EVICTED,
					    FLOW_END_FORCED, FLOW_END_FORCED,
					    FLOW_END_FORCED};
	assert_int_equal(e.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(e.port[i], port[i]);
		assert_int_equal(e.why[i], why[i]);
	}
}

static void test_count_peak(void **state)
{
	struct flow_table *t = table(100, NULL);
	(void)state;
	assert_int_equal(flow_capacity(t), 100);
	assert_int_equal(flow_count(t), 0);
	assert_int_equal(flow_peak(t), 0);
	assert_null(flow_first(t));
	open_flow(t, 1, WS_SEC(0), FLOW_LRU_OTHER);
	open_flow(t, 2, WS_SEC(0), FLOW_LRU_OTHER);
	open_flow(t, 3, WS_SEC(50), FLOW_LRU_OTHER);
	assert_int_equal(flow_count(t), 3);
	flow_expire(t, WS_SEC(60));
	assert_int_equal(flow_count(t), 1);
	assert_int_equal(flow_peak(t), 3);
	open_flow(t, 4, WS_SEC(61), FLOW_LRU_OTHER);
	assert_int_equal(flow_count(t), 2);
	assert_int_equal(flow_peak(t), 3);
	for (uint16_t p = 10; p < 14; p++)
		open_flow(t, p, WS_SEC(62), FLOW_LRU_OTHER);
	assert_int_equal(flow_count(t), 6);
	assert_int_equal(flow_peak(t), 6);
	assert_int_equal(walk_count(t), 6);
	assert_int_equal(flow_counters(t)[FC_CREATED], 8);
	assert_int_equal(flow_counters(t)[FC_EXPIRED], 2);
	flow_table_free(t);
}

/* A flow evicted and seen again starts from nothing. */
static void test_fresh_after_eviction(void **state)
{
	struct ended e;
	struct flow_table *t = table(1, &e);
	bool created;
	(void)state;

	struct flow *f = open_flow(t, 1, WS_SEC(1), FLOW_LRU_TCP_LONG);
	f->pkts[0] = 7;
	f->pkts[1] = 3;
	f->ip_bytes[0] = 4000;
	f->flags = FLOW_F_REPLIED;
	memset(&f->u, 0xff, sizeof(f->u));

	touch(t, 2, WS_SEC(5), &created);
	assert_true(created);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.port[0], 1);
	assert_int_equal(e.why[0], FLOW_END_EVICTED);
	assert_int_equal(flow_counters(t)[FC_EVICTED_LONG], 1);

	struct decoded d = pkt("10.0.0.2", 80, "10.0.0.1", 1, P_TCP);
	int side;
	f = flow_lookup(t, &d, WS_SEC(6), &side, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(side, 1);
	assert_int_equal(f->orig, 1);
	assert_int_equal(f->pkts[0], 0);
	assert_int_equal(f->pkts[1], 0);
	assert_int_equal(f->ip_bytes[0], 0);
	assert_int_equal(f->flags, 0);
	assert_int_equal(f->lru, FLOW_LRU_TCP_SHORT);
	assert_int_equal(f->first_ts, WS_SEC(6));
	static const uint8_t zero[sizeof(f->u)];
	assert_memory_equal(&f->u, zero, sizeof(zero));
	assert_int_equal(e.n, 2);
	assert_int_equal(e.port[1], 2);
	assert_int_equal(flow_counters(t)[FC_EVICTED_SHORT], 1);
	assert_int_equal(flow_count(t), 1);
	flow_table_free(t);
}

/* More flows than one slab of the pool holds; the cap still binds. */
static void test_many_flows(void **state)
{
	enum { N = 5000 };
	struct flow_table *t = table(N, NULL);
	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct decoded d = pkt("10.0.0.1", (uint16_t)(i + 1),
				       "10.0.0.2", 80, P_TCP);
		d.vlan = (uint16_t)(i >> 16);
		int side;
		bool created;
		assert_non_null(
			flow_lookup(t, &d, WS_SEC(i), &side, &created));
		assert_true(created);
	}
	assert_int_equal(flow_count(t), N);
	assert_int_equal(flow_counters(t)[FC_EVICTED_SHORT], 0);
	open_flow(t, 60000, WS_SEC(N), FLOW_LRU_TCP_SHORT);
	assert_int_equal(flow_count(t), N);
	assert_int_equal(flow_counters(t)[FC_EVICTED_SHORT], 1);
	assert_false(in_table(t, 1));
	assert_true(in_table(t, 2));
	assert_int_equal(walk_count(t), N);
	/* Every flow still found by key, none created twice. */
	for (uint32_t i = 1; i < N; i++) {
		bool created;
		touch(t, (uint16_t)(i + 1), WS_SEC(N + 1), &created);
		assert_false(created);
	}
	flow_table_free(t);
}

static void test_new_errors(void **state)
{
	char err[WS_ERRBUF_SIZE] = "";
	(void)state;
	assert_null(flow_table_new(0, err));
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_null(ports_table_new(0, err));
	assert_true(err[0] != '\0');
	flow_table_free(NULL);
	ports_table_free(NULL);
	for (int i = 0; i < FC_MAX; i++)
		assert_non_null(flow_counter_names[i]);
	for (int i = 0; i < PC_MAX; i++)
		assert_non_null(port_counter_names[i]);
}

static void test_hash(void **state)
{
	uint8_t key[44];
	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(flow_hash(key, 20), flow_hash(key, 20));
	assert_int_not_equal(flow_hash(key, 20), flow_hash(key, 44));
	uint8_t other[44];
	memcpy(other, key, sizeof(key));
	other[43] ^= 1; /* the tail word counts */
	assert_int_not_equal(flow_hash(key, 44), flow_hash(other, 44));
}

/* ---- ports ---- */

static const struct port_entry *find_port(const struct ports_table *t,
					  uint16_t port)
{
	for (const struct port_entry *e = ports_first(t); e;
	     e = ports_next(e))
		if (e->port == port)
			return e;
	return NULL;
}

static size_t ports_walk(const struct ports_table *t)
{
	size_t n = 0;
	for (const struct port_entry *e = ports_first(t); e; e = ports_next(e))
		n++;
	return n;
}

static void test_ports_cap_lru(void **state)
{
	char err[WS_ERRBUF_SIZE];
	struct addr h = A("10.0.0.2");
	(void)state;
	struct ports_table *t = ports_table_new(2, err);
	assert_non_null(t);
	assert_int_equal(ports_capacity(t), 2);

	ports_note(t, &h, 22, P_TCP, 0, 0, PORT_LISTENING, WS_SEC(1));
	ports_note(t, &h, 80, P_TCP, 0, 0, PORT_LISTENING, WS_SEC(2));
	ports_note(t, &h, 443, P_TCP, 0, 0, PORT_LISTENING, WS_SEC(3));
	assert_int_equal(ports_count(t), 2);
	assert_int_equal(ports_walk(t), 2);
	assert_null(find_port(t, 22));
	assert_non_null(find_port(t, 80));
	assert_non_null(find_port(t, 443));
	assert_int_equal(ports_counters(t)[PC_ENTRIES_CREATED], 3);
	assert_int_equal(ports_counters(t)[PC_EVICTED], 1);

	/* New evidence for 80 makes 443 the least recently confirmed. */
	ports_note(t, &h, 80, P_TCP, 0, 0, PORT_LISTENING, WS_SEC(4));
	ports_note(t, &h, 53, P_UDP, 0, 0, PORT_BOUND, WS_SEC(5));
	assert_null(find_port(t, 443));
	const struct port_entry *e = find_port(t, 80);
	assert_non_null(e);
	assert_int_equal(e->first_ts, WS_SEC(2));
	assert_int_equal(e->last_ts, WS_SEC(4));
	e = find_port(t, 53);
	assert_non_null(e);
	assert_int_equal(e->proto, P_UDP);
	assert_int_equal(e->state, PORT_BOUND);
	assert_true(addr_equal(&e->addr, &h));
	assert_int_equal(ports_counters(t)[PC_EVICTED], 2);
	assert_int_equal(ports_counters(t)[PC_ALLOC_FAILED], 0);

	/* An evicted port learned again starts over. */
	ports_note(t, &h, 22, P_TCP, 0, 0, PORT_CLOSED, WS_SEC(9));
	e = find_port(t, 22);
	assert_non_null(e);
	assert_int_equal(e->state, PORT_CLOSED);
	assert_int_equal(e->first_ts, WS_SEC(9));
	assert_int_equal(e->since, WS_SEC(9));
	ports_table_free(t);
}

static void test_ports_state(void **state)
{
	char err[WS_ERRBUF_SIZE];
	struct addr h = A("fd00::2");
	(void)state;
	struct ports_table *t = ports_table_new(8, err);
	assert_non_null(t);

	ports_note(t, &h, 8080, P_TCP, 7, 0, PORT_LISTENING, WS_SEC(1));
	ports_note(t, &h, 8080, P_TCP, 7, 0, PORT_LISTENING, WS_SEC(5));
	const struct port_entry *e = find_port(t, 8080);
	assert_non_null(e);
	assert_int_equal(e->state, PORT_LISTENING);
	assert_int_equal(e->first_ts, WS_SEC(1));
	assert_int_equal(e->since, WS_SEC(1));
	assert_int_equal(e->last_ts, WS_SEC(5));
	assert_int_equal(e->vlan, 7);

	ports_note(t, &h, 8080, P_TCP, 7, 0, PORT_CLOSED, WS_SEC(9));
	assert_int_equal(e->state, PORT_CLOSED);
	assert_int_equal(e->since, WS_SEC(9));
	assert_int_equal(e->first_ts, WS_SEC(1));
	assert_int_equal(e->last_ts, WS_SEC(9));

	/* Evidence stamped earlier changes the state, not last_ts. */
	ports_note(t, &h, 8080, P_TCP, 7, 0, PORT_LISTENING, WS_SEC(8));
	assert_int_equal(e->state, PORT_LISTENING);
	assert_int_equal(e->since, WS_SEC(8));
	assert_int_equal(e->last_ts, WS_SEC(9));
	assert_int_equal(ports_count(t), 1);

	/* Protocol, VLANs and address family make separate entries. */
	ports_note(t, &h, 8080, P_UDP, 7, 0, PORT_BOUND, WS_SEC(10));
	ports_note(t, &h, 8080, P_TCP, 8, 0, PORT_LISTENING, WS_SEC(10));
	ports_note(t, &h, 8080, P_TCP, 7, 1, PORT_LISTENING, WS_SEC(10));
	struct addr v4 = A("0.0.0.0");
	ports_note(t, &v4, 8080, P_TCP, 7, 0, PORT_LISTENING, WS_SEC(10));
	assert_int_equal(ports_count(t), 5);
	assert_int_equal(ports_walk(t), 5);
	assert_int_equal(ports_counters(t)[PC_ENTRIES_CREATED], 5);
	ports_table_free(t);
}

/* -r's (address, MAC) pairs: both ends of a frame, group destinations
 * and link-local addresses left out, a full table evicting the least
 * recently seen pair (counted). */
static void nh_frame(struct nexthop_table *t, const char *src, uint8_t smac,
		     const char *dst, uint8_t dmac, ws_time now)
{
	struct decoded d;
	memset(&d, 0, sizeof(d));
	bool v6 = strchr(src, ':') != NULL;
	d.src.family = d.dst.family = v6 ? ADDR_V6 : ADDR_V4;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, src, d.src.bytes), 1);
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, dst, d.dst.bytes), 1);
	d.dl_flags = DL_SRC_MAC | DL_DST_MAC;
	d.mac_src[0] = d.mac_dst[0] = 0x02;
	d.mac_src[5] = smac;
	d.mac_dst[5] = dmac;
	if (dmac == 0xff)
		memset(d.mac_dst, 0xff, 6);
	d.wire_len = 100;
	nexthop_frame(t, 0, &d, now);
}

static void test_nexthop_table(void **state)
{
	char err[WS_ERRBUF_SIZE];
	(void)state;
	struct nexthop_table *t = nexthop_table_new(3, err);
	assert_non_null(t);
	nh_frame(t, "10.0.0.1", 1, "192.0.2.1", 0xfe, WS_SEC(1));
	nh_frame(t, "192.0.2.1", 0xfe, "10.0.0.1", 1, WS_SEC(2));
	assert_int_equal(nexthop_count(t), 2);
	nh_frame(t, "10.0.0.1", 1, "10.0.0.255", 0xff, WS_SEC(3)); /* bcast */
	nh_frame(t, "fe80::1", 1, "fe80::2", 2, WS_SEC(3));	  /* link-local */
	nh_frame(t, "0.0.0.0", 1, "224.0.0.1", 0xfe, WS_SEC(3));
	assert_int_equal(nexthop_count(t), 2);
	const struct nexthop_entry *e = nexthop_first(t);
	for (; e && e->mac[5] != 0xfe; e = nexthop_next(e))
		;
	assert_non_null(e);
	assert_int_equal(e->packets, 2);
	assert_int_equal(e->bytes, 200);
	nh_frame(t, "10.0.0.1", 1, "198.51.100.1", 0xfe, WS_SEC(4));
	assert_int_equal(nexthop_count(t), 3);
	assert_int_equal(nexthop_counters(t)[NHC_EVICTED], 0);
	/* full: 10.0.0.1's pair was seen at 4 s, 192.0.2.1's at 2 s */
	nh_frame(t, "10.0.0.1", 1, "203.0.113.1", 0xfe, WS_SEC(5));
	assert_int_equal(nexthop_count(t), 3);
	assert_int_equal(nexthop_counters(t)[NHC_EVICTED], 1);
	assert_int_equal(nexthop_counters(t)[NHC_CREATED], 4);
	for (e = nexthop_first(t); e; e = nexthop_next(e))
		assert_false(e->ip.bytes[0] == 192);
	nexthop_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_both_directions),
		cmocka_unit_test(test_key_zeroed),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_eviction_policy),
		cmocka_unit_test(test_lru_order_within_list),
		cmocka_unit_test(test_expiry_boundaries),
		cmocka_unit_test(test_expiry_lists),
		cmocka_unit_test(test_end_reasons),
		cmocka_unit_test(test_count_peak),
		cmocka_unit_test(test_fresh_after_eviction),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_ports_cap_lru),
		cmocka_unit_test(test_ports_state),
		cmocka_unit_test(test_nexthop_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

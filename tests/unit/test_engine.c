/* test_engine.c - the engine's passive names: DNS answers are read at
 * engine_packet() time (the pending batch keeps stale payload pointers),
 * only on DNS ports, into each engine's own cache; and the lookup over
 * several engines (--workers) that takes the name learned last.
 *
 * Packets are raw IPv4/IPv6 (DLT_RAW) built here: a UDP or TCP header
 * and a DNS response with one question and one A or AAAA answer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/engine.h"

#include "unit.h"

enum { P_TCP = 6, P_UDP = 17 };

#define T0 WS_SEC(1700000000)

static size_t put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/* "www.example.com" as wire labels; returns the length. */
static size_t put_name(uint8_t *p, const char *name)
{
	size_t o = 0;
	while (*name) {
		size_t n = strcspn(name, ".");
		p[o++] = (uint8_t)n;
		memcpy(p + o, name, n);
		o += n;
		name += n;
		if (*name == '.')
			name++;
	}
	p[o++] = 0;
	return o;
}

/* A response (QR, RD, RA; RCODE 0) to "name A/AAAA?" with one answer:
 * name -> addr, TTL ttl.  Returns the message length. */
static size_t dns_answer(uint8_t *p, const char *name, const char *addr,
			 uint32_t ttl)
{
	struct addr a = A(addr);
	unsigned type = a.family == ADDR_V4 ? 1 : 28;
	size_t rdlen = a.family == ADDR_V4 ? 4 : 16;
	size_t o = 0;
	o += put16(p + o, 0x1234);
	o += put16(p + o, 0x8180);
	o += put16(p + o, 1);
	o += put16(p + o, 1);
	o += put16(p + o, 0);
	o += put16(p + o, 0);
	o += put_name(p + o, name);
	o += put16(p + o, type);
	o += put16(p + o, 1);
	p[o++] = 0xc0; /* the question's name */
	p[o++] = 12;
	o += put16(p + o, type);
	o += put16(p + o, 1);
	o += put16(p + o, ttl >> 16);
	o += put16(p + o, ttl & 0xffff);
	o += put16(p + o, (unsigned)rdlen);
	memcpy(p + o, a.bytes, rdlen);
	return o + rdlen;
}

/* An IPv4 or IPv6 packet (DLT_RAW) carrying payload over UDP or TCP
 * (TCP: ACK|PSH, no options).  Returns its length. */
static size_t ip_packet(uint8_t *p, uint8_t proto, const char *src,
			uint16_t sport, const char *dst, uint16_t dport,
			const uint8_t *payload, size_t plen)
{
	struct addr s = A(src), d = A(dst);
	size_t th = proto == P_UDP ? 8 : 20;
	size_t ih = s.family == ADDR_V4 ? 20 : 40;
	uint8_t *t = p + ih;
	memset(p, 0, ih + th);
	if (s.family == ADDR_V4) {
		p[0] = 0x45;
		put16(p + 2, (unsigned)(ih + th + plen));
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, s.bytes, 4);
		memcpy(p + 16, d.bytes, 4);
	} else {
		p[0] = 0x60;
		put16(p + 4, (unsigned)(th + plen));
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, s.bytes, 16);
		memcpy(p + 24, d.bytes, 16);
	}
	put16(t, sport);
	put16(t + 2, dport);
	if (proto == P_UDP) {
		put16(t + 4, (unsigned)(th + plen));
	} else {
		t[12] = 5 << 4;
		t[13] = 0x18;
		put16(t + 14, 502);
	}
	memcpy(t + th, payload, plen);
	return ih + th + plen;
}

/* Feed one DNS answer "name -> addr" from server:sport to 10.0.0.1:dport
 * over proto at time ts.  The buffer is wiped once engine_packet()
 * returns: what the engine did not read by then, it cannot read. */
static void feed_answer(struct engine *e, uint8_t proto, uint16_t sport,
			uint16_t dport, const char *name, const char *addr,
			ws_time ts)
{
	uint8_t msg[512], pkt[600];
	size_t mlen, off = 0;
	if (proto == P_TCP)
		off = 2; /* RFC 1035 4.2.2: the length prefix */
	mlen = dns_answer(msg + off, name, addr, 300);
	if (proto == P_TCP)
		put16(msg, (unsigned)mlen);
	const char *client = strchr(addr, ':') ? "fd00::1" : "10.0.0.1";
	const char *server = strchr(addr, ':') ? "fd00::53" : "10.0.0.53";
	size_t len = ip_packet(pkt, proto, server, sport, client, dport, msg,
			       mlen + off);
	engine_packet(e, 0, DLT_RAW, ts, pkt, (uint32_t)len, (uint32_t)len);
	memset(pkt, 0xee, sizeof(pkt));
}

static const char *name_of(struct engine *const *engines, size_t n,
			   const char *addr, struct names_entry *out)
{
	struct addr a = A(addr);
	return engines_name_lookup(engines, n, &a, out) ? out->name : NULL;
}

static void init(struct engine *e, size_t max_names)
{
	char err[WS_ERRBUF_SIZE];
	struct engine_config cfg = {.max_flows = 64, .max_names = max_names};
	assert_int_equal(engine_init(e, &cfg, err), 0);
	assert_non_null(e->names);
}

/* Answers are learned from the packet as it arrives, before the batch
 * is processed: the buffer is wiped after each engine_packet(). */
static void test_learned_at_packet_time(void **state)
{
	struct engine e;
	struct names_entry x;
	struct engine *one = &e;
	(void)state;
	init(&e, 0);
	assert_int_equal(names_capacity(e.names), NAMES_DEFAULT_MAX);
	feed_answer(&e, P_UDP, 53, 40000, "www.example.com", "192.0.2.10",
		    T0);
	assert_int_equal(e.npending, 1); /* not processed yet */
	assert_string_equal(name_of(&one, 1, "192.0.2.10", &x),
			    "www.example.com");
	assert_int_equal(x.source, NAMES_SRC_A);
	assert_int_equal(x.first_ts, T0);
	/* AAAA, over IPv6 */
	feed_answer(&e, P_UDP, 53, 40001, "v6.example.com", "2001:db8::80",
		    T0 + 1);
	assert_string_equal(name_of(&one, 1, "2001:db8::80", &x),
			    "v6.example.com");
	/* TCP port 53, the message behind its length prefix */
	feed_answer(&e, P_TCP, 53, 40002, "tcp.example.com", "192.0.2.60",
		    T0 + 2);
	assert_string_equal(name_of(&one, 1, "192.0.2.60", &x),
			    "tcp.example.com");
	/* mDNS, UDP 5353 */
	feed_answer(&e, P_UDP, 5353, 5353, "printer.local", "10.0.0.7",
		    T0 + 3);
	assert_string_equal(name_of(&one, 1, "10.0.0.7", &x), "printer.local");
	assert_int_equal(x.source, NAMES_SRC_MDNS);
	engine_flush(&e);
	assert_int_equal(names_count(e.names), 4);
	assert_int_equal(names_dns_counters(e.names)[DNS_R_OK], 4);
	engine_free(&e);
	assert_null(e.names);
}

/* Only DNS ports are read: the same answer on other ports, or over TCP
 * 5353 (mDNS is UDP only), teaches nothing and is not even counted. */
static void test_only_dns_ports(void **state)
{
	struct engine e;
	struct names_entry x;
	struct engine *one = &e;
	(void)state;
	init(&e, 0);
	feed_answer(&e, P_UDP, 54, 40000, "a.example", "192.0.2.1", T0);
	feed_answer(&e, P_UDP, 5354, 40000, "b.example", "192.0.2.2", T0);
	feed_answer(&e, P_TCP, 5353, 40000, "c.example", "192.0.2.3", T0);
	feed_answer(&e, P_TCP, 443, 40000, "d.example", "192.0.2.4", T0);
	assert_null(name_of(&one, 1, "192.0.2.1", &x));
	assert_null(name_of(&one, 1, "192.0.2.2", &x));
	assert_null(name_of(&one, 1, "192.0.2.3", &x));
	assert_null(name_of(&one, 1, "192.0.2.4", &x));
	uint64_t total = 0;
	for (int r = 0; r < DNS_R_MAX; r++)
		total += names_dns_counters(e.names)[r];
	assert_int_equal(total, 0);
	/* A query to port 53 (the client's side) is read, and ignored. */
	feed_answer(&e, P_UDP, 40000, 53, "e.example", "192.0.2.5", T0);
	assert_string_equal(name_of(&one, 1, "192.0.2.5", &x), "e.example");
	engine_free(&e);
}

/* The cap comes from the configuration. */
static void test_cap(void **state)
{
	struct engine e;
	char name[32], addr[32];
	(void)state;
	init(&e, 3);
	assert_int_equal(names_capacity(e.names), 3);
	for (int i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		feed_answer(&e, P_UDP, 53, 40000, name, addr, T0 + i);
	}
	assert_int_equal(names_count(e.names), 3);
	assert_int_equal(names_counters(e.names)[NC_EVICTED], 2);
	engine_free(&e);
}

/* --workers: each engine learns what it sees; a lookup asks them all,
 * and the name learned last wins whichever engine holds it. */
static void test_lookup_over_engines(void **state)
{
	struct engine w[3];
	struct engine *all[3] = {&w[0], &w[1], &w[2]};
	struct names_entry x;
	(void)state;
	for (int i = 0; i < 3; i++)
		init(&w[i], 0);
	/* The answer on worker 1, the connection's report over all. */
	feed_answer(&w[1], P_UDP, 53, 40000, "one.example", "192.0.2.10", T0);
	assert_null(name_of(all, 1, "192.0.2.10", &x));
	assert_string_equal(name_of(all, 3, "192.0.2.10", &x), "one.example");
	/* A later answer on worker 2 renames it; worker 0's older one
	 * (learned after, but stamped earlier) does not. */
	feed_answer(&w[2], P_UDP, 53, 40001, "two.example", "192.0.2.10",
		    T0 + WS_SEC(5));
	feed_answer(&w[0], P_UDP, 53, 40002, "zero.example", "192.0.2.10",
		    T0 + WS_SEC(2));
	assert_string_equal(name_of(all, 3, "192.0.2.10", &x), "two.example");
	assert_int_equal(x.last_ts, T0 + WS_SEC(5));
	/* Whatever the order of the engines. */
	struct engine *rev[3] = {&w[2], &w[1], &w[0]};
	assert_string_equal(name_of(rev, 3, "192.0.2.10", &x), "two.example");
	/* Refreshed on worker 0 later still: it wins. */
	feed_answer(&w[0], P_UDP, 53, 40003, "zero.example", "192.0.2.10",
		    T0 + WS_SEC(9));
	assert_string_equal(name_of(all, 3, "192.0.2.10", &x), "zero.example");
	assert_int_equal(x.first_ts, T0 + WS_SEC(2));
	/* Unknown everywhere. */
	assert_null(name_of(all, 3, "192.0.2.11", &x));
	for (int i = 0; i < 3; i++)
		engine_free(&w[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learned_at_packet_time),
		cmocka_unit_test(test_only_dns_ports),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_lookup_over_engines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

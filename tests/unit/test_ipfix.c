/* test_ipfix.c - the IPFIX exporter: connections played through the
 * engine, their records exported to memory, the messages decoded here
 * by an independent reader of RFC 7011 and checked field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "wirestat/engine.h"
#include "wirestat/ipfix.h"

/* ---- the messages sent ---- */

#define MAX_MSGS 64

struct sink {
	uint8_t msg[MAX_MSGS][IPFIX_MTU];
	size_t len[MAX_MSGS];
	size_t n;
	int fail_next; /* make the next sends fail */
};

static int sink_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct sink *s = ctx;
	assert_true(len <= IPFIX_MTU);
	if (s->fail_next > 0) {
		s->fail_next--;
		return -1;
	}
	assert_true(s->n < MAX_MSGS);
	memcpy(s->msg[s->n], msg, len);
	s->len[s->n++] = len;
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* ---- a decoder: templates learned from the messages ---- */

struct tfield {
	uint16_t id, len;
	uint32_t pen;
};

struct tmpl {
	uint16_t id, n;
	struct tfield f[64];
};

/* One decoded data record: the value of each field by (pen, id). */
struct rec {
	uint16_t tid;
	struct {
		uint32_t pen;
		uint16_t id;
		uint64_t num;
		uint8_t bytes[16];
		char str[256];
		uint16_t len;
	} v[64];
	unsigned n;
	uint32_t seq; /* the message's sequence number */
};

struct decoded_msgs {
	struct tmpl t[4];
	unsigned nt;
	struct rec r[256];
	unsigned nr;
	unsigned template_sets;
};

static const struct tmpl *find_tmpl(const struct decoded_msgs *d,
				    uint16_t id)
{
	for (unsigned i = 0; i < d->nt; i++)
		if (d->t[i].id == id)
			return &d->t[i];
	return NULL;
}

static void decode_all(const struct sink *s, struct decoded_msgs *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t m = 0; m < s->n; m++) {
		const uint8_t *p = s->msg[m];
		size_t len = s->len[m];
		assert_int_equal(get16(p), 10);
		assert_int_equal(get16(p + 2), len);
		assert_int_equal(get32(p + 12), 7); /* the domain given */
		uint32_t seq = get32(p + 8);
		size_t off = 16;
		while (off < len) {
			assert_true(off + 4 <= len);
			uint16_t set_id = get16(p + off);
			uint16_t set_len = get16(p + off + 2);
			assert_true(set_len >= 4 && off + set_len <= len);
			const uint8_t *q = p + off + 4, *end = p + off + set_len;
			if (set_id == 2) {
				d->template_sets++;
				while (q < end) {
					struct tmpl t = {.id = get16(q),
							 .n = get16(q + 2)};
					q += 4;
					for (unsigned i = 0; i < t.n; i++) {
						uint16_t id = get16(q);
						t.f[i].len = get16(q + 2);
						q += 4;
						t.f[i].id = id & 0x7fff;
						if (id & 0x8000) {
							t.f[i].pen = get32(q);
							q += 4;
						}
					}
					assert_true(q <= end);
					unsigned k = 0;
					while (k < d->nt && d->t[k].id != t.id)
						k++;
					if (k == d->nt)
						d->nt++;
					d->t[k] = t;
				}
			} else {
				assert_true(set_id >= 256);
				const struct tmpl *t = find_tmpl(d, set_id);
				assert_non_null(t); /* templates came first */
				while (q < end) {
					struct rec *r = &d->r[d->nr++];
					r->tid = set_id;
					r->seq = seq;
					for (unsigned i = 0; i < t->n; i++) {
						uint16_t l = t->f[i].len;
						if (l == 0xffff) {
							l = *q++;
							assert_true(l < 255);
							memcpy(r->v[i].str, q, l);
							r->v[i].str[l] = '\0';
						} else if (l <= 8) {
							uint64_t v = 0;
							for (unsigned b = 0; b < l; b++)
								v = v << 8 | q[b];
							r->v[i].num = v;
						} else {
							memcpy(r->v[i].bytes, q, l);
						}
						r->v[i].pen = t->f[i].pen;
						r->v[i].id = t->f[i].id;
						r->v[i].len = l;
						q += l;
					}
					r->n = t->n;
					assert_true(q <= end);
				}
			}
			off += set_len;
		}
	}
}

static const void *field(const struct rec *r, uint32_t pen, uint16_t id)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->v[i].pen == pen && r->v[i].id == id)
			return &r->v[i];
	fail_msg("field %u/%u not in the record", pen, id);
	return NULL;
}

static uint64_t num(const struct rec *r, uint32_t pen, uint16_t id)
{
	const struct {
		uint32_t pen;
		uint16_t id;
		uint64_t num;
	} *v = field(r, pen, id);
	return v->num;
}

static const char *str(const struct rec *r, uint16_t id)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->v[i].pen == IPFIX_PEN && r->v[i].id == id)
			return r->v[i].str;
	return NULL;
}

/* ---- packets ---- */

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A raw IPv4 TCP segment from a.b.c.(src) to a.b.c.(dst). */
static size_t tcp4(uint8_t *buf, uint8_t src, uint8_t dst, uint16_t sport,
		   uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
		   uint16_t payload)
{
	size_t len = 20 + 20 + payload;
	memset(buf, 0, len);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[8] = 64;
	buf[9] = 6;
	buf[12] = 10, buf[13] = 9, buf[14] = 0, buf[15] = src;
	buf[16] = 10, buf[17] = 9, buf[18] = 0, buf[19] = dst;
	uint16_t c = csum(buf, 20);
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)c;
	uint8_t *t = buf + 20;
	t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8), t[7] = (uint8_t)seq;
	t[8] = (uint8_t)(ack >> 24), t[9] = (uint8_t)(ack >> 16);
	t[10] = (uint8_t)(ack >> 8), t[11] = (uint8_t)ack;
	t[12] = 5 << 4;
	t[13] = flags;
	t[14] = 0xff, t[15] = 0xff;
	return len;
}

struct world {
	struct engine e;
	struct sink sink;
	struct ipfix_exporter *x;
};

static void on_record(void *ctx, const struct conn_record *r)
{
	struct world *w = ctx;
	ipfix_record(w->x, r, r->last);
}

static void world_init(struct world *w, ws_time active)
{
	char err[WS_ERRBUF_SIZE];
	memset(w, 0, sizeof(*w));
	struct engine_config cfg = {.conn = true, .active_timeout = active};
	assert_int_equal(engine_init(&w->e, &cfg, err), 0);
	w->x = ipfix_new(sink_send, &w->sink, 7, err);
	assert_non_null(w->x);
	engine_on_conn(&w->e, on_record, w);
}

static void seg(struct world *w, ws_time t, uint8_t src, uint8_t dst,
		uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
		uint32_t ack, uint16_t payload)
{
	uint8_t buf[1600];
	size_t n = tcp4(buf, src, dst, sport, dport, flags, seq, ack, payload);
	engine_packet(&w->e, 0, DLT_RAW, t, buf, (uint32_t)n, (uint32_t)n);
}

static void world_end(struct world *w, struct decoded_msgs *d)
{
	engine_finish(&w->e);
	ipfix_close(w->x);
	engine_free(&w->e);
	decode_all(&w->sink, d);
}

#define T0 WS_SEC(1700000000)
#define MS(x) ((ws_time)(x) * 1000000)

/* A whole connection: SYN, SYN-ACK, ACK, data both ways, FINs. */
static void handshake_and_close(struct world *w, ws_time t0, uint16_t cport)
{
	seg(w, t0, 1, 2, cport, 80, F_SYN, 100, 0, 0);
	seg(w, t0 + MS(1), 2, 1, 80, cport, F_SYN | F_ACK, 500, 101, 0);
	seg(w, t0 + MS(2), 1, 2, cport, 80, F_ACK, 101, 501, 0);
	seg(w, t0 + MS(3), 1, 2, cport, 80, F_ACK | F_PSH, 101, 501, 100);
	seg(w, t0 + MS(4), 2, 1, 80, cport, F_ACK | F_PSH, 501, 201, 1000);
	seg(w, t0 + MS(5), 1, 2, cport, 80, F_ACK | F_FIN, 201, 1501, 0);
	seg(w, t0 + MS(6), 2, 1, 80, cport, F_ACK | F_FIN, 1501, 202, 0);
	seg(w, t0 + MS(7), 1, 2, cport, 80, F_ACK, 202, 1502, 0);
}

static void test_one_connection(void **state)
{
	(void)state;
	static struct world w;
	static struct decoded_msgs d;
	world_init(&w, 0);
	handshake_and_close(&w, T0, 40000);
	world_end(&w, &d);

	assert_int_equal(w.sink.n, 1);
	assert_int_equal(d.template_sets, 1);
	assert_int_equal(d.nt, 2);
	assert_non_null(find_tmpl(&d, IPFIX_TEMPLATE_V4));
	assert_non_null(find_tmpl(&d, IPFIX_TEMPLATE_V6));
	assert_int_equal(d.nr, 1);
	const struct rec *r = &d.r[0];
	assert_int_equal(r->tid, IPFIX_TEMPLATE_V4);
	assert_int_equal(r->seq, 0);
	assert_int_equal(num(r, 0, 152), T0 / 1000000);
	assert_int_equal(num(r, 0, 153), (T0 + MS(7)) / 1000000);
	assert_int_equal(num(r, 0, 8), 0x0a090001);
	assert_int_equal(num(r, 0, 12), 0x0a090002);
	assert_int_equal(num(r, 0, 7), 40000);
	assert_int_equal(num(r, 0, 11), 80);
	assert_int_equal(num(r, 0, 4), 6);
	assert_int_equal(num(r, 0, 32), 0);
	/* originator: 5 segments, 4 x 40 + 140 bytes; responder: 3,
	 * 2 x 40 + 1040 */
	assert_int_equal(num(r, 0, 2), 5);
	assert_int_equal(num(r, 0, 1), 4 * 40 + 140);
	assert_int_equal(num(r, IPFIX_REVERSE_PEN, 2), 3);
	assert_int_equal(num(r, IPFIX_REVERSE_PEN, 1), 2 * 40 + 1040);
	assert_int_equal(num(r, 0, 6), F_SYN | F_ACK | F_PSH | F_FIN);
	assert_int_equal(num(r, IPFIX_REVERSE_PEN, 6),
			 F_SYN | F_ACK | F_PSH | F_FIN);
	assert_int_equal(num(r, 0, 136), 4); /* forced end: end of input */
	assert_int_equal(num(r, 0, 239), 1); /* initiator */
	assert_int_equal(num(r, 0, 58), 0);
	/* TIME_WAIT (11) and CLOSED (1), tcpConnState */
	assert_int_equal(num(r, IPFIX_PEN, 1), 11);
	assert_int_equal(num(r, IPFIX_PEN, 2), 1);
	assert_string_equal(str(r, 3), "SF");
	/* the responder sent no pure ACK: d, and no a */
	assert_string_equal(str(r, 4), "ShADdFf");
}

/* The active timeout: interim records of what was new, which add up to
 * the connection; the last ends the connection. */
static void test_active_timeout(void **state)
{
	(void)state;
	static struct world w;
	static struct decoded_msgs d;
	world_init(&w, WS_SEC(10));
	seg(&w, T0, 1, 2, 40001, 22, F_SYN, 100, 0, 0);
	seg(&w, T0 + MS(1), 2, 1, 22, 40001, F_SYN | F_ACK, 500, 101, 0);
	seg(&w, T0 + MS(2), 1, 2, 40001, 22, F_ACK, 101, 501, 0);
	/* 25 s of data, one segment each way per second */
	uint32_t cs = 101, ss = 501;
	for (int i = 1; i <= 25; i++) {
		seg(&w, T0 + WS_SEC(i), 1, 2, 40001, 22, F_ACK | F_PSH, cs,
		    ss, 10);
		cs += 10;
		seg(&w, T0 + WS_SEC(i) + MS(1), 2, 1, 22, 40001,
		    F_ACK | F_PSH, ss, cs, 20);
		ss += 20;
	}
	world_end(&w, &d);

	/* records at 10 s and 20 s (active), the rest at the end */
	assert_int_equal(d.nr, 3);
	uint64_t pk[2] = {0, 0}, by[2] = {0, 0};
	for (unsigned i = 0; i < d.nr; i++) {

		pk[0] += num(&d.r[i], 0, 2);
		pk[1] += num(&d.r[i], IPFIX_REVERSE_PEN, 2);
		by[0] += num(&d.r[i], 0, 1);
		by[1] += num(&d.r[i], IPFIX_REVERSE_PEN, 1);
	}
	assert_int_equal(pk[0], 2 + 25);
	assert_int_equal(pk[1], 1 + 25);
	assert_int_equal(by[0], 2 * 40 + 25 * 50);
	assert_int_equal(by[1], 40 + 25 * 60);
	assert_int_equal(num(&d.r[0], 0, 136), 2);
	assert_int_equal(num(&d.r[1], 0, 136), 2);
	assert_int_equal(num(&d.r[2], 0, 136), 4);
	/* each covers its own stretch of time */
	assert_int_equal(num(&d.r[0], 0, 152), T0 / 1000000);
	assert_int_equal(num(&d.r[0], 0, 153), (T0 + WS_SEC(10)) / 1000000);
	assert_true(num(&d.r[1], 0, 152) > num(&d.r[0], 0, 153));
	assert_true(num(&d.r[2], 0, 152) > num(&d.r[1], 0, 153));
	/* the SYN is in the first record's flags only */
	assert_true(num(&d.r[0], 0, 6) & F_SYN);
	assert_false(num(&d.r[1], 0, 6) & F_SYN);
	assert_int_equal(num(&d.r[1], 0, 6), F_ACK | F_PSH);
	/* the sequence numbers count the records before each message */
	for (unsigned i = 1; i < d.nr; i++)
		assert_true(d.r[i].seq <= i);
}

/* Many connections: messages stay under the MTU (the sink checks),
 * every record is there once, and each message's sequence number counts
 * the records before it. */
static void test_many(void **state)
{
	(void)state;
	static struct world w;
	static struct decoded_msgs d;
	world_init(&w, 0);
	for (int i = 0; i < 60; i++)
		handshake_and_close(&w, T0 + MS(10 * i), (uint16_t)(41000 + i));
	world_end(&w, &d);
	assert_int_equal(d.nr, 60);
	assert_true(w.sink.n >= 4); /* ~100 bytes a record, 1400 a message */
	assert_int_equal(d.template_sets, 1);
	uint32_t before = 0;
	for (unsigned i = 0; i < d.nr; i++) {
		if (i > 0 && d.r[i].seq != d.r[i - 1].seq)
			before = i;
		assert_int_equal(d.r[i].seq, before);
		assert_int_equal(num(&d.r[i], 0, 7), 41000 + i);
	}
}

static void test_counters(void **state)
{
	(void)state;
	static struct sink s;
	char err[WS_ERRBUF_SIZE];
	struct engine e;
	struct engine_config cfg = {.conn = true};
	assert_int_equal(engine_init(&e, &cfg, err), 0);
	struct ipfix_exporter *x = ipfix_new(sink_send, &s, 7, err);
	struct world w;
	memset(&w, 0, sizeof(w));
	w.x = x;
	engine_on_conn(&e, on_record, &w);
	s.fail_next = 1;
	uint8_t buf[200];
	for (int i = 0; i < 30; i++) {
		size_t n = tcp4(buf, 1, 2, (uint16_t)(42000 + i), 80, F_SYN,
				1, 0, 0);
		engine_packet(&e, 0, DLT_RAW, T0 + MS(i), buf, (uint32_t)n,
			      (uint32_t)n);
	}
	engine_finish(&e);
	ipfix_flush(x);
	const uint64_t *c = ipfix_counters(x);
	assert_int_equal(c[IPFIX_RECORDS] + c[IPFIX_RECORDS_LOST], 30);
	assert_int_equal(c[IPFIX_MESSAGES_LOST], 1);
	assert_true(c[IPFIX_RECORDS_LOST] > 0);
	assert_int_equal(c[IPFIX_MESSAGES], s.n);
	assert_int_equal(c[IPFIX_TEMPLATES], 1);
	uint64_t bytes_sent = 0;
	for (size_t i = 0; i < s.n; i++)
		bytes_sent += s.len[i];
	assert_int_equal(c[IPFIX_BYTES], bytes_sent);
	/* the sequence number of the first message sent skips the lost
	 * records: a collector sees the gap */
	assert_int_equal(get32(s.msg[0] + 8), c[IPFIX_RECORDS_LOST]);
	ipfix_close(x);
	engine_free(&e);
}

/* Templates again after 60 s of export time. */
static void test_template_refresh(void **state)
{
	(void)state;
	static struct world w;
	static struct decoded_msgs d;
	world_init(&w, 0);
	handshake_and_close(&w, T0, 43000);
	/* 5 s later the first record's close delay has passed: it is sent
	 * with the next; then one 70 s later */
	handshake_and_close(&w, T0 + WS_SEC(10), 43001);
	handshake_and_close(&w, T0 + WS_SEC(80), 43002);
	handshake_and_close(&w, T0 + WS_SEC(90), 43003);
	world_end(&w, &d);
	assert_int_equal(d.nr, 4);
	assert_int_equal(d.template_sets, 2);
}

static void test_targets(void **state)
{
	(void)state;
	char err[WS_ERRBUF_SIZE];
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", ":4739", "::1:4739", "[::1]4739",
		"[::1:4739", "localhost:4739", "127.0.0.1:ipfix",
		"127.0.0.1:99999", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_null(ipfix_open(bad[i], 1, err));
		assert_true(strlen(err) > 0);
	}
	struct ipfix_exporter *x = ipfix_open("127.0.0.1:4739", 1, err);
	assert_non_null(x);
	ipfix_close(x);
	x = ipfix_open("[::1]:4739", 1, err);
	assert_non_null(x);
	ipfix_close(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_connection),
		cmocka_unit_test(test_active_timeout),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_template_refresh),
		cmocka_unit_test(test_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

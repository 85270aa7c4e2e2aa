/* test_dns.c - the DNS parser over wire messages, and the passive name
 * cache it feeds.
 *
 * The table holds one row per message, written out in hex (built with a
 * small encoder and checked with scapy): its flags, how many bytes the
 * capture lost at the end, the verdict dns_parse() must return and how
 * many records it must hand out.  Every reason is reached by some row.
 * tests/fuzz/dns_seeds.py turns the same rows into the fuzzer's seeds, so
 * keep the DNS_VEC(...) layout.  Then: what each good message teaches the
 * cache; the cache's cap, LRU, ranking and TTL rules; the engine hook on
 * decoded packets; and 100k random and mutated messages, each a heap copy
 * of exactly its size (run under ASan).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/dns.h"

struct vec {
	const char *name;
	unsigned flags;
	size_t cut; /* bytes at the end that were not captured */
	enum dns_reason want;
	int answers; /* records handed to the callback */
	const char *hex;
};

#define DNS_VEC(name, flags, cut, want, answers, hex) \
	{name, flags, cut, want, answers, hex}

static const struct vec vecs[] = {
	DNS_VEC("a_simple", 0, 0, DNS_R_OK, 1,
		"12348180000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("aaaa_simple", 0, 0, DNS_R_OK, 1,
		"2345818000010001000000000469707636076578616d706c65036f72"
		"6700001c0001c00c001c000100000e10001020010db8000000000000"
		"000000000001"),
	DNS_VEC("cname_chain", 0, 0, DNS_R_OK, 4,
		"345681800001000400000000037777770473686f70076578616d706c"
		"650000010001c00c000500010000003c00160473686f700363646e07"
		"6578616d706c65036e657400c02e000500010000001e000805656467"
		"6537c033c05000010001000000140004c6336407c050000100010000"
		"00140004c6336408"),
	DNS_VEC("cname_reversed", 0, 0, DNS_R_OK, 2,
		"34578180000100020000000003496d67074578616d706c6503434f4d"
		"00001c000104656467650363646e076578616d706c65036e65740000"
		"1c00010000002d001020010db8000000000000000000000077c00c00"
		"050001000002580002c021"),
	DNS_VEC("cname_loop", 0, 0, DNS_R_OK, 4,
		"345881800001000400000000046c6f6f70076578616d706c65000001"
		"0001c00c000500010000003c00040162c011c02a000500010000003c"
		"00040163c011c03a000500010000003c0002c02ac03a000100010000"
		"003c0004c000024d"),
	DNS_VEC("ptr_v4", 0, 0, DNS_R_OK, 1,
		"45678180000100010000000002333403323136033138340239330769"
		"6e2d61646472046172706100000c0001c00c000c0001000151800014"
		"06736572766572076578616d706c6503636f6d00"),
	DNS_VEC("ptr_v6", 0, 0, DNS_R_OK, 1,
		"56788180000100010000000001310130013001300130013001300130"
		"01300130013001300130013001300130013001300130013001300130"
		"01300130013801620164013001310130013001320369703604617270"
		"6100000c0001c00c000c000100001c200014067636686f7374076578"
		"616d706c65036f726700"),
	DNS_VEC("ptr_rfc2317", 0, 0, DNS_R_OK, 2,
		"6789818000010002000000000135013201300331393207696e2d6164"
		"6472046172706100000c0001c00c000500010000012c000901350430"
		"2f3235c00ec034000c00010000012c001305736d616c6c076578616d"
		"706c65036e657400"),
	DNS_VEC("mdns", DNS_F_MDNS, 0, DNS_R_OK, 3,
		"000084000000000200000001077072696e746572056c6f63616c0000"
		"018001000000780004c0a80114045f697070045f746370c014000c00"
		"0100001194000a077072696e746572c029c00c001c80010000007800"
		"10fe800000000000000000000000001234"),
	/* class 0x8001 is not IN outside mDNS */
	DNS_VEC("mdns_as_unicast", 0, 0, DNS_R_OK, 1,
		"000084000000000200000001077072696e746572056c6f63616c0000"
		"018001000000780004c0a80114045f697070045f746370c014000c00"
		"0100001194000a077072696e746572c029c00c001c80010000007800"
		"10fe800000000000000000000000001234"),
	DNS_VEC("glue_and_opt", 0, 0, DNS_R_OK, 1,
		"789a81800001000100000002076578616d706c6503636f6d00000200"
		"01c00c000200010000012c0006036e7331c00cc02900010001000001"
		"2c0004c000023500002904d0000000000000"),
	DNS_VEC("escapes", 0, 0, DNS_R_OK, 1,
		"89ab81800001000100000000036f6464076578616d706c6500000100"
		"0105612062015c0158c00c00010001800000100004cb007109"),
	DNS_VEC("multi_a", 0, 0, DNS_R_OK, 3,
		"9abc81800001000300000000056d756c7469076578616d706c650000"
		"010001c00c000100010000006400040a010101c00c00010001000000"
		"c800040a010102c00c000100010000012c00040a010103"),
	/* a 255-byte name is the longest allowed */
	DNS_VEC("name_255", 0, 0, DNS_R_OK, 0,
		"9abd818000010000000000003f616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161613f61616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"3f616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161613d62626262626262626262626262626262626262"
		"62626262626262626262626262626262626262626262626262626262"
		"62626262626262626262626262620000010001"),
	DNS_VEC("tcp", DNS_F_TCP, 0, DNS_R_OK, 1,
		"003112348180000100010000000003777777076578616d706c650363"
		"6f6d0000010001c00c000100010000012c00045db8d822"),
	/* bytes after the last record are ignored */
	DNS_VEC("trailing", 0, 0, DNS_R_OK, 1,
		"12348180000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822ffffff"),
	DNS_VEC("query", 0, 0, DNS_R_QUERY, 0,
		"12340100000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("opcode_update", 0, 0, DNS_R_OPCODE, 0,
		"1234a800000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("nxdomain", 0, 0, DNS_R_RCODE, 0,
		"111181830001000000000000046e6f7065076578616d706c65000001"
		"0001"),
	DNS_VEC("snaplen_header", 0, 41, DNS_R_TRUNC_SNAPLEN, 0,
		"12348180000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("snaplen_answer", 0, 2, DNS_R_TRUNC_SNAPLEN, 0,
		"12348180000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("snaplen_second_a", 0, 2, DNS_R_TRUNC_SNAPLEN, 3,
		"345681800001000400000000037777770473686f70076578616d706c"
		"650000010001c00c000500010000003c00160473686f700363646e07"
		"6578616d706c65036e657400c02e000500010000001e000805656467"
		"6537c033c05000010001000000140004c6336407c050000100010000"
		"00140004c6336408"),
	DNS_VEC("tcp_segment", DNS_F_TCP, 0, DNS_R_TRUNC_SEGMENT, 0,
		"003112348180000100010000000003777777076578616d706c650363"
		"6f6d0000"),
	DNS_VEC("tcp_one_byte", DNS_F_TCP, 0, DNS_R_TRUNC_SEGMENT, 0,
		"00"),
	DNS_VEC("tc_bit", 0, 0, DNS_R_TRUNC_TC, 1,
		"222283800001000200000000027463076578616d706c650000010001"
		"c00c000100010000003c0004c000020a"),
	DNS_VEC("tc_counts", 0, 0, DNS_R_TRUNC_TC, 0,
		"12348380000101000000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("short", 0, 0, DNS_R_SHORT, 0,
		"1234818000010001000000"),
	DNS_VEC("tcp_short", DNS_F_TCP, 0, DNS_R_SHORT, 0,
		"00051234818000"),
	DNS_VEC("counts", 0, 0, DNS_R_COUNTS, 0,
		"12348180000101000000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822"),
	DNS_VEC("label_0x40", 0, 0, DNS_R_LABEL, 0,
		"42428180000100000000000040616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"6161616161616161616161616161616161616161610000010001"),
	DNS_VEC("label_0x80", 0, 0, DNS_R_LABEL, 0,
		"424281800001000000000000806162630000010001"),
	DNS_VEC("name_256", 0, 0, DNS_R_NAME_LONG, 0,
		"4242818000010000000000003f616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161613f61616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"3f616161616161616161616161616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"61616161616161613f61616161616161616161616161616161616161"
		"61616161616161616161616161616161616161616161616161616161"
		"616161616161616161616161616161610000010001"),
	DNS_VEC("name_end", 0, 0, DNS_R_NAME_END, 0,
		"4242818000010000000000000a6578616d"),
	DNS_VEC("pointer_past_end", 0, 0, DNS_R_PTR_RANGE, 0,
		"4242818000010000000000000161c0ff00010001"),
	DNS_VEC("pointer_into_header", 0, 0, DNS_R_PTR_RANGE, 0,
		"424281800001000000000000c00400010001"),
	DNS_VEC("pointer_self", 0, 0, DNS_R_PTR_FORWARD, 0,
		"4242818000010000000000000161c00c00010001"),
	DNS_VEC("pointer_forward", 0, 0, DNS_R_PTR_FORWARD, 0,
		"424281800002000000000000c0120001000101620000010001"),
	/* 64 pointers in one name: the limit */
	DNS_VEC("pointers_64", 0, 0, DNS_R_OK, 1,
		"42428180000000020000000000001000010000003c007f00c017c018"
		"c01ac01cc01ec020c022c024c026c028c02ac02cc02ec030c032c034"
		"c036c038c03ac03cc03ec040c042c044c046c048c04ac04cc04ec050"
		"c052c054c056c058c05ac05cc05ec060c062c064c066c068c06ac06c"
		"c06ec070c072c074c076c078c07ac07cc07ec080c082c084c086c088"
		"c08ac08cc08ec090c092c094000100010000003c0004c0000201"),
	DNS_VEC("pointers_65", 0, 0, DNS_R_PTR_HOPS, 0,
		"42428180000000020000000000001000010000003c008100c017c018"
		"c01ac01cc01ec020c022c024c026c028c02ac02cc02ec030c032c034"
		"c036c038c03ac03cc03ec040c042c044c046c048c04ac04cc04ec050"
		"c052c054c056c058c05ac05cc05ec060c062c064c066c068c06ac06c"
		"c06ec070c072c074c076c078c07ac07cc07ec080c082c084c086c088"
		"c08ac08cc08ec090c092c094c096000100010000003c0004c0000201"),
	DNS_VEC("record_past_end", 0, 0, DNS_R_RR_END, 0,
		"4242818000010000000000000161000001"),
	DNS_VEC("answer_fixed_past_end", 0, 0, DNS_R_RR_END, 0,
		"4242818000000001000000000161000001000100000000"),
	DNS_VEC("rdlength_past_end", 0, 0, DNS_R_RDLENGTH, 0,
		"12348180000100010000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00405db8d822"),
	DNS_VEC("a_rdlength_5", 0, 0, DNS_R_A_LEN, 1,
		"12348180000100020000000003777777076578616d706c6503636f6d"
		"0000010001c00c000100010000012c00045db8d822c00c0001000100"
		"00012c00050000000000"),
	DNS_VEC("aaaa_rdlength_4", 0, 0, DNS_R_AAAA_LEN, 0,
		"333381800001000100000000027636076578616d706c6500001c0001"
		"c00c001c00010000003c000400000000"),
	DNS_VEC("cname_rdata_long", 0, 0, DNS_R_RDATA_NAME, 0,
		"4444818000010001000000000163076578616d706c650000010001c0"
		"0c000500010000003c00050164c00e00"),
	DNS_VEC("cname_rdata_short", 0, 0, DNS_R_RDATA_NAME, 0,
		"4444818000010001000000000163076578616d706c650000010001c0"
		"0c000500010000003c00030164c00e"),
};

static const ws_time T0 = WS_SEC(1700000000);

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	fail_msg("bad hex digit %c", c);
	return 0;
}

/* A heap block of exactly the message's size. */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n ? n : 1);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
	*len = n;
	return b;
}

static const struct vec *find_vec(const char *name)
{
	for (size_t i = 0; i < WS_ARRAY_SIZE(vecs); i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	fail_msg("no vector %s", name);
	return NULL;
}

/* Printable ASCII without spaces, as the header promises. */
static void check_printable(const char *s)
{
	size_t n = strlen(s);
	assert_true(n < DNS_NAME_STRLEN);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			fail_msg("byte 0x%02x in name \"%s\"", (unsigned char)s[i],
				 s);
}

struct got {
	int n;
	struct dns_answer a[8];
};

static void collect(void *ctx, const struct dns_message *m,
		    const struct dns_answer *a)
{
	struct got *g = ctx;
	check_printable(a->name);
	check_printable(a->target[0] ? a->target : ".");
	if (m->has_qname)
		check_printable(m->qname);
	assert_true(a->type == DNS_TYPE_A || a->type == DNS_TYPE_AAAA ||
		    a->type == DNS_TYPE_CNAME || a->type == DNS_TYPE_PTR);
	if (g->n < (int)WS_ARRAY_SIZE(g->a))
		g->a[g->n] = *a;
	g->n++;
}

static enum dns_reason parse_vec(const struct vec *v, struct got *g,
				 struct dns_message *m)
{
	size_t len;
	uint8_t *b = unhex(v->hex, &len);
	memset(g, 0, sizeof(*g));
	enum dns_reason r = dns_parse(b, len - v->cut, len, v->flags, m,
				      collect, g);
	free(b);
	return r;
}

static void test_table(void **state)
{
	struct dns_message m;
	struct got g;
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		enum dns_reason r = parse_vec(v, &g, &m);
		if (r != v->want)
			fail_msg("%s: %s, want %s", v->name,
				 dns_reason_names[r], dns_reason_names[v->want]);
		if (g.n != v->answers)
			fail_msg("%s: %d records, want %d", v->name, g.n,
				 v->answers);
	}
}

/* Each reason is some row's verdict. */
static void test_every_reason_reached(void **state)
{
	(void)state;
	for (int r = 0; r < DNS_R_MAX; r++) {
		bool found = false;
		for (size_t i = 0; i < WS_ARRAY_SIZE(vecs); i++)
			found |= vecs[i].want == (enum dns_reason)r;
		if (!found)
			fail_msg("no row gives %s", dns_reason_names[r]);
	}
}

static void test_reason_names_and_classes(void **state)
{
	(void)state;
	for (int r = 0; r < DNS_R_MAX; r++) {
		assert_non_null(dns_reason_names[r]);
		assert_true(dns_reason_class[r] < DNS_CLASS_MAX);
		for (int s = 0; s < r; s++)
			assert_string_not_equal(dns_reason_names[r],
						dns_reason_names[s]);
	}
	for (int c = 0; c < DNS_CLASS_MAX; c++)
		assert_non_null(dns_class_names[c]);
	for (int c = 0; c < NC_MAX; c++)
		assert_non_null(names_counter_names[c]);
	for (int s = 0; s < NAMES_SRC_MAX; s++)
		assert_non_null(names_source_names[s]);
	assert_int_equal(dns_reason_class[DNS_R_OK], DNS_CLASS_USED);
	assert_int_equal(dns_reason_class[DNS_R_TRUNC_TC], DNS_CLASS_TRUNCATED);
	assert_int_equal(dns_reason_class[DNS_R_PTR_FORWARD],
			 DNS_CLASS_MALFORMED);
}

/* What the parser hands out, field by field. */
static void test_answer_fields(void **state)
{
	struct dns_message m;
	struct got g;
	char buf[ADDR_STRLEN];
	(void)state;

	assert_int_equal(parse_vec(find_vec("a_simple"), &g, &m), DNS_R_OK);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(m.flags, 0x8180);
	assert_int_equal(m.qdcount, 1);
	assert_int_equal(m.ancount, 1);
	assert_int_equal(m.length, 49);
	assert_true(m.has_qname);
	assert_string_equal(m.qname, "www.example.com");
	assert_int_equal(g.a[0].type, DNS_TYPE_A);
	assert_int_equal(g.a[0].section, DNS_SEC_ANSWER);
	assert_int_equal(g.a[0].ttl, 300);
	assert_false(g.a[0].cache_flush);
	assert_string_equal(g.a[0].name, "www.example.com");
	assert_string_equal(g.a[0].target, "");
	assert_string_equal(addr_format(&g.a[0].addr, buf, sizeof(buf)),
			    "93.184.216.34");

	assert_int_equal(parse_vec(find_vec("aaaa_simple"), &g, &m), DNS_R_OK);
	assert_int_equal(g.a[0].type, DNS_TYPE_AAAA);
	assert_int_equal(g.a[0].ttl, 3600);
	assert_string_equal(addr_format(&g.a[0].addr, buf, sizeof(buf)),
			    "2001:db8::1");

	assert_int_equal(parse_vec(find_vec("cname_chain"), &g, &m), DNS_R_OK);
	assert_int_equal(g.a[0].type, DNS_TYPE_CNAME);
	assert_string_equal(g.a[0].name, "www.shop.example");
	assert_string_equal(g.a[0].target, "shop.cdn.example.net");
	assert_int_equal(g.a[0].addr.family, ADDR_NONE);
	assert_string_equal(g.a[1].target, "edge7.cdn.example.net");
	assert_string_equal(g.a[3].name, "edge7.cdn.example.net");
	assert_string_equal(addr_format(&g.a[3].addr, buf, sizeof(buf)),
			    "198.51.100.8");

	/* Upper case in the question and the records reads lower-cased. */
	assert_int_equal(parse_vec(find_vec("cname_reversed"), &g, &m),
			 DNS_R_OK);
	assert_string_equal(m.qname, "img.example.com");
	assert_string_equal(g.a[1].name, "img.example.com");

	assert_int_equal(parse_vec(find_vec("ptr_v4"), &g, &m), DNS_R_OK);
	assert_int_equal(g.a[0].type, DNS_TYPE_PTR);
	assert_string_equal(g.a[0].name, "34.216.184.93.in-addr.arpa");
	assert_string_equal(g.a[0].target, "server.example.com");
	assert_string_equal(addr_format(&g.a[0].addr, buf, sizeof(buf)),
			    "93.184.216.34");

	assert_int_equal(parse_vec(find_vec("ptr_v6"), &g, &m), DNS_R_OK);
	assert_string_equal(addr_format(&g.a[0].addr, buf, sizeof(buf)),
			    "2001:db8::1");

	/* RFC 2317: the PTR's owner is no address; the chain's start is. */
	assert_int_equal(parse_vec(find_vec("ptr_rfc2317"), &g, &m), DNS_R_OK);
	assert_string_equal(g.a[1].name, "5.0/25.2.0.192.in-addr.arpa");
	assert_int_equal(g.a[1].addr.family, ADDR_NONE);

	/* mDNS: ID 0, no question, the cache-flush bit, additional records */
	assert_int_equal(parse_vec(find_vec("mdns"), &g, &m), DNS_R_OK);
	assert_int_equal(m.id, 0);
	assert_false(m.has_qname);
	assert_true(g.a[0].cache_flush);
	assert_string_equal(g.a[0].name, "printer.local");
	assert_int_equal(g.a[1].section, DNS_SEC_ANSWER);
	assert_int_equal(g.a[1].type, DNS_TYPE_PTR);
	assert_false(g.a[1].cache_flush);
	assert_string_equal(g.a[1].name, "_ipp._tcp.local");
	assert_string_equal(g.a[1].target, "printer._ipp._tcp.local");
	assert_int_equal(g.a[2].section, DNS_SEC_ADDITIONAL);
	assert_true(g.a[2].cache_flush);
	assert_string_equal(addr_format(&g.a[2].addr, buf, sizeof(buf)),
			    "fe80::1234");

	/* Glue comes out marked as additional; NS and OPT not at all. */
	assert_int_equal(parse_vec(find_vec("glue_and_opt"), &g, &m), DNS_R_OK);
	assert_int_equal(g.a[0].section, DNS_SEC_ADDITIONAL);
	assert_string_equal(g.a[0].name, "ns1.example.com");

	/* Space, control bytes, '\' and '.' in a label are escaped; a TTL
	 * with its top bit set reads as 0. */
	assert_int_equal(parse_vec(find_vec("escapes"), &g, &m), DNS_R_OK);
	assert_string_equal(g.a[0].name, "a\\032b\\001\\092.x.odd.example");
	assert_int_equal(g.a[0].ttl, 0);

	assert_int_equal(parse_vec(find_vec("name_255"), &g, &m), DNS_R_OK);
	assert_int_equal(strlen(m.qname), 253);

	assert_int_equal(parse_vec(find_vec("tcp"), &g, &m), DNS_R_OK);
	assert_int_equal(m.length, 51);
	assert_string_equal(g.a[0].name, "www.example.com");
}

/* Escapes: a label of 63 bytes that all need one prints in 252
 * characters; four of them (the longest name) fit DNS_NAME_STRLEN. */
static void test_longest_presentation(void **state)
{
	uint8_t b[12 + 255 + 4];
	struct dns_message m;
	(void)state;
	memset(b, 0, sizeof(b));
	b[2] = 0x81;
	b[5] = 1; /* one question */
	size_t o = 12;
	static const uint8_t lens[] = {63, 63, 63, 61};
	for (size_t l = 0; l < 4; l++) {
		b[o++] = lens[l];
		for (int i = 0; i < lens[l]; i++)
			b[o++] = (uint8_t)(0x80 + i);
	}
	b[o++] = 0;
	b[o++] = 0;
	b[o++] = 1;
	b[o++] = 0;
	b[o++] = 1;
	assert_int_equal(o, sizeof(b));
	assert_int_equal(dns_parse(b, o, o, 0, &m, NULL, NULL), DNS_R_OK);
	assert_int_equal(strlen(m.qname), 250 * 4 + 3);
	check_printable(m.qname);
	assert_memory_equal(m.qname, "\\128\\129", 8);
}

/* Every prefix of a good message is truncated (or, past its last
 * record, whole): never malformed.  As a TCP segment, a prefix is a
 * message that continues in the next segment. */
static void test_prefixes_are_truncated(void **state)
{
	struct dns_message m;
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(vecs); i++) {
		const struct vec *v = &vecs[i];
		if (v->want != DNS_R_OK || v->cut || (v->flags & DNS_F_TCP))
			continue;
		size_t len;
		uint8_t *whole = unhex(v->hex, &len);
		for (size_t k = 0; k < len; k++) {
			uint8_t *b = malloc(k ? k : 1);
			assert_non_null(b);
			memcpy(b, whole, k);
			enum dns_reason r =
				dns_parse(b, k, len, v->flags, &m, NULL, NULL);
			if (r != DNS_R_TRUNC_SNAPLEN && r != DNS_R_OK)
				fail_msg("%s cut at %zu: %s", v->name, k,
					 dns_reason_names[r]);
			free(b);
			/* the same bytes as a TCP segment */
			b = malloc(k + 2);
			assert_non_null(b);
			b[0] = (uint8_t)(len >> 8);
			b[1] = (uint8_t)len;
			memcpy(b + 2, whole, k);
			r = dns_parse(b, k + 2, k + 2, v->flags | DNS_F_TCP, &m,
				      NULL, NULL);
			if (r != DNS_R_TRUNC_SEGMENT && r != DNS_R_OK)
				fail_msg("%s segment of %zu: %s", v->name, k,
					 dns_reason_names[r]);
			free(b);
		}
		free(whole);
	}
}

static void test_reverse_names(void **state)
{
	struct addr a;
	char buf[ADDR_STRLEN];
	(void)state;
	static const struct {
		const char *name, *addr;
	} good[] = {
		{"4.3.2.1.in-addr.arpa", "1.2.3.4"},
		{"0.0.0.0.in-addr.arpa", "0.0.0.0"},
		{"255.255.255.255.IN-ADDR.ARPA", "255.255.255.255"},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0."
		 "2.ip6.arpa",
		 "2001:db8::1"},
		{"F.E.D.C.B.A.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e."
		 "f.ip6.arpa",
		 "fe80::123:4567:89ab:cdef"},
	};
	static const struct {
		const char *name;
	} bad[] = {
		{"in-addr.arpa"}, {".in-addr.arpa"}, {"3.2.1.in-addr.arpa"},
		{"5.4.3.2.1.in-addr.arpa"}, {"256.0.0.1.in-addr.arpa"},
		{"01.0.0.1.in-addr.arpa"}, {"1..0.1.in-addr.arpa"},
		{"a.0.0.1.in-addr.arpa"}, {"1.2.3.4in-addr.arpa"},
		{"0/25.2.0.192.in-addr.arpa"}, {"1.2.3.4.example"},
		{"1.0.ip6.arpa"},
		{"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		 "8.b.d.0.1.0.0.2.ip6.arpa"},
		{"10.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
		 "ip6.arpa"},
		{""}, {"."}, {"1.2.3.4.in-addr.arpa."},
		{"1\\046.2.3.4.in-addr.arpa"},
	};
	for (size_t i = 0; i < WS_ARRAY_SIZE(good); i++) {
		if (!dns_reverse_name(good[i].name, &a))
			fail_msg("%s not read", good[i].name);
		assert_string_equal(addr_format(&a, buf, sizeof(buf)),
				    good[i].addr);
	}
	for (size_t i = 0; i < WS_ARRAY_SIZE(bad); i++) {
		a.family = 99;
		if (dns_reverse_name(bad[i].name, &a))
			fail_msg("%s read as an address", bad[i].name);
		assert_int_equal(a.family, 99); /* untouched */
	}
}

/* ---- the cache ---------------------------------------------------- */

static struct names *learn_vec(struct names *n, const char *name,
			       ws_time now, enum dns_reason want)
{
	const struct vec *v = find_vec(name);
	size_t len;
	uint8_t *b = unhex(v->hex, &len);
	if (!n) {
		char err[WS_ERRBUF_SIZE];
		n = names_new(0, err);
		assert_non_null(n);
	}
	assert_int_equal(names_learn_message(n, b, len - v->cut, len,
					     v->flags, now),
			 want);
	free(b);
	return n;
}

static const struct names_entry *lookup(const struct names *n,
					const char *addr)
{
	struct addr a = A(addr);
	return names_lookup(n, &a, T0, 0);
}

static void check_entry(const struct names *n, const char *addr,
			const char *name, const char *canonical,
			enum names_source src, uint32_t ttl)
{
	const struct names_entry *e = lookup(n, addr);
	if (!e) {
		fail_msg("%s not named", addr);
		return;
	}
	assert_string_equal(e->name, name);
	assert_string_equal(e->canonical, canonical);
	assert_int_equal(e->source, src);
	assert_int_equal(e->ttl, ttl);
	assert_int_equal(e->expires, e->last_ts + WS_SEC(ttl));
}

static void test_learn_good_messages(void **state)
{
	(void)state;
	struct names *n = learn_vec(NULL, "a_simple", T0, DNS_R_OK);
	check_entry(n, "93.184.216.34", "www.example.com", "", NAMES_SRC_A,
		    300);
	assert_int_equal(lookup(n, "93.184.216.34")->first_ts, T0);
	learn_vec(n, "aaaa_simple", T0, DNS_R_OK);
	check_entry(n, "2001:db8::1", "ipv6.example.org", "", NAMES_SRC_AAAA,
		    3600);
	/* CNAME chain: both addresses named by the name asked. */
	learn_vec(n, "cname_chain", T0, DNS_R_OK);
	check_entry(n, "198.51.100.7", "www.shop.example",
		    "edge7.cdn.example.net", NAMES_SRC_A, 20);
	check_entry(n, "198.51.100.8", "www.shop.example",
		    "edge7.cdn.example.net", NAMES_SRC_A, 20);
	/* The address record before the CNAME that leads to it. */
	learn_vec(n, "cname_reversed", T0, DNS_R_OK);
	check_entry(n, "2001:db8::77", "img.example.com",
		    "edge.cdn.example.net", NAMES_SRC_AAAA, 45);
	/* A CNAME loop ends; the name asked is on it. */
	learn_vec(n, "cname_loop", T0, DNS_R_OK);
	check_entry(n, "192.0.2.77", "loop.example", "c.example", NAMES_SRC_A,
		    60);
	/* Three answers, three TTLs. */
	learn_vec(n, "multi_a", T0, DNS_R_OK);
	check_entry(n, "10.1.1.1", "multi.example", "", NAMES_SRC_A, 100);
	check_entry(n, "10.1.1.3", "multi.example", "", NAMES_SRC_A, 300);
	assert_int_equal(names_count(n), 9);
	names_free(n);

	n = learn_vec(NULL, "ptr_v4", T0, DNS_R_OK);
	check_entry(n, "93.184.216.34", "server.example.com", "",
		    NAMES_SRC_PTR, 86400);
	learn_vec(n, "ptr_v6", T0, DNS_R_OK);
	check_entry(n, "2001:db8::1", "v6host.example.org", "", NAMES_SRC_PTR,
		    7200);
	learn_vec(n, "ptr_rfc2317", T0, DNS_R_OK);
	check_entry(n, "192.0.2.5", "small.example.net", "", NAMES_SRC_PTR,
		    300);
	/* Escaped names are kept escaped; TTL 0 expires at once. */
	learn_vec(n, "escapes", T0, DNS_R_OK);
	check_entry(n, "203.0.113.9", "a\\032b\\001\\092.x.odd.example", "",
		    NAMES_SRC_A, 0);
	assert_int_equal(names_count(n), 4);
	names_free(n);

	/* mDNS: answer and additional sections; a service PTR names no
	 * address. */
	n = learn_vec(NULL, "mdns", T0, DNS_R_OK);
	check_entry(n, "192.168.1.20", "printer.local", "", NAMES_SRC_MDNS,
		    120);
	check_entry(n, "fe80::1234", "printer.local", "", NAMES_SRC_MDNS, 120);
	assert_int_equal(names_count(n), 2);
	assert_int_equal(names_counters(n)[NC_PTR_NOT_ADDR], 1);
	/* Unicast DNS: glue in the additional section is not learned. */
	learn_vec(n, "glue_and_opt", T0, DNS_R_OK);
	assert_null(lookup(n, "192.0.2.53"));
	assert_int_equal(names_count(n), 2);
	names_free(n);
}

/* Truncated messages teach their whole records; malformed and ignored
 * ones teach nothing. */
static void test_learn_partial_messages(void **state)
{
	(void)state;
	struct names *n = learn_vec(NULL, "tc_bit", T0, DNS_R_TRUNC_TC);
	check_entry(n, "192.0.2.10", "tc.example", "", NAMES_SRC_A, 60);
	learn_vec(n, "snaplen_second_a", T0, DNS_R_TRUNC_SNAPLEN);
	check_entry(n, "198.51.100.7", "www.shop.example",
		    "edge7.cdn.example.net", NAMES_SRC_A, 20);
	assert_null(lookup(n, "198.51.100.8"));
	assert_int_equal(names_count(n), 2);

	learn_vec(n, "a_rdlength_5", T0, DNS_R_A_LEN);
	learn_vec(n, "query", T0, DNS_R_QUERY);
	learn_vec(n, "snaplen_answer", T0, DNS_R_TRUNC_SNAPLEN);
	assert_null(lookup(n, "93.184.216.34"));
	assert_int_equal(names_count(n), 2);

	const uint64_t *d = names_dns_counters(n);
	assert_int_equal(d[DNS_R_TRUNC_TC], 1);
	assert_int_equal(d[DNS_R_TRUNC_SNAPLEN], 2);
	assert_int_equal(d[DNS_R_A_LEN], 1);
	assert_int_equal(d[DNS_R_QUERY], 1);
	assert_int_equal(d[DNS_R_OK], 0);
	names_free(n);
}

/* A one-answer response built here: type A/AAAA (rdata an address) or
 * PTR/CNAME (rdata a name), no question. */
static size_t put_name(uint8_t *b, size_t o, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");
		b[o++] = (uint8_t)l;
		memcpy(b + o, name, l);
		o += l;
		name += l;
		if (*name == '.')
			name++;
	}
	b[o++] = 0;
	return o;
}

static size_t build(uint8_t *b, uint16_t type, const char *owner,
		    uint32_t ttl, const char *rdata)
{
	memset(b, 0, 12);
	b[2] = 0x81;
	b[3] = 0x80;
	b[7] = 1;
	size_t o = put_name(b, 12, owner);
	b[o++] = (uint8_t)(type >> 8);
	b[o++] = (uint8_t)type;
	b[o++] = 0;
	b[o++] = 1;
	for (int i = 3; i >= 0; i--)
		b[o++] = (uint8_t)(ttl >> (8 * i));
	size_t rd = o;
	o += 2;
	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		struct addr a = A(rdata);
		size_t k = a.family == ADDR_V4 ? 4 : 16;
		memcpy(b + o, a.bytes, k);
		o += k;
	} else {
		o = put_name(b, o, rdata);
	}
	b[rd] = (uint8_t)((o - rd - 2) >> 8);
	b[rd + 1] = (uint8_t)(o - rd - 2);
	return o;
}

static void learn_one(struct names *n, uint16_t type, const char *owner,
		      uint32_t ttl, const char *rdata, ws_time now)
{
	uint8_t b[1024];
	size_t len = build(b, type, owner, ttl, rdata);
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, b, len);
	assert_int_equal(names_learn_message(n, copy, len, len, 0, now),
			 DNS_R_OK);
	free(copy);
}

static void test_cache_cap_and_lru(void **state)
{
	char err[WS_ERRBUF_SIZE];
	(void)state;
	struct names *n = names_new(3, err);
	assert_non_null(n);
	assert_int_equal(names_capacity(n), 3);
	learn_one(n, DNS_TYPE_A, "one.example", 60, "192.0.2.1", T0);
	learn_one(n, DNS_TYPE_A, "two.example", 60, "192.0.2.2", T0 + 1);
	learn_one(n, DNS_TYPE_A, "three.example", 60, "192.0.2.3", T0 + 2);
	assert_int_equal(names_count(n), 3);
	/* A fourth address evicts the least recently learned. */
	learn_one(n, DNS_TYPE_A, "four.example", 60, "192.0.2.4", T0 + 3);
	assert_int_equal(names_count(n), 3);
	assert_null(lookup(n, "192.0.2.1"));
	assert_int_equal(names_counters(n)[NC_EVICTED], 1);
	/* Seeing two's name again makes three the oldest. */
	learn_one(n, DNS_TYPE_A, "two.example", 60, "192.0.2.2", T0 + 4);
	learn_one(n, DNS_TYPE_A, "five.example", 60, "192.0.2.5", T0 + 5);
	assert_null(lookup(n, "192.0.2.3"));
	assert_non_null(lookup(n, "192.0.2.2"));
	assert_int_equal(names_counters(n)[NC_EVICTED], 2);
	assert_int_equal(names_counters(n)[NC_LEARNED], 5);
	assert_int_equal(names_counters(n)[NC_REFRESHED], 1);
	/* Iteration: least recently learned first. */
	static const char *const order[] = {"four.example", "two.example",
					    "five.example"};
	size_t i = 0;
	for (const struct names_entry *e = names_first(n); e;
	     e = names_next(e), i++) {
		assert_true(i < 3);
		assert_string_equal(e->name, i < 3 ? order[i] : "");
	}
	assert_int_equal(i, 3);
	names_free(n);

	/* The default cap, and a big one grown in slabs. */
	n = names_new(0, err);
	assert_int_equal(names_capacity(n), NAMES_DEFAULT_MAX);
	names_free(n);
	n = names_new(5000, err);
	char name[64], ip[32];
	for (int k = 0; k < 6000; k++) {
		snprintf(name, sizeof(name), "host%d.example", k);
		snprintf(ip, sizeof(ip), "10.0.%d.%d", k / 256, k % 256);
		learn_one(n, DNS_TYPE_A, name, 60, ip, T0 + k);
	}
	assert_int_equal(names_count(n), 5000);
	assert_int_equal(names_counters(n)[NC_EVICTED], 1000);
	assert_null(lookup(n, "10.0.3.231"));		 /* 999 */
	assert_string_equal(lookup(n, "10.0.3.232")->name, "host1000.example");
	names_free(n);
}

/* The same name refreshes; a new forward name replaces; a PTR name does
 * not replace a live forward name, but does once its TTL ran out. */
static void test_cache_update_rules(void **state)
{
	char err[WS_ERRBUF_SIZE];
	(void)state;
	struct names *n = names_new(16, err);
	const uint64_t *c = names_counters(n);
	learn_one(n, DNS_TYPE_A, "www.example", 60, "192.0.2.1", T0);
	learn_one(n, DNS_TYPE_A, "WWW.example", 300, "192.0.2.1",
		  T0 + WS_SEC(10));
	const struct names_entry *e = lookup(n, "192.0.2.1");
	assert_string_equal(e->name, "www.example");
	assert_int_equal(e->first_ts, T0);
	assert_int_equal(e->last_ts, T0 + WS_SEC(10));
	assert_int_equal(e->ttl, 300);
	assert_int_equal(e->expires, T0 + WS_SEC(310));
	assert_int_equal(c[NC_REFRESHED], 1);

	/* PTR while the A name is live: kept. */
	learn_one(n, DNS_TYPE_PTR, "1.2.0.192.in-addr.arpa", 3600,
		  "host1.provider.example", T0 + WS_SEC(20));
	e = lookup(n, "192.0.2.1");
	assert_string_equal(e->name, "www.example");
	assert_int_equal(e->source, NAMES_SRC_A);
	assert_int_equal(c[NC_KEPT], 1);

	/* Another forward name replaces it. */
	learn_one(n, DNS_TYPE_A, "api.example", 30, "192.0.2.1",
		  T0 + WS_SEC(30));
	e = lookup(n, "192.0.2.1");
	assert_string_equal(e->name, "api.example");
	assert_int_equal(e->first_ts, T0 + WS_SEC(30));
	assert_int_equal(c[NC_REPLACED], 1);

	/* After its TTL, a PTR name may take over ... */
	learn_one(n, DNS_TYPE_PTR, "1.2.0.192.in-addr.arpa", 3600,
		  "host1.provider.example", T0 + WS_SEC(60));
	e = lookup(n, "192.0.2.1");
	assert_string_equal(e->name, "host1.provider.example");
	assert_int_equal(e->source, NAMES_SRC_PTR);
	assert_int_equal(c[NC_REPLACED], 2);
	/* ... and a forward name takes it back at once. */
	learn_one(n, DNS_TYPE_AAAA, "v6.example", 30, "2001:db8::9",
		  T0 + WS_SEC(61));
	learn_one(n, DNS_TYPE_A, "api.example", 30, "192.0.2.1",
		  T0 + WS_SEC(62));
	e = lookup(n, "192.0.2.1");
	assert_string_equal(e->name, "api.example");
	assert_int_equal(e->source, NAMES_SRC_A);
	assert_int_equal(c[NC_REPLACED], 3);
	assert_int_equal(names_count(n), 2);
	names_free(n);
}

/* A name outlives its TTL unless the caller asks for fresh ones. */
static void test_cache_ttl_lookup(void **state)
{
	char err[WS_ERRBUF_SIZE];
	(void)state;
	struct names *n = names_new(4, err);
	struct addr a = A("192.0.2.1"), other = A("192.0.2.2");
	learn_one(n, DNS_TYPE_A, "www.example", 60, "192.0.2.1", T0);
	assert_non_null(names_lookup(n, &a, T0 + WS_SEC(59), NAMES_FRESH_ONLY));
	assert_null(names_lookup(n, &a, T0 + WS_SEC(60), NAMES_FRESH_ONLY));
	const struct names_entry *e = names_lookup(n, &a, T0 + WS_SEC(86400), 0);
	assert_non_null(e);
	assert_string_equal(e->name, "www.example");
	assert_null(names_lookup(n, &other, T0, 0));
	/* Same bytes, other family: another address. */
	struct addr v6 = a;
	v6.family = ADDR_V6;
	assert_null(names_lookup(n, &v6, T0, 0));
	names_free(n);
}

static void test_cache_too_long(void **state)
{
	char err[WS_ERRBUF_SIZE];
	uint8_t b[600];
	(void)state;
	struct names *n = names_new(4, err);
	/* two labels of 40 control bytes: 320 characters escaped */
	char owner[100];
	memset(owner, 0x01, 40);
	owner[40] = '.';
	memset(owner + 41, 0x02, 40);
	owner[81] = '\0';
	size_t len = build(b, DNS_TYPE_A, owner, 60, "192.0.2.1");
	assert_int_equal(names_learn_message(n, b, len, len, 0, T0), DNS_R_OK);
	assert_int_equal(names_count(n), 0);
	assert_int_equal(names_counters(n)[NC_TOO_LONG], 1);
	/* 253 plain characters fit. */
	char plain[260];
	memset(plain, 'a', 253);
	for (int i = 63; i < 253; i += 64)
		plain[i] = '.';
	plain[253] = '\0';
	learn_one(n, DNS_TYPE_A, plain, 60, "192.0.2.2", T0);
	assert_string_equal(lookup(n, "192.0.2.2")->name, plain);
	names_free(n);
}

/* More usable records than NAMES_MAX_ANSWERS: the rest is counted. */
static void test_cache_answer_limit(void **state)
{
	char err[WS_ERRBUF_SIZE];
	uint8_t b[12 + 14 + 70 * 16];
	(void)state;
	struct names *n = names_new(100, err);
	memset(b, 0, 12);
	b[2] = 0x81;
	b[3] = 0x80;
	b[7] = 70;
	size_t o = put_name(b, 12, "many.example");
	for (int i = 0; i < 70; i++) {
		if (i) {
			b[o++] = 0xc0;
			b[o++] = 12;
		}
		static const uint8_t fixed[] = {0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
						198, 18};
		memcpy(b + o, fixed, sizeof(fixed));
		o += sizeof(fixed);
		b[o++] = (uint8_t)(i / 256);
		b[o++] = (uint8_t)i;
	}
	assert_true(o <= sizeof(b));
	assert_int_equal(names_learn_message(n, b, o, o, 0, T0), DNS_R_OK);
	assert_int_equal(names_count(n), NAMES_MAX_ANSWERS);
	assert_int_equal(names_counters(n)[NC_OVER_SCRATCH],
			 70 - NAMES_MAX_ANSWERS);
	assert_string_equal(lookup(n, "198.18.0.63")->name, "many.example");
	assert_null(lookup(n, "198.18.0.64"));
	names_free(n);
}

static void test_short_names(void **state)
{
	char buf[16];
	(void)state;
	assert_string_equal(names_short("www.example.com", buf, sizeof(buf)),
			    "www");
	assert_string_equal(names_short("localhost", buf, sizeof(buf)),
			    "localhost");
	assert_string_equal(names_short("a\\046b.example", buf, sizeof(buf)),
			    "a\\046b");
	assert_string_equal(names_short(".", buf, sizeof(buf)), ".");
	assert_string_equal(names_short("", buf, sizeof(buf)), "");
	assert_string_equal(names_short("averyveryverylonghost.example", buf,
					sizeof(buf)),
			    "averyveryverylo");
	assert_string_equal(names_short("x.y", buf, 1), "");
}

/* The engine hook: decoded packets on ports 53 and 5353. */
static void test_learn_packet(void **state)
{
	char err[WS_ERRBUF_SIZE];
	struct decoded d;
	size_t len;
	(void)state;
	struct names *n = names_new(16, err);
	const uint64_t *dc = names_dns_counters(n);

	uint8_t *b = unhex(find_vec("a_simple")->hex, &len);
	memset(&d, 0, sizeof(d));
	d.proto = IPPROTO_UDP;
	d.sport = 53;
	d.dport = 40000;
	d.payload = b;
	d.payload_cap = d.payload_len = (uint32_t)len;
	names_learn_packet(n, &d, T0);
	assert_string_equal(lookup(n, "93.184.216.34")->name,
			    "www.example.com");
	assert_int_equal(dc[DNS_R_OK], 1);
	/* Not DNS: other ports, other protocols, empty payloads. */
	d.sport = 54;
	names_learn_packet(n, &d, T0);
	d.sport = 53;
	d.proto = IPPROTO_ICMP;
	names_learn_packet(n, &d, T0);
	d.proto = IPPROTO_UDP;
	d.payload_len = d.payload_cap = 0;
	names_learn_packet(n, &d, T0);
	assert_int_equal(dc[DNS_R_OK], 1);
	/* Cut by snaplen: the answer is lost, the verdict counted. */
	d.payload_len = (uint32_t)len;
	d.payload_cap = (uint32_t)len - 1;
	names_learn_packet(n, &d, T0);
	assert_int_equal(dc[DNS_R_TRUNC_SNAPLEN], 1);
	free(b);

	/* mDNS on 5353, either port. */
	b = unhex(find_vec("mdns")->hex, &len);
	d.sport = d.dport = 5353;
	d.payload = b;
	d.payload_cap = d.payload_len = (uint32_t)len;
	names_learn_packet(n, &d, T0);
	assert_int_equal(lookup(n, "192.168.1.20")->source, NAMES_SRC_MDNS);
	free(b);

	/* TCP: two messages in one segment, then a third cut short. */
	size_t l1, l2;
	uint8_t *m1 = unhex(find_vec("ptr_v6")->hex, &l1);
	uint8_t *m2 = unhex(find_vec("multi_a")->hex, &l2);
	size_t seg = 2 + l1 + 2 + l2 + 2 + 10;
	b = malloc(seg);
	assert_non_null(b);
	b[0] = (uint8_t)(l1 >> 8);
	b[1] = (uint8_t)l1;
	memcpy(b + 2, m1, l1);
	b[2 + l1] = (uint8_t)(l2 >> 8);
	b[3 + l1] = (uint8_t)l2;
	memcpy(b + 4 + l1, m2, l2);
	b[4 + l1 + l2] = 0;
	b[5 + l1 + l2] = (uint8_t)l2;
	memcpy(b + 6 + l1 + l2, m2, 10);
	memset(&d, 0, sizeof(d));
	d.proto = IPPROTO_TCP;
	d.sport = 53;
	d.payload = b;
	d.payload_cap = d.payload_len = (uint32_t)seg;
	names_learn_packet(n, &d, T0);
	assert_string_equal(lookup(n, "2001:db8::1")->name,
			    "v6host.example.org");
	assert_string_equal(lookup(n, "10.1.1.2")->name, "multi.example");
	assert_int_equal(dc[DNS_R_OK], 4);
	assert_int_equal(dc[DNS_R_TRUNC_SEGMENT], 1);
	/* A segment without captured payload. */
	d.payload = NULL;
	d.payload_cap = 0;
	names_learn_packet(n, &d, T0);
	assert_int_equal(dc[DNS_R_TRUNC_SNAPLEN], 2);
	free(b);
	free(m1);
	free(m2);
	names_free(n);
}

/* xorshift64*: the same sequence on every run. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * UINT64_C(0x2545f4914f6cdd1d)) >> 32);
}

static void count_cb(void *ctx, const struct dns_message *m,
		     const struct dns_answer *a)
{
	size_t *k = ctx;
	check_printable(a->name);
	if (a->target[0])
		check_printable(a->target);
	if (m->has_qname)
		check_printable(m->qname);
	if (a->addr.family == ADDR_V4)
		for (int i = 4; i < 16; i++)
			assert_int_equal(a->addr.bytes[i], 0);
	(*k)++;
}

/* Random messages and mutated table rows, cut at random, with random
 * flags: each a heap block of exactly its captured size. */
static void test_random_messages(void **state)
{
	static const uint8_t special[] = {0x00, 0x01, 0x3f, 0x40, 0x80,
					  0xbf, 0xc0, 0xc1, 0xff, 0x0c};
	char err[WS_ERRBUF_SIZE];
	uint64_t seen[DNS_R_MAX] = {0};
	uint8_t tmp[700];
	size_t records = 0;
	(void)state;
	struct names *n = names_new(64, err);
	assert_non_null(n);
	for (uint32_t iter = 0; iter < 100000; iter++) {
		size_t len;
		if (rnd() % 4 == 0) {
			/* a plausible response header over random bytes */
			len = rnd() % 600;
			for (size_t i = 0; i < len; i++)
				tmp[i] = rnd() % 3 ? (uint8_t)rnd()
						   : special[rnd() % 10];
			if (len > 12) {
				tmp[2] = 0x81;
				tmp[3] = 0x80;
				for (int i = 4; i < 12; i += 2) {
					tmp[i] = 0;
					tmp[i + 1] = (uint8_t)(rnd() % 5);
				}
			}
		} else {
			const struct vec *v = &vecs[rnd() % WS_ARRAY_SIZE(vecs)];
			uint8_t *b = unhex(v->hex, &len);
			memcpy(tmp, b, len);
			free(b);
			for (uint32_t k = rnd() % 4; k > 0; k--) {
				if (!len)
					break;
				tmp[rnd() % len] = rnd() % 2
							   ? (uint8_t)rnd()
							   : special[rnd() % 10];
			}
			if (rnd() % 4 == 0 && len)
				len = rnd() % len;
		}
		size_t cap = rnd() % 4 == 0 && len ? rnd() % len : len;
		unsigned flags = rnd() % 3 == 0 ? rnd() % 4 : 0;
		uint8_t *buf = malloc(cap ? cap : 1);
		assert_non_null(buf);
		memcpy(buf, tmp, cap);
		struct dns_message m;
		enum dns_reason r = dns_parse(cap ? buf : NULL, cap, len, flags,
					      &m, count_cb, &records);
		assert_true(r < DNS_R_MAX);
		assert_int_equal(names_learn_message(n, buf, cap, len, flags,
						     T0 + iter),
				 r);
		seen[r]++;
		free(buf);
	}
	/* The mutations reach every verdict, and many records came out. */
	for (int r = 0; r < DNS_R_MAX; r++)
		if (seen[r] == 0)
			fail_msg("no random message gave %s", dns_reason_names[r]);
	assert_true(records > 10000);
	size_t k = 0;
	for (const struct names_entry *e = names_first(n); e; e = names_next(e)) {
		check_printable(e->name);
		k++;
	}
	assert_int_equal(k, names_count(n));
	assert_true(k <= 64);
	names_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_every_reason_reached),
		cmocka_unit_test(test_reason_names_and_classes),
		cmocka_unit_test(test_answer_fields),
		cmocka_unit_test(test_longest_presentation),
		cmocka_unit_test(test_prefixes_are_truncated),
		cmocka_unit_test(test_reverse_names),
		cmocka_unit_test(test_learn_good_messages),
		cmocka_unit_test(test_learn_partial_messages),
		cmocka_unit_test(test_cache_cap_and_lru),
		cmocka_unit_test(test_cache_update_rules),
		cmocka_unit_test(test_cache_ttl_lookup),
		cmocka_unit_test(test_cache_too_long),
		cmocka_unit_test(test_cache_answer_limit),
		cmocka_unit_test(test_short_names),
		cmocka_unit_test(test_learn_packet),
		cmocka_unit_test(test_random_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

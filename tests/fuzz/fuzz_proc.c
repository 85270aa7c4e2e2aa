/* fuzz_proc.c - libFuzzer target: the /proc parsers and the ctnetlink
 * message walker of src/kernel, through the FILE * and buffer entry
 * points the path readers use.
 *
 * Input: byte 0 picks the parser (below), byte 1 the cap on records
 * (255: the default caps; else small, to reach the over-cap paths); the
 * rest is the file (or datagram).  After each parse the containers'
 * invariants are checked and a failure aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"
#include "wirestat/tcp.h"

enum {
	P_TCP,
	P_TCP6,
	P_UDP,
	P_UDP6,
	P_ROUTE,
	P_IPV6_ROUTE,
	P_DEV,
	P_SNMP,
	P_SNMP6,
	P_LINKS, /* each line a readlink text; the whole a comm file */
	P_CONNTRACK,
	P_MAX
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void sockets(FILE *f, enum kernel_sock_file which, size_t cap)
{
	struct kernel_sockets s;
	char err[WS_ERRBUF_SIZE];
	kernel_sockets_init(&s, cap);
	kernel_parse_sockets(f, which, &s, err);
	check(s.n <= s.max && s.counters[KR_RECORDS] == s.n);
	for (size_t i = 0; i < s.n; i++) {
		const struct kernel_socket *k = &s.v[i];
		int fam = which == KSF_TCP6 || which == KSF_UDP6 ? ADDR_V6
								  : ADDR_V4;
		check(k->state < TCP_STATE_MAX && k->local.family == fam &&
		      k->remote.family == fam && k->file == which);
		check(strlen(kernel_socket_proto(k)) >= 3);
	}
	kernel_sockets_free(&s);
}

static void routes(FILE *f, int v6, size_t cap)
{
	struct kernel_routes r;
	char err[WS_ERRBUF_SIZE];
	kernel_routes_init(&r, cap);
	if (v6)
		kernel_parse_ipv6_route(f, &r, err);
	else
		kernel_parse_route(f, &r, err);
	check(r.n <= r.max && r.counters[KR_RECORDS] == r.n);
	for (size_t i = 0; i < r.n; i++)
		check(r.v[i].dst_len <= (v6 ? 128 : 32) &&
		      r.v[i].src_len <= 128 && r.v[i].iface[0] != '\0' &&
		      strlen(r.v[i].iface) < KERNEL_IFNAMSIZ);
	kernel_routes_free(&r);
}

static void dev(FILE *f, size_t cap)
{
	struct kernel_ifaces d;
	char err[WS_ERRBUF_SIZE];
	uint64_t delta[KDEV_MAX];
	kernel_ifaces_init(&d, cap);
	kernel_parse_dev(f, &d, err);
	check(d.n <= d.max && d.counters[KR_RECORDS] == d.n);
	for (size_t i = 0; i < d.n; i++) {
		check(kernel_iface_find(&d, d.v[i].name) == &d.v[i]);
		kernel_iface_delta(&d.v[i], &d.v[0], delta);
	}
	kernel_ifaces_free(&d);
}

static void snmp(FILE *f, int six, size_t cap)
{
	struct kernel_snmp s, empty, delta;
	char err[WS_ERRBUF_SIZE];
	uint64_t v;
	kernel_snmp_init(&s, cap);
	if (six)
		kernel_parse_snmp6(f, &s, err);
	else
		kernel_parse_snmp(f, &s, err);
	check(s.n <= s.max && s.counters[KR_RECORDS] == s.n);
	for (size_t i = 0; i < s.n; i++) {
		check(kernel_snmp_get(&s, s.v[i].section, s.v[i].name, &v) &&
		      v == s.v[i].value);
		if (i > 0) {
			int c = strcmp(s.v[i - 1].section, s.v[i].section);
			check(c < 0 ||
			      (c == 0 &&
			       strcmp(s.v[i - 1].name, s.v[i].name) < 0));
		}
	}
	kernel_snmp_init(&empty, 1);
	kernel_snmp_init(&delta, cap);
	kernel_snmp_delta(&s, &s, &delta, err);
	check(delta.n == s.n || delta.n == delta.max);
	for (size_t i = 0; i < delta.n; i++)
		check(delta.v[i].value == 0);
	kernel_snmp_delta(&empty, &s, &delta, err);
	check(delta.n == 0);
	kernel_snmp_delta(&s, &empty, &delta, err);
	check(delta.n == 0 && delta.counters[KR_UNPAIRED] >= s.n);
	kernel_snmp_free(&delta);
	kernel_snmp_free(&empty);
	kernel_snmp_free(&s);
}

static void links(const uint8_t *p, size_t len)
{
	char comm[KERNEL_COMM_LEN];
	uint64_t inode;
	size_t start = 0;
	if (kernel_parse_comm((const char *)p, len, comm))
		check(strlen(comm) < KERNEL_COMM_LEN);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '\n')
			continue;
		kernel_parse_socket_link((const char *)p + start, i - start,
					 &inode);
		start = i + 1;
	}
}

static void ct_event(enum kernel_ct_event type,
		     const struct kernel_ct_entry *e, void *arg)
{
	size_t *n = arg;
	check(type < KCT_EVENT_MAX);
	check(e->orig.src.family == ADDR_V4 || e->orig.src.family == ADDR_V6);
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	int which = data[0] % P_MAX;
	size_t cap = data[1] == 255 ? KERNEL_MAX_SOCKETS : (size_t)data[1] / 4;
	const uint8_t *body = data + 2;
	size_t len = size - 2;

	if (which == P_LINKS) {
		links(body, len);
		return 0;
	}
	if (which == P_CONNTRACK) {
		uint64_t counters[KR_MAX] = {0};
		size_t n = 0;
		check(kernel_ct_parse_messages(body, len, ct_event, &n,
					       counters) == n);
		return 0;
	}
	FILE *f = fmemopen((void *)(uintptr_t)body, len, "r");
	if (!f)
		return 0;
	switch (which) {
	case P_TCP:
	case P_TCP6:
	case P_UDP:
	case P_UDP6:
		sockets(f, (enum kernel_sock_file)(which - P_TCP), cap);
		break;
	case P_ROUTE:
	case P_IPV6_ROUTE:
		routes(f, which == P_IPV6_ROUTE, cap);
		break;
	case P_DEV:
		dev(f, cap);
		break;
	default:
		snmp(f, which == P_SNMP6, cap);
		break;
	}
	fclose(f);
	return 0;
}

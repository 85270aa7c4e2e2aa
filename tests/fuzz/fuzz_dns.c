/* fuzz_dns.c - libFuzzer target: the DNS parser and the name cache.
 *
 * Input: byte 0 holds the flags (bit 0 DNS_F_TCP, bit 1 DNS_F_MDNS) and,
 * in its top 6 bits, how many bytes at the end the "capture" lost; the
 * rest is one UDP or TCP payload.  It is parsed on its own (every name
 * handed out must be printable), then fed to a small cache twice through
 * the engine's hook, a minute apart, so entries are learned, refreshed,
 * replaced and evicted; then every entry is looked up and shortened.
 * tests/fuzz/dns_seeds.py writes the seeds in this format. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
	size_t n = strlen(s);
	if (n >= DNS_NAME_STRLEN)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			abort(); /* names must stay printable */
}

static void check_answer(void *ctx, const struct dns_message *m,
			 const struct dns_answer *a)
{
	size_t *count = ctx;
	check_name(a->name);
	check_name(a->target);
	if (m->has_qname)
		check_name(m->qname);
	if (a->type != DNS_TYPE_A && a->type != DNS_TYPE_AAAA &&
	    a->type != DNS_TYPE_CNAME && a->type != DNS_TYPE_PTR)
		abort();
	if ((a->type == DNS_TYPE_A && a->addr.family != ADDR_V4) ||
	    (a->type == DNS_TYPE_AAAA && a->addr.family != ADDR_V6))
		abort();
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WS_ERRBUF_SIZE];
	struct dns_message m;
	size_t count = 0;
	if (size < 1)
		return 0;
	unsigned flags = data[0] & (DNS_F_TCP | DNS_F_MDNS);
	size_t cut = data[0] >> 2;
	const uint8_t *msg = data + 1;
	size_t wire = size - 1;
	size_t cap = cut < wire ? wire - cut : 0;

	enum dns_reason r = dns_parse(cap ? msg : NULL, cap, wire, flags, &m,
				      check_answer, &count);
	if (r >= DNS_R_MAX)
		abort();
	if (dns_reason_class[r] == DNS_CLASS_IGNORED && count)
		abort(); /* nothing is handed out from an ignored message */

	struct names *n = names_new(8, err);
	if (!n)
		return 0;
	struct decoded d;
	memset(&d, 0, sizeof(d));
	d.proto = (flags & DNS_F_TCP) ? IPPROTO_TCP : IPPROTO_UDP;
	d.sport = (flags & DNS_F_MDNS) && !(flags & DNS_F_TCP) ? 5353 : 53;
	d.dport = 49152;
	d.payload = cap ? msg : NULL;
	d.payload_cap = (uint32_t)cap;
	d.payload_len = (uint32_t)wire;
	ws_time t = WS_SEC(1700000000);
	names_learn_packet(n, &d, t);
	names_learn_packet(n, &d, t + WS_SEC(60));

	size_t k = 0;
	char shortname[NAMES_NAME_MAX];
	for (const struct names_entry *e = names_first(n); e;
	     e = names_next(e), k++) {
		check_name(e->name);
		check_name(e->canonical);
		if (names_lookup(n, &e->addr, t, 0) != e)
			abort();
		(void)names_lookup(n, &e->addr, t + WS_SEC(61),
				   NAMES_FRESH_ONLY);
		names_short(e->name, shortname, sizeof(shortname));
		if (e->source >= NAMES_SRC_MAX || e->expires < e->last_ts)
			abort();
	}
	if (k != names_count(n) || k > names_capacity(n))
		abort();
	names_free(n);
	return 0;
}

/* routes.c - /proc/net/route (IPv4: a header names the columns) and
 * /proc/net/ipv6_route (no header: ten fixed columns).  Formats:
 * net/ipv4/fib_trie.c fib_route_seq_show(), net/ipv6/route.c
 * ipv6_route_native_seq_show(). */
#include "kparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/kernel.h"

enum route_col {
	RC_IFACE,
	RC_DEST,
	RC_GATEWAY,
	RC_FLAGS,
	RC_REFCNT,
	RC_USE,
	RC_METRIC,
	RC_MASK,
	RC_MTU,
	RC_WINDOW,
	RC_IRTT,
	RC_MAX
};

static const struct {
	const char *name;
	bool required;
} route_cols[RC_MAX] = {
	[RC_IFACE] = {"Iface", true},	[RC_DEST] = {"Destination", true},
	[RC_GATEWAY] = {"Gateway", true}, [RC_FLAGS] = {"Flags", true},
	[RC_REFCNT] = {"RefCnt", false}, [RC_USE] = {"Use", false},
	[RC_METRIC] = {"Metric", false}, [RC_MASK] = {"Mask", true},
	[RC_MTU] = {"MTU", false},	[RC_WINDOW] = {"Window", false},
	[RC_IRTT] = {"IRTT", false},
};

struct route_layout {
	int tok[RC_MAX];
	size_t n; /* fields per line */
};

static int route_header(char *line, struct route_layout *lay, char *errbuf)
{
	char *tok[KTOK_MAX];
	size_t n = ktok_split(line, tok, KTOK_MAX);
	lay->n = 0;
	for (size_t c = 0; c < RC_MAX; c++)
		lay->tok[c] = -1;
	if (n > KTOK_MAX)
		return ws_error(errbuf, "header has more than %d columns",
				KTOK_MAX);
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < RC_MAX; c++) {
			if (strcmp(tok[i], route_cols[c].name) != 0)
				continue;
			if (lay->tok[c] >= 0)
				return ws_error(errbuf,
						"header names '%s' twice",
						tok[i]);
			lay->tok[c] = (int)i;
		}
	}
	for (size_t c = 0; c < RC_MAX; c++)
		if (route_cols[c].required && lay->tok[c] < 0)
			return ws_error(errbuf, "header has no '%s' column",
					route_cols[c].name);
	lay->n = n;
	return 0;
}

/* The length of a prefix mask; false if the ones are not contiguous. */
static bool mask_len(const struct addr *m, size_t bytes, uint8_t *len)
{
	size_t bits = 0;
	while (bits < bytes * 8 && (m->bytes[bits / 8] & (0x80 >> bits % 8)))
		bits++;
	for (size_t b = bits; b < bytes * 8; b++)
		if (m->bytes[b / 8] & (0x80 >> b % 8))
			return false;
	*len = (uint8_t)bits;
	return true;
}

/* An optional decimal column (%d or %u). */
static bool opt_int(char **tok, int col, uint32_t *out)
{
	*out = 0;
	return col < 0 || kparse_int32(tok[col], out);
}

static enum kernel_reason route_line(char *line,
				     const struct route_layout *lay,
				     struct kernel_route *rt)
{
	char *tok[KTOK_MAX];
	size_t n = ktok_split(line, tok, KTOK_MAX);
	struct addr mask;
	uint64_t v;
	if (n != lay->n)
		return KR_FIELD_COUNT;
	memset(rt, 0, sizeof(*rt));
	const char *ifn = tok[lay->tok[RC_IFACE]];
	if (!kname_iface(ifn, strlen(ifn), rt->iface))
		return KR_BAD_NAME;
	if (!kparse_addr_words(tok[lay->tok[RC_DEST]], 8, &rt->dst) ||
	    !kparse_addr_words(tok[lay->tok[RC_GATEWAY]], 8, &rt->gateway) ||
	    !kparse_addr_words(tok[lay->tok[RC_MASK]], 8, &mask) ||
	    !mask_len(&mask, 4, &rt->dst_len))
		return KR_BAD_ADDRESS;
	if (!kparse_hex(tok[lay->tok[RC_FLAGS]], 1, 8, &v))
		return KR_BAD_NUMBER;
	rt->flags = (uint32_t)v;
	if (!opt_int(tok, lay->tok[RC_REFCNT], &rt->refcnt) ||
	    !opt_int(tok, lay->tok[RC_USE], &rt->use) ||
	    !opt_int(tok, lay->tok[RC_METRIC], &rt->metric) ||
	    !opt_int(tok, lay->tok[RC_MTU], &rt->mtu) ||
	    !opt_int(tok, lay->tok[RC_WINDOW], &rt->window) ||
	    !opt_int(tok, lay->tok[RC_IRTT], &rt->irtt))
		return KR_BAD_NUMBER;
	rt->src.family = ADDR_V4;
	return KR_RECORDS;
}

/* 32 hex digits in network order (%pi6). */
static bool v6_bytes(const char *s, struct addr *a)
{
	uint64_t v;
	char two[3] = {0};
	if (strlen(s) != 32)
		return false;
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < 16; i++) {
		two[0] = s[2 * i];
		two[1] = s[2 * i + 1];
		if (!kparse_hex(two, 2, 2, &v))
			return false;
		a->bytes[i] = (uint8_t)v;
	}
	a->family = ADDR_V6;
	return true;
}

static bool v6_prefix_len(const char *s, uint8_t *len)
{
	uint64_t v;
	if (!kparse_hex(s, 2, 2, &v) || v > 128)
		return false;
	*len = (uint8_t)v;
	return true;
}

static enum kernel_reason ipv6_route_line(char *line, struct kernel_route *rt)
{
	enum { DST, DST_LEN, SRC, SRC_LEN, GW, METRIC, REFCNT, USE, FLAGS,
	       IFACE, NCOL };
	char *tok[KTOK_MAX];
	uint64_t v[4];
	size_t n = ktok_split(line, tok, KTOK_MAX);
	if (n != NCOL)
		return KR_FIELD_COUNT;
	memset(rt, 0, sizeof(*rt));
	if (!v6_bytes(tok[DST], &rt->dst) ||
	    !v6_prefix_len(tok[DST_LEN], &rt->dst_len) ||
	    !v6_bytes(tok[SRC], &rt->src) ||
	    !v6_prefix_len(tok[SRC_LEN], &rt->src_len) ||
	    !v6_bytes(tok[GW], &rt->gateway))
		return KR_BAD_ADDRESS;
	for (int i = 0; i < 4; i++)
		if (!kparse_hex(tok[METRIC + i], 8, 8, &v[i]))
			return KR_BAD_NUMBER;
	rt->metric = (uint32_t)v[0];
	rt->refcnt = (uint32_t)v[1];
	rt->use = (uint32_t)v[2];
	rt->flags = (uint32_t)v[3];
	if (!kname_iface(tok[IFACE], strlen(tok[IFACE]), rt->iface))
		return KR_BAD_NAME;
	return KR_RECORDS;
}

void kernel_routes_init(struct kernel_routes *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void kernel_routes_free(struct kernel_routes *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->alloc = 0;
}

static void add_route(struct kernel_routes *r, const struct kernel_route *rt)
{
	struct kernel_route *v = kroom(r->v, &r->alloc, r->n, r->max,
				       sizeof(*r->v), r->counters);
	if (!v)
		return;
	r->v = v;
	r->v[r->n++] = *rt;
	r->counters[KR_RECORDS]++;
}

int kernel_parse_route(FILE *f, struct kernel_routes *r, char *errbuf)
{
	char buf[KLINE_SHORT];
	struct kline l;
	struct route_layout lay;
	struct kernel_route rt;
	kline_init(&l, f, buf, sizeof(buf), r->counters);
	if (!kline_next(&l))
		return kline_missing(&l, errbuf, "no header line");
	if (route_header(l.buf, &lay, errbuf) < 0)
		return -1;
	while (kline_next(&l)) {
		enum kernel_reason why = route_line(l.buf, &lay, &rt);
		if (why != KR_RECORDS)
			r->counters[why]++;
		else
			add_route(r, &rt);
	}
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

int kernel_parse_ipv6_route(FILE *f, struct kernel_routes *r, char *errbuf)
{
	char buf[KLINE_SHORT];
	struct kline l;
	struct kernel_route rt;
	kline_init(&l, f, buf, sizeof(buf), r->counters);
	while (kline_next(&l)) {
		enum kernel_reason why = ipv6_route_line(l.buf, &rt);
		if (why != KR_RECORDS)
			r->counters[why]++;
		else
			add_route(r, &rt);
	}
	if (kline_failed(&l))
		return ws_error(errbuf, "read error");
	return 0;
}

int kernel_read_routes(const char *root, struct kernel_routes *r,
		       char *errbuf)
{
	static const struct {
		const char *rel;
		int (*parse)(FILE *, struct kernel_routes *, char *);
	} files[] = {
		{"net/route", kernel_parse_route},
		{"net/ipv6_route", kernel_parse_ipv6_route},
	};
	char path[4096], err[WS_ERRBUF_SIZE];
	int opened = 0;
	for (size_t i = 0; i < WS_ARRAY_SIZE(files); i++) {
		FILE *f = kopen(root, files[i].rel, path, sizeof(path));
		if (!f && errno == ENOENT) {
			r->counters[KR_FILE_MISSING]++;
			continue;
		}
		if (!f)
			return ws_error(errbuf, "%s: %s", path,
					strerror(errno));
		opened++;
		int rc = files[i].parse(f, r, err);
		fclose(f);
		if (rc < 0)
			return ws_error(errbuf, "%s: %s", path, err);
	}
	if (opened == 0)
		return ws_error(errbuf, "no routing tables under %s/net",
				root ? root : KERNEL_PROC_ROOT);
	return 0;
}

/* dns.c - one DNS message, every byte hostile (RFC 1035 4.1).
 *
 * Reads go through need(), which checks "n <= remaining" against two
 * lengths: the message's own (the UDP payload or the TCP length prefix)
 * and the bytes actually there (snaplen, or a TCP segment holding only the
 * start of a message).  Running past the first is malformed; past only the
 * second is truncated.  Names are walked with compression pointers that
 * must point strictly backwards, so every walk ends (RFC 1035 4.1.4 only
 * allows pointers to a "prior occurrence").
 */
#include "wirestat/dns.h"

#include <string.h>

const char *const dns_reason_names[DNS_R_MAX] = {
#define DNS_X_NAME(e, name, cls) [e] = (name),
	DNS_REASONS(DNS_X_NAME)
#undef DNS_X_NAME
};

const uint8_t dns_reason_class[DNS_R_MAX] = {
#define DNS_X_CLASS(e, name, cls) [e] = (cls),
	DNS_REASONS(DNS_X_CLASS)
#undef DNS_X_CLASS
};

const char *const dns_class_names[DNS_CLASS_MAX] = {
	[DNS_CLASS_USED] = "used",
	[DNS_CLASS_IGNORED] = "ignored",
	[DNS_CLASS_TRUNCATED] = "truncated",
	[DNS_CLASS_MALFORMED] = "malformed",
};

enum {
	DNS_HEADER_LEN = 12,
	DNS_QUESTION_MIN = 5,  /* root name, type, class */
	DNS_RR_MIN = 11,       /* root name, type, class, ttl, rdlength */
	DNS_RR_FIXED = 10,     /* type, class, ttl, rdlength */
	DNS_NAME_WIRE_MAX = 255,
	DNS_LABEL_MAX = 63,
	DNS_CLASS_IN = 1,
	DNS_QR = 0x8000,
	DNS_TC = 0x0200,
	MDNS_CLASS_FLAG = 0x8000, /* cache-flush (RR) or unicast-response (Q) */
};

/* The message as the parser sees it. */
struct msg {
	const uint8_t *p;
	size_t len;		/* the message's own length */
	size_t cap;		/* bytes there: cap <= len */
	enum dns_reason cut;	/* what running past cap means */
	bool tc;		/* TC set: running past len is truncation */
};

/* DNS_R_MAX if n bytes at off are there; else why not.  Compares
 * "n <= remaining", never forming a pointer past the end. */
static enum dns_reason need(const struct msg *m, size_t off, size_t n,
			    enum dns_reason malformed)
{
	if (off > m->len || n > m->len - off)
		return m->tc ? DNS_R_TRUNC_TC : malformed;
	if (off > m->cap || n > m->cap - off)
		return m->cut;
	return DNS_R_MAX;
}

static uint8_t get8(const struct msg *m, size_t off)
{
	return off < m->cap ? m->p[off] : 0;
}

static uint16_t get16(const struct msg *m, size_t off)
{
	return (uint16_t)(get8(m, off) << 8 | get8(m, off + 1));
}

static uint32_t get32(const struct msg *m, size_t off)
{
	return (uint32_t)get16(m, off) << 16 | get16(m, off + 2);
}

/* Append one label byte in presentation form: lower-cased, and escaped
 * as \DDD unless it prints as itself and is not '.' or '\'. */
static size_t put_byte(char *out, size_t o, uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		b = (uint8_t)(b - 'A' + 'a');
	if (b > ' ' && b < 0x7f && b != '.' && b != '\\') {
		out[o++] = (char)b;
		return o;
	}
	out[o++] = '\\';
	out[o++] = (char)('0' + b / 100);
	out[o++] = (char)('0' + b / 10 % 10);
	out[o++] = (char)('0' + b % 10);
	return o;
}

/* Walk the name at *off (RFC 1035 4.1.4).  On success *off is past the
 * name's bytes in place (up to and including its first pointer), and out,
 * if not NULL, holds the name in presentation form (DNS_NAME_STRLEN).
 *
 * A pointer must land inside the message, after the header, and strictly
 * before the run of labels it ends: that excludes loops (a pointer back
 * into its own run) and forward references; at most DNS_MAX_POINTERS are
 * followed.  The encoded length, length bytes and root included, may not
 * exceed 255 (RFC 1035 3.1). */
static enum dns_reason read_name(const struct msg *m, size_t *off, char *out)
{
	size_t run = *off; /* where the current run of labels starts */
	size_t pos = run, end = 0, enc = 0, o = 0;
	unsigned hops = 0;
	for (;;) {
		enum dns_reason r = need(m, pos, 1, DNS_R_NAME_END);
		if (r != DNS_R_MAX)
			return r;
		uint8_t b = get8(m, pos);
		if (b == 0) {
			if (!hops)
				end = pos + 1;
			break;
		}
		if ((b & 0xc0) == 0xc0) {
			if ((r = need(m, pos, 2, DNS_R_NAME_END)) != DNS_R_MAX)
				return r;
			size_t target = (size_t)(b & 0x3f) << 8 | get8(m, pos + 1);
			if (!hops)
				end = pos + 2;
			if (target < DNS_HEADER_LEN || target >= m->len)
				return DNS_R_PTR_RANGE;
			if (target >= run)
				return DNS_R_PTR_FORWARD;
			if (++hops > DNS_MAX_POINTERS)
				return DNS_R_PTR_HOPS;
			pos = run = target;
			continue;
		}
		if (b > DNS_LABEL_MAX)
			return DNS_R_LABEL; /* 0x40-0xbf: RFC 6891 5 retired them */
		/* this label, and at least the root after it */
		enc += 1 + (size_t)b;
		if (enc + 1 > DNS_NAME_WIRE_MAX)
			return DNS_R_NAME_LONG;
		if ((r = need(m, pos, 1 + (size_t)b, DNS_R_NAME_END)) !=
		    DNS_R_MAX)
			return r;
		if (out) {
			/* 255 wire bytes print as at most 1012 characters, so
			 * this cannot overflow; the check keeps it provable. */
			if (o + 1 + 4 * (size_t)b >= DNS_NAME_STRLEN)
				return DNS_R_NAME_LONG;
			if (o)
				out[o++] = '.';
			for (size_t i = 1; i <= b; i++)
				o = put_byte(out, o, get8(m, pos + i));
		}
		pos += 1 + (size_t)b;
	}
	if (out) {
		if (o == 0)
			out[o++] = '.'; /* the root */
		out[o] = '\0';
	}
	*off = end;
	return DNS_R_MAX;
}

/* The question section: names walked, the first one kept. */
static enum dns_reason read_questions(const struct msg *m, size_t *off,
				      struct dns_message *dm)
{
	for (unsigned i = 0; i < dm->qdcount; i++) {
		size_t at = *off;
		enum dns_reason r = read_name(m, off, NULL);
		if (r != DNS_R_MAX)
			return r;
		if (i == 0) {
			(void)read_name(m, &at, dm->qname); /* walked already */
			dm->has_qname = true;
		}
		/* QTYPE, QCLASS (mDNS: top bit asks for a unicast answer) */
		if ((r = need(m, *off, 4, DNS_R_RR_END)) != DNS_R_MAX)
			return r;
		*off += 4;
	}
	return DNS_R_MAX;
}

/* RDATA of a record we use; fills a (not its owner). */
static enum dns_reason read_rdata(const struct msg *m, size_t off,
				  size_t rdlen, struct dns_answer *a)
{
	switch (a->type) {
	case DNS_TYPE_A:
		if (rdlen != 4)
			return DNS_R_A_LEN;
		a->addr.family = ADDR_V4;
		break;
	case DNS_TYPE_AAAA:
		if (rdlen != 16)
			return DNS_R_AAAA_LEN;
		a->addr.family = ADDR_V6;
		break;
	default: { /* CNAME, PTR: one name filling RDATA exactly */
		size_t at = off;
		enum dns_reason r = read_name(m, &at, a->target);
		if (r != DNS_R_MAX)
			return r;
		if (at != off + rdlen)
			return DNS_R_RDATA_NAME;
		if (a->type == DNS_TYPE_PTR)
			(void)dns_reverse_name(a->name, &a->addr);
		return DNS_R_MAX;
	}
	}
	for (size_t i = 0; i < rdlen; i++)
		a->addr.bytes[i] = get8(m, off + i);
	return DNS_R_MAX;
}

/* The answer, authority and additional sections. */
static enum dns_reason read_records(const struct msg *m, size_t off,
				    unsigned flags,
				    const struct dns_message *dm,
				    dns_answer_fn fn, void *ctx)
{
	const uint16_t counts[3] = {dm->ancount, dm->nscount, dm->arcount};
	struct dns_answer a;
	enum dns_reason r;
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned i = 0; i < counts[s]; i++) {
			size_t owner = off;
			if ((r = read_name(m, &off, NULL)) != DNS_R_MAX)
				return r;
			if ((r = need(m, off, DNS_RR_FIXED, DNS_R_RR_END)) !=
			    DNS_R_MAX)
				return r;
			uint16_t type = get16(m, off);
			uint16_t cls = get16(m, off + 2);
			uint32_t ttl = get32(m, off + 4);
			size_t rdlen = get16(m, off + 8);
			off += DNS_RR_FIXED;
			if ((r = need(m, off, rdlen, DNS_R_RDLENGTH)) !=
			    DNS_R_MAX)
				return r;
			bool flush = false;
			if (flags & DNS_F_MDNS) { /* RFC 6762 10.2 */
				flush = cls & MDNS_CLASS_FLAG;
				cls &= (uint16_t)~MDNS_CLASS_FLAG;
			}
			if (cls != DNS_CLASS_IN ||
			    (type != DNS_TYPE_A && type != DNS_TYPE_AAAA &&
			     type != DNS_TYPE_CNAME && type != DNS_TYPE_PTR)) {
				off += rdlen;
				continue;
			}
			memset(&a.addr, 0, sizeof(a.addr));
			a.type = type;
			a.section = (uint8_t)s;
			a.cache_flush = flush;
			a.ttl = ttl & 0x80000000u ? 0 : ttl; /* RFC 2181 8 */
			a.target[0] = '\0';
			(void)read_name(m, &owner, a.name); /* walked already */
			if ((r = read_rdata(m, off, rdlen, &a)) != DNS_R_MAX)
				return r;
			off += rdlen;
			if (fn)
				fn(ctx, dm, &a);
		}
	}
	return DNS_R_MAX;
}

enum dns_reason dns_parse(const uint8_t *buf, size_t cap, size_t wire,
			  unsigned flags, struct dns_message *dm,
			  dns_answer_fn fn, void *ctx)
{
	struct msg m = {.p = buf, .len = wire, .cap = cap < wire ? cap : wire,
			.cut = DNS_R_TRUNC_SNAPLEN};
	memset(dm, 0, offsetof(struct dns_message, qname));
	dm->qname[0] = '\0';
	if (!buf)
		m.cap = 0;
	if (flags & DNS_F_TCP) { /* RFC 1035 4.2.2: a 2-byte length first */
		if (m.len < 2)
			return DNS_R_TRUNC_SEGMENT;
		if (m.cap < 2)
			return DNS_R_TRUNC_SNAPLEN;
		size_t len = get16(&m, 0);
		dm->length = (uint32_t)(2 + len);
		m.p += 2;
		m.cap -= 2;
		if (len > m.len - 2)
			m.cut = DNS_R_TRUNC_SEGMENT; /* continues in later ones */
		else if (m.cap > len)
			m.cap = len;
		m.len = len;
	} else {
		dm->length = (uint32_t)wire;
	}
	enum dns_reason r = need(&m, 0, DNS_HEADER_LEN, DNS_R_SHORT);
	if (r != DNS_R_MAX)
		return r;
	dm->id = get16(&m, 0);
	dm->flags = get16(&m, 2);
	dm->qdcount = get16(&m, 4);
	dm->ancount = get16(&m, 6);
	dm->nscount = get16(&m, 8);
	dm->arcount = get16(&m, 10);
	if (!(dm->flags & DNS_QR))
		return DNS_R_QUERY;
	if ((dm->flags >> 11) & 0xf)
		return DNS_R_OPCODE; /* NOTIFY, UPDATE: other sections */
	if (dm->flags & 0xf)
		return DNS_R_RCODE;
	m.tc = dm->flags & DNS_TC;
	/* Counts that cannot fit: every question takes at least 5 bytes and
	 * every record 11, so a lie costs nothing to find. */
	size_t least = (size_t)dm->qdcount * DNS_QUESTION_MIN +
		       ((size_t)dm->ancount + dm->nscount + dm->arcount) *
			       DNS_RR_MIN;
	if (least > m.len - DNS_HEADER_LEN)
		return m.tc ? DNS_R_TRUNC_TC : DNS_R_COUNTS;
	size_t off = DNS_HEADER_LEN;
	if ((r = read_questions(&m, &off, dm)) != DNS_R_MAX)
		return r;
	if ((r = read_records(&m, off, flags, dm, fn, ctx)) != DNS_R_MAX)
		return r;
	return DNS_R_OK;
}

/* A decimal label 0-255 without leading zeros; its value, or -1. */
static int dec_label(const char *s, size_t n)
{
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 255 ? v : -1;
}

static bool has_suffix(const char *s, size_t n, const char *suffix,
		       size_t *stem)
{
	size_t k = strlen(suffix);
	if (n <= k)
		return false;
	for (size_t i = 0; i < k; i++) {
		char c = s[n - k + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != suffix[i])
			return false;
	}
	*stem = n - k;
	return true;
}

bool dns_reverse_name(const char *name, struct addr *out)
{
	struct addr a;
	size_t n = strlen(name), stem;
	memset(&a, 0, sizeof(a));
	if (has_suffix(name, n, ".in-addr.arpa", &stem)) {
		/* "d.c.b.a" spells a.b.c.d (RFC 1035 3.5) */
		size_t start = 0;
		for (int i = 3; i >= 0; i--) {
			size_t e = start;
			while (e < stem && name[e] != '.')
				e++;
			int v = dec_label(name + start, e - start);
			if (v < 0 || (i > 0) != (e < stem))
				return false;
			a.bytes[i] = (uint8_t)v;
			start = e + 1;
		}
		a.family = ADDR_V4;
	} else if (has_suffix(name, n, ".ip6.arpa", &stem)) {
		/* 32 nibbles, least significant first (RFC 3596 2.5) */
		if (stem != 63)
			return false;
		for (size_t i = 0; i < 32; i++) {
			int v = ws_hex_digit(name[2 * i]);
			if (v < 0 || (i < 31 && name[2 * i + 1] != '.'))
				return false;
			a.bytes[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
		}
		a.family = ADDR_V6;
	} else {
		return false;
	}
	*out = a;
	return true;
}

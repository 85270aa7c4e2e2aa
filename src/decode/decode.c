/* decode.c - link layer to transport header, every read bounds-checked.
 *
 * Lengths are checked twice: against what was captured (snaplen) and
 * against what the enclosing header claims (OpenBSD pf's pf_pull_hdr()).
 * A header that needs more bytes than the wire carried is malformed; one
 * that needs more than were captured is truncated.
 */
#include "wirestat/decode.h"

#include <pcap/dlt.h>
#include <string.h>

#include "cursor.h"

const char *const decode_reason_names[DR_MAX] = {
#define DECODE_X_NAME(e, name, cls) [e] = (name),
	DECODE_REASONS(DECODE_X_NAME)
#undef DECODE_X_NAME
};

const uint8_t decode_reason_class[DR_MAX] = {
#define DECODE_X_CLASS(e, name, cls) [e] = (cls),
	DECODE_REASONS(DECODE_X_CLASS)
#undef DECODE_X_CLASS
};

const char *const decode_class_names[DECODE_CLASS_MAX] = {
	[DECODE_CLASS_OK] = "decoded",
	[DECODE_CLASS_NOT_IP] = "not_ip",
	[DECODE_CLASS_FRAGMENT] = "fragment",
	[DECODE_CLASS_TRUNCATED] = "truncated",
	[DECODE_CLASS_MALFORMED] = "malformed",
};

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETHERTYPE_QINQ_OLD = 0x9100,
	IPPROTO_HOPOPTS_ = 0,
	IPPROTO_ICMP_ = 1,
	IPPROTO_TCP_ = 6,
	IPPROTO_UDP_ = 17,
	IPPROTO_ROUTING_ = 43,
	IPPROTO_FRAGMENT_ = 44,
	IPPROTO_AH_ = 51,
	IPPROTO_ICMPV6_ = 58,
	IPPROTO_NONE_ = 59,
	IPPROTO_DSTOPTS_ = 60,
	MAX_VLAN_TAGS = 4,   /* more stacked tags than this is malformed */
	MAX_IPV6_EXT = 8,    /* extension headers followed before giving up */
	LINUX_SLL_OUTGOING = 4,
	LINUX_SLL_BROADCAST = 1,
	LINUX_SLL_MULTICAST = 2,
};

bool decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static enum decode_reason need(const struct cursor *c, uint32_t n,
			       enum decode_reason trunc,
			       enum decode_reason malformed)
{
	switch (cur_need(c, n)) {
	case CUR_OK:
		return DR_MAX;
	case CUR_TRUNCATED:
		return trunc;
	default:
		return malformed;
	}
}

/* The TCP options the tracker uses: window scale (RFC 7323) and MSS.
 * Like the kernel's tcp_parse_options(), a length below 2 or past the
 * header ends the walk; the segment itself is still processed. */
static void tcp_options(const struct cursor *c, uint32_t hlen,
			struct decoded *d)
{
	uint32_t end = hlen;
	if (end > c->cap) {
		end = c->cap;
		d->anomalies |= DA_TCP_OPT_TRUNC;
	}
	uint32_t i = 20;
	while (i < end) {
		uint8_t kind = cur_u8(c, i);
		if (kind == 0) /* end of option list */
			return;
		if (kind == 1) { /* no-operation */
			i++;
			continue;
		}
		if (end - i < 2) {
			if (hlen > c->cap)
				return; /* cut by snaplen, not malformed */
			d->anomalies |= DA_TCP_OPT_BAD;
			return;
		}
		uint8_t len = cur_u8(c, i + 1);
		if (len < 2 || len > hlen - i) {
			d->anomalies |= DA_TCP_OPT_BAD;
			return;
		}
		if (len > end - i)
			return; /* cut by snaplen */
		if (kind == 2 && len == 4)
			d->mss = cur_be16(c, i + 2);
		else if (kind == 3 && len == 3) {
			uint8_t ws = cur_u8(c, i + 2);
			d->wscale = ws > 14 ? 14 : ws; /* RFC 7323 2.3 */
		}
		i += len;
	}
}

static enum decode_reason decode_tcp(struct cursor *c, struct decoded *d)
{
	bool first_frag = d->anomalies & DA_FIRST_FRAGMENT;
	enum decode_reason r = need(c, 20, DR_TRUNC_TCP,
				    first_frag ? DR_FRAGMENT : DR_BAD_L4_LEN);
	if (r != DR_MAX)
		return r; /* a tiny first fragment (RFC 1858) is a fragment */
	d->sport = cur_be16(c, 0);
	d->dport = cur_be16(c, 2);
	d->seq = cur_be32(c, 4);
	d->ack = cur_be32(c, 8);
	uint32_t hlen = (uint32_t)(cur_u8(c, 12) >> 4) * 4;
	d->tcp_flags = cur_u8(c, 13);
	d->window = cur_be16(c, 14);
	if (hlen < 20)
		return DR_BAD_TCP_DOFF;
	if (hlen > c->wire)
		return first_frag ? DR_FRAGMENT : DR_BAD_TCP_DOFF;
	tcp_options(c, hlen, d);
	d->payload_len = c->wire - hlen;
	if (c->cap > hlen) {
		d->payload = c->p + hlen;
		d->payload_cap = c->cap - hlen;
	}
	return DR_TCP;
}

static enum decode_reason decode_udp(struct cursor *c, struct decoded *d)
{
	enum decode_reason r = need(c, 8, DR_TRUNC_UDP, DR_BAD_L4_LEN);
	if (r != DR_MAX)
		return r;
	d->sport = cur_be16(c, 0);
	d->dport = cur_be16(c, 2);
	uint32_t ulen = cur_be16(c, 4);
	if (ulen < 8)
		return DR_BAD_UDP_LEN;
	if (ulen > c->wire) {
		/* A first fragment carries the start of a datagram that
		 * the UDP length covers whole. */
		if (!(d->anomalies & DA_FIRST_FRAGMENT))
			return DR_BAD_UDP_LEN;
		ulen = c->wire;
	}
	d->payload_len = ulen - 8;
	if (c->cap > 8) {
		d->payload = c->p + 8;
		d->payload_cap = c->cap - 8;
		if (d->payload_cap > d->payload_len)
			d->payload_cap = d->payload_len;
	}
	return DR_UDP;
}

/* The datagram an ICMP error quotes (RFC 792, RFC 4443 section 2.4):
 * its IP header and the first 8 bytes of its transport header, enough
 * for the ports.  Anything short or odd leaves inner_valid false. */
static void icmp_inner(struct cursor c, bool v6, struct decoded *d)
{
	uint8_t proto;
	if (!v6) {
		if (c.cap < 20 || (cur_u8(&c, 0) >> 4) != 4)
			return;
		uint32_t ihl = (uint32_t)(cur_u8(&c, 0) & 0x0f) * 4;
		if (ihl < 20 || c.cap < ihl + 4)
			return;
		if (cur_be16(&c, 6) & 0x1fff)
			return; /* a non-first fragment has no ports */
		proto = cur_u8(&c, 9);
		d->inner_src.family = d->inner_dst.family = ADDR_V4;
		cur_copy(&c, 12, d->inner_src.bytes, 4);
		cur_copy(&c, 16, d->inner_dst.bytes, 4);
		cur_skip(&c, ihl);
	} else {
		if (c.cap < 44 || (cur_u8(&c, 0) >> 4) != 6)
			return;
		proto = cur_u8(&c, 6);
		d->inner_src.family = d->inner_dst.family = ADDR_V6;
		cur_copy(&c, 8, d->inner_src.bytes, 16);
		cur_copy(&c, 24, d->inner_dst.bytes, 16);
		cur_skip(&c, 40);
	}
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
		return;
	d->inner_proto = proto;
	d->inner_sport = cur_be16(&c, 0);
	d->inner_dport = cur_be16(&c, 2);
	if (proto == IPPROTO_TCP_ && c.cap >= 8) {
		d->inner_has_seq = true;
		d->inner_seq = cur_be32(&c, 4);
	}
	d->inner_valid = true;
}

static enum decode_reason decode_icmp(struct cursor *c, struct decoded *d,
				      bool v6)
{
	enum decode_reason r = need(c, 8, DR_TRUNC_ICMP, DR_BAD_L4_LEN);
	if (r != DR_MAX)
		return r;
	d->icmp_type = cur_u8(c, 0);
	d->icmp_code = cur_u8(c, 1);
	d->icmp_id = cur_be16(c, 4);
	d->payload_len = c->wire - 8;
	bool error = v6 ? d->icmp_type < 128
			: (d->icmp_type == 3 || d->icmp_type == 4 ||
			   d->icmp_type == 5 || d->icmp_type == 11 ||
			   d->icmp_type == 12);
	if (error) {
		struct cursor inner = *c;
		cur_skip(&inner, 8);
		icmp_inner(inner, v6, d);
	}
	return v6 ? DR_ICMP6 : DR_ICMP;
}

static enum decode_reason decode_transport(struct cursor *c,
					   struct decoded *d, bool v6)
{
	switch (d->proto) {
	case IPPROTO_TCP_:
		return decode_tcp(c, d);
	case IPPROTO_UDP_:
		return decode_udp(c, d);
	case IPPROTO_ICMP_:
		return v6 ? DR_IP_OTHER : decode_icmp(c, d, false);
	case IPPROTO_ICMPV6_:
		return v6 ? decode_icmp(c, d, true) : DR_IP_OTHER;
	default:
		return DR_IP_OTHER;
	}
}

/* IPv4, RFC 791.  Total length may be smaller than the frame (Ethernet
 * padding) but never larger; IHL is at least 5 words. */
static enum decode_reason decode_ipv4(struct cursor *c, struct decoded *d)
{
	enum decode_reason r = need(c, 20, DR_TRUNC_IPV4, DR_BAD_IPV4_LEN);
	if (r != DR_MAX)
		return r;
	uint8_t vihl = cur_u8(c, 0);
	if ((vihl >> 4) != 4)
		return DR_BAD_IP_VERSION;
	/* The fixed header is there: its addresses name the hosts even when
	 * its lengths are wrong (the statistics count errors per host). */
	d->ttl = cur_u8(c, 8);
	d->proto = cur_u8(c, 9);
	d->src.family = d->dst.family = ADDR_V4;
	cur_copy(c, 12, d->src.bytes, 4);
	cur_copy(c, 16, d->dst.bytes, 4);
	uint32_t ihl = (uint32_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return DR_BAD_IPV4_IHL;
	uint32_t total = cur_be16(c, 2);
	if (total == 0 && c->wire > 65535)
		total = c->wire; /* Linux BIG TCP: length left to the frame */
	if (total < ihl || total > c->wire)
		return DR_BAD_IPV4_LEN;
	if (ihl > c->cap)
		return DR_TRUNC_IPV4;
	uint16_t frag = cur_be16(c, 6);
	d->ip_len = total;
	if (ihl > 20)
		d->anomalies |= DA_IPV4_OPTIONS;
	cur_limit(c, total);
	cur_skip(c, ihl);
	if (frag & 0x1fff)
		return DR_FRAGMENT;
	if (frag & 0x2000)
		d->anomalies |= DA_FIRST_FRAGMENT;
	return decode_transport(c, d, false);
}

/* IPv6, RFC 8200, with its extension headers (section 4) walked to a
 * depth limit.  ESP and unknown headers end the walk as "other". */
static enum decode_reason decode_ipv6(struct cursor *c, struct decoded *d)
{
	enum decode_reason r = need(c, 40, DR_TRUNC_IPV6, DR_BAD_IPV6_LEN);
	if (r != DR_MAX)
		return r;
	if ((cur_u8(c, 0) >> 4) != 6)
		return DR_BAD_IP_VERSION;
	uint32_t plen = cur_be16(c, 4);
	uint8_t nxt = cur_u8(c, 6);
	d->ttl = cur_u8(c, 7);
	d->src.family = d->dst.family = ADDR_V6;
	cur_copy(c, 8, d->src.bytes, 16);
	cur_copy(c, 24, d->dst.bytes, 16);
	cur_skip(c, 40);
	if (plen == 0 && nxt == IPPROTO_HOPOPTS_)
		plen = c->wire; /* jumbogram, RFC 2675 (Linux BIG TCP) */
	if (plen > c->wire)
		return DR_BAD_IPV6_LEN;
	cur_limit(c, plen);
	d->ip_len = 40 + plen;

	for (int depth = 0;; depth++) {
		uint32_t len;
		d->proto = nxt;
		switch (nxt) {
		case IPPROTO_HOPOPTS_:
		case IPPROTO_ROUTING_:
		case IPPROTO_DSTOPTS_:
		case IPPROTO_AH_:
		case IPPROTO_FRAGMENT_:
			break;
		case IPPROTO_NONE_:
			return DR_IP_OTHER;
		default:
			return decode_transport(c, d, true);
		}
		if (depth == MAX_IPV6_EXT)
			return DR_BAD_IPV6_CHAIN;
		r = need(c, 8, DR_TRUNC_IPV6_EXT, DR_BAD_IPV6_CHAIN);
		if (r != DR_MAX)
			return r;
		if (nxt == IPPROTO_FRAGMENT_) {
			uint16_t off = cur_be16(c, 2);
			nxt = cur_u8(c, 0);
			cur_skip(c, 8);
			if (off & 0xfff8) {
				d->proto = nxt;
				return DR_FRAGMENT;
			}
			if (off & 1)
				d->anomalies |= DA_FIRST_FRAGMENT;
			continue;
		}
		if (nxt == IPPROTO_AH_)
			len = ((uint32_t)cur_u8(c, 1) + 2) * 4; /* RFC 4302 */
		else
			len = ((uint32_t)cur_u8(c, 1) + 1) * 8;
		r = need(c, len, DR_TRUNC_IPV6_EXT, DR_BAD_IPV6_CHAIN);
		if (r != DR_MAX)
			return r;
		nxt = cur_u8(c, 0);
		cur_skip(c, len);
	}
}

static enum decode_reason decode_ethertype(struct cursor *c,
					   struct decoded *d, uint16_t type)
{
	/* 802.1Q and 802.1ad (QinQ) tags; the first two are kept. */
	for (int depth = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
			    type == ETHERTYPE_QINQ_OLD;
	     depth++) {
		if (depth == MAX_VLAN_TAGS)
			return DR_BAD_VLAN_DEPTH;
		enum decode_reason r = need(c, 4, DR_TRUNC_VLAN, DR_BAD_LINK);
		if (r != DR_MAX)
			return r;
		uint16_t id = cur_be16(c, 0) & 0x0fff;
		if (depth == 0)
			d->vlan = id;
		else if (depth == 1)
			d->inner_vlan = id;
		type = cur_be16(c, 2);
		cur_skip(c, 4);
	}
	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(c, d);
	case ETHERTYPE_IPV6:
		return decode_ipv6(c, d);
	default:
		return DR_NOT_IP;
	}
}

static enum decode_reason decode_ip_any(struct cursor *c, struct decoded *d)
{
	enum decode_reason r = need(c, 1, DR_TRUNC_IPV4, DR_BAD_LINK);
	if (r != DR_MAX)
		return r;
	switch (cur_u8(c, 0) >> 4) {
	case 4:
		return decode_ipv4(c, d);
	case 6:
		return decode_ipv6(c, d);
	default:
		return DR_BAD_IP_VERSION;
	}
}

static enum decode_reason decode_ethernet(struct cursor *c, struct decoded *d)
{
	enum decode_reason r = need(c, 14, DR_TRUNC_LINK, DR_BAD_LINK);
	if (r != DR_MAX)
		return r;
	cur_copy(c, 0, d->mac_dst, 6);
	cur_copy(c, 6, d->mac_src, 6);
	d->dl_flags |= DL_SRC_MAC | DL_DST_MAC;
	if (cur_u8(c, 0) & 1) {
		d->dl_flags |= DL_MULTICAST;
		bool bcast = true;
		for (uint32_t i = 0; i < 6; i++)
			bcast = bcast && cur_u8(c, i) == 0xff;
		if (bcast)
			d->dl_flags = (d->dl_flags & ~DL_MULTICAST) | DL_BROADCAST;
	}
	uint16_t type = cur_be16(c, 12);
	cur_skip(c, 14);
	return decode_ethertype(c, d, type);
}

/* A cooked header's link address (the sender's): an Ethernet MAC when
 * its ARPHRD type is Ethernet (1) and it is 6 bytes long. */
static void sll_addr(const struct cursor *c, uint32_t hatype_at,
		     uint32_t halen_at, uint32_t addr_at, bool halen_16,
		     struct decoded *d)
{
	uint32_t halen = halen_16 ? cur_be16(c, halen_at) : cur_u8(c, halen_at);
	if (cur_be16(c, hatype_at) != 1 || halen != 6)
		return;
	cur_copy(c, addr_at, d->mac_src, 6);
	d->dl_flags |= DL_SRC_MAC;
}

static void sll_pkttype(struct decoded *d, uint16_t pkttype)
{
	if (pkttype == LINUX_SLL_OUTGOING)
		d->dl_flags |= DL_OUTGOING;
	else if (pkttype == LINUX_SLL_BROADCAST)
		d->dl_flags |= DL_BROADCAST;
	else if (pkttype == LINUX_SLL_MULTICAST)
		d->dl_flags |= DL_MULTICAST;
}

/* BSD loopback: a 4-byte address family, host order of the writer for
 * DLT_NULL, network order for DLT_LOOP.  AF_INET6 differs by system. */
static enum decode_reason decode_bsd_loop(struct cursor *c, struct decoded *d,
					  bool network_order)
{
	enum decode_reason r = need(c, 4, DR_TRUNC_LINK, DR_BAD_LINK);
	if (r != DR_MAX)
		return r;
	uint32_t be = cur_be32(c, 0), le = cur_le32(c, 0);
	uint32_t af = network_order ? be : (le <= 0xffff ? le : be);
	cur_skip(c, 4);
	switch (af) {
	case 2: /* AF_INET everywhere */
		return decode_ipv4(c, d);
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* macOS */
		return decode_ipv6(c, d);
	default:
		return DR_NOT_IP;
	}
}

enum decode_reason decode_packet(int dlt, const uint8_t *data,
				 uint32_t cap_len, uint32_t wire_len,
				 struct decoded *d)
{
	memset(d, 0, sizeof(*d));
	d->wscale = DECODE_NO_WSCALE;
	d->cap_len = cap_len;
	d->wire_len = wire_len;
	if (wire_len == 0 || cap_len > wire_len || (cap_len > 0 && !data))
		return DR_BAD_RECORD;
	struct cursor c = {.p = data, .cap = cap_len, .wire = wire_len};
	enum decode_reason r;

	switch (dlt) {
	case DLT_EN10MB:
		return decode_ethernet(&c, d);
	case DLT_LINUX_SLL:
		r = need(&c, 16, DR_TRUNC_LINK, DR_BAD_LINK);
		if (r != DR_MAX)
			return r;
		sll_pkttype(d, cur_be16(&c, 0));
		sll_addr(&c, 2, 4, 6, true, d);
		{
			uint16_t type = cur_be16(&c, 14);
			cur_skip(&c, 16);
			return decode_ethertype(&c, d, type);
		}
	case DLT_LINUX_SLL2:
		r = need(&c, 20, DR_TRUNC_LINK, DR_BAD_LINK);
		if (r != DR_MAX)
			return r;
		sll_pkttype(d, cur_u8(&c, 10));
		sll_addr(&c, 8, 11, 12, false, d);
		{
			uint16_t type = cur_be16(&c, 0);
			cur_skip(&c, 20);
			return decode_ethertype(&c, d, type);
		}
	case DLT_RAW:
		return decode_ip_any(&c, d);
	case DLT_IPV4:
		return decode_ipv4(&c, d);
	case DLT_IPV6:
		return decode_ipv6(&c, d);
	case DLT_NULL:
		return decode_bsd_loop(&c, d, false);
	case DLT_LOOP:
		return decode_bsd_loop(&c, d, true);
	default:
		return DR_BAD_LINK;
	}
}

/* zeek.c - Zeek's connection accounting, rebuilt from the wire.
 *
 * Each rule below names the Zeek function it follows (github.com/zeek/zeek;
 * the TCP ones are in src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 * unless said otherwise).  The code is written from those definitions, in
 * wirestat's terms: one struct zeek_conn of 64 bytes instead of Zeek's two
 * TCP_Endpoint objects, a Connection and two reassemblers.  Where the
 * small struct cannot hold what Zeek holds, the comment says what is
 * approximated and when it differs.
 *
 * Content gaps (missed_bytes and the g letter).  Zeek reassembles each
 * direction and, when the receiver acknowledges sequence space its
 * reassembler never received, reports the hole as a content gap
 * (TCP_Reassembler::AckReceived() -> Undelivered() -> Gap()); conn.log's
 * missed_bytes is the sum (main.zeek, event content_gap).  Here, per
 * direction, "acked" is the point up to which data was seen in order or
 * acknowledged (Zeek's last_reassem_seq), and "above" the first byte seen
 * beyond a hole.  A data byte counts as seen when its segment was captured
 * whole (Zeek drops truncated payloads, TCP_Endpoint::DataSent()).  When
 * an ACK moves past "acked", the bytes between that were not seen are
 * missed: the hole up to "above", and anything acknowledged beyond the
 * highest byte seen.  The differences from Zeek's reassembler:
 *   - one hole per direction is remembered: data above it is taken as
 *     contiguous up to the highest sequence number seen, so a second
 *     hole above the first is not counted;
 *   - a RST's acknowledgment, and an acknowledgment of 0 far ahead, move
 *     nothing (Zeek trusts neither for ack_seq; its reassembler trims on
 *     the first, but by then no gap can be reported);
 *   - Zeek's reassembler limits (tcp_max_above_hole_without_any_acks,
 *     tcp_excessive_data_without_further_acks) and its deferred close
 *     while data is pending are not modelled;
 *   - reassembly is taken as on for the whole connection (Zeek's default,
 *     dpd_reassemble_first_packets).
 * As in Zeek (TCP_Reassembler::Gap(), established_or_cleanly_closing()),
 * a gap counts only while both endpoints are ESTABLISHED or CLOSED after
 * ESTABLISHED, and the two acknowledgments of a partial connection's
 * first bytes are ignored (Undelivered(), "up_to_seq <= 2").
 */
#include "wirestat/zeek.h"

#include <netinet/in.h>
#include <string.h>

_Static_assert(sizeof(struct zeek_conn) == 64, "struct zeek_conn grew");

/* Wraparound-safe sequence arithmetic (Zeek's seq_delta()). */
#define SEQ_DELTA(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b) (SEQ_DELTA(a, b) < 0)
#define SEQ_LEQ(a, b) (SEQ_DELTA(a, b) <= 0)
#define SEQ_GT(a, b) (SEQ_DELTA(a, b) > 0)
#define SEQ_GEQ(a, b) (SEQ_DELTA(a, b) >= 0)

/* TCPSessionAdapter.cc: larger jumps of a SYN's or RST's sequence number
 * are not trusted (update_last_seq()), nor an ACK of 0 this far ahead
 * (update_ack_seq()). */
#define TOO_LARGE_SEQ_DELTA 1048576

enum { ORIG = 0, RESP = 1 };

enum zeek_kind { ZK_OTHER, ZK_TCP, ZK_UDP, ZK_ICMP };

/* struct zeek_conn.flags */
enum {
	ZF_KIND = 0x03,		  /* enum zeek_kind */
	ZF_PARTIAL = 0x04,	  /* TCPSessionAdapter's is_partial */
	ZF_SEEN_ORIG = 0x08,	  /* first_packet_seen ORIG; UDP_ACTIVE */
	ZF_SEEN_RESP = 0x10,	  /* first_packet_seen RESP; UDP_ACTIVE */
	ZF_STARTED = 0x20,	  /* the first packet was processed */
	ZF_CLOSE_COMPLETE = 0x40, /* ConnectionClosed()'s close_complete */
};

/* struct zeek_conn.state[]: state, prev_state << 3, and two flags. */
enum {
	ST_MASK = 0x07,
	ST_PREV_SHIFT = 3,
	ST_FIN = 0x40,	     /* FIN_cnt > 0 */
	ST_DID_CLOSE = 0x80, /* did_close */
};

/* Once-only history letters (TCP_Endpoint.h, HIST_*_PKT); the responder's
 * are shifted by 8 here (by 16 in Zeek's 32-bit hist_seen).  UDP's D/d
 * (UDP.cc, HIST_ORIG_DATA_PKT, HIST_RESP_DATA_PKT) use H_DATA. */
enum {
	H_SYN = 0x01,
	H_FIN = 0x02,
	H_RST = 0x04,
	H_FIN_RST = 0x08,
	H_DATA = 0x10,
	H_ACK = 0x20,
	H_MULTI = 0x40,
};

/* 5-bit letter codes: 1..12 the originator's letters, 13..24 the
 * responder's (the same + L_RESP), then '^' and 'x'. */
enum {
	L_S = 1, L_H, L_A, L_D, L_F, L_R, L_C, L_G, L_T, L_W, L_I, L_Q,
	L_RESP = 12,
	L_FLIP = 25,
	L_TRUNC = 26,
};

static const char letter_chars[] = "?SHADFRCGTWIQshadfrcgtwiq^x";

const char *const zeek_ep_state_names[ZEEK_EP_STATE_MAX] = {
	[ZEEK_INACTIVE] = "TCP_INACTIVE",
	[ZEEK_SYN_SENT] = "TCP_SYN_SENT",
	[ZEEK_SYN_ACK_SENT] = "TCP_SYN_ACK_SENT",
	[ZEEK_PARTIAL] = "TCP_PARTIAL",
	[ZEEK_ESTABLISHED] = "TCP_ESTABLISHED",
	[ZEEK_CLOSED] = "TCP_CLOSED",
	[ZEEK_RESET] = "TCP_RESET",
};

/* ---------------------------------------------------------------- */
/* History: a 5-bit length, then 5-bit letters, in hist[15]. */

#define HIST_LEN_BIT 0
#define HIST_LETTER_BIT(i) (5u + 5u * (unsigned)(i))

static unsigned hist_get(const uint8_t *h, unsigned bit)
{
	unsigned v = 0;
	for (unsigned i = 0; i < 5; i++, bit++)
		v |= (unsigned)((h[bit >> 3] >> (bit & 7u)) & 1u) << i;
	return v;
}

static void hist_put(uint8_t *h, unsigned bit, unsigned v)
{
	for (unsigned i = 0; i < 5; i++, bit++) {
		uint8_t m = (uint8_t)(1u << (bit & 7u));
		if (v & (1u << i))
			h[bit >> 3] |= m;
		else
			h[bit >> 3] &= (uint8_t)~m;
	}
}

/* Connection::AddHistory(), bounded: the letter after the last slot
 * becomes 'x' and later ones are dropped. */
static void add_history(struct zeek_conn *z, unsigned code)
{
	unsigned n = hist_get(z->hist, HIST_LEN_BIT);
	if (n > ZEEK_HISTORY_MAX)
		return;
	if (n == ZEEK_HISTORY_MAX)
		code = L_TRUNC;
	hist_put(z->hist, HIST_LETTER_BIT(n), code);
	hist_put(z->hist, HIST_LEN_BIT, n + 1);
}

static unsigned side_letter(int side, unsigned base)
{
	return side == RESP ? base + L_RESP : base;
}

/* Session::CheckHistory() through TCP_Endpoint::CheckHistory(): record
 * the letter the first time only; true if it had been seen before. */
static bool check_history(struct zeek_conn *z, int side, unsigned mask,
			  unsigned base)
{
	uint16_t bit = (uint16_t)(mask << (side == RESP ? 8 : 0));
	if (!(z->hist_seen & bit)) {
		z->hist_seen |= bit;
		add_history(z, side_letter(side, base));
		return false;
	}
	return true;
}

/* Connection::ScaledHistoryEntry(): the letter at the 1st, 10th, 100th
 * ... event (threshold times 10 each time).  The 8-bit count stops at
 * 255, so the 1000th and later thresholds never come. */
static void scaled_history(struct zeek_conn *z, uint8_t *count, int side,
			   unsigned base)
{
	if (*count == UINT8_MAX)
		return;
	(*count)++;
	if (*count == 1 || *count == 10 || *count == 100)
		add_history(z, side_letter(side, base));
}

size_t zeek_history(const struct zeek_conn *z, char *buf, size_t size)
{
	unsigned n = hist_get(z->hist, HIST_LEN_BIT);
	size_t w = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned code = hist_get(z->hist, HIST_LETTER_BIT(i));
		if (code >= sizeof(letter_chars) - 1)
			code = 0;
		if (w + 1 < size)
			buf[w++] = letter_chars[code];
	}
	if (size)
		buf[w] = '\0';
	return n;
}

/* ---------------------------------------------------------------- */
/* Endpoint fields. */

static unsigned kind(const struct zeek_conn *z)
{
	return z->flags & ZF_KIND;
}

static unsigned st(const struct zeek_conn *z, int i)
{
	return z->state[i] & ST_MASK;
}

static unsigned prev_st(const struct zeek_conn *z, int i)
{
	return (z->state[i] >> ST_PREV_SHIFT) & ST_MASK;
}

/* TCP_Endpoint::SetState(): prev_state changes only with the state. */
static void set_state(struct zeek_conn *z, int i, unsigned s)
{
	unsigned cur = st(z, i);
	if (s == cur)
		return;
	z->state[i] = (uint8_t)((z->state[i] & (ST_FIN | ST_DID_CLOSE)) |
				(cur << ST_PREV_SHIFT) | s);
}

static uint8_t seen_bit(int side)
{
	return side == ORIG ? ZF_SEEN_ORIG : ZF_SEEN_RESP;
}

/* Connection::FlipRoles() and TCPSessionAdapter::FlipRoles(): the
 * endpoints trade places, first_packet_seen follows them, is_partial is
 * cleared and '^' recorded.  The letters already in the history and the
 * once-only marks keep their old case, as in Zeek. */
static void flip_roles(struct zeek_conn *z)
{
	uint8_t f = z->flags;

	if (kind(z) == ZK_TCP) {
		uint32_t *arrs[] = {z->u.seq.start, z->u.seq.last,
				    z->u.seq.acked, z->u.seq.above};
		for (size_t i = 0; i < WS_ARRAY_SIZE(arrs); i++) {
			uint32_t t = arrs[i][0];
			arrs[i][0] = arrs[i][1];
			arrs[i][1] = t;
		}
	} else {
		uint64_t t = z->u.bytes[0];
		z->u.bytes[0] = z->u.bytes[1];
		z->u.bytes[1] = t;
	}
	uint8_t *bytes[] = {z->state, z->wraps, z->rxmit, z->win0, z->gaps};
	for (size_t i = 0; i < WS_ARRAY_SIZE(bytes); i++) {
		uint8_t t = bytes[i][0];
		bytes[i][0] = bytes[i][1];
		bytes[i][1] = t;
	}
	f &= (uint8_t)~(ZF_SEEN_ORIG | ZF_SEEN_RESP | ZF_PARTIAL);
	if (z->flags & ZF_SEEN_ORIG)
		f |= ZF_SEEN_RESP;
	if (z->flags & ZF_SEEN_RESP)
		f |= ZF_SEEN_ORIG;
	z->flags = f;
	add_history(z, L_FLIP);
}

void zeek_init(struct zeek_conn *z, uint8_t proto)
{
	memset(z, 0, sizeof(*z));
	switch (proto) {
	case IPPROTO_TCP:
		z->flags = ZK_TCP;
		break;
	case IPPROTO_UDP:
		z->flags = ZK_UDP;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		z->flags = ZK_ICMP;
		break;
	default:
		z->flags = ZK_OTHER;
		break;
	}
}

/* ---------------------------------------------------------------- */
/* Zeek's likely_server_ports: the ports the scripts loaded by default
 * add (each script's "redef likely_server_ports += { ports }").  Scripts
 * under base/ whose sets were not confirmed from source are left out. */

static const uint16_t likely_tcp[] = {
	21, 2811,				 /* protocols/ftp/main.zeek */
	22,					 /* protocols/ssh/main.zeek */
	25, 587,				 /* protocols/smtp/main.zeek */
	53,					 /* protocols/dns/main.zeek */
	79,					 /* protocols/finger */
	80, 81, 631, 1080, 3128, 8000, 8080, 8888, /* protocols/http */
	88,					 /* protocols/krb/main.zeek */
	110,					 /* protocols/pop3 */
	135,					 /* protocols/dce-rpc */
	139, 445,				 /* protocols/smb/main.zeek */
	143,					 /* protocols/imap */
	389, 3268,				 /* protocols/ldap/main.zeek */
	443, 563, 585, 614, 636, 989, 990, 992, 993, 995,
	5223,					 /* protocols/ssl (ssl_ports) */
	502,					 /* protocols/modbus */
	3389,					 /* protocols/rdp/main.zeek */
	5222, 5269,				 /* protocols/xmpp */
	6666, 6667, 6668, 6669,			 /* protocols/irc/main.zeek */
	20000,					 /* protocols/dnp3/main.zeek */
};

static const uint16_t likely_udp[] = {
	53, 137, 5353, 5355, /* protocols/dns/main.zeek */
	67,		     /* protocols/dhcp/main.zeek */
	88,		     /* protocols/krb/main.zeek */
	123,		     /* protocols/ntp/main.zeek */
	161, 162,	     /* protocols/snmp/main.zeek */
	389,		     /* protocols/ldap/main.zeek */
	443,		     /* protocols/ssl (dtls_ports) */
	514,		     /* protocols/syslog/main.zeek */
	1812,		     /* protocols/radius/main.zeek */
	2123, 2152,	     /* frameworks/tunnels (gtpv1_ports) */
	3544,		     /* packet-protocols/teredo (teredo_ports) */
	4789,		     /* packet-protocols/vxlan (vxlan_ports) */
	5060,		     /* protocols/sip/main.zeek */
	5072,		     /* packet-protocols/ayiya (ayiya_ports) */
	20000,		     /* protocols/dnp3/main.zeek */
};

bool zeek_likely_server_port(uint8_t proto, uint16_t port)
{
	const uint16_t *t = proto == IPPROTO_TCP ? likely_tcp : likely_udp;
	size_t n = proto == IPPROTO_TCP ? WS_ARRAY_SIZE(likely_tcp)
					: WS_ARRAY_SIZE(likely_udp);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] == port)
			return true;
	return false;
}

/* IPAddr::IsBroadcast(): only the IPv4 limited broadcast address. */
static bool is_broadcast(const struct addr *a)
{
	static const uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
	return a->family == ADDR_V4 && memcmp(a->bytes, ones, 4) == 0;
}

/* Whether Zeek makes the first packet's receiver the originator
 * (IPBasedAnalyzer::NewConn(), which then calls FlipRoles() unless the
 * destination is the broadcast address). */
static bool want_flip(const struct zeek_conn *z, const struct decoded *d)
{
	uint8_t fl = d->tcp_flags;

	if (is_broadcast(&d->dst))
		return false;
	switch (kind(z)) {
	case ZK_TCP:
		/* TCP.cc, WantConnection(): a first packet without SYN, or a
		 * SYN-ACK, is a partial connection; flip when only the source
		 * port is a likely server port, or when both are, the packet
		 * is not a SYN-ACK and the source port is the lower. */
		if ((fl & TH_SYN) && !(fl & TH_ACK))
			return false;
		if (!zeek_likely_server_port(IPPROTO_TCP, d->sport))
			return false;
		if (zeek_likely_server_port(IPPROTO_TCP, d->dport))
			return !(fl & TH_SYN) && d->sport < d->dport;
		return true;
	case ZK_UDP:
		/* UDP.cc, WantConnection(). */
		return zeek_likely_server_port(IPPROTO_UDP, d->sport) &&
		       !zeek_likely_server_port(IPPROTO_UDP, d->dport);
	default:
		return false; /* ICMP and others never flip */
	}
}

/* ---------------------------------------------------------------- */
/* TCP sequence space. */

static int64_t last64(const struct zeek_conn *z, int i)
{
	return ((int64_t)z->wraps[i] << 32) + z->u.seq.last[i];
}

/* get_relative_seq() against the endpoint's last_seq and seq_wraps: with
 * no wrap, a signed 32-bit distance from start_seq (negative: underflow);
 * after a wrap, the 64-bit offset.  Zeek computes an ACK's relative value
 * against ack_seq and ack_wraps, which are not kept: last_seq stands in. */
static int64_t rel_seq(const struct zeek_conn *z, int i, uint32_t seq)
{
	uint32_t last = z->u.seq.last[i];
	int64_t wraps = z->wraps[i];
	int32_t delta = SEQ_DELTA(seq, last);

	if (delta < 0 && wraps && seq > last)
		wraps--;
	else if (delta > 0 && seq < last)
		wraps++;
	if (wraps == 0)
		return SEQ_DELTA(seq, z->u.seq.start[i]);
	return (wraps << 32) + seq - (int64_t)z->u.seq.start[i];
}

/* TCP_Endpoint::UpdateLastSeq(): a numerically smaller value is a wrap. */
static void set_last(struct zeek_conn *z, int i, uint32_t seq)
{
	if (seq < z->u.seq.last[i] && z->wraps[i] < UINT8_MAX)
		z->wraps[i]++;
	z->u.seq.last[i] = seq;
}

/* Start an endpoint's sequence space at its SYN (start = the SYN's
 * number) or, for a partial one, one before its first byte. */
static void init_space(struct zeek_conn *z, int i, uint32_t start,
		       uint32_t last)
{
	z->u.seq.start[i] = start;
	z->u.seq.last[i] = last;
	z->u.seq.acked[i] = start + 1;
	if (st(z, i) != ZEEK_RESET) /* "above" holds its last RST */
		z->u.seq.above[i] = start + 1;
}

/* init_endpoint(): a first packet sets the sequence space; a SYN with a
 * new number resets it while the handshake may still be starting over. */
static void init_endpoint(struct zeek_conn *z, int i, bool syn, uint32_t seq,
			  uint32_t end)
{
	switch (st(z, i)) {
	case ZEEK_INACTIVE:
		if (syn)
			init_space(z, i, seq, end);
		else /* as though a SYN came just before */
			init_space(z, i, seq - 1, seq);
		break;
	case ZEEK_SYN_SENT:
	case ZEEK_SYN_ACK_SENT:
		if (syn && seq != z->u.seq.start[i])
			init_space(z, i, seq, end);
		break;
	case ZEEK_ESTABLISHED:
	case ZEEK_PARTIAL:
		if (syn)
			init_space(z, i, seq, end);
		break;
	case ZEEK_RESET:
		/* the RST that reset it may have been injected */
		if (syn && prev_st(z, i) == ZEEK_INACTIVE)
			init_space(z, i, seq, end);
		break;
	default:
		break;
	}
}

/* init_peer(): an ACK to an endpoint not yet seen starts its space as
 * though its SYN had been the byte before the acknowledged one. */
static void init_peer(struct zeek_conn *z, int i, uint32_t ack)
{
	init_space(z, i, ack - 1, ack - 1);
}

/* ---------------------------------------------------------------- */
/* History letters of one TCP segment. */

/* Whether a RST's relative sequence number differs from the sender's
 * previous RST (hist_last_RST).  Once the sender is TCP_RESET its "above"
 * field holds that value (content gaps can no longer be reported, below);
 * a RST that left it CLOSED (both sides had closed, UpdateClosedState())
 * moved last_seq to its own number, which stands in. */
static bool rst_differs(const struct zeek_conn *z, int e, int64_t rel,
			uint32_t seq)
{
	if (st(z, e) == ZEEK_RESET)
		return (uint32_t)rel != z->u.seq.above[e];
	return seq != z->u.seq.last[e];
}

/* update_history(): one letter class per segment.  Two or three of
 * SYN/FIN/RST: i (FIN+RST) or q, once.  One of them: s/h, f or r, again
 * only when its sequence number differs from the previous one of its
 * kind.  None: d for payload, else a for an ACK, once. */
static void update_history(struct zeek_conn *z, int e, uint8_t fl,
			   int64_t rel, uint32_t seq, uint32_t len)
{
	bool syn = fl & TH_SYN, fin = fl & TH_FIN, rst = fl & TH_RST;
	int bits = syn + fin + rst;

	if (bits > 1) {
		if (fin && rst)
			check_history(z, e, H_FIN_RST, L_I);
		else
			check_history(z, e, H_MULTI, L_Q);
	} else if (syn) {
		/* hist_last_SYN is taken as 0: a SYN is at relative 0 in
		 * every state that resets the space (init_endpoint()), so
		 * only SYNs seen after the endpoint closed or reset differ,
		 * and a repeat of such a SYN is recorded again. */
		unsigned code = (fl & TH_ACK) ? L_H : L_S;
		if (check_history(z, e, H_SYN, code) && rel != 0)
			add_history(z, side_letter(e, code));
	} else if (fin) {
		/* a FIN's number is after its data (rel_seq + len); the
		 * previous FIN's, hist_last_FIN, is taken as one before
		 * last_seq, which that FIN advanced past its own octet */
		if (check_history(z, e, H_FIN, L_F) &&
		    seq + len + 1 != z->u.seq.last[e])
			add_history(z, side_letter(e, L_F));
	} else if (rst) {
		if (check_history(z, e, H_RST, L_R) &&
		    rst_differs(z, e, rel, seq))
			add_history(z, side_letter(e, L_R));
	} else if (len) {
		check_history(z, e, H_DATA, L_D);
	} else if (fl & TH_ACK) {
		check_history(z, e, H_ACK, L_A);
	}
}

/* update_window(): a zero window is w (TCP_Endpoint::ZeroWindow()),
 * unless the segment is a RST, the sender has reset, or its peer has
 * closed.  The scale does not matter: a window is zero unscaled or not. */
static void update_window(struct zeek_conn *z, int e, uint16_t window,
			  bool rst)
{
	if (window == 0 && !rst && st(z, !e) != ZEEK_CLOSED &&
	    st(z, e) != ZEEK_RESET)
		scaled_history(z, &z->win0[e], e, L_W);
}

/* update_last_seq(): advance last_seq; a segment with payload that does
 * not advance it is a retransmission, t (TCP_Endpoint::DidRxmit()). */
static void update_last(struct zeek_conn *z, int e, uint32_t end, uint8_t fl,
			uint32_t len)
{
	uint32_t last = z->u.seq.last[e];
	int32_t delta = SEQ_DELTA(end, last);
	/* a FIN after nothing but the SYN may be a >2 GB transfer seen
	 * only at its ends: trusted even going backwards */
	bool fin_only = (fl & TH_FIN) && last == z->u.seq.start[e] + 1;
	/* nothing after a RST is trusted */
	bool trusted = st(z, e) != ZEEK_RESET;

	if ((fl & (TH_SYN | TH_RST)) &&
	    (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA))
		return; /* an implausible jump */
	if (fin_only || (trusted && delta > 0))
		set_last(z, e, end);
	else if (trusted && len > 0)
		scaled_history(z, &z->rxmit[e], e, L_T);
}

/* ---------------------------------------------------------------- */
/* The endpoint state machine (UpdateStateMachine() and the functions it
 * calls).  e is the sender, p its peer; a flip moves them, so both are
 * passed by reference. */

struct seg {
	uint32_t seq;
	uint32_t len;
	uint8_t flags;
	bool is_orig; /* Zeek's is_orig for this segment, before any flip */
	bool do_close;
	bool flipped;
};

/* UpdateInactiveState(): the sender's first segment. */
static void inactive_state(struct zeek_conn *z, int *e, int *p, struct seg *s)
{
	uint8_t fl = s->flags;

	if (fl & TH_SYN) {
		if (s->is_orig) {
			set_state(z, *e, (fl & TH_ACK) ? ZEEK_SYN_ACK_SENT
						       : ZEEK_SYN_SENT);
		} else {
			if (!(fl & TH_ACK) &&
			    st(z, *p) == ZEEK_SYN_ACK_SENT &&
			    s->seq == z->u.seq.start[*e]) {
				/* the SYN-ACK was seen before its SYN: the
				 * SYN's sender is the originator */
				flip_roles(z);
				*e = ORIG;
				*p = RESP;
				set_state(z, *p, ZEEK_ESTABLISHED);
				z->flags |= ZF_SEEN_ORIG;
				s->flipped = true;
			}
			if (st(z, *p) == ZEEK_SYN_SENT)
				set_state(z, *p, ZEEK_ESTABLISHED);
			set_state(z, *e, ZEEK_ESTABLISHED);
		}
	}
	if (fl & TH_FIN) {
		set_state(z, *e, ZEEK_CLOSED);
		s->do_close = true;
	}
	if (fl & TH_RST) {
		set_state(z, *e, ZEEK_RESET);
		s->do_close = true;
	}
	if (st(z, *e) != ZEEK_INACTIVE)
		return;
	if (!s->is_orig && s->len == 0 && st(z, ORIG) == ZEEK_SYN_SENT)
		return; /* an ACK of the SYN before the SYN-ACK: not partial */
	if ((fl & TH_ACK) && st(z, *p) == ZEEK_ESTABLISHED) {
		/* the SYN was missed, the SYN-ACK was not: established */
		set_state(z, *e, ZEEK_ESTABLISHED);
		z->flags &= (uint8_t)~ZF_PARTIAL;
		z->flags |= seen_bit(s->is_orig ? ORIG : RESP);
		return;
	}
	set_state(z, *e, ZEEK_PARTIAL);
}

/* UpdateSYN_SentState(): only FIN and RST move a SYN's sender; its peer's
 * SYN-ACK establishes it (inactive_state()). */
static void syn_sent_state(struct zeek_conn *z, int e, struct seg *s)
{
	if (s->flags & TH_FIN) {
		set_state(z, e, ZEEK_CLOSED);
		s->do_close = true;
	}
	if (s->flags & TH_RST) {
		set_state(z, e, ZEEK_RESET);
		s->do_close = true;
	}
}

/* UpdateEstablishedState(). */
static void established_state(struct zeek_conn *z, int e, int p, struct seg *s)
{
	uint8_t fl = s->flags;

	if ((fl & TH_SYN) && !(fl & TH_ACK) && st(z, e) == ZEEK_PARTIAL &&
	    st(z, p) == ZEEK_INACTIVE)
		set_state(z, e, ZEEK_SYN_SENT); /* SYN after partial */
	if ((fl & TH_FIN) && !(fl & TH_RST)) {
		set_state(z, e, ZEEK_CLOSED);
		/* a peer that sent FIN then RST closed normally after all */
		if (st(z, p) == ZEEK_RESET && prev_st(z, p) == ZEEK_CLOSED)
			set_state(z, p, ZEEK_CLOSED);
		s->do_close = true;
	}
	if (fl & TH_RST) {
		set_state(z, e, ZEEK_RESET);
		s->do_close = true;
	}
}

/* UpdateClosedState(): after both FINs a RST changes nothing. */
static void closed_state(struct zeek_conn *z, int e, int p, struct seg *s)
{
	if ((s->flags & TH_RST) && st(z, p) != ZEEK_CLOSED) {
		set_state(z, e, ZEEK_RESET);
		if (!(z->state[e] & ST_DID_CLOSE))
			s->do_close = true;
	}
}

static void state_machine(struct zeek_conn *z, int *e, int *p, struct seg *s)
{
	switch (st(z, *e)) {
	case ZEEK_INACTIVE:
		inactive_state(z, e, p, s);
		break;
	case ZEEK_SYN_SENT:
	case ZEEK_SYN_ACK_SENT:
		syn_sent_state(z, *e, s);
		break;
	case ZEEK_ESTABLISHED:
	case ZEEK_PARTIAL:
		established_state(z, *e, *p, s);
		break;
	case ZEEK_CLOSED:
		closed_state(z, *e, *p, s);
		break;
	default: /* UpdateResetState(): weirds only */
		break;
	}
}

/* ConnectionClosed(): did_close once per endpoint; the close is complete
 * when it reset, its peer had closed too, or its peer never spoke. */
static void connection_closed(struct zeek_conn *z, int e, int p)
{
	if (z->state[e] & ST_DID_CLOSE)
		return;
	z->state[e] |= ST_DID_CLOSE;
	if (st(z, e) == ZEEK_RESET || (z->state[p] & ST_DID_CLOSE) ||
	    st(z, p) == ZEEK_INACTIVE)
		z->flags |= ZF_CLOSE_COMPLETE;
}

/* ---------------------------------------------------------------- */
/* Content gaps (see the top of the file). */

/* TCP_Reassembler.cc, is_clean(). */
static bool is_clean(const struct zeek_conn *z, int i)
{
	return st(z, i) == ZEEK_ESTABLISHED ||
	       (st(z, i) == ZEEK_CLOSED && prev_st(z, i) == ZEEK_ESTABLISHED);
}

/* The highest data byte seen from i, plus one: last_seq less its FIN. */
static uint32_t data_end(const struct zeek_conn *z, int i)
{
	uint32_t last = z->u.seq.last[i];
	return (z->state[i] & ST_FIN) ? last - 1 : last;
}

/* TCP_Reassembler::Gap() for len bytes of endpoint d's data. */
static void gap(struct zeek_conn *z, int d, uint32_t len, bool report)
{
	if (len == 0 || !report)
		return;
	z->missed = z->missed > UINT32_MAX - len ? UINT32_MAX
						 : z->missed + len;
	scaled_history(z, &z->gaps[d], d, L_G);
}

/* TCP_Endpoint::AckReceived() -> TCP_Reassembler::AckReceived(): endpoint
 * a acknowledged d's data up to ack. */
static void ack_received(struct zeek_conn *z, int d, int a, uint32_t ack)
{
	uint32_t r = z->u.seq.acked[d], above = z->u.seq.above[d];
	bool report = is_clean(z, d) && is_clean(z, a);

	/* an ACK of the FIN octet acknowledges no data */
	if ((z->state[d] & ST_FIN) && SEQ_GEQ(ack, z->u.seq.last[d]))
		ack = z->u.seq.last[d] - 1;
	if (SEQ_LEQ(ack, r))
		return;
	if (st(z, d) == ZEEK_RESET || st(z, a) == ZEEK_RESET) {
		/* no gap can be reported any more; "above" may hold the
		 * last RST: keep only the acknowledgment, for the size */
		z->u.seq.acked[d] = ack;
		return;
	}
	/* Undelivered(): a partial connection's first octets are ignored */
	if ((z->flags & ZF_PARTIAL) && SEQ_DELTA(ack, z->u.seq.start[d]) <= 2)
		return;
	if (SEQ_GT(above, r)) { /* a hole at r, data seen from above */
		if (SEQ_LT(ack, above)) {
			gap(z, d, ack - r, report);
			z->u.seq.acked[d] = ack;
			return;
		}
		gap(z, d, above - r, report);
		r = data_end(z, d);
		if (SEQ_LT(r, above))
			r = above;
	}
	if (SEQ_GT(ack, r)) {
		gap(z, d, ack - r, report);
		r = ack;
	}
	z->u.seq.acked[d] = r;
	z->u.seq.above[d] = r;
}

/* TCP_Endpoint::DataSent(): len bytes of d's data from seq were seen. */
static void data_sent(struct zeek_conn *z, int d, uint32_t seq, uint32_t len)
{
	uint32_t r = z->u.seq.acked[d], above = z->u.seq.above[d];
	uint32_t end = seq + len;

	if (st(z, d) == ZEEK_RESET || SEQ_LEQ(end, r))
		return; /* after its RST, or old data */
	if (SEQ_GT(seq, r)) { /* beyond a hole */
		if (!SEQ_GT(above, r) || SEQ_LT(seq, above))
			z->u.seq.above[d] = seq;
		return;
	}
	r = end;
	if (SEQ_GT(above, z->u.seq.acked[d])) {
		if (SEQ_LT(r, above)) { /* the hole shrank */
			z->u.seq.acked[d] = r;
			return;
		}
		if (SEQ_LT(r, data_end(z, d))) /* filled: what is above too */
			r = data_end(z, d);
	}
	z->u.seq.acked[d] = r;
	z->u.seq.above[d] = r;
}

/* A reassembly point this far behind last_seq is given up: the hole
 * under it is forgotten, so that "acked" stays comparable with last_seq
 * (as a 32-bit difference) and Size() stays right, e.g. in a one-sided
 * capture with payloads cut by the snaplen.  Zeek gives up far earlier
 * (tcp_max_above_hole_without_any_acks, 16 KB). */
#define STALE_HOLE (1 << 30)

static void settle(struct zeek_conn *z, int d)
{
	if (SEQ_DELTA(z->u.seq.last[d], z->u.seq.acked[d]) <= STALE_HOLE)
		return;
	z->u.seq.acked[d] = data_end(z, d);
	if (st(z, d) != ZEEK_RESET)
		z->u.seq.above[d] = z->u.seq.acked[d];
}

/* ---------------------------------------------------------------- */

/* TCPSessionAdapter::Process() for one segment from endpoint e. */
static bool tcp_packet(struct zeek_conn *z, int e, const struct decoded *d)
{
	uint8_t fl = d->tcp_flags;
	bool syn = fl & TH_SYN, fin = fl & TH_FIN, rst = fl & TH_RST;
	uint32_t len = d->payload_len;
	int p = !e;
	struct seg s = {
		.seq = d->seq,
		.len = len,
		.flags = fl,
		.is_orig = e == ORIG,
	};

	/* SetPartialStatus(): decided by each side's first segment */
	if (e == ORIG && !(z->flags & ZF_SEEN_ORIG)) {
		z->flags &= (uint8_t)~ZF_PARTIAL;
		if (!syn || (fl & TH_ACK))
			z->flags |= ZF_PARTIAL;
	} else if (e == RESP && !(z->flags & (ZF_SEEN_RESP | ZF_PARTIAL)) &&
		   !syn) {
		z->flags |= ZF_PARTIAL;
	}

	/* get_segment_len(): SYN and FIN take an octet; a RST's payload
	 * is not part of the stream */
	uint32_t seg_len = len + syn + fin - (rst ? len : 0);
	init_endpoint(z, e, syn, d->seq, d->seq + seg_len);

	int64_t rel = rel_seq(z, e, d->seq);
	bool underflow = rel < 0;

	update_history(z, e, fl, rel, d->seq, len);
	update_window(z, e, d->window, rst);
	if (fin)
		z->state[e] |= ST_FIN;

	/* an ACK to a silent peer starts its sequence space */
	bool ack_ok = false;
	if (fl & TH_ACK) {
		if (st(z, p) == ZEEK_INACTIVE)
			init_peer(z, p, d->ack);
		else
			ack_ok = rel_seq(z, p, d->ack) >= 0 && !rst &&
				 !(d->ack == 0 &&
				   SEQ_DELTA(d->ack, z->u.seq.acked[p]) >
					   TOO_LARGE_SEQ_DELTA);
	}

	update_last(z, e, d->seq + seg_len, fl, len);
	state_machine(z, &e, &p, &s);

	if (ack_ok)
		ack_received(z, p, e, d->ack);
	if (len > 0 && d->payload_cap >= len && !rst && !underflow)
		data_sent(z, e, d->seq + syn, len);
	settle(z, e);
	/* the last RST, for update_history() */
	if (rst && !syn && !fin && st(z, e) == ZEEK_RESET)
		z->u.seq.above[e] = (uint32_t)rel;
	if (s.do_close)
		connection_closed(z, e, p);
	z->flags |= seen_bit(s.is_orig ? ORIG : RESP); /* CheckPIA_...() */
	return s.flipped;
}

bool zeek_packet(struct zeek_conn *z, bool from_orig, const struct decoded *d)
{
	bool swap = false;
	int side = from_orig ? ORIG : RESP;

	if (!(z->flags & ZF_STARTED)) {
		/* NewConn(): the first packet's sender originates, unless
		 * WantConnection() asks for a flip; the caller's view is
		 * swapped when it disagrees with the result */
		bool flip = want_flip(z, d);
		z->flags |= ZF_STARTED;
		if (flip)
			add_history(z, L_FLIP);
		side = flip ? RESP : ORIG;
		swap = from_orig == flip;
	}

	switch (kind(z)) {
	case ZK_TCP:
		if (tcp_packet(z, side, d))
			swap = !swap;
		break;
	case ZK_UDP:
		/* UDP.cc, DeliverPacket(): D/d once, payload per side */
		check_history(z, side, H_DATA, L_D);
		z->u.bytes[side] += d->payload_len;
		z->flags |= seen_bit(side);
		break;
	case ZK_ICMP:
		/* ICMP.cc, DeliverPacket(): no history; the message after
		 * its 8-byte header */
		z->u.bytes[side] += d->payload_len;
		z->flags |= seen_bit(side);
		break;
	default:
		z->flags |= seen_bit(side);
		break;
	}
	return swap;
}

bool zeek_is_reuse(const struct zeek_conn *z, bool from_orig,
		   const struct decoded *d)
{
	uint8_t fl = d->tcp_flags;
	int co = ORIG;

	(void)from_orig; /* Zeek's test does not depend on the direction */
	if (kind(z) != ZK_TCP || !(z->flags & ZF_STARTED) || !(fl & TH_SYN))
		return false; /* only an initial SYN starts anew */
	if (fl & TH_ACK) {
		/* a SYN-ACK only for a connection whose originator never
		 * spoke */
		if (st(z, ORIG) != ZEEK_INACTIVE)
			return false;
		co = RESP;
	}
	if (zeek_is_closed(z))
		return true;
	if (d->seq == z->u.seq.start[co])
		return false; /* a retransmission */
	/* a SYN answering an earlier SYN-ACK: flipped in zeek_packet() */
	if (!(fl & TH_ACK) && st(z, co) == ZEEK_SYN_ACK_SENT &&
	    st(z, RESP) == ZEEK_INACTIVE && d->seq == z->u.seq.start[RESP])
		return false;
	return true; /* a new SYN on a live connection */
}

/* ---------------------------------------------------------------- */

/* TCP_Endpoint::Size(): the larger of last_seq and ack_seq past
 * start_seq, less the SYN and FIN octets.  (Its zero for a SYN then RST
 * with the peer silent and data acknowledged cannot arise here: nothing
 * acknowledges an endpoint whose peer never spoke.) */
static uint64_t tcp_size(const struct zeek_conn *z, int i)
{
	int64_t last = last64(z, i);
	int64_t acked = last + SEQ_DELTA(z->u.seq.acked[i], z->u.seq.last[i]);
	int64_t size = (acked > last ? acked : last) - z->u.seq.start[i];

	if (size <= 0) /* Zeek's unsigned arithmetic would wrap */
		return 0;
	size--;
	if ((z->state[i] & ST_FIN) && size)
		size--;
	return (uint64_t)size;
}

uint64_t zeek_bytes(const struct zeek_conn *z, bool orig)
{
	int i = orig ? ORIG : RESP;
	switch (kind(z)) {
	case ZK_TCP:
		return tcp_size(z, i);
	case ZK_UDP:
	case ZK_ICMP:
		return z->u.bytes[i];
	default:
		return 0;
	}
}

uint64_t zeek_missed_bytes(const struct zeek_conn *z)
{
	return kind(z) == ZK_TCP ? z->missed : 0;
}

unsigned zeek_endpoint_state(const struct zeek_conn *z, bool orig)
{
	int i = orig ? ORIG : RESP;
	if (kind(z) == ZK_TCP)
		return st(z, i);
	return (z->flags & seen_bit(i)) ? ZEEK_UDP_ACTIVE : ZEEK_UDP_INACTIVE;
}

bool zeek_is_partial(const struct zeek_conn *z)
{
	return kind(z) == ZK_TCP && (z->flags & ZF_PARTIAL);
}

bool zeek_is_closed(const struct zeek_conn *z)
{
	return kind(z) == ZK_TCP &&
	       ((z->state[ORIG] | z->state[RESP]) & ST_DID_CLOSE);
}

bool zeek_is_close_complete(const struct zeek_conn *z)
{
	return kind(z) == ZK_TCP && (z->flags & ZF_CLOSE_COMPLETE);
}

bool zeek_is_attempt(const struct zeek_conn *z)
{
	return kind(z) == ZK_TCP &&
	       (st(z, ORIG) == ZEEK_SYN_SENT ||
		st(z, ORIG) == ZEEK_SYN_ACK_SENT) &&
	       st(z, RESP) == ZEEK_INACTIVE;
}

static bool in_handshake(unsigned s)
{
	return s == ZEEK_INACTIVE || s == ZEEK_SYN_SENT ||
	       s == ZEEK_SYN_ACK_SENT;
}

ws_time zeek_inactivity_timeout(const struct zeek_conn *z)
{
	static const ws_time timeout[] = {
		[ZK_OTHER] = ZEEK_UNKNOWN_IP_INACTIVITY_TIMEOUT,
		[ZK_TCP] = ZEEK_TCP_INACTIVITY_TIMEOUT,
		[ZK_UDP] = ZEEK_UDP_INACTIVITY_TIMEOUT,
		[ZK_ICMP] = ZEEK_ICMP_INACTIVITY_TIMEOUT,
	};

	/* TCP: udp_inactivity_timeout until an endpoint leaves the
	 * handshake (TCP.cc MakeSessionAdapter(), TCP_Endpoint::SetState()) */
	if (kind(z) == ZK_TCP && in_handshake(st(z, ORIG)) &&
	    in_handshake(st(z, RESP)))
		return ZEEK_UDP_INACTIVITY_TIMEOUT;
	return timeout[kind(z)];
}

/* main.zeek, conn_state(): RSTOS0 needs the history to match
 * /\^?S[^HAFGIQ]*R.* /: an optional flip, the originator's SYN, then its
 * RST with none of H A F G I Q before it. */
static bool rstos0_history(const struct zeek_conn *z)
{
	char h[ZEEK_HISTORY_BUFSIZE];
	const char *c = h;

	zeek_history(z, h, sizeof(h));
	if (*c == '^')
		c++;
	if (*c++ != 'S')
		return false;
	for (; *c && *c != 'R'; c++)
		if (strchr("HAFGIQ", *c))
			return false;
	return *c == 'R';
}

const char *zeek_conn_state(const struct zeek_conn *z)
{
	unsigned os, rs;
	bool o_inactive, r_inactive;

	switch (kind(z)) {
	case ZK_TCP:
		break;
	case ZK_UDP:
		/* UDP_ACTIVE once a side has sent a datagram */
		if (z->flags & ZF_SEEN_ORIG)
			return (z->flags & ZF_SEEN_RESP) ? "SF" : "S0";
		return (z->flags & ZF_SEEN_RESP) ? "SHR" : "OTH";
	default:
		return "OTH"; /* ICMP and other protocols */
	}

	os = st(z, ORIG);
	rs = st(z, RESP);
	o_inactive = os == ZEEK_INACTIVE || os == ZEEK_PARTIAL;
	r_inactive = rs == ZEEK_INACTIVE || rs == ZEEK_PARTIAL;

	if (rs == ZEEK_RESET) {
		if (os == ZEEK_SYN_SENT || os == ZEEK_SYN_ACK_SENT ||
		    (os == ZEEK_RESET && tcp_size(z, ORIG) == 0 &&
		     tcp_size(z, RESP) == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == ZEEK_RESET) {
		if (r_inactive)
			return rstos0_history(z) ? "RSTOS0" : "OTH";
		return "RSTO";
	}
	if (rs == ZEEK_CLOSED && os == ZEEK_CLOSED)
		return "SF";
	if (os == ZEEK_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == ZEEK_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == ZEEK_SYN_SENT && rs == ZEEK_INACTIVE)
		return "S0";
	if (os == ZEEK_ESTABLISHED && rs == ZEEK_ESTABLISHED)
		return "S1";
	return "OTH";
}

/* ICMP4_counterpart() and ICMP6_counterpart() in ICMP.cc. */
uint16_t zeek_icmp_counterpart(bool v6, uint8_t type, uint8_t code,
			       bool *one_way)
{
	static const uint8_t pairs4[][2] = {
		{8, 0},	  /* echo, echo reply */
		{13, 14}, /* timestamp */
		{15, 16}, /* information */
		{10, 9},  /* router solicitation, advertisement */
		{17, 18}, /* address mask */
	};
	static const uint8_t pairs6[][2] = {
		{128, 129}, /* echo request, reply */
		{133, 134}, /* router solicitation, advertisement */
		{135, 136}, /* neighbor solicitation, advertisement */
		{130, 131}, /* MLD query, report */
		{139, 140}, /* node information query, response */
		{144, 145}, /* home agent address discovery */
	};
	const uint8_t(*pairs)[2] = v6 ? pairs6 : pairs4;
	size_t n = v6 ? WS_ARRAY_SIZE(pairs6) : WS_ARRAY_SIZE(pairs4);

	*one_way = false;
	for (size_t i = 0; i < n; i++) {
		if (pairs[i][0] == type)
			return pairs[i][1];
		if (pairs[i][1] == type)
			return pairs[i][0];
	}
	*one_way = true;
	return code;
}

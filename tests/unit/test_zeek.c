/* test_zeek.c - Zeek's conn_state, history and sizes, packet by packet.
 *
 * Two hosts, A (10.0.0.1, initial sequence number 1000) and B (10.0.0.2,
 * 5000), exchange the segments of each case.  The harness plays the
 * caller: the first packet's sender starts as originator, every packet is
 * checked with zeek_is_reuse() (no case below starts a new connection)
 * and the roles are swapped whenever zeek_packet() says so.  Each case
 * names the Zeek definition it exercises; the expected values are worked
 * out from those definitions (main.zeek's conn_state() and history
 * table, TCPSessionAdapter.cc), not from running this code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "wirestat/zeek.h"

#define S TH_SYN
#define F TH_FIN
#define R TH_RST
#define P TH_PUSH
#define A TH_ACK

struct pkt {
	uint32_t seq, ack, len;
	unsigned repeat; /* sent this many times (0: once) */
	char from;	 /* 'A' or 'B' */
	uint8_t flags;	 /* TCP flags; ICMP: the message type */
	bool zwin;	 /* advertise a zero window */
	bool trunc;	 /* payload cut short by the snaplen */
};

/* A case: its packets, then what Zeek's definitions make of them. */
struct zcase {
	const char *name; /* the Zeek definition it exercises */
	struct pkt pkts[12];
	const char *history;
	const char *state;
	uint64_t orig_bytes, resp_bytes, missed;
	uint16_t port_a, port_b; /* 0: 40000 and 80 */
	uint8_t proto;		 /* 0: TCP */
	bool bcast;		 /* A's packets go to 255.255.255.255 */
	char orig;		 /* the originator at the end; 0: A */
};

/* One packet: sender, flags, seq, ack, payload length, then optional
 * .zwin, .trunc, .repeat. */
#define PK(f, fl, sq, ak, ln, ...)                                        \
	{                                                                 \
		.from = (f), .flags = (fl), .seq = (sq), .ack = (ak),     \
		.len = (ln), __VA_ARGS__                                  \
	}

/* The three-way handshake, A to B. */
#define HS                                                                \
	PK('A', S, 1000, 0, 0), PK('B', S | A, 5000, 1001, 0),            \
		PK('A', A, 1001, 5001, 0)

/* ---------------------------------------------------------------- */

struct run {
	struct zeek_conn z;
	char orig; /* the caller's originator */
};

static uint8_t proto_of(const struct zcase *c)
{
	return c->proto ? c->proto : IPPROTO_TCP;
}

static void mkpkt(struct decoded *d, const struct zcase *c,
		  const struct pkt *p)
{
	uint8_t proto = proto_of(c);
	uint16_t pa = c->port_a ? c->port_a : 40000;
	uint16_t pb = c->port_b ? c->port_b : 80;
	bool from_a = p->from == 'A';

	memset(d, 0, sizeof(*d));
	d->proto = proto;
	d->src.family = d->dst.family = ADDR_V4;
	d->src.bytes[0] = d->dst.bytes[0] = 10;
	d->src.bytes[3] = from_a ? 1 : 2;
	d->dst.bytes[3] = from_a ? 2 : 1;
	if (c->bcast && from_a)
		memset(d->dst.bytes, 0xff, 4);
	d->sport = from_a ? pa : pb;
	d->dport = from_a ? pb : pa;
	if (proto == IPPROTO_TCP) {
		d->tcp_flags = p->flags;
		d->seq = p->seq;
		d->ack = p->ack;
		d->window = p->zwin ? 0 : 1000;
		d->wscale = DECODE_NO_WSCALE;
	} else if (proto == IPPROTO_ICMP) {
		d->icmp_type = p->flags;
	}
	d->payload_len = p->len;
	d->payload_cap = p->trunc ? p->len / 2 : p->len;
	d->ip_len = 40 + p->len;
}

/* One packet as the caller sends it. */
static void send_one(struct run *r, const struct zcase *c, const struct pkt *p)
{
	struct decoded d;
	mkpkt(&d, c, p);
	if (!r->orig)
		r->orig = p->from;
	bool from_orig = p->from == r->orig;
	assert_false(zeek_is_reuse(&r->z, from_orig, &d));
	if (zeek_packet(&r->z, from_orig, &d))
		r->orig = r->orig == 'A' ? 'B' : 'A';
}

static void play(struct run *r, const struct zcase *c)
{
	memset(r, 0, sizeof(*r));
	zeek_init(&r->z, proto_of(c));
	for (size_t i = 0; i < WS_ARRAY_SIZE(c->pkts) && c->pkts[i].from; i++)
		for (unsigned n = 0; n < (c->pkts[i].repeat ? c->pkts[i].repeat
							      : 1);
		     n++)
			send_one(r, c, &c->pkts[i]);
}

static void check(const struct run *r, const struct zcase *c)
{
	char h[ZEEK_HISTORY_BUFSIZE];

	print_message("case: %s\n", c->name);
	zeek_history(&r->z, h, sizeof(h));
	assert_string_equal(h, c->history);
	assert_string_equal(zeek_conn_state(&r->z), c->state);
	assert_int_equal(zeek_bytes(&r->z, true), c->orig_bytes);
	assert_int_equal(zeek_bytes(&r->z, false), c->resp_bytes);
	assert_int_equal(zeek_missed_bytes(&r->z), c->missed);
	assert_int_equal(r->orig, c->orig ? c->orig : 'A');
}

/* ---------------------------------------------------------------- */

static const struct zcase cases[] = {
	/* conn_state, each value (main.zeek, conn_state()) */
	{.name = "S0: connection attempt seen, no reply",
	 .pkts = {PK('A', S, 1000, 0, 0)},
	 .history = "S", .state = "S0"},
	{.name = "S0: s only once for the same ISN, sent thrice",
	 .pkts = {PK('A', S, 1000, 0, 0, .repeat = 3)},
	 .history = "S", .state = "S0"},
	{.name = "REJ: responder RST while the originator is SYN_SENT",
	 .pkts = {PK('A', S, 1000, 0, 0), PK('B', R | A, 0, 1001, 0)},
	 .history = "Sr", .state = "REJ"},
	{.name = "REJ: both reset, no bytes either way",
	 .pkts = {PK('A', S, 1000, 0, 0),
		  PK('A', R, 1001, 0, 0),
		  PK('B', R | A, 0, 1001, 0)},
	 .history = "SRr", .state = "REJ"},
	{.name = "S1: established, not terminated",
	 .pkts = {HS},
	 .history = "ShA", .state = "S1"},
	{.name = "SF: normal establishment and termination; a, d once per side",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('B', A, 5001, 1101, 0),
		  PK('B', P | A, 5001, 1101, 200),
		  PK('A', A, 1101, 5201, 0),
		  PK('A', F | A, 1101, 5201, 0),
		  PK('B', F | A, 5201, 1102, 0),
		  PK('A', A, 1102, 5202, 0)},
	 .history = "ShADadFf", .state = "SF", .orig_bytes = 100,
	 .resp_bytes = 200},
	{.name = "S2: originator's close attempt, no reply",
	 .pkts = {HS, PK('A', F | A, 1001, 5001, 0)},
	 .history = "ShAF", .state = "S2"},
	{.name = "S3: responder's close attempt, no reply",
	 .pkts = {HS, PK('B', F | A, 5001, 1001, 0)},
	 .history = "ShAf", .state = "S3"},
	{.name = "RSTO: established, originator aborted",
	 .pkts = {HS, PK('A', R | A, 1001, 5001, 0)},
	 .history = "ShAR", .state = "RSTO"},
	{.name = "RSTR: responder sent a RST",
	 .pkts = {HS, PK('B', R, 5001, 0, 0)},
	 .history = "ShAr", .state = "RSTR"},
	{.name = "RSTR, not REJ: both reset but bytes were sent",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('A', R | A, 1101, 5001, 0),
		  PK('B', R, 5001, 0, 0)},
	 .history = "ShADRr", .state = "RSTR", .orig_bytes = 100},
	{.name = "RSTOS0: SYN then RST from the originator, no SYN-ACK",
	 .pkts = {PK('A', S, 1000, 0, 0), PK('A', R, 1001, 0, 0)},
	 .history = "SR", .state = "RSTOS0"},
	{.name = "OTH: a lone RST fails RSTOS0's /^?S[^HAFGIQ]*R.*/",
	 .pkts = {PK('A', R, 1000, 0, 0)},
	 .history = "R", .state = "OTH"},
	{.name = "RSTRH: SYN-ACK then RST, no SYN; first packet flipped (^)",
	 .pkts = {PK('B', S | A, 5000, 1001, 0), PK('B', R, 5001, 0, 0)},
	 .history = "^hr", .state = "RSTRH"},
	{.name = "SH: SYN then FIN from the originator, no SYN-ACK",
	 .pkts = {PK('A', S, 1000, 0, 0), PK('A', F, 1001, 0, 0)},
	 .history = "SF", .state = "SH"},
	{.name = "SHR: SYN-ACK then FIN from the responder, no SYN",
	 .pkts = {PK('B', S | A, 5000, 1001, 0), PK('B', F | A, 5001, 1001, 0)},
	 .history = "^hf", .state = "SHR"},
	{.name = "OTH: midstream traffic, both endpoints TCP_PARTIAL",
	 .pkts = {PK('A', P | A, 1001, 5001, 100), PK('B', A, 5001, 1101, 0)},
	 .history = "Da", .state = "OTH", .orig_bytes = 100},

	/* history letters (main.zeek's table, update_history()) */
	{.name = "q once: SYN+FIN (multi-flag) twice from the responder",
	 .pkts = {PK('A', S, 1000, 0, 0),
		  PK('B', S | F | A, 5000, 1001, 0, .repeat = 2)},
	 .history = "Sq", .state = "S3"},
	{.name = "Q: SYN+FIN from the originator",
	 .pkts = {PK('A', S | F, 1000, 0, 0)},
	 .history = "Q", .state = "SH"},
	{.name = "I once: FIN+RST (inconsistent) twice",
	 .pkts = {HS, PK('A', F | R | A, 1001, 5001, 0, .repeat = 2)},
	 .history = "ShAI", .state = "RSTO"},
	{.name = "i once: FIN+RST twice from the responder",
	 .pkts = {HS, PK('B', F | R | A, 5001, 1001, 0, .repeat = 2)},
	 .history = "ShAi", .state = "RSTR"},
	{.name = "F repeats only when the FIN's sequence number moves",
	 .pkts = {HS,
		  PK('A', F | A, 1001, 5001, 0, .repeat = 2),
		  PK('A', F | P | A, 1001, 5001, 10)},
	 .history = "ShAFF", .state = "S2", .orig_bytes = 10},
	{.name = "f: same and different FIN sequence numbers",
	 .pkts = {HS,
		  PK('B', F | A, 5001, 1001, 0, .repeat = 2),
		  PK('B', F | P | A, 5001, 1001, 5)},
	 .history = "ShAff", .state = "S3", .resp_bytes = 5},
	{.name = "R repeats only with a new sequence number",
	 .pkts = {HS,
		  PK('A', R, 1001, 0, 0, .repeat = 2),
		  PK('A', R, 1002, 0, 0)},
	 .history = "ShARR", .state = "RSTO"},
	{.name = "r: same and different RST sequence numbers",
	 .pkts = {HS,
		  PK('B', R, 5001, 0, 0, .repeat = 2),
		  PK('B', R, 5002, 0, 0)},
	 .history = "ShArr", .state = "RSTR"},
	/* the RST one past the FIN advances last_seq (update_last_seq()
	 * trusts a RST while the sender is not TCP_RESET): 1 byte */
	{.name = "R after both FINs: the close stays SF",
	 .pkts = {HS,
		  PK('A', F | A, 1001, 5001, 0),
		  PK('B', F | A, 5001, 1002, 0),
		  PK('A', R, 1002, 0, 0, .repeat = 2),
		  PK('A', R, 1003, 0, 0)},
	 .history = "ShAFfRR", .state = "SF", .orig_bytes = 1},
	{.name = "h: same ISN again (no h), a new ISN after its RST (h)",
	 .pkts = {PK('A', S, 1000, 0, 0),
		  PK('B', S | A, 5000, 1001, 0, .repeat = 2),
		  PK('B', R, 5001, 0, 0),
		  PK('B', S | A, 7000, 1001, 0)},
	 .history = "Shrh", .state = "RSTR"},
	{.name = "H, s, ^: a SYN-ACK seen before its SYN (reversal)",
	 .pkts = {PK('B', S | A, 5000, 1001, 0),
		  PK('A', S, 1000, 0, 0),
		  PK('A', A, 1001, 5001, 0)},
	 .history = "Hs^A", .state = "S1", .port_a = 40000, .port_b = 50000},
	{.name = "T: payload that does not advance last_seq",
	 .pkts = {HS, PK('A', P | A, 1001, 5001, 100, .repeat = 2)},
	 .history = "ShADT", .state = "S1", .orig_bytes = 100},
	{.name = "T: an out-of-order segment counts as retransmitted, no gap",
	 .pkts = {HS,
		  PK('A', P | A, 1101, 5001, 100),
		  PK('A', P | A, 1001, 5001, 100),
		  PK('B', A, 5001, 1201, 0)},
	 .history = "ShADTa", .state = "S1", .orig_bytes = 200},
	{.name = "W: zero window, even on a FIN",
	 .pkts = {HS, PK('A', F | A, 1001, 5001, 0, .zwin = true)},
	 .history = "ShAFW", .state = "S2"},
	{.name = "no w: a zero window after the peer's FIN",
	 .pkts = {HS,
		  PK('A', F | A, 1001, 5001, 0),
		  PK('B', A, 5001, 1002, 0, .zwin = true)},
	 .history = "ShAFa", .state = "S2"},
	{.name = "t, w: the responder retransmits, then closes its window",
	 .pkts = {HS,
		  PK('B', P | A, 5001, 1001, 50, .repeat = 2),
		  PK('B', A, 5051, 1001, 0, .zwin = true)},
	 .history = "ShAdtaw", .state = "S1", .resp_bytes = 50},
	{.name = "no w: a zero window on a RST",
	 .pkts = {HS, PK('B', R | A, 5001, 1001, 0, .zwin = true)},
	 .history = "ShAr", .state = "RSTR"},

	/* content gaps: g and missed_bytes (TCP_Reassembler) */
	{.name = "G: a hole in the originator's data, acknowledged",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('A', P | A, 1201, 5001, 100),
		  PK('B', A, 5001, 1301, 0)},
	 .history = "ShADaG", .state = "S1", .orig_bytes = 300,
	 .missed = 100},
	{.name = "g: a hole in the responder's data",
	 .pkts = {HS,
		  PK('B', P | A, 5001, 1001, 50),
		  PK('B', P | A, 5101, 1001, 50),
		  PK('A', A, 1001, 5151, 0)},
	 .history = "ShAdg", .state = "S1", .resp_bytes = 150, .missed = 50},
	{.name = "G: acked beyond the last byte seen; size follows",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('B', A, 5001, 1201, 0)},
	 .history = "ShADaG", .state = "S1", .orig_bytes = 200,
	 .missed = 100},
	{.name = "G: a payload cut by the snaplen was not seen",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100, .trunc = true),
		  PK('B', A, 5001, 1101, 0)},
	 .history = "ShADaG", .state = "S1", .orig_bytes = 100,
	 .missed = 100},
	{.name = "no gap: the retransmission filled the hole before the ACK",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('A', P | A, 1201, 5001, 100),
		  PK('A', P | A, 1101, 5001, 100),
		  PK('B', A, 5001, 1301, 0)},
	 .history = "ShADTa", .state = "S1", .orig_bytes = 300},
	{.name = "two ACKs across one hole count it once",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('A', P | A, 1201, 5001, 100),
		  PK('B', A, 5001, 1151, 0),
		  PK('B', A, 5001, 1301, 0)},
	 .history = "ShADaG", .state = "S1", .orig_bytes = 300,
	 .missed = 100},
	{.name = "no gap reported for a partial connection",
	 .pkts = {PK('A', P | A, 1001, 5001, 100),
		  PK('A', P | A, 1201, 5001, 100),
		  PK('B', A, 5001, 1301, 0)},
	 .history = "Da", .state = "OTH", .orig_bytes = 300},
	{.name = "no gap from a RST's acknowledgment",
	 .pkts = {HS,
		  PK('A', P | A, 1001, 5001, 100),
		  PK('A', P | A, 1201, 5001, 100),
		  PK('B', R | A, 5001, 1301, 0)},
	 .history = "ShADr", .state = "RSTR", .orig_bytes = 300},

	/* role flips (TCP.cc and UDP.cc WantConnection(), FlipRoles()) */
	{.name = "^: midstream data from a likely server port",
	 .pkts = {PK('B', P | A, 5001, 1001, 50), PK('A', A, 1001, 5051, 0)},
	 .history = "^dA", .state = "OTH", .resp_bytes = 50},
	{.name = "^: both ports likely servers, data from the lower",
	 .pkts = {PK('B', P | A, 5001, 1001, 50)},
	 .history = "^d", .state = "OTH", .resp_bytes = 50, .port_a = 443,
	 .port_b = 80},
	{.name = "no ^: both ports likely servers, data from the higher",
	 .pkts = {PK('A', P | A, 1001, 5001, 50)},
	 .history = "D", .state = "OTH", .orig_bytes = 50, .port_a = 443,
	 .port_b = 80},
	{.name = "no ^: a SYN-ACK when both ports are likely (stealth scans)",
	 .pkts = {PK('B', S | A, 5000, 1001, 0)},
	 .history = "H", .state = "OTH", .orig = 'B', .port_a = 443,
	 .port_b = 80},
	{.name = "no ^: a pure SYN from a server port",
	 .pkts = {PK('B', S, 5000, 0, 0)},
	 .history = "S", .state = "S0", .orig = 'B'},
	{.name = "^ UDP: a reply from port 53 seen alone (SHR)",
	 .pkts = {PK('B', 0, 0, 0, 120)},
	 .history = "^d", .state = "SHR", .resp_bytes = 120,
	 .proto = IPPROTO_UDP, .port_a = 40000, .port_b = 53},
	{.name = "no ^ UDP: DHCP from 67 to the broadcast address",
	 .pkts = {PK('A', 0, 0, 0, 300)},
	 .history = "D", .state = "S0", .orig_bytes = 300,
	 .proto = IPPROTO_UDP, .port_a = 67, .port_b = 68, .bcast = true},

	/* UDP and ICMP (UDP.cc, ICMP.cc; conn_state()'s UDP and other
	 * branches) */
	{.name = "UDP SF: D and d once, payload bytes summed",
	 .pkts = {PK('A', 0, 0, 0, 20),
		  PK('A', 0, 0, 0, 30),
		  PK('B', 0, 0, 0, 100)},
	 .history = "Dd", .state = "SF", .orig_bytes = 50, .resp_bytes = 100,
	 .proto = IPPROTO_UDP, .port_a = 40000, .port_b = 53},
	{.name = "UDP S0: the originator alone, an empty datagram counts",
	 .pkts = {PK('A', 0, 0, 0, 0)},
	 .history = "D", .state = "S0", .proto = IPPROTO_UDP,
	 .port_a = 40000, .port_b = 9999},
	{.name = "ICMP: always OTH, no history, bytes after the 8-byte header",
	 .pkts = {PK('A', 8, 0, 0, 56), PK('B', 0, 0, 0, 56)},
	 .history = "", .state = "OTH", .orig_bytes = 56, .resp_bytes = 56,
	 .proto = IPPROTO_ICMP},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++) {
		struct run r;
		play(&r, &cases[i]);
		check(&r, &cases[i]);
	}
}

/* ---------------------------------------------------------------- */
/* c, g, t, w are logarithmic: the 1st, 10th, 100th ... event. */

enum logkind { LOG_T, LOG_W, LOG_G };

static void log_run(struct run *r, enum logkind k, unsigned n)
{
	static const struct zcase c = {
		.name = "log",
		.pkts = {HS},
	};
	play(r, &c);
	for (unsigned i = 0; i < n; i++) {
		struct pkt p = {0};
		switch (k) {
		case LOG_T: /* the same 100 bytes again and again */
			p = (struct pkt)PK('A', P | A, 1001, 5001, 100);
			send_one(r, &c, &p);
			break;
		case LOG_W: /* a zero window advertised again */
			p = (struct pkt)PK('B', A, 5001, 1001, 0, .zwin = true);
			send_one(r, &c, &p);
			break;
		case LOG_G: /* every other 100 bytes missing, then acked */
			p = (struct pkt)PK('A', P | A, 1101 + 200 * i, 5001,
					   100);
			send_one(r, &c, &p);
			p = (struct pkt)PK('B', A, 5001, 1201 + 200 * i, 0);
			send_one(r, &c, &p);
			break;
		}
	}
}

static void test_logarithmic(void **state)
{
	(void)state;
	static const struct {
		enum logkind k;
		unsigned n;
		const char *history;
	} t[] = {
		/* the first packet is data (D), its repeats are T */
		{LOG_T, 2, "ShADT"},
		{LOG_T, 10, "ShADT"},
		{LOG_T, 11, "ShADTT"},
		{LOG_T, 101, "ShADTTT"},
		/* documented difference: the 8-bit count stops at 255, so
		 * the 1000th retransmission adds no fourth T (Zeek's does) */
		{LOG_T, 1001, "ShADTTT"},
		{LOG_W, 1, "ShAaw"},
		{LOG_W, 9, "ShAaw"},
		{LOG_W, 10, "ShAaww"},
		{LOG_W, 100, "ShAawww"},
		{LOG_G, 1, "ShADaG"},
		{LOG_G, 10, "ShADaGG"},
		{LOG_G, 100, "ShADaGGG"},
	};
	for (size_t i = 0; i < WS_ARRAY_SIZE(t); i++) {
		struct run r;
		char h[ZEEK_HISTORY_BUFSIZE];
		log_run(&r, t[i].k, t[i].n);
		zeek_history(&r.z, h, sizeof(h));
		print_message("log case %zu\n", i);
		assert_string_equal(h, t[i].history);
		if (t[i].k == LOG_G)
			assert_int_equal(zeek_missed_bytes(&r.z), 100 * t[i].n);
		else
			assert_int_equal(zeek_missed_bytes(&r.z), 0);
	}
}

/* Every letter wirestat can record appears in some case above; c never
 * does: a bad checksum is the only source (TCP_Endpoint::
 * ChecksumError(), UDPSessionAdapter::HandleBadChecksum()) and wirestat
 * does not verify checksums. */
static void test_alphabet(void **state)
{
	(void)state;
	char seen[256] = {0};
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++)
		for (const char *c = cases[i].history; *c; c++)
			seen[(unsigned char)*c] = 1;
	for (const char *c = "SHADFRGTWIQshadfrgtwiq^"; *c; c++) {
		print_message("letter %c\n", *c);
		assert_true(seen[(unsigned char)*c]);
	}
	assert_false(seen['c'] || seen['C']);
}

/* The history keeps 22 letters, then 'x'. */
static void test_history_limit(void **state)
{
	(void)state;
	static const struct zcase c = {
		.name = "x",
		.pkts = {HS},
	};
	struct run r;
	char h[64];

	play(&r, &c);
	for (uint32_t i = 0; i < 30; i++) {
		struct pkt p = PK('B', R, 5001 + i, 0, 0);
		send_one(&r, &c, &p);
	}
	char want[64] = "ShA";
	for (size_t i = 3; i < ZEEK_HISTORY_MAX; i++)
		want[i] = 'r';
	want[ZEEK_HISTORY_MAX] = 'x';
	want[ZEEK_HISTORY_MAX + 1] = '\0';
	assert_int_equal(zeek_history(&r.z, h, sizeof(h)),
			 ZEEK_HISTORY_MAX + 1);
	assert_string_equal(h, want);
	assert_string_equal(zeek_conn_state(&r.z), "RSTR");

	/* cut to the buffer, still terminated */
	char small[4];
	assert_int_equal(zeek_history(&r.z, small, sizeof(small)), 23);
	assert_string_equal(small, "ShA");
}

/* ---------------------------------------------------------------- */
/* Connection boundaries: TCPSessionAdapter::IsReuse(). */

static bool reuse_after(const struct pkt *before, size_t n,
			const struct pkt *next, uint8_t proto)
{
	/* ports no heuristic flips on */
	struct zcase c = {
		.name = "reuse",
		.proto = proto, .port_a = 40000, .port_b = 50000,
	};
	struct run r;
	struct decoded d;

	memcpy(c.pkts, before, n * sizeof(*before));
	play(&r, &c);
	mkpkt(&d, &c, next);
	return zeek_is_reuse(&r.z, next->from == r.orig, &d);
}

static void test_reuse(void **state)
{
	(void)state;
	static const struct pkt syn = PK('A', S, 1000, 0, 0);
	static const struct pkt sf[] = {
		HS,
		PK('A', F | A, 1001, 5001, 0),
		PK('B', F | A, 5001, 1002, 0),
		PK('A', A, 1002, 5002, 0),
	};
	static const struct pkt rsto[] = {HS, PK('A', R, 1001, 0, 0)};
	static const struct pkt synack_first[] = {
		PK('B', S | A, 5000, 1001, 0)};
	static const struct pkt new_syn = PK('A', S, 9000, 0, 0);
	static const struct pkt resp_syn = PK('B', S, 5000, 0, 0);
	static const struct pkt synack = PK('B', S | A, 5000, 1001, 0);
	static const struct pkt data = PK('A', P | A, 1001, 5001, 10);

	/* a retransmitted SYN is the same attempt */
	assert_false(reuse_after(&syn, 1, &syn, IPPROTO_TCP));
	/* a SYN with a new ISN while SYN_SENT: a new connection
	 * ("SYN_seq_jump"), so s never repeats within one record */
	assert_true(reuse_after(&syn, 1, &new_syn, IPPROTO_TCP));
	/* a SYN after the close, even with the old ISN */
	assert_true(reuse_after(sf, WS_ARRAY_SIZE(sf), &syn, IPPROTO_TCP));
	assert_true(reuse_after(sf, WS_ARRAY_SIZE(sf), &new_syn, IPPROTO_TCP));
	/* a SYN after a RST */
	assert_true(reuse_after(rsto, WS_ARRAY_SIZE(rsto), &new_syn,
				IPPROTO_TCP));
	/* the responder's own SYN on a live connection (simultaneous
	 * open): "active_connection_reuse" */
	assert_true(reuse_after(&syn, 1, &resp_syn, IPPROTO_TCP));
	/* SYN-ACKs and non-SYN segments never start a connection while
	 * the originator has spoken */
	assert_false(reuse_after(&syn, 1, &synack, IPPROTO_TCP));
	assert_false(reuse_after(sf, WS_ARRAY_SIZE(sf), &data, IPPROTO_TCP));
	/* the SYN answering an earlier SYN-ACK is the reversal, flipped by
	 * zeek_packet() rather than a new connection */
	assert_false(reuse_after(synack_first, 1, &syn, IPPROTO_TCP));
	/* UDP and ICMP connections end by inactivity only */
	static const struct pkt dgram = PK('A', 0, 0, 0, 10);
	assert_false(reuse_after(&dgram, 1, &dgram, IPPROTO_UDP));
}

/* After a reuse the caller starts over: the new SYN makes a new S0. */
static void test_reuse_restart(void **state)
{
	(void)state;
	static const struct zcase c = {
		.name = "restart",
		.pkts = {HS, PK('A', R, 1001, 0, 0)},
	};
	struct run r;
	struct decoded d;
	char h[ZEEK_HISTORY_BUFSIZE];
	struct pkt syn = PK('A', S, 9000, 0, 0);

	play(&r, &c);
	assert_string_equal(zeek_conn_state(&r.z), "RSTO");
	mkpkt(&d, &c, &syn);
	assert_true(zeek_is_reuse(&r.z, true, &d));
	zeek_init(&r.z, IPPROTO_TCP);
	assert_false(zeek_packet(&r.z, true, &d));
	zeek_history(&r.z, h, sizeof(h));
	assert_string_equal(h, "S");
	assert_string_equal(zeek_conn_state(&r.z), "S0");
}

/* ---------------------------------------------------------------- */

/* A caller that thinks the first packet's receiver originates is told
 * to swap, without a '^' (Zeek's rule: the sender originates). */
static void test_first_packet_roles(void **state)
{
	(void)state;
	static const struct zcase c = {
		.name = "roles",
	};
	struct zeek_conn z;
	struct decoded d;
	char h[ZEEK_HISTORY_BUFSIZE];
	struct pkt syn = PK('A', S, 1000, 0, 0);
	struct pkt synack = PK('B', S | A, 5000, 1001, 0);

	mkpkt(&d, &c, &syn);
	zeek_init(&z, IPPROTO_TCP);
	assert_true(zeek_packet(&z, false, &d));
	zeek_history(&z, h, sizeof(h));
	assert_string_equal(h, "S");

	/* and one whose view matches Zeek's flip is told nothing */
	mkpkt(&d, &c, &synack);
	zeek_init(&z, IPPROTO_TCP);
	assert_false(zeek_packet(&z, false, &d));
	zeek_history(&z, h, sizeof(h));
	assert_string_equal(h, "^h");
}

/* Sizes across a sequence-number wrap (TCP_Endpoint::UpdateLastSeq()). */
static void test_seq_wrap(void **state)
{
	(void)state;
	static const struct zcase c = {
		.name = "wrap",
		.pkts = {PK('A', S, 0xfffffff0u, 0, 0),
			 PK('B', S | A, 5000, 0xfffffff1u, 0),
			 PK('A', A, 0xfffffff1u, 5001, 0),
			 PK('A', P | A, 0xfffffff1u, 5001, 100),
			 PK('A', P | A, 0x55u, 5001, 100),
			 PK('B', A, 5001, 0xb9u, 0)},
		.history = "ShADa", .state = "S1", .orig_bytes = 200,
	};
	struct run r;
	play(&r, &c);
	check(&r, &c);
}

/* Three gigabytes one way, every payload cut by the snaplen and nothing
 * acknowledged (a one-sided capture): the size still follows last_seq. */
static void test_one_sided_truncated(void **state)
{
	(void)state;
	static const struct zcase c = {
		.name = "one-sided",
		.pkts = {PK('A', S, 1000, 0, 0),
			 PK('A', A, 1001, 0, 1500000000u, .trunc = true),
			 PK('A', A, 1500001001u, 0, 1500000000u, .trunc = true)},
		.history = "SD", .state = "S0", .orig_bytes = 3000000000u,
	};
	struct run r;
	play(&r, &c);
	check(&r, &c);
}

/* Endpoint states, partial, close and timers. */
static void test_states_and_timers(void **state)
{
	(void)state;
	static const struct zcase attempt = {
		.name = "attempt",
		.pkts = {PK('A', S, 1000, 0, 0)},
	};
	static const struct zcase est = {
		.name = "est",
		.pkts = {HS},
	};
	static const struct zcase half = {
		.name = "half",
		.pkts = {HS, PK('A', F | A, 1001, 5001, 0)},
	};
	static const struct zcase sf = {
		.name = "sf",
		.pkts = {HS,
			 PK('A', F | A, 1001, 5001, 0),
			 PK('B', F | A, 5001, 1002, 0)},
	};
	static const struct zcase mid = {
		.name = "mid",
		.pkts = {PK('A', P | A, 1001, 5001, 10)},
	};
	static const struct zcase udp = {
		.name = "udp",
		.pkts = {PK('A', 0, 0, 0, 10)},
		.proto = IPPROTO_UDP,
	};
	struct run r;

	play(&r, &attempt);
	assert_true(zeek_is_attempt(&r.z));
	assert_false(zeek_is_partial(&r.z));
	assert_int_equal(zeek_endpoint_state(&r.z, true), ZEEK_SYN_SENT);
	assert_int_equal(zeek_endpoint_state(&r.z, false), ZEEK_INACTIVE);
	assert_int_equal(zeek_inactivity_timeout(&r.z),
			 ZEEK_UDP_INACTIVITY_TIMEOUT);

	play(&r, &est);
	assert_false(zeek_is_attempt(&r.z));
	assert_int_equal(zeek_endpoint_state(&r.z, true), ZEEK_ESTABLISHED);
	assert_string_equal(zeek_ep_state_names[zeek_endpoint_state(&r.z,
								    false)],
			    "TCP_ESTABLISHED");
	assert_int_equal(zeek_inactivity_timeout(&r.z),
			 ZEEK_TCP_INACTIVITY_TIMEOUT);
	assert_false(zeek_is_closed(&r.z));

	play(&r, &half);
	assert_true(zeek_is_closed(&r.z));
	assert_false(zeek_is_close_complete(&r.z));

	play(&r, &sf);
	assert_true(zeek_is_close_complete(&r.z));

	play(&r, &mid);
	assert_true(zeek_is_partial(&r.z));
	assert_int_equal(zeek_endpoint_state(&r.z, true), ZEEK_PARTIAL);
	assert_int_equal(zeek_inactivity_timeout(&r.z),
			 ZEEK_TCP_INACTIVITY_TIMEOUT);

	play(&r, &udp);
	assert_int_equal(zeek_endpoint_state(&r.z, true), ZEEK_UDP_ACTIVE);
	assert_int_equal(zeek_endpoint_state(&r.z, false), ZEEK_UDP_INACTIVE);
	assert_int_equal(zeek_inactivity_timeout(&r.z),
			 ZEEK_UDP_INACTIVITY_TIMEOUT);

	/* nothing seen: OTH for UDP too */
	zeek_init(&r.z, IPPROTO_UDP);
	assert_string_equal(zeek_conn_state(&r.z), "OTH");
}

static void test_helpers(void **state)
{
	(void)state;
	bool one_way;

	assert_int_equal(sizeof(struct zeek_conn), 64);

	assert_true(zeek_likely_server_port(IPPROTO_TCP, 443));
	assert_true(zeek_likely_server_port(IPPROTO_TCP, 22));
	assert_false(zeek_likely_server_port(IPPROTO_TCP, 40000));
	assert_true(zeek_likely_server_port(IPPROTO_UDP, 53));
	assert_false(zeek_likely_server_port(IPPROTO_UDP, 22));
	assert_false(zeek_likely_server_port(IPPROTO_ICMP, 8));

	assert_int_equal(zeek_icmp_counterpart(false, 8, 0, &one_way), 0);
	assert_false(one_way);
	assert_int_equal(zeek_icmp_counterpart(false, 0, 0, &one_way), 8);
	assert_int_equal(zeek_icmp_counterpart(false, 3, 3, &one_way), 3);
	assert_true(one_way);
	assert_int_equal(zeek_icmp_counterpart(true, 128, 0, &one_way), 129);
	assert_int_equal(zeek_icmp_counterpart(true, 136, 0, &one_way), 135);
	assert_int_equal(zeek_icmp_counterpart(true, 1, 4, &one_way), 4);
	assert_true(one_way);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_logarithmic),
		cmocka_unit_test(test_alphabet),
		cmocka_unit_test(test_history_limit),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_reuse_restart),
		cmocka_unit_test(test_first_packet_roles),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_one_sided_truncated),
		cmocka_unit_test(test_states_and_timers),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* zeek.h - a connection seen as Zeek's conn.log would record it.
 *
 * Fed one decoded packet at a time, this module keeps Zeek's view of one
 * connection: each endpoint's Zeek state (TCP_INACTIVE .. TCP_RESET,
 * UDP_INACTIVE/UDP_ACTIVE), the history letters, the sizes Zeek takes
 * from sequence numbers, the bytes missed in content gaps, and when Zeek
 * would swap originator and responder.  From those, zeek_conn_state()
 * gives conn_state exactly as Zeek's conn_state() does.  It is pure: no
 * I/O, no allocation, no clock; the caller owns roles, times and records.
 *
 * Sources (github.com/zeek/zeek), cited next to each rule in zeek.c:
 *   scripts/base/protocols/conn/main.zeek        conn_state(), history
 *   src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc
 *                                                Process(), Update*State(),
 *                                                IsReuse(), FlipRoles()
 *   src/packet_analysis/protocol/tcp/TCP.cc      WantConnection()
 *   src/analyzer/protocol/tcp/TCP_Endpoint.cc    Size(), DidRxmit() ...
 *   src/analyzer/protocol/tcp/TCP_Reassembler.cc AckReceived(), Gap()
 *   src/packet_analysis/protocol/udp/UDP.cc      DeliverPacket()
 *   src/packet_analysis/protocol/icmp/ICMP.cc    counterparts, sizes
 *   src/Conn.cc, src/session/Session.h           history, FlipRoles()
 *
 * How the caller uses it, per connection (Zeek's IPBasedAnalyzer::
 * AnalyzePacket() order):
 *   1. zeek_init(z, proto) when the flow is created;
 *   2. for every later packet, zeek_is_reuse() first: true means Zeek ends
 *      this connection here and starts a new one with this packet (log
 *      the old record, zeek_init() again, the sender becomes originator);
 *   3. zeek_packet(); when it returns true, swap originator and responder
 *      before the next packet (from_orig is always in the caller's roles).
 */
#ifndef WIRESTAT_ZEEK_H
#define WIRESTAT_ZEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/common.h"
#include "wirestat/decode.h"

/* Zeek's timers (scripts/base/init-bare.zeek, defaults, all &redef).
 * - A TCP connection starts with udp_inactivity_timeout (TCP.cc,
 *   MakeSessionAdapter()) and switches to tcp_inactivity_timeout when an
 *   endpoint first leaves the handshake states (TCP_Endpoint::SetState());
 *   zeek_inactivity_timeout() says which one applies now.
 * - tcp_attempt_delay: an initial SYN arms AttemptTimer(); if, this long
 *   after that SYN, the originator is still SYN_SENT/SYN_ACK_SENT and the
 *   responder INACTIVE, the connection ends (conn_state S0).  A SYN
 *   retransmitted later starts a new connection.  See zeek_is_attempt().
 * - tcp_close_delay: once a close is complete (zeek_is_close_complete()),
 *   the connection is removed this long after its last packet (Zeek's
 *   LastTime(), which stops advancing once both sides have closed).
 * - tcp_reset_delay: a RST after a FIN (UpdateClosedState()) ends the
 *   connection this long after it.
 * - tcp_connection_linger, tcp_session_timer, tcp_partial_close_delay:
 *   ExpireTimer() and PartialCloseTimer() tidy half-closed connections.
 * - base/protocols/conn/inactivity.zeek raises the inactivity timeout to
 *   1 hour for connections established to 21, 22, 23 or 513/tcp, and for
 *   confirmed SSH and FTP (port_inactivity_timeouts,
 *   analyzer_inactivity_timeouts): ZEEK_INTERACTIVE_INACTIVITY_TIMEOUT. */
#define ZEEK_TCP_INACTIVITY_TIMEOUT WS_SEC(300)	      /* 5 min */
#define ZEEK_UDP_INACTIVITY_TIMEOUT WS_SEC(60)	      /* 1 min */
#define ZEEK_ICMP_INACTIVITY_TIMEOUT WS_SEC(60)	      /* 1 min */
#define ZEEK_UNKNOWN_IP_INACTIVITY_TIMEOUT WS_SEC(60) /* 1 min */
#define ZEEK_INTERACTIVE_INACTIVITY_TIMEOUT WS_SEC(3600)
#define ZEEK_TCP_SYN_TIMEOUT WS_SEC(5)	       /* first ExpireTimer() */
#define ZEEK_TCP_SESSION_TIMER WS_SEC(6)
#define ZEEK_TCP_CONNECTION_LINGER WS_SEC(5)
#define ZEEK_TCP_ATTEMPT_DELAY WS_SEC(5)
#define ZEEK_TCP_CLOSE_DELAY WS_SEC(5)
#define ZEEK_TCP_RESET_DELAY WS_SEC(5)
#define ZEEK_TCP_PARTIAL_CLOSE_DELAY WS_SEC(3)

/* Endpoint states, with Zeek's values (init-bare.zeek: TCP_INACTIVE = 0
 * .. TCP_RESET = 6; UDP_INACTIVE = 0, UDP_ACTIVE = 1). */
enum zeek_ep_state {
	ZEEK_INACTIVE,	   /* nothing seen from this side */
	ZEEK_SYN_SENT,	   /* SYN seen, no ACK */
	ZEEK_SYN_ACK_SENT, /* SYN-ACK seen, no initial SYN */
	ZEEK_PARTIAL,	   /* data seen, no SYN */
	ZEEK_ESTABLISHED,  /* handshake completed */
	ZEEK_CLOSED,	   /* FIN seen */
	ZEEK_RESET,	   /* RST seen */
	ZEEK_EP_STATE_MAX
};

#define ZEEK_UDP_INACTIVE 0
#define ZEEK_UDP_ACTIVE 1

/* "TCP_INACTIVE" .. "TCP_RESET". */
extern const char *const zeek_ep_state_names[ZEEK_EP_STATE_MAX];

/* Longest history kept: 22 letters, then 'x' ("connection analysis
 * partial (e.g. limits exceeded)", main.zeek) and nothing more.  Zeek's
 * own history has no limit. */
#define ZEEK_HISTORY_MAX 22
/* Buffer size that always holds zeek_history()'s result. */
#define ZEEK_HISTORY_BUFSIZE (ZEEK_HISTORY_MAX + 2)

/* One connection, 64 bytes (checked in zeek.c).  Index 0 is the
 * originator, 1 the responder, in Zeek's roles.
 *
 *   off size
 *     0  32  u.seq (TCP) per endpoint, absolute sequence numbers:
 *              start  Zeek's start_seq
 *              last   Zeek's last_seq (one past the highest sent)
 *              acked  data delivered or acknowledged up to (stands in for
 *                     Zeek's ack_seq and its reassembler's last_reassem)
 *              above  first byte seen above a hole (== acked: no hole);
 *                     once the endpoint is TCP_RESET, the relative
 *                     sequence number of its last RST (hist_last_RST)
 *            u.bytes (UDP, ICMP) payload bytes per side
 *    32   4  missed: bytes in content gaps (both directions)
 *    36   2  hist_seen: Zeek's once-only letters, 7 bits per side
 *    38   2  state: state | prev_state << 3 | FIN seen | closed reported
 *    40   2  wraps: times each endpoint's last_seq wrapped
 *    42   6  rxmit, win0, gaps: counts for the t, w, g letters (saturate
 *            at 255: letters at the 1st, 10th and 100th)
 *    48   1  flags: protocol kind, partial, first packet seen per side
 *    49  15  hist: 5-bit length, then 5-bit letter codes
 */
struct zeek_conn {
	union {
		struct {
			uint32_t start[2], last[2], acked[2], above[2];
		} seq;
		uint64_t bytes[2];
	} u;
	uint32_t missed;
	uint16_t hist_seen;
	uint8_t state[2];
	uint8_t wraps[2];
	uint8_t rxmit[2], win0[2], gaps[2];
	uint8_t flags;
	uint8_t hist[15];
};

/* Start the Zeek view of a connection of IP protocol proto (IPPROTO_TCP,
 * IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 or other). */
void zeek_init(struct zeek_conn *z, uint8_t proto);

/* Account one packet sent by the originator (from_orig) or the responder,
 * in the caller's current roles.  Returns true when Zeek swaps the roles
 * with this packet ('^' is then in the history): the caller swaps its
 * originator and responder before the next packet.  On the first packet
 * the result also covers a caller whose from_orig disagrees with Zeek's
 * rule that the first packet's sender originates. */
bool zeek_packet(struct zeek_conn *z, bool from_orig, const struct decoded *d);

/* Whether this packet, on an existing connection, makes Zeek end it and
 * start a new one (TCPSessionAdapter::IsReuse()).  Only a TCP SYN can;
 * UDP and ICMP connections end by inactivity alone. */
bool zeek_is_reuse(const struct zeek_conn *z, bool from_orig,
		   const struct decoded *d);

/* conn_state as Zeek's conn_state() in main.zeek: "S0", "S1", "SF",
 * "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR" or
 * "OTH". */
const char *zeek_conn_state(const struct zeek_conn *z);

/* The history letters, NUL-terminated, cut to size; returns the length of
 * the whole history (the letters written when size is large enough). */
size_t zeek_history(const struct zeek_conn *z, char *buf, size_t size);

/* orig_bytes/resp_bytes (TCP: from sequence numbers, TCP_Endpoint::
 * Size(); UDP: UDP payload; ICMP: bytes after the 8-byte header).  Zeek
 * logs them only when the connection's duration is above zero. */
uint64_t zeek_bytes(const struct zeek_conn *z, bool orig);

/* missed_bytes: TCP bytes acknowledged by the receiver that were never
 * seen on the wire (zeek.c, "Content gaps", says exactly what counts). */
uint64_t zeek_missed_bytes(const struct zeek_conn *z);

/* An endpoint's Zeek state: enum zeek_ep_state for TCP, ZEEK_UDP_* for
 * UDP and ICMP. */
unsigned zeek_endpoint_state(const struct zeek_conn *z, bool orig);

/* Zeek's is_partial: the connection was picked up without its SYN. */
bool zeek_is_partial(const struct zeek_conn *z);

/* TCP: a side has closed (FIN or RST) in Zeek's sense (IsClosed()). */
bool zeek_is_closed(const struct zeek_conn *z);

/* TCP: the close is complete, so Zeek removes the connection
 * ZEEK_TCP_CLOSE_DELAY after its last packet (ConnectionClosed()). */
bool zeek_is_close_complete(const struct zeek_conn *z);

/* TCP: still an unanswered attempt (AttemptTimer()'s test). */
bool zeek_is_attempt(const struct zeek_conn *z);

/* The inactivity timeout Zeek has armed for this connection now. */
ws_time zeek_inactivity_timeout(const struct zeek_conn *z);

/* Whether port is in Zeek's default likely_server_ports for proto
 * (IPPROTO_TCP or IPPROTO_UDP): the ports Zeek's default scripts add,
 * those confirmed from their source (zeek.c lists each with its script;
 * a few protocols' sets, e.g. MySQL's and PostgreSQL's, are left out). */
bool zeek_likely_server_port(uint8_t proto, uint16_t port);

/* Zeek's ICMP "ports" (ICMP.cc, InitConnKey()): the originator's port is
 * the message type, the responder's is the counterpart type for
 * request/reply pairs (echo 8 <-> 0, ...) and the code for one-way
 * messages.  Returns the responder's port; *one_way tells which. */
uint16_t zeek_icmp_counterpart(bool v6, uint8_t type, uint8_t code,
			       bool *one_way);

#endif

/* tcp.h - the state of both endpoints of one TCP connection, from the wire.
 *
 * Each segment is seen by two endpoints: the one that sent it and the one
 * it is delivered to.  A segment seen on the wire is taken as delivered
 * unless later evidence (a retransmission) shows it was not.  The machine
 * is a transition table indexed by role (sent/received), segment class and
 * state (tcp.c), in the manner of netfilter's tcp_conntracks[][][].
 * Timers run on packet time with Linux's defaults.
 */
#ifndef WIRESTAT_TCP_H
#define WIRESTAT_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "wirestat/common.h"
#include "wirestat/decode.h"

/* RFC 9293 states, spelled as Windows netstat prints them. */
enum tcp_state {
	TCP_CLOSED,
	TCP_LISTENING,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_STATE_MAX
};

extern const char *const tcp_state_names[TCP_STATE_MAX];

/* How long Linux keeps a socket in a state with no further progress;
 * 0 means no timer (the state lasts until traffic ends it). */
extern const ws_time tcp_state_timeout[TCP_STATE_MAX];

/* Segment classes: the flags, with the ACK field split by what it
 * acknowledges of the receiving endpoint (its SYN, its FIN, or neither). */
enum tcp_class {
	TC_SYN,	    /* SYN without ACK */
	TC_SYNACK,  /* SYN with ACK */
	TC_ACK,	    /* ACK acknowledging nothing state-changing */
	TC_ACK_SYN, /* ACK covering the receiver's SYN */
	TC_ACK_FIN, /* ACK covering the receiver's FIN */
	TC_FIN,	    /* FIN */
	TC_RST,	    /* RST (validated first) */
	TC_MAX
};

enum tcp_role { TCP_ROLE_SENT, TCP_ROLE_RCVD, TCP_ROLE_MAX };

/* Counted facts about segments.  X(enum, counter name) */
#define TCP_REASONS(X)                                          \
	X(TR_SEGMENTS, "segments")                              \
	X(TR_RETRANSMIT, "retransmitted_segments")              \
	X(TR_BAD_FLAGS, "invalid_flag_combinations")            \
	X(TR_RST_ACCEPTED, "resets_accepted")                   \
	X(TR_RST_OUT_OF_WINDOW, "resets_out_of_window")         \
	X(TR_RST_CHALLENGED, "resets_in_window_not_exact")      \
	X(TR_RST_NO_CONN, "resets_without_connection")          \
	X(TR_SYN_IGNORED, "syn_on_synchronized_connection")     \
	X(TR_SYN_OLD_DUPLICATE, "syn_old_duplicate_in_time_wait") \
	X(TR_SYNACK_BAD_ACK, "synack_wrong_ack")                \
	X(TR_FIN_OUT_OF_WINDOW, "fin_out_of_window")            \
	X(TR_ACK_UNSENT, "ack_for_unsent_data")                 \
	X(TR_NEW_CONNECTION, "tuple_reused_new_connection")     \
	X(TR_MIDSTREAM, "picked_up_mid_stream")                 \
	X(TR_REVERTED, "undelivered_segment_reverted")          \
	X(TR_ACK_DEFERRED, "acks_to_lossy_endpoint_deferred")   \
	X(TR_BAD_OPTIONS, "bad_tcp_options")                   \
	X(TR_FRAGMENTED, "segments_in_ip_fragments")           \
	X(TR_ICMP_ABORTED, "connects_aborted_by_icmp")

enum tcp_reason {
#define TCP_X_ENUM(e, name) e,
	TCP_REASONS(TCP_X_ENUM)
#undef TCP_X_ENUM
	TR_MAX
};

extern const char *const tcp_reason_names[TR_MAX];

/* Endpoint flags. */
enum {
	EP_SEQ_KNOWN = 0x0001,	  /* snd_nxt is meaningful */
	EP_SYN_SENT = 0x0002,	  /* isn is meaningful */
	EP_WSCALE = 0x0004,	  /* its SYN offered window scaling */
	EP_FIN_SENT = 0x0008,	  /* fin_seq is meaningful */
	EP_FIN_UNDELIVERED = 0x0010, /* its FIN was retransmitted unacked */
	EP_ASSUMED = 0x0020,	  /* established on a delivery assumption */
	EP_LOSSY = 0x0040,	  /* a delivery to it was proven lost */
	EP_HALF_CLOSED_LIVE = 0x0080, /* in FIN_WAIT_2 but still reading */
	EP_ANSWERED = 0x0100,	  /* it sent SYN-ACK or data (a real socket) */
	EP_ACK_PENDING = 0x0200,  /* lossy, and an ACK to it is on its way */
	EP_ICMP_ABORTED = 0x0400, /* SYN_SENT ended by an ICMP error */
};

struct tcp_endpoint {
	ws_time state_ts; /* when the current state began */
	uint32_t isn;
	uint32_t snd_nxt; /* one past the highest sequence number sent */
	uint32_t ack;	  /* highest acknowledgment it sent */
	uint32_t fin_seq; /* sequence number its FIN occupies */
	uint32_t max_win; /* largest window it advertised, scaled */
	/* A lossy endpoint repeating its FIN or SYN-ACK: when it last did
	 * (ms after state_ts) and the gap before that (0: not yet known). */
	uint32_t rtx_ms;
	uint32_t rtx_gap_ms;
	uint16_t flags; /* EP_* */
	uint8_t state;	/* enum tcp_state */
	uint8_t wscale;
};

/* Connection flags. */
enum {
	TCPC_STARTED = 0x01,	   /* endpoints initialised */
	TCPC_PARTIAL = 0x02,	   /* handshake not seen (mid-stream pickup) */
	TCPC_CLIENT_GUESSED = 0x04, /* client chosen by heuristics */
	TCPC_WSCALE = 0x08,	   /* window scaling negotiated */
};

struct tcp_conn {
	struct tcp_endpoint ep[2];
	uint8_t flags;	/* TCPC_* */
	uint8_t client; /* index of the endpoint that opened */
};

/* Notes tcp_segment() returns for the stages after it. */
enum {
	TCP_NOTE_CHANGED = 0x01,  /* an endpoint changed state */
	TCP_NOTE_LISTEN = 0x02,	  /* the sender answered a SYN: listener */
	TCP_NOTE_REFUSED = 0x04,  /* the sender refused a SYN with RST */
	TCP_NOTE_NEW_CONN = 0x08, /* a new connection reused the tuple */
	TCP_NOTE_STARTED = 0x10,  /* first segment of a connection */
	TCP_NOTE_RECLASS = 0x20,  /* tcp_conn_long_lived() may have changed */
};

/* The class of a segment from its flags alone: TC_SYN, TC_SYNACK, TC_FIN,
 * TC_ACK, TC_RST, or TC_MAX for an invalid combination. */
enum tcp_class tcp_flags_class(uint8_t flags);

/* The table: next state of an endpoint in state s that sent or received
 * (role) a segment of class c, or TCP_STATE_MAX for "no change". */
enum tcp_state tcp_next_state(enum tcp_role role, enum tcp_class c,
			      enum tcp_state s);

/* Feed one segment sent by endpoint dir (0 or 1) at time now.  Counts its
 * facts in counters[TR_MAX]; returns TCP_NOTE_* bits. */
unsigned tcp_segment(struct tcp_conn *conn, int dir, const struct decoded *d,
		     ws_time now, uint64_t *counters);

/* An ICMP error (destination unreachable, time exceeded, parameter
 * problem) quoting a segment that endpoint dir sent with sequence number
 * seq.  Returns TCP_NOTE_CHANGED if it ended a connection attempt. */
unsigned tcp_icmp_error(struct tcp_conn *conn, int dir, uint32_t seq,
			ws_time now, uint64_t *counters);

/* Apply the timers due by now to both endpoints for good. */
void tcp_advance(struct tcp_conn *conn, ws_time now);

/* The state an endpoint is in at time now, its timers applied. */
enum tcp_state tcp_state_at(const struct tcp_endpoint *ep, ws_time now);

/* When the endpoint entered the state tcp_state_at() returns. */
ws_time tcp_state_since(const struct tcp_endpoint *ep, ws_time now);

/* Whether the connection can last without traffic: an endpoint in a
 * state no timer ends, not merely assumed there. */
bool tcp_conn_long_lived(const struct tcp_conn *conn, ws_time now);

/* Guess which endpoint of a mid-stream connection is the client, from the
 * first segment seen (sent by dir): the side with the service port. */
int tcp_guess_client(uint16_t sport, uint16_t dport, int dir);

#endif

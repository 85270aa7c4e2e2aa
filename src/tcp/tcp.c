/* tcp.c - both endpoints' TCP states, rebuilt from the segments between them.
 *
 * Every segment changes (at most) two endpoints: the sender, because it
 * sent it, and the receiver, because it is taken as delivered.  Both go
 * through one table, tcp_table[role][class][state], where role says which
 * of the two the endpoint was.  Sequence numbers decide the class of the
 * ACK field (does it cover the receiver's SYN or FIN?) and whether a RST,
 * SYN or FIN is acceptable at all.  The cases the table cannot say are in
 * tcp_segment() after it: new connections on an old tuple, and the
 * evidence that a segment taken as delivered was in fact lost.
 */
#include "wirestat/tcp.h"

#include <string.h>

/* Wraparound-safe sequence comparisons (RFC 9293 3.4; the kernel's
 * before()/after()). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

const char *const tcp_state_names[TCP_STATE_MAX] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_LISTENING] = "LISTENING",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CLOSING] = "CLOSING",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};

/* Linux defaults (Documentation/networking/ip-sysctl.rst):
 * - SYN_SENT: tcp_syn_retries 6 with tcp_syn_linear_timeouts 4, "the
 *   final timeout for an active TCP connection attempt will happen after
 *   131 seconds".
 * - SYN_RECEIVED: tcp_synack_retries 5, "final timeout for a passive TCP
 *   connection will happen after 63 seconds".
 * - FIN_WAIT_2: tcp_fin_timeout 60 s for an orphaned socket.
 * - TIME_WAIT: TCP_TIMEWAIT_LEN, 60 s.
 * - FIN_WAIT_1, CLOSING, LAST_ACK: an orphaned socket retransmits its FIN
 *   tcp_orphan_retries times, 8 when 0, ">100 seconds with minimal RTO of
 *   200msec" (tcp_timer.c). */
const ws_time tcp_state_timeout[TCP_STATE_MAX] = {
	[TCP_SYN_SENT] = WS_SEC(131),
	[TCP_SYN_RECEIVED] = WS_SEC(63),
	[TCP_FIN_WAIT_1] = WS_SEC(102),
	[TCP_FIN_WAIT_2] = WS_SEC(60),
	[TCP_CLOSING] = WS_SEC(102),
	[TCP_LAST_ACK] = WS_SEC(102),
	[TCP_TIME_WAIT] = WS_SEC(60),
};

const char *const tcp_reason_names[TR_MAX] = {
#define TCP_X_NAME(e, name) [e] = (name),
	TCP_REASONS(TCP_X_NAME)
#undef TCP_X_NAME
};

#define sCL TCP_CLOSED
#define sLI TCP_LISTENING
#define sSS TCP_SYN_SENT
#define sSR TCP_SYN_RECEIVED
#define sES TCP_ESTABLISHED
#define sF1 TCP_FIN_WAIT_1
#define sF2 TCP_FIN_WAIT_2
#define sCW TCP_CLOSE_WAIT
#define sCG TCP_CLOSING
#define sLA TCP_LAST_ACK
#define sTW TCP_TIME_WAIT
#define s__ TCP_STATE_MAX /* no change */

static const uint8_t tcp_table[TCP_ROLE_MAX][TC_MAX][TCP_STATE_MAX] = {
	[TCP_ROLE_SENT] = {
/*	                 CL   LI   SS   SR   ES   F1   F2   CW   CG   LA   TW */
/*
 * SYN sent:
 *	CL -> SS	active open (connect())
 *	SS -> SS	retransmission
 *	TW -> SS	the TIME_WAIT holder reopens the tuple (tcp_tw_reuse);
 *			tcp_segment() starts a new connection first
 *	synchronized	not a state change (a SYN on a live tuple)
 */
	[TC_SYN]     = { sSS, s__, sSS, s__, s__, s__, s__, s__, s__, s__, sSS },
/*
 * SYN-ACK sent:
 *	CL -> SR	passive open: a listener answered the SYN
 *	SS -> SR	simultaneous open (RFC 9293 figure 8)
 *	SR -> SR	retransmission
 */
	[TC_SYNACK]  = { sSR, s__, sSR, sSR, s__, s__, s__, s__, s__, s__, s__ },
/*
 * ACK sent (no SYN, FIN or RST):
 *	SS -> ES	it acknowledges the SYN-ACK, so it received it
 *	SR -> ES	a passive opener sends non-SYN segments only once
 *			established
 */
	[TC_ACK]     = { s__, s__, sES, sES, s__, s__, s__, s__, s__, s__, s__ },
	[TC_ACK_SYN] = { s__, s__, s__, s__, s__, s__, s__, s__, s__, s__, s__ },
	[TC_ACK_FIN] = { s__, s__, s__, s__, s__, s__, s__, s__, s__, s__, s__ },
/*
 * FIN sent:
 *	SR -> F1	close before the handshake completed (RFC 9293 3.10.4)
 *	ES -> F1	active close
 *	CW -> LA	passive close (CW -> CG when the FINs crossed: below)
 *	F1, CG, LA	retransmission, no change
 *	F2 -> F1	FIN retransmitted after its ACK: the ACK was lost
 *	TW -> CG	the same, after the peer's FIN had arrived
 *	CL -> LA	the same from LAST_ACK (only if it had sent this FIN)
 */
	[TC_FIN]     = { sLA, s__, s__, sF1, sF1, s__, sF1, sLA, s__, s__, sCG },
/*
 * RST sent: the sender has no socket for this connection any more.
 */
	[TC_RST]     = { sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
	},
	[TCP_ROLE_RCVD] = {
/*	                 CL   LI   SS   SR   ES   F1   F2   CW   CG   LA   TW */
/*
 * SYN received:
 *	CL		no socket until it answers: SYN-ACK (listening) or RST
 *	SS -> SR	simultaneous open
 *	synchronized	ignored with a challenge ACK (RFC 5961 4.2)
 */
	[TC_SYN]     = { s__, s__, sSR, s__, s__, s__, s__, s__, s__, s__, s__ },
/*
 * SYN-ACK received (its ACK checked against the receiver's SYN first):
 *	SS -> ES	the handshake's second step
 *	SR -> ES	simultaneous open's SYN-ACK
 */
	[TC_SYNACK]  = { s__, s__, sES, sES, s__, s__, s__, s__, s__, s__, s__ },
	[TC_ACK]     = { s__, s__, s__, s__, s__, s__, s__, s__, s__, s__, s__ },
/*
 * ACK of its SYN received:
 *	SR -> ES	the handshake's third step
 */
	[TC_ACK_SYN] = { s__, s__, s__, sES, s__, s__, s__, s__, s__, s__, s__ },
/*
 * ACK of its FIN received:
 *	F1 -> F2, CG -> TW, LA -> CL
 */
	[TC_ACK_FIN] = { s__, s__, s__, s__, s__, sF2, s__, s__, sTW, sCL, s__ },
/*
 * FIN received (in window; after the ACK field was processed):
 *	SR -> CW	RFC 9293 3.10.7.4
 *	ES -> CW	passive close begins
 *	F1 -> CG	simultaneous close: its own FIN is not yet acknowledged
 *	F2 -> TW	the normal active close ends
 *	CW, CG, LA, TW	retransmitted FIN, no change
 */
	[TC_FIN]     = { s__, s__, s__, sCW, sCW, sCG, sTW, s__, s__, s__, s__ },
/*
 * RST received (validated first): the connection is aborted.
 *	LI		a listener is not reset by one connection's RST
 */
	[TC_RST]     = { sCL, s__, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
	},
};

/* Undoing a FIN that turned out not to have been delivered: the inverse
 * of the received-FIN row. */
static const uint8_t tcp_unfin[TCP_STATE_MAX] = {
	[TCP_CLOSED] = s__,	     [TCP_LISTENING] = s__,
	[TCP_SYN_SENT] = s__,	     [TCP_SYN_RECEIVED] = s__,
	[TCP_ESTABLISHED] = s__,     [TCP_FIN_WAIT_1] = s__,
	[TCP_FIN_WAIT_2] = s__,	     [TCP_CLOSE_WAIT] = sES,
	[TCP_CLOSING] = sF1,	     [TCP_LAST_ACK] = s__,
	[TCP_TIME_WAIT] = sF2,
};

enum tcp_class tcp_flags_class(uint8_t flags)
{
	uint8_t f = flags & (TH_FIN | TH_SYN | TH_RST | TH_ACK);
	if (f & TH_RST)
		return (f & TH_SYN) ? TC_MAX : TC_RST;
	if (f & TH_SYN)
		return (f & TH_FIN) ? TC_MAX : (f & TH_ACK) ? TC_SYNACK : TC_SYN;
	/* Without SYN or RST a segment must carry ACK; Linux discards it
	 * otherwise (tcp_rcv_state_process()). */
	if (!(f & TH_ACK))
		return TC_MAX;
	return (f & TH_FIN) ? TC_FIN : TC_ACK;
}

enum tcp_state tcp_next_state(enum tcp_role role, enum tcp_class c,
			      enum tcp_state s)
{
	if (role >= TCP_ROLE_MAX || c >= TC_MAX || s >= TCP_STATE_MAX)
		return TCP_STATE_MAX;
	return (enum tcp_state)tcp_table[role][c][s];
}

static ws_time state_timeout(enum tcp_state s, uint16_t flags)
{
	if (s == TCP_FIN_WAIT_2 && (flags & EP_HALF_CLOSED_LIVE))
		return 0; /* shutdown(SHUT_WR), not close(): no orphan timer */
	return tcp_state_timeout[s];
}

static ws_time ep_timeout(const struct tcp_endpoint *ep)
{
	return state_timeout((enum tcp_state)ep->state, ep->flags);
}

/* An ACK to a lossy endpoint counts as delivered once the endpoint's next
 * retransmission is overdue: Linux doubles its RTO at every repeat
 * (tcp_retransmit_timer()), so it would have repeated twice the last gap
 * later; three times leaves room for timer slack.  An unknown gap counts
 * as one second (the initial RTO, RFC 6298). */
static ws_time ack_due(const struct tcp_endpoint *ep)
{
	ws_time gap = ep->rtx_gap_ms ? (ws_time)ep->rtx_gap_ms * 1000000
				     : WS_NS_PER_SEC;
	return ep->state_ts + (ws_time)ep->rtx_ms * 1000000 + 3 * gap;
}

/* The state of ep at time now, and since when: a deferred ACK that came
 * due, then the state's timer. */
static enum tcp_state effective(const struct tcp_endpoint *ep, ws_time now,
				ws_time *since)
{
	enum tcp_state s = (enum tcp_state)ep->state;
	ws_time at = ep->state_ts;
	if ((ep->flags & EP_ACK_PENDING) && now >= ack_due(ep)) {
		enum tcp_class c = s == TCP_SYN_RECEIVED ? TC_ACK_SYN
							 : TC_ACK_FIN;
		enum tcp_state next = tcp_next_state(TCP_ROLE_RCVD, c, s);
		if (next != TCP_STATE_MAX) {
			s = next;
			at = ack_due(ep);
		}
	}
	ws_time t = state_timeout(s, ep->flags);
	if (t && now >= at + t) {
		s = TCP_CLOSED;
		at += t;
	}
	if (since)
		*since = at;
	return s;
}

enum tcp_state tcp_state_at(const struct tcp_endpoint *ep, ws_time now)
{
	return effective(ep, now, NULL);
}

ws_time tcp_state_since(const struct tcp_endpoint *ep, ws_time now)
{
	ws_time since;
	effective(ep, now, &since);
	return since;
}

/* Long-lived: an endpoint in a state no timer ends, that it has shown
 * itself (a client taken as ESTABLISHED only because a SYN-ACK went its
 * way, as in a spoofed SYN flood, is still half-open). */
bool tcp_conn_long_lived(const struct tcp_conn *conn, ws_time now)
{
	for (int i = 0; i < 2; i++) {
		const struct tcp_endpoint *ep = &conn->ep[i];
		if (tcp_state_at(ep, now) != TCP_CLOSED && ep_timeout(ep) == 0 &&
		    !(ep->flags & EP_ASSUMED))
			return true;
	}
	return false;
}

/* Well-known and registered service ports below the ephemeral ranges
 * (Linux 32768-60999, IANA 49152-65535) look like servers. */
int tcp_guess_client(uint16_t sport, uint16_t dport, int dir)
{
	bool s_eph = sport >= 32768, d_eph = dport >= 32768;
	if (sport < 1024 && dport >= 1024)
		return !dir; /* the sender is the server */
	if (dport < 1024 && sport >= 1024)
		return dir;
	if (s_eph != d_eph)
		return s_eph ? dir : !dir;
	return dir; /* no better clue: whoever spoke first */
}

static bool set_state(struct tcp_endpoint *ep, enum tcp_state s, ws_time now)
{
	if (s == TCP_STATE_MAX || s == ep->state)
		return false;
	ep->state = (uint8_t)s;
	ep->state_ts = now;
	return true;
}

static bool apply(struct tcp_endpoint *ep, enum tcp_role role,
		  enum tcp_class c, ws_time now)
{
	return set_state(ep, tcp_next_state(role, c, ep->state), now);
}

/* Apply a deferred ACK that came due and an expired timer for good, so
 * the table sees the real state. */
static void expire(struct tcp_endpoint *ep, ws_time now)
{
	ws_time since;
	if (!tcp_state_timeout[ep->state] && !(ep->flags & EP_ACK_PENDING))
		return; /* no timer, nothing deferred */
	enum tcp_state s = effective(ep, now, &since);
	if (s != ep->state) {
		ep->state = (uint8_t)s;
		ep->state_ts = since;
		ep->flags &= (uint16_t)~EP_ACK_PENDING;
	}
}

void tcp_advance(struct tcp_conn *conn, ws_time now)
{
	expire(&conn->ep[0], now);
	expire(&conn->ep[1], now);
}

/* A lossy endpoint repeats its FIN or SYN-ACK: the ACK it was sent did
 * not arrive after all; note the gap for ack_due(). */
static void lossy_repeat(struct tcp_endpoint *ep, ws_time now)
{
	ws_time last = ep->state_ts + (ws_time)ep->rtx_ms * 1000000;
	ws_time gap = (now - last) / 1000000;
	ws_time at = (now - ep->state_ts) / 1000000;
	ep->flags &= (uint16_t)~EP_ACK_PENDING;
	if (gap > 0 && gap < UINT32_MAX)
		ep->rtx_gap_ms = (uint32_t)gap;
	if (at >= 0 && at < UINT32_MAX)
		ep->rtx_ms = (uint32_t)at;
}

/* It was shown to lose what was sent to it: from now on an ACK to it
 * waits for ack_due(). */
static void mark_lossy(struct tcp_endpoint *ep)
{
	ep->flags |= EP_LOSSY;
	ep->flags &= (uint16_t)~EP_ACK_PENDING;
	ep->rtx_ms = 0;
	ep->rtx_gap_ms = 0;
}

/* Receive an ACK covering ep's SYN or FIN (class c). */
static bool recv_ack(struct tcp_endpoint *ep, enum tcp_class c, ws_time now,
		     uint64_t *ctr)
{
	if (tcp_next_state(TCP_ROLE_RCVD, c, (enum tcp_state)ep->state) ==
	    TCP_STATE_MAX)
		return false;
	if (ep->flags & EP_LOSSY) {
		if (!(ep->flags & EP_ACK_PENDING))
			ctr[TR_ACK_DEFERRED]++;
		ep->flags |= EP_ACK_PENDING;
		return false;
	}
	return apply(ep, TCP_ROLE_RCVD, c, now);
}

/* The receiver's window for acceptability checks.  Without the handshake
 * the scale factor is unknown, so the check is loose (netfilter's
 * tcp_loose, pf's sloppy mode). */
static uint32_t rcv_window(const struct tcp_conn *c,
			   const struct tcp_endpoint *r)
{
	if (c->flags & TCPC_PARTIAL)
		return UINT32_C(1) << 30;
	return r->max_win > 0 ? r->max_win : 1;
}

static void start(struct tcp_conn *c, int dir, const struct decoded *d,
		  enum tcp_class cls, ws_time now, uint64_t *ctr)
{
	struct tcp_endpoint *s = &c->ep[dir], *r = &c->ep[!dir];
	memset(c, 0, sizeof(*c));
	c->flags = TCPC_STARTED;
	s->state_ts = r->state_ts = now;
	switch (cls) {
	case TC_SYN:
		c->client = (uint8_t)dir;
		break;
	case TC_SYNACK:
		/* The SYN was missed: the receiver sent it. */
		c->client = (uint8_t)!dir;
		c->flags |= TCPC_PARTIAL;
		r->state = TCP_SYN_SENT;
		r->isn = d->ack - 1;
		r->snd_nxt = d->ack;
		r->flags = EP_SEQ_KNOWN | EP_SYN_SENT;
		break;
	default:
		/* Mid-stream: both established, the client guessed. */
		c->flags |= TCPC_PARTIAL | TCPC_CLIENT_GUESSED;
		c->client = (uint8_t)tcp_guess_client(d->sport, d->dport, dir);
		s->state = r->state = TCP_ESTABLISHED;
		s->snd_nxt = d->seq;
		s->flags = EP_SEQ_KNOWN;
		if (d->tcp_flags & TH_ACK) {
			r->snd_nxt = d->ack;
			r->flags = EP_SEQ_KNOWN;
		}
		ctr[TR_MIDSTREAM]++;
		break;
	}
}

/* A SYN on a tuple whose connection is over starts a new one: both ends
 * closed or in TIME_WAIT, and past TIME_WAIT's sequence space (RFC 1122
 * 4.2.2.13; Linux tcp_timewait_state_process()).  A SYN with a new ISN
 * from an endpoint still in SYN_SENT is a new connect() on the tuple. */
enum reopen { REOPEN_NO, REOPEN_YES, REOPEN_OLD_DUPLICATE };

static enum reopen reopens(const struct tcp_endpoint *s,
			   const struct tcp_endpoint *r,
			   const struct decoded *d, uint64_t *ctr)
{
	if (s->state == TCP_SYN_SENT)
		return (s->flags & EP_SYN_SENT) && d->seq != s->isn &&
				       r->state == TCP_CLOSED
			       ? REOPEN_YES
			       : REOPEN_NO;
	if (s->state != TCP_CLOSED && s->state != TCP_TIME_WAIT)
		return REOPEN_NO;
	if (r->state != TCP_CLOSED && r->state != TCP_TIME_WAIT)
		return REOPEN_NO;
	if (r->state == TCP_TIME_WAIT && (s->flags & EP_SEQ_KNOWN) &&
	    !SEQ_GT(d->seq, s->snd_nxt)) {
		/* TIME_WAIT answers it with an ACK and stays.  The very
		 * ISN of the old connection is that connection's SYN,
		 * delayed in the network: its sender is not connecting. */
		ctr[TR_SYN_OLD_DUPLICATE]++;
		return (s->flags & EP_SYN_SENT) && d->seq == s->isn
			       ? REOPEN_OLD_DUPLICATE
			       : REOPEN_NO;
	}
	return REOPEN_YES;
}

/* Is a RST from s acceptable to r?  RFC 9293 3.10.7 with RFC 5961 3.2:
 * in SYN_SENT it must acknowledge the SYN; a request socket (SYN_RECEIVED)
 * takes any in-window RST; a synchronized socket only the exact next
 * sequence number, and answers an in-window one with a challenge ACK. */
static enum tcp_reason rst_verdict(const struct tcp_conn *c,
				   const struct tcp_endpoint *s,
				   const struct tcp_endpoint *r,
				   const struct decoded *d)
{
	if (r->state == TCP_SYN_SENT)
		return (d->tcp_flags & TH_ACK) && d->ack == r->snd_nxt
			       ? TR_RST_ACCEPTED
			       : TR_RST_OUT_OF_WINDOW;
	if (r->state == TCP_CLOSED || !(s->flags & EP_SEQ_KNOWN))
		return TR_RST_ACCEPTED;
	uint32_t rcv_nxt = s->snd_nxt;
	if (d->seq == rcv_nxt ||
	    (r->state != TCP_SYN_RECEIVED && r->flags & EP_SEQ_KNOWN &&
	     d->seq == r->ack && r->ack != 0))
		return TR_RST_ACCEPTED;
	/* seq in [rcv_nxt, rcv_nxt + window) */
	bool in_window = (uint32_t)(d->seq - rcv_nxt) < rcv_window(c, r);
	if (in_window && (r->state == TCP_SYN_RECEIVED ||
			  (c->flags & TCPC_PARTIAL)))
		return TR_RST_ACCEPTED;
	return in_window ? TR_RST_CHALLENGED : TR_RST_OUT_OF_WINDOW;
}

/* Is a FIN at sequence number fin acceptable to r: not beyond the window
 * r offered, not older than a window behind what s had sent. */
static bool fin_in_window(const struct tcp_conn *c,
			  const struct tcp_endpoint *s,
			  const struct tcp_endpoint *r, uint32_t fin)
{
	if (!(s->flags & EP_SEQ_KNOWN))
		return true;
	int64_t ahead = (int32_t)(fin - s->snd_nxt);
	int64_t back = r->max_win > 65535 ? r->max_win : 65535;
	if (c->flags & TCPC_PARTIAL)
		back = INT64_C(1) << 30;
	return ahead <= (int64_t)rcv_window(c, r) && ahead >= -back;
}

/* s received r's FIN (its ACK proves it) after we had taken it as lost. */
static bool deliver_deferred_fin(struct tcp_endpoint *s,
				 struct tcp_endpoint *r,
				 const struct decoded *d, ws_time now)
{
	if (!(r->flags & EP_FIN_UNDELIVERED) || !(d->tcp_flags & TH_ACK) ||
	    !SEQ_GEQ(d->ack, r->fin_seq + 1))
		return false;
	r->flags &= (uint16_t)~EP_FIN_UNDELIVERED;
	return apply(s, TCP_ROLE_RCVD, TC_FIN, now);
}

static void track_sequence(struct tcp_conn *c, struct tcp_endpoint *s,
			   const struct decoded *d, uint64_t *ctr)
{
	uint8_t fl = d->tcp_flags;
	uint32_t len = d->payload_len + !!(fl & TH_SYN) + !!(fl & TH_FIN);
	uint32_t end = d->seq + len;
	if (len && (s->flags & EP_SEQ_KNOWN) && SEQ_LEQ(end, s->snd_nxt))
		ctr[TR_RETRANSMIT]++;
	if (!(s->flags & EP_SEQ_KNOWN) || SEQ_GT(end, s->snd_nxt)) {
		s->snd_nxt = end;
		s->flags |= EP_SEQ_KNOWN;
	}
	if (fl & TH_ACK) {
		if (s->ack == 0 || SEQ_GT(d->ack, s->ack))
			s->ack = d->ack;
	}
	uint32_t win = d->window;
	if (!(fl & TH_SYN) && (c->flags & TCPC_WSCALE))
		win <<= s->wscale; /* SYN windows are never scaled */
	if (win > s->max_win)
		s->max_win = win;
}

/* Linux tcp_v4_err()/tcp_v6_err(): an ICMP error quoting the SYN of a
 * SYN_SENT socket (its sequence number between SND.UNA and SND.NXT) ends
 * the connect() at once with the error (tcp_done()); RFC 1122 4.2.3.9
 * lets an implementation abort on it.  Synchronized sockets take ICMP
 * errors as soft errors and keep their state. */
unsigned tcp_icmp_error(struct tcp_conn *c, int dir, uint32_t seq,
			ws_time now, uint64_t *ctr)
{
	struct tcp_endpoint *s = &c->ep[dir];
	if (!(c->flags & TCPC_STARTED))
		return 0;
	expire(s, now);
	if (s->state != TCP_SYN_SENT || !(s->flags & EP_SYN_SENT) ||
	    seq != s->isn)
		return 0;
	ctr[TR_ICMP_ABORTED]++;
	s->flags |= EP_ICMP_ABORTED;
	return set_state(s, TCP_CLOSED, now) ? TCP_NOTE_CHANGED : 0;
}

unsigned tcp_segment(struct tcp_conn *c, int dir, const struct decoded *d,
		     ws_time now, uint64_t *ctr)
{
	struct tcp_endpoint *s = &c->ep[dir], *r = &c->ep[!dir];
	uint8_t fl = d->tcp_flags;
	enum tcp_class cls = tcp_flags_class(fl);
	unsigned notes = 0;
	bool changed = false;

	ctr[TR_SEGMENTS]++;
	if (d->anomalies & DA_TCP_OPT_BAD)
		ctr[TR_BAD_OPTIONS]++;
	if (cls == TC_MAX) {
		ctr[TR_BAD_FLAGS]++;
		return 0;
	}
	if (!(c->flags & TCPC_STARTED)) {
		if (cls == TC_RST) {
			ctr[TR_RST_NO_CONN]++;
			return 0;
		}
		start(c, dir, d, cls, now, ctr);
		notes |= TCP_NOTE_STARTED;
	}
	expire(s, now);
	expire(r, now);
	if (cls == TC_SYN && !(notes & TCP_NOTE_STARTED) &&
	    s->state == TCP_CLOSED && (s->flags & EP_ICMP_ABORTED) &&
	    d->seq == s->isn) {
		/* The same SYN after an ICMP error "ended" the connect():
		 * Linux took the error as a soft one (tcp_v4_err(): the
		 * socket was owned by the user, inside connect()) and
		 * retransmits.  Back to SYN_SENT, same connection. */
		s->flags &= (uint16_t)~EP_ICMP_ABORTED;
		set_state(s, TCP_SYN_SENT, now);
		changed = true;
	} else if (cls == TC_SYN && !(notes & TCP_NOTE_STARTED)) {
		switch (reopens(s, r, d, ctr)) {
		case REOPEN_YES:
			start(c, dir, d, cls, now, ctr);
			ctr[TR_NEW_CONNECTION]++;
			notes |= TCP_NOTE_NEW_CONN | TCP_NOTE_STARTED;
			break;
		case REOPEN_OLD_DUPLICATE:
			return notes;
		case REOPEN_NO:
			break;
		}
	}
	bool was_fin_sent = s->flags & EP_FIN_SENT;

	/* 1. RST: both ends close, if the receiver accepts it. */
	if (cls == TC_RST) {
		enum tcp_reason v = rst_verdict(c, s, r, d);
		ctr[v]++;
		if (v != TR_RST_ACCEPTED)
			return notes;
		if (r->state == TCP_SYN_SENT && !(s->flags & EP_ANSWERED))
			notes |= TCP_NOTE_REFUSED;
		changed |= apply(r, TCP_ROLE_RCVD, TC_RST, now);
		changed |= apply(s, TCP_ROLE_SENT, TC_RST, now);
		return notes | (changed ? TCP_NOTE_CHANGED : 0);
	}

	/* 2. The receiver: SYN, SYN-ACK, the ACK field, then FIN (the order
	 * of RFC 9293 3.10.7.4). */
	if (cls == TC_SYN) {
		if (r->state >= TCP_ESTABLISHED)
			ctr[TR_SYN_IGNORED]++;
		changed |= apply(r, TCP_ROLE_RCVD, TC_SYN, now);
	} else if (cls == TC_SYNACK) {
		bool ok = (r->flags & EP_SYN_SENT) && d->ack == r->isn + 1;
		if ((r->state == TCP_SYN_SENT || r->state == TCP_SYN_RECEIVED) &&
		    !ok)
			ctr[TR_SYNACK_BAD_ACK]++;
		else if (ok && !(r->flags & EP_LOSSY)) {
			if (apply(r, TCP_ROLE_RCVD, TC_SYNACK, now)) {
				r->flags |= EP_ASSUMED;
				changed = true;
			}
		}
	} else if (fl & TH_ACK) {
		if ((r->flags & EP_SEQ_KNOWN) && SEQ_GT(d->ack, r->snd_nxt)) {
			ctr[TR_ACK_UNSENT]++;
		} else {
			if (r->state == TCP_SYN_RECEIVED && SEQ_GT(d->ack, r->isn) &&
			    recv_ack(r, TC_ACK_SYN, now, ctr)) {
				r->flags |= EP_ASSUMED;
				changed = true;
			}
			if ((r->flags & EP_FIN_SENT) &&
			    SEQ_GEQ(d->ack, r->fin_seq + 1))
				changed |= recv_ack(r, TC_ACK_FIN, now, ctr);
		}
		changed |= deliver_deferred_fin(s, r, d, now);
	}
	/* Data below its FIN sent again and never acknowledged: it was lost,
	 * and the receiver cannot have processed the FIN behind it, for a FIN
	 * is processed only in sequence (RFC 9293 3.10.7.4, "eighth"; Linux
	 * queues it out of order and SACKs it).  Undo as for a repeated FIN;
	 * the receiver's ACK covering the FIN delivers it later
	 * (deliver_deferred_fin()). */
	if (d->payload_len && (s->flags & EP_FIN_SENT) &&
	    !(s->flags & EP_FIN_UNDELIVERED) && SEQ_LT(d->seq, s->fin_seq) &&
	    !(r->ack && SEQ_GEQ(r->ack, d->seq + d->payload_len)) &&
	    set_state(r, (enum tcp_state)tcp_unfin[r->state], now)) {
		s->flags |= EP_FIN_UNDELIVERED;
		ctr[TR_REVERTED]++;
		changed = true;
	}
	if (cls == TC_FIN) {
		uint32_t fin = d->seq + d->payload_len;
		if (was_fin_sent && fin == s->fin_seq) {
			/* Retransmitted FIN.  If the receiver never
			 * acknowledged it, it never had it: undo. */
			bool acked = (r->flags & EP_SEQ_KNOWN) &&
				     SEQ_GEQ(r->ack, s->fin_seq + 1) && r->ack;
			if (!acked && !(s->flags & EP_FIN_UNDELIVERED) &&
			    set_state(r, (enum tcp_state)tcp_unfin[r->state],
				      now)) {
				s->flags |= EP_FIN_UNDELIVERED;
				ctr[TR_REVERTED]++;
				changed = true;
			}
		} else if (!fin_in_window(c, s, r, fin)) {
			ctr[TR_FIN_OUT_OF_WINDOW]++;
			cls = TC_ACK; /* the FIN is ignored, the ACK is not */
		} else {
			s->flags |= EP_FIN_SENT;
			s->flags &= (uint16_t)~EP_FIN_UNDELIVERED;
			s->fin_seq = fin;
			changed |= apply(r, TCP_ROLE_RCVD, TC_FIN, now);
		}
	}
	/* Linux restarts TIME_WAIT's 60 s on every acceptable non-RST
	 * segment (tcp_timewait_state_process()). */
	if (r->state == TCP_TIME_WAIT && (fl & TH_ACK))
		r->state_ts = now;

	/* 3. The sender. */
	enum tcp_state before = (enum tcp_state)s->state;
	switch (cls) {
	case TC_SYN:
	case TC_SYNACK:
		if (cls == TC_SYNACK && before == TCP_SYN_RECEIVED &&
		    (s->flags & EP_ANSWERED) && d->seq == s->isn) {
			if (s->flags & EP_LOSSY)
				lossy_repeat(s, now);
			if (r->state == TCP_ESTABLISHED &&
			    (r->flags & EP_ASSUMED)) {
				/* Its SYN-ACK again, and the peer, taken as
				 * ESTABLISHED by the first, never answered:
				 * an ESTABLISHED peer ACKs a repeated SYN-ACK
				 * (RFC 5961 4.2), so the first was lost.
				 * (Found by helper review of a SYN flood.) */
				set_state(r, TCP_SYN_SENT, now);
				mark_lossy(r);
				ctr[TR_REVERTED]++;
				changed = true;
			}
		}
		if (before == TCP_ESTABLISHED && (s->flags & EP_ASSUMED) &&
		    d->seq == s->isn &&
		    (cls == TC_SYN || (s->flags & EP_ANSWERED))) {
			/* It repeats its SYN (SYN-ACK): what we took as
			 * delivered to it (the SYN-ACK, the ACK) was lost.
			 * A first SYN-ACK after its own SYN is simultaneous
			 * open, not a repeat. */
			set_state(s, cls == TC_SYN ? TCP_SYN_SENT
						   : TCP_SYN_RECEIVED, now);
			mark_lossy(s);
			ctr[TR_REVERTED]++;
			changed = true;
			break;
		}
		if (apply(s, TCP_ROLE_SENT, cls, now)) {
			changed = true;
			if (cls == TC_SYNACK && before == TCP_CLOSED)
				notes |= TCP_NOTE_LISTEN;
		}
		if (before == TCP_CLOSED || before == TCP_TIME_WAIT ||
		    !(s->flags & EP_SYN_SENT)) {
			s->isn = d->seq;
			s->flags |= EP_SYN_SENT;
		}
		if (d->wscale != DECODE_NO_WSCALE) {
			s->flags |= EP_WSCALE;
			s->wscale = d->wscale;
		}
		if (cls == TC_SYNACK) {
			s->flags |= EP_ANSWERED;
			if ((s->flags & EP_WSCALE) && (r->flags & EP_WSCALE))
				c->flags |= TCPC_WSCALE;
		}
		break;
	case TC_ACK:
	case TC_FIN:
		if (s->flags & EP_ASSUMED) {
			/* it speaks for itself: the flow may be long-lived */
			s->flags &= (uint16_t)~EP_ASSUMED;
			notes |= TCP_NOTE_RECLASS;
		}
		if (d->payload_len)
			s->flags |= EP_ANSWERED;
		if (before == TCP_FIN_WAIT_2 && SEQ_GT(d->ack, s->ack) &&
		    !(s->flags & EP_HALF_CLOSED_LIVE)) {
			s->flags |= EP_HALF_CLOSED_LIVE; /* loses its timer */
			notes |= TCP_NOTE_RECLASS;
		}
		changed |= apply(s, TCP_ROLE_SENT, TC_ACK, now);
		if (cls != TC_FIN)
			break;
		enum tcp_state cur = (enum tcp_state)s->state;
		enum tcp_state next = tcp_next_state(TCP_ROLE_SENT, TC_FIN, cur);
		if (cur == TCP_CLOSED && !was_fin_sent)
			break; /* not a retransmission: nothing to undo */
		bool repeat = was_fin_sent &&
			      d->seq + d->payload_len == s->fin_seq;
		if (repeat && (r->flags & EP_FIN_SENT) &&
		    !(r->flags & EP_FIN_UNDELIVERED) &&
		    !SEQ_GEQ(d->ack, r->fin_seq + 1) &&
		    set_state(s, (enum tcp_state)tcp_unfin[cur], now)) {
			/* Its FIN again, and its ACK field does not cover
			 * the peer's FIN: Linux repeats a FIN with its
			 * current rcv_nxt, so it never had the peer's. */
			r->flags |= EP_FIN_UNDELIVERED;
			ctr[TR_REVERTED]++;
			changed = true;
			cur = (enum tcp_state)s->state;
			next = tcp_next_state(TCP_ROLE_SENT, TC_FIN, cur);
		}
		if (cur == TCP_CLOSE_WAIT &&
		    !((r->flags & EP_FIN_SENT) && SEQ_GEQ(d->ack, r->fin_seq + 1)))
			next = TCP_CLOSING; /* FINs crossed (RFC 9293 fig. 13) */
		if (cur == TCP_FIN_WAIT_2 || cur == TCP_TIME_WAIT ||
		    cur == TCP_CLOSED) {
			/* A FIN repeated after its ACK: the ACK was lost,
			 * and the next ones wait for ack_due(). */
			changed |= set_state(s, next, now);
			mark_lossy(s);
			ctr[TR_REVERTED]++;
			break;
		}
		if ((s->flags & EP_LOSSY) && repeat)
			lossy_repeat(s, now);
		changed |= set_state(s, next, now);
		break;
	default:
		break;
	}
	track_sequence(c, s, d, ctr);
	return notes | (changed ? TCP_NOTE_CHANGED : 0);
}

/* test_tcp.c - the TCP endpoint machine, driven by real segments.
 *
 * A small harness plays two hosts, A (side 0, the client) and B (side 1),
 * each keeping its own sequence numbers, so the segments are what real
 * stacks would send.  Every non-empty entry of the transition table is
 * reached this way (test_every_transition checks the list against the
 * table itself), then the checks the table cannot express: RST/SYN/FIN
 * acceptability, timers on packet time, and the evidence of loss.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wirestat/tcp.h"

enum { A = 0, B = 1 };

struct host {
	uint32_t isn, nxt; /* own sequence space */
	uint32_t rcv;	   /* what it acknowledges */
};

struct sim {
	struct tcp_conn c;
	struct host h[2];
	uint64_t ctr[TR_MAX];
	ws_time now;
	unsigned notes;
};

static void sim_init(struct sim *s)
{
	memset(s, 0, sizeof(*s));
	s->h[A].isn = s->h[A].nxt = 1000;
	s->h[B].isn = s->h[B].nxt = 500000;
	s->now = WS_SEC(1700000000);
}

/* Send a segment from side `from` with explicit seq/ack. */
static unsigned seg_raw(struct sim *s, int from, uint8_t flags, uint32_t seq,
			uint32_t ack, uint32_t len)
{
	struct decoded d;
	memset(&d, 0, sizeof(d));
	d.tcp_flags = flags;
	d.seq = seq;
	d.ack = ack;
	d.payload_len = len;
	d.window = 1000;
	d.wscale = (flags & TH_SYN) ? 7 : DECODE_NO_WSCALE;
	d.sport = from == A ? 40000 : 80;
	d.dport = from == A ? 80 : 40000;
	s->now += WS_SEC(1) / 1000;
	s->notes = tcp_segment(&s->c, from, &d, s->now, s->ctr);
	return s->notes;
}

/* Send as a real stack would: seq = next, ack = what it has received. */
static unsigned seg(struct sim *s, int from, uint8_t flags, uint32_t len)
{
	struct host *h = &s->h[from];
	uint32_t seq = (flags & TH_SYN) ? h->isn : h->nxt;
	unsigned n = seg_raw(s, from, flags, seq, h->rcv, len);
	uint32_t end = seq + len + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	if ((int32_t)(end - h->nxt) > 0)
		h->nxt = end;
	/* the peer receives it (delivery assumption) */
	struct host *p = &s->h[!from];
	if ((int32_t)(end - p->rcv) > 0 || p->rcv == 0)
		p->rcv = end;
	return n;
}

static enum tcp_state st(const struct sim *s, int side)
{
	return tcp_state_at(&s->c.ep[side], s->now);
}

#define assert_states(s, sa, sb)                              \
	do {                                                  \
		assert_string_equal(tcp_state_names[st(s, A)], \
				    tcp_state_names[sa]);     \
		assert_string_equal(tcp_state_names[st(s, B)], \
				    tcp_state_names[sb]);     \
	} while (0)

/* Bring A and B to a named pair of states with real segments. */
static void handshake(struct sim *s)
{
	seg(s, A, TH_SYN, 0);
	seg(s, B, TH_SYN | TH_ACK, 0);
	seg(s, A, TH_ACK, 0);
	assert_states(s, TCP_ESTABLISHED, TCP_ESTABLISHED);
}

static void a_closes_first(struct sim *s) /* A: FIN_WAIT_2, B: CLOSE_WAIT */
{
	handshake(s);
	seg(s, A, TH_FIN | TH_ACK, 0);
	assert_states(s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);
	seg(s, B, TH_ACK, 0);
	assert_states(s, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT);
}

/* ---------------------------------------------------------------- */

static void test_flags_class(void **state)
{
	(void)state;
	static const struct {
		uint8_t flags;
		enum tcp_class cls;
	} cases[] = {
		{TH_SYN, TC_SYN},
		{TH_SYN | TH_ACK, TC_SYNACK},
		{TH_SYN | TH_ACK | TH_PUSH | TH_ECE | TH_CWR, TC_SYNACK},
		{TH_ACK, TC_ACK},
		{TH_ACK | TH_PUSH, TC_ACK},
		{TH_FIN | TH_ACK, TC_FIN},
		{TH_RST, TC_RST},
		{TH_RST | TH_ACK, TC_RST},
		{TH_SYN | TH_RST, TC_MAX},
		{TH_SYN | TH_FIN, TC_MAX},
		{TH_FIN, TC_MAX}, /* no ACK: discarded by Linux */
		{0, TC_MAX},	  /* null scan */
		{TH_FIN | TH_PUSH | TH_URG, TC_MAX}, /* Xmas */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(tcp_flags_class(cases[i].flags), cases[i].cls);
}

/* Each transition the table holds, reached by a scenario below. */
struct transition {
	enum tcp_role role;
	enum tcp_class cls;
	enum tcp_state from, to;
};

static const struct transition covered[] = {
	{TCP_ROLE_SENT, TC_SYN, TCP_CLOSED, TCP_SYN_SENT},
	{TCP_ROLE_SENT, TC_SYN, TCP_SYN_SENT, TCP_SYN_SENT},
	{TCP_ROLE_SENT, TC_SYN, TCP_TIME_WAIT, TCP_SYN_SENT},
	{TCP_ROLE_SENT, TC_SYNACK, TCP_CLOSED, TCP_SYN_RECEIVED},
	{TCP_ROLE_SENT, TC_SYNACK, TCP_SYN_SENT, TCP_SYN_RECEIVED},
	{TCP_ROLE_SENT, TC_SYNACK, TCP_SYN_RECEIVED, TCP_SYN_RECEIVED},
	{TCP_ROLE_SENT, TC_ACK, TCP_SYN_SENT, TCP_ESTABLISHED},
	{TCP_ROLE_SENT, TC_ACK, TCP_SYN_RECEIVED, TCP_ESTABLISHED},
	{TCP_ROLE_SENT, TC_FIN, TCP_CLOSED, TCP_LAST_ACK},
	{TCP_ROLE_SENT, TC_FIN, TCP_SYN_RECEIVED, TCP_FIN_WAIT_1},
	{TCP_ROLE_SENT, TC_FIN, TCP_ESTABLISHED, TCP_FIN_WAIT_1},
	{TCP_ROLE_SENT, TC_FIN, TCP_FIN_WAIT_2, TCP_FIN_WAIT_1},
	{TCP_ROLE_SENT, TC_FIN, TCP_CLOSE_WAIT, TCP_LAST_ACK},
	{TCP_ROLE_SENT, TC_FIN, TCP_TIME_WAIT, TCP_CLOSING},
	{TCP_ROLE_RCVD, TC_SYN, TCP_SYN_SENT, TCP_SYN_RECEIVED},
	{TCP_ROLE_RCVD, TC_SYNACK, TCP_SYN_SENT, TCP_ESTABLISHED},
	{TCP_ROLE_RCVD, TC_SYNACK, TCP_SYN_RECEIVED, TCP_ESTABLISHED},
	{TCP_ROLE_RCVD, TC_ACK_SYN, TCP_SYN_RECEIVED, TCP_ESTABLISHED},
	{TCP_ROLE_RCVD, TC_ACK_FIN, TCP_FIN_WAIT_1, TCP_FIN_WAIT_2},
	{TCP_ROLE_RCVD, TC_ACK_FIN, TCP_CLOSING, TCP_TIME_WAIT},
	{TCP_ROLE_RCVD, TC_ACK_FIN, TCP_LAST_ACK, TCP_CLOSED},
	{TCP_ROLE_RCVD, TC_FIN, TCP_SYN_RECEIVED, TCP_CLOSE_WAIT},
	{TCP_ROLE_RCVD, TC_FIN, TCP_ESTABLISHED, TCP_CLOSE_WAIT},
	{TCP_ROLE_RCVD, TC_FIN, TCP_FIN_WAIT_1, TCP_CLOSING},
	{TCP_ROLE_RCVD, TC_FIN, TCP_FIN_WAIT_2, TCP_TIME_WAIT},
};

/* The list above is the table: every entry that changes state is in it
 * (RST rows aside: RST leads to CLOSED from every state, tested in
 * test_rst_every_state), and every listed entry is in the table. */
static void test_every_transition(void **state)
{
	(void)state;
	for (int role = 0; role < TCP_ROLE_MAX; role++)
		for (int c = 0; c < TC_MAX; c++)
			for (int s = 0; s < TCP_STATE_MAX; s++) {
				enum tcp_state to = tcp_next_state(role, c, s);
				if (c == TC_RST) {
					if (role == TCP_ROLE_RCVD &&
					    s == TCP_LISTENING)
						assert_int_equal(to, TCP_STATE_MAX);
					else
						assert_int_equal(to, TCP_CLOSED);
					continue;
				}
				bool listed = false;
				for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]); i++)
					if (covered[i].role == (enum tcp_role)role &&
					    covered[i].cls == (enum tcp_class)c &&
					    covered[i].from == (enum tcp_state)s) {
						assert_int_equal(to, covered[i].to);
						listed = true;
					}
				if (!listed && to != TCP_STATE_MAX)
					fail_msg("table entry role %d class %d state %s "
						 "-> %s has no scenario",
						 role, c, tcp_state_names[s],
						 tcp_state_names[to]);
			}
	/* The table never moves anything into LISTENING. */
	for (int role = 0; role < TCP_ROLE_MAX; role++)
		for (int c = 0; c < TC_MAX; c++)
			for (int s = 0; s < TCP_STATE_MAX; s++)
				assert_int_not_equal(tcp_next_state(role, c, s),
						     TCP_LISTENING);
}

static void test_open_close_by_client(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	/* SENT SYN CL->SS; B has no socket until it answers */
	unsigned n = seg(&s, A, TH_SYN, 0);
	assert_true(n & TCP_NOTE_STARTED);
	assert_states(&s, TCP_SYN_SENT, TCP_CLOSED);
	/* SENT SYNACK CL->SR (listener), RCVD SYNACK SS->ES */
	n = seg(&s, B, TH_SYN | TH_ACK, 0);
	assert_true(n & TCP_NOTE_LISTEN);
	assert_states(&s, TCP_ESTABLISHED, TCP_SYN_RECEIVED);
	/* RCVD ACK_SYN SR->ES */
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.c.client, A);
	assert_false(s.c.flags & TCPC_PARTIAL);
	assert_true(s.c.flags & TCPC_WSCALE);
	seg(&s, A, TH_ACK | TH_PUSH, 100);
	seg(&s, B, TH_ACK | TH_PUSH, 2000);
	/* SENT FIN ES->F1, RCVD FIN ES->CW */
	seg(&s, A, TH_FIN | TH_ACK, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);
	/* RCVD ACK_FIN F1->F2 */
	seg(&s, B, TH_ACK, 0);
	assert_states(&s, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT);
	/* SENT FIN CW->LA, RCVD FIN F2->TW */
	seg(&s, B, TH_FIN | TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	/* RCVD ACK_FIN LA->CL */
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_CLOSED);
	assert_int_equal(s.ctr[TR_RETRANSMIT], 0);
	assert_int_equal(s.ctr[TR_SEGMENTS], 9);
}

static void test_fin_on_data_and_combined_ack(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	/* FIN carried on data: the FIN's sequence number follows the data */
	seg(&s, B, TH_FIN | TH_ACK | TH_PUSH, 300);
	assert_states(&s, TCP_CLOSE_WAIT, TCP_FIN_WAIT_1);
	assert_int_equal(s.c.ep[B].fin_seq, s.h[B].isn + 1 + 300);
	/* An ACK that covers the data but not the FIN leaves F1 alone */
	seg_raw(&s, A, TH_ACK, s.h[A].nxt, s.h[B].isn + 1 + 300, 0);
	assert_states(&s, TCP_CLOSE_WAIT, TCP_FIN_WAIT_1);
	/* FIN+ACK covering B's FIN: ACK_FIN F1->F2 then FIN F2->TW */
	seg(&s, A, TH_FIN | TH_ACK, 0);
	assert_states(&s, TCP_LAST_ACK, TCP_TIME_WAIT);
	seg(&s, B, TH_ACK, 0);
	assert_states(&s, TCP_CLOSED, TCP_TIME_WAIT);
}

static void test_simultaneous_open(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	/* B's SYN crosses A's: RCVD SYN SS->SR for A */
	seg_raw(&s, B, TH_SYN, s.h[B].isn, 0, 0);
	s.h[B].nxt = s.h[B].isn + 1;
	s.h[A].rcv = s.h[B].isn + 1;
	s.h[B].rcv = s.h[A].isn + 1;
	assert_states(&s, TCP_SYN_RECEIVED, TCP_SYN_SENT);
	/* A answers with SYN-ACK: SENT SYNACK SR->SR (not a listener);
	 * B receives it in SYN_SENT: ES */
	unsigned n = seg(&s, A, TH_SYN | TH_ACK, 0);
	assert_false(n & TCP_NOTE_LISTEN);
	assert_states(&s, TCP_SYN_RECEIVED, TCP_ESTABLISHED);
	/* B's own SYN-ACK (sent before A's arrived): not a retransmission,
	 * nothing reverts; A receives it in SR: ES */
	seg(&s, B, TH_SYN | TH_ACK, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_REVERTED], 0);

	/* SENT SYNACK SS->SR: an endpoint in SYN_SENT answers a SYN */
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg_raw(&s, B, TH_SYN, s.h[B].isn, 0, 0);
	sim_init(&s);
	seg_raw(&s, B, TH_SYN, s.h[B].isn, 0, 0); /* B is SS, A CL */
	seg_raw(&s, A, TH_SYN, s.h[A].isn, 0, 0); /* A SS; B SS->SR */
	assert_states(&s, TCP_SYN_SENT, TCP_SYN_RECEIVED);
	seg_raw(&s, A, TH_SYN | TH_ACK, s.h[A].isn, s.h[B].isn + 1, 0);
	assert_states(&s, TCP_SYN_RECEIVED, TCP_ESTABLISHED);
}

static void test_simultaneous_close(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	uint32_t a_ack = s.h[A].rcv, b_ack = s.h[B].rcv;
	/* Both FINs leave before either arrives: neither acks the other. */
	seg_raw(&s, A, TH_FIN | TH_ACK, s.h[A].nxt, a_ack, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);
	/* B's FIN does not cover A's FIN: B sent it from ESTABLISHED, so B
	 * is in CLOSING once A's FIN lands, and A (F1) goes to CLOSING. */
	seg_raw(&s, B, TH_FIN | TH_ACK, s.h[B].nxt, b_ack, 0);
	assert_states(&s, TCP_CLOSING, TCP_CLOSING);
	/* Each acknowledges the other's FIN: RCVD ACK_FIN CG->TW */
	seg_raw(&s, A, TH_ACK, s.h[A].nxt + 1, s.h[B].nxt + 1, 0);
	assert_states(&s, TCP_CLOSING, TCP_TIME_WAIT);
	seg_raw(&s, B, TH_ACK, s.h[B].nxt + 1, s.h[A].nxt + 1, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_TIME_WAIT);
}

/* A RST acceptable to the receiver closes both ends, from any state. */
static void test_rst_every_state(void **state)
{
	(void)state;
	struct sim s;

	/* SYN_SENT: the RST must acknowledge the SYN (RFC 9293 3.10.7.3) */
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg_raw(&s, B, TH_RST | TH_ACK, 0, s.h[A].isn + 5, 0);
	assert_states(&s, TCP_SYN_SENT, TCP_CLOSED);
	assert_int_equal(s.ctr[TR_RST_OUT_OF_WINDOW], 1);
	unsigned n = seg_raw(&s, B, TH_RST | TH_ACK, 0, s.h[A].isn + 1, 0);
	assert_true(n & TCP_NOTE_REFUSED);
	assert_states(&s, TCP_CLOSED, TCP_CLOSED);

	/* SYN_RECEIVED: any in-window RST */
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	seg_raw(&s, A, TH_RST, s.h[A].nxt + 10, 0, 0);
	assert_states(&s, TCP_CLOSED, TCP_CLOSED);

	/* The synchronized states: exact sequence number only. */
	static const struct {
		int steps; /* how far to go before the RST */
		enum tcp_state a, b;
	} cases[] = {
		{0, TCP_ESTABLISHED, TCP_ESTABLISHED},
		{1, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT},
		{2, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT},
		{3, TCP_TIME_WAIT, TCP_LAST_ACK},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int who = A; who <= B; who++) {
			sim_init(&s);
			handshake(&s);
			if (cases[i].steps >= 1)
				seg(&s, A, TH_FIN | TH_ACK, 0);
			if (cases[i].steps >= 2)
				seg(&s, B, TH_ACK, 0);
			if (cases[i].steps >= 3)
				seg(&s, B, TH_FIN | TH_ACK, 0);
			assert_states(&s, cases[i].a, cases[i].b);
			int from = !who; /* RST sent to `who` */
			uint32_t exact = s.h[from].nxt;
			/* in window but not exact: challenge ACK, no change */
			seg_raw(&s, from, TH_RST, exact + 100, 0, 0);
			assert_states(&s, cases[i].a, cases[i].b);
			/* far outside the window: ignored */
			seg_raw(&s, from, TH_RST, exact + 0x40000000u, 0, 0);
			assert_states(&s, cases[i].a, cases[i].b);
			assert_int_equal(s.ctr[TR_RST_CHALLENGED], 1);
			assert_int_equal(s.ctr[TR_RST_OUT_OF_WINDOW], 1);
			seg_raw(&s, from, TH_RST, exact, 0, 0);
			assert_int_equal(st(&s, who), TCP_CLOSED);
			assert_int_equal(st(&s, from), TCP_CLOSED);
		}
	}

	/* CLOSING */
	sim_init(&s);
	handshake(&s);
	seg_raw(&s, A, TH_FIN | TH_ACK, s.h[A].nxt, s.h[A].rcv, 0);
	seg_raw(&s, B, TH_FIN | TH_ACK, s.h[B].nxt, s.h[B].rcv, 0);
	assert_states(&s, TCP_CLOSING, TCP_CLOSING);
	seg_raw(&s, B, TH_RST, s.h[B].nxt + 1, 0, 0);
	assert_states(&s, TCP_CLOSED, TCP_CLOSED);
}

static void test_rst_without_connection(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	unsigned n = seg_raw(&s, B, TH_RST, 12345, 0, 0);
	assert_int_equal(n, 0);
	assert_false(s.c.flags & TCPC_STARTED);
	assert_int_equal(s.ctr[TR_RST_NO_CONN], 1);
}

static void test_syn_on_synchronized_ignored(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	/* a SYN with another ISN on an established tuple: challenge ACK */
	seg_raw(&s, A, TH_SYN, 77777, 0, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_SYN_IGNORED], 1);
	/* a SYN-ACK acknowledging the wrong ISN does not establish */
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg_raw(&s, B, TH_SYN | TH_ACK, s.h[B].isn, s.h[A].isn + 99, 0);
	assert_int_equal(st(&s, A), TCP_SYN_SENT);
	assert_int_equal(s.ctr[TR_SYNACK_BAD_ACK], 1);
}

static void test_fin_out_of_window(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	seg_raw(&s, B, TH_FIN | TH_ACK, s.h[B].nxt + 0x20000000u, s.h[B].rcv, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_FIN_OUT_OF_WINDOW], 1);
}

static void test_time_wait_reuse(void **state)
{
	(void)state;
	struct sim s;
	/* Server closed first: B in TIME_WAIT, A CLOSED.  A new SYN from A
	 * beyond the old sequence space opens a new connection. */
	sim_init(&s);
	handshake(&s);
	seg(&s, B, TH_FIN | TH_ACK, 0);
	seg(&s, A, TH_FIN | TH_ACK, 0);
	seg(&s, B, TH_ACK, 0);
	assert_states(&s, TCP_CLOSED, TCP_TIME_WAIT);
	/* an old duplicate (seq not beyond) is ignored */
	seg_raw(&s, A, TH_SYN, s.h[A].isn, 0, 0);
	assert_states(&s, TCP_CLOSED, TCP_TIME_WAIT);
	assert_int_equal(s.ctr[TR_SYN_OLD_DUPLICATE], 1);
	s.h[A].isn = s.h[A].nxt + 100000;
	s.h[A].nxt = s.h[A].isn;
	s.h[A].rcv = 0;
	unsigned n = seg(&s, A, TH_SYN, 0);
	assert_true(n & TCP_NOTE_NEW_CONN);
	assert_states(&s, TCP_SYN_SENT, TCP_CLOSED);
	assert_int_equal(s.ctr[TR_NEW_CONNECTION], 1);

	/* Client closed first: A in TIME_WAIT reopens the tuple (SENT SYN
	 * TW->SS via a new connection). */
	sim_init(&s);
	a_closes_first(&s);
	seg(&s, B, TH_FIN | TH_ACK, 0);
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_CLOSED);
	assert_int_equal(tcp_next_state(TCP_ROLE_SENT, TC_SYN, TCP_TIME_WAIT),
			 TCP_SYN_SENT);
	s.h[A].isn = s.h[A].nxt + 5000;
	n = seg_raw(&s, A, TH_SYN, s.h[A].isn, 0, 0);
	assert_true(n & TCP_NOTE_NEW_CONN);
	assert_states(&s, TCP_SYN_SENT, TCP_CLOSED);
}

static void test_timers(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	a_closes_first(&s);
	seg(&s, B, TH_FIN | TH_ACK, 0);
	ws_time tw = s.now;
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_CLOSED);
	/* A entered TIME_WAIT when B's FIN arrived */
	assert_true(tcp_state_at(&s.c.ep[A], tw + WS_SEC(60) - 1) ==
		    TCP_TIME_WAIT);
	assert_true(tcp_state_at(&s.c.ep[A], tw + WS_SEC(60)) == TCP_CLOSED);
	assert_true(tcp_state_since(&s.c.ep[A], tw + WS_SEC(61)) ==
		    tw + WS_SEC(60));
	/* TIME_WAIT restarts on a retransmitted FIN (Linux reschedules) */
	s.now += WS_SEC(30);
	seg_raw(&s, B, TH_FIN | TH_ACK, s.h[B].nxt - 1, s.h[B].rcv, 0);
	ws_time again = s.now;
	assert_true(tcp_state_at(&s.c.ep[A], tw + WS_SEC(61)) == TCP_TIME_WAIT);
	assert_true(tcp_state_at(&s.c.ep[A], again + WS_SEC(60)) == TCP_CLOSED);

	/* SYN_SENT ends after Linux's 131 s, SYN_RECEIVED after 63 s */
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	ws_time t0 = s.now;
	assert_true(tcp_state_at(&s.c.ep[A], t0 + WS_SEC(130)) == TCP_SYN_SENT);
	assert_true(tcp_state_at(&s.c.ep[A], t0 + WS_SEC(131)) == TCP_CLOSED);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	t0 = s.now;
	s.c.ep[A].state = TCP_CLOSED; /* A's answer is not part of this */
	assert_true(tcp_state_at(&s.c.ep[B], t0 + WS_SEC(62)) ==
		    TCP_SYN_RECEIVED);
	assert_true(tcp_state_at(&s.c.ep[B], t0 + WS_SEC(63)) == TCP_CLOSED);

	/* Orphaned FIN_WAIT_2 ends after 60 s; one that keeps reading
	 * (shutdown(SHUT_WR)) does not. */
	sim_init(&s);
	a_closes_first(&s);
	t0 = s.now;
	assert_true(tcp_state_at(&s.c.ep[A], t0 + WS_SEC(60)) == TCP_CLOSED);
	seg(&s, B, TH_ACK | TH_PUSH, 100);
	seg(&s, A, TH_ACK, 0); /* A acknowledges new data */
	assert_true(tcp_state_at(&s.c.ep[A], t0 + WS_SEC(3600)) ==
		    TCP_FIN_WAIT_2);
	/* ESTABLISHED and CLOSE_WAIT have no timer */
	assert_true(tcp_state_at(&s.c.ep[B], t0 + WS_SEC(86400)) ==
		    TCP_CLOSE_WAIT);
	assert_true(tcp_conn_long_lived(&s.c, s.now));
}

/* The FIN is retransmitted and B never acknowledged it: B never had it
 * (the kernel ACKs a FIN within the delayed-ACK time, far below the RTO). */
static void test_fin_not_delivered(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	uint32_t fin = s.h[A].nxt;
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, s.h[A].rcv, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, s.h[A].rcv, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_REVERTED], 1);
	assert_int_equal(s.ctr[TR_RETRANSMIT], 1);
	/* more retransmissions change nothing */
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, s.h[A].rcv, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_ESTABLISHED);
	/* B's ACK of the FIN proves delivery: B CLOSE_WAIT, A FIN_WAIT_2 */
	seg_raw(&s, B, TH_ACK, s.h[B].nxt, fin + 1, 0);
	assert_states(&s, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT);
}

/* A's data is lost and its FIN, behind it, waits out of order at B
 * (a FIN is processed only in sequence): the data sent again and not
 * acknowledged proves B never processed the FIN. */
static void test_fin_behind_lost_data(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	uint32_t data = s.h[A].nxt;
	seg_raw(&s, A, TH_ACK | TH_PUSH, data, s.h[A].rcv, 200);
	seg_raw(&s, A, TH_FIN | TH_ACK, data + 200, s.h[A].rcv, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);
	seg_raw(&s, B, TH_ACK, s.h[B].nxt, data, 0); /* dup ACK, SACKs FIN */
	seg_raw(&s, A, TH_ACK | TH_PUSH, data, s.h[A].rcv, 200);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_REVERTED], 1);
	/* the repaired data and the FIN are acknowledged together */
	seg_raw(&s, B, TH_ACK, s.h[B].nxt, data + 201, 0);
	assert_states(&s, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT);
}

/* A repeats its FIN with an ACK field short of B's FIN: Linux repeats a
 * FIN with its current rcv_nxt, so A never had B's FIN (nor B's ACK). */
static void test_fin_repeat_without_peer_fin(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	uint32_t fin = s.h[A].nxt, a_ack = s.h[A].rcv;
	seg(&s, A, TH_FIN | TH_ACK, 0);
	seg(&s, B, TH_ACK, 0);
	seg(&s, B, TH_FIN | TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, a_ack, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_LAST_ACK);
	assert_int_equal(s.ctr[TR_REVERTED], 2);
	/* A's ACK of B's FIN, when it comes, delivers it: CLOSING */
	seg_raw(&s, A, TH_ACK, fin + 1, s.h[B].nxt, 0);
	assert_int_equal(st(&s, A), TCP_CLOSING);
}

/* B in LAST_ACK: A's ACKs are seen but do not reach B, which keeps
 * repeating its FIN.  Once B is shown to lose ACKs, an ACK to it counts
 * only when B's next repeat (due twice its last gap later) is overdue:
 * three times the gap, or 3 s while the gap is unknown. */
static void test_last_ack_held(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	a_closes_first(&s);
	uint32_t fin = s.h[B].nxt;
	seg(&s, B, TH_FIN | TH_ACK, 0);
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_CLOSED);
	/* SENT FIN CL->LA: the FIN again, so the ACK was lost */
	seg_raw(&s, B, TH_FIN | TH_ACK, fin, s.h[B].rcv, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	ws_time rep1 = s.now;
	/* A re-acknowledges: deferred (gap unknown: due 3 s after rep1) */
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	assert_int_equal(s.ctr[TR_ACK_DEFERRED], 1);
	assert_true(tcp_state_at(&s.c.ep[B], rep1 + WS_SEC(3) - 1) ==
		    TCP_LAST_ACK);
	assert_true(tcp_state_at(&s.c.ep[B], rep1 + WS_SEC(3)) == TCP_CLOSED);
	/* B repeats 400 ms later: that ACK was lost too */
	s.now = rep1 + WS_SEC(1) * 4 / 10 - WS_SEC(1) / 1000;
	seg_raw(&s, B, TH_FIN | TH_ACK, fin, s.h[B].rcv, 0);
	ws_time rep2 = s.now;
	seg(&s, A, TH_ACK, 0);
	/* the next repeat is due 800 ms later: LAST_ACK until 3 x 400 ms */
	assert_true(tcp_state_at(&s.c.ep[B], rep2 + WS_SEC(1) * 12 / 10 - 1) ==
		    TCP_LAST_ACK);
	assert_true(tcp_state_at(&s.c.ep[B], rep2 + WS_SEC(1) * 12 / 10) ==
		    TCP_CLOSED);
	/* B repeats on time (ACK lost): with no further ACK, LAST_ACK lasts
	 * until its own timer, 102 s after it was re-entered */
	s.now = rep2 + WS_SEC(1) * 8 / 10 - WS_SEC(1) / 1000;
	seg_raw(&s, B, TH_FIN | TH_ACK, fin, s.h[B].rcv, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	assert_true(tcp_state_at(&s.c.ep[B], rep1 + WS_SEC(101)) ==
		    TCP_LAST_ACK);
	assert_true(tcp_state_at(&s.c.ep[B], rep1 + WS_SEC(102)) == TCP_CLOSED);

	/* SENT FIN F2->F1: A's FIN repeated after B acknowledged it */
	sim_init(&s);
	handshake(&s);
	fin = s.h[A].nxt;
	seg(&s, A, TH_FIN | TH_ACK, 0);
	seg(&s, B, TH_ACK, 0);
	assert_states(&s, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT);
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, s.h[A].rcv, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);

	/* SENT FIN TW->CG: the FIN again from TIME_WAIT */
	sim_init(&s);
	handshake(&s);
	fin = s.h[A].nxt;
	seg(&s, A, TH_FIN | TH_ACK, 0);
	seg(&s, B, TH_ACK, 0);
	seg(&s, B, TH_FIN | TH_ACK, 0);
	assert_states(&s, TCP_TIME_WAIT, TCP_LAST_ACK);
	/* its ACK field covers B's FIN, so B's LAST_ACK ends */
	seg_raw(&s, A, TH_FIN | TH_ACK, fin, s.h[A].rcv, 0);
	assert_states(&s, TCP_CLOSING, TCP_CLOSED);
}

/* B's SYN-ACK never reaches A: A retransmits its SYN. */
static void test_synack_not_delivered(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_SYN_RECEIVED);
	seg_raw(&s, A, TH_SYN, s.h[A].isn, 0, 0);
	assert_states(&s, TCP_SYN_SENT, TCP_SYN_RECEIVED);
	assert_int_equal(s.ctr[TR_REVERTED], 1);
	/* B's retransmitted SYN-ACK is not taken on trust any more */
	seg_raw(&s, B, TH_SYN | TH_ACK, s.h[B].isn, s.h[A].isn + 1, 0);
	assert_states(&s, TCP_SYN_SENT, TCP_SYN_RECEIVED);
	/* SENT ACK SS->ES: A's own ACK says it got one; B (SR) gets it */
	seg(&s, A, TH_ACK, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);

	/* B's SYN-ACK repeated after A's ACK: the ACK was lost; B goes back
	 * to SYN_RECEIVED, and SENT ACK SR->ES once B sends data itself. */
	sim_init(&s);
	handshake(&s);
	seg_raw(&s, B, TH_SYN | TH_ACK, s.h[B].isn, s.h[A].isn + 1, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_SYN_RECEIVED);
	seg(&s, A, TH_ACK | TH_PUSH, 10); /* not trusted: B is lossy */
	assert_states(&s, TCP_ESTABLISHED, TCP_SYN_RECEIVED);
	seg(&s, B, TH_ACK, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
}

static void test_close_before_established(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	/* RCVD FIN SR->CW: A's FIN arrives before its handshake ACK was
	 * seen; FIN segments carry ACK, which completes B's handshake
	 * first, so take B's view from a FIN without that ACK effect */
	struct sim t = s;
	seg_raw(&t, A, TH_FIN | TH_ACK, t.h[A].nxt, t.h[B].isn, 0);
	assert_int_equal(st(&t, B), TCP_CLOSE_WAIT);
	/* SENT FIN SR->F1: B closes while still in SYN_RECEIVED */
	seg_raw(&s, B, TH_FIN | TH_ACK, s.h[B].nxt, s.h[B].rcv, 0);
	assert_int_equal(st(&s, B), TCP_FIN_WAIT_1);
}

static void test_midstream(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	/* first segment: data from the server port 80 side (B) */
	seg_raw(&s, B, TH_ACK | TH_PUSH, 900000, 5000, 100);
	assert_true(s.c.flags & TCPC_PARTIAL);
	assert_true(s.c.flags & TCPC_CLIENT_GUESSED);
	assert_int_equal(s.c.client, A); /* the port 40000 side */
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_MIDSTREAM], 1);
	/* in-window but inexact RST: loose mode accepts it */
	seg_raw(&s, A, TH_RST, 5000 + 10, 0, 0);
	assert_states(&s, TCP_CLOSED, TCP_CLOSED);

	/* first segment a FIN: sender FIN_WAIT_1, receiver CLOSE_WAIT */
	sim_init(&s);
	seg_raw(&s, A, TH_FIN | TH_ACK, 7000, 8000, 0);
	assert_states(&s, TCP_FIN_WAIT_1, TCP_CLOSE_WAIT);

	/* first segment a SYN-ACK: the SYN was missed, not a guess */
	sim_init(&s);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	assert_true(s.c.flags & TCPC_PARTIAL);
	assert_false(s.c.flags & TCPC_CLIENT_GUESSED);
	assert_int_equal(s.c.client, A);
	assert_states(&s, TCP_ESTABLISHED, TCP_SYN_RECEIVED);
}

static void test_guess_client(void **state)
{
	(void)state;
	assert_int_equal(tcp_guess_client(51000, 443, 0), 0);
	assert_int_equal(tcp_guess_client(443, 51000, 0), 1);
	assert_int_equal(tcp_guess_client(8080, 45000, 1), 0);
	assert_int_equal(tcp_guess_client(45000, 8080, 1), 1);
	assert_int_equal(tcp_guess_client(5000, 6000, 1), 1);
}

static void test_bad_flags_counted(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	handshake(&s);
	seg_raw(&s, A, TH_SYN | TH_FIN, s.h[A].nxt, 0, 0);
	seg_raw(&s, A, 0, s.h[A].nxt, 0, 0);
	seg_raw(&s, A, TH_FIN, s.h[A].nxt, 0, 0);
	assert_states(&s, TCP_ESTABLISHED, TCP_ESTABLISHED);
	assert_int_equal(s.ctr[TR_BAD_FLAGS], 3);
}

static void test_retransmissions_counted(void **state)
{
	(void)state;
	struct sim s;
	sim_init(&s);
	seg(&s, A, TH_SYN, 0);
	seg_raw(&s, A, TH_SYN, s.h[A].isn, 0, 0); /* SENT SYN SS->SS */
	assert_int_equal(st(&s, A), TCP_SYN_SENT);
	seg(&s, B, TH_SYN | TH_ACK, 0);
	seg_raw(&s, B, TH_SYN | TH_ACK, s.h[B].isn, s.h[A].isn + 1, 0);
	assert_int_equal(st(&s, B), TCP_SYN_RECEIVED); /* SR->SR */
	seg(&s, A, TH_ACK, 0);
	uint32_t seq = s.h[A].nxt;
	seg(&s, A, TH_ACK | TH_PUSH, 500);
	seg_raw(&s, A, TH_ACK | TH_PUSH, seq, s.h[A].rcv, 500);
	seg_raw(&s, A, TH_ACK | TH_PUSH, seq + 100, s.h[A].rcv, 100);
	/* a pure ACK is never a retransmission */
	seg_raw(&s, A, TH_ACK, seq, s.h[A].rcv, 0);
	assert_int_equal(s.ctr[TR_RETRANSMIT], 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_class),
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_open_close_by_client),
		cmocka_unit_test(test_fin_on_data_and_combined_ack),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_rst_every_state),
		cmocka_unit_test(test_rst_without_connection),
		cmocka_unit_test(test_syn_on_synchronized_ignored),
		cmocka_unit_test(test_fin_out_of_window),
		cmocka_unit_test(test_time_wait_reuse),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_fin_not_delivered),
		cmocka_unit_test(test_fin_behind_lost_data),
		cmocka_unit_test(test_fin_repeat_without_peer_fin),
		cmocka_unit_test(test_last_ack_held),
		cmocka_unit_test(test_synack_not_delivered),
		cmocka_unit_test(test_close_before_established),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_guess_client),
		cmocka_unit_test(test_bad_flags_counted),
		cmocka_unit_test(test_retransmissions_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

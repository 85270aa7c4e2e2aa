/* engine.c - wires the stages for each packet.  No allocation, formatting
 * or system call here: flows come from the pool, counters are arrays.
 *
 * engine_packet() counts and decodes a packet and asks for its hash
 * bucket; engine_flush() then processes a batch in arrival order, asking
 * for the next packets' flows while working on this one.  The flow table
 * is far larger than the caches: this way its misses overlap. */
#include "wirestat/engine.h"

#include <string.h>

#include "wirestat/decode.h"
#include "wirestat/tcp.h"

enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

int engine_init(struct engine *e, const struct engine_config *cfg,
		char *errbuf)
{
	size_t max = cfg->max_flows ? cfg->max_flows : FLOW_DEFAULT_MAX;
	memset(e, 0, sizeof(*e));
	e->flows = flow_table_new(max, errbuf);
	if (!e->flows)
		return -1;
	/* Listening and bound ports are far fewer than flows. */
	size_t ports = max / 8 < 1024 ? 1024 : max / 8;
	e->ports = ports_table_new(ports, errbuf);
	if (!e->ports) {
		flow_table_free(e->flows);
		e->flows = NULL;
		return -1;
	}
	return 0;
}

void engine_free(struct engine *e)
{
	engine_flush(e);
	flow_table_free(e->flows);
	ports_table_free(e->ports);
	e->flows = NULL;
	e->ports = NULL;
}

static void count_packet(struct flow *f, int side, const struct decoded *d)
{
	f->pkts[side]++;
	f->ip_bytes[side] += d->ip_len;
	if (side != f->orig)
		f->flags |= FLOW_F_REPLIED;
}


static void emit_event(struct engine *e, const struct flow *f, int side,
		       uint8_t old_state, uint8_t new_state, ws_time ts,
		       const struct decoded *d, bool sent)
{
	struct engine_event ev = {
		.ts = ts,
		.flow = f,
		.side = side,
		.old_state = old_state,
		.new_state = new_state,
		.by_timer = d == NULL,
		.sent = sent,
		.pkt = d,
	};
	e->on_event(e->on_event_ctx, &ev);
}

/* Timer changes the stored states do not show yet, as of now; reported
 * once (the states are then advanced). */
static void timer_events(struct engine *e, struct flow *f, ws_time now)
{
	struct tcp_conn *c = &f->u.tcp;
	if (f->key.proto != IPPROTO_TCP_ || !(c->flags & TCPC_STARTED))
		return;
	for (int i = 0; i < 2; i++) {
		enum tcp_state st = tcp_state_at(&c->ep[i], now);
		if (st != c->ep[i].state)
			emit_event(e, f, i, c->ep[i].state, (uint8_t)st,
				   tcp_state_since(&c->ep[i], now), NULL, false);
	}
	tcp_advance(c, now);
}

/* The flow table's end callback: a flow leaves (idle, evicted). */
static void flow_ended(void *ctx, struct flow *f, enum flow_end why)
{
	struct engine *e = ctx;
	if (e->on_event && why != FLOW_END_FORCED)
		timer_events(e, f, e->now);
}

void engine_on_event(struct engine *e, engine_event_fn fn, void *ctx)
{
	e->on_event = fn;
	e->on_event_ctx = ctx;
	flow_table_on_end(e->flows, fn ? flow_ended : NULL, e);
}

static void tcp_packet(struct engine *e, const struct engine_pending *p)
{
	const struct decoded *d = &p->d;
	ws_time now = p->now;
	int side = p->ref.side;
	bool created;
	if (d->anomalies & DA_FIRST_FRAGMENT) {
		/* Fragments are not reassembled: the first one's header
		 * (flags, ACK) is used, its length is only the fragment's.
		 * Overlapping fragments, which Linux drops whole, are not
		 * detected. */
		e->stats.tcp[TR_FRAGMENTED]++;
	}
	struct flow *f = flow_lookup_ref(e->flows, &p->ref, now, &created);
	if (!f)
		return;
	uint8_t before[2] = {TCP_STATE_MAX, TCP_STATE_MAX};
	if (e->on_event && (f->u.tcp.flags & TCPC_STARTED)) {
		timer_events(e, f, now);
		for (int i = 0; i < 2; i++)
			before[i] = (uint8_t)tcp_state_at(&f->u.tcp.ep[i], now);
	}
	unsigned notes = tcp_segment(&f->u.tcp, side, d, now, e->stats.tcp);
	if (e->on_event && (notes & TCP_NOTE_STARTED) &&
	    !(f->u.tcp.flags & TCPC_PARTIAL))
		before[0] = before[1] = TCP_CLOSED; /* opened before our eyes */
	if (e->on_event && (f->u.tcp.flags & TCPC_STARTED))
		for (int i = 0; i < 2; i++) {
			uint8_t after = f->u.tcp.ep[i].state;
			/* a socket first seen closed was never there */
			if (after != before[i] &&
			    !(before[i] == TCP_STATE_MAX && after == TCP_CLOSED))
				emit_event(e, f, i, before[i], after, now, d,
					   i == side);
		}
	if (notes & TCP_NOTE_NEW_CONN) {
		/* The tuple starts a new connection: its counters restart. */
		memset(f->pkts, 0, sizeof(f->pkts));
		memset(f->ip_bytes, 0, sizeof(f->ip_bytes));
		f->flags = 0;
		f->first_ts = now;
	}
	if (notes & TCP_NOTE_STARTED)
		f->orig = f->u.tcp.client;
	count_packet(f, side, d);
	if (notes & TCP_NOTE_LISTEN)
		ports_note(e->ports, &d->src, d->sport, IPPROTO_TCP_, d->vlan,
			   d->inner_vlan, PORT_LISTENING, now);
	if (notes & TCP_NOTE_REFUSED)
		ports_note(e->ports, &d->src, d->sport, IPPROTO_TCP_, d->vlan,
			   d->inner_vlan, PORT_CLOSED, now);
	/* Timers only ever end in CLOSED, so only a transition, or a flag
	 * that takes a timer away, can make a flow long-lived. */
	if (notes & (TCP_NOTE_CHANGED | TCP_NOTE_STARTED | TCP_NOTE_NEW_CONN |
		     TCP_NOTE_RECLASS))
		flow_set_lru(e->flows, f,
			     tcp_conn_long_lived(&f->u.tcp, now)
				     ? FLOW_LRU_TCP_LONG
				     : FLOW_LRU_TCP_SHORT);
}

static void udp_packet(struct engine *e, const struct engine_pending *p)
{
	const struct decoded *d = &p->d;
	ws_time now = p->now;
	int side = p->ref.side;
	bool created;
	struct flow *f = flow_lookup_ref(e->flows, &p->ref, now, &created);
	if (!f)
		return;
	bool replied = f->flags & FLOW_F_REPLIED;
	count_packet(f, side, d);
	if (!replied && (f->flags & FLOW_F_REPLIED)) {
		/* The first answer: the responder's port is bound. */
		ports_note(e->ports, &d->src, d->sport, IPPROTO_UDP_, d->vlan,
			   d->inner_vlan, PORT_BOUND, now);
		flow_set_lru(e->flows, f, FLOW_LRU_UDP_REPLIED);
	} else if (created) {
		flow_set_lru(e->flows, f, FLOW_LRU_UDP_UNREPLIED);
	}
}

/* An ICMP error quoting a TCP segment: it may end a connect() (see
 * tcp_icmp_error()).  Any router may send it; the quoted sequence number
 * has to match.  Destination unreachable except "fragmentation needed"
 * (PMTU), time exceeded and parameter problem; for IPv6 the same less
 * "packet too big". */
static void icmp_tcp_error(struct engine *e, const struct decoded *d,
			   ws_time now, bool v6)
{
	bool hard = v6 ? (d->icmp_type == 1 || d->icmp_type == 3 ||
			  d->icmp_type == 4)
		       : ((d->icmp_type == 3 && d->icmp_code != 4) ||
			  d->icmp_type == 11 || d->icmp_type == 12);
	if (!hard || !d->inner_has_seq)
		return;
	struct decoded q;
	memset(&q, 0, sizeof(q));
	q.src = d->inner_src;
	q.dst = d->inner_dst;
	q.sport = d->inner_sport;
	q.dport = d->inner_dport;
	q.proto = IPPROTO_TCP_;
	q.vlan = d->vlan;
	q.inner_vlan = d->inner_vlan;
	int side;
	struct flow *f = flow_find(e->flows, &q, &side);
	if (f && (tcp_icmp_error(&f->u.tcp, side, d->inner_seq, now,
				 e->stats.tcp) & TCP_NOTE_CHANGED))
		flow_set_lru(e->flows, f,
			     tcp_conn_long_lived(&f->u.tcp, now)
				     ? FLOW_LRU_TCP_LONG
				     : FLOW_LRU_TCP_SHORT);
}

/* ICMP port unreachable (RFC 792 type 3 code 3; RFC 4443 type 1 code 4)
 * quoting a UDP datagram: the quoted destination port is closed; one
 * quoting TCP goes to icmp_tcp_error(). */
static void icmp_packet(struct engine *e, const struct decoded *d, ws_time now,
			bool v6)
{
	if (d->inner_valid && d->inner_proto == IPPROTO_TCP_) {
		icmp_tcp_error(e, d, now, v6);
		return;
	}
	bool port_unreach = v6 ? (d->icmp_type == 1 && d->icmp_code == 4)
			       : (d->icmp_type == 3 && d->icmp_code == 3);
	if (!port_unreach || !d->inner_valid || d->inner_proto != IPPROTO_UDP_)
		return;
	if (!addr_equal(&d->inner_dst, &d->src))
		return; /* only the host itself speaks for its ports */
	ports_note(e->ports, &d->inner_dst, d->inner_dport, IPPROTO_UDP_,
		   d->vlan, d->inner_vlan, PORT_CLOSED, now);
}

void engine_packet(struct engine *e, int dlt, ws_time ts, const uint8_t *data,
		   uint32_t caplen, uint32_t len)
{
	struct stats *s = &e->stats;
	struct engine_pending *p = &e->pending[e->npending];

	s->packets++;
	s->bytes += len;
	if (s->packets == 1)
		s->first_ts = ts;
	if (ts > e->now)
		e->now = ts;
	else if (ts < e->now)
		s->ts_backwards++;
	s->last_ts = e->now;
	p->now = e->now;
	enum decode_reason r = decode_packet(dlt, data, caplen, len, &p->d);
	s->decode[r]++;
	p->reason = (uint8_t)r;
	if (r == DR_TCP || r == DR_UDP)
		flow_prepare(e->flows, &p->d, &p->ref);
	if (++e->npending == ENGINE_BATCH)
		engine_flush(e);
}

void engine_finish(struct engine *e)
{
	engine_flush(e);
	if (!e->on_event)
		return;
	for (struct flow *f = flow_first(e->flows); f; f = flow_next(f))
		timer_events(e, f, e->now);
}

void engine_flush(struct engine *e)
{
	unsigned n = e->npending;
	for (unsigned i = 0; i < n; i++) {
		struct engine_pending *p = &e->pending[i];
		if (i + 2 < n && (e->pending[i + 2].reason == DR_TCP ||
				  e->pending[i + 2].reason == DR_UDP))
			flow_prefetch(e->flows, &e->pending[i + 2].ref);
		if (p->now >= e->next_expiry) {
			flow_expire(e->flows, p->now);
			e->next_expiry = p->now + WS_NS_PER_SEC;
		}
		switch (p->reason) {
		case DR_TCP:
			tcp_packet(e, p);
			break;
		case DR_UDP:
			udp_packet(e, p);
			break;
		case DR_ICMP:
			icmp_packet(e, &p->d, p->now, false);
			break;
		case DR_ICMP6:
			icmp_packet(e, &p->d, p->now, true);
			break;
		default:
			break;
		}
	}
	e->npending = 0;
}

/* engine.c - wires the stages for each packet.  No allocation, formatting
 * or system call here: flows come from the pool, counters are arrays.
 *
 * engine_packet() counts and decodes a packet and asks for its hash
 * bucket; engine_flush() then processes a batch in arrival order, asking
 * for the next packets' flows while working on this one.  The flow table
 * is far larger than the caches: this way its misses overlap. */
#include "wirestat/engine.h"

#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/decode.h"
#include "wirestat/tcp.h"

enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

static void flow_ended(void *ctx, struct flow *f, enum flow_end why);

int engine_init(struct engine *e, const struct engine_config *cfg,
		char *errbuf)
{
	size_t max = cfg->max_flows ? cfg->max_flows : FLOW_DEFAULT_MAX;
	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	/* The connection view keeps Zeek's state in each flow's extension
	 * area; without it a flow carries none. */
	e->flows = flow_table_new_ext(max, cfg->conn ? sizeof(struct conn_ext)
						    : 0,
				      errbuf);
	if (!e->flows)
		return -1;
	if (cfg->conn)
		flow_table_on_end(e->flows, flow_ended, e);
	/* Listening and bound ports are far fewer than flows. */
	size_t ports = max / 8 < 1024 ? 1024 : max / 8;
	e->ports = ports_table_new(ports, errbuf);
	if (!e->ports)
		goto out_free_flows;
	/* After the flow table: the cache hashes with flow_hash(), which
	 * the first flow table seeds. */
	e->names = names_new(cfg->max_names, errbuf);
	if (!e->names)
		goto out_free_ports;
	if (pthread_mutex_init(&e->names_lock, NULL) != 0) {
		ws_error(errbuf, "cannot create the name cache's lock");
		goto out_free_names;
	}
	if (cfg->max_nexthops) {
		e->nexthops = nexthop_table_new(cfg->max_nexthops, errbuf);
		if (!e->nexthops)
			goto out_destroy_lock;
	}
	return 0;
out_destroy_lock:
	pthread_mutex_destroy(&e->names_lock);
out_free_names:
	names_free(e->names);
	e->names = NULL;
out_free_ports:
	ports_table_free(e->ports);
	e->ports = NULL;
out_free_flows:
	flow_table_free(e->flows);
	e->flows = NULL;
	return -1;
}

void engine_free(struct engine *e)
{
	engine_flush(e);
	flow_table_free(e->flows);
	ports_table_free(e->ports);
	if (e->names) {
		names_free(e->names);
		pthread_mutex_destroy(&e->names_lock);
	}
	nexthop_table_free(e->nexthops);
	e->flows = NULL;
	e->ports = NULL;
	e->names = NULL;
	e->nexthops = NULL;
}

bool engines_name_lookup(struct engine *const *engines, size_t n,
			 const struct addr *a, struct names_entry *out)
{
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		struct engine *e = engines[i];
		if (!e->names)
			continue;
		pthread_mutex_lock(&e->names_lock);
		/* no NAMES_FRESH_ONLY: the time is not read (and e->now may
		 * be moving on another thread) */
		const struct names_entry *x = names_lookup(e->names, a, 0, 0);
		if (x && (!found || x->last_ts > out->last_ts)) {
			*out = *x;
			found = true;
		}
		pthread_mutex_unlock(&e->names_lock);
	}
	return found;
}

static void count_packet(struct flow *f, int side, const struct decoded *d)
{
	f->pkts[side]++;
	f->ip_bytes[side] += d->ip_len;
	if (side != f->orig)
		f->flags |= FLOW_F_REPLIED;
}


/* Is a one of the hosts whose point of view the statistics take?  With
 * no --host, every host is. */
static bool ours(const struct engine *e, const struct addr *a)
{
	if (e->cfg.nhosts == 0)
		return true;
	for (size_t i = 0; i < e->cfg.nhosts; i++)
		if (addr_prefix_match(&e->cfg.hosts[i], a))
			return true;
	return false;
}

/* Linux's TCP MIB counters from one endpoint's change (net/ipv4/tcp.c
 * tcp_set_state(), tcp_done(); tcp_minisocks.c): a connect() is an active
 * open, a handshake completed by a listener's child a passive open, a
 * SYN_SENT or SYN_RECEIVED socket closing an attempt failure, an
 * ESTABLISHED or CLOSE_WAIT one closing an established reset.  Each
 * connection's opens count once, whatever the reverts. */
static void count_transition(struct engine *e, struct flow *f, int side,
			     uint8_t old_state, uint8_t new_state)
{
	struct addr a;
	uint16_t port;
	flow_endpoint(f, side, &a, &port);
	if (!ours(e, &a))
		return;
	struct tcp_stats *t = &e->stats.proto.tcp[f->key.family == ADDR_V6];
	uint8_t counted = side ? FLOW_F_OPEN_COUNTED_1 : FLOW_F_OPEN_COUNTED_0;
	bool was_counted = f->flags & counted;
	if (new_state == TCP_SYN_SENT && !(f->flags & counted)) {
		t->active_opens++;
		f->flags |= counted;
	}
	if (old_state == TCP_SYN_RECEIVED && new_state == TCP_ESTABLISHED &&
	    side != f->u.tcp.client && !(f->flags & counted)) {
		t->passive_opens++;
		f->flags |= counted;
	}
	if ((old_state == TCP_SYN_SENT || old_state == TCP_SYN_RECEIVED) &&
	    new_state == TCP_CLOSED)
		t->attempt_fails++;
	/* A passive open taken on a delivery assumption and undone (its
	 * SYN-ACK repeated): Linux never created the child. */
	if (old_state == TCP_ESTABLISHED && new_state == TCP_SYN_RECEIVED &&
	    side != f->u.tcp.client && was_counted) {
		t->passive_opens--;
		f->flags &= (uint8_t)~counted;
	}
	/* A connect() an ICMP error seemed to end goes on (the same SYN
	 * again): the error was a soft one. */
	if (old_state == TCP_CLOSED && new_state == TCP_SYN_SENT &&
	    was_counted && t->attempt_fails)
		t->attempt_fails--;
	if ((old_state == TCP_ESTABLISHED || old_state == TCP_CLOSE_WAIT) &&
	    new_state == TCP_CLOSED)
		t->estab_resets++;
}

/* One endpoint changed state (old TCP_STATE_MAX: a socket not seen
 * before): the statistics, and --events. */
static void changed(struct engine *e, struct flow *f, int side,
		    uint8_t old_state, uint8_t new_state, ws_time ts,
		    const struct decoded *d, bool sent)
{
	count_transition(e, f, side, old_state, new_state);
	if (!e->on_event)
		return;
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

/* Apply the timers due by now for good, reporting what they changed
 * (stamped with the time each ran out). */
static void advance(struct engine *e, struct flow *f, ws_time now)
{
	struct tcp_conn *c = &f->u.tcp;
	if (f->key.proto != IPPROTO_TCP_ || !(c->flags & TCPC_STARTED))
		return;
	uint8_t old[2] = {c->ep[0].state, c->ep[1].state};
	tcp_advance(c, now);
	for (int i = 0; i < 2; i++)
		if (c->ep[i].state != old[i])
			changed(e, f, i, old[i], c->ep[i].state,
				c->ep[i].state_ts, NULL, false);
}

const char *const conn_end_names[CONN_END_MAX] = {
	[CONN_END_IDLE] = "idle",
	[CONN_END_CLOSED] = "closed",
	[CONN_END_REUSE] = "reused",
	[CONN_END_EVICTED] = "evicted",
	[CONN_END_INPUT] = "end_of_input",
	[CONN_END_OPEN] = "open",
	[CONN_END_ACTIVE] = "active",
};

static struct conn_ext *conn_ext(struct flow *f)
{
	return (struct conn_ext *)(void *)f->ext;
}

/* The record of flow f's open connection, as of its packet at last. */
static void conn_fill(struct flow *f, enum conn_end why, ws_time last,
		      struct conn_record *r)
{
	struct conn_ext *x = conn_ext(f);
	int o = x->orig;
	memset(r, 0, sizeof(*r));
	r->flow = f;
	r->orig = o;
	r->ts = f->first_ts;
	r->last = last;
	r->proto = f->key.proto;
	r->why = (uint8_t)why;
	for (int i = 0; i < 2; i++) {
		int side = i == 0 ? o : !o;
		r->pkts[i] = f->pkts[side];
		r->ip_bytes[i] = f->ip_bytes[side];
		r->bytes[i] = zeek_bytes(&x->z, i == 0);
		r->port[i] = f->key.port[side];
		r->state[i] = TCP_STATE_MAX;
		if (f->key.proto == IPPROTO_TCP_ &&
		    (f->u.tcp.flags & TCPC_STARTED)) {
			r->state[i] = (uint8_t)tcp_state_at(&f->u.tcp.ep[side],
							    last);
			r->since[i] = tcp_state_since(&f->u.tcp.ep[side], last);
		}
	}
	for (int i = 0; i < 2; i++) {
		int side = i == 0 ? o : !o;
		r->part_pkts[i] = f->pkts[side] - x->done_pkts[side];
		r->part_ip_bytes[i] = f->ip_bytes[side] - x->done_ip_bytes[side];
		r->tcp_flags[i] = x->tcp_flags[side];
	}
	r->part_ts = x->part_ts ? x->part_ts : f->first_ts;
	r->bytes_known = last > f->first_ts;
	r->missed = zeek_missed_bytes(&x->z);
	r->conn_state = zeek_conn_state(&x->z);
	zeek_history(&x->z, r->history, sizeof(r->history));
	r->partial = zeek_is_partial(&x->z);
}

/* End flow f's open connection record. */
static void conn_end(struct engine *e, struct flow *f, enum conn_end why,
		     ws_time last)
{
	struct conn_ext *x = conn_ext(f);
	struct conn_record r;
	if (!x->active)
		return;
	x->active = 0;
	if (!e->on_conn)
		return;
	conn_fill(f, why, last, &r);
	e->on_conn(e->on_conn_ctx, &r);
}

/* The inactivity timeout of a record: --idle-timeout, else Zeek's. */
static ws_time conn_idle(const struct engine *e, const struct conn_ext *x)
{
	return e->cfg.idle_timeout ? e->cfg.idle_timeout
				   : zeek_inactivity_timeout(&x->z);
}

/* Why Zeek would have removed flow f's open connection by time now, or
 * CONN_END_MAX: the earliest of its deadlines that has passed.  Its
 * inactivity timer runs from the last packet (last); ConnDeleteTimer()
 * from the packet that completed the close (ConnectionClosed() arms it
 * at LastTime() + tcp_close_delay, and later packets do not move it);
 * AttemptTimer() from the first SYN. */
static enum conn_end conn_deadline(const struct engine *e,
				   const struct flow *f,
				   const struct conn_ext *x, ws_time last,
				   ws_time now)
{
	enum conn_end why = CONN_END_MAX;
	ws_time best = 0, t = last + conn_idle(e, x);
	if (now >= t) {
		best = t;
		why = CONN_END_IDLE;
	}
	if (zeek_is_close_complete(&x->z)) {
		t = x->close_ts + ZEEK_TCP_CLOSE_DELAY;
		if (now >= t && (why == CONN_END_MAX || t < best)) {
			best = t;
			why = CONN_END_CLOSED;
		}
	}
	if (zeek_is_attempt(&x->z)) {
		t = f->first_ts + ZEEK_TCP_ATTEMPT_DELAY;
		if (now >= t && (why == CONN_END_MAX || t < best))
			why = CONN_END_CLOSED;
	}
	return why;
}

/* A packet of flow f (sender: key side) in the connection view, before
 * it is counted: where Zeek would end the open connection and start a
 * new one, the old record is emitted and the flow's counters restart. */
static void conn_before(struct engine *e, struct flow *f, int side,
			const struct decoded *d, ws_time now, bool created)
{
	struct conn_ext *x = conn_ext(f);
	if (x->active && !created) {
		ws_time prev = flow_prev_ts(f);
		enum conn_end why = conn_deadline(e, f, x, prev, now);
		if (why == CONN_END_MAX &&
		    zeek_is_reuse(&x->z, side == x->orig, d))
			why = CONN_END_REUSE;
		if (why != CONN_END_MAX)
			conn_end(e, f, why, prev);
	}
	if (!x->active) {
		zeek_init(&x->z, f->key.proto);
		x->orig = (uint8_t)side; /* Zeek: the first packet's sender */
		x->active = 1;
		x->close_ts = 0;
		x->part_ts = 0;
		memset(x->done_pkts, 0, sizeof(x->done_pkts));
		memset(x->done_ip_bytes, 0, sizeof(x->done_ip_bytes));
		memset(x->tcp_flags, 0, sizeof(x->tcp_flags));
		memset(f->pkts, 0, sizeof(f->pkts));
		memset(f->ip_bytes, 0, sizeof(f->ip_bytes));
		f->first_ts = now;
	}
}

/* The active timeout: a record of what the connection did since the last
 * one, which it then starts counting from. */
static void conn_active(struct engine *e, struct flow *f, ws_time now)
{
	struct conn_ext *x = conn_ext(f);
	struct conn_record r;
	if (e->on_conn) {
		conn_fill(f, CONN_END_ACTIVE, now, &r);
		e->on_conn(e->on_conn_ctx, &r);
	}
	for (int i = 0; i < 2; i++) {
		x->done_pkts[i] = f->pkts[i];
		x->done_ip_bytes[i] = f->ip_bytes[i];
	}
	memset(x->tcp_flags, 0, sizeof(x->tcp_flags));
	x->part_ts = 0;
}

/* After it is counted: Zeek's view, and its role swaps; when the close
 * completed, for the close delay; the active timeout. */
static void conn_after(struct engine *e, struct flow *f, int side,
		       const struct decoded *d, ws_time now)
{
	struct conn_ext *x = conn_ext(f);
	bool was_complete = zeek_is_close_complete(&x->z);
	if (zeek_packet(&x->z, side == x->orig, d))
		x->orig = (uint8_t)!x->orig;
	if (!was_complete && zeek_is_close_complete(&x->z))
		x->close_ts = now;
	if (d->proto == IPPROTO_TCP_)
		x->tcp_flags[side] |= d->tcp_flags;
	if (!x->part_ts)
		x->part_ts = now;
	if (e->cfg.active_timeout && now - x->part_ts >= e->cfg.active_timeout)
		conn_active(e, f, now);
}

/* The flow table's end callback: a flow leaves (idle, evicted). */
static void flow_ended(void *ctx, struct flow *f, enum flow_end why)
{
	struct engine *e = ctx;
	if (why == FLOW_END_FORCED)
		return; /* engine_finish() has ended what was open */
	advance(e, f, e->now);
	if (e->cfg.conn)
		conn_end(e, f, why == FLOW_END_EVICTED ? CONN_END_EVICTED
						       : CONN_END_IDLE,
			 f->last_ts);
}

void engine_on_event(struct engine *e, engine_event_fn fn, void *ctx)
{
	e->on_event = fn;
	e->on_event_ctx = ctx;
	flow_table_on_end(e->flows, fn || e->cfg.conn ? flow_ended : NULL, e);
}

void engine_on_conn(struct engine *e, engine_conn_fn fn, void *ctx)
{
	e->on_conn = fn;
	e->on_conn_ctx = ctx;
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
	if (e->cfg.conn)
		conn_before(e, f, side, d, now, created);
	struct tcp_conn *c = &f->u.tcp;
	uint8_t before[2] = {TCP_STATE_MAX, TCP_STATE_MAX};
	if (c->flags & TCPC_STARTED) {
		advance(e, f, now);
		before[0] = c->ep[0].state;
		before[1] = c->ep[1].state;
	}
	/* Linux counts InErrs for a SYN an ESTABLISHED socket receives
	 * (tcp_validate_incoming(), syn_inerr; RFC 5961 challenge ACK). */
	if ((d->tcp_flags & TH_SYN) && (c->flags & TCPC_STARTED) &&
	    c->ep[!side].state == TCP_ESTABLISHED && ours(e, &d->dst))
		e->stats.proto.tcp[d->dst.family == ADDR_V6].errors++;
	uint64_t rtx = e->stats.tcp[TR_RETRANSMIT];
	unsigned notes = tcp_segment(c, side, d, now, e->stats.tcp);
	if (e->stats.tcp[TR_RETRANSMIT] != rtx && ours(e, &d->src)) {
		struct tcp_stats *ts =
			&e->stats.proto.tcp[d->src.family == ADDR_V6];
		ts->retrans++;
		/* Linux's OutSegs leaves out retransmissions
		 * (__tcp_transmit_skb(): only segments past snd_nxt or with
		 * no sequence space), except SYN-ACKs (tcp_make_synack()
		 * counts every one); RFC 1213 tcpOutSegs likewise. */
		if ((d->tcp_flags & (TH_SYN | TH_ACK)) != (TH_SYN | TH_ACK) &&
		    ts->segs[STATS_TX])
			ts->segs[STATS_TX]--;
	}
	if (notes & TCP_NOTE_NEW_CONN) /* a new connection's opens count */
		f->flags &= (uint8_t)~(FLOW_F_OPEN_COUNTED_0 |
				       FLOW_F_OPEN_COUNTED_1);
	if ((notes & TCP_NOTE_STARTED) && !(c->flags & TCPC_PARTIAL))
		before[0] = before[1] = TCP_CLOSED; /* opened before our eyes */
	if (c->flags & TCPC_STARTED)
		for (int i = 0; i < 2; i++) {
			uint8_t after = c->ep[i].state;
			/* a socket first seen closed was never there */
			if (after != before[i] &&
			    !(before[i] == TCP_STATE_MAX && after == TCP_CLOSED))
				changed(e, f, i, before[i], after, now, d,
					i == side);
		}
	if (notes & TCP_NOTE_STARTED)
		f->orig = f->u.tcp.client;
	count_packet(f, side, d);
	if (e->cfg.conn)
		conn_after(e, f, side, d, now);
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
	if (e->cfg.conn)
		conn_before(e, f, side, d, now, created);
	bool replied = f->flags & FLOW_F_REPLIED;
	count_packet(f, side, d);
	if (e->cfg.conn)
		conn_after(e, f, side, d, now);
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
	if (!f)
		return;
	advance(e, f, now);
	uint8_t before = f->u.tcp.ep[side].state;
	if (tcp_icmp_error(&f->u.tcp, side, d->inner_seq, now,
			   e->stats.tcp) & TCP_NOTE_CHANGED) {
		/* AttemptFails, and --events */
		changed(e, f, side, before, f->u.tcp.ep[side].state, now, d,
			false);
		flow_set_lru(e->flows, f,
			     tcp_conn_long_lived(&f->u.tcp, now)
				     ? FLOW_LRU_TCP_LONG
				     : FLOW_LRU_TCP_SHORT);
	}
}

/* ICMP port unreachable (RFC 792 type 3 code 3; RFC 4443 type 1 code 4)
 * quoting a UDP datagram: the quoted destination port is closed; one
 * quoting TCP goes to icmp_tcp_error(). */
/* The connection view's ICMP flows (Zeek's ICMP connections). */
static void icmp_flow(struct engine *e, const struct engine_pending *p)
{
	bool created;
	struct flow *f = flow_lookup_ref(e->flows, &p->ref, p->now, &created);
	if (!f)
		return;
	conn_before(e, f, p->ref.side, &p->d, p->now, created);
	count_packet(f, p->ref.side, &p->d);
	conn_after(e, f, p->ref.side, &p->d, p->now);
	if (created)
		flow_set_lru(e->flows, f, FLOW_LRU_OTHER);
}

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
	if (ours(e, &d->src))
		e->stats.proto.udp[d->src.family == ADDR_V6].no_ports++;
	ports_note(e->ports, &d->inner_dst, d->inner_dport, IPPROTO_UDP_,
		   d->vlan, d->inner_vlan, PORT_CLOSED, now);
}

static void count2(uint64_t c[STATS_DIRS], bool rx, bool tx)
{
	c[STATS_RX] += rx;
	c[STATS_TX] += tx;
}

/* The protocol counters of one decoded packet (netstat -s). */
static void count_protocols(struct engine *e, const struct decoded *d,
			    enum decode_reason r)
{
	if (d->src.family == ADDR_NONE)
		return; /* not IP, or no IP header to tell whose it is */
	struct proto_stats *ps = &e->stats.proto;
	int fam = d->src.family == ADDR_V6;
	bool rx = ours(e, &d->dst), tx = ours(e, &d->src);
	struct ip_stats *ip = &ps->ip[fam];
	count2(ip->packets, rx, tx);
	if (r == DR_FRAGMENT || (d->anomalies & DA_FIRST_FRAGMENT))
		count2(ip->fragments, rx, tx);
	if (d->anomalies & DA_FIRST_FRAGMENT)
		count2(ip->fragmented, rx, tx);
	switch (r) {
	case DR_TCP:
		count2(ps->tcp[fam].segs, rx, tx);
		if (d->tcp_flags & TH_RST)
			count2(ps->tcp[fam].rsts, rx, tx);
		return;
	case DR_UDP:
		count2(ps->udp[fam].dgrams, rx, tx);
		return;
	case DR_ICMP:
	case DR_ICMP6: {
		struct icmp_stats *ic = &ps->icmp[fam];
		count2(ic->msgs, rx, tx);
		count2(ic->type[d->icmp_type], rx, tx);
		return;
	}
	case DR_IP_OTHER:
		count2(ip->unknown_protos, rx, tx);
		return;
	case DR_TRUNC_TCP:
	case DR_BAD_TCP_DOFF:
		/* Linux: InSegs "even if it's bad", then InErrs */
		ps->tcp[fam].segs[STATS_RX] += rx;
		ps->tcp[fam].errors += rx;
		return;
	case DR_TRUNC_UDP:
	case DR_BAD_UDP_LEN:
		ps->udp[fam].errors += rx;
		return;
	case DR_TRUNC_ICMP:
		count2(ps->icmp[fam].errors, rx, tx);
		return;
	case DR_BAD_L4_LEN:
		if (d->proto == 6) {
			ps->tcp[fam].segs[STATS_RX] += rx;
			ps->tcp[fam].errors += rx;
		}
		else if (d->proto == 17)
			ps->udp[fam].errors += rx;
		else if (d->proto == 1 || d->proto == 58)
			count2(ps->icmp[fam].errors, rx, tx);
		return;
	case DR_TRUNC_IPV4:
	case DR_TRUNC_IPV6:
	case DR_TRUNC_IPV6_EXT:
		count2(ip->truncated, rx, tx);
		return;
	case DR_BAD_IPV4_IHL:
	case DR_BAD_IPV4_LEN:
	case DR_BAD_IPV6_LEN:
	case DR_BAD_IPV6_CHAIN:
		count2(ip->header_errors, rx, tx);
		return;
	default:
		return;
	}
}

/* Multicast or broadcast: by the link-layer destination where the link
 * has one, else by the IP destination. */
static bool non_unicast(const struct decoded *d)
{
	if (d->dl_flags & (DL_MULTICAST | DL_BROADCAST))
		return true;
	if (d->dst.family == ADDR_V4)
		return (d->dst.bytes[0] & 0xf0) == 0xe0 ||
		       (d->dst.bytes[0] == 255 && d->dst.bytes[1] == 255 &&
			d->dst.bytes[2] == 255 && d->dst.bytes[3] == 255);
	return d->dst.family == ADDR_V6 && d->dst.bytes[0] == 0xff;
}

static void count_frame(struct link_stats *l, int dir, const struct decoded *d,
			enum decode_reason r)
{
	enum decode_class c = (enum decode_class)decode_reason_class[r];
	l->bytes[dir] += d->wire_len;
	if (non_unicast(d))
		l->nonunicast[dir]++;
	else
		l->unicast[dir]++;
	l->errors[dir] += c == DECODE_CLASS_TRUNCATED ||
			  c == DECODE_CLASS_MALFORMED;
	l->unknown[dir] += c == DECODE_CLASS_NOT_IP;
}

/* netstat -e: the link's frames (sent: what a Linux cooked capture marks
 * outgoing; everything else was received on the link), and with --host
 * the frames to and from those hosts. */
static void count_links(struct engine *e, unsigned link, int dlt,
			const struct decoded *d, enum decode_reason r)
{
	struct stats *s = &e->stats;
	if (link >= STATS_MAX_LINKS)
		link = STATS_MAX_LINKS - 1;
	if (link >= s->nlinks) {
		s->nlinks = link + 1;
		s->links[link].dlt = dlt;
	}
	struct link_stats *l = &s->links[link];
	bool sent = d->dl_flags & DL_OUTGOING;
	l->saw_direction |= dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
	if (dlt == DLT_EN10MB && link < 32 &&
	    (e->cfg.link_has_mac & (UINT32_C(1) << link))) {
		/* the interface's own MAC as the source: it sent the frame */
		l->saw_direction = true;
		sent = (d->dl_flags & DL_SRC_MAC) &&
		       memcmp(d->mac_src, e->cfg.link_macs[link], 6) == 0;
	}
	count_frame(l, sent ? STATS_TX : STATS_RX, d, r);
	if (e->cfg.nhosts && d->src.family != ADDR_NONE) {
		if (ours(e, &d->dst))
			count_frame(&s->hosts, STATS_RX, d, r);
		if (ours(e, &d->src))
			count_frame(&s->hosts, STATS_TX, d, r);
	}
}

void engine_packet(struct engine *e, unsigned link, int dlt, ws_time ts,
		   const uint8_t *data, uint32_t caplen, uint32_t len)
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
	count_protocols(e, &p->d, r);
	count_links(e, link, dlt, &p->d, r);
	if (e->nexthops && (decode_reason_class[r] == DECODE_CLASS_OK ||
			    r == DR_FRAGMENT))
		nexthop_frame(e->nexthops, link, &p->d, e->now);
	p->reason = (uint8_t)r;
	/* DNS answers are read now, while the payload is the capture's:
	 * by processing time the pending copy's pointers are stale.  Every
	 * other packet pays one port test. */
	if ((r == DR_TCP || r == DR_UDP) &&
	    names_is_dns(p->d.proto, p->d.sport, p->d.dport)) {
		pthread_mutex_lock(&e->names_lock);
		names_learn_packet(e->names, &p->d, e->now);
		pthread_mutex_unlock(&e->names_lock);
	}
	if (r == DR_TCP || r == DR_UDP ||
	    (e->cfg.conn && (r == DR_ICMP || r == DR_ICMP6)))
		flow_prepare(e->flows, &p->d, &p->ref);
	if (++e->npending == ENGINE_BATCH)
		engine_flush(e);
}

static int record_cmp(const void *pa, const void *pb)
{
	const struct conn_record *a = pa, *b = pb;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	const struct flow_key *x = &a->flow->key, *y = &b->flow->key;
	int c = memcmp(x, y, sizeof(*x));
	if (c)
		return c;
	return a->orig - b->orig;
}

/* The records still open, oldest first: at the end of the input they end
 * (an idle one as idle); a snapshot leaves them open. */
static void conn_report_open(struct engine *e, bool end)
{
	size_t n = 0, cap = 0;
	struct conn_record *v = NULL;
	for (struct flow *f = flow_first(e->flows); f; f = flow_next(f)) {
		struct conn_ext *x = conn_ext(f);
		if (!x->active)
			continue;
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 256;
			struct conn_record *nv = realloc(v, c2 * sizeof(*v));
			if (!nv)
				break; /* the rest end unreported */
			v = nv;
			cap = c2;
		}
		enum conn_end why = CONN_END_OPEN;
		if (end) {
			why = conn_deadline(e, f, x, f->last_ts, e->now);
			if (why == CONN_END_MAX)
				why = CONN_END_INPUT;
		}
		conn_fill(f, why, f->last_ts, &v[n++]);
		if (end)
			x->active = 0;
	}
	if (n)
		qsort(v, n, sizeof(*v), record_cmp);
	for (size_t i = 0; i < n && e->on_conn; i++)
		e->on_conn(e->on_conn_ctx, &v[i]);
	free(v);
}

void engine_sync(struct engine *e)
{
	engine_flush(e);
	for (struct flow *f = flow_first(e->flows); f; f = flow_next(f))
		advance(e, f, e->now);
}

void engine_tick(struct engine *e, ws_time now)
{
	engine_flush(e);
	if (now <= e->now)
		return;
	e->now = now;
	e->stats.last_ts = now;
	flow_expire(e->flows, now);
	e->next_expiry = now + WS_NS_PER_SEC;
}

void engine_conn_snapshot(struct engine *e)
{
	engine_flush(e);
	if (e->cfg.conn)
		conn_report_open(e, false);
}

void engine_finish(struct engine *e)
{
	engine_sync(e);
	if (e->cfg.conn)
		conn_report_open(e, true);
}

void engine_flush(struct engine *e)
{
	unsigned n = e->npending;
	for (unsigned i = 0; i < n; i++) {
		struct engine_pending *p = &e->pending[i];
		if (i + 2 < n && (e->pending[i + 2].reason == DR_TCP ||
				  e->pending[i + 2].reason == DR_UDP ||
				  (e->cfg.conn &&
				   (e->pending[i + 2].reason == DR_ICMP ||
				    e->pending[i + 2].reason == DR_ICMP6))))
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
		case DR_ICMP6:
			if (e->cfg.conn)
				icmp_flow(e, p);
			icmp_packet(e, &p->d, p->now, p->reason == DR_ICMP6);
			break;
		default:
			break;
		}
	}
	e->npending = 0;
}

/* engine.h - the per-packet path every front end shares:
 * decode -> flow table -> TCP machine / port inference -> stats.
 *
 * main.c feeds it from a capture; the fuzzers and tests feed it bytes.
 */
#ifndef WIRESTAT_ENGINE_H
#define WIRESTAT_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/decode.h"
#include "wirestat/dns.h"
#include "wirestat/flow.h"
#include "wirestat/nexthop.h"
#include "wirestat/ports.h"
#include "wirestat/stats.h"
#include "wirestat/tcp.h"
#include "wirestat/zeek.h"

struct engine_config {
	size_t max_flows; /* --max-flows; 0 means FLOW_DEFAULT_MAX */
	/* --host: the protocol statistics take these hosts' point of view
	 * (none: every host's, summed).  Borrowed for the engine's life. */
	const struct addr_prefix *hosts;
	size_t nhosts;
	bool conn;	      /* keep connection records (--conn, --ipfix) */
	ws_time idle_timeout; /* --idle-timeout; 0: Zeek's per protocol */
	/* --ipfix-active-timeout: a record of what a connection did so far,
	 * this long after the last one (CONN_END_ACTIVE); 0: none */
	ws_time active_timeout;
	/* -r: keep the (IP, MAC) pairs of Ethernet frames in a table of this
	 * many entries (observed gateways); 0: no table */
	size_t max_nexthops;
	/* --compare -e: input i's own MAC (link_macs[i], when link_has_mac
	 * bit i is set): an Ethernet frame from it was sent, so -e can
	 * count Sent on links whose link type does not say.  Borrowed. */
	const uint8_t (*link_macs)[6];
	uint32_t link_has_mac;
	size_t max_names;     /* --max-names; 0 means NAMES_DEFAULT_MAX */
};

/* Why a connection record ended. */
enum conn_end {
	CONN_END_IDLE,	  /* its inactivity timeout passed */
	CONN_END_CLOSED,  /* closed, or an attempt unanswered (Zeek's delays) */
	CONN_END_REUSE,	  /* a new connection on the same tuple */
	CONN_END_EVICTED, /* the flow table was full */
	CONN_END_INPUT,	  /* still open when the input ended */
	CONN_END_OPEN,	  /* not ended: a snapshot of an open connection */
	CONN_END_ACTIVE,  /* not ended: the active timeout's interim record */
	CONN_END_MAX
};

extern const char *const conn_end_names[CONN_END_MAX];

/* One connection as Zeek's conn.log has it; [0] is the originator, [1]
 * the responder. */
struct conn_record {
	const struct flow *flow;
	int orig;	   /* key side of the originator */
	ws_time ts, last;  /* first and last packet */
	uint64_t pkts[2], ip_bytes[2];
	uint64_t bytes[2]; /* payload, from sequence numbers */
	bool bytes_known;  /* as Zeek: only when the duration is above 0 */
	uint64_t missed;
	uint8_t proto;
	uint16_t port[2];     /* ICMP: type and counterpart or code */
	uint8_t state[2];     /* TCP states at the end, else TCP_STATE_MAX */
	ws_time since[2];     /* when each entered it */
	const char *conn_state;
	char history[ZEEK_HISTORY_BUFSIZE];
	bool partial;
	uint8_t why; /* enum conn_end */
	/* Since the last CONN_END_ACTIVE record (or the start): the part of
	 * the connection this record is the first to cover, for exports
	 * that count deltas (IPFIX); TCP flags ORed per side. */
	ws_time part_ts;
	uint64_t part_pkts[2], part_ip_bytes[2];
	uint8_t tcp_flags[2];
};

typedef void (*engine_conn_fn)(void *ctx, const struct conn_record *r);

/* Per-flow state of the connection view (the flow's extension area). */
struct conn_ext {
	struct zeek_conn z;
	uint8_t orig;	/* key side of the originator, Zeek's roles */
	uint8_t active; /* a record is open */
	ws_time close_ts; /* when its close completed (Zeek's LastTime()) */
	/* What the active timeout's last record covered (key sides), and
	 * the first packet after it (0: none yet) */
	ws_time part_ts;
	uint32_t done_pkts[2]; /* as struct flow's counters */
	uint64_t done_ip_bytes[2];
	uint8_t tcp_flags[2]; /* ORed since then, per key side */
};

/* Packets are decoded on arrival and processed a few at a time, in
 * order: while one is processed, the flow-table lines of the next ones
 * are already on their way from memory (flow_prepare()). */
#define ENGINE_BATCH 16

struct engine_pending {
	struct decoded d; /* payload pointers are stale by processing time */
	struct flow_ref ref;
	ws_time now;
	uint8_t reason; /* enum decode_reason */
};

/* A TCP endpoint's change of state (--events). */
struct engine_event {
	ws_time ts;
	const struct flow *flow;
	int side;	   /* key side of the endpoint that changed */
	uint8_t old_state; /* TCP_STATE_MAX: the socket was not seen before */
	uint8_t new_state;
	bool by_timer;		   /* a timer changed it, not a packet */
	bool sent;		   /* the endpoint sent the packet (else got it) */
	const struct decoded *pkt; /* the packet that changed it, or NULL */
};

typedef void (*engine_event_fn)(void *ctx, const struct engine_event *ev);

struct engine {
	struct engine_config cfg;
	struct flow_table *flows;
	struct ports_table *ports;
	struct nexthop_table *nexthops; /* cfg.max_nexthops, else NULL */
	/* The passive name cache, fed by the DNS answers this engine sees.
	 * Its lock is taken by the engine only around learning (DNS ports
	 * only), and by readers on other threads (--conn records with
	 * --workers); a report holding the engine's worker needs none. */
	struct names *names;
	pthread_mutex_t names_lock;
	struct stats stats;
	ws_time now;	     /* latest packet time: the report is "as of" it */
	ws_time next_expiry; /* packet time of the next expiry pass */
	engine_event_fn on_event;
	void *on_event_ctx;
	engine_conn_fn on_conn;
	void *on_conn_ctx;
	unsigned npending;
	struct engine_pending pending[ENGINE_BATCH];
};

int engine_init(struct engine *e, const struct engine_config *cfg,
		char *errbuf);

/* One captured frame of link type dlt at time ts.  Counted at once; its
 * effect on the tables may wait for engine_flush(). */
void engine_packet(struct engine *e, unsigned link, int dlt, ws_time ts,
		   const uint8_t *data, uint32_t caplen, uint32_t len);

/* Process the packets still pending: call before reading the tables
 * (the reports do). */
void engine_flush(struct engine *e);

/* Call fn for every TCP endpoint state change, as it is found: changes a
 * packet makes, at that packet; changes a timer makes (TIME_WAIT ending,
 * a connect() giving up), at the next packet of that connection, when its
 * flow leaves the table, or at engine_finish(), stamped with the time the
 * timer ran out. */
void engine_on_event(struct engine *e, engine_event_fn fn, void *ctx);

/* With cfg.conn: call fn with every connection record as it ends, and at
 * engine_finish() with those still open, oldest first. */
void engine_on_conn(struct engine *e, engine_conn_fn fn, void *ctx);

/* Bring the tables up to the latest packet time: flush, and apply (and
 * report as events) the timers due by then.  The reports call it. */
void engine_sync(struct engine *e);

/* Live capture: time has moved on to now (the wall clock) even without
 * packets; expire what is due. */
void engine_tick(struct engine *e, ws_time now);

/* With cfg.conn: report the open connections' records as they stand
 * (end reason "open"), oldest first, without ending them. */
void engine_conn_snapshot(struct engine *e);

/* The end of the input: engine_sync(), and end the open connection
 * records. */
void engine_finish(struct engine *e);

void engine_free(struct engine *e);

/* The name the passive caches of engines[0..n) hold for address a: with
 * --workers a DNS answer and the connection it names may hash to
 * different workers, so every engine's cache is asked and the entry
 * learned last (latest last_ts) wins.  The entry is copied to *out under
 * each engine's names lock.  Returns false if no cache knows a. */
bool engines_name_lookup(struct engine *const *engines, size_t n,
			 const struct addr *a, struct names_entry *out);

#endif

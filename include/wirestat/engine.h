/* engine.h - the per-packet path every front end shares:
 * decode -> flow table -> TCP machine / port inference -> stats.
 *
 * main.c feeds it from a capture; the fuzzers and tests feed it bytes.
 */
#ifndef WIRESTAT_ENGINE_H
#define WIRESTAT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/decode.h"
#include "wirestat/flow.h"
#include "wirestat/ports.h"
#include "wirestat/stats.h"

struct engine_config {
	size_t max_flows; /* --max-flows; 0 means FLOW_DEFAULT_MAX */
	/* --host: the protocol statistics take these hosts' point of view
	 * (none: every host's, summed).  Borrowed for the engine's life. */
	const struct addr_prefix *hosts;
	size_t nhosts;
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
	struct stats stats;
	ws_time now;	     /* latest packet time: the report is "as of" it */
	ws_time next_expiry; /* packet time of the next expiry pass */
	engine_event_fn on_event;
	void *on_event_ctx;
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

/* The end of the input: flush, and report the timer changes due by the
 * latest packet time. */
void engine_finish(struct engine *e);

void engine_free(struct engine *e);

#endif

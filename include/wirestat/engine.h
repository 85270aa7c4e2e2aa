/* engine.h - the per-packet path every front end shares:
 * decode -> flow table -> TCP machine / port inference -> stats.
 *
 * main.c feeds it from a capture; the fuzzers and tests feed it bytes.
 */
#ifndef WIRESTAT_ENGINE_H
#define WIRESTAT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "wirestat/common.h"
#include "wirestat/decode.h"
#include "wirestat/flow.h"
#include "wirestat/ports.h"
#include "wirestat/stats.h"

struct engine_config {
	size_t max_flows; /* --max-flows; 0 means FLOW_DEFAULT_MAX */
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

struct engine {
	struct flow_table *flows;
	struct ports_table *ports;
	struct stats stats;
	ws_time now;	     /* latest packet time: the report is "as of" it */
	ws_time next_expiry; /* packet time of the next expiry pass */
	unsigned npending;
	struct engine_pending pending[ENGINE_BATCH];
};

int engine_init(struct engine *e, const struct engine_config *cfg,
		char *errbuf);

/* One captured frame of link type dlt at time ts.  Counted at once; its
 * effect on the tables may wait for engine_flush(). */
void engine_packet(struct engine *e, int dlt, ws_time ts, const uint8_t *data,
		   uint32_t caplen, uint32_t len);

/* Process the packets still pending: call before reading the tables
 * (the reports do). */
void engine_flush(struct engine *e);

void engine_free(struct engine *e);

#endif

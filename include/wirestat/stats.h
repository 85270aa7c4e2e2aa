/* stats.h - counters of what was read and what became of it.
 *
 * Every packet libpcap delivers ends in exactly one decode reason, so
 * packets == the sum of decode[] (stats_balanced()).  The TCP, flow and
 * port counters say more about the decoded ones; they overlap and are
 * not part of that sum.
 */
#ifndef WIRESTAT_STATS_H
#define WIRESTAT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "wirestat/common.h"
#include "wirestat/decode.h"
#include "wirestat/tcp.h"

struct stats {
	uint64_t packets; /* delivered by the capture */
	uint64_t bytes;	  /* their length on the wire */
	uint64_t decode[DR_MAX];
	uint64_t tcp[TR_MAX];
	uint64_t ts_backwards; /* packets older than one already seen */
	ws_time first_ts, last_ts;
};

/* Sum of the decode reasons of one class (enum decode_class). */
uint64_t stats_decode_class(const struct stats *s, enum decode_class c);

/* Whether every delivered packet is accounted for by one reason. */
bool stats_balanced(const struct stats *s);

#endif

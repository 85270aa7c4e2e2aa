/* nexthop.h - which link-layer addresses carried each IP address's frames.
 *
 * For every Ethernet frame carrying IP, the pair (source IP, source MAC)
 * and the pair (destination IP, destination MAC) are noted, per input:
 * an address on the link is carried by its own MAC, an address beyond a
 * router by the router's.  -r groups the pairs by MAC to show the
 * gateways the traffic actually used.  Group destinations (multicast,
 * broadcast) are not next hops and are left out.
 *
 * Entries come from a pool allocated once; when it is full the least
 * recently seen pair is evicted and counted.  A frame costs at most two
 * hash lookups and no allocation (uthash may grow its bucket array).
 */
#ifndef WIRESTAT_NEXTHOP_H
#define WIRESTAT_NEXTHOP_H

#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/decode.h"

#define NEXTHOP_DEFAULT_MAX 65536

struct nexthop_entry {
	struct addr ip;
	uint8_t mac[6];
	uint16_t link; /* the capture input the frames came from */
	uint64_t packets, bytes; /* frames from and to ip through mac */
	ws_time first_ts, last_ts;
};

/* X(enum, counter name) */
#define NEXTHOP_COUNTERS(X)                        \
	X(NHC_CREATED, "next_hop_pairs_learned")     \
	X(NHC_EVICTED, "next_hop_pairs_evicted")     \
	X(NHC_ALLOC_FAILED, "next_hop_pairs_not_recorded")

enum nexthop_counter {
#define NEXTHOP_X_ENUM(e, name) e,
	NEXTHOP_COUNTERS(NEXTHOP_X_ENUM)
#undef NEXTHOP_X_ENUM
	NHC_MAX
};

extern const char *const nexthop_counter_names[NHC_MAX];

struct nexthop_table;

struct nexthop_table *nexthop_table_new(size_t max_entries, char *errbuf);
void nexthop_table_free(struct nexthop_table *t);

/* One decoded frame of input link at now: its unicast IP ends with the
 * MACs the frame gives (DL_SRC_MAC, DL_DST_MAC). */
void nexthop_frame(struct nexthop_table *t, unsigned link,
		   const struct decoded *d, ws_time now);

size_t nexthop_count(const struct nexthop_table *t);
size_t nexthop_capacity(const struct nexthop_table *t);
const uint64_t *nexthop_counters(const struct nexthop_table *t);

/* Iteration, unordered. */
const struct nexthop_entry *nexthop_first(const struct nexthop_table *t);
const struct nexthop_entry *nexthop_next(const struct nexthop_entry *e);

#endif

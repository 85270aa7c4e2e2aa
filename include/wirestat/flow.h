/* flow.h - the flow table: one entry per (address, port, address, port,
 * protocol, VLAN), both directions in one entry.
 *
 * Flows come from a pool with a cap; they are never allocated per packet.
 * Every flow sits on one of a few lists ordered by last activity, one list
 * per idle timeout, so expiry on packet time pops list heads.  When the
 * pool is full the least recently active flow is evicted, half-open and
 * short-lived ones before established ones, and the eviction is counted.
 */
#ifndef WIRESTAT_FLOW_H
#define WIRESTAT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/decode.h"
#include "wirestat/tcp.h"

/* The key is zeroed, padding included, before it is filled.  Endpoints
 * are ordered so both directions find the same key: side 0 is the smaller
 * (address, port).  IPv4 keys are shorter (FLOW_KEY_LEN_V4 bytes hashed):
 * the two addresses sit in addrs[0..7]. */
struct flow_key {
	uint16_t vlan, inner_vlan;
	uint16_t port[2];
	uint8_t proto;
	uint8_t family; /* enum addr_family */
	uint8_t pad[2];
	uint8_t addrs[32];
};

#define FLOW_KEY_LEN_V4 (offsetof(struct flow_key, addrs) + 8)
#define FLOW_KEY_LEN_V6 (offsetof(struct flow_key, addrs) + 32)

/* Idle-timeout classes, one list each (see flow.c for the values). */
enum flow_lru {
	FLOW_LRU_TCP_SHORT,    /* TCP with only timed states left */
	FLOW_LRU_UDP_UNREPLIED,
	FLOW_LRU_OTHER,        /* ICMP */
	FLOW_LRU_UDP_REPLIED,
	FLOW_LRU_TCP_LONG,     /* ESTABLISHED, CLOSE_WAIT: no kernel timer */
	FLOW_LRU_MAX
};

/* Why a flow left the table. */
enum flow_end {
	FLOW_END_IDLE,	  /* its idle timeout passed */
	FLOW_END_EVICTED, /* the pool was full */
	FLOW_END_FORCED,  /* the table was torn down (end of input) */
};

enum {
	FLOW_F_REPLIED = 0x01,	      /* both sides have sent */
	FLOW_F_OPEN_COUNTED_0 = 0x02, /* side 0's active/passive open counted */
	FLOW_F_OPEN_COUNTED_1 = 0x04, /* side 1's */
};

/* Laid out for the per-packet path: a bucket walk reads hh and the key
 * from the first cache line, the update touches the next. */
struct flow {
	UT_hash_handle hh;
	struct flow_key key;
	uint8_t lru;  /* enum flow_lru */
	uint8_t orig; /* key side that sent the first packet */
	uint8_t flags;
	uint8_t moved; /* packet second (mod 256) of its last move in its list */
	uint32_t pkts[2]; /* packets sent by key side 0 and 1 */
	ws_time first_ts, last_ts;
	ws_time prev_ts; /* last_ts before the latest lookup */
	uint64_t ip_bytes[2];
	struct flow *prev, *next; /* LRU list, or free list */
	union {
		struct tcp_conn tcp;
	} u;
	/* The extension area a table was made with (flow_table_new_ext()):
	 * state only some views need, costing nothing otherwise. */
	_Alignas(8) uint8_t ext[];
};

/* X(enum, counter name) */
#define FLOW_COUNTERS(X)                                    \
	X(FC_CREATED, "flows_created")                      \
	X(FC_EXPIRED, "flows_expired")                      \
	X(FC_EVICTED_SHORT, "flows_evicted_half_open_or_idle") \
	X(FC_EVICTED_LONG, "flows_evicted_established")     \
	X(FC_ALLOC_FAILED, "packets_without_flow")

enum flow_counter {
#define FLOW_X_ENUM(e, name) e,
	FLOW_COUNTERS(FLOW_X_ENUM)
#undef FLOW_X_ENUM
	FC_MAX
};

extern const char *const flow_counter_names[FC_MAX];

typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end why);

struct flow_table;

#define FLOW_DEFAULT_MAX 1000000u

/* A table holding at most max_flows flows.  NULL with errbuf filled. */
struct flow_table *flow_table_new(size_t max_flows, char *errbuf);

/* The same, each flow followed by ext_size bytes (f->ext), zeroed when
 * the flow is created. */
struct flow_table *flow_table_new_ext(size_t max_flows, size_t ext_size,
				      char *errbuf);

/* Ends every flow (FLOW_END_FORCED through the callback) and frees all. */
void flow_table_free(struct flow_table *t);

/* Called for every flow that leaves the table, before it is reused. */
void flow_table_on_end(struct flow_table *t, flow_end_fn fn, void *ctx);

/* Build the canonical key for a decoded packet; returns the key length
 * to hash and sets *side to the sender's side (0 or 1). */
size_t flow_key_make(const struct decoded *d, struct flow_key *k, int *side);

/* A lookup prepared ahead of time: its key and hash, with the hash
 * bucket already asked for (prefetched), so that looking up a batch of
 * packets overlaps their cache misses. */
struct flow_ref {
	struct flow_key key;
	uint32_t klen;
	uint32_t hv;
	int side; /* key side of the packet's sender */
};

void flow_prepare(struct flow_table *t, const struct decoded *d,
		  struct flow_ref *ref);

/* Ask for the first flow in ref's bucket (call a little before the
 * lookup, after flow_prepare()). */
void flow_prefetch(struct flow_table *t, const struct flow_ref *ref);

/* The flow of a prepared lookup, created if new (*created set), or NULL
 * if none could be had (counted in FC_ALLOC_FAILED).  The flow is moved
 * to its list's tail. */
struct flow *flow_lookup_ref(struct flow_table *t, const struct flow_ref *ref,
			     ws_time now, bool *created);

/* The time of a flow's packet before the one being processed (its
 * last_ts before flow_lookup_ref() moved it to now). */
ws_time flow_prev_ts(const struct flow *f);

/* flow_prepare() and flow_lookup_ref() in one; *side is the key side of
 * the packet's sender. */
struct flow *flow_lookup(struct flow_table *t, const struct decoded *d,
			 ws_time now, int *side, bool *created);

/* The flow of a decoded packet if there is one (no flow is created);
 * *side is the key side of the packet's sender. */
struct flow *flow_find(struct flow_table *t, const struct decoded *d,
		       int *side);

/* Put a flow on the list of its (new) idle-timeout class. */
void flow_set_lru(struct flow_table *t, struct flow *f, enum flow_lru lru);

/* Expire the flows idle for at least the timeout of their class. */
void flow_expire(struct flow_table *t, ws_time now);

/* Endpoint i (key side) of a flow. */
void flow_endpoint(const struct flow *f, int side, struct addr *a,
		   uint16_t *port);

size_t flow_count(const struct flow_table *t);
size_t flow_capacity(const struct flow_table *t);
size_t flow_peak(const struct flow_table *t);
const uint64_t *flow_counters(const struct flow_table *t);

/* Iteration in table order (callers sort what they report). */
struct flow *flow_first(struct flow_table *t);
struct flow *flow_next(struct flow *f);

/* The hash all wirestat tables use: seeded, over keys of any length. */
uint32_t flow_hash(const void *key, size_t len);

#endif

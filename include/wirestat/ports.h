/* ports.h - what each host's ports are, inferred from how they answer.
 *
 * A host that answers a SYN with SYN-ACK listens on that address and port;
 * one that answers with RST has it closed.  A UDP port that answers
 * datagrams is bound; an ICMP port unreachable says it is not.  Entries
 * are capped and the least recently confirmed is evicted (counted).
 */
#ifndef WIRESTAT_PORTS_H
#define WIRESTAT_PORTS_H

#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"

enum port_state {
	PORT_LISTENING, /* TCP: answered a SYN with SYN-ACK */
	PORT_BOUND,	/* UDP: answered a datagram */
	PORT_CLOSED,	/* refused: RST to a SYN, ICMP port unreachable */
};

struct port_entry {
	struct addr addr;
	uint16_t port;
	uint16_t vlan, inner_vlan;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state; /* enum port_state */
	ws_time first_ts; /* first evidence */
	ws_time since;	  /* when the current state was first seen */
	ws_time last_ts;  /* latest evidence */
};

/* X(enum, counter name) */
#define PORT_COUNTERS(X)                       \
	X(PC_ENTRIES_CREATED, "ports_learned")     \
	X(PC_EVICTED, "ports_evicted")             \
	X(PC_ALLOC_FAILED, "ports_not_recorded")

enum port_counter {
#define PORT_X_ENUM(e, name) e,
	PORT_COUNTERS(PORT_X_ENUM)
#undef PORT_X_ENUM
	PC_MAX
};

extern const char *const port_counter_names[PC_MAX];

struct ports_table;

struct ports_table *ports_table_new(size_t max_entries, char *errbuf);
void ports_table_free(struct ports_table *t);

/* Record evidence that (addr, port, proto, vlans) is in state s at now. */
void ports_note(struct ports_table *t, const struct addr *addr, uint16_t port,
		uint8_t proto, uint16_t vlan, uint16_t inner_vlan,
		enum port_state s, ws_time now);

/* Iteration (unordered) over the entries. */
size_t ports_count(const struct ports_table *t);
const struct port_entry *ports_first(const struct ports_table *t);
const struct port_entry *ports_next(const struct port_entry *e);
const uint64_t *ports_counters(const struct ports_table *t);
size_t ports_capacity(const struct ports_table *t);

#endif

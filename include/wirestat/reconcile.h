/* reconcile.h - the wire beside the kernel, as pure functions over
 * snapshots: no I/O, no global state; two snapshots in, rows out.
 *
 * The matcher finds the kernel socket behind a socket seen on the wire
 * (rc_find): by its 4-tuple; a listener or UDP socket by its local
 * address and port, the wildcard address included; and where the wire's
 * addresses are translated (NAT), through the conntrack entry whose
 * original or reply tuple the wire's packets carry, to the tuple the
 * socket has.
 *
 * reconcile() sets the wire's sockets for this host's addresses beside
 * the kernel's sockets and gives each row a verdict; a disagreement is
 * reported only once it has held for the settling time, so that packets
 * in flight between the capture and the socket do not make verdicts
 * flap.  The state that takes (each row's history) goes in and comes out
 * explicitly.
 */
#ifndef WIRESTAT_RECONCILE_H
#define WIRESTAT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/kernel.h"

/* How long a disagreement must hold before it is reported: two of the
 * once-a-second comparisons apart, longer than a packet takes between
 * the capture ring and the socket (and the capture's settle time). */
#define RC_SETTLE WS_SEC(2)

/* A socket as the wire names it.  has_remote: a TCP connection's peer,
 * or for UDP a peer it talked to (a hint: the row shows no peer). */
struct rc_endpoint {
	struct addr local, remote;
	uint16_t lport, rport;
	uint8_t proto; /* 6 or 17 */
	bool has_remote;
};

/* A kernel socket, its addresses normalized (IPv4-mapped IPv6 as IPv4). */
struct rc_ksock {
	struct addr local, remote;
	uint16_t lport, rport;
	uint8_t proto;	   /* 6 or 17 */
	uint8_t state;	   /* enum tcp_state (struct kernel_socket's) */
	bool wildcard;	   /* bound to the unspecified address */
	bool connected;	   /* has a remote address */
	uint32_t index;	   /* in kernel_sockets.v */
};

/* One tuple of a conntrack entry (orig or reply), for lookups. */
struct rc_cttuple {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t reply; /* 0: the original tuple, 1: the reply tuple */
	uint32_t index; /* in kernel_conntrack.v */
};

/* The kernel side, indexed.  Fill the four pointers (owners and ct may
 * be NULL, addrs NULL means no address is this host's), then
 * rc_kernel_build(). */
struct rc_kernel {
	const struct kernel_sockets *sockets;
	const struct kernel_owners *owners;
	const struct kernel_conntrack *ct;
	const struct kernel_addrs *addrs;
	struct rc_ksock *socks; /* sorted for lookups */
	size_t nsocks;
	struct rc_cttuple *tuples; /* both tuples of every entry, sorted */
	size_t ntuples;
	struct rc_cttuple *by_dst; /* original tuples by destination */
	size_t nby_dst;
};

int rc_kernel_build(struct rc_kernel *k, char *errbuf);
void rc_kernel_free(struct rc_kernel *k);

/* How a wire socket found its kernel socket. */
enum rc_how {
	RC_NOT_FOUND,
	RC_EXACT,    /* the same addresses and ports */
	RC_WILDCARD, /* a listener or UDP socket on the unspecified address */
	RC_NAT,	     /* through a conntrack entry's other tuple */
	RC_HOW_MAX
};

extern const char *const rc_how_names[RC_HOW_MAX];

/* The kernel socket behind e, or NULL; *how says how it was found and
 * *ct the conntrack entry used (RC_NAT), else NULL.  TCP connections by
 * 4-tuple, then NAT; listeners (no remote) by LISTEN sockets on the
 * address or the wildcard (IPv6's [::] takes IPv4 too), then a DNAT
 * entry whose original destination is the listener; UDP by a socket
 * connected to the peer, one bound to the address, the wildcard, then
 * NAT. */
const struct rc_ksock *rc_find(const struct rc_kernel *k,
			       const struct rc_endpoint *e, enum rc_how *how,
			       const struct kernel_ct_entry **ct);

/* The conntrack entry one of whose tuples carries packets from a:ap to
 * b:bp, or from b:bp to a:ap; NULL if none. */
const struct kernel_ct_entry *rc_find_ct(const struct rc_kernel *k,
					 uint8_t proto, const struct addr *a,
					 uint16_t ap, const struct addr *b,
					 uint16_t bp);

/* Whether a is one of this host's addresses. */
bool rc_is_local(const struct rc_kernel *k, const struct addr *a);

/* The process holding a kernel socket, or NULL (no owners read, not
 * permitted, no inode: TIME_WAIT and request sockets). */
const struct kernel_owner *rc_owner(const struct rc_kernel *k,
				    const struct rc_ksock *s);

/* Conntrack's word for an entry's state: TCP's state names; for other
 * protocols ASSURED, REPLIED (SEEN_REPLY) or UNREPLIED. */
const char *rc_ct_state(const struct kernel_ct_entry *e);

/* ---- the comparison ---- */

/* One socket from the wire (the socket view's row). */
struct rc_wire {
	struct rc_endpoint ep;
	bool shows_remote; /* the row names its peer (a TCP connection) */
	uint8_t state;	   /* enum tcp_state; TCP_STATE_MAX for UDP */
	bool partial;
	uint16_t vlan, inner_vlan;
};

/* X(enum, table text, JSON verdict) */
#define RC_VERDICTS(X)                                                 \
	X(RC_MATCH, "MATCH", "MATCH")                                  \
	X(RC_STATE_DIFFERS, "STATE_DIFFERS", "STATE_DIFFERS")          \
	X(RC_WIRE_ONLY, "WIRE_ONLY", "WIRE_ONLY")                      \
	X(RC_KERNEL_ONLY_IDLE, "KERNEL_ONLY idle", "KERNEL_ONLY")      \
	X(RC_KERNEL_ONLY_NEVER, "KERNEL_ONLY never seen", "KERNEL_ONLY") \
	X(RC_SETTLING, "SETTLING", "SETTLING")

enum rc_verdict {
#define RC_X_ENUM(e, text, json) e,
	RC_VERDICTS(RC_X_ENUM)
#undef RC_X_ENUM
	RC_VERDICT_MAX
};

extern const char *const rc_verdict_text[RC_VERDICT_MAX];
extern const char *const rc_verdict_json[RC_VERDICT_MAX];

/* A row's identity across snapshots. */
struct rc_key {
	struct addr local, remote;
	uint16_t lport, rport;
	uint16_t vlan, inner_vlan;
	uint8_t proto;
	bool has_remote;
};

/* The socket view's order: tcp, tcp6, udp, udp6; local address and
 * port; no remote (listeners, UDP) first; remote; VLANs. */
int rc_key_cmp(const struct rc_key *a, const struct rc_key *b);

struct rc_hist {
	struct rc_key key;
	ws_time since;	 /* when this raw verdict was first seen */
	uint8_t raw;	 /* the verdict of the snapshot, unsettled */
	uint8_t verdict; /* the one reported */
	bool baseline;	 /* the kernel had it when observation began */
	bool wire_seen;	 /* the wire has shown it, now or before */
};

/* Every row of the last comparison, sorted by key. */
struct rc_history {
	struct rc_hist *v;
	size_t n;
};

struct rc_input {
	const struct rc_wire *wire; /* every wire socket; those whose local */
	size_t nwire;		    /* address is not this host's are left out */
	const struct rc_kernel *kernel;
	/* Kernel sockets bound to an address outside this set are left
	 * out (they cannot cross the captured interfaces); wildcard ones
	 * stay.  NULL: every kernel socket. */
	const struct kernel_addrs *scope;
	ws_time now;
	ws_time settle; /* RC_SETTLE, or a test's */
	/* The snapshot taken as observation began: its kernel sockets
	 * existed before it. */
	bool first;
};

struct rc_row {
	struct rc_key key; /* what the row shows: the wire's socket, or the
			    * kernel's when only the kernel has it */
	bool on_wire;
	uint8_t wire_state;   /* enum tcp_state; TCP_STATE_MAX: none */
	bool partial;
	const struct rc_ksock *ksock; /* NULL: no kernel socket */
	uint8_t how;		      /* enum rc_how */
	const struct kernel_ct_entry *ct; /* its conntrack entry, or NULL */
	const struct kernel_owner *owner; /* NULL: unknown */
	uint8_t raw;	 /* enum rc_verdict of this snapshot alone */
	uint8_t verdict; /* reported (settled) */
	ws_time since;	 /* when raw began */
};

struct rc_result {
	struct rc_row *rows; /* sorted as the socket view sorts */
	size_t n;
	struct rc_history hist; /* give it back as prev next time */
	uint64_t wire_not_local; /* wire sockets of other hosts, left out */
	uint64_t kernel_out_of_scope; /* kernel sockets left out */
};

/* Compare one snapshot of each side.  prev is the last call's history
 * (empty the first time).  Rows point into in->kernel's tables.
 * A raw verdict:
 *   MATCH          both have the socket, in the same TCP state (UDP:
 *                  both have it);
 *   STATE_DIFFERS  both have it, in different TCP states;
 *   WIRE_ONLY      the wire shows a socket of this host that no kernel
 *                  socket accounts for, even through conntrack;
 *   KERNEL_ONLY never seen: a TCP socket past LISTEN, created since
 *                  observation began (absent from the first snapshot),
 *                  of which the wire never showed a packet;
 *   KERNEL_ONLY idle: any other socket only the kernel has: one that
 *                  existed before observation began or that the wire
 *                  saw before but carries nothing now, a listener, a
 *                  UDP socket.
 * The reported verdict: MATCH at once; a disagreement once the same raw
 * verdict has held for in->settle; until then the row keeps the verdict
 * it had, or SETTLING if it had none.  0, or -1 out of memory. */
int reconcile(const struct rc_input *in, const struct rc_history *prev,
	      struct rc_result *out, char *errbuf);

void rc_result_free(struct rc_result *r);

/* ---- counters: the wire's beside the kernel's deltas ---- */

/* A wire counter as -s keys it: group ("ip", "tcp", "udpv6", ...) and
 * its /proc/net/snmp name. */
struct rc_wire_counter {
	const char *group, *key;
	uint64_t value;
	bool known; /* false: the wire cannot see it */
};

struct rc_counter_row {
	const char *group;   /* -s's group; "tcp" for TCP of both families */
	const char *key;     /* -s's key */
	uint64_t wire;
	int64_t kernel; /* the delta over the period (a gauge: its value) */
	char section[KERNEL_SECTION_LEN]; /* the kernel's: "Tcp", "Ip6" */
	char name[KERNEL_COUNTER_LEN];
	bool wire_known, kernel_known;
	bool gauge;
};

/* Map each wire counter to its kernel counter by name (the -s key is
 * the /proc/net/snmp name; IPv6 keys carry snmp6's prefix; Linux's Tcp
 * counts both families, so "tcp" and "tcpv6" add up into one row) and
 * look up its delta (or for a gauge, CurrEstab, its value in `after`).
 * rows gets at most n rows; returns how many. */
size_t rc_counters(const struct rc_wire_counter *wire, size_t n,
		   const struct kernel_snmp *delta,
		   const struct kernel_snmp *after, struct rc_counter_row *rows);

#endif

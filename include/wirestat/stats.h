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

/* Protocol counters from the hosts' point of view (netstat -s): what the
 * chosen hosts (--host) received and sent, or, without --host, the sum
 * over every host seen (each packet is sent by one host and received by
 * another, so both directions count it).  Index [STATS_RX or STATS_TX]. */
enum { STATS_RX, STATS_TX, STATS_DIRS };

struct ip_stats {
	uint64_t packets[STATS_DIRS];
	uint64_t header_errors[STATS_DIRS]; /* malformed IP header */
	uint64_t unknown_protos[STATS_DIRS]; /* not TCP, UDP, ICMP */
	uint64_t fragments[STATS_DIRS];	     /* every fragment */
	uint64_t fragmented[STATS_DIRS];     /* datagrams (first fragments) */
	uint64_t truncated[STATS_DIRS];	     /* cut short by snaplen */
};

struct icmp_stats {
	uint64_t msgs[STATS_DIRS];
	uint64_t errors[STATS_DIRS]; /* truncated or malformed messages */
	uint64_t type[256][STATS_DIRS]; /* by ICMP type */
};

struct tcp_stats {
	uint64_t segs[STATS_DIRS];
	uint64_t retrans; /* sent */
	uint64_t rsts[STATS_DIRS];
	uint64_t errors; /* received: truncated or malformed headers */
	uint64_t active_opens, passive_opens, attempt_fails, estab_resets;
};

struct udp_stats {
	uint64_t dgrams[STATS_DIRS];
	uint64_t no_ports; /* ICMP port unreachable sent for UDP */
	uint64_t errors;   /* received: truncated or malformed headers */
};

/* netstat -e: frames of one link (an input), or of the chosen hosts. */
struct link_stats {
	uint64_t bytes[STATS_DIRS];
	uint64_t unicast[STATS_DIRS];
	uint64_t nonunicast[STATS_DIRS];
	uint64_t errors[STATS_DIRS];  /* truncated or malformed frames */
	uint64_t unknown[STATS_DIRS]; /* not IP */
	int dlt;
	bool saw_direction; /* the link type says which frames were sent */
};

#define STATS_MAX_LINKS 16 /* more inputs share the last entry */

/* One set per address family: [0] IPv4, [1] IPv6. */
struct proto_stats {
	struct ip_stats ip[2];
	struct icmp_stats icmp[2];
	struct tcp_stats tcp[2];
	struct udp_stats udp[2];
};

struct stats {
	uint64_t packets; /* delivered by the capture */
	uint64_t bytes;	  /* their length on the wire */
	uint64_t decode[DR_MAX];
	uint64_t tcp[TR_MAX];
	uint64_t ts_backwards; /* packets older than one already seen */
	ws_time first_ts, last_ts;
	struct proto_stats proto;
	struct link_stats links[STATS_MAX_LINKS];
	unsigned nlinks;
	struct link_stats hosts; /* with --host: frames to and from them */
	/* What the capture could not deliver (set by the front end before
	 * a report): the kernel's counts for live capture, and the file
	 * packets the filter (-F) dropped. */
	bool drops_known;
	uint64_t kernel_received, kernel_dropped, if_dropped;
	uint64_t filtered;
};

/* Sum of the decode reasons of one class (enum decode_class). */
uint64_t stats_decode_class(const struct stats *s, enum decode_class c);

/* Whether every delivered packet is accounted for by one reason. */
bool stats_balanced(const struct stats *s);

/* Add src's counters to dst (the workers of one capture, reported as
 * one).  The capture's own counts (drops, filtered) are left alone. */
void stats_add(struct stats *dst, const struct stats *src);

#endif

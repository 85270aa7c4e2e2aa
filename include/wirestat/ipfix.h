/* ipfix.h - connection records exported as IPFIX (RFC 7011) biflows.
 *
 * One record per connection when it ends, and an interim record every
 * active timeout while it lasts (struct conn_record's part_* fields: each
 * record counts only what the previous one did not, so a collector sums
 * them).  A record is a biflow (RFC 5103): the forward direction is the
 * originator's (Zeek's roles), the reverse counters are the Reverse
 * Information Elements (enterprise 29305).
 *
 * Two templates, IPv4 (256) and IPv6 (257), with these fields in order:
 *
 *   flowStartMilliseconds (152)     first packet this record covers
 *   flowEndMilliseconds (153)       last packet
 *   sourceIPv4Address (8) | sourceIPv6Address (27)        the originator
 *   destinationIPv4Address (12) | destinationIPv6Address (28)
 *   sourceTransportPort (7), destinationTransportPort (11)   0 for ICMP
 *   protocolIdentifier (4)
 *   icmpTypeCodeIPv4 (32) | icmpTypeCodeIPv6 (139)   type*256+code, ICMP
 *                                   only (0 otherwise)
 *   octetDeltaCount (1), packetDeltaCount (2)     originator: IP bytes
 *   reverse octetDeltaCount, reverse packetDeltaCount       responder
 *   reverse tcpControlBits, tcpControlBits (6)    flags ORed per side
 *   flowEndReason (136)             1 idle, 2 active timeout, 3 end of
 *                                   flow (closed, reused), 4 forced end
 *                                   (end of the input, exit), 5 lack of
 *                                   resources (evicted from a full table)
 *   biflowDirection (239)           1 initiator (a SYN or first packet
 *                                   seen), 0 arbitrary (picked up midstream)
 *   vlanId (58), dot1qCustomerVlanId (245)      outer and inner, 0: none
 *   and wirestat's own, enterprise IPFIX_PEN:
 *   1 initiatorTcpState, 2 responderTcpState (unsigned8): each endpoint's
 *     state at the record's last packet, as tcpConnState (RFC 4022):
 *     closed 1, listen 2, synSent 3, synReceived 4, established 5,
 *     finWait1 6, finWait2 7, closeWait 8, lastAck 9, closing 10,
 *     timeWait 11; 0 for UDP and ICMP
 *   3 connState (string, variable length): Zeek's conn_state ("SF")
 *   4 connHistory (string, variable length): Zeek's history ("ShADadFf")
 *
 * IPFIX_PEN is 32473, the enterprise number RFC 5612 reserves for
 * documentation: a site that registers its own number with IANA changes
 * it here.  Collectors that do not know the elements skip them by their
 * template lengths.
 *
 * Transport: UDP, one message of at most IPFIX_MTU bytes per send, the
 * templates at the start and again every IPFIX_TEMPLATE_REFRESH of export
 * time, or every IPFIX_TEMPLATE_EVERY messages (RFC 7011 8.4: a collector
 * that restarts learns them again).  Export time is the time of the last
 * record added: packet time, so a capture file exports as it would have
 * live.  Records wait at most IPFIX_MAX_DELAY (of that clock; also see
 * ipfix_tick()) before they are sent.  A send that fails loses its
 * message: counted (messages_lost, records_lost), never retried, never
 * blocking the capture.
 */
#ifndef WIRESTAT_IPFIX_H
#define WIRESTAT_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "wirestat/common.h"
#include "wirestat/engine.h"

#define IPFIX_PEN 32473u	/* RFC 5612: for documentation */
#define IPFIX_REVERSE_PEN 29305u /* RFC 5103 */
#define IPFIX_MTU 1400
#define IPFIX_TEMPLATE_REFRESH WS_SEC(60)
#define IPFIX_TEMPLATE_EVERY 1000
#define IPFIX_MAX_DELAY WS_SEC(1)
#define IPFIX_TEMPLATE_V4 256
#define IPFIX_TEMPLATE_V6 257

#define IPFIX_COUNTERS(X)                                                     \
	X(IPFIX_MESSAGES, "ipfix_messages", "Messages Sent")                  \
	X(IPFIX_RECORDS, "ipfix_records", "Records Sent")                     \
	X(IPFIX_TEMPLATES, "ipfix_template_sets", "Template Sets Sent")       \
	X(IPFIX_BYTES, "ipfix_bytes", "Bytes Sent")                           \
	X(IPFIX_MESSAGES_LOST, "ipfix_messages_lost", "Messages Not Sent")    \
	X(IPFIX_RECORDS_LOST, "ipfix_records_lost", "Records Not Sent")

enum ipfix_counter {
#define IPFIX_X_ENUM(e, key, label) e,
	IPFIX_COUNTERS(IPFIX_X_ENUM)
#undef IPFIX_X_ENUM
	IPFIX_COUNTER_MAX
};

extern const char *const ipfix_counter_keys[IPFIX_COUNTER_MAX];
extern const char *const ipfix_counter_labels[IPFIX_COUNTER_MAX];

/* Where a finished message goes: 0 sent, -1 lost (errno set). */
typedef int (*ipfix_send_fn)(void *ctx, const uint8_t *msg, size_t len);

struct ipfix_exporter;

/* An exporter to HOST:PORT over UDP ("192.0.2.10:4739", "[2001:db8::1]:4739";
 * numeric addresses only: wirestat asks no DNS server anything).  NULL
 * with errbuf filled if the target is not one or no socket can be made. */
struct ipfix_exporter *ipfix_open(const char *target, uint32_t domain,
				  char *errbuf);

/* The same, handing each message to send (tests). */
struct ipfix_exporter *ipfix_new(ipfix_send_fn send, void *ctx,
				 uint32_t domain, char *errbuf);

/* Add one record (a CONN_END_OPEN snapshot is not one: ignored; nor is a
 * record with no packet since the last).  now: the export clock. */
void ipfix_record(struct ipfix_exporter *x, const struct conn_record *r,
		  ws_time now);

/* Send what waited IPFIX_MAX_DELAY or more by now. */
void ipfix_tick(struct ipfix_exporter *x, ws_time now);

/* Send what is waiting. */
void ipfix_flush(struct ipfix_exporter *x);

const uint64_t *ipfix_counters(const struct ipfix_exporter *x);

/* Flushes, then frees. */
void ipfix_close(struct ipfix_exporter *x);

#endif

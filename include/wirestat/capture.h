/* capture.h - where packets come from: one interface for every source.
 *
 * Files (pcap and pcapng, through libpcap) are merged in timestamp order,
 * so a capture split in several files, or one file per direction of a tap,
 * reads as one stream.  A packet's bytes are borrowed until the next call.
 */
#ifndef WIRESTAT_CAPTURE_H
#define WIRESTAT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wirestat/common.h"

struct capture_packet {
	ws_time ts;
	uint32_t caplen; /* bytes captured */
	uint32_t len;	 /* bytes on the wire */
	int dlt;	 /* libpcap DLT_* of the source */
	unsigned input;	 /* which input (file, interface) it came from */
	const uint8_t *data;
};

struct capture;

/* Open every file (a path, or "-" for standard input, at most once).
 * NULL with errbuf filled if one cannot be opened, is not a capture, or
 * has a link type wirestat does not decode. */
struct capture *capture_open_files(const char *const *paths, size_t n,
				   char *errbuf);

/* Open a capture already open as a stream (fuzzing, tests). */
struct capture *capture_open_stream(FILE *fp, const char *name, char *errbuf);

/* Live capture settings (-I). */
struct capture_live_options {
	int snaplen;	 /* bytes kept per packet; 0: 262144 */
	int buffer_mib;	 /* kernel buffer; 0: libpcap's default */
	bool no_promisc; /* leave the interface out of promiscuous mode */
	bool immediate;	 /* deliver each packet at once (events) */
};

/* Open interfaces for live capture ("any" for all), non-blocking.  NULL
 * with errbuf filled, saying what is missing when it is permission. */
struct capture *capture_open_live(const char *const *ifaces, size_t n,
				  const struct capture_live_options *o,
				  char *errbuf);

/* A BPF filter (tcpdump syntax) for every input: in the kernel for live
 * ones, here for files (their non-matching packets are counted).  -1 with
 * errbuf filled if it does not compile. */
int capture_set_filter(struct capture *c, const char *expr, char *errbuf);

/* Live: join input i's socket to the PACKET_FANOUT group ids[i], the
 * kernel spreading packets by a symmetric flow hash (both directions of a
 * connection to the same member; fragments reassembled for the hash).
 * ids[i] == 0 makes a new group with a kernel-chosen ID no other process
 * uses (PACKET_FANOUT_FLAG_UNIQUEID) and stores it in ids[i], for the
 * next capture to join.  Members are numbered in joining order, on every
 * interface alike, so one connection seen on two interfaces goes to the
 * same capture. */
int capture_fanout(struct capture *c, uint16_t *ids, char *errbuf);

/* Live: how long the kernel may keep captured packets to itself (a ring
 * block not yet handed over, another input's held packet); reading for
 * this long after a stop gets everything captured before it.  0 for
 * files. */
ws_time capture_settle_time(const struct capture *c);

#define CAPTURE_BUFFER_MIB 32 /* live: the default kernel buffer */

#define CAPTURE_AGAIN 2 /* live: no packet ready now */

/* The next packet in timestamp order: 1 with *pkt filled, 0 at the end of
 * every input, CAPTURE_AGAIN when live inputs have nothing ready (see
 * capture_wait()), -1 when one input failed (a record cut short, an
 * interface gone): errbuf says which and why, that input is closed, and
 * the others go on. */
int capture_next(struct capture *c, struct capture_packet *pkt, char *errbuf);

/* Sleep until a live input is readable or timeout_ms passes (or a signal
 * arrives): 1 readable, 0 not, -1 error. */
int capture_wait(struct capture *c, int timeout_ms);

bool capture_is_live(const struct capture *c);

/* What the capture could not deliver. */
struct capture_drops {
	bool known;	     /* live: the kernel's counts are below */
	uint64_t received;   /* pcap_stats ps_recv */
	uint64_t dropped;    /* ps_drop: no room in the buffer */
	uint64_t if_dropped; /* ps_ifdrop: dropped by the interface */
	uint64_t filtered;   /* file packets -F dropped */
};

int capture_stats(struct capture *c, struct capture_drops *out);

/* The inputs: how many, and each one's name (a file, "standard input"). */
size_t capture_inputs(const struct capture *c);
const char *capture_input_name(const struct capture *c, size_t i);

void capture_close(struct capture *c);

#endif

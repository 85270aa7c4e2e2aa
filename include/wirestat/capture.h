/* capture.h - where packets come from: one interface for every source.
 *
 * Files (pcap and pcapng, through libpcap) are merged in timestamp order,
 * so a capture split in several files, or one file per direction of a tap,
 * reads as one stream.  A packet's bytes are borrowed until the next call.
 */
#ifndef WIRESTAT_CAPTURE_H
#define WIRESTAT_CAPTURE_H

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

/* The next packet in timestamp order: 1 with *pkt filled, 0 at the end of
 * every input, -1 when one input failed (a record cut short): errbuf says
 * which and why, that input is closed, and the others go on. */
int capture_next(struct capture *c, struct capture_packet *pkt, char *errbuf);

/* The inputs: how many, and each one's name (a file, "standard input"). */
size_t capture_inputs(const struct capture *c);
const char *capture_input_name(const struct capture *c, size_t i);

void capture_close(struct capture *c);

#endif

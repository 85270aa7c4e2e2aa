/* report.h - netstat's reports, built from the engine's tables as of the
 * latest packet time, sorted, and printed through the emission layer. */
#ifndef WIRESTAT_REPORT_H
#define WIRESTAT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wirestat/addr.h"
#include "wirestat/emit.h"
#include "wirestat/engine.h"
#include "wirestat/services.h"

/* Protocols, as -p names them (case-insensitive). */
enum {
	REPORT_TCP = 0x1,  /* "tcp": TCP over IPv4 */
	REPORT_TCP6 = 0x2, /* "tcpv6" */
	REPORT_UDP = 0x4,  /* "udp" */
	REPORT_UDP6 = 0x8, /* "udpv6" */
	REPORT_ALL = 0xf,
};

/* The REPORT_* bit of a -p name, or -1. */
int report_proto_parse(const char *name);

struct report_options {
	bool all;	  /* -a: listening TCP ports and UDP endpoints too */
	bool numeric;	  /* -n: no port names in tables */
	unsigned protos;  /* REPORT_* mask; 0 means all */
	const struct addr_prefix *hosts; /* --host: keep these hosts' rows */
	size_t nhosts;
	const uint16_t *ports; /* --port: keep rows with this local or */
	size_t nports;	       /* foreign port */
	enum emit_format format;
	const struct services *services; /* port names; NULL for none */
};

/* The socket view: one row per socket each host would list, the rows
 * sorted by protocol, local address and port, foreign address and port.
 * Returns 0, or -1 if writing failed. */
int report_sockets(FILE *out, struct engine *e, const struct report_options *o);

#endif

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
#include "wirestat/kernel.h"
#include "wirestat/reconcile.h"
#include "wirestat/resolver.h"
#include "wirestat/services.h"

/* Protocols, as -p names them (case-insensitive, as Windows netstat). */
enum {
	REPORT_TCP = 0x01,   /* "tcp": TCP over IPv4 */
	REPORT_TCP6 = 0x02,  /* "tcpv6" */
	REPORT_UDP = 0x04,   /* "udp" */
	REPORT_UDP6 = 0x08,  /* "udpv6" */
	REPORT_ICMP = 0x10,  /* "icmp" */
	REPORT_ICMP6 = 0x20, /* "icmpv6" */
	REPORT_IP = 0x40,    /* "ip": IPv4 (for -s) */
	REPORT_IP6 = 0x80,   /* "ipv6" (for -s) */
	REPORT_ALL = 0xff,
};

/* The REPORT_* bit of a -p name, or -1. */
int report_proto_parse(const char *name);

/* --resolve: where host names come from. */
enum report_resolve {
	REPORT_RESOLVE_PASSIVE, /* the DNS answers on the wire (default) */
	REPORT_RESOLVE_ACTIVE,	/* those, then the system resolver */
	REPORT_RESOLVE_NONE,	/* no host names */
};

/* The enum report_resolve of a --resolve word, or -1. */
int report_resolve_parse(const char *word);

struct report_options {
	bool all;	  /* -a: listening TCP ports and UDP endpoints too */
	bool numeric;	  /* -n: no port names in tables, no host names */
	bool fqdn;	  /* -f: foreign hosts by their full name in tables */
	uint8_t resolve;  /* enum report_resolve */
	struct resolver *resolver; /* --resolve=active; NULL otherwise */
	bool time_in_state; /* -i: time since each socket's last change */
	unsigned protos;  /* REPORT_* mask; 0 means all */
	const struct addr_prefix *hosts; /* --host: keep these hosts' rows */
	size_t nhosts;
	const uint16_t *ports; /* --port: keep rows with this local or */
	size_t nports;	       /* foreign port */
	enum emit_format format;
	const struct services *services; /* port names; NULL for none */
	/* --ipfix: the exporter's counters (-s shows them); NULL: none */
	const uint64_t *ipfix_counters;
	bool pid;     /* -o: the owning process's PID */
	bool program; /* -b: and its program name */
	/* -o/-b: this host's kernel, indexed (live only); NULL: owners
	 * unknown (offline), shown as "-" / null */
	const struct rc_kernel *kernel;
};

/* The socket view: one row per socket each host would list, the rows
 * sorted by protocol, local address and port, foreign address and port.
 * Returns 0, or -1 if writing failed. */
int report_sockets(FILE *out, struct engine *const *engines, size_t n,
		   const struct report_options *o);

/* Counter groups, the shape of netstat -s: a titled section of "name =
 * value" lines in a table, one JSON object per group (keys stable), or
 * CSV lines "group,counter,value". */
enum counter_table {
	COUNTER_SHOW,	   /* a table line */
	COUNTER_HIDE_ZERO, /* a table line unless zero */
	COUNTER_DATA_ONLY, /* only in JSON and CSV */
};

struct counter_line {
	const char *key;   /* JSON/CSV name */
	const char *label; /* table text; NULL: made from the key */
	uint8_t indent;	   /* table nesting level */
	bool known;	   /* false: the wire cannot tell (shown as such) */
	const char *why_unknown; /* table text then; NULL: "not visible on
				  * the wire" */
	uint8_t table;	   /* enum counter_table */
	uint64_t value;
	/* second column (Received/Sent groups): its key, value, known */
	const char *key2;
	uint64_t value2;
	bool known2;
};

struct counter_group {
	const char *id;	   /* JSON "group" */
	const char *title; /* table section title */
	const struct counter_line *lines;
	size_t n;
	const char *col1, *col2; /* two columns: their headings, else NULL */
	const char *name_key, *name; /* a string member (JSON/CSV), or NULL */
};

int report_counter_groups(FILE *out, enum emit_format fmt,
			  const struct counter_group *groups, size_t n);

/* --events: one line per TCP endpoint state change, streamed as the
 * engine finds them (report_event() is an engine_event_fn). */
struct event_printer;

struct event_printer *report_events_begin(FILE *out,
					  const struct report_options *o,
					  bool flush_each);
void report_event(void *printer, const struct engine_event *ev);
int report_events_end(struct event_printer *p);

/* --conn: one record per connection, streamed as connections end
 * (report_conn() is an engine_conn_fn). */
struct conn_printer;

struct conn_printer *report_conn_begin(FILE *out,
				       const struct report_options *o,
				       bool flush_each);
void report_conn(void *printer, const struct conn_record *r);
int report_conn_end(struct conn_printer *p);

/* Does record r pass the filters (-p, --port, --host) of the connection
 * view?  a[0] and a[1] get the originator's and responder's addresses. */
bool conn_record_keep(const struct report_options *o,
		      const struct conn_record *r, struct addr a[2]);

/* Packet time as text: "2023-11-14 22:13:20.010000" (UTC). */
void report_time(ws_time t, char *buf, size_t size);

/* -e: interface statistics, one section per link (names[i] for input i)
 * and one for them all, or with --host one for those hosts' frames. */
int report_interfaces(FILE *out, struct engine *const *engines, size_t n,
		      const struct report_options *o, const char *const *names,
		      size_t nnames);

/* -s: the statistics sections.  Returns 0, or -1 if writing failed. */
int report_stats(FILE *out, struct engine *const *engines, size_t n,
		 const struct report_options *o);

/* -o/-b with --conn or --events: the kernel's index to name the owners
 * of the records and events printed from now on (NULL: none). */
void report_conn_kernel(struct conn_printer *p, const struct rc_kernel *k);
void report_events_kernel(struct event_printer *p, const struct rc_kernel *k);

/* --compare: every socket the wire shows (every protocol, listeners and
 * UDP too; -p, --host and --port ignored), merged over the engines, as
 * reconcile() takes them.  *out is allocated (free() it). */
int report_wire_sockets(struct engine *const *engines, size_t n,
			struct rc_wire **out, size_t *nout);

/* --compare: the rows of one comparison, wire beside kernel, with their
 * verdicts; -p, --host and --port select rows as in the socket view. */
int report_compare(FILE *out, const struct rc_result *res,
		   const struct rc_kernel *k, const struct report_options *o);

/* --compare -s / -e: the wire's counters for this host beside the
 * kernel's over the same period. */
int report_compare_counters(FILE *out, const struct rc_counter_row *rows,
			    size_t n, const char *title,
			    const struct report_options *o);

/* --compare -s: the protocol groups' counters (IPv4 to UDPv6) from the
 * hosts' point of view (the engines' --host), as rc_counters() takes
 * them; keys point into static tables.  Returns how many (at most max). */
size_t report_wire_counters(struct engine *const *engines, size_t n,
			    const struct report_options *o,
			    struct rc_wire_counter *out, size_t max);

/* --compare -e: each input link's counters (-e's), summed over the
 * engines; returns how many links (at most max). */
size_t report_wire_links(struct engine *const *engines, size_t n,
			 struct link_stats *links, size_t max);

/* -r: the kernel's routing tables, IPv4 then IPv6 (-p ip or ipv6 keeps
 * one), in route -n's layout; JSON and CSV rows have kind "route". */
int report_routes(FILE *out, const struct kernel_routes *r,
		  const struct report_options *o);

/* -r with a capture: the MACs that carried the frames of many addresses,
 * or (routes given: live, on this host) of any address the routes put
 * behind a gateway, per input (names[i]) and family; kind "gateway". */
int report_gateways(FILE *out, struct engine *const *engines, size_t n,
		    const struct kernel_routes *routes,
		    const struct report_options *o, const char *const *names,
		    size_t nnames);
/* --names: the passive name caches (every engine's, merged: the entry
 * learned last for each address), sorted by address; --host keeps the
 * addresses of those hosts.  Returns 0, or -1 if writing failed. */
int report_names(FILE *out, struct engine *const *engines, size_t n,
		 const struct report_options *o);

/* --conn with host names: the engines whose caches name the records'
 * addresses (without it, records carry no names). */
void report_conn_names(struct conn_printer *p, struct engine *const *engines,
		       size_t n);

/* Every report takes a set of engines (one per capture worker) and
 * reports them as one, as of the latest time among them. */
ws_time engines_now(struct engine *const *engines, size_t n);

#endif

/* hosts.h - host names in report rows (private to src/report/).
 *
 * A row's address is named, unless -n or --resolve=none, from the
 * passive caches of every engine (the DNS answers seen on the wire),
 * then, with --resolve=active, from the system resolver's answers so far
 * (an address not yet asked is queued, never waited for).  Only the
 * addresses of the rows a report prints are ever looked up.
 */
#ifndef WIRESTAT_REPORT_HOSTS_H
#define WIRESTAT_REPORT_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/report.h"

/* Room for a name from either source, NUL included. */
#define HOST_NAME_MAX_LEN NAMES_NAME_MAX

/* One report's (or one record's) view of the names. */
struct host_namer {
	struct engine *const *engines;
	size_t n;
	struct resolver *resolver; /* --resolve=active, else NULL */
	uint64_t mark;		   /* the resolver's answers so far */
	bool on;		   /* names wanted at all */
};

void host_namer_init(struct host_namer *h, const struct report_options *o,
		     struct engine *const *engines, size_t n);

/* The full name of a into buf[size] (HOST_NAME_MAX_LEN), or NULL when
 * names are off or none is known.  The unspecified address is never
 * named. */
const char *host_name(const struct host_namer *h, const struct addr *a,
		      char *buf, size_t size);

/* A table's "host:port" cell: the host's name (its short form, before
 * the first '.', unless full) or its address (IPv6 bracketed), and the
 * port's name from /etc/services unless -n.  name: host_name()'s. */
void host_endpoint_text(const char *name, bool full, const struct addr *a,
			uint16_t port, const char *proto,
			const struct report_options *o, char *buf,
			size_t size);

/* A view printed as it happens (--conn, --events): fixed columns, each
 * row written at once, flushed after each when live. */
struct report_stream {
	struct emit *em;
	FILE *out;
	struct report_options o;
	bool flush_each;
	bool failed;
};

/* fields[n] is the view's own copy: -o and -b add their columns (pid,
 * program: the indexes of those fields).  0, or -1 out of memory. */
int report_stream_begin(struct report_stream *s, FILE *out,
			const struct report_options *o, bool flush_each,
			struct emit_field *fields, size_t n, size_t pid,
			size_t program, const char *title);
void report_stream_row(struct report_stream *s, const struct emit_value *v);
/* -1 if a row or the end failed to write. */
int report_stream_end(struct report_stream *s);

/* -o/-b: keep or drop the PID and program columns of a view. */
void report_owner_fields(const struct report_options *o, struct emit_field *pid,
			 struct emit_field *program);

/* Whether the socket view would keep a row with this key and TCP state
 * (-p, --host, --port, and -a for listeners and UDP). */
bool report_key_selected(const struct rc_key *k, uint8_t state,
			 const struct report_options *o);

/* -o/-b: the process owning the kernel socket behind a wire socket of
 * this host (or one a NAT put behind the wire's address), or NULL. */
const struct kernel_owner *report_owner(const struct rc_kernel *k,
					const struct rc_endpoint *e);

/* The PID and program cells of an owner: "-" in tables, null in data
 * when unknown. */
void report_owner_values(const struct kernel_owner *ow, struct emit_value *pid,
			 struct emit_value *program, bool table);

#endif

/* conn.c - --conn: one record per connection, the fields of Zeek's
 * conn.log (DESIGN.md's connection-record contract), streamed as the
 * engine ends each connection. */
#include <stdlib.h>
#include <string.h>

#include "wirestat/flow.h"
#include "wirestat/report.h"
#include "wirestat/tcp.h"

#include "hosts.h"

enum {
	C_START_T, /* table-only cells */
	C_DUR_T,
	C_PROTO_T,
	C_ORIG_T,
	C_RESP_T,
	C_TS, /* data keys, DESIGN.md's first */
	C_ORIG_ADDR,
	C_ORIG_PORT,
	C_RESP_ADDR,
	C_RESP_PORT,
	C_PROTO,
	C_DURATION,
	C_ORIG_PKTS,
	C_RESP_PKTS,
	C_ORIG_IP_BYTES,
	C_RESP_IP_BYTES,
	C_ORIG_BYTES,
	C_RESP_BYTES,
	C_MISSED,
	C_ORIG_STATE,
	C_RESP_STATE,
	C_CONN_STATE,
	C_HISTORY,
	C_PARTIAL,
	C_VLAN,
	C_INNER_VLAN,
	C_END,
	C_ORIG_TIME, /* -i */
	C_RESP_TIME,
	C_ORIG_NAME, /* host names, after every older key */
	C_RESP_NAME,
	C_PID,	   /* -o: the local end's owner */
	C_PROGRAM, /* -b */
	C_MAX
};

static const struct emit_field conn_fields[C_MAX] = {
	[C_START_T] = {"", "Start", EMIT_IN_TABLE, EMIT_LEFT, 26},
	[C_DUR_T] = {"", "Duration", EMIT_IN_TABLE, EMIT_RIGHT, 10},
	[C_PROTO_T] = {"", "Proto", EMIT_IN_TABLE, EMIT_LEFT, 5},
	[C_ORIG_T] = {"", "Originator", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[C_RESP_T] = {"", "Responder", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[C_TS] = {"ts", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_ADDR] = {"orig_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_PORT] = {"orig_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_RESP_ADDR] = {"resp_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_RESP_PORT] = {"resp_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_PROTO] = {"proto", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_DURATION] = {"duration", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_PKTS] = {"orig_pkts", "Orig Pkts", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[C_RESP_PKTS] = {"resp_pkts", "Resp Pkts", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[C_ORIG_IP_BYTES] = {"orig_ip_bytes", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_RESP_IP_BYTES] = {"resp_ip_bytes", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_BYTES] = {"orig_bytes", "Orig Bytes", EMIT_IN_ALL, EMIT_RIGHT,
			  0},
	[C_RESP_BYTES] = {"resp_bytes", "Resp Bytes", EMIT_IN_ALL, EMIT_RIGHT,
			  0},
	[C_MISSED] = {"missed_bytes", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_STATE] = {"orig_state", "Orig State", EMIT_IN_ALL, EMIT_LEFT,
			  12},
	[C_RESP_STATE] = {"resp_state", "Resp State", EMIT_IN_ALL, EMIT_LEFT,
			  12},
	[C_CONN_STATE] = {"conn_state", "Conn", EMIT_IN_ALL, EMIT_LEFT, 6},
	[C_HISTORY] = {"history", "History", EMIT_IN_ALL, EMIT_LEFT, 0},
	[C_PARTIAL] = {"partial", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_VLAN] = {"vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_INNER_VLAN] = {"inner_vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_END] = {"end_reason", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_ORIG_TIME] = {"orig_time_in_state_ms", "Orig Time (ms)",
			 EMIT_IN_ALL, EMIT_RIGHT, 0},
	[C_RESP_TIME] = {"resp_time_in_state_ms", "Resp Time (ms)",
			 EMIT_IN_ALL, EMIT_RIGHT, 0},
	[C_ORIG_NAME] = {"orig_name", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_RESP_NAME] = {"resp_name", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_PID] = {"pid", "PID", EMIT_IN_ALL, EMIT_RIGHT, 7},
	[C_PROGRAM] = {"program", "Program", EMIT_IN_ALL, EMIT_LEFT, 15},
};

struct conn_printer {
	struct report_stream s;
	struct emit_field fields[C_MAX];
	struct engine *const *engines; /* whose caches name the hosts */
	size_t nengines;
};

struct conn_printer *report_conn_begin(FILE *out,
				       const struct report_options *o,
				       bool flush_each)
{
	struct conn_printer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->fields, conn_fields, sizeof(p->fields));
	if (!o->time_in_state) /* -i adds the two columns */
		p->fields[C_ORIG_TIME].where = p->fields[C_RESP_TIME].where = 0;
	if (report_stream_begin(&p->s, out, o, flush_each, p->fields, C_MAX,
				C_PID, C_PROGRAM, "Connections") < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void report_conn_names(struct conn_printer *p, struct engine *const *engines,
		       size_t n)
{
	p->engines = engines;
	p->nengines = n;
}

/* -p, --host (either end), --port (either port). */
bool conn_record_keep(const struct report_options *o,
		      const struct conn_record *r, struct addr a[2])
{
	uint16_t port;
	flow_endpoint(r->flow, r->orig, &a[0], &port);
	flow_endpoint(r->flow, !r->orig, &a[1], &port);
	bool v6 = a[0].family == ADDR_V6;
	unsigned bit = r->proto == 6	? (v6 ? REPORT_TCP6 : REPORT_TCP)
		       : r->proto == 17 ? (v6 ? REPORT_UDP6 : REPORT_UDP)
					: (v6 ? REPORT_ICMP6 : REPORT_ICMP);
	if (o->protos && !(o->protos & bit))
		return false;
	if (o->nports) {
		bool hit = false;
		for (size_t i = 0; i < o->nports; i++)
			hit = hit || o->ports[i] == r->port[0] ||
			      o->ports[i] == r->port[1];
		if (!hit)
			return false;
	}
	if (o->nhosts == 0)
		return true;
	for (size_t i = 0; i < o->nhosts; i++)
		if (addr_prefix_match(&o->hosts[i], &a[0]) ||
		    addr_prefix_match(&o->hosts[i], &a[1]))
			return true;
	return false;
}

void report_conn(void *printer, const struct conn_record *r)
{
	struct conn_printer *p = printer;
	struct addr a[2];
	const struct flow *f = r->flow;
	if (!conn_record_keep(&p->s.o, r, a))
		return;

	const char *pname = r->proto == 6 ? "tcp" : r->proto == 17 ? "udp"
								   : "icmp";
	char start[48], text[2][HOST_NAME_MAX_LEN + 64], plain[2][ADDR_STRLEN],
		names[2][HOST_NAME_MAX_LEN], dur[32];
	const char *name[2];
	double duration = (double)(r->last - r->ts) / WS_NS_PER_SEC;
	struct emit_value v[C_MAX];
	struct host_namer h;
	/* ICMP "ports" are message types: never named as services */
	struct report_options po = p->s.o;
	po.numeric = po.numeric || r->proto == 1 || r->proto == 58;

	host_namer_init(&h, &p->s.o, p->engines, p->nengines);
	report_time(r->ts, start, sizeof(start));
	snprintf(dur, sizeof(dur), "%.6f", duration);
	for (int i = 0; i < 2; i++) {
		name[i] = host_name(&h, &a[i], names[i], sizeof(names[i]));
		addr_format(&a[i], plain[i], sizeof(plain[i]));
		host_endpoint_text(name[i], p->s.o.fqdn, &a[i], r->port[i], pname,
				   &po, text[i], sizeof(text[i]));
	}
	bool tcp = r->proto == 6;
	v[C_START_T] = ev_str(start);
	v[C_DUR_T] = ev_str(dur);
	v[C_PROTO_T] = ev_str(tcp ? "TCP" : r->proto == 17 ? "UDP" : "ICMP");
	v[C_ORIG_T] = ev_str(text[0]);
	v[C_RESP_T] = ev_str(text[1]);
	v[C_TS] = ev_float((double)r->ts / WS_NS_PER_SEC, 6);
	v[C_ORIG_ADDR] = ev_str(plain[0]);
	v[C_ORIG_PORT] = ev_int(r->port[0]);
	v[C_RESP_ADDR] = ev_str(plain[1]);
	v[C_RESP_PORT] = ev_int(r->port[1]);
	v[C_PROTO] = ev_str(pname);
	/* as Zeek: duration and payload bytes only above zero duration */
	v[C_DURATION] = r->bytes_known ? ev_float(duration, 6) : ev_null();
	v[C_ORIG_PKTS] = ev_int((int64_t)r->pkts[0]);
	v[C_RESP_PKTS] = ev_int((int64_t)r->pkts[1]);
	v[C_ORIG_IP_BYTES] = ev_int((int64_t)r->ip_bytes[0]);
	v[C_RESP_IP_BYTES] = ev_int((int64_t)r->ip_bytes[1]);
	v[C_ORIG_BYTES] = r->bytes_known ? ev_int((int64_t)r->bytes[0])
					 : ev_null();
	v[C_RESP_BYTES] = r->bytes_known ? ev_int((int64_t)r->bytes[1])
					 : ev_null();
	v[C_MISSED] = ev_int((int64_t)r->missed);
	for (int i = 0; i < 2; i++) {
		v[C_ORIG_STATE + i] =
			r->state[i] < TCP_STATE_MAX
				? ev_str(tcp_state_names[r->state[i]])
				: ev_null();
		v[C_ORIG_TIME + i] =
			r->state[i] < TCP_STATE_MAX
				? ev_int((r->last - r->since[i]) / 1000000)
				: ev_null();
	}
	v[C_CONN_STATE] = ev_str(r->conn_state);
	v[C_HISTORY] = ev_str(r->history);
	v[C_PARTIAL] = ev_bool(r->partial);
	v[C_VLAN] = f->key.vlan ? ev_int(f->key.vlan) : ev_null();
	v[C_INNER_VLAN] = f->key.inner_vlan ? ev_int(f->key.inner_vlan)
					    : ev_null();
	v[C_END] = ev_str(conn_end_names[r->why]);
	v[C_ORIG_NAME] = ev_str(name[0]);
	v[C_RESP_NAME] = ev_str(name[1]);
	if (p->s.o.pid || p->s.o.program) {
		/* the originator's socket if it is this host's, else the
		 * responder's */
		const struct kernel_owner *ow = NULL;
		for (int i = 0; i < 2 && !ow && r->proto != 1 && r->proto != 58;
		     i++) {
			struct rc_endpoint e = {
				.local = a[i], .remote = a[!i],
				.lport = r->port[i], .rport = r->port[!i],
				.proto = r->proto, .has_remote = true,
			};
			ow = report_owner(p->s.o.kernel, &e);
		}
		report_owner_values(ow, &v[C_PID], &v[C_PROGRAM],
				    p->s.o.format == EMIT_TABLE);
	}
	report_stream_row(&p->s, v);
}

void report_conn_kernel(struct conn_printer *p, const struct rc_kernel *k)
{
	if (p)
		p->s.o.kernel = k;
}

int report_conn_end(struct conn_printer *p)
{
	if (!p)
		return -1;
	int r = report_stream_end(&p->s);
	free(p);
	return r;
}

/* events.c - --events: TCP endpoint state changes, one line each, as the
 * engine finds them.  Each line is one socket's change, seen from that
 * socket (local = the endpoint that changed), with its cause: the packet
 * it sent or received, or a timer. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wirestat/flow.h"
#include "wirestat/report.h"
#include "wirestat/tcp.h"

#include "hosts.h"

enum {
	E_TIME_T, /* table-only cells */
	E_PROTO_T,
	E_LOCAL_T,
	E_REMOTE_T,
	E_TS, /* data keys */
	E_PROTO,
	E_LOCAL_ADDR,
	E_LOCAL_PORT,
	E_REMOTE_ADDR,
	E_REMOTE_PORT,
	E_OLD,
	E_NEW,
	E_PARTIAL,
	E_CAUSE_T,
	E_CAUSE,
	E_DIRECTION,
	E_FLAGS,
	E_SEQ,
	E_ACK,
	E_LEN,
	E_PID,	   /* -o */
	E_PROGRAM, /* -b */
	E_MAX
};

static const struct emit_field event_fields[E_MAX] = {
	[E_TIME_T] = {"", "Time", EMIT_IN_TABLE, EMIT_LEFT, 26},
	[E_PROTO_T] = {"", "Proto", EMIT_IN_TABLE, EMIT_LEFT, 5},
	[E_LOCAL_T] = {"", "Local Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[E_REMOTE_T] = {"", "Foreign Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[E_TS] = {"ts", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_PROTO] = {"proto", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_LOCAL_ADDR] = {"local_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_LOCAL_PORT] = {"local_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_REMOTE_ADDR] = {"remote_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_REMOTE_PORT] = {"remote_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_OLD] = {"old_state", "Old State", EMIT_IN_ALL, EMIT_LEFT, 12},
	[E_NEW] = {"new_state", "New State", EMIT_IN_ALL, EMIT_LEFT, 12},
	[E_PARTIAL] = {"partial", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_CAUSE_T] = {"", "Cause", EMIT_IN_TABLE, EMIT_LEFT, 0},
	[E_CAUSE] = {"cause", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_DIRECTION] = {"direction", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_FLAGS] = {"flags", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_SEQ] = {"seq", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_ACK] = {"ack", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_LEN] = {"len", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[E_PID] = {"pid", "PID", EMIT_IN_ALL, EMIT_RIGHT, 7},
	[E_PROGRAM] = {"program", "Program", EMIT_IN_ALL, EMIT_LEFT, 15},
};

struct event_printer {
	struct report_stream s;
	struct emit_field fields[E_MAX];
};

void report_time(ws_time t, char *buf, size_t size)
{
	time_t sec = (time_t)(t / WS_NS_PER_SEC);
	struct tm tm;
	char day[32];
	if (!gmtime_r(&sec, &tm) ||
	    strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%s.%06ld", day,
		 (long)(t % WS_NS_PER_SEC / 1000));
}

/* tcpdump's spelling of the flags: S F R P U E W and '.' for ACK. */
static void flags_text(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char ch;
	} order[] = {{TH_SYN, 'S'}, {TH_FIN, 'F'}, {TH_RST, 'R'},
		     {TH_PUSH, 'P'}, {TH_URG, 'U'}, {TH_ECE, 'E'},
		     {TH_CWR, 'W'}, {TH_ACK, '.'}};
	size_t n = 0;
	for (size_t i = 0; i < WS_ARRAY_SIZE(order); i++)
		if (f & order[i].bit)
			buf[n++] = order[i].ch;
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
}

struct event_printer *report_events_begin(FILE *out,
					  const struct report_options *o,
					  bool flush_each)
{
	struct event_printer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->fields, event_fields, sizeof(p->fields));
	if (report_stream_begin(&p->s, out, o, flush_each, p->fields, E_MAX,
				E_PID, E_PROGRAM, "TCP State Changes") < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static bool keep(const struct report_options *o, const struct addr *local,
		 uint16_t lport, uint16_t rport)
{
	unsigned bit = local->family == ADDR_V6 ? REPORT_TCP6 : REPORT_TCP;
	if (o->protos && !(o->protos & bit))
		return false;
	if (o->nports) {
		bool hit = false;
		for (size_t i = 0; i < o->nports; i++)
			hit = hit || o->ports[i] == lport || o->ports[i] == rport;
		if (!hit)
			return false;
	}
	if (o->nhosts == 0)
		return true;
	for (size_t i = 0; i < o->nhosts; i++)
		if (addr_prefix_match(&o->hosts[i], local))
			return true;
	return false;
}

void report_event(void *printer, const struct engine_event *ev)
{
	struct event_printer *p = printer;
	struct addr local, remote;
	uint16_t lport, rport;
	flow_endpoint(ev->flow, ev->side, &local, &lport);
	flow_endpoint(ev->flow, !ev->side, &remote, &rport);
	if (!keep(&p->s.o, &local, lport, rport))
		return;

	bool v6 = local.family == ADDR_V6;
	char when[48], la[ADDR_STRLEN], ra[ADDR_STRLEN], lt[ADDR_STRLEN + 8],
		rt[ADDR_STRLEN + 8], flags[10] = "", cause[96];
	char lb[ADDR_STRLEN], rb[ADDR_STRLEN];
	struct emit_value v[E_MAX];
	const struct decoded *d = ev->pkt;

	report_time(ev->ts, when, sizeof(when));
	addr_format(&local, la, sizeof(la));
	addr_format(&remote, ra, sizeof(ra));
	snprintf(lt, sizeof(lt), "%s:%u",
		 addr_format_bracketed(&local, lb, sizeof(lb)), lport);
	snprintf(rt, sizeof(rt), "%s:%u",
		 addr_format_bracketed(&remote, rb, sizeof(rb)), rport);
	if (d) {
		flags_text(d->tcp_flags, flags);
		snprintf(cause, sizeof(cause), "%s %s seq %u ack %u len %u",
			 ev->sent ? "sent" : "received", flags, d->seq, d->ack,
			 d->payload_len);
	} else {
		snprintf(cause, sizeof(cause), "timer");
	}
	v[E_TIME_T] = ev_str(when);
	v[E_PROTO_T] = ev_str(v6 ? "TCPv6" : "TCP");
	v[E_LOCAL_T] = ev_str(lt);
	v[E_REMOTE_T] = ev_str(rt);
	v[E_TS] = ev_float((double)ev->ts / WS_NS_PER_SEC, 6);
	v[E_PROTO] = ev_str(v6 ? "tcp6" : "tcp");
	v[E_LOCAL_ADDR] = ev_str(la);
	v[E_LOCAL_PORT] = ev_int(lport);
	v[E_REMOTE_ADDR] = ev_str(ra);
	v[E_REMOTE_PORT] = ev_int(rport);
	v[E_OLD] = ev->old_state < TCP_STATE_MAX
			   ? ev_str(tcp_state_names[ev->old_state])
			   : ev_null();
	v[E_NEW] = ev_str(tcp_state_names[ev->new_state]);
	v[E_PARTIAL] = ev_bool(ev->flow->u.tcp.flags & TCPC_PARTIAL);
	v[E_CAUSE_T] = ev_str(cause);
	v[E_CAUSE] = ev_str(d ? "packet" : "timer");
	v[E_DIRECTION] = d ? ev_str(ev->sent ? "sent" : "received") : ev_null();
	v[E_FLAGS] = d ? ev_str(flags) : ev_null();
	v[E_SEQ] = d ? ev_int(d->seq) : ev_null();
	v[E_ACK] = d ? ev_int(d->ack) : ev_null();
	v[E_LEN] = d ? ev_int(d->payload_len) : ev_null();
	if (p->s.o.pid || p->s.o.program) {
		struct rc_endpoint e = {
			.local = local, .remote = remote,
			.lport = lport, .rport = rport,
			.proto = 6, .has_remote = true,
		};
		report_owner_values(report_owner(p->s.o.kernel, &e), &v[E_PID],
				    &v[E_PROGRAM],
				    p->s.o.format == EMIT_TABLE);
	}
	report_stream_row(&p->s, v);
}

void report_events_kernel(struct event_printer *p, const struct rc_kernel *k)
{
	if (p)
		p->s.o.kernel = k;
}

int report_events_end(struct event_printer *p)
{
	if (!p)
		return -1;
	int r = report_stream_end(&p->s);
	free(p);
	return r;
}

/* sockets.c - the socket view (netstat -a): one row per socket.
 *
 * Rows come from three places: each TCP flow gives one row per endpoint
 * whose state (timers applied at the report time) is not CLOSED; the
 * ports table gives LISTENING TCP ports and bound UDP ports; a UDP flow
 * gives its originator's socket while the flow lives.
 */
#include "wirestat/report.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wirestat/flow.h"
#include "wirestat/ports.h"
#include "wirestat/tcp.h"

#include "hosts.h"

enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

#define STATE_NONE 0xff /* UDP: no state */

struct socket_row {
	struct rc_key k;  /* addresses, ports, VLANs, protocol */
	uint8_t state; /* enum tcp_state, or STATE_NONE */
	bool partial;
	int64_t state_ms; /* time in the current state (-i), -1: none */
};

struct rows {
	struct socket_row *v;
	size_t n, cap;
};

int report_proto_parse(const char *name)
{
	static const struct {
		const char *name;
		int bit;
	} protos[] = {
		{"tcp", REPORT_TCP},
		{"tcpv6", REPORT_TCP6},
		{"udp", REPORT_UDP},
		{"udpv6", REPORT_UDP6},
		{"icmp", REPORT_ICMP},
		{"icmpv6", REPORT_ICMP6},
		{"ip", REPORT_IP},
		{"ipv6", REPORT_IP6},
	};
	for (size_t i = 0; i < WS_ARRAY_SIZE(protos); i++)
		if (strcasecmp(name, protos[i].name) == 0)
			return protos[i].bit;
	return -1;
}

static unsigned row_proto_bit(const struct socket_row *r)
{
	bool v6 = r->k.local.family == ADDR_V6;
	if (r->k.proto == IPPROTO_TCP_)
		return v6 ? REPORT_TCP6 : REPORT_TCP;
	return v6 ? REPORT_UDP6 : REPORT_UDP;
}

static bool keep(const struct socket_row *r, const struct report_options *o)
{
	unsigned protos = o->protos ? o->protos : REPORT_ALL;
	if (!(row_proto_bit(r) & protos))
		return false;
	if (!o->all && (r->k.proto != IPPROTO_TCP_ || r->state == TCP_LISTENING))
		return false;
	if (o->nports) {
		bool hit = false;
		for (size_t i = 0; i < o->nports && !hit; i++)
			hit = r->k.lport == o->ports[i] ||
			      (r->k.has_remote && r->k.rport == o->ports[i]);
		if (!hit)
			return false;
	}
	if (o->nhosts == 0)
		return true;
	for (size_t i = 0; i < o->nhosts; i++)
		if (addr_prefix_match(&o->hosts[i], &r->k.local))
			return true;
	return false;
}

bool report_key_selected(const struct rc_key *k, uint8_t state,
			 const struct report_options *o)
{
	struct socket_row r = {
		.k = *k,
		.state = k->proto == IPPROTO_TCP_ ? state : STATE_NONE,
	};
	return keep(&r, o);
}

static int push(struct rows *rs, const struct socket_row *r,
		const struct report_options *o)
{
	if (!keep(r, o))
		return 0;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct socket_row *v = realloc(rs->v, cap * sizeof(*v));
		if (!v)
			return -1;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

/* The socket a row shows, as the matcher takes it. */
static struct rc_endpoint row_endpoint(const struct socket_row *r)
{
	struct rc_endpoint e = {
		.local = r->k.local, .remote = r->k.remote,
		.lport = r->k.lport, .rport = r->k.rport,
		.proto = r->k.proto, .has_remote = r->k.has_remote,
	};
	return e;
}

static int cmp_u(unsigned a, unsigned b)
{
	return a < b ? -1 : a > b;
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct socket_row *a = pa, *b = pb;
	int c = rc_key_cmp(&a->k, &b->k);
	return c ? c : cmp_u(a->state, b->state);
}

static int collect_flows(struct rows *rs, struct engine *e, ws_time now,
			 const struct report_options *o)
{
	for (struct flow *f = flow_first(e->flows); f; f = flow_next(f)) {
		struct socket_row r;
		memset(&r, 0, sizeof(r));
		r.k.vlan = f->key.vlan;
		r.k.inner_vlan = f->key.inner_vlan;
		r.k.proto = f->key.proto;
		if (f->key.proto == IPPROTO_TCP_) {
			const struct tcp_conn *c = &f->u.tcp;
			if (!(c->flags & TCPC_STARTED))
				continue;
			for (int side = 0; side < 2; side++) {
				enum tcp_state st =
					tcp_state_at(&c->ep[side], now);
				if (st == TCP_CLOSED)
					continue;
				flow_endpoint(f, side, &r.k.local, &r.k.lport);
				flow_endpoint(f, !side, &r.k.remote, &r.k.rport);
				r.k.has_remote = true;
				r.state = (uint8_t)st;
				r.partial = c->flags & TCPC_PARTIAL;
				r.state_ms = (now - tcp_state_since(&c->ep[side],
								     now)) /
					     1000000;
				if (push(rs, &r, o) < 0)
					return -1;
			}
		} else if (f->key.proto == IPPROTO_UDP_) {
			/* The originator holds a socket while the flow lives;
			 * the responder's is in the ports table. */
			flow_endpoint(f, f->orig, &r.k.local, &r.k.lport);
			r.state = STATE_NONE;
			r.state_ms = -1;
			if (push(rs, &r, o) < 0)
				return -1;
		}
	}
	return 0;
}

static int collect_ports(struct rows *rs, struct engine *e, ws_time now,
			 const struct report_options *o)
{
	for (const struct port_entry *p = ports_first(e->ports); p;
	     p = ports_next(p)) {
		struct socket_row r;
		if (p->state == PORT_CLOSED)
			continue;
		memset(&r, 0, sizeof(r));
		r.k.local = p->addr;
		r.k.lport = p->port;
		r.k.vlan = p->vlan;
		r.k.inner_vlan = p->inner_vlan;
		r.k.proto = p->proto;
		r.state = p->proto == IPPROTO_TCP_ ? TCP_LISTENING : STATE_NONE;
		r.state_ms = p->proto == IPPROTO_TCP_
				     ? (now - p->since) / 1000000
				     : -1;
		if (push(rs, &r, o) < 0)
			return -1;
	}
	return 0;
}

/* Remove rows equal in every field: a UDP socket seen in several flows,
 * a listener seen by several workers (the longest-known one stays). */
static void dedupe(struct rows *rs)
{
	size_t out = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (out > 0 && row_cmp(&rs->v[out - 1], &rs->v[i]) == 0) {
			if (rs->v[i].state_ms > rs->v[out - 1].state_ms)
				rs->v[out - 1].state_ms = rs->v[i].state_ms;
			continue;
		}
		rs->v[out++] = rs->v[i];
	}
	rs->n = out;
}

enum {
	F_PROTO_T, /* table cells first */
	F_LOCAL_T,
	F_REMOTE_T,
	F_PROTO, /* then the data keys, in DESIGN.md's order */
	F_LOCAL_ADDR,
	F_LOCAL_PORT,
	F_REMOTE_ADDR,
	F_REMOTE_PORT,
	F_STATE, /* also the table's last column */
	F_PARTIAL,
	F_VLAN,
	F_INNER_VLAN,
	F_TIME, /* -i */
	F_LOCAL_NAME, /* host names, after every older key */
	F_REMOTE_NAME,
	F_PID,	   /* -o */
	F_PROGRAM, /* -b */
	F_MAX
};

static const struct emit_field socket_fields[F_MAX] = {
	[F_PROTO_T] = {"", "Proto", EMIT_IN_TABLE, EMIT_LEFT, 5},
	[F_LOCAL_T] = {"", "Local Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[F_REMOTE_T] = {"", "Foreign Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[F_STATE] = {"state", "State", EMIT_IN_ALL, EMIT_LEFT, 0},
	[F_PROTO] = {"proto", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_LOCAL_ADDR] = {"local_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_LOCAL_PORT] = {"local_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_REMOTE_ADDR] = {"remote_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_REMOTE_PORT] = {"remote_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_PARTIAL] = {"partial", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_VLAN] = {"vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_INNER_VLAN] = {"inner_vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_TIME] = {"time_in_state_ms", "Time in State (ms)", EMIT_IN_ALL,
		    EMIT_RIGHT, 0},
	[F_LOCAL_NAME] = {"local_name", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_REMOTE_NAME] = {"remote_name", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[F_PID] = {"pid", "PID", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[F_PROGRAM] = {"program", "Program", EMIT_IN_ALL, EMIT_LEFT, 0},
};

const struct kernel_owner *report_owner(const struct rc_kernel *k,
					const struct rc_endpoint *e)
{
	enum rc_how how;
	const struct kernel_ct_entry *ct;
	if (!k)
		return NULL;
	const struct rc_ksock *ks = rc_find(k, e, &how, &ct);
	if (!ks)
		return NULL;
	/* this host's socket, or the one a NAT on this host put behind the
	 * wire's address (the matcher takes only the translated end) */
	if (how == RC_NAT)
		return rc_owner(k, ks);
	return rc_is_local(k, &e->local) ? rc_owner(k, ks) : NULL;
}

void report_owner_fields(const struct report_options *o, struct emit_field *pid,
			 struct emit_field *program)
{
	if (!o->pid)
		pid->where = 0;
	if (!o->program)
		program->where = 0;
}

void report_owner_values(const struct kernel_owner *ow, struct emit_value *pid,
			 struct emit_value *program, bool table)
{
	*pid = ow ? ev_int(ow->pid) : table ? ev_str("-") : ev_null();
	*program = ow && ow->comm[0] ? ev_str(ow->comm)
		   : table	     ? ev_str("-")
				     : ev_null();
}

/* The text a row's values point into. */
struct row_text {
	char local[HOST_NAME_MAX_LEN + 64], remote[HOST_NAME_MAX_LEN + 64];
	char laddr[ADDR_STRLEN], raddr[ADDR_STRLEN];
	char lname[HOST_NAME_MAX_LEN], rname[HOST_NAME_MAX_LEN];
};

/* A row's values; each format reads its own fields, so only those are
 * formatted (the table's "host:port" cells, or the data's addresses and
 * full names).  A table names the local host by its short name, and the
 * foreign one too unless -f (Windows netstat's -f). */
static void row_values(const struct socket_row *r,
		       const struct report_options *o,
		       const struct host_namer *h, struct row_text *t,
		       struct emit_value *v)
{
	static const char *const table_proto[2][2] = {{"UDP", "UDPv6"},
						      {"TCP", "TCPv6"}};
	static const char *const data_proto[2][2] = {{"udp", "udp6"},
						     {"tcp", "tcp6"}};
	bool tcp = r->k.proto == IPPROTO_TCP_;
	bool v6 = r->k.local.family == ADDR_V6;
	const char *pname = tcp ? "tcp" : "udp";

	t->local[0] = t->remote[0] = t->laddr[0] = t->raddr[0] = '\0';
	const char *lname = host_name(h, &r->k.local, t->lname, sizeof(t->lname));
	const char *rname = r->k.has_remote ? host_name(h, &r->k.remote, t->rname,
						      sizeof(t->rname))
					  : NULL;
	if (o->format == EMIT_TABLE) {
		host_endpoint_text(lname, false, &r->k.local, r->k.lport, pname, o,
				   t->local, sizeof(t->local));
		if (r->k.has_remote)
			host_endpoint_text(rname, o->fqdn, &r->k.remote, r->k.rport,
					   pname, o, t->remote,
					   sizeof(t->remote));
		else if (tcp) /* a listener, as Windows netstat shows it */
			snprintf(t->remote, sizeof(t->remote), "%s",
				 v6 ? "[::]:0" : "0.0.0.0:0");
		else
			snprintf(t->remote, sizeof(t->remote), "*:*");
	} else {
		addr_format(&r->k.local, t->laddr, sizeof(t->laddr));
		if (r->k.has_remote)
			addr_format(&r->k.remote, t->raddr, sizeof(t->raddr));
	}
	v[F_PROTO_T] = ev_str(table_proto[tcp][v6]);
	v[F_LOCAL_T] = ev_str(t->local);
	v[F_REMOTE_T] = ev_str(t->remote);
	v[F_STATE] = r->state == STATE_NONE ? ev_null()
					    : ev_str(tcp_state_names[r->state]);
	v[F_PROTO] = ev_str(data_proto[tcp][v6]);
	v[F_LOCAL_ADDR] = ev_str(t->laddr);
	v[F_LOCAL_PORT] = ev_int(r->k.lport);
	v[F_REMOTE_ADDR] = r->k.has_remote ? ev_str(t->raddr) : ev_null();
	v[F_REMOTE_PORT] = r->k.has_remote ? ev_int(r->k.rport) : ev_null();
	v[F_PARTIAL] = ev_bool(r->partial);
	v[F_VLAN] = r->k.vlan ? ev_int(r->k.vlan) : ev_null();
	v[F_INNER_VLAN] = r->k.inner_vlan ? ev_int(r->k.inner_vlan) : ev_null();
	v[F_TIME] = r->state_ms >= 0 ? ev_int(r->state_ms) : ev_null();
	v[F_LOCAL_NAME] = ev_str(lname);
	v[F_REMOTE_NAME] = ev_str(rname);
	if (o->pid || o->program) {
		struct rc_endpoint e = row_endpoint(r);
		report_owner_values(report_owner(o->kernel, &e), &v[F_PID],
				    &v[F_PROGRAM], o->format == EMIT_TABLE);
	}
}

struct rows_ctx {
	const struct rows *rs;
	const struct report_options *o;
	const struct host_namer *h;
	struct row_text t;
};

static bool rows_fill(void *ctx, size_t i, struct emit_value *v)
{
	struct rows_ctx *c = ctx;
	row_values(&c->rs->v[i], c->o, c->h, &c->t, v);
	return true;
}

static int emit_rows(FILE *out, const struct rows *rs,
		     const struct report_options *o,
		     const struct host_namer *h)
{
	struct emit_field fields[F_MAX];
	memcpy(fields, socket_fields, sizeof(fields));
	if (!o->time_in_state)
		fields[F_TIME].where = 0; /* -i adds the column */
	report_owner_fields(o, &fields[F_PID], &fields[F_PROGRAM]);
	struct emit *em = emit_begin(out, o->format, fields, F_MAX,
				     "Active Connections");
	struct rows_ctx c = {.rs = rs, .o = o, .h = h};
	if (!em)
		return -1;
	return emit_rows_end(em, rs->n, rows_fill, &c);
}

int report_sockets(FILE *out, struct engine *const *engines, size_t n,
		   const struct report_options *o)
{
	struct rows rs = {0};
	ws_time now = engines_now(engines, n);
	int ret = -1;
	for (size_t i = 0; i < n; i++) {
		engine_flush(engines[i]);
		if (collect_flows(&rs, engines[i], now, o) < 0 ||
		    collect_ports(&rs, engines[i], now, o) < 0)
			goto out_free;
	}
	if (rs.n)
		qsort(rs.v, rs.n, sizeof(*rs.v), row_cmp);
	dedupe(&rs);
	struct host_namer h;
	host_namer_init(&h, o, engines, n);
	ret = emit_rows(out, &rs, o, &h);
out_free:
	free(rs.v);
	return ret;
}

int report_wire_sockets(struct engine *const *engines, size_t n,
			struct rc_wire **out, size_t *nout)
{
	struct report_options every = {.all = true};
	struct rows rs = {0};
	ws_time now = engines_now(engines, n);
	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		engine_flush(engines[i]);
		if (collect_flows(&rs, engines[i], now, &every) < 0 ||
		    collect_ports(&rs, engines[i], now, &every) < 0) {
			free(rs.v);
			return -1;
		}
	}
	if (rs.n)
		qsort(rs.v, rs.n, sizeof(*rs.v), row_cmp);
	dedupe(&rs);
	struct rc_wire *w = calloc(rs.n ? rs.n : 1, sizeof(*w));
	if (!w) {
		free(rs.v);
		return -1;
	}
	for (size_t i = 0; i < rs.n; i++) {
		const struct socket_row *r = &rs.v[i];
		w[i].ep = row_endpoint(r);
		w[i].shows_remote = r->k.has_remote;
		w[i].state = r->state == STATE_NONE ? TCP_STATE_MAX : r->state;
		w[i].partial = r->partial;
		w[i].vlan = r->k.vlan;
		w[i].inner_vlan = r->k.inner_vlan;
	}
	free(rs.v);
	*out = w;
	*nout = rs.n;
	return 0;
}

/* compare.c - --compare: the wire's sockets of this host beside the
 * kernel's, one row per socket with its verdict (reconcile() decides it),
 * and --compare -s/-e: the wire's counters beside the kernel's deltas.
 */
#include "wirestat/report.h"

#include <stdio.h>
#include <string.h>

#include "wirestat/tcp.h"

#include "hosts.h"

enum { PROTO_TCP = 6 };

enum {
	C_PROTO_T, /* table cells */
	C_LOCAL_T,
	C_REMOTE_T,
	C_PROTO, /* data keys: the socket row's, in its order */
	C_LOCAL_ADDR,
	C_LOCAL_PORT,
	C_REMOTE_ADDR,
	C_REMOTE_PORT,
	C_STATE,
	C_PARTIAL,
	C_VLAN,
	C_INNER_VLAN,
	C_WIRE, /* then the comparison's */
	C_KERNEL,
	C_CONNTRACK,
	C_PID,
	C_PROGRAM,
	C_OWNER_T, /* the table's "PID/Program" */
	C_VERDICT_T,
	C_VERDICT,
	C_KERNEL_ONLY,
	C_MATCH,
	C_MAX
};

static const struct emit_field compare_fields[C_MAX] = {
	[C_PROTO_T] = {"", "Proto", EMIT_IN_TABLE, EMIT_LEFT, 5},
	[C_LOCAL_T] = {"", "Local Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[C_REMOTE_T] = {"", "Foreign Address", EMIT_IN_TABLE, EMIT_LEFT, 21},
	[C_PROTO] = {"proto", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_LOCAL_ADDR] = {"local_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_LOCAL_PORT] = {"local_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_REMOTE_ADDR] = {"remote_addr", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_REMOTE_PORT] = {"remote_port", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_STATE] = {"state", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_PARTIAL] = {"partial", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_VLAN] = {"vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_INNER_VLAN] = {"inner_vlan", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_WIRE] = {"wire_state", "Wire State", EMIT_IN_ALL, EMIT_LEFT, 0},
	[C_KERNEL] = {"kernel_state", "Kernel State", EMIT_IN_ALL, EMIT_LEFT,
		      0},
	[C_CONNTRACK] = {"conntrack_state", "Conntrack", EMIT_IN_ALL,
			 EMIT_LEFT, 0},
	[C_PID] = {"pid", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_PROGRAM] = {"program", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_OWNER_T] = {"", "PID/Program", EMIT_IN_TABLE, EMIT_LEFT, 0},
	[C_VERDICT_T] = {"", "Verdict", EMIT_IN_TABLE, EMIT_LEFT, 0},
	[C_VERDICT] = {"verdict", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_KERNEL_ONLY] = {"kernel_only", "", EMIT_IN_DATA, EMIT_LEFT, 0},
	[C_MATCH] = {"match", "", EMIT_IN_DATA, EMIT_LEFT, 0},
};

struct compare_text {
	char local[ADDR_STRLEN + 64], remote[ADDR_STRLEN + 64];
	char laddr[ADDR_STRLEN], raddr[ADDR_STRLEN];
	char owner[KERNEL_COMM_LEN + 24];
};

/* A side's state: the TCP state's name, "UDP" for a UDP socket, null
 * ("-" in tables) when that side has no such socket. */
static struct emit_value side_state(bool has, uint8_t proto, uint8_t state,
				    bool table)
{
	if (!has)
		return table ? ev_str("-") : ev_null();
	if (proto != PROTO_TCP)
		return ev_str("UDP");
	return ev_str(state < TCP_STATE_MAX ? tcp_state_names[state] : "?");
}

static void compare_values(const struct rc_row *r, const struct rc_kernel *k,
			   const struct report_options *o,
			   struct compare_text *t, struct emit_value *v)
{
	static const char *const table_proto[2][2] = {{"UDP", "UDPv6"},
						      {"TCP", "TCPv6"}};
	static const char *const data_proto[2][2] = {{"udp", "udp6"},
						     {"tcp", "tcp6"}};
	const struct rc_key *key = &r->key;
	bool tcp = key->proto == PROTO_TCP, v6 = key->local.family == ADDR_V6;
	bool table = o->format == EMIT_TABLE;
	const char *pname = tcp ? "tcp" : "udp";
	bool in_kernel = r->ksock != NULL;
	uint8_t kstate = in_kernel ? r->ksock->state : TCP_STATE_MAX;

	(void)k;
	t->local[0] = t->remote[0] = t->laddr[0] = t->raddr[0] = '\0';
	if (table) {
		host_endpoint_text(NULL, false, &key->local, key->lport, pname,
				   o, t->local, sizeof(t->local));
		if (key->has_remote)
			host_endpoint_text(NULL, false, &key->remote,
					   key->rport, pname, o, t->remote,
					   sizeof(t->remote));
		else
			snprintf(t->remote, sizeof(t->remote), "%s",
				 tcp ? (v6 ? "[::]:0" : "0.0.0.0:0") : "*:*");
	} else {
		addr_format(&key->local, t->laddr, sizeof(t->laddr));
		if (key->has_remote)
			addr_format(&key->remote, t->raddr, sizeof(t->raddr));
	}
	v[C_PROTO_T] = ev_str(table_proto[tcp][v6]);
	v[C_LOCAL_T] = ev_str(t->local);
	v[C_REMOTE_T] = ev_str(t->remote);
	v[C_PROTO] = ev_str(data_proto[tcp][v6]);
	v[C_LOCAL_ADDR] = ev_str(t->laddr);
	v[C_LOCAL_PORT] = ev_int(key->lport);
	v[C_REMOTE_ADDR] = key->has_remote ? ev_str(t->raddr) : ev_null();
	v[C_REMOTE_PORT] = key->has_remote ? ev_int(key->rport) : ev_null();
	uint8_t shown = r->on_wire ? r->wire_state : kstate;
	v[C_STATE] = tcp && shown < TCP_STATE_MAX
			     ? ev_str(tcp_state_names[shown])
			     : ev_null();
	v[C_PARTIAL] = ev_bool(r->partial);
	v[C_VLAN] = key->vlan ? ev_int(key->vlan) : ev_null();
	v[C_INNER_VLAN] = key->inner_vlan ? ev_int(key->inner_vlan)
					  : ev_null();
	v[C_WIRE] = side_state(r->on_wire, key->proto, r->wire_state, table);
	v[C_KERNEL] = side_state(in_kernel, key->proto, kstate, table);
	v[C_CONNTRACK] = r->ct ? ev_str(rc_ct_state(r->ct))
			 : table ? ev_str("-")
				 : ev_null();
	report_owner_values(r->owner, &v[C_PID], &v[C_PROGRAM], table);
	if (r->owner)
		snprintf(t->owner, sizeof(t->owner), "%d/%s", (int)r->owner->pid,
			 r->owner->comm[0] ? r->owner->comm : "-");
	else
		snprintf(t->owner, sizeof(t->owner), "-");
	v[C_OWNER_T] = ev_str(t->owner);
	v[C_VERDICT_T] = ev_str(rc_verdict_text[r->verdict]);
	v[C_VERDICT] = ev_str(rc_verdict_json[r->verdict]);
	v[C_KERNEL_ONLY] = r->verdict == RC_KERNEL_ONLY_IDLE ? ev_str("idle")
			   : r->verdict == RC_KERNEL_ONLY_NEVER
				   ? ev_str("never_seen")
				   : ev_null();
	v[C_MATCH] = r->on_wire && r->ksock && r->how != RC_NOT_FOUND
			     ? ev_str(rc_how_names[r->how])
			     : ev_null();
}

static bool selected(const struct rc_row *r, const struct report_options *o)
{
	struct report_options every = *o;
	every.all = true; /* listeners and UDP sockets are compared too */
	uint8_t st = r->on_wire ? r->wire_state
		     : r->ksock ? r->ksock->state
				: TCP_STATE_MAX;
	return report_key_selected(&r->key, st, &every);
}

struct compare_ctx {
	const struct rc_result *res;
	const struct rc_kernel *k;
	const struct report_options *o;
	struct compare_text t;
};

static bool compare_fill(void *ctx, size_t i, struct emit_value *v)
{
	struct compare_ctx *c = ctx;
	if (!selected(&c->res->rows[i], c->o))
		return false;
	compare_values(&c->res->rows[i], c->k, c->o, &c->t, v);
	return true;
}

int report_compare(FILE *out, const struct rc_result *res,
		   const struct rc_kernel *k, const struct report_options *o)
{
	struct emit *em = emit_begin(out, o->format, compare_fields, C_MAX,
				     "Wire vs Kernel");
	struct compare_ctx c = {.res = res, .k = k, .o = o};
	if (!em)
		return -1;
	return emit_rows_end(em, res->n, compare_fill, &c);
}

/* ---- counters ---- */

enum {
	K_GROUP,
	K_KEY,
	K_KERNEL_NAME,
	K_WIRE,
	K_KERNEL,
	K_DIFF,
	K_GAUGE,
	K_MAX
};

static const struct emit_field counter_fields[K_MAX] = {
	[K_GROUP] = {"group", "Group", EMIT_IN_ALL, EMIT_LEFT, 0},
	[K_KEY] = {"key", "Counter", EMIT_IN_ALL, EMIT_LEFT, 0},
	[K_KERNEL_NAME] = {"kernel_counter", "Kernel Counter", EMIT_IN_ALL,
			   EMIT_LEFT, 0},
	[K_WIRE] = {"wire", "Wire", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[K_KERNEL] = {"kernel", "Kernel", EMIT_IN_ALL, EMIT_RIGHT, 0},
	[K_DIFF] = {"difference", "Kernel - Wire", EMIT_IN_ALL, EMIT_RIGHT,
		    0},
	[K_GAUGE] = {"gauge", "", EMIT_IN_DATA, EMIT_LEFT, 0},
};

static void counter_values(const struct rc_counter_row *r, bool table,
			   char *kname, size_t size, struct emit_value *v)
{
	const struct emit_value unknown = table ? ev_str("n/a") : ev_null();
	if (r->name[0])
		snprintf(kname, size, "%s%s%s", r->section,
			 r->section[0] ? "." : "", r->name);
	else
		snprintf(kname, size, "-");
	v[K_GROUP] = ev_str(r->group);
	v[K_KEY] = ev_str(r->key);
	v[K_KERNEL_NAME] = r->name[0] ? ev_str(kname) : unknown;
	v[K_WIRE] = r->wire_known ? ev_int((int64_t)r->wire) : unknown;
	v[K_KERNEL] = r->kernel_known ? ev_int(r->kernel) : unknown;
	v[K_DIFF] = r->wire_known && r->kernel_known
			    ? ev_int(r->kernel - (int64_t)r->wire)
			    : unknown;
	v[K_GAUGE] = ev_bool(r->gauge);
}

struct counters_ctx {
	const struct rc_counter_row *rows;
	bool table;
	char kname[KERNEL_SECTION_LEN + KERNEL_COUNTER_LEN + 2];
};

static bool counters_fill(void *ctx, size_t i, struct emit_value *v)
{
	struct counters_ctx *c = ctx;
	counter_values(&c->rows[i], c->table, c->kname, sizeof(c->kname), v);
	return true;
}

int report_compare_counters(FILE *out, const struct rc_counter_row *rows,
			    size_t n, const char *title,
			    const struct report_options *o)
{
	struct emit *em = emit_begin(out, o->format, counter_fields, K_MAX,
				     title);
	struct counters_ctx c = {.rows = rows,
				 .table = o->format == EMIT_TABLE};
	if (!em)
		return -1;
	return emit_rows_end(em, n, counters_fill, &c);
}

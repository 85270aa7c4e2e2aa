/* stats.c - netstat -s: the statistics sections.
 *
 * wirestat's own section accounts for every packet the capture delivered:
 * each ends in exactly one decode reason, and the reasons of the five
 * classes (decoded, not IP, fragment, truncated, malformed) add up to the
 * packets delivered.  The flow-table and TCP-tracking sections say what
 * became of the decoded ones.
 */
#include <stddef.h>
#include <string.h>

#include "wirestat/flow.h"
#include "wirestat/ipfix.h"
#include "wirestat/nexthop.h"
#include "wirestat/ports.h"
#include "wirestat/report.h"
#include "wirestat/tcp.h"

enum { MAX_LINES = 128 }; /* wirestat Statistics: ~30 + 64 workers */

struct group_buf {
	struct counter_line lines[MAX_LINES];
	size_t n;
};

static void add(struct group_buf *b, const char *key, const char *label,
		uint8_t indent, enum counter_table table, uint64_t value)
{
	if (b->n == MAX_LINES)
		return;
	b->lines[b->n++] = (struct counter_line){
		.key = key,
		.label = label,
		.indent = indent,
		.known = true,
		.table = (uint8_t)table,
		.value = value,
	};
}

static const char *const class_labels[DECODE_CLASS_MAX] = {
	[DECODE_CLASS_OK] = "Decoded",
	[DECODE_CLASS_NOT_IP] = "Not IP",
	[DECODE_CLASS_FRAGMENT] = "Non-first Fragments",
	[DECODE_CLASS_TRUNCATED] = "Truncated by Snaplen",
	[DECODE_CLASS_MALFORMED] = "Malformed",
};

static void packets_group(struct group_buf *b, const struct stats *s)
{
	add(b, "packets", "Packets Delivered", 0, COUNTER_SHOW, s->packets);
	add(b, "bytes", "Bytes Delivered", 0, COUNTER_SHOW, s->bytes);
	for (int c = 0; c < DECODE_CLASS_MAX; c++) {
		int nreasons = 0;
		for (int r = 0; r < DR_MAX; r++)
			nreasons += decode_reason_class[r] == c;
		add(b, decode_class_names[c], class_labels[c], 1, COUNTER_SHOW,
		    stats_decode_class(s, (enum decode_class)c));
		for (int r = 0; r < DR_MAX; r++) {
			if (decode_reason_class[r] != c ||
			    strcmp(decode_reason_names[r], decode_class_names[c]) == 0)
				continue; /* "not_ip" is both */
			/* a class of one reason is its own table line */
			add(b, decode_reason_names[r], NULL, 2,
			    nreasons > 1 ? COUNTER_HIDE_ZERO : COUNTER_DATA_ONLY,
			    s->decode[r]);
		}
	}
	add(b, "out_of_time_order", "Packets Out Of Time Order", 0, COUNTER_SHOW,
	    s->ts_backwards);
	add(b, "filtered", "Packets Filtered Out (-F)", 0, COUNTER_SHOW,
	    s->filtered);
	add(b, "kernel_received", "Packets Received by the Kernel", 0,
	    COUNTER_SHOW, s->kernel_received);
	b->lines[b->n - 1].known = s->drops_known;
	b->lines[b->n - 1].why_unknown = "live capture only";
	add(b, "kernel_dropped", "Dropped by the Kernel", 0, COUNTER_SHOW,
	    s->kernel_dropped);
	b->lines[b->n - 1].known = s->drops_known;
	b->lines[b->n - 1].why_unknown = "live capture only";
	add(b, "interface_dropped", "Dropped by the Interface", 0,
	    COUNTER_SHOW, s->if_dropped);
	b->lines[b->n - 1].known = s->drops_known;
	b->lines[b->n - 1].why_unknown = "live capture only";
}

/* --workers: what each worker read, to see the kernel's balance (a few
 * connections carrying most packets load one worker). */
static void workers_lines(struct group_buf *b, struct engine *const *engines,
			  size_t n)
{
	static char keys[64][24], labels[64][40];
	for (size_t k = 0; k < n && k < 64; k++) {
		snprintf(keys[k], sizeof(keys[k]), "worker_%zu_packets", k + 1);
		snprintf(labels[k], sizeof(labels[k]),
			 "Packets Read by Worker %zu", k + 1);
		add(b, keys[k], labels[k], 0, COUNTER_SHOW,
		    engines[k]->stats.packets);
	}
}

/* The flow and port tables, summed over the workers (each has its own:
 * the peak is the sum of theirs). */
static void flows_group(struct group_buf *b, struct engine *const *engines,
			size_t n)
{
	uint64_t fc[FC_MAX] = {0}, pc[PC_MAX] = {0};
	uint64_t count = 0, peak = 0, cap = 0, pcount = 0, pcap = 0;
	for (size_t k = 0; k < n; k++) {
		const struct engine *e = engines[k];
		for (int i = 0; i < FC_MAX; i++)
			fc[i] += flow_counters(e->flows)[i];
		for (int i = 0; i < PC_MAX; i++)
			pc[i] += ports_counters(e->ports)[i];
		count += flow_count(e->flows);
		peak += flow_peak(e->flows);
		cap += flow_capacity(e->flows);
		pcount += ports_count(e->ports);
		pcap += ports_capacity(e->ports);
	}
	add(b, "flows_tracked", "Flows Tracked", 0, COUNTER_SHOW, count);
	add(b, "flows_peak", "Flows Tracked at Peak", 0, COUNTER_SHOW, peak);
	add(b, "flows_cap", "Flow Cap (--max-flows)", 0, COUNTER_SHOW, cap);
	for (int i = 0; i < FC_MAX; i++)
		add(b, flow_counter_names[i], NULL, 0, COUNTER_SHOW, fc[i]);
	add(b, "ports_tracked", "Ports Tracked", 0, COUNTER_SHOW, pcount);
	add(b, "ports_cap", "Port Cap", 0, COUNTER_SHOW, pcap);
	for (int i = 0; i < PC_MAX; i++)
		add(b, port_counter_names[i], NULL, 0, COUNTER_SHOW, pc[i]);
}

/* The passive name caches (summed over the workers), the DNS messages
 * they read by verdict (each class, then its reasons: zero reasons are
 * left out of the table, never out of JSON and CSV), and with
 * --resolve=active the resolver's lookups. */
static void names_group(struct group_buf *b, struct engine *const *engines,
			size_t n, struct resolver *res)
{
	static const struct {
		const char *key, *label;
	} classes[DNS_CLASS_MAX] = {
		[DNS_CLASS_USED] = {"dns_used", "Used"},
		[DNS_CLASS_IGNORED] = {"dns_ignored", "Ignored (not an answer)"},
		[DNS_CLASS_TRUNCATED] = {"dns_truncated",
					 "Truncated (used up to the cut)"},
		[DNS_CLASS_MALFORMED] = {"dns_malformed", "Malformed (unused)"},
	};
	static const char *const resolve_labels[RSV_MAX] = {
		[RSV_QUEUED] = "Reverse Lookups Queued",
		[RSV_FOUND] = "Answered with a Name",
		[RSV_NOT_FOUND] = "Answered: No Name",
		[RSV_FAILED] = "Answered: Failure",
		[RSV_TIMED_OUT] = "Given Up (timeout)",
		[RSV_LATE] = "Answered After the Timeout",
		[RSV_DROPPED] = "Not Queued (queue full)",
		[RSV_EVICTED] = "Evicted (cache full)",
	};
	uint64_t nc[NC_MAX] = {0}, dc[DNS_R_MAX] = {0}, count = 0, cap = 0;
	uint64_t total = 0;
	for (size_t k = 0; k < n; k++) {
		const struct names *c = engines[k]->names;
		for (int i = 0; i < NC_MAX; i++)
			nc[i] += names_counters(c)[i];
		for (int i = 0; i < DNS_R_MAX; i++)
			dc[i] += names_dns_counters(c)[i];
		count += names_count(c);
		cap += names_capacity(c);
	}
	add(b, "names_cached", "Names Cached", 0, COUNTER_SHOW, count);
	add(b, "names_cap", "Name Cap (--max-names)", 0, COUNTER_SHOW, cap);
	for (int i = 0; i < NC_MAX; i++)
		add(b, names_counter_names[i], NULL, 0, COUNTER_SHOW, nc[i]);
	for (int i = 0; i < DNS_R_MAX; i++)
		total += dc[i];
	add(b, "dns_messages", "DNS Messages Read", 0, COUNTER_SHOW, total);
	for (int c = 0; c < DNS_CLASS_MAX; c++) {
		uint64_t sum = 0;
		int nreasons = 0;
		for (int r = 0; r < DNS_R_MAX; r++)
			if (dns_reason_class[r] == c) {
				sum += dc[r];
				nreasons++;
			}
		add(b, classes[c].key, classes[c].label, 1, COUNTER_SHOW, sum);
		for (int r = 0; r < DNS_R_MAX; r++)
			if (dns_reason_class[r] == c)
				add(b, dns_reason_names[r], NULL, 2,
				    nreasons > 1 ? COUNTER_HIDE_ZERO
						 : COUNTER_DATA_ONLY,
				    dc[r]);
	}
	if (!res)
		return;
	uint64_t rc[RSV_MAX];
	resolver_counters(res, rc);
	add(b, "resolve_cached", "Reverse Lookup Answers Cached", 0,
	    COUNTER_SHOW, resolver_count(res));
	add(b, "resolve_cap", "Reverse Lookup Cache Cap", 0, COUNTER_SHOW,
	    resolver_capacity(res));
	for (int i = 0; i < RSV_MAX; i++)
		add(b, resolver_counter_names[i], resolve_labels[i], 0,
		    COUNTER_SHOW, rc[i]);
}

static void tracking_group(struct group_buf *b, const struct stats *s)
{
	for (int i = 0; i < TR_MAX; i++)
		add(b, tcp_reason_names[i], NULL, 0, COUNTER_SHOW,
		    s->tcp[i]);
}

/* -r's table of (address, MAC) pairs, summed over the workers. */
static void nexthops_group(struct group_buf *b, struct engine *const *engines,
			   size_t n)
{
	uint64_t c[NHC_MAX] = {0}, count = 0, cap = 0;
	for (size_t k = 0; k < n; k++) {
		const struct nexthop_table *t = engines[k]->nexthops;
		if (!t)
			continue;
		for (int i = 0; i < NHC_MAX; i++)
			c[i] += nexthop_counters(t)[i];
		count += nexthop_count(t);
		cap += nexthop_capacity(t);
	}
	add(b, "next_hop_pairs_tracked", "Address-MAC Pairs Tracked", 0,
	    COUNTER_SHOW, count);
	add(b, "next_hop_pairs_cap", "Address-MAC Pair Cap", 0, COUNTER_SHOW,
	    cap);
	for (int i = 0; i < NHC_MAX; i++)
		add(b, nexthop_counter_names[i], NULL, 0, COUNTER_SHOW, c[i]);
}

/* A counter the wire cannot show: "n/a" in the table, null in data. */
static void unknown(struct group_buf *b, const char *key, const char *label)
{
	add(b, key, label, 0, COUNTER_SHOW, 0);
	b->lines[b->n - 1].known = false;
}

/* A two-column line (Received, Sent); a NULL key means "not visible". */
static void add2(struct group_buf *b, const char *rkey, const char *skey,
		 const char *label, const uint64_t v[STATS_DIRS])
{
	add(b, rkey, label, 0, COUNTER_SHOW, v[STATS_RX]);
	struct counter_line *l = &b->lines[b->n - 1];
	l->key2 = skey;
	l->value2 = v[STATS_TX];
	l->known2 = true;
}

/* MIB-II ipXxx as Windows netstat labels them, keyed by Linux's
 * /proc/net/snmp (Ip:) and /proc/net/snmp6 (Ip6...) names. */
static void ip_group(struct group_buf *b, const struct ip_stats *ip, bool v6)
{
	const char *p = v6 ? "Ip6" : "";
	static char keys[2][17][32];
	static const char *const names[17] = {
		"InReceives",	"InHdrErrors",	"InAddrErrors",	 "ForwDatagrams",
		"InUnknownProtos", "InDiscards", "InDelivers",	 "OutRequests",
		"RoutingDiscards", "OutDiscards", "OutNoRoutes", "ReasmReqds",
		"ReasmOKs",	"ReasmFails",	"FragOKs",	 "FragFails",
		"FragCreates"};
	for (int i = 0; i < 17; i++)
		snprintf(keys[v6][i], sizeof(keys[v6][i]), "%s%s", p,
			 v6 && i == 3 ? "OutForwDatagrams" : names[i]);
	uint64_t rx = ip->packets[STATS_RX];
	uint64_t bad = ip->header_errors[STATS_RX] +
		       ip->unknown_protos[STATS_RX] + ip->truncated[STATS_RX];
	add(b, keys[v6][0], "Packets Received", 0, COUNTER_SHOW, rx);
	add(b, keys[v6][1], "Received Header Errors", 0, COUNTER_SHOW,
	    ip->header_errors[STATS_RX]);
	unknown(b, keys[v6][2], "Received Address Errors");
	unknown(b, keys[v6][3], "Datagrams Forwarded");
	add(b, keys[v6][4], "Unknown Protocols Received", 0, COUNTER_SHOW,
	    ip->unknown_protos[STATS_RX]);
	unknown(b, keys[v6][5], "Received Packets Discarded");
	add(b, keys[v6][6], "Received Packets Delivered", 0, COUNTER_SHOW,
	    rx > bad ? rx - bad : 0);
	add(b, keys[v6][7], "Output Requests", 0, COUNTER_SHOW,
	    ip->packets[STATS_TX]);
	unknown(b, keys[v6][8], "Routing Discards");
	unknown(b, keys[v6][9], "Discarded Output Packets");
	unknown(b, keys[v6][10], "Output Packet No Route");
	add(b, keys[v6][11], "Reassembly Required", 0, COUNTER_SHOW,
	    ip->fragments[STATS_RX]);
	unknown(b, keys[v6][12], "Reassembly Successful");
	unknown(b, keys[v6][13], "Reassembly Failures");
	add(b, keys[v6][14], "Datagrams Successfully Fragmented", 0,
	    COUNTER_SHOW, ip->fragmented[STATS_TX]);
	unknown(b, keys[v6][15], "Datagrams Failing Fragmentation");
	add(b, keys[v6][16], "Fragments Created", 0, COUNTER_SHOW,
	    ip->fragments[STATS_TX]);
	add(b, v6 ? "Ip6InTruncatedPkts" : "InTruncatedPkts",
	    "Received Truncated by Snaplen", 0, COUNTER_DATA_ONLY,
	    ip->truncated[STATS_RX]);
}

struct icmp_row {
	const char *label;
	const char *in, *out; /* Linux keys (ICMPv6: after "Icmp6") */
	int type;	      /* -1: the message and error totals */
	int type2;	      /* a second type counted on the same line */
};

static void icmp_group(struct group_buf *b, const struct icmp_stats *ic,
		       bool v6)
{
	static const struct icmp_row v4[] = {
		{"Destination Unreachable", "InDestUnreachs", "OutDestUnreachs", 3, -1},
		{"Time Exceeded", "InTimeExcds", "OutTimeExcds", 11, -1},
		{"Parameter Problems", "InParmProbs", "OutParmProbs", 12, -1},
		{"Source Quenches", "InSrcQuenchs", "OutSrcQuenchs", 4, -1},
		{"Redirects", "InRedirects", "OutRedirects", 5, -1},
		{"Echo Replies", "InEchoReps", "OutEchoReps", 0, -1},
		{"Echos", "InEchos", "OutEchos", 8, -1},
		{"Timestamps", "InTimestamps", "OutTimestamps", 13, -1},
		{"Timestamp Replies", "InTimestampReps", "OutTimestampReps", 14, -1},
		{"Address Masks", "InAddrMasks", "OutAddrMasks", 17, -1},
		{"Address Mask Replies", "InAddrMaskReps", "OutAddrMaskReps", 18, -1},
		{"Router Solicitations", "InType10", "OutType10", 10, -1},
		{"Router Advertisements", "InType9", "OutType9", 9, -1},
	};
	static const struct icmp_row six[] = {
		{"Destination Unreachable", "Icmp6InDestUnreachs", "Icmp6OutDestUnreachs", 1, -1},
		{"Packet Too Big", "Icmp6InPktTooBigs", "Icmp6OutPktTooBigs", 2, -1},
		{"Time Exceeded", "Icmp6InTimeExcds", "Icmp6OutTimeExcds", 3, -1},
		{"Parameter Problems", "Icmp6InParmProblems", "Icmp6OutParmProblems", 4, -1},
		{"Echos", "Icmp6InEchos", "Icmp6OutEchos", 128, -1},
		{"Echo Replies", "Icmp6InEchoReplies", "Icmp6OutEchoReplies", 129, -1},
		{"MLD Queries", "Icmp6InGroupMembQueries", "Icmp6OutGroupMembQueries", 130, -1},
		{"MLD Reports", "Icmp6InGroupMembResponses", "Icmp6OutGroupMembResponses", 131, 143},
		{"MLD Dones", "Icmp6InGroupMembReductions", "Icmp6OutGroupMembReductions", 132, -1},
		{"Router Solicitations", "Icmp6InRouterSolicits", "Icmp6OutRouterSolicits", 133, -1},
		{"Router Advertisements", "Icmp6InRouterAdvertisements", "Icmp6OutRouterAdvertisements", 134, -1},
		{"Neighbor Solicitations", "Icmp6InNeighborSolicits", "Icmp6OutNeighborSolicits", 135, -1},
		{"Neighbor Advertisements", "Icmp6InNeighborAdvertisements", "Icmp6OutNeighborAdvertisements", 136, -1},
		{"Redirects", "Icmp6InRedirects", "Icmp6OutRedirects", 137, -1},
		{"Router Renumberings", "Icmp6InRouterRenumberings", "Icmp6OutRouterRenumberings", 138, -1},
	};
	const struct icmp_row *rows = v6 ? six : v4;
	size_t n = v6 ? WS_ARRAY_SIZE(six) : WS_ARRAY_SIZE(v4);
	add2(b, v6 ? "Icmp6InMsgs" : "InMsgs", v6 ? "Icmp6OutMsgs" : "OutMsgs",
	     "Messages", ic->msgs);
	add2(b, v6 ? "Icmp6InErrors" : "InErrors",
	     v6 ? "Icmp6OutErrors" : "OutErrors", "Errors", ic->errors);
	for (size_t i = 0; i < n; i++) {
		uint64_t v[STATS_DIRS];
		for (int d = 0; d < STATS_DIRS; d++)
			v[d] = ic->type[rows[i].type][d] +
			       (rows[i].type2 >= 0 ? ic->type[rows[i].type2][d]
						   : 0);
		add2(b, rows[i].in, rows[i].out, rows[i].label, v);
	}
}

/* Linux's Tcp: MIB names (shared by IPv4 and IPv6 in /proc/net/snmp). */
static void tcp_group(struct group_buf *b, const struct tcp_stats *t,
		      uint64_t curr_estab)
{
	add(b, "ActiveOpens", "Active Opens", 0, COUNTER_SHOW, t->active_opens);
	add(b, "PassiveOpens", "Passive Opens", 0, COUNTER_SHOW,
	    t->passive_opens);
	add(b, "AttemptFails", "Failed Connection Attempts", 0, COUNTER_SHOW,
	    t->attempt_fails);
	add(b, "EstabResets", "Reset Connections", 0, COUNTER_SHOW,
	    t->estab_resets);
	add(b, "CurrEstab", "Current Connections", 0, COUNTER_SHOW, curr_estab);
	add(b, "InSegs", "Segments Received", 0, COUNTER_SHOW,
	    t->segs[STATS_RX]);
	add(b, "OutSegs", "Segments Sent", 0, COUNTER_SHOW, t->segs[STATS_TX]);
	add(b, "RetransSegs", "Segments Retransmitted", 0, COUNTER_SHOW,
	    t->retrans);
	add(b, "InErrs", "Received Malformed Segments", 0, COUNTER_DATA_ONLY,
	    t->errors);
	add(b, "OutRsts", "Resets Sent", 0, COUNTER_DATA_ONLY,
	    t->rsts[STATS_TX]);
}

static void udp_group(struct group_buf *b, const struct udp_stats *u, bool v6)
{
	uint64_t rx = u->dgrams[STATS_RX];
	add(b, v6 ? "Udp6InDatagrams" : "InDatagrams", "Datagrams Received", 0,
	    COUNTER_SHOW, rx > u->no_ports ? rx - u->no_ports : 0);
	add(b, v6 ? "Udp6NoPorts" : "NoPorts", "No Ports", 0, COUNTER_SHOW,
	    u->no_ports);
	add(b, v6 ? "Udp6InErrors" : "InErrors", "Receive Errors", 0,
	    COUNTER_SHOW, u->errors);
	add(b, v6 ? "Udp6OutDatagrams" : "OutDatagrams", "Datagrams Sent", 0,
	    COUNTER_SHOW, u->dgrams[STATS_TX]);
}

/* CurrEstab: the chosen hosts' sockets in ESTABLISHED or CLOSE_WAIT at
 * the report time (RFC 1213 tcpCurrEstab). */
static void curr_estab(struct engine *e, ws_time now,
		       const struct report_options *o, uint64_t out[2])
{
	for (struct flow *f = flow_first(e->flows); f; f = flow_next(f)) {
		if (f->key.proto != 6 || !(f->u.tcp.flags & TCPC_STARTED))
			continue;
		for (int side = 0; side < 2; side++) {
			enum tcp_state st = tcp_state_at(&f->u.tcp.ep[side], now);
			if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT)
				continue;
			struct addr a;
			uint16_t port;
			flow_endpoint(f, side, &a, &port);
			bool mine = o->nhosts == 0;
			for (size_t i = 0; i < o->nhosts && !mine; i++)
				mine = addr_prefix_match(&o->hosts[i], &a);
			out[a.family == ADDR_V6] += mine;
		}
	}
}

enum {
	G_IP, G_IP6, G_ICMP, G_ICMP6, G_TCP, G_TCP6, G_UDP, G_UDP6,
	G_WIRESTAT, G_FLOWS, G_TRACKING, G_NAMES, G_IPFIX, G_NEXTHOPS, G_MAX
};

ws_time engines_now(struct engine *const *engines, size_t n)
{
	ws_time now = 0;
	for (size_t i = 0; i < n; i++)
		if (engines[i]->now > now)
			now = engines[i]->now;
	return now;
}

/* The workers' counters as one (the capture's drops: the first's). */
static void sum_stats(struct engine *const *engines, size_t n,
		      struct stats *total)
{
	for (size_t i = 0; i < n; i++)
		engine_sync(engines[i]);
	*total = engines[0]->stats;
	for (size_t i = 1; i < n; i++)
		stats_add(total, &engines[i]->stats);
}

/* Every -s group's lines, into bufs[G_MAX] (static: the lines point
 * into them and into static key tables). */
static void stats_groups(struct engine *const *engines, size_t n,
			 const struct report_options *o, struct stats *total,
			 struct group_buf *bufs)
{
	const struct proto_stats *ps = &total->proto;
	uint64_t estab[2] = {0, 0};
	ws_time now = engines_now(engines, n);

	sum_stats(engines, n, total);
	memset(bufs, 0, G_MAX * sizeof(*bufs));
	for (size_t i = 0; i < n; i++)
		curr_estab(engines[i], now, o, estab);
	ip_group(&bufs[G_IP], &ps->ip[0], false);
	ip_group(&bufs[G_IP6], &ps->ip[1], true);
	icmp_group(&bufs[G_ICMP], &ps->icmp[0], false);
	icmp_group(&bufs[G_ICMP6], &ps->icmp[1], true);
	tcp_group(&bufs[G_TCP], &ps->tcp[0], estab[0]);
	tcp_group(&bufs[G_TCP6], &ps->tcp[1], estab[1]);
	udp_group(&bufs[G_UDP], &ps->udp[0], false);
	udp_group(&bufs[G_UDP6], &ps->udp[1], true);
	packets_group(&bufs[G_WIRESTAT], total);
	if (n > 1)
		workers_lines(&bufs[G_WIRESTAT], engines, n);
	flows_group(&bufs[G_FLOWS], engines, n);
	tracking_group(&bufs[G_TRACKING], total);
	names_group(&bufs[G_NAMES], engines, n,
		    o->resolve == REPORT_RESOLVE_ACTIVE ? o->resolver : NULL);
	for (int i = 0; o->ipfix_counters && i < IPFIX_COUNTER_MAX; i++)
		add(&bufs[G_IPFIX], ipfix_counter_keys[i],
		    ipfix_counter_labels[i], 0, COUNTER_SHOW,
		    o->ipfix_counters[i]);
	nexthops_group(&bufs[G_NEXTHOPS], engines, n);
}

int report_stats(FILE *out, struct engine *const *engines, size_t n,
		 const struct report_options *o)
{
	static struct stats total;
	static struct group_buf bufs[G_MAX];
	static const struct {
		const char *id, *title;
		unsigned proto; /* -p bit; 0: wirestat's own */
	} meta[G_MAX] = {
		[G_IP] = {"ip", "IPv4 Statistics", REPORT_IP},
		[G_IP6] = {"ipv6", "IPv6 Statistics", REPORT_IP6},
		[G_ICMP] = {"icmp", "ICMPv4 Statistics", REPORT_ICMP},
		[G_ICMP6] = {"icmpv6", "ICMPv6 Statistics", REPORT_ICMP6},
		[G_TCP] = {"tcp", "TCP Statistics for IPv4", REPORT_TCP},
		[G_TCP6] = {"tcpv6", "TCP Statistics for IPv6", REPORT_TCP6},
		[G_UDP] = {"udp", "UDP Statistics for IPv4", REPORT_UDP},
		[G_UDP6] = {"udpv6", "UDP Statistics for IPv6", REPORT_UDP6},
		[G_WIRESTAT] = {"wirestat", "wirestat Statistics", 0},
		[G_FLOWS] = {"wirestat_flows", "wirestat Flow Table", 0},
		[G_TRACKING] = {"wirestat_tcp", "wirestat TCP Tracking", 0},
		[G_NAMES] = {"wirestat_names", "wirestat Names", 0},
		[G_IPFIX] = {"wirestat_ipfix", "wirestat IPFIX Export", 0},
		[G_NEXTHOPS] = {"wirestat_next_hops", "wirestat Next Hops (-r)",
				0},
	};
	struct counter_group groups[G_MAX];
	size_t ng = 0;

	stats_groups(engines, n, o, &total, bufs);
	for (int g = 0; g < G_MAX; g++) {
		/* -p keeps the chosen protocols' sections only */
		if (o->protos && !(meta[g].proto & o->protos))
			continue;
		if ((g == G_IPFIX && !o->ipfix_counters) ||
		    (g == G_NEXTHOPS && !engines[0]->nexthops))
			continue;
		bool two = g == G_ICMP || g == G_ICMP6;
		groups[ng] = (struct counter_group){
			.id = meta[g].id,
			.title = meta[g].title,
			.lines = bufs[g].lines,
			.n = bufs[g].n,
			.col1 = two ? "Received" : NULL,
			.col2 = two ? "Sent" : NULL,
		};
		ng++;
	}
	return report_counter_groups(out, o->format, groups, ng);
}

/* One -e section: Windows netstat's rows, Received and Sent.  A file
 * records no capture drops, and only Linux cooked links say which frames
 * their host sent: those columns are n/a otherwise. */
static void link_group(struct group_buf *b, const struct link_stats *l,
		       bool sent_known)
{
	static const struct {
		const char *rx, *tx, *label;
		size_t off;
	} rows[] = {
		{"rx_bytes", "tx_bytes", "Bytes", offsetof(struct link_stats, bytes)},
		{"rx_unicast_packets", "tx_unicast_packets", "Unicast packets",
		 offsetof(struct link_stats, unicast)},
		{"rx_non_unicast_packets", "tx_non_unicast_packets",
		 "Non-unicast packets", offsetof(struct link_stats, nonunicast)},
		{"rx_errors", "tx_errors", "Errors", offsetof(struct link_stats, errors)},
		{"rx_unknown_protocols", "tx_unknown_protocols", "Unknown protocols",
		 offsetof(struct link_stats, unknown)},
	};
	for (size_t i = 0; i < WS_ARRAY_SIZE(rows); i++) {
		const uint64_t *v =
			(const uint64_t *)(const void *)((const char *)l + rows[i].off);
		add2(b, rows[i].rx, rows[i].tx, rows[i].label, v);
		b->lines[b->n - 1].known2 = sent_known;
		if (i == 2) { /* Windows puts Discards before Errors */
			uint64_t none[STATS_DIRS] = {0, 0};
			add2(b, "rx_discards", "tx_discards", "Discards", none);
			b->lines[b->n - 1].known = false;
			b->lines[b->n - 1].known2 = false;
		}
	}
}

static void link_sum(struct link_stats *to, const struct link_stats *from)
{
	for (int d = 0; d < STATS_DIRS; d++) {
		to->bytes[d] += from->bytes[d];
		to->unicast[d] += from->unicast[d];
		to->nonunicast[d] += from->nonunicast[d];
		to->errors[d] += from->errors[d];
		to->unknown[d] += from->unknown[d];
	}
	to->saw_direction |= from->saw_direction;
}

int report_interfaces(FILE *out, struct engine *const *engines, size_t ne,
		      const struct report_options *o, const char *const *names,
		      size_t nnames)
{
	static struct stats s_total;
	static struct group_buf bufs[STATS_MAX_LINKS + 1];
	static char titles[STATS_MAX_LINKS + 1][160];
	struct counter_group groups[STATS_MAX_LINKS + 1];
	struct link_stats total;
	const struct stats *s = &s_total;
	size_t n = 0;

	sum_stats(engines, ne, &s_total);
	memset(bufs, 0, sizeof(bufs));
	memset(&total, 0, sizeof(total));
	if (o->nhosts) {
		link_group(&bufs[0], &s->hosts, true);
		n = 1;
		groups[0] = (struct counter_group){
			.id = "interface", .title = "Interface Statistics",
			.lines = bufs[0].lines, .n = bufs[0].n,
			.col1 = "Received", .col2 = "Sent",
			.name_key = "interface", .name = "--host",
		};
		return report_counter_groups(out, o->format, groups, n);
	}
	for (unsigned i = 0; i < s->nlinks; i++) {
		const char *name = i < nnames ? names[i] : "?";
		if (i == STATS_MAX_LINKS - 1 && s->nlinks < nnames)
			name = "(the other inputs)";
		link_group(&bufs[n], &s->links[i], s->links[i].saw_direction);
		link_sum(&total, &s->links[i]);
		snprintf(titles[n], sizeof(titles[n]), "Interface Statistics: %s",
			 name);
		groups[n] = (struct counter_group){
			.id = "interface", .title = titles[n],
			.lines = bufs[n].lines, .n = bufs[n].n,
			.col1 = "Received", .col2 = "Sent",
			.name_key = "interface", .name = name,
		};
		n++;
	}
	if (s->nlinks != 1) {
		link_group(&bufs[n], &total, total.saw_direction);
		groups[n] = (struct counter_group){
			.id = "interface", .title = "Interface Statistics: all",
			.lines = bufs[n].lines, .n = bufs[n].n,
			.col1 = "Received", .col2 = "Sent",
			.name_key = "interface", .name = "all",
		};
		n++;
	}
	return report_counter_groups(out, o->format, groups, n);
}

size_t report_wire_counters(struct engine *const *engines, size_t n,
			    const struct report_options *o,
			    struct rc_wire_counter *out, size_t max)
{
	static const char *const ids[] = {"ip",	 "ipv6",  "icmp", "icmpv6",
					  "tcp", "tcpv6", "udp",  "udpv6"};
	static struct stats total;
	static struct group_buf bufs[G_MAX];
	size_t k = 0;
	stats_groups(engines, n, o, &total, bufs);
	for (int g = G_IP; g <= G_UDP6; g++) {
		for (size_t i = 0; i < bufs[g].n; i++) {
			const struct counter_line *l = &bufs[g].lines[i];
			if (k < max)
				out[k++] = (struct rc_wire_counter){
					ids[g], l->key, l->value, l->known};
			if (l->key2 && k < max)
				out[k++] = (struct rc_wire_counter){
					ids[g], l->key2, l->value2, l->known2};
		}
	}
	return k;
}

size_t report_wire_links(struct engine *const *engines, size_t n,
			 struct link_stats *links, size_t max)
{
	static struct stats total;
	sum_stats(engines, n, &total);
	size_t k = total.nlinks < max ? total.nlinks : max;
	memcpy(links, total.links, k * sizeof(*links));
	return k;
}

/* stats.c - netstat -s: the statistics sections.
 *
 * wirestat's own section accounts for every packet the capture delivered:
 * each ends in exactly one decode reason, and the reasons of the five
 * classes (decoded, not IP, fragment, truncated, malformed) add up to the
 * packets delivered.  The flow-table and TCP-tracking sections say what
 * became of the decoded ones.
 */
#include <string.h>

#include "wirestat/flow.h"
#include "wirestat/ports.h"
#include "wirestat/report.h"

enum { MAX_LINES = 64 };

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
}

static void flows_group(struct group_buf *b, struct engine *e)
{
	const uint64_t *fc = flow_counters(e->flows);
	const uint64_t *pc = ports_counters(e->ports);
	add(b, "flows_tracked", "Flows Tracked", 0, COUNTER_SHOW, flow_count(e->flows));
	add(b, "flows_peak", "Flows Tracked at Peak", 0, COUNTER_SHOW,
	    flow_peak(e->flows));
	add(b, "flows_cap", "Flow Cap (--max-flows)", 0, COUNTER_SHOW,
	    flow_capacity(e->flows));
	for (int i = 0; i < FC_MAX; i++)
		add(b, flow_counter_names[i], NULL, 0, COUNTER_SHOW,
		    fc[i]);
	add(b, "ports_tracked", "Ports Tracked", 0, COUNTER_SHOW,
	    ports_count(e->ports));
	add(b, "ports_cap", "Port Cap", 0, COUNTER_SHOW, ports_capacity(e->ports));
	for (int i = 0; i < PC_MAX; i++)
		add(b, port_counter_names[i], NULL, 0, COUNTER_SHOW,
		    pc[i]);
}

static void tcp_group(struct group_buf *b, const struct stats *s)
{
	for (int i = 0; i < TR_MAX; i++)
		add(b, tcp_reason_names[i], NULL, 0, COUNTER_SHOW,
		    s->tcp[i]);
}

int report_stats(FILE *out, struct engine *e, const struct report_options *o)
{
	static struct group_buf bufs[3];
	engine_flush(e);
	memset(bufs, 0, sizeof(bufs));
	packets_group(&bufs[0], &e->stats);
	flows_group(&bufs[1], e);
	tcp_group(&bufs[2], &e->stats);
	const struct counter_group groups[] = {
		{"wirestat", "wirestat Statistics", bufs[0].lines, bufs[0].n},
		{"wirestat_flows", "wirestat Flow Table", bufs[1].lines,
		 bufs[1].n},
		{"wirestat_tcp", "wirestat TCP Tracking", bufs[2].lines,
		 bufs[2].n},
	};
	return report_counter_groups(out, o->format, groups,
				     WS_ARRAY_SIZE(groups));
}

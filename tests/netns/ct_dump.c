/* ct_dump.c - conntrack-test.sh's window on src/kernel/conntrack.c.
 *
 *   ct_dump dump            the table, one entry a line (format below)
 *   ct_dump events SECONDS  "READY", then each event as "TYPE entry"
 *                           for SECONDS (poll() on the event fd)
 *   ct_dump unprivileged    as uid/gid 65534: the dump and the event
 *                           socket must both fail with "not permitted"
 *
 * Entry: l4proto osrc odst osport odport rsrc rdst rsport rdport
 * state=NAME|- assured=0|1 seen_reply=0|1 src_nat=0|1 dst_nat=0|1 mark=N
 * Exit status 0 on success, 1 on failure (the reason on stderr). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wirestat/kernel.h"

static void print_entry(const struct kernel_ct_entry *e)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN], d[ADDR_STRLEN];
	const char *state = "-";
	if (e->orig.l4proto == 6 && e->tcp_state < KCT_TCP_MAX)
		state = kernel_ct_tcp_state_names[e->tcp_state];
	printf("%u %s %s %u %u %s %s %u %u state=%s assured=%d seen_reply=%d "
	       "src_nat=%d dst_nat=%d mark=%u\n",
	       e->orig.l4proto, addr_format(&e->orig.src, a, sizeof(a)),
	       addr_format(&e->orig.dst, b, sizeof(b)), e->orig.sport,
	       e->orig.dport, addr_format(&e->reply.src, c, sizeof(c)),
	       addr_format(&e->reply.dst, d, sizeof(d)), e->reply.sport,
	       e->reply.dport, state, !!(e->status & KCT_ASSURED),
	       !!(e->status & KCT_SEEN_REPLY), !!(e->status & KCT_SRC_NAT),
	       !!(e->status & KCT_DST_NAT), e->mark);
}

static void on_event(enum kernel_ct_event type,
		     const struct kernel_ct_entry *e, void *arg)
{
	(void)arg;
	printf("%s ", kernel_ct_event_names[type]);
	print_entry(e);
}

static int dump(void)
{
	struct kernel_conntrack ct;
	char err[WS_ERRBUF_SIZE];
	kernel_conntrack_init(&ct, KERNEL_MAX_CONNTRACK);
	if (kernel_conntrack_dump(&ct, err) < 0) {
		fprintf(stderr, "ct_dump: %s\n", err);
		kernel_conntrack_free(&ct);
		return 1;
	}
	for (size_t i = 0; i < ct.n; i++)
		print_entry(&ct.v[i]);
	for (int r = 0; r < KR_MAX; r++)
		if (ct.counters[r] && r != KR_RECORDS)
			fprintf(stderr, "ct_dump: %s %llu\n",
				kernel_reason_names[r],
				(unsigned long long)ct.counters[r]);
	kernel_conntrack_free(&ct);
	return 0;
}

static int events(int seconds)
{
	char err[WS_ERRBUF_SIZE];
	struct kernel_ct_events *ev = kernel_ct_events_open(err);
	if (!ev) {
		fprintf(stderr, "ct_dump: %s\n", err);
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	time_t end = time(NULL) + seconds;
	int rc = 0;
	while (time(NULL) < end) {
		struct pollfd p = {.fd = kernel_ct_events_fd(ev),
				   .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		if (kernel_ct_events_read(ev, on_event, NULL, err) < 0) {
			fprintf(stderr, "ct_dump: %s\n", err);
			rc = 1;
			break;
		}
		fflush(stdout);
	}
	const uint64_t *c = kernel_ct_events_counters(ev);
	for (int r = 0; r < KR_MAX; r++)
		if (c[r])
			fprintf(stderr, "ct_dump: %s %llu\n",
				kernel_reason_names[r],
				(unsigned long long)c[r]);
	kernel_ct_events_close(ev);
	return rc;
}

static int unprivileged(void)
{
	struct kernel_conntrack ct;
	char err[WS_ERRBUF_SIZE] = "";
	if (setgid(65534) != 0 || setuid(65534) != 0) {
		perror("ct_dump: setuid");
		return 1;
	}
	kernel_conntrack_init(&ct, 10);
	int rc = kernel_conntrack_dump(&ct, err);
	kernel_conntrack_free(&ct);
	printf("dump: %d %s\n", rc, err);
	if (rc != -1 || !strstr(err, "not permitted"))
		return 1;
	err[0] = '\0';
	struct kernel_ct_events *ev = kernel_ct_events_open(err);
	printf("events: %s %s\n", ev ? "opened" : "refused", err);
	if (ev) {
		kernel_ct_events_close(ev);
		return 1;
	}
	return strstr(err, "not permitted") ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "dump") == 0)
		return dump();
	if (argc == 3 && strcmp(argv[1], "events") == 0)
		return events(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "unprivileged") == 0)
		return unprivileged();
	fprintf(stderr,
		"usage: ct_dump dump | events SECONDS | unprivileged\n");
	return 2;
}

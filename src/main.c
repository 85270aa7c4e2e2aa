/* main.c - wirestat: netstat from the wire.  Parses options and wires the
 * stages together: capture -> engine -> report, once at the end of the
 * input or every interval. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wirestat/addr.h"
#include "wirestat/capture.h"
#include "wirestat/emit.h"
#include "wirestat/engine.h"
#include "wirestat/report.h"
#include "wirestat/services.h"

#ifndef WIRESTAT_VERSION
#define WIRESTAT_VERSION "unknown"
#endif

enum exit_status { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

enum {
	OPT_HOST = 0x100,
	OPT_EVENTS,
	OPT_CONN,
	OPT_IDLE_TIMEOUT,
	OPT_PORT,
	OPT_FORMAT,
	OPT_MAX_FLOWS,
	OPT_SNAPLEN,
	OPT_BUFFER_SIZE,
	OPT_NO_PROMISC,
	OPT_DURATION,
};

static const char usage_text[] =
	"usage: wirestat [-aehinsV] [-p proto] [-R file | -I iface]... [-F expr]\n"
	"                [--host addr[/len]]... [--port port]...\n"
	"                [--format table|json|csv] [--max-flows n]\n"
	"                [--events | --conn [--idle-timeout seconds]]\n"
	"                [-c count] [--duration seconds] [--snaplen n]\n"
	"                [--buffer-size mib] [--no-promisc] [-Z user] [interval]\n"
	"\n"
	"Rebuild every host's netstat from the packets on the wire.\n"
	"\n"
	"  -a, --all              also show listening TCP ports and UDP endpoints\n"
	"  -e, --ethernet         show interface statistics (bytes, unicast and\n"
	"                         non-unicast frames, errors) instead of sockets\n"
	"  -i, --time-in-state    add the time since each socket entered its state\n"
	"  -n, --numeric          show addresses and ports as numbers\n"
	"  -p, --protocol proto   only tcp, udp, icmp, ip, tcpv6, udpv6, icmpv6 or\n"
	"                         ipv6 (repeatable)\n"
	"  -s, --statistics       show statistics instead of sockets: what\n"
	"                         was read and what became of every packet\n"
	"  -R, --read file        read a pcap or pcapng file ('-' for standard\n"
	"                         input); repeat to merge files by timestamp\n"
	"  -I, --interface iface  capture live on an interface (repeatable; with\n"
	"                         neither -R nor -I, on \"any\")\n"
	"  -F, --filter expr      a BPF filter in tcpdump's syntax\n"
	"      --host addr[/len]  only the sockets of these hosts (repeatable);\n"
	"                         -s and -e count from their point of view\n"
	"      --port port        only rows with this local or foreign port\n"
	"                         (repeatable)\n"
	"      --format fmt       table (default), json (JSON Lines) or csv\n"
	"      --max-flows n      cap on tracked flows (default 1000000)\n"
	"      --conn             one record per connection (TCP, UDP, ICMP) with\n"
	"                         Zeek's conn_state and history, as each ends\n"
	"      --idle-timeout s   end a connection record after s seconds without\n"
	"                         packets (default Zeek's: TCP 300, UDP, ICMP 60)\n"
	"      --events           stream each TCP socket's state changes as they\n"
	"                         happen, with the packet (or timer) that caused it\n"
	"  -c, --count n          stop after n packets\n"
	"      --duration s       stop after s seconds (live) or s seconds of\n"
	"                         packet time (files)\n"
	"      --snaplen n        bytes kept of each live packet (default 262144)\n"
	"      --buffer-size mib  the kernel's capture buffer, in MiB\n"
	"      --no-promisc       do not put the interface in promiscuous mode\n"
	"  -Z, --user user        drop privileges to this user once the capture\n"
	"                         is open\n"
	"  interval               report again every interval seconds (of packet\n"
	"                         time for files) until interrupted\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show the version and exit\n";

struct options {
	const char **files;
	size_t nfiles;
	const char **ifaces;
	size_t nifaces;
	const char *filter;
	const char *user;
	struct addr_prefix *hosts;
	size_t nhosts;
	uint16_t *ports;
	size_t nports;
	bool stats;    /* -s */
	bool ethernet; /* -e */
	bool events;   /* --events */
	uint64_t count;	  /* -c; 0: no limit */
	ws_time duration; /* --duration; 0: none */
	ws_time interval; /* trailing interval; 0: one report at the end */
	struct capture_live_options live;
	struct report_options report;
	struct engine_config engine;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void die_usage(const char *fmt, ...) WS_PRINTF(1, 2);

static void die_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("wirestat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see wirestat --help)\n", stderr);
	exit(EXIT_USAGE);
}

static void *grow_array(void *v, size_t n, size_t size)
{
	void *p = realloc(v, (n + 1) * size);
	if (!p) {
		fputs("wirestat: out of memory\n", stderr);
		exit(EXIT_RUNTIME);
	}
	return p;
}

static size_t parse_count(const char *s, const char *option)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end != '\0' || v == 0 || s[0] == '-' ||
	    v > SIZE_MAX / 1024)
		die_usage("%s needs a positive number, not '%s'", option, s);
	return (size_t)v;
}

/* A number of seconds, at most a year (so that time arithmetic cannot
 * overflow). */
static ws_time parse_seconds(const char *s, const char *option)
{
	size_t secs = parse_count(s, option);
	if (secs > (size_t)366 * 24 * 3600)
		die_usage("%s of '%s' seconds is more than a year", option, s);
	return WS_SEC(secs);
}

static uint16_t parse_port(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v > 65535)
		die_usage("--port needs a number from 0 to 65535, not '%s'", s);
	return (uint16_t)v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"ethernet", no_argument, NULL, 'e'},
		{"numeric", no_argument, NULL, 'n'},
		{"time-in-state", no_argument, NULL, 'i'},
		{"statistics", no_argument, NULL, 's'},
		{"protocol", required_argument, NULL, 'p'},
		{"read", required_argument, NULL, 'R'},
		{"interface", required_argument, NULL, 'I'},
		{"filter", required_argument, NULL, 'F'},
		{"count", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'Z'},
		{"host", required_argument, NULL, OPT_HOST},
		{"port", required_argument, NULL, OPT_PORT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"events", no_argument, NULL, OPT_EVENTS},
		{"conn", no_argument, NULL, OPT_CONN},
		{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"snaplen", required_argument, NULL, OPT_SNAPLEN},
		{"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE},
		{"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c, fmt, bit;

	while ((c = getopt_long(argc, argv, "ac:eF:hI:inp:R:sVZ:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			o->report.all = true;
			break;
		case 'e':
			o->ethernet = true;
			break;
		case 'n':
			o->report.numeric = true;
			break;
		case 'i':
			o->report.time_in_state = true;
			break;
		case 's':
			o->stats = true;
			break;
		case 'p':
			bit = report_proto_parse(optarg);
			if (bit < 0)
				die_usage("unknown protocol '%s': use tcp, udp, "
					  "icmp, ip, tcpv6, udpv6, icmpv6 or "
					  "ipv6",
					  optarg);
			o->report.protos |= (unsigned)bit;
			break;
		case 'R':
			o->files = grow_array(o->files, o->nfiles,
					      sizeof(*o->files));
			o->files[o->nfiles++] = optarg;
			break;
		case 'I':
			o->ifaces = grow_array(o->ifaces, o->nifaces,
					       sizeof(*o->ifaces));
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'F':
			o->filter = optarg;
			break;
		case 'c':
			o->count = parse_count(optarg, "-c");
			break;
		case 'Z':
			o->user = optarg;
			break;
		case OPT_HOST:
			o->hosts = grow_array(o->hosts, o->nhosts,
					      sizeof(*o->hosts));
			if (addr_prefix_parse(optarg, &o->hosts[o->nhosts], err,
					      sizeof(err)) < 0)
				die_usage("--host: %s", err);
			o->nhosts++;
			break;
		case OPT_PORT:
			o->ports = grow_array(o->ports, o->nports,
					      sizeof(*o->ports));
			o->ports[o->nports++] = parse_port(optarg);
			break;
		case OPT_FORMAT:
			fmt = emit_format_parse(optarg);
			if (fmt < 0)
				die_usage("unknown format '%s': use table, json "
					  "or csv",
					  optarg);
			o->report.format = (enum emit_format)fmt;
			break;
		case OPT_MAX_FLOWS:
			o->engine.max_flows = parse_count(optarg, "--max-flows");
			break;
		case OPT_EVENTS:
			o->events = true;
			break;
		case OPT_CONN:
			o->engine.conn = true;
			break;
		case OPT_IDLE_TIMEOUT:
			o->engine.idle_timeout =
				parse_seconds(optarg, "--idle-timeout");
			break;
		case OPT_DURATION:
			o->duration = parse_seconds(optarg, "--duration");
			break;
		case OPT_SNAPLEN:
			o->live.snaplen = (int)parse_count(optarg, "--snaplen");
			if (o->live.snaplen > 262144)
				die_usage("--snaplen of '%s' is more than 262144",
					  optarg);
			break;
		case OPT_BUFFER_SIZE:
			o->live.buffer_mib =
				(int)parse_count(optarg, "--buffer-size");
			if (o->live.buffer_mib > 4096)
				die_usage("--buffer-size of '%s' MiB is more "
					  "than 4096",
					  optarg);
			break;
		case OPT_NO_PROMISC:
			o->live.no_promisc = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("wirestat %s\n", WIRESTAT_VERSION);
			exit(EXIT_OK);
		default:
			fputs(usage_text, stderr);
			exit(EXIT_USAGE);
		}
	}
	/* netstat's trailing interval: "wirestat -I eth0 -an 5" */
	if (optind < argc) {
		const char *a = argv[optind];
		if (a[strspn(a, "0123456789")] != '\0')
			die_usage("unexpected argument '%s'", a);
		o->interval = parse_seconds(a, "the interval");
		optind++;
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->nfiles && o->nifaces)
		die_usage("%s", "-R and -I cannot be mixed");
	if (o->events && o->engine.conn)
		die_usage("%s", "--events and --conn are two views: choose one");
	if (o->engine.idle_timeout && !o->engine.conn)
		die_usage("%s", "--idle-timeout goes with --conn");
	if (o->nfiles && (o->live.snaplen || o->live.buffer_mib ||
			  o->live.no_promisc))
		die_usage("%s", "--snaplen, --buffer-size and --no-promisc are "
				"for live capture (-I)");
	o->live.immediate = o->events || o->engine.conn;
	o->report.hosts = o->hosts;
	o->report.nhosts = o->nhosts;
	o->report.ports = o->ports;
	o->report.nports = o->nports;
	o->engine.hosts = o->hosts; /* -s and -e take their point of view */
	o->engine.nhosts = o->nhosts;
}

/* -Z, as tcpdump does it: once the capture is open, become that user. */
static int drop_privileges(const char *user, char *errbuf)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return ws_error(errbuf, "-Z: no user '%s'", user);
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		return ws_error(errbuf, "-Z: cannot become user '%s': %s", user,
				strerror(errno));
	return 0;
}

static ws_time wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (ws_time)ts.tv_sec * WS_NS_PER_SEC + ts.tv_nsec;
}

/* The views, printed at the end, or every interval. */
struct run {
	struct options *o;
	struct capture *cap;
	struct engine eng;
	struct event_printer *events;
	struct conn_printer *conns;
	unsigned reports;
};

/* -e names each link by its input. */
static int ethernet_report(struct run *run)
{
	size_t n = capture_inputs(run->cap);
	const char **names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return -1;
	for (size_t i = 0; i < n; i++)
		names[i] = capture_input_name(run->cap, i);
	int r = report_interfaces(stdout, &run->eng, &run->o->report, names,
				  n);
	free(names);
	return r;
}

/* Each interval report starts with a line giving its time and what the
 * capture and the flow table had to let go. */
static void report_header(struct run *run)
{
	const struct stats *s = &run->eng.stats;
	const uint64_t *fc = flow_counters(run->eng.flows);
	uint64_t evicted = fc[FC_EVICTED_SHORT] + fc[FC_EVICTED_LONG];
	char when[48], drops[96];
	report_time(run->eng.now, when, sizeof(when));
	if (s->drops_known)
		snprintf(drops, sizeof(drops),
			 "%" PRIu64 " dropped by the kernel, %" PRIu64
			 " by the interface",
			 s->kernel_dropped, s->if_dropped);
	else
		snprintf(drops, sizeof(drops), "no capture drops (a file)");
	switch (run->o->report.format) {
	case EMIT_JSON:
		printf("{\"report\":%u,\"time\":\"%s\",\"packets\":%" PRIu64
		       ",\"kernel_dropped\":",
		       run->reports, when, s->packets);
		if (s->drops_known)
			printf("%" PRIu64 ",\"interface_dropped\":%" PRIu64,
			       s->kernel_dropped, s->if_dropped);
		else
			fputs("null,\"interface_dropped\":null", stdout);
		printf(",\"flows_evicted\":%" PRIu64 "}\n", evicted);
		break;
	case EMIT_CSV:
		printf("# wirestat report %u at %s UTC: %" PRIu64
		       " packets, %s, %" PRIu64 " flows evicted\n",
		       run->reports, when, s->packets, drops, evicted);
		break;
	case EMIT_TABLE:
		printf("\nwirestat report %u at %s UTC: %" PRIu64
		       " packets, %s, %" PRIu64 " flows evicted\n",
		       run->reports, when, s->packets, drops, evicted);
		break;
	}
}

static int report(struct run *run, bool last)
{
	struct options *o = run->o;
	struct capture_drops d;
	int r = 0;
	capture_stats(run->cap, &d);
	run->eng.stats.drops_known = d.known;
	run->eng.stats.kernel_received = d.received;
	run->eng.stats.kernel_dropped = d.dropped;
	run->eng.stats.if_dropped = d.if_dropped;
	run->eng.stats.filtered = d.filtered;
	run->reports++;
	if (o->interval)
		report_header(run);
	if (o->events) {
		engine_sync(&run->eng); /* the timers due so far */
	} else if (o->engine.conn) {
		if (!last) /* the records still open, as they stand */
			engine_conn_snapshot(&run->eng);
	} else if (o->stats || o->ethernet) {
		/* netstat -e -s prints both, the interfaces first */
		if (o->ethernet)
			r = ethernet_report(run);
		if (o->stats && r == 0)
			r = report_stats(stdout, &run->eng, &o->report);
	} else {
		r = report_sockets(stdout, &run->eng, &o->report);
	}
	if (fflush(stdout) != 0)
		r = -1;
	return r;
}

/* Read until the input ends or a stop (signal, -c, --duration), reporting
 * every interval.  Returns the exit status. */
static int run_capture(struct run *run)
{
	struct options *o = run->o;
	struct capture_packet pkt;
	char errbuf[WS_ERRBUF_SIZE];
	bool live = capture_is_live(run->cap);
	ws_time start = live ? wall_clock() : 0, next = 0;
	uint64_t packets = 0;
	int status = EXIT_OK;

	if (live && o->interval)
		next = start + o->interval;
	while (!stop_requested) {
		int r = capture_next(run->cap, &pkt, errbuf);
		if (r == 1) {
			if (!live && start == 0) {
				start = pkt.ts;
				next = o->interval ? start + o->interval : 0;
			}
			/* files: intervals and --duration on packet time */
			if (!live && o->duration && pkt.ts >= start + o->duration)
				break;
			while (!live && o->interval && pkt.ts >= next) {
				if (report(run, false) < 0)
					return EXIT_RUNTIME;
				next += o->interval;
			}
			engine_packet(&run->eng, pkt.input, pkt.dlt, pkt.ts,
				      pkt.data, pkt.caplen, pkt.len);
			if (o->count && ++packets >= o->count)
				break;
			continue;
		}
		if (r == 0)
			break; /* every file read */
		if (r < 0 && !live) {
			fprintf(stderr, "wirestat: warning: %s; the report "
					"covers what was read before it\n",
				errbuf);
			status = EXIT_RUNTIME;
			continue;
		}
		if (r < 0) { /* an interface went away: report what we have */
			fprintf(stderr, "wirestat: capture failed: %s\n",
				errbuf);
			engine_tick(&run->eng, wall_clock());
			engine_finish(&run->eng);
			report(run, true);
			return EXIT_RUNTIME;
		}
		/* live, nothing ready: wait for a packet or the next stop */
		ws_time now = wall_clock();
		if (o->duration && now >= start + o->duration)
			break;
		if (o->interval && now >= next) {
			engine_tick(&run->eng, now);
			if (report(run, false) < 0)
				return EXIT_RUNTIME;
			while (next <= now)
				next += o->interval;
		}
		ws_time until = WS_SEC(1);
		if (o->interval && next - now < until)
			until = next - now;
		if (o->duration && start + o->duration - now < until)
			until = start + o->duration - now;
		capture_wait(run->cap, (int)(until / 1000000) + 1);
	}
	if (live)
		engine_tick(&run->eng, wall_clock());
	engine_finish(&run->eng);
	if (report(run, true) < 0) {
		fprintf(stderr, "wirestat: cannot write the report: %s\n",
			strerror(errno));
		status = EXIT_RUNTIME;
	}
	return status;
}

static struct capture *open_capture(struct options *o, char *errbuf)
{
	static const char *const any[] = {"any"};
	struct capture *cap;
	if (o->nfiles)
		cap = capture_open_files(o->files, o->nfiles, errbuf);
	else
		cap = capture_open_live(o->nifaces ? o->ifaces : any,
					o->nifaces ? o->nifaces : 1, &o->live,
					errbuf);
	if (cap && o->filter && capture_set_filter(cap, o->filter, errbuf) < 0) {
		capture_close(cap);
		return NULL;
	}
	return cap;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char errbuf[WS_ERRBUF_SIZE];
	struct services *services = NULL;
	struct run run = {.o = &o};
	int status = EXIT_OK;

	parse_options(argc, argv, &o);
	if (!o.report.numeric) {
		/* Port names are a nicety: without the file, numbers. */
		services = services_load(SERVICES_DEFAULT_PATH, errbuf);
		o.report.services = services;
	}
	run.cap = open_capture(&o, errbuf);
	if (!run.cap) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_USAGE;
		goto out_free;
	}
	if (o.user && drop_privileges(o.user, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_RUNTIME;
		goto out_close_capture;
	}
	if (engine_init(&run.eng, &o.engine, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_RUNTIME;
		goto out_close_capture;
	}
	bool live = capture_is_live(run.cap);
	if (o.engine.conn) {
		run.conns = report_conn_begin(stdout, &o.report, live);
		if (!run.conns)
			goto out_nomem;
		engine_on_conn(&run.eng, report_conn, run.conns);
	}
	if (o.events) {
		run.events = report_events_begin(stdout, &o.report, live);
		if (!run.events)
			goto out_nomem;
		engine_on_event(&run.eng, report_event, run.events);
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	status = run_capture(&run);
	if ((run.conns && report_conn_end(run.conns) < 0) ||
	    (run.events && report_events_end(run.events) < 0))
		status = EXIT_RUNTIME;
	goto out_free_engine;
out_nomem:
	fputs("wirestat: out of memory\n", stderr);
	status = EXIT_RUNTIME;
	report_conn_end(run.conns);
out_free_engine:
	engine_free(&run.eng);
out_close_capture:
	capture_close(run.cap);
out_free:
	services_free(services);
	free(o.files);
	free(o.ifaces);
	free(o.hosts);
	free(o.ports);
	return status;
}

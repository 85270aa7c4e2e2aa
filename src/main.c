/* main.c - wirestat: netstat from the wire.  Parses options and wires the
 * stages together: capture -> engine -> report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

static const char usage_text[] =
	"usage: wirestat [-aehinsV] [-p proto] [-R file]... [--host addr[/len]]...\n"
	"                [--port port]... [--format table|json|csv] [--max-flows n]\n"
	"                [--events | --conn [--idle-timeout seconds]]\n"
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
	"      --host addr[/len]  only the sockets of these hosts (repeatable)\n"
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
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show the version and exit\n";

struct options {
	const char **files;
	size_t nfiles;
	struct addr_prefix *hosts;
	size_t nhosts;
	uint16_t *ports;
	size_t nports;
	bool stats;  /* -s */
	bool ethernet; /* -e */
	bool events; /* --events */
	struct report_options report;
	struct engine_config engine;
};

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
		{"host", required_argument, NULL, OPT_HOST},
		{"port", required_argument, NULL, OPT_PORT},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"events", no_argument, NULL, OPT_EVENTS},
		{"conn", no_argument, NULL, OPT_CONN},
		{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c, fmt, bit;

	while ((c = getopt_long(argc, argv, "aehinp:R:sV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->report.all = true;
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
		case 'e':
			o->ethernet = true;
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
		case OPT_EVENTS:
			o->events = true;
			break;
		case OPT_CONN:
			o->engine.conn = true;
			break;
		case OPT_IDLE_TIMEOUT: {
			size_t secs = parse_count(optarg, "--idle-timeout");
			if (secs > (size_t)366 * 24 * 3600)
				die_usage("--idle-timeout of '%s' seconds is "
					  "more than a year",
					  optarg);
			o->engine.idle_timeout = WS_SEC(secs);
			break;
		}
		case OPT_MAX_FLOWS:
			o->engine.max_flows =
				parse_count(optarg, "--max-flows");
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
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->events && o->engine.conn)
		die_usage("%s", "--events and --conn are two views: choose one");
	if (o->engine.idle_timeout && !o->engine.conn)
		die_usage("%s", "--idle-timeout goes with --conn");
	if (o->nfiles == 0)
		die_usage("%s", "no input: give a capture file with -R FILE");
	o->report.hosts = o->hosts;
	o->report.nhosts = o->nhosts;
	o->engine.hosts = o->hosts; /* -s takes these hosts' point of view */
	o->engine.nhosts = o->nhosts;
	o->report.ports = o->ports;
	o->report.nports = o->nports;
}

/* -e names each link by its input ("standard input" for -). */
static int ethernet_report(struct engine *eng, const struct report_options *o,
			   const struct capture *cap)
{
	size_t n = capture_inputs(cap);
	const char **names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return -1;
	for (size_t i = 0; i < n; i++)
		names[i] = capture_input_name(cap, i);
	int r = report_interfaces(stdout, eng, o, names, n);
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char errbuf[WS_ERRBUF_SIZE];
	struct engine eng;
	struct capture_packet pkt;
	struct services *services = NULL;
	int status = EXIT_OK, r;

	parse_options(argc, argv, &o);
	if (!o.report.numeric) {
		/* Port names are a nicety: without the file, numbers. */
		services = services_load(SERVICES_DEFAULT_PATH, errbuf);
		o.report.services = services;
	}
	struct capture *cap = capture_open_files(o.files, o.nfiles, errbuf);
	if (!cap) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_USAGE;
		goto out_free;
	}
	if (engine_init(&eng, &o.engine, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_RUNTIME;
		goto out_close_capture;
	}
	struct event_printer *events = NULL;
	struct conn_printer *conns = NULL;
	if (o.engine.conn) {
		conns = report_conn_begin(stdout, &o.report, false);
		if (!conns) {
			fputs("wirestat: out of memory\n", stderr);
			status = EXIT_RUNTIME;
			goto out_free_engine;
		}
		engine_on_conn(&eng, report_conn, conns);
	}
	if (o.events) {
		events = report_events_begin(stdout, &o.report, false);
		if (!events) {
			fputs("wirestat: out of memory\n", stderr);
			status = EXIT_RUNTIME;
			goto out_free_engine;
		}
		engine_on_event(&eng, report_event, events);
	}
	while ((r = capture_next(cap, &pkt, errbuf)) != 0) {
		if (r < 0) {
			fprintf(stderr, "wirestat: warning: %s; the report "
					"covers what was read before it\n",
				errbuf);
			status = EXIT_RUNTIME;
			continue;
		}
		engine_packet(&eng, pkt.input, pkt.dlt, pkt.ts, pkt.data, pkt.caplen,
			      pkt.len);
	}
	engine_finish(&eng);
	if (o.events)
		r = report_events_end(events);
	else if (o.engine.conn)
		r = report_conn_end(conns);
	else if (o.stats || o.ethernet) {
		/* netstat -e -s prints both, the interfaces first */
		r = 0;
		if (o.ethernet)
			r = ethernet_report(&eng, &o.report, cap);
		if (o.stats && r == 0)
			r = report_stats(stdout, &eng, &o.report);
	} else
		r = report_sockets(stdout, &eng, &o.report);
	if (r < 0) {
		fprintf(stderr, "wirestat: cannot write the report: %s\n",
			strerror(errno));
		status = EXIT_RUNTIME;
	}
out_free_engine:
	engine_free(&eng);
out_close_capture:
	capture_close(cap);
out_free:
	services_free(services);
	free(o.files);
	free(o.hosts);
	free(o.ports);
	return status;
}

/* main.c - wirestat: netstat from the wire.  Parses options and wires the
 * stages together: capture -> engine -> report, once at the end of the
 * input or every interval. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
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
#include "wirestat/ipfix.h"
#include "wirestat/kernel.h"
#include "wirestat/reconcile.h"
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
	OPT_WORKERS,
	OPT_IPFIX,
	OPT_IPFIX_ACTIVE,
	OPT_PROC_ROOT,
	OPT_COMPARE,
	OPT_RESOLVE,
	OPT_NAMES,
	OPT_MAX_NAMES,
};

static const char usage_text[] =
	"usage: wirestat [-abefhinorsV] [-p proto] [-R file | -I iface]... [-F expr]\n"
	"                [--host addr[/len]]... [--port port]...\n"
	"                [--format table|json|csv] [--max-flows n]\n"
	"                [--events | --conn | --names | --compare]\n"
	"                [--idle-timeout seconds]\n"
	"                [--ipfix host:port [--ipfix-active-timeout seconds]]\n"
	"                [--resolve passive|active|none] [--max-names n]\n"
	"                [-c count] [--duration seconds] [--snaplen n]\n"
	"                [--buffer-size mib] [--no-promisc] [--workers n]\n"
	"                [--proc-root dir] [-Z user] [interval]\n"
	"\n"
	"Rebuild every host's netstat from the packets on the wire.\n"
	"\n"
	"  -a, --all              also show listening TCP ports and UDP endpoints\n"
	"  -e, --ethernet         show interface statistics (bytes, unicast and\n"
	"                         non-unicast frames, errors) instead of sockets\n"
	"  -f, --fqdn             name foreign hosts by their full name (default:\n"
	"                         the host name, before the first dot)\n"
	"  -i, --time-in-state    add the time since each socket entered its state\n"
	"  -o, --owner            add the PID of the process owning each of this\n"
	"                         host's sockets (live)\n"
	"  -b, --program          add the owning process's program name (live)\n"
	"  -n, --numeric          show addresses and ports as numbers\n"
	"  -p, --protocol proto   only tcp, udp, icmp, ip, tcpv6, udpv6, icmpv6 or\n"
	"                         ipv6 (repeatable)\n"
	"  -r, --route            show the kernel's routing tables and, with a\n"
	"                         capture, the gateways the traffic went through\n"
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
	"      --ipfix host:port  export each connection record as an IPFIX biflow\n"
	"                         (RFC 7011, UDP) to a collector\n"
	"      --ipfix-active-timeout s\n"
	"                         and every s seconds while it lasts (default 60)\n"
	"      --events           stream each TCP socket's state changes as they\n"
	"                         happen, with the packet (or timer) that caused it\n"
	"      --names            show the host names learned from the DNS answers\n"
	"                         on the wire instead of sockets\n"
	"      --resolve mode     where host names come from: passive (default:\n"
	"                         the DNS answers on the wire, no query sent),\n"
	"                         active (also the system resolver's reverse\n"
	"                         lookups, in the background) or none\n"
	"      --max-names n      cap on names learned from the wire (default\n"
	"                         65536)\n"
	"  -c, --count n          stop after n packets\n"
	"      --duration s       stop after s seconds (live) or s seconds of\n"
	"                         packet time (files); fractions allowed\n"
	"      --snaplen n        bytes kept of each live packet (default 262144)\n"
	"      --buffer-size mib  the kernel's capture buffer, in MiB, per\n"
	"                         interface and worker (default 32)\n"
	"      --no-promisc       do not put the interface in promiscuous mode\n"
	"      --workers n        live: capture on n threads, the kernel\n"
	"                         spreading the connections over them\n"
	"      --compare          live: this host's sockets on the wire beside\n"
	"                         the kernel's and conntrack's, with a verdict\n"
	"                         (MATCH, STATE_DIFFERS, WIRE_ONLY, KERNEL_ONLY);\n"
	"                         with -s or -e, the wire's counters beside the\n"
	"                         kernel's /proc/net/snmp and /proc/net/dev\n"
	"      --proc-root dir    read /proc from dir (default /proc)\n"
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
	bool conn;     /* --conn (the view; --ipfix records connections too) */
	bool routes;   /* -r */
	bool compare;  /* --compare */
	const char *proc_root; /* --proc-root; NULL: /proc */
	const char *ipfix;    /* --ipfix HOST:PORT */
	ws_time ipfix_active; /* --ipfix-active-timeout */
	bool names;    /* --names */
	uint64_t count;	  /* -c; 0: no limit */
	size_t workers;	  /* --workers; 0: one, on the main thread */
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

static _Noreturn void die_usage(const char *fmt, ...) WS_PRINTF(1, 2);

static _Noreturn void die_usage(const char *fmt, ...)
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
	char *end;
	errno = 0;
	double secs = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(secs > 0) ||
	    strspn(s, "0123456789.") != strlen(s))
		die_usage("%s needs a positive number of seconds, not '%s'",
			  option, s);
	if (secs > 366.0 * 24 * 3600)
		die_usage("%s of '%s' seconds is more than a year", option, s);
	return (ws_time)(secs * WS_NS_PER_SEC + 0.5);
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
		{"route", no_argument, NULL, 'r'},
		{"compare", no_argument, NULL, OPT_COMPARE},
		{"owner", no_argument, NULL, 'o'},
		{"program", no_argument, NULL, 'b'},
		{"proc-root", required_argument, NULL, OPT_PROC_ROOT},
		{"ethernet", no_argument, NULL, 'e'},
		{"fqdn", no_argument, NULL, 'f'},
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
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"ipfix", required_argument, NULL, OPT_IPFIX},
		{"ipfix-active-timeout", required_argument, NULL,
		 OPT_IPFIX_ACTIVE},
		{"resolve", required_argument, NULL, OPT_RESOLVE},
		{"names", no_argument, NULL, OPT_NAMES},
		{"max-names", required_argument, NULL, OPT_MAX_NAMES},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char err[256];
	int c, fmt, bit;

	while ((c = getopt_long(argc, argv, "abc:efF:hI:inop:rR:sVZ:", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			o->report.all = true;
			break;
		case 'r':
			o->routes = true;
			break;
		case OPT_COMPARE:
			o->compare = true;
			break;
		case 'o':
			o->report.pid = true;
			break;
		case 'b':
			o->report.program = true;
			break;
		case OPT_PROC_ROOT:
			o->proc_root = optarg;
			break;
		case 'e':
			o->ethernet = true;
			break;
		case 'f':
			o->report.fqdn = true;
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
			o->conn = true;
			break;
		case OPT_IPFIX:
			o->ipfix = optarg;
			break;
		case OPT_IPFIX_ACTIVE:
			o->ipfix_active =
				parse_seconds(optarg, "--ipfix-active-timeout");
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
		case OPT_WORKERS:
			o->workers = parse_count(optarg, "--workers");
			if (o->workers > 64)
				die_usage("--workers of '%s' is more than 64",
					  optarg);
			break;
		case OPT_RESOLVE:
			bit = report_resolve_parse(optarg);
			if (bit < 0)
				die_usage("unknown --resolve '%s': use passive, "
					  "active or none",
					  optarg);
			o->report.resolve = (uint8_t)bit;
			break;
		case OPT_NAMES:
			o->names = true;
			break;
		case OPT_MAX_NAMES:
			o->engine.max_names = parse_count(optarg, "--max-names");
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
		if (a[strspn(a, "0123456789.")] != '\0')
			die_usage("unexpected argument '%s'", a);
		o->interval = parse_seconds(a, "the interval");
		optind++;
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (o->nfiles && o->nifaces)
		die_usage("%s", "-R and -I cannot be mixed");
	if (o->events + o->conn + o->routes + o->compare > 1)
		die_usage("%s", "-r, --events, --conn and --compare are views: "
				"choose one");
	if (o->compare && o->nfiles)
		die_usage("%s", "--compare sets the wire beside this host's "
				"kernel now: it needs a live capture, not -R");
	if (o->proc_root) {
		DIR *d = opendir(o->proc_root);
		if (!d)
			die_usage("--proc-root %s: %s", o->proc_root,
				  strerror(errno));
		closedir(d);
	}
	if (o->names && (o->events || o->conn || o->stats || o->ethernet ||
			 o->routes || o->compare))
		die_usage("%s", "--names is a view of its own: without --events, "
				"--conn, --compare, -r, -s or -e");
	if (o->report.numeric && o->report.resolve == REPORT_RESOLVE_ACTIVE)
		die_usage("%s", "-n and --resolve=active: choose one");
	if (o->engine.idle_timeout && !o->conn && !o->ipfix)
		die_usage("%s", "--idle-timeout goes with --conn or --ipfix");
	if (o->ipfix_active && !o->ipfix)
		die_usage("%s", "--ipfix-active-timeout goes with --ipfix");
	o->engine.conn = o->conn || o->ipfix;
	if (o->ipfix)
		o->engine.active_timeout =
			o->ipfix_active ? o->ipfix_active : WS_SEC(60);
	if (o->nfiles && o->workers > 1)
		die_usage("%s", "--workers is for live capture (-I)");
	if (o->nfiles && (o->live.snaplen || o->live.buffer_mib ||
			  o->live.no_promisc))
		die_usage("%s", "--snaplen, --buffer-size and --no-promisc are "
				"for live capture (-I)");
	o->live.immediate = o->events || o->conn;
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

/* One capture thread: its capture (a member of the fanout group) and its
 * engine.  The lock is held while it processes packets; the main thread
 * takes every worker's lock to report. */
struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	struct run *run;
	struct capture *cap;
	struct engine eng;
	uint64_t packets;
	unsigned since_clock; /* packets since the clock was last read */
	bool failed; /* its capture failed (errbuf says why) */
	char errbuf[WS_ERRBUF_SIZE];
};

/* The views, printed at the end, or every interval. */
struct run {
	struct options *o;
	struct worker *w;
	size_t nw;
	struct engine **engines; /* each worker's, for the reports */
	struct event_printer *events;
	struct conn_printer *conns;
	struct ipfix_exporter *ipfix;
	pthread_mutex_t out; /* conn and event lines from several workers */
	unsigned reports;
	struct kside *kside; /* --compare, -o, -b: the kernel's side */
};

/* The kernel's side of this host (--compare, -o, -b): one snapshot at
 * a time and its index; --compare's history and last result; -s/-e's
 * counters as observation began. */
struct kside {
	struct kernel_host host;
	struct rc_kernel rk;
	bool indexed;
	struct kernel_addrs scope; /* the captured interfaces' addresses */
	bool scoped;
	struct rc_history hist;
	struct rc_result res;
	bool compared;
	ws_time next; /* the next comparison (every second) */
	struct kernel_snmp snmp0;
	struct kernel_ifaces dev0;
	bool have_snmp0, have_dev0;
	bool warned_owners, warned_ct;
	/* Conntrack's event stream: entries of the last seconds, so that a
	 * translated connection that came and went between two dumps is
	 * still followed (a ring of CT_RECENT_MAX, oldest overwritten). */
	struct kernel_ct_events *ctev;
	struct kernel_ct_entry *recent;
	ws_time *recent_ts;
	size_t nrecent, recent_next;
	struct addr_prefix *hosts; /* this host's, for -s's point of view */
	uint8_t (*macs)[6];	   /* each captured interface's MAC */
};

/* A connection record: to --conn's printer (not the active timeout's
 * interim records) and to the IPFIX exporter (not --conn's snapshots of
 * open connections), through the output lock with several workers. */
static void on_conn(void *ctx, const struct conn_record *r)
{
	struct run *run = ctx;
	struct addr a[2];
	if (run->nw > 1)
		pthread_mutex_lock(&run->out);
	if (run->conns && r->why != CONN_END_ACTIVE)
		report_conn(run->conns, r);
	if (run->ipfix && r->why != CONN_END_OPEN &&
	    conn_record_keep(&run->o->report, r, a))
		ipfix_record(run->ipfix, r, r->last);
	if (run->nw > 1)
		pthread_mutex_unlock(&run->out);
}

static void locked_event(void *ctx, const struct engine_event *ev)
{
	struct run *run = ctx;
	pthread_mutex_lock(&run->out);
	report_event(run->events, ev);
	pthread_mutex_unlock(&run->out);
}

/* ---- the kernel's side (--compare, -o, -b) ---- */

static unsigned kside_parts(const struct options *o)
{
	unsigned parts = KH_ADDRS | KH_SOCKETS | KH_CONNTRACK;
	if (o->compare || o->report.pid || o->report.program)
		parts |= KH_OWNERS;
	return parts;
}

static bool captured_iface(const struct options *o, const char *name)
{
	for (size_t i = 0; i < o->nifaces; i++)
		if (strcmp(o->ifaces[i], name) == 0)
			return true;
	return false;
}

#define CT_RECENT_MAX 4096
#define CT_RECENT_KEEP WS_SEC(4) /* twice the settling time */

static void ct_event(enum kernel_ct_event type, const struct kernel_ct_entry *e,
		     void *arg)
{
	struct kside *k = arg;
	(void)type; /* a destroyed entry is kept too: its packets were seen */
	k->recent[k->recent_next] = *e;
	k->recent_ts[k->recent_next] = wall_clock();
	k->recent_next = (k->recent_next + 1) % CT_RECENT_MAX;
	if (k->nrecent < CT_RECENT_MAX)
		k->nrecent++;
}

struct ct_slot {
	uint32_t id, index;
};

static int ct_slot_cmp(const void *pa, const void *pb)
{
	const struct ct_slot *a = pa, *b = pb;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Each conntrack entry once (by id): the first in ct's order. */
static void ct_dedupe(struct kernel_conntrack *ct)
{
	struct ct_slot *v = malloc(ct->n * sizeof(*v) + 1);
	bool *drop = calloc(ct->n + 1, sizeof(*drop));
	if (!v || !drop)
		goto out; /* duplicates stay: their tuples are the same */
	for (size_t i = 0; i < ct->n; i++)
		v[i] = (struct ct_slot){ct->v[i].id, (uint32_t)i};
	qsort(v, ct->n, sizeof(*v), ct_slot_cmp);
	for (size_t i = 1; i < ct->n; i++)
		if (v[i].id && v[i].id == v[i - 1].id)
			drop[v[i].index] = true;
	size_t out = 0;
	for (size_t i = 0; i < ct->n; i++)
		if (!drop[i])
			ct->v[out++] = ct->v[i];
	ct->n = out;
out:
	free(v);
	free(drop);
}

/* The events since the last snapshot into the ring, then the ring's
 * entries of the last seconds after the dump, newest first, each entry
 * kept once: the dump's when it has it (it is current), else its latest
 * event's. */
static void ct_recent(struct kside *k)
{
	char errbuf[WS_ERRBUF_SIZE];
	if (!k->ctev)
		return;
	for (int i = 0; i < 64; i++) /* up to 64 x 256 datagrams a second */
		if (kernel_ct_events_read(k->ctev, ct_event, k, errbuf) <= 0)
			break;
	ws_time since = wall_clock() - CT_RECENT_KEEP;
	for (size_t i = 1; i <= k->nrecent; i++) {
		size_t j = (k->recent_next + CT_RECENT_MAX - i) % CT_RECENT_MAX;
		if (k->recent_ts[j] >= since &&
		    !kernel_conntrack_add(&k->host.ct, &k->recent[j]))
			break;
	}
	ct_dedupe(&k->host.ct);
}

/* A fresh snapshot of the host and its index.  Owners and conntrack may
 * be missing (no privilege, no nf_conntrack_netlink): said once. */
static int kside_snapshot(struct run *run, char *errbuf)
{
	struct options *o = run->o;
	struct kside *k = run->kside;
	if (!k)
		return ws_error(errbuf, "the kernel's side was not opened");
	if (k->indexed)
		rc_kernel_free(&k->rk);
	k->indexed = false;
	if (kernel_host_read(&k->host, o->proc_root, kside_parts(o), errbuf) < 0)
		return -1;
	if (!(k->host.have & KH_OWNERS) && !k->warned_owners) {
		fprintf(stderr, "wirestat: warning: process owners unknown: %s\n",
			k->host.owners_error);
		k->warned_owners = true;
	}
	if (!(k->host.have & KH_CONNTRACK) && !k->warned_ct) {
		fprintf(stderr, "wirestat: warning: no conntrack table: %s; %s\n",
			k->host.ct_error,
			k->ctev ? "NAT followed from the event stream only"
				: "NAT not followed");
		k->warned_ct = true;
	}
	ct_recent(k); /* also when a dump fails: after -Z, events only */
	memset(&k->rk, 0, sizeof(k->rk));
	k->rk.sockets = &k->host.sockets;
	k->rk.owners = k->host.have & KH_OWNERS ? &k->host.owners : NULL;
	k->rk.ct = k->host.have & KH_CONNTRACK || k->ctev ? &k->host.ct
							   : NULL;
	k->rk.addrs = &k->host.addrs;
	if (rc_kernel_build(&k->rk, errbuf) < 0)
		return -1;
	k->indexed = true;
	/* With -I, only the captured interfaces' addresses can show their
	 * sockets on the wire (wildcard sockets stay in). */
	k->scoped = o->nifaces > 0;
	if (k->scoped) {
		kernel_addrs_free(&k->scope);
		kernel_addrs_init(&k->scope, KERNEL_MAX_ADDRS);
		for (size_t i = 0; i < k->host.addrs.n; i++) {
			const struct kernel_addr *a = &k->host.addrs.v[i];
			if (captured_iface(o, a->iface))
				kernel_addrs_add(&k->scope, &a->addr,
						 a->prefix_len, a->iface);
		}
		kernel_addrs_sort(&k->scope);
	}
	return 0;
}

/* One comparison: a snapshot of each side, the verdicts and their
 * history.  The engines must be still (the main thread's, or locked). */
static int compare_tick(struct run *run, ws_time now, char *errbuf)
{
	struct kside *k = run->kside;
	struct rc_wire *wire;
	size_t nwire;
	struct rc_result res;
	if (!k || kside_snapshot(run, errbuf) < 0)
		return -1;
	if (report_wire_sockets(run->engines, run->nw, &wire, &nwire) < 0)
		return ws_error(errbuf, "out of memory for the comparison");
	struct rc_input in = {
		.wire = wire,
		.nwire = nwire,
		.kernel = &k->rk,
		.scope = k->scoped ? &k->scope : NULL,
		.now = now,
		.settle = RC_SETTLE,
		.first = !k->compared,
	};
	int r = reconcile(&in, &k->hist, &res, errbuf);
	free(wire);
	if (r < 0)
		return -1;
	rc_result_free(&k->res);
	free(k->hist.v);
	k->hist = res.hist;
	res.hist = (struct rc_history){0};
	k->res = res;
	k->compared = true;
	k->next = now + WS_SEC(1);
	return 0;
}

/* -o/-b with --conn or --events: a fresh snapshot for the records and
 * events printed from now on (the owner of a connection that ends is
 * the one the last snapshot saw). */
static void printers_snapshot(struct run *run)
{
	struct kside *k = run->kside;
	char errbuf[WS_ERRBUF_SIZE];
	const struct rc_kernel *rk = NULL;
	if (kside_snapshot(run, errbuf) == 0)
		rk = &k->rk;
	else if (!k->warned_owners) {
		fprintf(stderr, "wirestat: warning: no process owners: %s\n",
			errbuf);
		k->warned_owners = true;
	}
	report_conn_kernel(run->conns, rk);
	report_events_kernel(run->events, rk);
}

/* The kernel's side is read once a second while live: --compare's
 * settling time is measured between reports too, and -o/-b's owners
 * of --conn records and --events stay current.  The engines must be
 * still. */
static int kside_due(struct run *run, ws_time now)
{
	struct options *o = run->o;
	struct kside *k = run->kside;
	if (now < k->next)
		return 0;
	if (o->compare) {
		char errbuf[WS_ERRBUF_SIZE];
		if (compare_tick(run, now, errbuf) < 0) {
			fprintf(stderr, "wirestat: %s\n", errbuf);
			return -1;
		}
	} else if ((o->conn || o->events) &&
		   (o->report.pid || o->report.program)) {
		printers_snapshot(run);
		k->next = now + WS_SEC(1);
	} else {
		k->next = INT64_MAX; /* the socket view reads it per report */
	}
	return 0;
}

/* -e beside /proc/net/dev: per captured interface, what the wire showed
 * and what the kernel counted over the same period. */
static size_t dev_rows(struct run *run, const struct kernel_ifaces *now,
		       struct rc_counter_row *rows, size_t max)
{
	static const struct {
		const char *key;
		int dir;     /* STATS_RX or STATS_TX, -1: none on the wire */
		int what;    /* 0 bytes, 1 packets, 2 non-unicast, 3 errors */
		int kdev;
	} map[] = {
		{"rx_bytes", STATS_RX, 0, KDEV_RX_BYTES},
		{"rx_packets", STATS_RX, 1, KDEV_RX_PACKETS},
		{"rx_multicast", STATS_RX, 2, KDEV_RX_MULTICAST},
		{"rx_errors", STATS_RX, 3, KDEV_RX_ERRS},
		{"rx_dropped", -1, 0, KDEV_RX_DROP},
		{"tx_bytes", STATS_TX, 0, KDEV_TX_BYTES},
		{"tx_packets", STATS_TX, 1, KDEV_TX_PACKETS},
		{"tx_errors", STATS_TX, 3, KDEV_TX_ERRS},
		{"tx_dropped", -1, 0, KDEV_TX_DROP},
	};
	struct kside *k = run->kside;
	const struct options *o = run->o;
	struct link_stats links[STATS_MAX_LINKS];
	size_t nl = report_wire_links(run->engines, run->nw, links,
				      STATS_MAX_LINKS);
	size_t n = 0;
	for (size_t i = 0; i < o->nifaces && i < nl; i++) {
		const struct kernel_iface *a = kernel_iface_find(&k->dev0,
								 o->ifaces[i]);
		const struct kernel_iface *b = kernel_iface_find(now,
								 o->ifaces[i]);
		uint64_t d[KDEV_MAX] = {0};
		if (a && b)
			kernel_iface_delta(a, b, d);
		const struct link_stats *l = &links[i];
		for (size_t m = 0; m < WS_ARRAY_SIZE(map) && n < max; m++) {
			struct rc_counter_row *r = &rows[n++];
			memset(r, 0, sizeof(*r));
			r->group = o->ifaces[i];
			r->key = map[m].key;
			snprintf(r->section, sizeof(r->section), "dev");
			snprintf(r->name, sizeof(r->name), "%s",
				 kernel_dev_counter_names[map[m].kdev]);
			r->kernel_known = a && b;
			r->kernel = (int64_t)d[map[m].kdev];
			int dir = map[m].dir;
			r->wire_known = dir >= 0 && l->saw_direction;
			if (!r->wire_known)
				continue;
			switch (map[m].what) {
			case 0:
				r->wire = l->bytes[dir];
				break;
			case 1:
				r->wire = l->unicast[dir] + l->nonunicast[dir];
				break;
			case 2:
				r->wire = l->nonunicast[dir];
				break;
			default:
				r->wire = l->errors[dir];
			}
		}
	}
	return n;
}

/* --compare -s: what the kernel's readers made of the last snapshot
 * (records read, lines and processes skipped by reason, caps reached) and
 * of conntrack's event stream since the start; zero lines are left out
 * of the table. */
static int kernel_counters_report(struct run *run)
{
	static const char *const ids[] = {"kernel_sockets", "kernel_owners",
					  "kernel_conntrack",
					  "kernel_conntrack_events"};
	static const char *const titles[] = {
		"wirestat Kernel Side: Sockets", "wirestat Kernel Side: Owners",
		"wirestat Kernel Side: Conntrack",
		"wirestat Kernel Side: Conntrack Events"};
	static struct counter_line lines[4][KR_MAX];
	struct kside *k = run->kside;
	const uint64_t *src[4] = {
		k->host.sockets.counters, k->host.owners.counters,
		k->host.ct.counters,
		k->ctev ? kernel_ct_events_counters(k->ctev) : NULL};
	struct counter_group groups[4];
	size_t ng = 0;
	for (size_t g = 0; g < 4; g++) {
		if (!src[g])
			continue;
		for (int i = 0; i < KR_MAX; i++)
			lines[g][i] = (struct counter_line){
				.key = kernel_reason_names[i],
				.known = true,
				.table = i == KR_RECORDS ? COUNTER_SHOW
							 : COUNTER_HIDE_ZERO,
				.value = src[g][i],
			};
		groups[ng++] = (struct counter_group){
			.id = ids[g], .title = titles[g],
			.lines = lines[g], .n = KR_MAX};
	}
	return report_counter_groups(stdout, run->o->report.format, groups,
				     ng);
}

/* --compare -s / -e: the wire's counters beside the kernel's deltas
 * since observation began. */
static int compare_counters(struct run *run)
{
	struct options *o = run->o;
	struct kside *k = run->kside;
	char errbuf[WS_ERRBUF_SIZE];
	enum { MAXW = 512 };
	struct rc_counter_row rows[MAXW];
	int r = 0;
	if (o->ethernet) {
		struct kernel_ifaces now;
		kernel_ifaces_init(&now, KERNEL_MAX_IFACES);
		if (!k->have_dev0 || kernel_read_dev(o->proc_root, &now, errbuf) < 0) {
			fprintf(stderr, "wirestat: %s\n",
				k->have_dev0 ? errbuf : "no /proc/net/dev "
							"as observation began");
			r = -1;
		} else {
			size_t n = dev_rows(run, &now, rows, MAXW);
			r = report_compare_counters(stdout, rows, n,
						    "Wire vs Kernel: Interfaces",
						    &o->report);
		}
		kernel_ifaces_free(&now);
	}
	if (o->stats && r == 0) {
		struct kernel_snmp now, delta;
		kernel_snmp_init(&now, KERNEL_MAX_COUNTERS);
		kernel_snmp_init(&delta, KERNEL_MAX_COUNTERS);
		if (!k->have_snmp0 ||
		    kernel_read_snmp(o->proc_root, &now, errbuf) < 0 ||
		    kernel_snmp_delta(&k->snmp0, &now, &delta, errbuf) < 0) {
			fprintf(stderr, "wirestat: %s\n",
				k->have_snmp0 ? errbuf : "no /proc/net/snmp "
							 "as observation began");
			r = -1;
		} else {
			struct rc_wire_counter wire[MAXW];
			size_t nw = report_wire_counters(run->engines, run->nw,
							 &o->report, wire, MAXW);
			size_t n = rc_counters(wire, nw, &delta, &now, rows);
			r = report_compare_counters(stdout, rows, n,
						    "Wire vs Kernel: Protocols",
						    &o->report);
		}
		kernel_snmp_free(&now);
		kernel_snmp_free(&delta);
	}
	if (o->stats && r == 0)
		r = kernel_counters_report(run);
	return r;
}

/* --compare's report: a comparison made now, printed. */
static int compare_report(struct run *run)
{
	char errbuf[WS_ERRBUF_SIZE];
	if (run->o->stats || run->o->ethernet)
		return compare_counters(run);
	if (compare_tick(run, wall_clock(), errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		return -1;
	}
	return report_compare(stdout, &run->kside->res, &run->kside->rk,
			      &run->o->report);
}

/* The kernel's side as observation begins: this host's addresses (the
 * engines take their point of view for -s, and each captured interface's
 * MAC tells -e what it sent), and --compare's first snapshot later. */
static int kside_open(struct run *run, char *errbuf)
{
	struct options *o = run->o;
	struct kside *k = calloc(1, sizeof(*k));
	if (!k)
		return ws_error(errbuf, "out of memory");
	run->kside = k;
	kernel_host_init(&k->host);
	kernel_addrs_init(&k->scope, KERNEL_MAX_ADDRS);
	kernel_snmp_init(&k->snmp0, KERNEL_MAX_COUNTERS);
	kernel_ifaces_init(&k->dev0, KERNEL_MAX_IFACES);
	/* the event stream, before the first dump: nothing falls between */
	k->recent = calloc(CT_RECENT_MAX, sizeof(*k->recent));
	k->recent_ts = calloc(CT_RECENT_MAX, sizeof(*k->recent_ts));
	if (!k->recent || !k->recent_ts)
		return ws_error(errbuf, "out of memory");
	k->ctev = kernel_ct_events_open(errbuf); /* NULL: dumps only */
	if (!o->compare)
		return 0;
	if (kernel_read_addrs(&k->host.addrs, errbuf) < 0)
		return -1;
	if (!o->nhosts && k->host.addrs.n) {
		k->hosts = calloc(k->host.addrs.n, sizeof(*k->hosts));
		if (!k->hosts)
			return ws_error(errbuf, "out of memory");
		for (size_t i = 0; i < k->host.addrs.n; i++) {
			k->hosts[i].addr = k->host.addrs.v[i].addr;
			k->hosts[i].len =
				k->host.addrs.v[i].addr.family == ADDR_V6 ? 128 : 32;
		}
		o->engine.hosts = k->hosts;
		o->engine.nhosts = k->host.addrs.n;
	}
	if (o->nifaces) {
		k->macs = calloc(o->nifaces, sizeof(*k->macs));
		if (!k->macs)
			return ws_error(errbuf, "out of memory");
		for (size_t i = 0; i < o->nifaces && i < 32; i++) {
			const uint8_t *mac = kernel_addrs_mac(&k->host.addrs,
							      o->ifaces[i]);
			if (!mac)
				continue;
			memcpy(k->macs[i], mac, 6);
			o->engine.link_has_mac |= UINT32_C(1) << i;
		}
		o->engine.link_macs = (const uint8_t(*)[6])k->macs;
	}
	return 0;
}

/* --compare as observation begins (the capture open): the kernel's
 * sockets that predate it, and -s/-e's counters to count from. */
static int kside_baseline(struct run *run, char *errbuf)
{
	struct options *o = run->o;
	struct kside *k = run->kside;
	if (!k)
		return ws_error(errbuf, "the kernel's side was not opened");
	if (o->stats)
		k->have_snmp0 = kernel_read_snmp(o->proc_root, &k->snmp0,
						 errbuf) == 0;
	if (o->ethernet)
		k->have_dev0 = kernel_read_dev(o->proc_root, &k->dev0,
					       errbuf) == 0;
	return compare_tick(run, wall_clock(), errbuf);
}

static void kside_free(struct kside *k)
{
	if (!k)
		return;
	if (k->indexed)
		rc_kernel_free(&k->rk);
	rc_result_free(&k->res);
	free(k->hist.v);
	kernel_host_free(&k->host);
	kernel_addrs_free(&k->scope);
	kernel_snmp_free(&k->snmp0);
	kernel_ifaces_free(&k->dev0);
	free(k->hosts);
	free(k->macs);
	kernel_ct_events_close(k->ctev);
	free(k->recent);
	free(k->recent_ts);
	free(k);
}

/* -e names each link by its input. */
static int ethernet_report(struct run *run)
{
	const struct capture *cap = run->w[0].cap;
	size_t n = capture_inputs(cap);
	const char **names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		return -1;
	for (size_t i = 0; i < n; i++)
		names[i] = capture_input_name(cap, i);
	int r = report_interfaces(stdout, run->engines, run->nw,
				  &run->o->report, names, n);
	free(names);
	return r;
}

/* The names of the capture's inputs (interfaces, files). */
static const char **input_names(const struct run *run, size_t *n)
{
	const struct capture *cap = run->w[0].cap;
	*n = capture_inputs(cap);
	const char **names = calloc(*n ? *n : 1, sizeof(*names));
	for (size_t i = 0; names && i < *n; i++)
		names[i] = capture_input_name(cap, i);
	return names;
}

/* -r with a capture: the kernel's routes, then the gateways the frames
 * went through (off-link judged by the routes when live: they are this
 * host's). */
static int routes_report(struct run *run)
{
	struct options *o = run->o;
	struct kernel_routes routes;
	char errbuf[WS_ERRBUF_SIZE];
	size_t n;
	int r = -1;
	kernel_routes_init(&routes, KERNEL_MAX_ROUTES);
	if (kernel_read_routes(o->proc_root, &routes, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		goto out_free;
	}
	const char **names = input_names(run, &n);
	if (!names)
		goto out_free;
	for (size_t i = 0; i < run->nw; i++)
		engine_sync(run->engines[i]);
	if (report_routes(stdout, &routes, &o->report) == 0 &&
	    report_gateways(stdout, run->engines, run->nw,
			    capture_is_live(run->w[0].cap) ? &routes : NULL,
			    &o->report, names, n) == 0)
		r = 0;
	free(names);
out_free:
	kernel_routes_free(&routes);
	return r;
}

/* Each interval report starts with a line giving its time and what the
 * capture and the flow tables had to let go. */
static void report_header(struct run *run)
{
	const struct stats *s = &run->engines[0]->stats;
	uint64_t evicted = 0, packets = 0;
	char when[48], drops[96];
	for (size_t i = 0; i < run->nw; i++) {
		const uint64_t *fc = flow_counters(run->engines[i]->flows);
		evicted += fc[FC_EVICTED_SHORT] + fc[FC_EVICTED_LONG];
		packets += run->engines[i]->stats.packets;
	}
	report_time(engines_now(run->engines, run->nw), when, sizeof(when));
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
		       run->reports, when, packets);
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
		       run->reports, when, packets, drops, evicted);
		break;
	case EMIT_TABLE:
		printf("\nwirestat report %u at %s UTC: %" PRIu64
		       " packets, %s, %" PRIu64 " flows evicted\n",
		       run->reports, when, packets, drops, evicted);
		break;
	}
}

/* The capture's own counters (drops, filtered), summed over the workers'
 * captures, go to the first engine, whose stats carry them. */
static void capture_counters(struct run *run)
{
	struct stats *s = &run->engines[0]->stats;
	s->drops_known = false;
	s->kernel_received = s->kernel_dropped = s->if_dropped = 0;
	s->filtered = 0;
	for (size_t i = 0; i < run->nw; i++) {
		struct capture_drops d;
		capture_stats(run->w[i].cap, &d);
		s->drops_known |= d.known;
		s->kernel_received += d.received;
		s->kernel_dropped += d.dropped;
		s->if_dropped += d.if_dropped;
		s->filtered += d.filtered;
	}
}

static int report(struct run *run, bool last)
{
	struct options *o = run->o;
	int r = 0;
	capture_counters(run);
	if (run->ipfix && last)
		ipfix_flush(run->ipfix); /* -s counts what was sent */
	run->reports++;
	if (o->interval)
		report_header(run);
	if (o->compare) {
		r = compare_report(run);
	} else if (o->routes) {
		r = routes_report(run);
		if (o->ethernet && r == 0)
			r = ethernet_report(run);
		if (o->stats && r == 0)
			r = report_stats(stdout, run->engines, run->nw,
					 &o->report);
	} else if (o->events) {
		for (size_t i = 0; i < run->nw; i++)
			engine_sync(run->engines[i]); /* the timers due */
	} else if (o->conn) {
		for (size_t i = 0; i < run->nw && !last; i++)
			engine_conn_snapshot(run->engines[i]); /* still open */
	} else if (o->names) {
		r = report_names(stdout, run->engines, run->nw, &o->report);
	} else if (o->stats || o->ethernet) {
		/* netstat -e -s prints both, the interfaces first */
		if (o->ethernet)
			r = ethernet_report(run);
		if (o->stats && r == 0)
			r = report_stats(stdout, run->engines, run->nw,
					 &o->report);
	} else {
		o->report.kernel = NULL; /* -o/-b offline: owners unknown */
		if (run->kside && (o->report.pid || o->report.program)) {
			char errbuf[WS_ERRBUF_SIZE];
			if (kside_snapshot(run, errbuf) == 0)
				o->report.kernel = &run->kside->rk;
			else
				fprintf(stderr, "wirestat: warning: no process "
						"owners: %s\n", errbuf);
		}
		r = report_sockets(stdout, run->engines, run->nw, &o->report);
	}
	if (fflush(stdout) != 0)
		r = -1;
	return r;
}

/* Live, at a stop: what the kernel captured up to STOP_TS is read and
 * processed, including the ring block it has not handed over yet (it does
 * within the capture's settle time).  Later packets are not the run's. */
static void drain(struct worker *w, ws_time stop_ts, ws_time deadline)
{
	struct capture_packet pkt;
	for (;;) {
		int r = capture_next(w->cap, &pkt, w->errbuf);
		if (r == 1) {
			if (pkt.ts <= stop_ts)
				engine_packet(&w->eng, pkt.input, pkt.dlt,
					      pkt.ts, pkt.data, pkt.caplen,
					      pkt.len);
			continue;
		}
		ws_time now = wall_clock();
		if (r != CAPTURE_AGAIN || now >= deadline)
			break;
		capture_wait(w->cap, (int)((deadline - now) / 1000000) + 1);
	}
}

/* Live timekeeping, on the wall clock: 1 when --duration is over, -1 when
 * a report failed, else 0 (with the interval's report made when due). */
static int live_clock(struct run *run, struct worker *w, ws_time start,
		      ws_time *next)
{
	struct options *o = run->o;
	ws_time now = wall_clock();
	if (o->duration && now >= start + o->duration)
		return 1;
	if (run->kside && kside_due(run, now) < 0)
		return -1;
	if (o->interval && now >= *next) {
		engine_tick(&w->eng, now);
		if (report(run, false) < 0)
			return -1;
		while (*next <= now)
			*next += o->interval;
	}
	return 0;
}

/* Packets between two looks at the clock while a live capture is busy: a
 * sensor that never finds its ring empty still reports on time. */
#define CLOCK_EVERY 1024

/* Read until the input ends or a stop (signal, -c, --duration), reporting
 * every interval: the whole run on the main thread.  Returns the exit
 * status. */
static int run_capture(struct run *run)
{
	struct options *o = run->o;
	struct worker *w = &run->w[0];
	struct capture_packet pkt;
	char errbuf[WS_ERRBUF_SIZE];
	bool live = capture_is_live(w->cap);
	ws_time start = live ? wall_clock() : 0, next = 0;
	ws_time stop_ts = 0; /* live: drain up to here before the report */
	int status = EXIT_OK, c;

	if (live && o->interval)
		next = start + o->interval;
	while (!stop_requested) {
		int r = capture_next(w->cap, &pkt, errbuf);
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
			engine_packet(&w->eng, pkt.input, pkt.dlt, pkt.ts,
				      pkt.data, pkt.caplen, pkt.len);
			if (o->count && ++w->packets >= o->count)
				break;
			if (live && ++w->since_clock >= CLOCK_EVERY) {
				w->since_clock = 0;
				if ((c = live_clock(run, w, start, &next)) < 0)
					return EXIT_RUNTIME;
				if (c > 0) {
					stop_ts = start + o->duration;
					break;
				}
			}
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
			engine_tick(&w->eng, wall_clock());
			engine_finish(&w->eng);
			report(run, true);
			return EXIT_RUNTIME;
		}
		/* live, nothing ready: what is pending is processed now (its
		 * --events and --conn lines written, IPFIX records sent when
		 * due), then wait */
		engine_flush(&w->eng);
		if (run->ipfix)
			ipfix_tick(run->ipfix, wall_clock());
		if ((c = live_clock(run, w, start, &next)) < 0)
			return EXIT_RUNTIME;
		if (c > 0) {
			stop_ts = start + o->duration;
			break;
		}
		ws_time now = wall_clock();
		ws_time until = WS_SEC(1);
		if (o->interval && next - now < until)
			until = next - now;
		if (o->duration && start + o->duration - now < until)
			until = start + o->duration - now;
		capture_wait(w->cap, (int)(until / 1000000) + 1);
	}
	if (live && stop_requested)
		stop_ts = wall_clock();
	if (live && stop_ts)
		drain(w, stop_ts, wall_clock() + capture_settle_time(w->cap));
	if (live)
		engine_tick(&w->eng, stop_ts ? stop_ts : wall_clock());
	engine_finish(&w->eng);
	if (report(run, true) < 0) {
		fprintf(stderr, "wirestat: cannot write the report: %s\n",
			strerror(errno));
		status = EXIT_RUNTIME;
	}
	return status;
}

/* A worker of --workers: read and process its share of the packets,
 * holding its lock while it works, until told to stop. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct capture_packet pkt;
	while (!stop_requested) {
		int r = 1;
		pthread_mutex_lock(&w->lock);
		for (int i = 0; i < 256 && !stop_requested; i++) {
			r = capture_next(w->cap, &pkt, w->errbuf);
			if (r != 1)
				break;
			engine_packet(&w->eng, pkt.input, pkt.dlt, pkt.ts,
				      pkt.data, pkt.caplen, pkt.len);
			__atomic_add_fetch(&w->packets, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&w->lock);
		if (r < 0) {
			w->failed = true;
			stop_requested = 1;
			break;
		}
		if (r == CAPTURE_AGAIN) {
			pthread_mutex_lock(&w->lock); /* as in run_capture */
			engine_flush(&w->eng);
			pthread_mutex_unlock(&w->lock);
			capture_wait(w->cap, 100);
		}
	}
	return NULL;
}

static void lock_workers(struct run *run, ws_time now)
{
	for (size_t i = 0; i < run->nw; i++) {
		pthread_mutex_lock(&run->w[i].lock);
		engine_tick(&run->w[i].eng, now);
	}
}

static void unlock_workers(struct run *run)
{
	for (size_t i = 0; i < run->nw; i++)
		pthread_mutex_unlock(&run->w[i].lock);
}

/* --workers: the workers read, the main thread keeps time and reports. */
static int run_workers(struct run *run)
{
	struct options *o = run->o;
	ws_time start = wall_clock();
	ws_time next = o->interval ? start + o->interval : 0;
	ws_time stop_ts = 0; /* drain up to here before the report */
	int status = EXIT_OK;
	size_t started = 0;

	for (; started < run->nw; started++)
		if (pthread_create(&run->w[started].thread, NULL, worker_main,
				   &run->w[started]) != 0)
			break;
	if (started < run->nw) {
		fputs("wirestat: cannot start the capture threads\n", stderr);
		stop_requested = 1;
		status = EXIT_RUNTIME;
	}
	while (!stop_requested) {
		struct timespec nap = {0, 50000000L};
		nanosleep(&nap, NULL);
		ws_time now = wall_clock();
		uint64_t packets = 0;
		for (size_t i = 0; i < run->nw; i++)
			packets += __atomic_load_n(&run->w[i].packets,
						   __ATOMIC_RELAXED);
		if (o->duration && now >= start + o->duration) {
			stop_ts = start + o->duration;
			break;
		}
		if (o->count && packets >= o->count)
			break;
		if (run->ipfix) {
			pthread_mutex_lock(&run->out);
			ipfix_tick(run->ipfix, now);
			pthread_mutex_unlock(&run->out);
		}
		if (run->kside && now >= run->kside->next) {
			lock_workers(run, now);
			int r = kside_due(run, now);
			unlock_workers(run);
			if (r < 0) {
				status = EXIT_RUNTIME;
				break;
			}
		}
		if (o->interval && now >= next) {
			lock_workers(run, now);
			int r = report(run, false);
			unlock_workers(run);
			if (r < 0) {
				status = EXIT_RUNTIME;
				break;
			}
			while (next <= now)
				next += o->interval;
		}
	}
	if (stop_requested && !stop_ts)
		stop_ts = wall_clock(); /* a signal */
	stop_requested = 1;
	for (size_t i = 0; i < started; i++)
		pthread_join(run->w[i].thread, NULL);
	bool failed = false;
	for (size_t i = 0; i < run->nw; i++) {
		if (run->w[i].failed) {
			fprintf(stderr, "wirestat: capture failed: %s\n",
				run->w[i].errbuf);
			status = EXIT_RUNTIME;
			failed = true;
		}
	}
	if (!failed && stop_ts) {
		ws_time deadline = wall_clock() + capture_settle_time(run->w[0].cap);
		for (size_t i = 0; i < run->nw; i++)
			drain(&run->w[i], stop_ts, deadline);
	}
	for (size_t i = 0; i < run->nw; i++) {
		engine_tick(&run->w[i].eng, stop_ts ? stop_ts : wall_clock());
		engine_finish(&run->w[i].eng);
	}
	if (report(run, true) < 0)
		status = EXIT_RUNTIME;
	return status;
}

/* -r alone: the kernel's routing tables, as netstat -r prints them. */
static int routes_only(const struct options *o)
{
	struct kernel_routes routes;
	char errbuf[WS_ERRBUF_SIZE];
	int status = EXIT_OK;
	kernel_routes_init(&routes, KERNEL_MAX_ROUTES);
	if (kernel_read_routes(o->proc_root, &routes, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_USAGE;
	} else if (report_routes(stdout, &routes, &o->report) < 0 ||
		   fflush(stdout) != 0) {
		fprintf(stderr, "wirestat: cannot write the report: %s\n",
			strerror(errno));
		status = EXIT_RUNTIME;
	}
	kernel_routes_free(&routes);
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

/* Open every worker's capture (with --workers, each joined to the same
 * fanout groups) and engine (each with its share of the flow cap). */
static int setup_workers(struct run *run, char *errbuf)
{
	struct options *o = run->o;
	struct engine_config cfg = o->engine;
	uint16_t *groups; /* fanout group IDs, one per interface */
	run->w = calloc(run->nw, sizeof(*run->w));
	run->engines = calloc(run->nw, sizeof(struct engine *));
	groups = calloc(o->nifaces ? o->nifaces : 1, sizeof(*groups));
	if (!run->w || !run->engines || !groups) {
		free(groups);
		return ws_error(errbuf, "out of memory");
	}
	if (run->nw > 1 && cfg.max_flows)
		cfg.max_flows = (cfg.max_flows + run->nw - 1) / run->nw;
	else if (run->nw > 1)
		cfg.max_flows = (FLOW_DEFAULT_MAX + run->nw - 1) / run->nw;
	for (size_t i = 0; i < run->nw; i++) {
		struct worker *w = &run->w[i];
		w->run = run;
		pthread_mutex_init(&w->lock, NULL);
		w->cap = open_capture(o, errbuf);
		if (!w->cap || (run->nw > 1 &&
				capture_fanout(w->cap, groups, errbuf) < 0)) {
			free(groups);
			return -EXIT_USAGE;
		}
	}
	free(groups);
	if (o->user && drop_privileges(o->user, errbuf) < 0)
		return -EXIT_RUNTIME;
	for (size_t i = 0; i < run->nw; i++) {
		if (engine_init(&run->w[i].eng, &cfg, errbuf) < 0)
			return -EXIT_RUNTIME;
		run->engines[i] = &run->w[i].eng;
	}
	return 0;
}

/* Where the connection records and events go: straight to the printer,
 * or, with several workers, through the output lock. */
static int setup_printers(struct run *run)
{
	struct options *o = run->o;
	bool live = capture_is_live(run->w[0].cap);
	bool shared = run->nw > 1;
	pthread_mutex_init(&run->out, NULL);
	if (o->conn) {
		run->conns = report_conn_begin(stdout, &o->report, live);
		if (!run->conns)
			return -1;
		report_conn_names(run->conns, run->engines, run->nw);
	}
	for (size_t i = 0; o->engine.conn && i < run->nw; i++)
		engine_on_conn(run->engines[i], on_conn, run);
	if (o->events) {
		run->events = report_events_begin(stdout, &o->report, live);
		if (!run->events)
			return -1;
		for (size_t i = 0; i < run->nw; i++)
			engine_on_event(run->engines[i],
					shared ? locked_event : report_event,
					shared ? (void *)run : run->events);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	char errbuf[WS_ERRBUF_SIZE];
	struct services *services = NULL;
	struct run run = {.o = &o};
	int status = EXIT_OK, r;

	parse_options(argc, argv, &o);
	if (!o.report.numeric) {
		/* Port names are a nicety: without the file, numbers. */
		services = services_load(SERVICES_DEFAULT_PATH, errbuf);
		o.report.services = services;
	}
	if (o.ipfix) {
		run.ipfix = ipfix_open(o.ipfix, 1, errbuf);
		if (!run.ipfix) {
			fprintf(stderr, "wirestat: %s\n", errbuf);
			status = EXIT_USAGE;
			goto out_free;
		}
		o.report.ipfix_counters = ipfix_counters(run.ipfix);
	}
	if (o.routes && !o.nfiles && !o.nifaces && !o.interval &&
	    !o.duration && !o.count) {
		/* netstat -r: the kernel's tables, no capture */
		status = routes_only(&o);
		goto out_free;
	}
	if (o.routes)
		o.engine.max_nexthops = NEXTHOP_DEFAULT_MAX;
	if (!o.nfiles && (o.compare || o.report.pid || o.report.program) &&
	    kside_open(&run, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_RUNTIME;
		goto out_free;
	}
	run.nw = o.workers ? o.workers : 1;
	r = setup_workers(&run, errbuf);
	if (r < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = -r;
		goto out_free;
	}
	if (o.compare && kside_baseline(&run, errbuf) < 0) {
		fprintf(stderr, "wirestat: %s\n", errbuf);
		status = EXIT_RUNTIME;
		goto out_free;
	}
	if (o.report.resolve == REPORT_RESOLVE_ACTIVE) {
		/* after -Z: the threads run as the user too */
		struct resolver_config rc = {0};
		o.report.resolver = resolver_new(&rc, errbuf);
		if (!o.report.resolver) {
			fprintf(stderr, "wirestat: %s\n", errbuf);
			status = EXIT_RUNTIME;
			goto out_free;
		}
	}
	if (setup_printers(&run) < 0) {
		fputs("wirestat: out of memory\n", stderr);
		status = EXIT_RUNTIME;
		goto out_free;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	status = run.nw > 1 ? run_workers(&run) : run_capture(&run);
	if ((run.conns && report_conn_end(run.conns) < 0) ||
	    (run.events && report_events_end(run.events) < 0))
		status = EXIT_RUNTIME;
	run.conns = NULL;
	run.events = NULL;
out_free:
	report_conn_end(run.conns);
	report_events_end(run.events);
	for (size_t i = 0; run.w && i < run.nw; i++) {
		if (run.engines && run.engines[i])
			engine_free(&run.w[i].eng);
		capture_close(run.w[i].cap);
		pthread_mutex_destroy(&run.w[i].lock);
	}
	resolver_free(o.report.resolver);
	kside_free(run.kside);
	free(run.w);
	free(run.engines);
	ipfix_close(run.ipfix);
	services_free(services);
	free(o.files);
	free(o.ifaces);
	free(o.hosts);
	free(o.ports);
	return status;
}

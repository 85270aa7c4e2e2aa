/* capture.c - where packets come from: pcap/pcapng files and live
 * interfaces through libpcap, merged by timestamp behind one interface.
 *
 * Files are read in timestamp order across inputs.  Live interfaces are
 * read without blocking (capture_wait() sleeps until one is readable),
 * and their packets merged by timestamp among those ready.  A filter
 * (-F) runs in the kernel for live inputs and here for files, so that
 * the packets it drops from a file are counted.
 */
#include "wirestat/capture.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "wirestat/decode.h"

struct capture_input {
	pcap_t *pcap;
	char *name;
	int dlt;
	bool live;
	bool has_head; /* head/head_hdr hold its next packet */
	bool done;
	struct pcap_pkthdr *head_hdr;
	const u_char *head;
	struct bpf_program filter; /* files: applied here (has_filter) */
	bool has_filter;
};

#define CAPTURE_BLOCK_MS 100 /* TPACKET_V3 block timeout */
#define CAPTURE_FAST_MS 10   /* ... for --events and --conn */

struct capture {
	struct capture_input *in;
	size_t n;
	bool live;
	ws_time hold; /* live, several inputs: how long a packet may wait in
			 another input's unfinished block */
	ws_time release_at; /* CAPTURE_AGAIN on hold: when it is due */
	struct capture_input *last; /* returned last: advance it next time */
	uint64_t filtered;	    /* file packets the filter dropped */
};

static void input_close(struct capture_input *in)
{
	if (in->pcap)
		pcap_close(in->pcap);
	in->pcap = NULL;
	in->done = true;
	in->has_head = false;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->in[i].has_filter)
			pcap_freecode(&c->in[i].filter);
		input_close(&c->in[i]);
		free(c->in[i].name);
	}
	free(c->in);
	free(c);
}

/* Check the link type of a freshly opened input. */
static int input_setup(struct capture_input *in, char *errbuf)
{
	in->dlt = pcap_datalink(in->pcap);
	if (!decode_linktype_supported(in->dlt)) {
		const char *name = pcap_datalink_val_to_name(in->dlt);
		return ws_error(errbuf,
				"%s: link type %s (%d) is not supported "
				"(Ethernet, Linux cooked, raw IP and BSD "
				"loopback are)",
				in->name, name ? name : "unknown", in->dlt);
	}
	return 0;
}

static struct capture *capture_alloc(size_t n, char *errbuf)
{
	struct capture *c = calloc(1, sizeof(*c));
	if (c)
		c->in = calloc(n, sizeof(*c->in));
	if (!c || !c->in) {
		free(c);
		ws_error(errbuf, "out of memory opening the capture");
		return NULL;
	}
	c->n = n;
	return c;
}

struct capture *capture_open_files(const char *const *paths, size_t n,
				   char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE];
	size_t stdin_count = 0;
	if (n == 0) {
		ws_error(errbuf, "no capture file given");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		stdin_count += strcmp(paths[i], "-") == 0;
	if (stdin_count > 1) {
		ws_error(errbuf, "standard input ('-') can be read only once");
		return NULL;
	}
	struct capture *c = capture_alloc(n, errbuf);
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct capture_input *in = &c->in[i];
		in->name = strdup(strcmp(paths[i], "-") ? paths[i]
							 : "standard input");
		if (!in->name) {
			ws_error(errbuf, "out of memory opening the capture");
			goto out_close;
		}
		perr[0] = '\0';
		in->pcap = pcap_open_offline_with_tstamp_precision(
			paths[i], PCAP_TSTAMP_PRECISION_NANO, perr);
		if (!in->pcap) {
			/* libpcap may name the file itself: once is enough */
			size_t plen = strlen(paths[i]);
			const char *why = perr;
			if (strncmp(perr, paths[i], plen) == 0 &&
			    strncmp(perr + plen, ": ", 2) == 0)
				why = perr + plen + 2;
			ws_error(errbuf, "cannot read capture %s: %s", in->name,
				 why);
			goto out_close;
		}
		if (input_setup(in, errbuf) < 0)
			goto out_close;
	}
	return c;
out_close:
	capture_close(c);
	return NULL;
}

struct capture *capture_open_stream(FILE *fp, const char *name, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct capture *c = capture_alloc(1, errbuf);
	if (!c)
		return NULL;
	struct capture_input *in = &c->in[0];
	in->name = strdup(name);
	perr[0] = '\0';
	in->pcap = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!in->name || !in->pcap) {
		ws_error(errbuf, "cannot read capture %s: %s", name,
			 in->pcap ? "out of memory" : perr);
		if (!in->pcap)
			fclose(fp);
		goto out_close;
	}
	if (input_setup(in, errbuf) < 0)
		goto out_close;
	return c;
out_close:
	capture_close(c);
	return NULL;
}

/* pcap_activate()'s failures, said as what is missing. */
static int activate_error(struct capture_input *in, int r, char *errbuf)
{
	const char *msg = pcap_geterr(in->pcap);
	switch (r) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return ws_error(errbuf,
				"cannot capture on %s: permission denied (it "
				"needs CAP_NET_RAW%s: run as root, or give "
				"wirestat the capabilities with setcap "
				"cap_net_raw,cap_net_admin=eip)",
				in->name,
				r == PCAP_ERROR_PROMISC_PERM_DENIED
					? " and CAP_NET_ADMIN for promiscuous "
					  "mode"
					: "");
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return ws_error(errbuf, "cannot capture on %s: no such interface",
				in->name);
	case PCAP_ERROR_IFACE_NOT_UP:
		return ws_error(errbuf, "cannot capture on %s: the interface is "
				"down", in->name);
	default:
		return ws_error(errbuf, "cannot capture on %s: %s", in->name,
				msg && *msg ? msg : pcap_statustostr(r));
	}
}

static int open_live(struct capture_input *in,
		     const struct capture_live_options *o, char *errbuf)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	in->live = true;
	in->pcap = pcap_create(in->name, perr);
	if (!in->pcap)
		return ws_error(errbuf, "cannot capture on %s: %s", in->name,
				perr);
	pcap_set_snaplen(in->pcap, o->snaplen ? o->snaplen : 262144);
	pcap_set_promisc(in->pcap, !o->no_promisc);
	/* Not libpcap's immediate mode: it means TPACKET_V2 and its
	 * fixed-size frames (64 KiB on a port with offloads: 32 in 2 MiB).
	 * TPACKET_V3 with a short block timeout instead. */
	pcap_set_timeout(in->pcap, o->immediate ? CAPTURE_FAST_MS : CAPTURE_BLOCK_MS);
	/* libpcap's 2 MiB overflows at a few hundred thousand packets per
	 * second on a busy port; a sensor's default is bigger */
	pcap_set_buffer_size(in->pcap, (o->buffer_mib ? o->buffer_mib
						      : CAPTURE_BUFFER_MIB) << 20);
	pcap_set_tstamp_precision(in->pcap, PCAP_TSTAMP_PRECISION_NANO);
	int r = pcap_activate(in->pcap);
	if (r < 0)
		return activate_error(in, r, errbuf);
	if (pcap_setnonblock(in->pcap, 1, perr) < 0)
		return ws_error(errbuf, "cannot capture on %s: %s", in->name,
				perr);
	return input_setup(in, errbuf);
}

struct capture *capture_open_live(const char *const *ifaces, size_t n,
				  const struct capture_live_options *o,
				  char *errbuf)
{
	struct capture *c = capture_alloc(n, errbuf);
	if (!c)
		return NULL;
	c->live = true;
	c->hold = (ws_time)(o->immediate ? CAPTURE_FAST_MS : CAPTURE_BLOCK_MS) *
		  3 * 1000000;
	for (size_t i = 0; i < n; i++) {
		struct capture_input *in = &c->in[i];
		in->name = strdup(ifaces[i]);
		if (!in->name) {
			ws_error(errbuf, "out of memory opening the capture");
			goto out_close;
		}
		if (open_live(in, o, errbuf) < 0)
			goto out_close;
	}
	return c;
out_close:
	capture_close(c);
	return NULL;
}

int capture_fanout(struct capture *c, uint16_t *ids, char *errbuf)
{
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		if (!in->live)
			return ws_error(errbuf, "%s: fanout needs live capture",
					in->name);
		int fd = pcap_fileno(in->pcap);
		int type = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
		if (ids[i] == 0) /* the first member: a group of our own */
			type |= PACKET_FANOUT_FLAG_UNIQUEID;
		int val = (int)(ids[i] | ((unsigned)type << 16));
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val,
			       sizeof(val)) < 0)
			return ws_error(errbuf, "%s: cannot join a fanout "
					"group: %s", in->name, strerror(errno));
		if (ids[i] == 0) {
			socklen_t len = sizeof(val);
			if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val,
				       &len) < 0)
				return ws_error(errbuf, "%s: fanout group: %s",
						in->name, strerror(errno));
			ids[i] = (uint16_t)(val & 0xffff);
		}
	}
	return 0;
}

ws_time capture_settle_time(const struct capture *c)
{
	return c->live ? c->hold : 0;
}

int capture_set_filter(struct capture *c, const char *expr, char *errbuf)
{
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		struct bpf_program prog;
		if (pcap_compile(in->pcap, &prog, expr, 1,
				 PCAP_NETMASK_UNKNOWN) < 0)
			return ws_error(errbuf, "bad filter '%s': %s", expr,
					pcap_geterr(in->pcap));
		if (in->live) { /* the kernel drops what does not match */
			int r = pcap_setfilter(in->pcap, &prog);
			pcap_freecode(&prog);
			if (r < 0)
				return ws_error(errbuf, "%s: cannot set the "
						"filter: %s", in->name,
						pcap_geterr(in->pcap));
		} else {
			if (in->has_filter)
				pcap_freecode(&in->filter);
			in->filter = prog;
			in->has_filter = true;
		}
	}
	return 0;
}

/* Read the next packet of one input into its head; -1 on error.  A live
 * input with nothing ready keeps no head and is not done. */
static int input_advance(struct capture *c, struct capture_input *in,
			 char *errbuf)
{
	in->has_head = false;
	while (!in->done) {
		int r = pcap_next_ex(in->pcap, &in->head_hdr, &in->head);
		if (r == 1) {
			if (in->has_filter &&
			    !pcap_offline_filter(&in->filter, in->head_hdr,
						 in->head)) {
				c->filtered++;
				continue;
			}
			in->has_head = true;
			return 0;
		}
		if (r == 0) /* live: nothing ready now */
			return 0;
		if (r == PCAP_ERROR) {
			ws_error(errbuf, "%s: %s", in->name,
				 pcap_geterr(in->pcap));
			input_close(in);
			return -1;
		}
		input_close(in); /* PCAP_ERROR_BREAK: end of file */
	}
	return 0;
}

/* Opened with nanosecond precision: tv_usec holds nanoseconds.  A hostile
 * file may claim any time (pcapng's 64-bit stamps reach far past 2262, the
 * end of int64 nanoseconds): such stamps are clamped. */
static ws_time head_ts(const struct capture_input *in)
{
	const ws_time max_sec = (ws_time)UINT32_MAX * 2; /* the year 2242:
					 leaves decades for timers to add */
	ws_time sec = (ws_time)in->head_hdr->ts.tv_sec;
	ws_time nsec = (ws_time)in->head_hdr->ts.tv_usec;
	if (sec < 0)
		return 0;
	if (sec > max_sec)
		sec = max_sec;
	if (nsec < 0 || nsec >= WS_NS_PER_SEC)
		nsec = 0;
	return sec * WS_NS_PER_SEC + nsec;
}

static void fill(const struct capture *c, const struct capture_input *in,
		 struct capture_packet *pkt)
{
	pkt->ts = head_ts(in);
	pkt->caplen = in->head_hdr->caplen;
	pkt->len = in->head_hdr->len;
	pkt->dlt = in->dlt;
	pkt->input = (unsigned)(in - c->in);
	pkt->data = in->head;
}

int capture_next(struct capture *c, struct capture_packet *pkt, char *errbuf)
{
	if (c->n == 1) { /* one input: nothing to merge */
		struct capture_input *in = &c->in[0];
		if (input_advance(c, in, errbuf) < 0)
			return -1;
		if (!in->has_head)
			return in->done ? 0 : CAPTURE_AGAIN;
		fill(c, in, pkt);
		return 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		if (in == c->last || (!in->has_head && !in->done)) {
			if (in == c->last)
				c->last = NULL;
			if (input_advance(c, in, errbuf) < 0)
				return -1;
		}
	}
	struct capture_input *best = NULL;
	bool waiting = false;
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		waiting = waiting || (!in->has_head && !in->done);
		if (in->has_head &&
		    (!best || head_ts(in) < head_ts(best)))
			best = in;
	}
	if (!best)
		return waiting ? CAPTURE_AGAIN : 0;
	/* Live: an input with nothing ready may still hold an earlier packet
	 * in a ring block not yet handed over; wait for it, up to the hold. */
	c->release_at = 0;
	if (c->live && waiting) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ws_time now = (ws_time)ts.tv_sec * WS_NS_PER_SEC + ts.tv_nsec;
		if (head_ts(best) + c->hold > now) {
			c->release_at = head_ts(best) + c->hold;
			return CAPTURE_AGAIN;
		}
	}
	c->last = best;
	fill(c, best, pkt);
	return 1;
}

int capture_wait(struct capture *c, int timeout_ms)
{
	struct pollfd fds[64];
	nfds_t n = 0;
	for (size_t i = 0; i < c->n && n < 64; i++) {
		struct capture_input *in = &c->in[i];
		if (!in->live || in->done || in->has_head)
			continue;
		int fd = pcap_get_selectable_fd(in->pcap);
		if (fd >= 0)
			fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	if (c->release_at) { /* a packet on hold: wake when it is due */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ws_time now = (ws_time)ts.tv_sec * WS_NS_PER_SEC + ts.tv_nsec;
		int due = c->release_at > now
				  ? (int)((c->release_at - now) / 1000000) + 1
				  : 0;
		if (due < timeout_ms)
			timeout_ms = due;
	}
	if (n == 0)
		return 0;
	int r = poll(fds, n, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	return r > 0;
}

bool capture_is_live(const struct capture *c)
{
	return c->live;
}

int capture_stats(struct capture *c, struct capture_drops *out)
{
	memset(out, 0, sizeof(*out));
	out->filtered = c->filtered;
	if (!c->live)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		struct pcap_stat ps;
		if (c->in[i].done || pcap_stats(c->in[i].pcap, &ps) < 0)
			continue;
		out->received += ps.ps_recv;
		out->dropped += ps.ps_drop;
		out->if_dropped += ps.ps_ifdrop;
		out->known = true;
	}
	return 0;
}

size_t capture_inputs(const struct capture *c)
{
	return c->n;
}

const char *capture_input_name(const struct capture *c, size_t i)
{
	return i < c->n ? c->in[i].name : "?";
}

/* capture.c - pcap/pcapng files through libpcap, merged by timestamp. */
#include "wirestat/capture.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/decode.h"

struct capture_input {
	pcap_t *pcap;
	char *name;
	int dlt;
	bool has_head; /* head/head_hdr hold its next packet */
	bool done;
	struct pcap_pkthdr *head_hdr;
	const u_char *head;
};

struct capture {
	struct capture_input *in;
	size_t n;
	struct capture_input *last; /* returned last: advance it next time */
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

/* Read the next packet of one input into its head; -1 on error. */
static int input_advance(struct capture_input *in, char *errbuf)
{
	in->has_head = false;
	if (in->done)
		return 0;
	int r = pcap_next_ex(in->pcap, &in->head_hdr, &in->head);
	if (r == 1) {
		in->has_head = true;
		return 0;
	}
	if (r == PCAP_ERROR) {
		ws_error(errbuf, "%s: %s", in->name, pcap_geterr(in->pcap));
		input_close(in);
		return -1;
	}
	input_close(in); /* PCAP_ERROR_BREAK: end of file */
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

int capture_next(struct capture *c, struct capture_packet *pkt, char *errbuf)
{
	if (c->n == 1) { /* one input: nothing to merge */
		struct capture_input *in = &c->in[0];
		if (input_advance(in, errbuf) < 0)
			return -1;
		if (!in->has_head)
			return 0;
		pkt->ts = head_ts(in);
		pkt->caplen = in->head_hdr->caplen;
		pkt->len = in->head_hdr->len;
		pkt->dlt = in->dlt;
		pkt->input = 0;
		pkt->data = in->head;
		return 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		if (in == c->last || (!in->has_head && !in->done)) {
			if (in == c->last)
				c->last = NULL;
			if (input_advance(in, errbuf) < 0)
				return -1;
		}
	}
	struct capture_input *best = NULL;
	ws_time best_ts = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct capture_input *in = &c->in[i];
		if (!in->has_head)
			continue;
		ws_time ts = head_ts(in);
		if (!best || ts < best_ts) {
			best = in;
			best_ts = ts;
		}
	}
	if (!best)
		return 0;
	c->last = best;
	pkt->ts = best_ts;
	pkt->caplen = best->head_hdr->caplen;
	pkt->len = best->head_hdr->len;
	pkt->dlt = best->dlt;
	pkt->input = (unsigned)(best - c->in);
	pkt->data = best->head;
	return 1;
}

size_t capture_inputs(const struct capture *c)
{
	return c->n;
}

const char *capture_input_name(const struct capture *c, size_t i)
{
	return i < c->n ? c->in[i].name : "?";
}

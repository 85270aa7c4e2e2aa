/* ipfix.c - connection records as IPFIX biflows over UDP (see ipfix.h). */
#include "wirestat/ipfix.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wirestat/addr.h"
#include "wirestat/flow.h"
#include "wirestat/tcp.h"
#include "wirestat/zeek.h"

const char *const ipfix_counter_keys[IPFIX_COUNTER_MAX] = {
#define IPFIX_X_KEY(e, key, label) key,
	IPFIX_COUNTERS(IPFIX_X_KEY)
#undef IPFIX_X_KEY
};

const char *const ipfix_counter_labels[IPFIX_COUNTER_MAX] = {
#define IPFIX_X_LABEL(e, key, label) label,
	IPFIX_COUNTERS(IPFIX_X_LABEL)
#undef IPFIX_X_LABEL
};

enum { HDR_LEN = 16, SET_HDR_LEN = 4 };

/* A field specifier: IANA element, length, enterprise (0: IANA's). */
struct field {
	uint16_t id, len;
	uint32_t pen;
};

#define VARLEN 0xffff

/* The templates' fields, v4 then v6 where they differ (see ipfix.h).
 * The reverse tcpControlBits comes before the forward one: a collector
 * that does not know a reverse element may read it as the forward one
 * (nfdump 1.7 does), and the later forward value then wins. */
static const struct field fields[2][22] = {
	{
		{152, 8, 0}, {153, 8, 0}, {8, 4, 0}, {12, 4, 0}, {7, 2, 0},
		{11, 2, 0}, {4, 1, 0}, {32, 2, 0}, {1, 8, 0}, {2, 8, 0},
		{1, 8, IPFIX_REVERSE_PEN}, {2, 8, IPFIX_REVERSE_PEN},
		{6, 2, IPFIX_REVERSE_PEN}, {6, 2, 0}, {136, 1, 0},
		{239, 1, 0}, {58, 2, 0}, {245, 2, 0}, {1, 1, IPFIX_PEN},
		{2, 1, IPFIX_PEN}, {3, VARLEN, IPFIX_PEN},
		{4, VARLEN, IPFIX_PEN},
	},
	{
		{152, 8, 0}, {153, 8, 0}, {27, 16, 0}, {28, 16, 0}, {7, 2, 0},
		{11, 2, 0}, {4, 1, 0}, {139, 2, 0}, {1, 8, 0}, {2, 8, 0},
		{1, 8, IPFIX_REVERSE_PEN}, {2, 8, IPFIX_REVERSE_PEN},
		{6, 2, IPFIX_REVERSE_PEN}, {6, 2, 0}, {136, 1, 0},
		{239, 1, 0}, {58, 2, 0}, {245, 2, 0}, {1, 1, IPFIX_PEN},
		{2, 1, IPFIX_PEN}, {3, VARLEN, IPFIX_PEN},
		{4, VARLEN, IPFIX_PEN},
	},
};

/* The largest data record: fixed fields, and each string with its length
 * octet (conn_state is short; the history is bounded by the buffer). */
enum {
	FIXED_V6 = 8 + 8 + 16 + 16 + 2 + 2 + 1 + 2 + 8 * 4 + 2 + 2 + 1 + 1 +
		   2 + 2 + 1 + 1,
	STR_MAX = 254, /* one length octet: no 255 escape needed */
	RECORD_MAX = FIXED_V6 + 2 * (1 + STR_MAX),
};

struct ipfix_exporter {
	ipfix_send_fn send;
	void *ctx;
	int fd; /* ours to close, or -1 */
	uint32_t domain;
	uint32_t seq;	       /* data records sent before this message */
	uint8_t msg[IPFIX_MTU];
	size_t len;	       /* bytes in msg; 0: none begun */
	size_t set_start;      /* offset of the open data set's header */
	uint16_t set_id;       /* its template; 0: no set open */
	unsigned nrecords;     /* in msg */
	ws_time first_wait;    /* export time of msg's first record */
	ws_time export_time;   /* latest record's */
	ws_time templates_ts;  /* when the templates were last sent */
	unsigned since_templates; /* messages since */
	bool templates_sent;
	uint64_t counters[IPFIX_COUNTER_MAX];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static size_t template_len(int v6)
{
	size_t n = 4; /* template ID, field count */
	for (size_t i = 0; i < WS_ARRAY_SIZE(fields[v6]); i++)
		n += fields[v6][i].pen ? 8 : 4;
	return n;
}

static void close_set(struct ipfix_exporter *x)
{
	if (!x->set_id)
		return;
	size_t set_len = x->len - x->set_start;
	put16(x->msg + x->set_start + 2, (uint16_t)set_len);
	x->set_id = 0;
}

/* Send the message begun, if any. */
void ipfix_flush(struct ipfix_exporter *x)
{
	if (x->len == 0)
		return;
	close_set(x);
	put16(x->msg + 2, (uint16_t)x->len);
	if (x->send(x->ctx, x->msg, x->len) == 0) {
		x->counters[IPFIX_MESSAGES]++;
		x->counters[IPFIX_RECORDS] += x->nrecords;
		x->counters[IPFIX_BYTES] += x->len;
	} else {
		x->counters[IPFIX_MESSAGES_LOST]++;
		x->counters[IPFIX_RECORDS_LOST] += x->nrecords;
	}
	/* The sequence number counts records exported, sent or not: a
	 * collector sees the loss as a gap (RFC 7011 3.1). */
	x->seq += x->nrecords;
	x->since_templates++;
	x->len = 0;
	x->nrecords = 0;
}

/* Begin a message: its header, and the templates when they are due. */
static void begin(struct ipfix_exporter *x)
{
	uint8_t *m = x->msg;
	ws_time t = x->export_time;
	put16(m, 10);
	put16(m + 2, 0); /* length: at flush */
	put32(m + 4, (uint32_t)(t / WS_NS_PER_SEC));
	put32(m + 8, x->seq);
	put32(m + 12, x->domain);
	x->len = HDR_LEN;
	x->nrecords = 0;
	x->first_wait = t;
	if (x->templates_sent && x->since_templates < IPFIX_TEMPLATE_EVERY &&
	    t - x->templates_ts < IPFIX_TEMPLATE_REFRESH)
		return;
	size_t start = x->len;
	put16(m + start, 2); /* a template set */
	x->len += SET_HDR_LEN;
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t *p = m + x->len;
		put16(p, v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4);
		put16(p + 2, (uint16_t)WS_ARRAY_SIZE(fields[v6]));
		p += 4;
		for (size_t i = 0; i < WS_ARRAY_SIZE(fields[v6]); i++) {
			const struct field *f = &fields[v6][i];
			put16(p, (uint16_t)(f->id | (f->pen ? 0x8000 : 0)));
			put16(p + 2, f->len);
			p += 4;
			if (f->pen) {
				put32(p, f->pen);
				p += 4;
			}
		}
		x->len += template_len(v6);
	}
	put16(m + start + 2, (uint16_t)(x->len - start));
	x->templates_sent = true;
	x->templates_ts = t;
	x->since_templates = 0;
	x->counters[IPFIX_TEMPLATES]++;
}

/* tcpConnState (RFC 4022) of a wirestat TCP state; 0: none. */
static uint8_t tcp_conn_state(uint8_t s)
{
	static const uint8_t map[TCP_STATE_MAX] = {
		[TCP_CLOSED] = 1,      [TCP_LISTENING] = 2,
		[TCP_SYN_SENT] = 3,    [TCP_SYN_RECEIVED] = 4,
		[TCP_ESTABLISHED] = 5, [TCP_FIN_WAIT_1] = 6,
		[TCP_FIN_WAIT_2] = 7,  [TCP_CLOSE_WAIT] = 8,
		[TCP_LAST_ACK] = 9,    [TCP_CLOSING] = 10,
		[TCP_TIME_WAIT] = 11,
	};
	return s < TCP_STATE_MAX ? map[s] : 0;
}

static uint8_t end_reason(uint8_t why)
{
	switch (why) {
	case CONN_END_IDLE:
		return 1;
	case CONN_END_ACTIVE:
		return 2;
	case CONN_END_CLOSED:
	case CONN_END_REUSE:
		return 3;
	case CONN_END_INPUT:
		return 4;
	case CONN_END_EVICTED:
		return 5;
	default:
		return 0;
	}
}

static uint8_t *put_string(uint8_t *p, const char *s)
{
	size_t n = s ? strnlen(s, STR_MAX) : 0;
	*p++ = (uint8_t)n;
	if (n)
		memcpy(p, s, n);
	return p + n;
}

static uint64_t ms(ws_time t)
{
	return t > 0 ? (uint64_t)(t / 1000000) : 0;
}

/* The record's bytes into buf; returns their length. */
static size_t encode(const struct conn_record *r, uint8_t *buf, int *v6)
{
	struct addr a[2];
	uint16_t port[2];
	const struct flow *f = r->flow;
	flow_endpoint(f, r->orig, &a[0], &port[0]);
	flow_endpoint(f, !r->orig, &a[1], &port[1]);
	*v6 = a[0].family == ADDR_V6;
	size_t alen = *v6 ? 16 : 4;
	bool icmp = r->proto == 1 || r->proto == 58;
	uint8_t *p = buf;

	put64(p, ms(r->part_ts));
	put64(p + 8, ms(r->last));
	p += 16;
	memcpy(p, a[0].bytes, alen);
	memcpy(p + alen, a[1].bytes, alen);
	p += 2 * alen;
	put16(p, icmp ? 0 : r->port[0]);
	put16(p + 2, icmp ? 0 : r->port[1]);
	p[4] = r->proto;
	p += 5;
	uint16_t type_code = 0;
	if (icmp) {
		/* Zeek's ICMP "ports": the type, then the counterpart type
		 * (a request/reply pair, code 0) or, one-way, the code */
		bool one_way = false;
		(void)zeek_icmp_counterpart(r->proto == 58,
					    (uint8_t)r->port[0], 0, &one_way);
		type_code = (uint16_t)((r->port[0] & 0xff) << 8 |
				       (one_way ? (r->port[1] & 0xff) : 0));
	}
	put16(p, type_code);
	p += 2;
	put64(p, r->part_ip_bytes[0]);
	put64(p + 8, r->part_pkts[0]);
	put64(p + 16, r->part_ip_bytes[1]);
	put64(p + 24, r->part_pkts[1]);
	p += 32;
	put16(p, r->tcp_flags[1]); /* reverse first, see fields[] */
	put16(p + 2, r->tcp_flags[0]);
	p[4] = end_reason(r->why);
	p[5] = r->partial ? 0 : 1;
	p += 6;
	put16(p, f->key.vlan);
	put16(p + 2, f->key.inner_vlan);
	p[4] = tcp_conn_state(r->state[0]);
	p[5] = tcp_conn_state(r->state[1]);
	p += 6;
	p = put_string(p, r->conn_state);
	p = put_string(p, r->history);
	return (size_t)(p - buf);
}

void ipfix_record(struct ipfix_exporter *x, const struct conn_record *r,
		  ws_time now)
{
	uint8_t rec[RECORD_MAX];
	int v6;
	if (r->why == CONN_END_OPEN || r->why >= CONN_END_MAX)
		return;
	if (r->part_pkts[0] == 0 && r->part_pkts[1] == 0)
		return; /* nothing since the last active-timeout record */
	size_t n = encode(r, rec, &v6);
	uint16_t set_id = v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4;
	if (now > x->export_time)
		x->export_time = now;
	size_t need = n + (x->set_id == set_id ? 0 : SET_HDR_LEN);
	if (x->len && x->len + need > IPFIX_MTU)
		ipfix_flush(x);
	if (x->len == 0)
		begin(x);
	if (x->set_id != set_id) {
		close_set(x);
		x->set_start = x->len;
		put16(x->msg + x->len, set_id);
		x->len += SET_HDR_LEN;
		x->set_id = set_id;
	}
	memcpy(x->msg + x->len, rec, n);
	x->len += n;
	x->nrecords++;
	if (x->export_time - x->first_wait >= IPFIX_MAX_DELAY)
		ipfix_flush(x);
}

void ipfix_tick(struct ipfix_exporter *x, ws_time now)
{
	if (x->len && now - x->first_wait >= IPFIX_MAX_DELAY)
		ipfix_flush(x);
}

const uint64_t *ipfix_counters(const struct ipfix_exporter *x)
{
	return x->counters;
}

struct ipfix_exporter *ipfix_new(ipfix_send_fn send, void *ctx,
				 uint32_t domain, char *errbuf)
{
	struct ipfix_exporter *x = calloc(1, sizeof(*x));
	if (!x) {
		ws_error(errbuf, "out of memory");
		return NULL;
	}
	x->send = send;
	x->ctx = ctx;
	x->fd = -1;
	x->domain = domain;
	return x;
}

/* A connected UDP socket: never blocks the capture; a full socket buffer
 * or a collector that is not there (ECONNREFUSED from an earlier ICMP
 * error) loses the message. */
static int udp_send(void *ctx, const uint8_t *msg, size_t len)
{
	const struct ipfix_exporter *x = ctx;
	ssize_t r = send(x->fd, msg, len, MSG_DONTWAIT);
	return r == (ssize_t)len ? 0 : -1;
}

/* "HOST:PORT" or "[HOST]:PORT" into its parts, in buf. */
static int split_target(const char *target, char *buf, size_t size,
			const char **host, const char **port)
{
	size_t n = strlen(target);
	if (n >= size)
		return -1;
	memcpy(buf, target, n + 1);
	char *colon;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		*host = buf + 1;
		colon = close + 1;
	} else {
		colon = strrchr(buf, ':');
		if (!colon || strchr(buf, ':') != colon)
			return -1; /* a bare IPv6 address needs brackets */
		*colon = '\0';
		*host = buf;
	}
	*port = colon + 1;
	/* getaddrinfo() takes "99999" (and wraps it): check it here */
	const char *d = *port;
	unsigned long v = 0;
	while (*d >= '0' && *d <= '9' && v <= 65535)
		v = v * 10 + (unsigned long)(*d++ - '0');
	if (*d || v == 0 || v > 65535)
		return -1;
	return **host ? 0 : -1;
}

struct ipfix_exporter *ipfix_open(const char *target, uint32_t domain,
				  char *errbuf)
{
	char buf[256];
	const char *host, *port;
	if (split_target(target, buf, sizeof(buf), &host, &port) < 0) {
		ws_error(errbuf, "--ipfix needs HOST:PORT or [IPV6]:PORT "
				 "(port 1-65535), not '%s'", target);
		return NULL;
	}
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		ws_error(errbuf, "--ipfix '%s': %s (a numeric address and "
				 "port: wirestat asks no DNS server)",
			 target, gai_strerror(r));
		return NULL;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		ws_error(errbuf, "--ipfix '%s': %s", target, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	struct ipfix_exporter *x = ipfix_new(udp_send, NULL, domain, errbuf);
	if (!x) {
		close(fd);
		return NULL;
	}
	x->ctx = x;
	x->fd = fd;
	return x;
}

void ipfix_close(struct ipfix_exporter *x)
{
	if (!x)
		return;
	ipfix_flush(x);
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

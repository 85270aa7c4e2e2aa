/* conntrack.c - the conntrack table and its events.
 *
 * libnetfilter_conntrack opens the ctnetlink socket, subscribes to the
 * event groups and builds the dump request; the replies and events are
 * read here and their attributes walked with bounds checks (each nlattr's
 * length against what remains, each value's length against its type),
 * so the one parser serves the dump, the event stream and the fuzzer.
 * Layout: include/uapi/linux/netfilter/nfnetlink_conntrack.h;
 * net/netfilter/nf_conntrack_netlink.c ctnetlink_fill_info().
 */
#include "kparse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netlink.h>

#include "wirestat/kernel.h"

const char *const kernel_ct_status_names[KCT_STATUS_BITS] = {
#define KERNEL_X_CT_BIT_NAME(e, bit, name) [bit] = (name),
	KERNEL_CT_STATUS(KERNEL_X_CT_BIT_NAME)
#undef KERNEL_X_CT_BIT_NAME
};

const char *const kernel_ct_tcp_state_names[KCT_TCP_MAX] = {
#define KERNEL_X_CT_TCP_NAME(e, name) [e] = (name),
	KERNEL_CT_TCP_STATES(KERNEL_X_CT_TCP_NAME)
#undef KERNEL_X_CT_TCP_NAME
};

const char *const kernel_ct_event_names[KCT_EVENT_MAX] = {
	[KCT_EVENT_NEW] = "NEW",
	[KCT_EVENT_UPDATE] = "UPDATE",
	[KCT_EVENT_DESTROY] = "DESTROY",
};

enum {
	CT_BUFSIZE = 65536,	 /* one datagram: dump replies fill ~16 KiB */
	CT_RCVBUF = 4 << 20,	 /* event socket buffer, if allowed */
	CT_DUMP_TIMEOUT_S = 10,	 /* a dump the kernel stops answering */
	CT_ATTR_SLOTS = 32,	 /* > every CTA_*_MAX read here */
};

_Static_assert((int)__CTA_MAX <= (int)CT_ATTR_SLOTS,
	       "CTA_* types beyond the attribute table");

/* ---- attributes ---- */

struct nla_table {
	const uint8_t *v[CT_ATTR_SLOTS];
	uint16_t len[CT_ATTR_SLOTS];
};

/* Index the attributes in p[0..len) by type (the last one of a type
 * wins); false if one overruns what remains. */
static bool nla_index(const uint8_t *p, size_t len, struct nla_table *t)
{
	memset(t, 0, sizeof(*t));
	while (len >= NLA_HDRLEN) {
		uint16_t alen, type;
		memcpy(&alen, p, sizeof(alen));
		memcpy(&type, p + sizeof(alen), sizeof(type));
		if (alen < NLA_HDRLEN || alen > len)
			return false;
		type &= NLA_TYPE_MASK;
		if (type < CT_ATTR_SLOTS) {
			t->v[type] = p + NLA_HDRLEN;
			t->len[type] = (uint16_t)(alen - NLA_HDRLEN);
		}
		size_t step = NLA_ALIGN(alen);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return true;
}

/* Big-endian value of n bytes; absent leaves *out, short is false. */
static bool nla_be(const struct nla_table *t, int type, size_t n,
		   uint64_t *out)
{
	if (!t->v[type])
		return true;
	if (t->len[type] < n)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | t->v[type][i];
	*out = v;
	return true;
}

static bool nla_nested(const struct nla_table *t, int type,
		       struct nla_table *inner)
{
	return nla_index(t->v[type], t->len[type], inner);
}

static bool ct_tuple(const struct nla_table *tuple, struct kernel_ct_tuple *k,
		     struct kernel_ct_entry *e, bool orig)
{
	struct nla_table ip, proto;
	uint64_t v = 0;
	if (!tuple->v[CTA_TUPLE_IP] || !tuple->v[CTA_TUPLE_PROTO] ||
	    !nla_nested(tuple, CTA_TUPLE_IP, &ip) ||
	    !nla_nested(tuple, CTA_TUPLE_PROTO, &proto))
		return false;
	memset(k, 0, sizeof(*k));
	if (ip.v[CTA_IP_V4_SRC] && ip.v[CTA_IP_V4_DST] &&
	    ip.len[CTA_IP_V4_SRC] >= 4 && ip.len[CTA_IP_V4_DST] >= 4) {
		k->src.family = k->dst.family = ADDR_V4;
		memcpy(k->src.bytes, ip.v[CTA_IP_V4_SRC], 4);
		memcpy(k->dst.bytes, ip.v[CTA_IP_V4_DST], 4);
	} else if (ip.v[CTA_IP_V6_SRC] && ip.v[CTA_IP_V6_DST] &&
		   ip.len[CTA_IP_V6_SRC] >= 16 && ip.len[CTA_IP_V6_DST] >= 16) {
		k->src.family = k->dst.family = ADDR_V6;
		memcpy(k->src.bytes, ip.v[CTA_IP_V6_SRC], 16);
		memcpy(k->dst.bytes, ip.v[CTA_IP_V6_DST], 16);
	} else {
		return false;
	}
	if (!proto.v[CTA_PROTO_NUM] || !nla_be(&proto, CTA_PROTO_NUM, 1, &v))
		return false;
	k->l4proto = (uint8_t)v;
	v = 0;
	if (!nla_be(&proto, CTA_PROTO_SRC_PORT, 2, &v))
		return false;
	k->sport = (uint16_t)v;
	v = 0;
	if (!nla_be(&proto, CTA_PROTO_DST_PORT, 2, &v))
		return false;
	k->dport = (uint16_t)v;
	if (!orig)
		return true;
	uint64_t id = 0, type = 0, code = 0;
	bool v6 = proto.v[CTA_PROTO_ICMPV6_TYPE] != NULL;
	if (!nla_be(&proto, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, 2,
		    &id) ||
	    !nla_be(&proto, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
		    1, &type) ||
	    !nla_be(&proto, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE,
		    1, &code))
		return false;
	e->icmp_id = (uint16_t)id;
	e->icmp_type = (uint8_t)type;
	e->icmp_code = (uint8_t)code;
	return true;
}

static bool ct_counters(const struct nla_table *t, int type, uint64_t *packets,
			uint64_t *bytes)
{
	struct nla_table c;
	if (!t->v[type])
		return true;
	if (!nla_nested(t, type, &c))
		return false;
	if (c.v[CTA_COUNTERS_PACKETS] || c.v[CTA_COUNTERS_BYTES])
		return nla_be(&c, CTA_COUNTERS_PACKETS, 8, packets) &&
		       nla_be(&c, CTA_COUNTERS_BYTES, 8, bytes);
	return nla_be(&c, CTA_COUNTERS32_PACKETS, 4, packets) &&
	       nla_be(&c, CTA_COUNTERS32_BYTES, 4, bytes);
}

static bool ct_protoinfo(const struct nla_table *t, struct kernel_ct_entry *e)
{
	struct nla_table info, tcp;
	uint64_t v = 0;
	if (!t->v[CTA_PROTOINFO])
		return true;
	if (!nla_nested(t, CTA_PROTOINFO, &info))
		return false;
	if (!info.v[CTA_PROTOINFO_TCP])
		return true;
	if (!nla_nested(&info, CTA_PROTOINFO_TCP, &tcp) ||
	    !nla_be(&tcp, CTA_PROTOINFO_TCP_STATE, 1, &v))
		return false;
	e->tcp_state = (uint8_t)v;
	return true;
}

/* The attributes of one conntrack message (after its nfgenmsg). */
static bool ct_entry(const uint8_t *p, size_t len, struct kernel_ct_entry *e)
{
	struct nla_table t, tuple;
	uint64_t status = 0, timeout = 0, mark = 0, id = 0, zone = 0;
	memset(e, 0, sizeof(*e));
	if (!nla_index(p, len, &t) || !t.v[CTA_TUPLE_ORIG] ||
	    !nla_nested(&t, CTA_TUPLE_ORIG, &tuple) ||
	    !ct_tuple(&tuple, &e->orig, e, true))
		return false;
	if (t.v[CTA_TUPLE_REPLY] &&
	    (!nla_nested(&t, CTA_TUPLE_REPLY, &tuple) ||
	     !ct_tuple(&tuple, &e->reply, e, false)))
		return false;
	if (!nla_be(&t, CTA_STATUS, 4, &status) ||
	    !nla_be(&t, CTA_TIMEOUT, 4, &timeout) ||
	    !nla_be(&t, CTA_MARK, 4, &mark) || !nla_be(&t, CTA_ID, 4, &id) ||
	    !nla_be(&t, CTA_ZONE, 2, &zone) || !ct_protoinfo(&t, e) ||
	    !ct_counters(&t, CTA_COUNTERS_ORIG, &e->orig_packets,
			 &e->orig_bytes) ||
	    !ct_counters(&t, CTA_COUNTERS_REPLY, &e->reply_packets,
			 &e->reply_bytes))
		return false;
	e->status = (uint32_t)status;
	e->timeout = (uint32_t)timeout;
	e->mark = (uint32_t)mark;
	e->id = (uint32_t)id;
	e->zone = (uint16_t)zone;
	return true;
}

/* ---- messages ---- */

enum { WALK_MORE = 0, WALK_DONE = 1 };

/* The messages of one datagram: conntrack messages to fn.  WALK_DONE at
 * NLMSG_DONE, a negative errno for an NLMSG_ERROR carrying one. */
static int ct_walk(const uint8_t *p, size_t len, kernel_ct_event_fn fn,
		   void *arg, uint64_t *counters, size_t *events)
{
	const size_t payload_at = NLMSG_ALIGN(sizeof(struct nlmsghdr));
	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		struct kernel_ct_entry e;
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len) {
			counters[KR_BAD_MESSAGE]++;
			return WALK_MORE;
		}
		const uint8_t *body = p + payload_at;
		size_t blen = h.nlmsg_len >= payload_at
				      ? h.nlmsg_len - payload_at
				      : 0;
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
		if (h.nlmsg_type == NLMSG_DONE)
			return WALK_DONE;
		if (h.nlmsg_type == NLMSG_ERROR) {
			int32_t err = 0;
			if (blen >= sizeof(err))
				memcpy(&err, body, sizeof(err));
			if (err < 0 && err > -4096)
				return err;
			continue; /* an acknowledgment */
		}
		if (h.nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK)
			continue;
		enum kernel_ct_event type;
		switch (h.nlmsg_type & 0xff) {
		case IPCTNL_MSG_CT_NEW:
			type = (h.nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL))
				       ? KCT_EVENT_NEW
				       : KCT_EVENT_UPDATE;
			break;
		case IPCTNL_MSG_CT_DELETE:
			type = KCT_EVENT_DESTROY;
			break;
		default:
			continue;
		}
		const size_t attrs_at = NLMSG_ALIGN(sizeof(struct nfgenmsg));
		if (blen < attrs_at ||
		    !ct_entry(body + attrs_at, blen - attrs_at, &e)) {
			counters[KR_BAD_MESSAGE]++;
			continue;
		}
		(*events)++;
		fn(type, &e, arg);
	}
	return WALK_MORE;
}

size_t kernel_ct_parse_messages(const void *buf, size_t len,
				kernel_ct_event_fn fn, void *arg,
				uint64_t counters[KR_MAX])
{
	size_t events = 0;
	ct_walk(buf, len, fn, arg, counters, &events);
	return events;
}

/* One datagram from the kernel: its length, 0 for one to ignore (another
 * sender, or cut short: counted), -1 with errno set. */
static ssize_t ct_recv(int fd, uint8_t *buf, int flags, uint64_t *counters)
{
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = buf, .iov_len = CT_BUFSIZE};
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	memset(&from, 0, sizeof(from));
	ssize_t n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -1;
	if (from.nl_pid != 0)
		return 0; /* not the kernel */
	if (msg.msg_flags & MSG_TRUNC) {
		counters[KR_BAD_MESSAGE]++;
		return 0;
	}
	return n;
}

static int ct_error(char *errbuf, const char *what, int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return ws_error(errbuf,
				"conntrack %s: not permitted (needs "
				"CAP_NET_ADMIN in this network namespace)",
				what);
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
	case EOPNOTSUPP:
	case ENOENT:
	case EINVAL:
		return ws_error(errbuf,
				"conntrack %s: not available in this kernel "
				"(nf_conntrack_netlink not loaded?): %s",
				what, strerror(err));
	default:
		return ws_error(errbuf, "conntrack %s: %s", what,
				strerror(err));
	}
}

void kernel_conntrack_init(struct kernel_conntrack *ct, size_t max)
{
	memset(ct, 0, sizeof(*ct));
	ct->max = max;
}

void kernel_conntrack_free(struct kernel_conntrack *ct)
{
	free(ct->v);
	ct->v = NULL;
	ct->n = ct->alloc = 0;
}

static void dump_add(enum kernel_ct_event type, const struct kernel_ct_entry *e,
		     void *arg)
{
	struct kernel_conntrack *ct = arg;
	(void)type;
	struct kernel_ct_entry *v = kroom(ct->v, &ct->alloc, ct->n, ct->max,
					  sizeof(*ct->v), ct->counters);
	if (!v)
		return;
	ct->v = v;
	ct->v[ct->n++] = *e;
	ct->counters[KR_RECORDS]++;
}

bool kernel_conntrack_add(struct kernel_conntrack *ct,
			  const struct kernel_ct_entry *e)
{
	size_t n = ct->n;
	dump_add(KCT_EVENT_NEW, e, ct);
	return ct->n > n;
}

int kernel_conntrack_dump(struct kernel_conntrack *ct, char *errbuf)
{
	uint32_t family = AF_UNSPEC;
	struct timeval tv = {.tv_sec = CT_DUMP_TIMEOUT_S};
	int rc = -1;
	size_t events = 0;
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	if (!h)
		return ct_error(errbuf, "socket", errno);
	uint8_t *buf = malloc(CT_BUFSIZE);
	if (!buf) {
		ws_error(errbuf, "conntrack dump: out of memory");
		goto out_close;
	}
	int fd = nfct_fd(h);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		ct_error(errbuf, "dump", errno);
		goto out_free;
	}
	if (nfct_send(h, NFCT_Q_DUMP, &family) < 0) {
		ct_error(errbuf, "dump", errno);
		goto out_free;
	}
	for (;;) {
		ssize_t n = ct_recv(fd, buf, 0, ct->counters);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ws_error(errbuf, "conntrack dump: no answer in %d s",
				 CT_DUMP_TIMEOUT_S);
			goto out_free;
		}
		if (n < 0) {
			ct_error(errbuf, "dump", errno);
			goto out_free;
		}
		int w = ct_walk(buf, (size_t)n, dump_add, ct, ct->counters,
				&events);
		if (w < 0) {
			ct_error(errbuf, "dump", -w);
			goto out_free;
		}
		if (w == WALK_DONE)
			break;
	}
	rc = 0;
out_free:
	free(buf);
out_close:
	nfct_close(h);
	return rc;
}

struct kernel_ct_events {
	struct nfct_handle *h;
	int fd;
	uint8_t *buf;
	uint64_t counters[KR_MAX];
};

struct kernel_ct_events *kernel_ct_events_open(char *errbuf)
{
	int size = CT_RCVBUF;
	struct kernel_ct_events *ev = calloc(1, sizeof(*ev));
	if (!ev) {
		ws_error(errbuf, "conntrack events: out of memory");
		return NULL;
	}
	ev->buf = malloc(CT_BUFSIZE);
	if (!ev->buf) {
		ws_error(errbuf, "conntrack events: out of memory");
		goto out_free;
	}
	ev->h = nfct_open(CONNTRACK, NFCT_ALL_CT_GROUPS);
	if (!ev->h) {
		ct_error(errbuf, "events", errno);
		goto out_free_buf;
	}
	ev->fd = nfct_fd(ev->h);
	int fl = fcntl(ev->fd, F_GETFL);
	if (fl < 0 || fcntl(ev->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		ct_error(errbuf, "events", errno);
		goto out_close;
	}
	/* A larger buffer rides out bursts; beyond rmem_max only with
	 * CAP_NET_ADMIN (FORCE), else whatever the kernel allows. */
	if (setsockopt(ev->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		(void)setsockopt(ev->fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	return ev;
out_close:
	nfct_close(ev->h);
out_free_buf:
	free(ev->buf);
out_free:
	free(ev);
	return NULL;
}

int kernel_ct_events_fd(const struct kernel_ct_events *ev)
{
	return ev->fd;
}

int kernel_ct_events_read(struct kernel_ct_events *ev, kernel_ct_event_fn fn,
			  void *arg, char *errbuf)
{
	size_t events = 0;
	for (int i = 0; i < KERNEL_CT_EVENT_BATCH; i++) {
		ssize_t n = ct_recv(ev->fd, ev->buf, MSG_DONTWAIT,
				    ev->counters);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			ev->counters[KR_EVENTS_LOST]++; /* overrun */
			continue;
		}
		if (n < 0)
			return ct_error(errbuf, "events", errno);
		if (ct_walk(ev->buf, (size_t)n, fn, arg, ev->counters,
			    &events) < 0)
			ev->counters[KR_BAD_MESSAGE]++;
	}
	return events > INT_MAX ? INT_MAX : (int)events;
}

const uint64_t *kernel_ct_events_counters(const struct kernel_ct_events *ev)
{
	return ev->counters;
}

void kernel_ct_events_close(struct kernel_ct_events *ev)
{
	if (!ev)
		return;
	nfct_close(ev->h);
	free(ev->buf);
	free(ev);
}

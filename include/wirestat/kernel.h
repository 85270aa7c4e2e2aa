/* kernel.h - what the local kernel says: sockets, their owners, routes,
 * interface and SNMP counters from /proc, and conntrack over netlink.
 *
 * Every /proc reader takes a root directory (NULL means "/proc"), like
 * iproute2's PROC_ROOT, so tests point it at fixture trees; each has a
 * FILE * entry point (kernel_parse_*) that the path reader and the fuzzer
 * share.  The bytes are hostile: a line is used only if it ends in a
 * newline, fits the line buffer, holds no NUL byte and has the fields its
 * header names (ss's generic_record_read()).  A strange line is skipped
 * and counted by its first problem in the container's counters[KR_MAX];
 * a file that cannot be used at all (no header, a required column
 * missing, a read error) is an error: -1 with errbuf filled, the records
 * read before it kept.  Containers are capped: records past the cap are
 * dropped and counted, never stored.  No global state: two readers may
 * run on different roots at once.
 */
#ifndef WIRESTAT_KERNEL_H
#define WIRESTAT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"

#define KERNEL_PROC_ROOT "/proc"

/* What happened to the lines and records read.  X(enum, counter name) */
#define KERNEL_REASONS(X)                                          \
	X(KR_RECORDS, "records_read")                              \
	X(KR_NO_NEWLINE, "lines_without_newline")                  \
	X(KR_LONG_LINE, "lines_too_long")                          \
	X(KR_NUL_BYTE, "lines_with_nul_byte")                      \
	X(KR_FIELD_COUNT, "lines_with_wrong_field_count")          \
	X(KR_BAD_NUMBER, "bad_numbers")                            \
	X(KR_BAD_ADDRESS, "bad_addresses")                         \
	X(KR_BAD_STATE, "unknown_states")                          \
	X(KR_BAD_NAME, "bad_names")                                \
	X(KR_MISMATCH, "header_and_values_disagree")               \
	X(KR_DUPLICATE, "duplicates_dropped")                      \
	X(KR_UNPAIRED, "counters_in_one_snapshot_only")            \
	X(KR_OVER_CAP, "records_dropped_over_cap")                 \
	X(KR_NO_MEMORY, "records_dropped_out_of_memory")           \
	X(KR_FILE_MISSING, "files_missing")                        \
	X(KR_PROC_VANISHED, "processes_vanished")                  \
	X(KR_PROC_NOT_PERMITTED, "processes_not_permitted")        \
	X(KR_PROC_OVER_CAP, "processes_not_walked_over_cap")       \
	X(KR_BAD_MESSAGE, "bad_netlink_messages")                  \
	X(KR_EVENTS_LOST, "event_overruns")

enum kernel_reason {
#define KERNEL_X_ENUM(e, name) e,
	KERNEL_REASONS(KERNEL_X_ENUM)
#undef KERNEL_X_ENUM
	KR_MAX
};

extern const char *const kernel_reason_names[KR_MAX];

/* Longest interface name plus NUL (IFNAMSIZ) and program name plus NUL
 * (TASK_COMM_LEN). */
#define KERNEL_IFNAMSIZ 16
#define KERNEL_COMM_LEN 16

/* Caps callers may use. */
#define KERNEL_MAX_SOCKETS 262144
#define KERNEL_MAX_OWNERS 262144
#define KERNEL_MAX_PROCS 65536
#define KERNEL_MAX_ROUTES 65536
#define KERNEL_MAX_IFACES 4096
#define KERNEL_MAX_COUNTERS 4096
#define KERNEL_MAX_CONNTRACK 262144

/* ---- sockets: /proc/net/tcp, tcp6, udp, udp6 ---- */

enum kernel_sock_file { KSF_TCP, KSF_TCP6, KSF_UDP, KSF_UDP6, KSF_MAX };

/* "net/tcp", ...: the path under the root, also the proto name's source. */
extern const char *const kernel_sock_file_names[KSF_MAX];

/* The timer a socket has pending (the "tr" column). */
enum kernel_timer {
	KTIMER_NONE = 0,
	KTIMER_RETRANSMIT = 1, /* also loss probe, reordering */
	KTIMER_KEEPALIVE = 2,  /* or SYN-ACK retransmit of a listener */
	KTIMER_TIME_WAIT = 3,
	KTIMER_PROBE = 4,      /* zero window probe */
	KTIMER_MAX
};

extern const char *const kernel_timer_names[KTIMER_MAX];

struct kernel_socket {
	struct addr local, remote;
	uint16_t local_port, remote_port;
	uint8_t proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t file;	/* enum kernel_sock_file it came from */
	/* TCP: the kernel's state as enum tcp_state (NEW_SYN_RECV is
	 * TCP_SYN_RECEIVED).  UDP: TCP_ESTABLISHED when connected, TCP_CLOSED
	 * when not (the kernel's 01 and 07). */
	uint8_t state;
	uint8_t kstate; /* the "st" column as the kernel wrote it */
	uint8_t timer;	/* enum kernel_timer */
	uint32_t tx_queue, rx_queue;
	uint64_t timer_ticks; /* clock ticks (USER_HZ) until the timer fires */
	uint32_t retransmits;
	uint32_t uid;
	uint64_t inode; /* 0 for TIME_WAIT and request sockets */
};

struct kernel_sockets {
	struct kernel_socket *v;
	size_t n;
	size_t max; /* cap on n */
	size_t alloc;
	uint64_t counters[KR_MAX];
};

void kernel_sockets_init(struct kernel_sockets *s, size_t max);
void kernel_sockets_free(struct kernel_sockets *s);

/* Append the sockets of one file in the format of `which`.  The header
 * names the columns; addresses are the kernel's host-order words (each
 * 32-bit word's bytes, as the host stores them, are the address bytes). */
int kernel_parse_sockets(FILE *f, enum kernel_sock_file which,
			 struct kernel_sockets *s, char *errbuf);

/* Read the files whose bits (1u << KSF_x) are set in `files` (0: all four)
 * under root.  A missing file is counted (KR_FILE_MISSING: IPv6 may be
 * off); none of them present is an error. */
int kernel_read_sockets(const char *root, unsigned files,
			struct kernel_sockets *s, char *errbuf);

/* "tcp", "tcp6", "udp" or "udp6", as in the socket row's proto key. */
const char *kernel_socket_proto(const struct kernel_socket *k);

/* ---- owners: socket inode to process, /proc/<pid>/fd and comm ---- */

/* An inode held by several processes is one entry: the lowest pid, its
 * program, and how many processes hold it. */
struct kernel_owner {
	uint64_t inode;
	int32_t pid;
	uint32_t npids;
	char comm[KERNEL_COMM_LEN]; /* "" if it could not be read */
};

struct kernel_owners {
	struct kernel_owner *v; /* sorted by inode */
	size_t n;
	size_t max;	  /* cap on (inode, pid) pairs collected */
	size_t max_procs; /* cap on processes walked */
	size_t alloc;
	uint64_t counters[KR_MAX];
};

void kernel_owners_init(struct kernel_owners *o, size_t max,
			size_t max_procs);
void kernel_owners_free(struct kernel_owners *o);

/* Walk root/<pid>/fd/ (readlink: "socket:[N]") and root/<pid>/comm,
 * replacing the table's entries (its counters add up).  Processes that
 * vanish mid-walk or cannot be read are skipped and counted
 * (KR_PROC_VANISHED, KR_PROC_NOT_PERMITTED); an unreadable root is an
 * error. */
int kernel_read_owners(const char *root, struct kernel_owners *o,
		       char *errbuf);

const struct kernel_owner *kernel_owner_find(const struct kernel_owners *o,
					     uint64_t inode);

/* The inode of a link text "socket:[N]" (len bytes, no NUL needed);
 * false for anything else. */
bool kernel_parse_socket_link(const char *link, size_t len, uint64_t *inode);

/* A comm file's bytes to a program name: one line, newline required;
 * bytes outside printable ASCII become '?'.  False (comm "") otherwise. */
bool kernel_parse_comm(const char *buf, size_t len,
		       char comm[KERNEL_COMM_LEN]);

/* ---- routes: /proc/net/route, /proc/net/ipv6_route ---- */

/* Route flags as the kernel writes them (RTF_* of <linux/route.h>). */
enum {
	KERNEL_RTF_UP = 0x0001,
	KERNEL_RTF_GATEWAY = 0x0002,
	KERNEL_RTF_HOST = 0x0004,
	KERNEL_RTF_REINSTATE = 0x0008,
	KERNEL_RTF_DYNAMIC = 0x0010,
	KERNEL_RTF_MODIFIED = 0x0020,
	KERNEL_RTF_REJECT = 0x0200,
	KERNEL_RTF_DEFAULT = 0x00010000, /* IPv6: from a router advert */
	KERNEL_RTF_ADDRCONF = 0x00040000,
	KERNEL_RTF_CACHE = 0x01000000,
};

struct kernel_route {
	struct addr dst;
	struct addr src;     /* IPv6 source prefix; IPv4: 0.0.0.0/0 */
	struct addr gateway; /* all zero: on-link */
	uint8_t dst_len, src_len;
	uint32_t flags; /* KERNEL_RTF_* */
	uint32_t metric;
	uint32_t refcnt, use;
	uint32_t mtu, window, irtt; /* IPv4 only */
	char iface[KERNEL_IFNAMSIZ];
};

struct kernel_routes {
	struct kernel_route *v;
	size_t n, max, alloc;
	uint64_t counters[KR_MAX];
};

void kernel_routes_init(struct kernel_routes *r, size_t max);
void kernel_routes_free(struct kernel_routes *r);

/* /proc/net/route: columns by header name; addresses as host-order words
 * in hex; a mask that is not a prefix is a bad address. */
int kernel_parse_route(FILE *f, struct kernel_routes *r, char *errbuf);
/* /proc/net/ipv6_route: no header, ten fixed columns, addresses as 32
 * hex digits in network order. */
int kernel_parse_ipv6_route(FILE *f, struct kernel_routes *r, char *errbuf);
/* Both under root; one missing is counted, both missing is an error. */
int kernel_read_routes(const char *root, struct kernel_routes *r,
		       char *errbuf);

/* ---- interface counters: /proc/net/dev ---- */

/* X(enum, name): the header's column under Receive or Transmit, with
 * "rx_" or "tx_" before it. */
#define KERNEL_DEV_COUNTERS(X)                   \
	X(KDEV_RX_BYTES, "rx_bytes")             \
	X(KDEV_RX_PACKETS, "rx_packets")         \
	X(KDEV_RX_ERRS, "rx_errs")               \
	X(KDEV_RX_DROP, "rx_drop")               \
	X(KDEV_RX_FIFO, "rx_fifo")               \
	X(KDEV_RX_FRAME, "rx_frame")             \
	X(KDEV_RX_COMPRESSED, "rx_compressed")   \
	X(KDEV_RX_MULTICAST, "rx_multicast")     \
	X(KDEV_TX_BYTES, "tx_bytes")             \
	X(KDEV_TX_PACKETS, "tx_packets")         \
	X(KDEV_TX_ERRS, "tx_errs")               \
	X(KDEV_TX_DROP, "tx_drop")               \
	X(KDEV_TX_FIFO, "tx_fifo")               \
	X(KDEV_TX_COLLS, "tx_colls")             \
	X(KDEV_TX_CARRIER, "tx_carrier")         \
	X(KDEV_TX_COMPRESSED, "tx_compressed")

enum kernel_dev_counter {
#define KERNEL_X_DEV_ENUM(e, name) e,
	KERNEL_DEV_COUNTERS(KERNEL_X_DEV_ENUM)
#undef KERNEL_X_DEV_ENUM
	KDEV_MAX
};

extern const char *const kernel_dev_counter_names[KDEV_MAX];

struct kernel_iface {
	char name[KERNEL_IFNAMSIZ];
	uint32_t have; /* bit (1u << KDEV_x) set: the file had the column */
	uint64_t c[KDEV_MAX];
};

struct kernel_ifaces {
	struct kernel_iface *v; /* in file order */
	size_t n, max, alloc;
	uint64_t counters[KR_MAX];
};

void kernel_ifaces_init(struct kernel_ifaces *d, size_t max);
void kernel_ifaces_free(struct kernel_ifaces *d);

/* Two header lines ("Inter-|...", " face |rx names|tx names") name the
 * columns; an unknown column is read and ignored.  An interface named
 * twice keeps its first line (KR_DUPLICATE). */
int kernel_parse_dev(FILE *f, struct kernel_ifaces *d, char *errbuf);
int kernel_read_dev(const char *root, struct kernel_ifaces *d, char *errbuf);

const struct kernel_iface *kernel_iface_find(const struct kernel_ifaces *d,
					     const char *name);

/* after - before per counter, modulo 2^64 (a counter reset shows as a
 * huge value; read it as int64_t to see it negative). */
void kernel_iface_delta(const struct kernel_iface *before,
			const struct kernel_iface *after,
			uint64_t delta[KDEV_MAX]);

/* ---- SNMP counters: /proc/net/snmp, netstat, snmp6 ---- */

#define KERNEL_SECTION_LEN 32
#define KERNEL_COUNTER_LEN 64

/* One counter: ("Tcp", "ActiveOpens"), ("TcpExt", "TW"), ("Udp6",
 * "InDatagrams").  Signed values ("Tcp: MaxConn -1") are stored as their
 * two's complement: read them as int64_t. */
struct kernel_counter {
	char section[KERNEL_SECTION_LEN];
	char name[KERNEL_COUNTER_LEN];
	uint64_t value;
};

struct kernel_snmp {
	struct kernel_counter *v; /* sorted by (section, name) */
	size_t n, max, alloc;
	uint64_t counters[KR_MAX];
};

void kernel_snmp_init(struct kernel_snmp *s, size_t max);
void kernel_snmp_free(struct kernel_snmp *s);

/* /proc/net/snmp and /proc/net/netstat: pairs of lines "Sec: names" then
 * "Sec: values".  A value line whose section differs from its header's
 * is a mismatch (the line is then taken as the next header); a pair with
 * different counts of names and values is dropped whole
 * (KR_FIELD_COUNT); a bad value drops that counter only.  A counter
 * named twice keeps one (the smaller value) and counts the other. */
int kernel_parse_snmp(FILE *f, struct kernel_snmp *s, char *errbuf);
/* /proc/net/snmp6: "Ip6InReceives  123" lines; the section is the name up
 * to its first digits ("Ip6", "Icmp6", "Udp6", "UdpLite6"). */
int kernel_parse_snmp6(FILE *f, struct kernel_snmp *s, char *errbuf);
/* net/snmp (required), net/netstat and net/snmp6 (missing: counted). */
int kernel_read_snmp(const char *root, struct kernel_snmp *s, char *errbuf);

bool kernel_snmp_get(const struct kernel_snmp *s, const char *section,
		     const char *name, uint64_t *value);

/* Fill `delta` (initialised by the caller, emptied here) with after -
 * before, modulo 2^64, for each counter in both snapshots; gauges such as
 * CurrEstab read as int64_t go negative.  A counter in only one snapshot
 * is counted in delta->counters[KR_UNPAIRED]. */
int kernel_snmp_delta(const struct kernel_snmp *before,
		      const struct kernel_snmp *after,
		      struct kernel_snmp *delta, char *errbuf);

/* ---- conntrack, through libnetfilter_conntrack ---- */

/* Status bits (IPS_* of <linux/netfilter/nf_conntrack_common.h>).
 * X(enum, bit, name) */
#define KERNEL_CT_STATUS(X)                            \
	X(KCT_EXPECTED, 0, "EXPECTED")                 \
	X(KCT_SEEN_REPLY, 1, "SEEN_REPLY")             \
	X(KCT_ASSURED, 2, "ASSURED")                   \
	X(KCT_CONFIRMED, 3, "CONFIRMED")               \
	X(KCT_SRC_NAT, 4, "SRC_NAT")                   \
	X(KCT_DST_NAT, 5, "DST_NAT")                   \
	X(KCT_SEQ_ADJUST, 6, "SEQ_ADJUST")             \
	X(KCT_SRC_NAT_DONE, 7, "SRC_NAT_DONE")         \
	X(KCT_DST_NAT_DONE, 8, "DST_NAT_DONE")         \
	X(KCT_DYING, 9, "DYING")                       \
	X(KCT_FIXED_TIMEOUT, 10, "FIXED_TIMEOUT")      \
	X(KCT_TEMPLATE, 11, "TEMPLATE")                \
	X(KCT_UNTRACKED, 12, "UNTRACKED")              \
	X(KCT_HELPER, 13, "HELPER")                    \
	X(KCT_OFFLOAD, 14, "OFFLOAD")                  \
	X(KCT_HW_OFFLOAD, 15, "HW_OFFLOAD")

enum {
#define KERNEL_X_CT_BIT(e, bit, name) e = 1u << (bit),
	KERNEL_CT_STATUS(KERNEL_X_CT_BIT)
#undef KERNEL_X_CT_BIT
};

#define KCT_STATUS_BITS 16
extern const char *const kernel_ct_status_names[KCT_STATUS_BITS];

/* Conntrack's TCP states (TCP_CONNTRACK_*), a view of the connection,
 * not of either endpoint.  X(enum, name) */
#define KERNEL_CT_TCP_STATES(X)              \
	X(KCT_TCP_NONE, "NONE")              \
	X(KCT_TCP_SYN_SENT, "SYN_SENT")      \
	X(KCT_TCP_SYN_RECV, "SYN_RECV")      \
	X(KCT_TCP_ESTABLISHED, "ESTABLISHED") \
	X(KCT_TCP_FIN_WAIT, "FIN_WAIT")      \
	X(KCT_TCP_CLOSE_WAIT, "CLOSE_WAIT")  \
	X(KCT_TCP_LAST_ACK, "LAST_ACK")      \
	X(KCT_TCP_TIME_WAIT, "TIME_WAIT")    \
	X(KCT_TCP_CLOSE, "CLOSE")            \
	X(KCT_TCP_SYN_SENT2, "SYN_SENT2")

enum kernel_ct_tcp_state {
#define KERNEL_X_CT_TCP(e, name) e,
	KERNEL_CT_TCP_STATES(KERNEL_X_CT_TCP)
#undef KERNEL_X_CT_TCP
	KCT_TCP_MAX
};

extern const char *const kernel_ct_tcp_state_names[KCT_TCP_MAX];

/* One direction of a connection.  Ports are zero for protocols without
 * them (ICMP's type, code and id are in the entry). */
struct kernel_ct_tuple {
	struct addr src, dst;
	uint16_t sport, dport;
	uint8_t l4proto; /* IPPROTO_* */
};

struct kernel_ct_entry {
	struct kernel_ct_tuple orig, reply;
	uint32_t status;  /* KCT_* bits */
	uint32_t mark;
	uint32_t timeout; /* seconds left */
	uint32_t id;
	uint16_t zone;
	uint8_t tcp_state; /* enum kernel_ct_tcp_state; TCP only */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	/* with net.netfilter.nf_conntrack_acct=1, else zero */
	uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
};

struct kernel_conntrack {
	struct kernel_ct_entry *v; /* in the order the kernel sent them */
	size_t n, max, alloc;
	uint64_t counters[KR_MAX];
};

void kernel_conntrack_init(struct kernel_conntrack *ct, size_t max);
void kernel_conntrack_free(struct kernel_conntrack *ct);

/* Append one entry (counted as a record); false past the cap or out of
 * memory (counted). */
bool kernel_conntrack_add(struct kernel_conntrack *ct,
			  const struct kernel_ct_entry *e);

/* Append a dump of the table (IPv4 and IPv6) of the calling process's
 * network namespace.  Conntrack unavailable (no nf_conntrack_netlink, no
 * CAP_NET_ADMIN) is -1 with errbuf saying which. */
int kernel_conntrack_dump(struct kernel_conntrack *ct, char *errbuf);

enum kernel_ct_event {
	KCT_EVENT_NEW,
	KCT_EVENT_UPDATE,
	KCT_EVENT_DESTROY,
	KCT_EVENT_MAX
};

extern const char *const kernel_ct_event_names[KCT_EVENT_MAX];

typedef void (*kernel_ct_event_fn)(enum kernel_ct_event type,
				   const struct kernel_ct_entry *e, void *arg);

/* The event stream: subscribe (NEW, UPDATE, DESTROY), poll the fd for
 * input, then read what is pending without blocking. */
struct kernel_ct_events;

struct kernel_ct_events *kernel_ct_events_open(char *errbuf);
int kernel_ct_events_fd(const struct kernel_ct_events *ev);
/* Deliver the pending events to fn; at most KERNEL_CT_EVENT_BATCH
 * datagrams per call (the fd stays readable if more wait).  Returns the
 * number of events, or -1 with errbuf.  An overrun of the socket's buffer
 * (events lost) is counted (KR_EVENTS_LOST), not an error. */
#define KERNEL_CT_EVENT_BATCH 256
int kernel_ct_events_read(struct kernel_ct_events *ev, kernel_ct_event_fn fn,
			  void *arg, char *errbuf);
const uint64_t *kernel_ct_events_counters(const struct kernel_ct_events *ev);
void kernel_ct_events_close(struct kernel_ct_events *ev);

/* The netlink messages of one datagram (len bytes) as the event socket
 * receives them: each ctnetlink NEW or DELETE message goes to fn; others
 * are skipped, malformed ones counted (KR_BAD_MESSAGE).  Returns the
 * number of events delivered. */
size_t kernel_ct_parse_messages(const void *buf, size_t len,
				kernel_ct_event_fn fn, void *arg,
				uint64_t counters[KR_MAX]);

/* ---- this host's addresses: getifaddrs() ---- */

/* An address of a local interface, and the interface. */
struct kernel_addr {
	struct addr addr;
	uint8_t prefix_len;
	char iface[KERNEL_IFNAMSIZ];
};

/* An interface's link-layer address, when it has an Ethernet one. */
struct kernel_link {
	char name[KERNEL_IFNAMSIZ];
	uint8_t mac[6];
};

#define KERNEL_MAX_ADDRS 65536

struct kernel_addrs {
	struct kernel_addr *v; /* sorted by address (kernel_addrs_sort) */
	size_t n, max, alloc;
	struct kernel_link *links;
	size_t nlinks, links_alloc;
	uint64_t counters[KR_MAX];
};

void kernel_addrs_init(struct kernel_addrs *a, size_t max);
void kernel_addrs_free(struct kernel_addrs *a);

/* Append one address (tests build tables by hand); false past the cap
 * or out of memory (counted).  Call kernel_addrs_sort() after. */
bool kernel_addrs_add(struct kernel_addrs *a, const struct addr *addr,
		      uint8_t prefix_len, const char *iface);
void kernel_addrs_sort(struct kernel_addrs *a);

/* Replace the table with the IPv4 and IPv6 addresses of every interface
 * of the calling process's network namespace (getifaddrs(3), which asks
 * the kernel over netlink), and the interfaces' Ethernet MACs.  Not
 * under the /proc root: /proc does not list IPv4 addresses. */
int kernel_read_addrs(struct kernel_addrs *a, char *errbuf);

/* Whether a is one of this host's addresses. */
bool kernel_addrs_has(const struct kernel_addrs *a, const struct addr *x);

/* The MAC of an interface, or NULL. */
const uint8_t *kernel_addrs_mac(const struct kernel_addrs *a,
				const char *iface);

/* ---- one snapshot of the local host, for a report ---- */

enum {
	KH_ADDRS = 0x1,	    /* this host's addresses */
	KH_SOCKETS = 0x2,   /* net/tcp, tcp6, udp, udp6 */
	KH_OWNERS = 0x4,    /* <pid>/fd and comm */
	KH_CONNTRACK = 0x8, /* the conntrack table (netlink, not /proc) */
};

struct kernel_host {
	struct kernel_addrs addrs;
	struct kernel_sockets sockets;
	struct kernel_owners owners;
	struct kernel_conntrack ct;
	unsigned have; /* KH_* read whole this time */
	/* Why a part is missing (the last failure), "" if it is not. */
	char ct_error[WS_ERRBUF_SIZE];
	char owners_error[WS_ERRBUF_SIZE];
};

/* Empty tables with the KERNEL_MAX_* caps. */
void kernel_host_init(struct kernel_host *h);
void kernel_host_free(struct kernel_host *h);

/* Read the parts asked for (KH_*), each table emptied first, counters
 * restarted (they describe this snapshot).  Sockets and addresses are
 * required: -1 with errbuf if either cannot be read.  Owners and
 * conntrack may fail (no privilege, no nf_conntrack_netlink): their bit
 * stays clear and ct_error or owners_error says why. */
int kernel_host_read(struct kernel_host *h, const char *root, unsigned what,
		     char *errbuf);

#endif

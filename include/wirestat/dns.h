/* dns.h - DNS answers read off the wire, and the passive name cache they
 * fill (issue 8): hosts are named without sending a single query.
 *
 * The parser (dns_parse) reads one DNS message (RFC 1035 4.1) as hostile
 * bytes and hands each A, AAAA, CNAME and PTR record of class IN to a
 * callback.  Only responses (QR=1) with OPCODE 0 and RCODE 0 are read past
 * the header.  Questions and the records of every section are walked and
 * their names checked.  Every failure is one counted reason; nothing is
 * read outside [msg, msg + cap).
 *
 * Names are given in presentation form: labels joined by '.', no trailing
 * dot ("." is the root), ASCII letters lower-cased (DNS compares names
 * case-insensitively, RFC 4343).  Bytes that would not print as one token
 * are escaped, never rejected: a byte outside '!'..'~', and '.' or '\'
 * inside a label, becomes "\DDD" (three decimal digits, RFC 1035 5.1), so
 * a name is always printable ASCII without spaces, safe in a table, and
 * JSON/CSV need only their usual quoting.  An escaped name can be up to
 * four times its wire length, hence DNS_NAME_STRLEN.
 *
 * Framing: for UDP (and mDNS) the buffer is the datagram's payload.  For
 * TCP the caller passes the segment's payload as is, DNS_F_TCP set: the
 * parser reads the 2-byte length prefix (RFC 1035 4.2.2) itself.  A
 * segment holding only the start of a message is parsed as far as it goes
 * (DNS_R_TRUNC_SEGMENT); several messages in one segment are read one
 * call at a time (dns_message.length).  There is no reassembly: a segment
 * that continues an earlier message is read as if it began one.
 *
 * mDNS (RFC 6762, DNS_F_MDNS): the class field's top bit is the
 * cache-flush bit in records (10.2) and the unicast-response bit in
 * questions (5.4); both are masked off before the class is compared.
 * Responses carry ID 0 and usually no question; neither matters here.
 *
 * The cache (struct names) maps an address to the name it was learned
 * under; see names_learn_message() for its rules.
 */
#ifndef WIRESTAT_DNS_H
#define WIRESTAT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"
#include "wirestat/decode.h"

/* Room for any name in presentation form, escapes included, and NUL:
 * 255 wire bytes give at most 1012 characters. */
#define DNS_NAME_STRLEN 1024

/* Compression pointers followed for one name before giving up; each must
 * also point strictly before the labels that contain it. */
#define DNS_MAX_POINTERS 64

enum dns_class {
	DNS_CLASS_USED,	     /* a response read to its end */
	DNS_CLASS_IGNORED,   /* well-formed but not an answer to use */
	DNS_CLASS_TRUNCATED, /* the bytes ended early: use what came before */
	DNS_CLASS_MALFORMED, /* the message contradicts itself: use nothing */
	DNS_CLASS_MAX
};

/* One verdict per message.  X(enum name, counter name, class) */
#define DNS_REASONS(X)                                                        \
	X(DNS_R_OK, "dns_responses", DNS_CLASS_USED)                          \
	X(DNS_R_QUERY, "dns_not_a_response", DNS_CLASS_IGNORED)               \
	X(DNS_R_OPCODE, "dns_opcode_not_query", DNS_CLASS_IGNORED)            \
	X(DNS_R_RCODE, "dns_rcode_not_zero", DNS_CLASS_IGNORED)               \
	X(DNS_R_TRUNC_SNAPLEN, "dns_truncated_by_snaplen",                    \
	  DNS_CLASS_TRUNCATED)                                                \
	X(DNS_R_TRUNC_SEGMENT, "dns_truncated_tcp_segment",                   \
	  DNS_CLASS_TRUNCATED)                                                \
	X(DNS_R_TRUNC_TC, "dns_truncated_tc_bit", DNS_CLASS_TRUNCATED)        \
	X(DNS_R_SHORT, "dns_shorter_than_header", DNS_CLASS_MALFORMED)        \
	X(DNS_R_COUNTS, "dns_counts_exceed_message", DNS_CLASS_MALFORMED)     \
	X(DNS_R_LABEL, "dns_label_over_63", DNS_CLASS_MALFORMED)              \
	X(DNS_R_NAME_LONG, "dns_name_over_255", DNS_CLASS_MALFORMED)          \
	X(DNS_R_NAME_END, "dns_name_past_end", DNS_CLASS_MALFORMED)           \
	X(DNS_R_PTR_RANGE, "dns_pointer_out_of_range", DNS_CLASS_MALFORMED)   \
	X(DNS_R_PTR_FORWARD, "dns_pointer_not_backwards",                     \
	  DNS_CLASS_MALFORMED)                                                \
	X(DNS_R_PTR_HOPS, "dns_too_many_pointers", DNS_CLASS_MALFORMED)       \
	X(DNS_R_RR_END, "dns_record_past_end", DNS_CLASS_MALFORMED)           \
	X(DNS_R_RDLENGTH, "dns_rdlength_past_end", DNS_CLASS_MALFORMED)       \
	X(DNS_R_A_LEN, "dns_a_rdlength_not_4", DNS_CLASS_MALFORMED)           \
	X(DNS_R_AAAA_LEN, "dns_aaaa_rdlength_not_16", DNS_CLASS_MALFORMED)    \
	X(DNS_R_RDATA_NAME, "dns_rdata_name_not_rdlength",                    \
	  DNS_CLASS_MALFORMED)

enum dns_reason {
#define DNS_X_ENUM(e, name, cls) e,
	DNS_REASONS(DNS_X_ENUM)
#undef DNS_X_ENUM
	DNS_R_MAX
};

extern const char *const dns_reason_names[DNS_R_MAX];
extern const uint8_t dns_reason_class[DNS_R_MAX]; /* enum dns_class */
extern const char *const dns_class_names[DNS_CLASS_MAX];

/* Record types the parser hands out (RFC 1035 3.2.2, RFC 3596). */
enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_AAAA = 28,
};

enum dns_section { DNS_SEC_ANSWER, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL };

/* dns_parse() flags */
enum {
	DNS_F_TCP = 0x01,  /* the buffer starts with a 2-byte length prefix */
	DNS_F_MDNS = 0x02, /* RFC 6762: class top bit is a flag, not class */
};

/* The header, and the first question's name, filled before the first
 * answer is handed out. */
struct dns_message {
	uint16_t id;
	uint16_t flags; /* QR, OPCODE, AA, TC, RD, RA, Z, RCODE as on the wire */
	uint16_t qdcount, ancount, nscount, arcount;
	/* Bytes of the buffer this message spans: 2 + the prefix for TCP,
	 * else the wire length given.  0 if not even that was readable. */
	uint32_t length;
	bool has_qname;
	char qname[DNS_NAME_STRLEN];
};

struct dns_answer {
	uint16_t type;	  /* enum dns_type */
	uint8_t section;  /* enum dns_section */
	bool cache_flush; /* mDNS: the class field's top bit */
	uint32_t ttl;	  /* seconds; a TTL with its top bit set reads as 0
			   * (RFC 2181 8) */
	/* A, AAAA: the address in RDATA.  PTR: the address the owner name
	 * spells (dns_reverse_name), family ADDR_NONE if it spells none.
	 * CNAME: family ADDR_NONE. */
	struct addr addr;
	char name[DNS_NAME_STRLEN];   /* owner */
	char target[DNS_NAME_STRLEN]; /* CNAME, PTR: the name in RDATA */
};

typedef void (*dns_answer_fn)(void *ctx, const struct dns_message *m,
			      const struct dns_answer *a);

/* Parse one message from buf: cap bytes captured of wire bytes carried
 * (cap <= wire; for UDP the datagram payload's payload_cap/payload_len,
 * for TCP the segment's).  Calls fn for every A, AAAA, CNAME and PTR
 * record of class IN, in message order, in every section (the caller
 * picks by a->section).  fn may be NULL (validation only); m may not.
 *
 * Returns the verdict.  A record is handed out only once it is whole
 * and checked, so after a truncated verdict the records given are good;
 * after a malformed verdict some may have been given before the fault
 * was found, and the caller should drop them (names_learn_message does).
 * Bytes after the last record are ignored. */
enum dns_reason dns_parse(const uint8_t *buf, size_t cap, size_t wire,
			  unsigned flags, struct dns_message *m,
			  dns_answer_fn fn, void *ctx);

/* The address a reverse-lookup name spells: exactly four decimal labels
 * (0-255, no leading zeros) under in-addr.arpa, or exactly 32 hex nibble
 * labels under ip6.arpa (RFC 1035 3.5, RFC 3596 2.5).  Anything else
 * (a partial zone, an RFC 2317 "0/25" label) is not an address. */
bool dns_reverse_name(const char *name, struct addr *out);

/* ---- The passive name cache ---------------------------------------- */

#define NAMES_DEFAULT_MAX 65536
/* Longest name the cache keeps, NUL included: every name without
 * escapes (at most 253 characters) fits; longer ones are counted
 * (names_too_long) and not learned. */
#define NAMES_NAME_MAX 256

enum names_source {
	NAMES_SRC_A,	/* a unicast DNS A answer */
	NAMES_SRC_AAAA, /* a unicast DNS AAAA answer */
	NAMES_SRC_PTR,	/* a unicast DNS PTR answer */
	NAMES_SRC_MDNS, /* an mDNS (UDP 5353) A, AAAA or PTR record */
	NAMES_SRC_MAX
};

extern const char *const names_source_names[NAMES_SRC_MAX]; /* "a", ... */

struct names_entry {
	struct addr addr;
	uint8_t source; /* enum names_source */
	uint32_t ttl;	/* seconds, from the latest answer for this name */
	ws_time first_ts; /* first answer giving this address this name */
	ws_time last_ts;  /* latest answer giving it */
	ws_time expires;  /* last_ts + ttl */
	/* A/AAAA: the name that was asked (the CNAME chain followed back);
	 * PTR: the host name pointed to. */
	char name[NAMES_NAME_MAX];
	/* A/AAAA reached through CNAMEs: the owner of the address record
	 * (the canonical name); "" otherwise or if too long to keep. */
	char canonical[NAMES_NAME_MAX];
};

/* X(enum, counter name) */
#define NAMES_COUNTERS(X)                                                      \
	X(NC_LEARNED, "names_learned")           /* new address in the cache */ \
	X(NC_REFRESHED, "names_refreshed")       /* same name seen again */     \
	X(NC_REPLACED, "names_replaced")         /* address given a new name */ \
	X(NC_KEPT, "names_kept_over_weaker")     /* PTR while A name is live */ \
	X(NC_EVICTED, "names_evicted")           /* cap reached: LRU dropped */ \
	X(NC_TOO_LONG, "names_too_long")         /* over NAMES_NAME_MAX */      \
	X(NC_PTR_NOT_ADDR, "names_ptr_not_reverse") /* PTR owner no address */ \
	X(NC_OVER_SCRATCH, "names_answers_over_limit") /* > NAMES_MAX_ANSWERS */ \
	X(NC_NOT_RECORDED, "names_not_recorded") /* hash table out of memory */

enum names_counter {
#define NAMES_X_ENUM(e, name) e,
	NAMES_COUNTERS(NAMES_X_ENUM)
#undef NAMES_X_ENUM
	NC_MAX
};

extern const char *const names_counter_names[NC_MAX];

/* Records of one message the cache considers; more are counted
 * (names_answers_over_limit) and skipped. */
#define NAMES_MAX_ANSWERS 64

struct names;

/* max_entries 0 means NAMES_DEFAULT_MAX.  Entries are carved in slabs of
 * 1024 as the cache grows (about 660 bytes each: 43 MB if the default cap
 * fills) and kept until names_free(); the per-message scratch (about
 * 135 kB) comes with the cache.  Nothing is allocated per packet.
 * Addresses are hashed with flow_hash(), which the first flow table
 * seeds: create the engine's flow table first, as for the ports table. */
struct names *names_new(size_t max_entries, char *errbuf);
void names_free(struct names *n);

/* Learn from one DNS message (buf/cap/wire/flags as dns_parse()).  The
 * verdict is counted (names_dns_counters) and returned.  Nothing is
 * learned from a malformed or ignored message; from a truncated one, the
 * whole records before the cut.
 *
 * What is learned:
 * - A/AAAA: address -> the name asked.  The owner is followed back
 *   through the message's CNAME records (alias <- target, at most
 *   NAMES_MAX_ANSWERS hops) until the question's name or the start of the
 *   chain; the owner itself is kept as the canonical name.  TTL: the
 *   address record's.  Unicast DNS: answer section only (glue in other
 *   sections names servers nobody asked about); mDNS: answer and
 *   additional sections (RFC 6762 12: a host's own records).
 * - PTR: the owner, followed back the same way (RFC 2317 CNAMEs), must
 *   spell an address (dns_reverse_name); address -> the target name.
 * Best name: one entry per address.  A forward name (A/AAAA, DNS or
 * mDNS) outranks a PTR name.  A new answer replaces the name held when
 * it ranks at least as high, or when the held name's TTL has run out;
 * otherwise the held name stays (names_kept_over_weaker).  The same name
 * again refreshes last_ts and the TTL.
 * Eviction: at the cap, the entry whose name was least recently set or
 * refreshed by an answer goes (names_evicted); lookups do not count as
 * use. */
enum dns_reason names_learn_message(struct names *n, const uint8_t *buf,
				    size_t cap, size_t wire, unsigned flags,
				    ws_time now);

/* The engine's hook: a decoded UDP or TCP packet.  DNS is UDP or TCP
 * port 53 and mDNS UDP port 5353, either direction (only responses are
 * used, whoever sends them); other packets and empty segments are
 * ignored, uncounted.  A TCP segment may hold several messages (RFC 7766
 * 6.2.1.1 pipelining): up to 16 are read.  A payload cut by snaplen
 * (payload_cap < payload_len) is read as far as it was captured. */
void names_learn_packet(struct names *n, const struct decoded *d,
			ws_time now);

enum { NAMES_DNS_PORT = 53, NAMES_MDNS_PORT = 5353 };

/* The cheap test the engine makes on every decoded UDP or TCP packet
 * before it hands one to names_learn_packet(): a DNS or mDNS port, either
 * direction (proto: IPPROTO_UDP 17 or IPPROTO_TCP 6). */
static inline bool names_is_dns(uint8_t proto, uint16_t sport, uint16_t dport)
{
	if (proto == 17)
		return sport == NAMES_DNS_PORT || dport == NAMES_DNS_PORT ||
		       sport == NAMES_MDNS_PORT || dport == NAMES_MDNS_PORT;
	return proto == 6 && (sport == NAMES_DNS_PORT || dport == NAMES_DNS_PORT);
}

enum {
	NAMES_FRESH_ONLY = 0x01, /* only a name whose TTL has not run out */
};

/* The entry for an address, or NULL.  By default a name is returned
 * however old it is: a TTL says how long a resolver may reuse an
 * answer, not how long the address keeps its name, and a connection
 * named at its start keeps that name in later reports (issue 8).  With
 * NAMES_FRESH_ONLY, a name is returned only while now < expires. */
const struct names_entry *names_lookup(const struct names *n,
				       const struct addr *a, ws_time now,
				       unsigned flags);

/* The host part of a name, before its first '.', as netstat shows
 * foreign hosts without -f ("www" for "www.example.com").  Returns buf. */
char *names_short(const char *name, char *buf, size_t size);

/* Iteration (least recently learned first) for --names. */
size_t names_count(const struct names *n);
size_t names_capacity(const struct names *n);
const struct names_entry *names_first(const struct names *n);
const struct names_entry *names_next(const struct names_entry *e);

const uint64_t *names_counters(const struct names *n);	   /* [NC_MAX] */
const uint64_t *names_dns_counters(const struct names *n); /* [DNS_R_MAX] */

#endif

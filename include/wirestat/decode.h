/* decode.h - one captured frame, link layer to transport header, in place.
 *
 * decode_packet() reads every field through bounds-checked accessors and
 * fills a small struct on the caller's stack.  Its return value is exactly
 * one reason per frame; the reasons partition what libpcap delivered, so
 * their counters add up to the frames read.  "Truncated" (the capture kept
 * fewer bytes than the wire carried: snaplen) and "malformed" (the bytes on
 * the wire contradict themselves) are different reasons, as in tcpdump.
 */
#ifndef WIRESTAT_DECODE_H
#define WIRESTAT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "wirestat/addr.h"
#include "wirestat/common.h"

enum decode_class {
	DECODE_CLASS_OK,	/* transport header decoded (or other IP) */
	DECODE_CLASS_NOT_IP,	/* a frame that is not IPv4 or IPv6 */
	DECODE_CLASS_FRAGMENT,	/* a non-first IP fragment: no ports */
	DECODE_CLASS_TRUNCATED, /* cut short by the capture's snaplen */
	DECODE_CLASS_MALFORMED, /* the frame contradicts itself */
	DECODE_CLASS_MAX
};

/* X(enum name, counter name, class) */
#define DECODE_REASONS(X)                                                     \
	X(DR_TCP, "tcp", DECODE_CLASS_OK)                                     \
	X(DR_UDP, "udp", DECODE_CLASS_OK)                                     \
	X(DR_ICMP, "icmp", DECODE_CLASS_OK)                                   \
	X(DR_ICMP6, "icmp6", DECODE_CLASS_OK)                                 \
	X(DR_IP_OTHER, "ip_other_protocol", DECODE_CLASS_OK)                  \
	X(DR_NOT_IP, "not_ip", DECODE_CLASS_NOT_IP)                           \
	X(DR_FRAGMENT, "ip_fragment", DECODE_CLASS_FRAGMENT)                  \
	X(DR_TRUNC_LINK, "truncated_link_header", DECODE_CLASS_TRUNCATED)     \
	X(DR_TRUNC_VLAN, "truncated_vlan_tag", DECODE_CLASS_TRUNCATED)        \
	X(DR_TRUNC_IPV4, "truncated_ipv4_header", DECODE_CLASS_TRUNCATED)     \
	X(DR_TRUNC_IPV6, "truncated_ipv6_header", DECODE_CLASS_TRUNCATED)     \
	X(DR_TRUNC_IPV6_EXT, "truncated_ipv6_extension",                      \
	  DECODE_CLASS_TRUNCATED)                                             \
	X(DR_TRUNC_TCP, "truncated_tcp_header", DECODE_CLASS_TRUNCATED)       \
	X(DR_TRUNC_UDP, "truncated_udp_header", DECODE_CLASS_TRUNCATED)       \
	X(DR_TRUNC_ICMP, "truncated_icmp_header", DECODE_CLASS_TRUNCATED)     \
	X(DR_BAD_RECORD, "bad_record_lengths", DECODE_CLASS_MALFORMED)        \
	X(DR_BAD_LINK, "bad_link_header", DECODE_CLASS_MALFORMED)             \
	X(DR_BAD_VLAN_DEPTH, "too_many_vlan_tags", DECODE_CLASS_MALFORMED)    \
	X(DR_BAD_IP_VERSION, "bad_ip_version", DECODE_CLASS_MALFORMED)        \
	X(DR_BAD_IPV4_IHL, "bad_ipv4_header_length", DECODE_CLASS_MALFORMED)  \
	X(DR_BAD_IPV4_LEN, "bad_ipv4_total_length", DECODE_CLASS_MALFORMED)   \
	X(DR_BAD_IPV6_LEN, "bad_ipv6_payload_length", DECODE_CLASS_MALFORMED) \
	X(DR_BAD_IPV6_CHAIN, "bad_ipv6_extension_chain",                      \
	  DECODE_CLASS_MALFORMED)                                             \
	X(DR_BAD_L4_LEN, "transport_header_beyond_datagram",                  \
	  DECODE_CLASS_MALFORMED)                                             \
	X(DR_BAD_TCP_DOFF, "bad_tcp_data_offset", DECODE_CLASS_MALFORMED)     \
	X(DR_BAD_UDP_LEN, "bad_udp_length", DECODE_CLASS_MALFORMED)

enum decode_reason {
#define DECODE_X_ENUM(e, name, cls) e,
	DECODE_REASONS(DECODE_X_ENUM)
#undef DECODE_X_ENUM
	DR_MAX
};

extern const char *const decode_reason_names[DR_MAX];
extern const uint8_t decode_reason_class[DR_MAX]; /* enum decode_class */
extern const char *const decode_class_names[DECODE_CLASS_MAX];

/* TCP flag bits as on the wire (RFC 9293 section 3.1). */
enum {
	TH_FIN = 0x01,
	TH_SYN = 0x02,
	TH_RST = 0x04,
	TH_PUSH = 0x08,
	TH_ACK = 0x10,
	TH_URG = 0x20,
	TH_ECE = 0x40,
	TH_CWR = 0x80,
};

/* Facts about the link layer, for -e and the flow key. */
enum {
	DL_MULTICAST = 0x01, /* destination MAC is a group address */
	DL_BROADCAST = 0x02, /* destination MAC is ff:ff:ff:ff:ff:ff */
	DL_OUTGOING = 0x04,  /* Linux cooked: sent by the capturing host */
	DL_SRC_MAC = 0x08,   /* mac_src holds the frame's source MAC */
	DL_DST_MAC = 0x10,   /* mac_dst holds its destination MAC */
};

/* Per-frame anomalies that do not change the outcome (counted apart). */
enum {
	DA_TCP_OPT_BAD = 0x01,	 /* an option length < 2 or past the header */
	DA_TCP_OPT_TRUNC = 0x02, /* options cut by snaplen; parsed up to it */
	DA_IPV4_OPTIONS = 0x04,	 /* IPv4 header carried options */
	DA_FIRST_FRAGMENT = 0x08 /* first fragment of a fragmented datagram */
};

#define DECODE_NO_WSCALE 0xff

struct decoded {
	ws_time ts;
	uint32_t wire_len; /* frame length on the wire (pcap len) */
	uint32_t cap_len;  /* bytes captured (pcap caplen) */
	uint16_t vlan;	   /* outer 802.1Q/802.1ad VLAN ID, 0 if none */
	uint16_t inner_vlan;
	uint8_t dl_flags; /* DL_* */
	uint8_t anomalies; /* DA_* */
	uint8_t proto;	   /* IPPROTO_* of the transport header */
	uint8_t ttl;	   /* IPv4 TTL or IPv6 hop limit */
	/* Ethernet: both MAC addresses; Linux cooked: the sender's link
	 * address when it is a 6-byte Ethernet one (DL_SRC_MAC, DL_DST_MAC
	 * say which are set) */
	uint8_t mac_src[6], mac_dst[6];
	struct addr src, dst;
	uint32_t ip_len; /* IP datagram length, header included */
	uint16_t sport, dport;
	/* TCP */
	uint8_t tcp_flags;
	uint8_t wscale; /* window scale option, DECODE_NO_WSCALE if absent */
	uint16_t window;
	uint32_t seq, ack;
	uint16_t mss; /* 0 if absent */
	/* payload: bytes after the transport header as carried on the wire
	 * (payload_len) and as captured (payload_cap <= payload_len). */
	uint32_t payload_len;
	uint32_t payload_cap;
	const uint8_t *payload;
	/* ICMP / ICMPv6 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id; /* echo identifier */
	/* The invoking packet quoted by an ICMP error, when present. */
	bool inner_valid;
	uint8_t inner_proto;
	struct addr inner_src, inner_dst;
	uint16_t inner_sport, inner_dport;
	bool inner_has_seq; /* TCP: the quote reaches the sequence number */
	uint32_t inner_seq;
};

/* Whether wirestat decodes this libpcap DLT_* link type. */
bool decode_linktype_supported(int dlt);

/* Decode one frame of link type dlt.  The struct is filled as far as the
 * frame allows; the returned reason says how far that was. */
enum decode_reason decode_packet(int dlt, const uint8_t *data,
				 uint32_t cap_len, uint32_t wire_len,
				 struct decoded *out);

#endif

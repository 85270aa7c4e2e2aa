/* test_decode.c - the decoder over raw frames, one table row per frame.
 *
 * Each row names a frame written out byte by byte (Suricata's raw-byte
 * tests), the link type, the captured and wire lengths, the reason the
 * decoder must return and the fields it must fill.  Reason, link flags,
 * anomalies and VLANs are compared on every row; the rest as a row asks.
 * After the table: every prefix of a good frame is "truncated", never
 * "malformed"; and random and mutated frames never crash the decoder
 * (run this under ASan: every frame is a heap copy of exactly its size).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wirestat/decode.h"

#define B16(v) (uint8_t)(((v) >> 8) & 0xff), (uint8_t)((v) & 0xff)
#define B32(v) B16((uint32_t)(v) >> 16), B16((v) & 0xffff)

/* Ethernet, 02:00:00:00:00:01 -> 02:00:00:00:00:02. */
#define ETH(type) 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, B16(type)
#define ETH_BCAST(type) \
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, B16(type)
/* 01:00:5e:7f:ff:ff, a group address that ends like broadcast. */
#define ETH_MCAST(type) \
	0x01, 0x00, 0x5e, 0x7f, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, B16(type)
#define VLAN(tci, type) B16(tci), B16(type)

/* IPv4, 10.0.0.1 -> 10.0.0.2 (IP4R the other way), TTL 64. */
#define IP4_HDR(vihl, total, frag, proto, a, b)                            \
	vihl, 0, B16(total), 0x12, 0x34, B16(frag), 64, proto, 0, 0, 10, 0, \
		0, a, 10, 0, 0, b
#define IP4(total, frag, proto) IP4_HDR(0x45, total, frag, proto, 1, 2)
#define IP4R(total, frag, proto) IP4_HDR(0x45, total, frag, proto, 2, 1)

/* IPv6, fd00::1 -> fd00::2 (IP6R the other way), hop limit 64. */
#define FD00(x) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, x
#define IP6(plen, nxt) 0x60, 0, 0, 0, B16(plen), nxt, 64, FD00(1), FD00(2)
#define IP6R(plen, nxt) 0x60, 0, 0, 0, B16(plen), nxt, 64, FD00(2), FD00(1)

#define TCP(sport, dport, seq, ack, doff, flags)                            \
	B16(sport), B16(dport), B32(seq), B32(ack), (doff) << 4, flags,     \
		B16(29200), 0, 0, 0, 0
#define UDP(sport, dport, len) B16(sport), B16(dport), B16(len), 0, 0

/* An 8-byte IPv6 option header (hop-by-hop, destination) of PadN. */
#define OPT8(nxt) nxt, 0, 1, 4, 0, 0, 0, 0
#define NOP8 1, 1, 1, 1, 1, 1, 1, 1

enum {
	P_HOPOPTS = 0,
	P_ICMP = 1,
	P_TCP = 6,
	P_UDP = 17,
	P_ROUTING = 43,
	P_FRAGMENT = 44,
	P_GRE = 47,
	P_AH = 51,
	P_ICMPV6 = 58,
	P_NONE = 59,
	P_DSTOPTS = 60,
};

/* ---- link layers ---- */

static const uint8_t eth_tcp_syn[] = {
	ETH(0x0800), IP4(40, 0x4000, P_TCP),
	TCP(49152, 80, 0x01020304, 0, 5, TH_SYN),
};

/* Total length 40 in a 60-byte frame: the rest is Ethernet padding. */
static const uint8_t eth_padded[] = {
	ETH(0x0800), IP4(40, 0, P_TCP),
	TCP(49152, 80, 1000, 2000, 5, TH_ACK),
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
};

static const uint8_t eth_vlan_udp[] = {
	ETH(0x8100), VLAN(0x2064, 0x0800), /* PCP 1, VID 100 */
	IP4(32, 0, P_UDP), UDP(5353, 53, 12), 'a', 'b', 'c', 'd',
};

static const uint8_t eth_qinq_udp[] = {
	ETH(0x88a8), VLAN(200, 0x8100), VLAN(300, 0x0800),
	IP4(28, 0, P_UDP), UDP(1000, 2000, 8),
};

static const uint8_t eth_4tags[] = {
	ETH(0x8100), VLAN(1, 0x8100), VLAN(2, 0x88a8), VLAN(3, 0x9100),
	VLAN(4, 0x0800), IP4(28, 0, P_UDP), UDP(1000, 2000, 8),
};

static const uint8_t eth_5tags[] = {
	ETH(0x8100), VLAN(1, 0x8100), VLAN(2, 0x88a8), VLAN(3, 0x9100),
	VLAN(4, 0x8100), VLAN(5, 0x0800), IP4(28, 0, P_UDP),
	UDP(1000, 2000, 8),
};

static const uint8_t eth_vlan_cut[] = {ETH(0x8100), 0x00, 0x64};

static const uint8_t eth_arp[] = {
	ETH_BCAST(0x0806), 0, 1, 8, 0, 6, 4, 0, 1,
	0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
};

static const uint8_t eth_mcast_udp[] = {
	ETH_MCAST(0x0800), IP4(28, 0, P_UDP), UDP(5353, 5353, 8),
};

/* An 802.3 frame: the type field is a length. */
static const uint8_t eth_8023[] = {
	ETH(0x0026), 0x42, 0x42, 0x03, 0, 0, 0, 0, 0,
};

/* Linux cooked v1: pkttype, ARPHRD, address length, address, protocol. */
#define SLL(pkttype, proto) \
	B16(pkttype), B16(1), B16(6), 0x02, 0, 0, 0, 0, 0x01, 0, 0, B16(proto)
/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, pkttype, halen,
 * address. */
#define SLL2(pkttype, proto) \
	B16(proto), 0, 0, B32(2), B16(1), pkttype, 6, 0x02, 0, 0, 0, 0, \
		0x01, 0, 0

static const uint8_t sll_out_tcp[] = {
	SLL(4, 0x0800), IP4(40, 0x4000, P_TCP),
	TCP(49152, 80, 7, 9, 5, TH_SYN | TH_ACK),
};

static const uint8_t sll_host_udp6[] = {
	SLL(0, 0x86dd), IP6(8, P_UDP), UDP(546, 547, 8),
};

static const uint8_t sll_bcast_arp[] = {
	SLL(1, 0x0806), 0, 1, 8, 0, 6, 4, 0, 1,
};

static const uint8_t sll2_out_tcp6[] = {
	SLL2(4, 0x86dd), IP6(20, P_TCP),
	TCP(40000, 443, 0xfffffff0, 0x10, 5, TH_FIN | TH_ACK),
};

static const uint8_t sll2_mcast_udp[] = {
	SLL2(2, 0x0800), IP4(28, 0, P_UDP), UDP(5353, 5353, 8),
};

static const uint8_t raw4_udp[] = {IP4(28, 0, P_UDP), UDP(1, 2, 8)};

static const uint8_t raw6_tcp[] = {
	IP6(20, P_TCP), TCP(22, 50000, 1, 2, 5, TH_ACK),
};

static const uint8_t raw_v5[] = {
	0x55, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
};

static const uint8_t null_le_udp[] = {
	2, 0, 0, 0, IP4(28, 0, P_UDP), UDP(1234, 53, 8),
};

static const uint8_t null_be_udp[] = {
	0, 0, 0, 2, IP4(28, 0, P_UDP), UDP(1234, 53, 8),
};

static const uint8_t null_le_v6_macos[] = {
	30, 0, 0, 0, IP6(8, P_UDP), UDP(1234, 53, 8),
};

static const uint8_t null_be_v6_openbsd[] = {
	0, 0, 0, 24, IP6(8, P_UDP), UDP(1234, 53, 8),
};

static const uint8_t null_le_v6_freebsd[] = {
	28, 0, 0, 0, IP6(8, P_UDP), UDP(1234, 53, 8),
};

static const uint8_t null_af7[] = {7, 0, 0, 0, IP4(28, 0, P_UDP), UDP(1, 2, 8)};

static const uint8_t loop_v4[] = {
	0, 0, 0, 2, IP4(40, 0, P_TCP), TCP(1025, 25, 5, 6, 5, TH_RST),
};

/* DLT_LOOP is network order: 02 00 00 00 is not AF_INET. */
static const uint8_t loop_le[] = {
	2, 0, 0, 0, IP4(40, 0, P_TCP), TCP(1025, 25, 5, 6, 5, TH_RST),
};

/* ---- IPv4 ---- */

static const uint8_t ip4_options[] = {
	ETH(0x0800), IP4_HDR(0x46, 44, 0, P_TCP, 1, 2), 1, 1, 1, 0,
	TCP(49152, 80, 1, 2, 5, TH_ACK),
};

static const uint8_t ip4_ihl4[] = {
	IP4_HDR(0x44, 40, 0, P_TCP, 1, 2), TCP(1, 2, 0, 0, 5, TH_SYN),
};

/* IHL 15 (60 bytes) but total length 40. */
static const uint8_t ip4_ihl_over_total[] = {
	IP4_HDR(0x4f, 40, 0, P_TCP, 1, 2), TCP(1, 2, 0, 0, 5, TH_SYN),
};

/* IHL 15 and total 60 in a 40-byte frame. */
static const uint8_t ip4_ihl_over_frame[] = {
	IP4_HDR(0x4f, 60, 0, P_TCP, 1, 2), TCP(1, 2, 0, 0, 5, TH_SYN),
};

/* IHL 15, 40 bytes of options and nothing after them. */
static const uint8_t ip4_ihl15[] = {
	IP4_HDR(0x4f, 60, 0, P_TCP, 1, 2), NOP8, NOP8, NOP8, NOP8, NOP8,
};

static const uint8_t ip4_total19[] = {
	IP4(19, 0, P_TCP), TCP(1, 2, 0, 0, 5, TH_SYN),
};

static const uint8_t ip4_total100[] = {
	IP4(100, 0, P_TCP), TCP(1, 2, 0, 0, 5, TH_SYN),
};

/* First fragment of a 3000-byte UDP datagram: the UDP length covers
 * the whole datagram, this frame carries 16 bytes of it. */
static const uint8_t ip4_frag_first_udp[] = {
	ETH(0x0800), IP4(44, 0x2000, P_UDP), UDP(40000, 2049, 3008),
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

static const uint8_t ip4_frag_first_tcp[] = {
	IP4(48, 0x2000, P_TCP), TCP(1000, 80, 5, 6, 5, TH_ACK),
	0, 0, 0, 0, 0, 0, 0, 0,
};

/* A first fragment too short for a TCP header (RFC 1858), and one
 * whose data offset reaches into the next fragment. */
static const uint8_t ip4_frag_tiny_tcp[] = {
	IP4(28, 0x2000, P_TCP), B16(1000), B16(80), B32(5),
};

static const uint8_t ip4_frag_tcp_doff[] = {
	IP4(40, 0x2000, P_TCP), TCP(1000, 80, 5, 6, 15, TH_SYN),
};

/* Offset 1480 with more fragments; then the last fragment. */
static const uint8_t ip4_frag_middle[] = {
	IP4(28, 0x20b9, P_UDP), 0xde, 0xad, 0xbe, 0xef, 0, 8, 0, 0,
};

static const uint8_t ip4_frag_last[] = {
	IP4(28, 0x00b9, P_UDP), 0xde, 0xad, 0xbe, 0xef, 0, 8, 0, 0,
};

/* The highest offset bit (32768 bytes) alone. */
static const uint8_t ip4_frag_high[] = {
	IP4(28, 0x1000, P_UDP), 0xde, 0xad, 0xbe, 0xef, 0, 8, 0, 0,
};

static const uint8_t ip4_df_udp[] = {IP4(28, 0x4000, P_UDP), UDP(7, 9, 8)};

static const uint8_t ip4_gre[] = {IP4(24, 0, P_GRE), 0, 0, 0x08, 0};

/* Linux BIG TCP over IPv4: total length 0 in a frame above 64 KiB. */
static const uint8_t ip4_big_tcp[] = {
	IP4(0, 0x4000, P_TCP), TCP(5201, 40000, 1, 1, 5, TH_ACK),
};

/* The ICMP proto in an IPv6 header and ICMPv6 in IPv4 are "other". */
static const uint8_t ip4_proto58[] = {
	IP4(28, 0, P_ICMPV6), 128, 0, 0, 0, 0, 1, 0, 1,
};

static const uint8_t ip4_tcp_beyond[] = {
	IP4(30, 0, P_TCP), B16(1), B16(2), 0, 0, 0, 0, 0, 0,
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
};

/* ---- IPv6 ---- */

static const uint8_t eth_ip6_tcp[] = {
	ETH(0x86dd), IP6(20, P_TCP), TCP(443, 40000, 100, 200, 5, TH_ACK),
};

/* Hop-by-hop, routing, destination options, AH (RFC 4302 length in
 * 4-byte units minus 2), then TCP. */
static const uint8_t ip6_chain[] = {
	ETH(0x86dd), IP6(76, P_HOPOPTS),
	OPT8(P_ROUTING),
	P_DSTOPTS, 0, 2, 0, 0, 0, 0, 0,
	P_AH, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	P_TCP, 4, 0, 0, B32(0x100), B32(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	TCP(40000, 22, 1, 2, 5, TH_ACK),
};

static const uint8_t ip6_frag_first_udp[] = {
	IP6(24, P_FRAGMENT), P_UDP, 0, B16(0x0001), B32(0xabcd),
	UDP(5000, 53, 1208), 1, 2, 3, 4, 5, 6, 7, 8,
};

static const uint8_t ip6_frag_middle[] = {
	IP6(16, P_FRAGMENT), P_UDP, 0, B16((185 << 3) | 1), B32(0xabcd),
	0xde, 0xad, 0xbe, 0xef, 0, 8, 0, 0,
};

/* Offset 8 bytes: only the lowest offset bit. */
static const uint8_t ip6_frag_offset1[] = {
	IP6(16, P_FRAGMENT), P_UDP, 0, B16(1 << 3), B32(0xabcd),
	0xde, 0xad, 0xbe, 0xef, 0, 8, 0, 0,
};

/* An atomic fragment (RFC 6946): offset 0, no more fragments. */
static const uint8_t ip6_frag_atomic[] = {
	IP6(28, P_FRAGMENT), P_TCP, 0, B16(0), B32(1),
	TCP(1000, 2000, 3, 4, 5, TH_ACK),
};

static const uint8_t ip6_8ext[] = {
	IP6(72, P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS),
	OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS),
	OPT8(P_UDP), UDP(1, 2, 8),
};

static const uint8_t ip6_9ext[] = {
	IP6(80, P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS),
	OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS), OPT8(P_DSTOPTS),
	OPT8(P_DSTOPTS), OPT8(P_UDP), UDP(1, 2, 8),
};

/* Payload length 8, but the hop-by-hop header says 16 bytes. */
static const uint8_t ip6_ext_past_plen[] = {
	IP6(8, P_HOPOPTS), P_UDP, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, UDP(1, 2, 8),
};

/* A jumbogram (RFC 2675): payload length 0, Jumbo Payload option. */
static const uint8_t ip6_jumbo[] = {
	IP6(0, P_HOPOPTS), P_TCP, 0, 0xc2, 4, B32(69960),
	TCP(5201, 40000, 1, 1, 5, TH_ACK),
};

static const uint8_t ip6_plen_over[] = {IP6(100, P_UDP), UDP(1, 2, 8)};

static const uint8_t ip6_nonext[] = {IP6(0, P_NONE)};

static const uint8_t ip6_proto1[] = {IP6(8, P_ICMP), 8, 0, 0, 0, 0, 1, 0, 1};

/* ---- TCP ---- */

/* MSS 1460, NOP, window scale 7, SACK permitted, timestamps. */
static const uint8_t tcp_opts[] = {
	IP4(60, 0x4000, P_TCP), TCP(49152, 80, 1, 0, 10, TH_SYN),
	2, 4, B16(1460), 1, 3, 3, 7, 4, 2, 8, 10, B32(1), B32(0),
};

static const uint8_t tcp_ws15[] = {
	IP4(44, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 1, 3, 3, 15,
};

static const uint8_t tcp_ws14[] = {
	IP4(44, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 3, 3, 14, 0,
};

static const uint8_t tcp_ws0[] = {
	IP4(44, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 3, 3, 0, 0,
};

static const uint8_t tcp_optlen0[] = {
	IP4(44, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 2, 0, B16(1460),
};

/* The MSS option's length runs past the header into the payload. */
static const uint8_t tcp_opt_past_hdr[] = {
	IP4(48, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 1, 1, 2, 4,
	B16(1460), 0, 0,
};

/* A kind byte with no room left for its length. */
static const uint8_t tcp_opt_no_len[] = {
	IP4(44, 0, P_TCP), TCP(1, 2, 0, 0, 6, TH_SYN), 1, 1, 1, 2,
};

/* A good MSS, then a window scale of length 0. */
static const uint8_t tcp_opt_mss_then_bad[] = {
	IP4(48, 0, P_TCP), TCP(1, 2, 0, 0, 7, TH_SYN), 2, 4, B16(536),
	3, 0, 7, 0,
};

/* Data offset 10: MSS, NOP, window scale, then EOL padding. */
static const uint8_t tcp_opts_cut[] = {
	IP4(60, 0, P_TCP), TCP(1, 2, 0, 0, 10, TH_SYN), 2, 4, B16(1460), 1,
	3, 3, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static const uint8_t tcp_doff4[] = {
	IP4(40, 0, P_TCP), TCP(1111, 2222, 0, 0, 4, TH_SYN),
};

static const uint8_t tcp_doff15[] = {
	IP4(40, 0, P_TCP), TCP(1111, 2222, 0, 0, 15, TH_SYN),
};

/* 100 bytes of payload on the wire, 6 captured. */
static const uint8_t tcp_payload_cut[] = {
	ETH(0x0800), IP4(140, 0x4000, P_TCP),
	TCP(49152, 80, 1, 1, 5, TH_PUSH | TH_ACK), 'G', 'E', 'T', ' ', '/', ' ',
};

/* ---- UDP ---- */

static const uint8_t udp_len7[] = {IP4(28, 0, P_UDP), UDP(1, 2, 7)};
static const uint8_t udp_len100[] = {IP4(28, 0, P_UDP), UDP(1, 2, 100)};

/* UDP length 10 in a 16-byte IP payload: the rest is not payload. */
static const uint8_t udp_short_len[] = {
	IP4(36, 0, P_UDP), UDP(1, 2, 10), 'h', 'i', 0xee, 0xee, 0xee, 0xee,
	0xee, 0xee,
};

/* ---- ICMP ---- */

static const uint8_t icmp_echo[] = {
	IP4(32, 0, P_ICMP), 8, 0, 0, 0, B16(0x1234), B16(1), 'p', 'i', 'n', 'g',
};

/* 10.0.0.2 tells 10.0.0.1 that UDP port 53 is unreachable, quoting the
 * datagram 10.0.0.1:40000 -> 10.0.0.2:53. */
static const uint8_t icmp_port_unreach[] = {
	ETH(0x0800), IP4R(56, 0, P_ICMP), 3, 3, 0, 0, 0, 0, 0, 0,
	IP4(64, 0, P_UDP), UDP(40000, 53, 44),
};

/* Time exceeded quoting a TCP segment's first 8 bytes. */
static const uint8_t icmp_ttl_tcp[] = {
	IP4R(56, 0, P_ICMP), 11, 0, 0, 0, 0, 0, 0, 0,
	IP4(40, 0, P_TCP), B16(50000), B16(443), B32(77),
};

static const uint8_t icmp_quote_garbage[] = {
	IP4R(56, 0, P_ICMP), 3, 3, 0, 0, 0, 0, 0, 0,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* Quoted header with IHL 4. */
static const uint8_t icmp_quote_ihl4[] = {
	IP4R(56, 0, P_ICMP), 3, 3, 0, 0, 0, 0, 0, 0,
	IP4_HDR(0x44, 28, 0, P_UDP, 1, 2), UDP(40000, 53, 8),
};

/* Only the quoted IP header, no transport bytes. */
static const uint8_t icmp_quote_short[] = {
	IP4R(48, 0, P_ICMP), 3, 3, 0, 0, 0, 0, 0, 0, IP4(28, 0, P_UDP),
};

/* An echo request is not an error, even if its data looks like IP. */
static const uint8_t icmp_echo_looks_ip[] = {
	IP4(56, 0, P_ICMP), 8, 0, 0, 0, B16(7), B16(1),
	IP4(28, 0, P_UDP), UDP(40000, 53, 8),
};

static const uint8_t icmp6_port_unreach[] = {
	ETH(0x86dd), IP6R(56, P_ICMPV6), 1, 4, 0, 0, 0, 0, 0, 0,
	IP6(16, P_UDP), UDP(40000, 53, 16),
};

static const uint8_t icmp6_echo[] = {
	IP6(8, P_ICMPV6), 128, 0, 0, 0, B16(0x4321), B16(9),
};

/* Frame sizes the rows rely on (a miscounted byte list fails here). */
_Static_assert(sizeof(ip6_chain) == 14 + 40 + 76, "ip6_chain");
_Static_assert(sizeof(ip6_ext_past_plen) == 40 + 16 + 8, "ip6_ext_past");
_Static_assert(sizeof(ip6_8ext) == 40 + 72, "ip6_8ext");
_Static_assert(sizeof(ip6_9ext) == 40 + 80, "ip6_9ext");
_Static_assert(sizeof(tcp_opts) == 60, "tcp_opts");
_Static_assert(sizeof(tcp_opts_cut) == 60, "tcp_opts_cut");
_Static_assert(sizeof(ip4_ihl15) == 60, "ip4_ihl15");
_Static_assert(sizeof(icmp_port_unreach) == 14 + 56, "icmp_port_unreach");
_Static_assert(sizeof(icmp6_port_unreach) == 14 + 40 + 56, "icmp6");
_Static_assert(sizeof(icmp_quote_garbage) == 56, "icmp_quote_garbage");
_Static_assert(sizeof(ip4_frag_first_udp) == 14 + 44, "frag_first_udp");
_Static_assert(sizeof(ip6_frag_first_udp) == 40 + 24, "frag6_first_udp");
_Static_assert(sizeof(sll_out_tcp) == 16 + 40, "sll");
_Static_assert(sizeof(sll2_out_tcp6) == 20 + 60, "sll2");
_Static_assert(sizeof(ip6_jumbo) == 68, "ip6_jumbo");
_Static_assert(sizeof(eth_arp) == 14 + 28, "eth_arp");

enum {
	CK_ADDR = 0x01,	   /* src, dst (family from the text) */
	CK_L4 = 0x02,	   /* proto, sport, dport */
	CK_TCP = 0x04,	   /* flags, seq, ack, window, mss, wscale */
	CK_PAYLOAD = 0x08, /* payload_len, payload_cap, payload offset */
	CK_ICMP = 0x10,	   /* type, code, id, inner_* */
	CK_IPLEN = 0x20,   /* ip_len, ttl */
	CK_PROTO = 0x40,   /* proto only (fragments, other protocols) */
};

#define NO_WS DECODE_NO_WSCALE

struct dcase {
	const char *name;
	int dlt;
	const uint8_t *pkt;
	uint32_t size;
	bool lens; /* cap and len given; else both are size */
	uint32_t cap, len;
	enum decode_reason reason;
	uint8_t dl_flags, anomalies;
	uint16_t vlan, inner_vlan;
	unsigned check;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t window, mss;
	uint8_t wscale;
	uint32_t payload_len, payload_cap, payload_off;
	uint32_t ip_len;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	bool inner_valid;
	uint8_t inner_proto;
	const char *inner_src, *inner_dst;
	uint16_t inner_sport, inner_dport;
	bool inner_has_seq;
	uint32_t inner_seq;
};

#define PKT(a) .pkt = a, .size = sizeof(a)
#define LENS(c, l) .lens = true, .cap = (c), .len = (l)
#define V4 .src = "10.0.0.1", .dst = "10.0.0.2"
#define V4R .src = "10.0.0.2", .dst = "10.0.0.1"
#define V6 .src = "fd00::1", .dst = "fd00::2"
#define V6R .src = "fd00::2", .dst = "fd00::1"

static const struct dcase cases[] = {
	/* link layers */
	{"ethernet ipv4 tcp syn", DLT_EN10MB, PKT(eth_tcp_syn),
	 .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4 | CK_TCP | CK_PAYLOAD | CK_IPLEN, V4,
	 .proto = P_TCP, .sport = 49152, .dport = 80, .flags = TH_SYN,
	 .seq = 0x01020304, .ack = 0, .window = 29200, .wscale = NO_WS,
	 .ip_len = 40},
	{"ethernet padding is not payload", DLT_EN10MB, PKT(eth_padded),
	 .reason = DR_TCP, .check = CK_L4 | CK_TCP | CK_PAYLOAD | CK_IPLEN,
	 .proto = P_TCP, .sport = 49152, .dport = 80, .flags = TH_ACK,
	 .seq = 1000, .ack = 2000, .window = 29200, .wscale = NO_WS,
	 .payload_len = 0, .payload_cap = 0, .ip_len = 40},
	{"802.1Q tag, PCP bits dropped", DLT_EN10MB, PKT(eth_vlan_udp),
	 .reason = DR_UDP, .vlan = 100,
	 .check = CK_ADDR | CK_L4 | CK_PAYLOAD, V4, .proto = P_UDP,
	 .sport = 5353, .dport = 53, .payload_len = 4, .payload_cap = 4,
	 .payload_off = 46},
	{"QinQ 0x88a8 then 0x8100", DLT_EN10MB, PKT(eth_qinq_udp),
	 .reason = DR_UDP, .vlan = 200, .inner_vlan = 300, .check = CK_L4,
	 .proto = P_UDP, .sport = 1000, .dport = 2000},
	{"four stacked tags", DLT_EN10MB, PKT(eth_4tags), .reason = DR_UDP,
	 .vlan = 1, .inner_vlan = 2, .check = CK_L4, .proto = P_UDP,
	 .sport = 1000, .dport = 2000},
	{"five stacked tags", DLT_EN10MB, PKT(eth_5tags),
	 .reason = DR_BAD_VLAN_DEPTH, .vlan = 1, .inner_vlan = 2},
	{"vlan tag cut by snaplen", DLT_EN10MB, PKT(eth_vlan_cut),
	 LENS(16, 60), .reason = DR_TRUNC_VLAN},
	{"vlan tag past the frame", DLT_EN10MB, PKT(eth_vlan_cut),
	 .reason = DR_BAD_LINK},
	{"arp, broadcast", DLT_EN10MB, PKT(eth_arp), .reason = DR_NOT_IP,
	 .dl_flags = DL_BROADCAST},
	{"multicast destination", DLT_EN10MB, PKT(eth_mcast_udp),
	 .reason = DR_UDP, .dl_flags = DL_MULTICAST, .check = CK_L4,
	 .proto = P_UDP, .sport = 5353, .dport = 5353},
	{"802.3 length field", DLT_EN10MB, PKT(eth_8023),
	 .reason = DR_NOT_IP},
	{"ethernet header cut by snaplen", DLT_EN10MB, PKT(eth_tcp_syn),
	 LENS(10, 54), .reason = DR_TRUNC_LINK},
	{"ethernet header past the frame", DLT_EN10MB, PKT(eth_tcp_syn),
	 LENS(10, 10), .reason = DR_BAD_LINK},
	{"snaplen 0", DLT_EN10MB, PKT(eth_tcp_syn), LENS(0, 54),
	 .reason = DR_TRUNC_LINK},
	{"cooked v1 outgoing", DLT_LINUX_SLL, PKT(sll_out_tcp),
	 .reason = DR_TCP, .dl_flags = DL_OUTGOING,
	 .check = CK_ADDR | CK_L4 | CK_TCP, V4, .proto = P_TCP,
	 .sport = 49152, .dport = 80, .flags = TH_SYN | TH_ACK, .seq = 7,
	 .ack = 9, .window = 29200, .wscale = NO_WS},
	{"cooked v1 to us, ipv6", DLT_LINUX_SLL, PKT(sll_host_udp6),
	 .reason = DR_UDP, .check = CK_ADDR | CK_L4 | CK_IPLEN, V6,
	 .proto = P_UDP, .sport = 546, .dport = 547, .ip_len = 48},
	{"cooked v1 broadcast arp", DLT_LINUX_SLL, PKT(sll_bcast_arp),
	 .reason = DR_NOT_IP, .dl_flags = DL_BROADCAST},
	{"cooked v1 header cut", DLT_LINUX_SLL, PKT(sll_out_tcp),
	 LENS(12, 56), .reason = DR_TRUNC_LINK},
	{"cooked v1 header past the frame", DLT_LINUX_SLL, PKT(sll_out_tcp),
	 LENS(12, 12), .reason = DR_BAD_LINK},
	{"cooked v2 outgoing ipv6", DLT_LINUX_SLL2, PKT(sll2_out_tcp6),
	 .reason = DR_TCP, .dl_flags = DL_OUTGOING,
	 .check = CK_ADDR | CK_L4 | CK_TCP | CK_IPLEN, V6, .proto = P_TCP,
	 .sport = 40000, .dport = 443, .flags = TH_FIN | TH_ACK,
	 .seq = 0xfffffff0, .ack = 0x10, .window = 29200, .wscale = NO_WS,
	 .ip_len = 60},
	{"cooked v2 multicast", DLT_LINUX_SLL2, PKT(sll2_mcast_udp),
	 .reason = DR_UDP, .dl_flags = DL_MULTICAST, .check = CK_L4,
	 .proto = P_UDP, .sport = 5353, .dport = 5353},
	{"cooked v2 header cut", DLT_LINUX_SLL2, PKT(sll2_out_tcp6),
	 LENS(19, 80), .reason = DR_TRUNC_LINK},
	{"raw ipv4", DLT_RAW, PKT(raw4_udp), .reason = DR_UDP,
	 .check = CK_ADDR | CK_L4 | CK_IPLEN, V4, .proto = P_UDP, .sport = 1,
	 .dport = 2, .ip_len = 28},
	{"raw ipv6", DLT_RAW, PKT(raw6_tcp), .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4, V6, .proto = P_TCP, .sport = 22,
	 .dport = 50000},
	{"raw, ip version 5", DLT_RAW, PKT(raw_v5),
	 .reason = DR_BAD_IP_VERSION},
	{"raw, nothing captured", DLT_RAW, PKT(raw4_udp), LENS(0, 28),
	 .reason = DR_TRUNC_IPV4},
	{"DLT_IPV4", DLT_IPV4, PKT(raw4_udp), .reason = DR_UDP,
	 .check = CK_ADDR | CK_L4, V4, .proto = P_UDP, .sport = 1,
	 .dport = 2},
	{"DLT_IPV4 holding ipv6", DLT_IPV4, PKT(raw6_tcp),
	 .reason = DR_BAD_IP_VERSION},
	{"DLT_IPV6", DLT_IPV6, PKT(raw6_tcp), .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4, V6, .proto = P_TCP, .sport = 22,
	 .dport = 50000},
	{"DLT_IPV6 holding ipv4", DLT_IPV6, PKT(ip4_tcp_beyond),
	 .reason = DR_BAD_IP_VERSION},
	{"null, little-endian AF_INET", DLT_NULL, PKT(null_le_udp),
	 .reason = DR_UDP, .check = CK_ADDR | CK_L4, V4, .proto = P_UDP,
	 .sport = 1234, .dport = 53},
	{"null, big-endian AF_INET", DLT_NULL, PKT(null_be_udp),
	 .reason = DR_UDP, .check = CK_ADDR | CK_L4, V4, .proto = P_UDP,
	 .sport = 1234, .dport = 53},
	{"null, macOS AF_INET6", DLT_NULL, PKT(null_le_v6_macos),
	 .reason = DR_UDP, .check = CK_ADDR | CK_L4, V6, .proto = P_UDP,
	 .sport = 1234, .dport = 53},
	{"null, big-endian OpenBSD AF_INET6", DLT_NULL,
	 PKT(null_be_v6_openbsd), .reason = DR_UDP, .check = CK_ADDR, V6},
	{"null, FreeBSD AF_INET6", DLT_NULL, PKT(null_le_v6_freebsd),
	 .reason = DR_UDP, .check = CK_ADDR, V6},
	{"null, unknown family", DLT_NULL, PKT(null_af7),
	 .reason = DR_NOT_IP},
	{"null header past the frame", DLT_NULL, PKT(null_le_udp),
	 LENS(3, 3), .reason = DR_BAD_LINK},
	{"null header cut", DLT_NULL, PKT(null_le_udp), LENS(3, 32),
	 .reason = DR_TRUNC_LINK},
	{"loop, AF_INET", DLT_LOOP, PKT(loop_v4), .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4 | CK_TCP, V4, .proto = P_TCP,
	 .sport = 1025, .dport = 25, .flags = TH_RST, .seq = 5, .ack = 6,
	 .window = 29200, .wscale = NO_WS},
	{"loop is network order", DLT_LOOP, PKT(loop_le),
	 .reason = DR_NOT_IP},

	/* IPv4 */
	{"ipv4 options", DLT_EN10MB, PKT(ip4_options), .reason = DR_TCP,
	 .anomalies = DA_IPV4_OPTIONS,
	 .check = CK_ADDR | CK_L4 | CK_TCP | CK_IPLEN, V4, .proto = P_TCP,
	 .sport = 49152, .dport = 80, .flags = TH_ACK, .seq = 1, .ack = 2,
	 .window = 29200, .wscale = NO_WS, .ip_len = 44},
	{"ipv4 IHL 4", DLT_RAW, PKT(ip4_ihl4), .reason = DR_BAD_IPV4_IHL},
	{"ipv4 IHL past total length", DLT_RAW, PKT(ip4_ihl_over_total),
	 .reason = DR_BAD_IPV4_LEN},
	{"ipv4 IHL past the frame", DLT_RAW, PKT(ip4_ihl_over_frame),
	 .reason = DR_BAD_IPV4_LEN},
	{"ipv4 IHL past snaplen", DLT_RAW, PKT(ip4_ihl15), LENS(30, 60),
	 .reason = DR_TRUNC_IPV4},
	{"ipv4 60-byte header, no transport", DLT_RAW, PKT(ip4_ihl15),
	 .reason = DR_BAD_L4_LEN, .anomalies = DA_IPV4_OPTIONS,
	 .check = CK_ADDR | CK_PROTO | CK_IPLEN, V4, .proto = P_TCP,
	 .ip_len = 60},
	{"ipv4 total length below the header", DLT_RAW, PKT(ip4_total19),
	 .reason = DR_BAD_IPV4_LEN},
	{"ipv4 total length past the frame", DLT_RAW, PKT(ip4_total100),
	 .reason = DR_BAD_IPV4_LEN},
	{"ipv4 header past the frame", DLT_RAW, PKT(ip4_total19),
	 LENS(12, 12), .reason = DR_BAD_IPV4_LEN},
	{"ipv4 header cut by snaplen", DLT_EN10MB, PKT(eth_tcp_syn),
	 LENS(24, 54), .reason = DR_TRUNC_IPV4},
	{"ipv4 total length 0 in a small frame", DLT_RAW, PKT(ip4_big_tcp),
	 .reason = DR_BAD_IPV4_LEN},
	{"ipv4 BIG TCP, total length 0", DLT_RAW, PKT(ip4_big_tcp),
	 LENS(40, 70000), .reason = DR_TCP,
	 .check = CK_L4 | CK_PAYLOAD | CK_IPLEN, .proto = P_TCP,
	 .sport = 5201, .dport = 40000, .payload_len = 69960,
	 .payload_cap = 0, .ip_len = 70000},
	{"ipv4 first fragment, udp", DLT_EN10MB, PKT(ip4_frag_first_udp),
	 .reason = DR_UDP, .anomalies = DA_FIRST_FRAGMENT,
	 .check = CK_ADDR | CK_L4 | CK_PAYLOAD | CK_IPLEN, V4,
	 .proto = P_UDP, .sport = 40000, .dport = 2049, .payload_len = 16,
	 .payload_cap = 16, .payload_off = 42, .ip_len = 44},
	{"ipv4 first fragment, tcp", DLT_RAW, PKT(ip4_frag_first_tcp),
	 .reason = DR_TCP, .anomalies = DA_FIRST_FRAGMENT,
	 .check = CK_L4 | CK_PAYLOAD, .proto = P_TCP, .sport = 1000,
	 .dport = 80, .payload_len = 8, .payload_cap = 8, .payload_off = 40},
	{"ipv4 tiny first fragment, tcp", DLT_RAW, PKT(ip4_frag_tiny_tcp),
	 .reason = DR_FRAGMENT, .anomalies = DA_FIRST_FRAGMENT,
	 .check = CK_PROTO, .proto = P_TCP},
	{"ipv4 first fragment, tcp header in the next", DLT_RAW,
	 PKT(ip4_frag_tcp_doff), .reason = DR_FRAGMENT,
	 .anomalies = DA_FIRST_FRAGMENT, .check = CK_PROTO, .proto = P_TCP},
	{"ipv4 middle fragment", DLT_RAW, PKT(ip4_frag_middle),
	 .reason = DR_FRAGMENT, .check = CK_ADDR | CK_L4 | CK_IPLEN, V4,
	 .proto = P_UDP, .sport = 0, .dport = 0, .ip_len = 28},
	{"ipv4 last fragment", DLT_RAW, PKT(ip4_frag_last),
	 .reason = DR_FRAGMENT, .check = CK_L4, .proto = P_UDP},
	{"ipv4 fragment at offset 32768", DLT_RAW, PKT(ip4_frag_high),
	 .reason = DR_FRAGMENT, .check = CK_L4, .proto = P_UDP},
	{"ipv4 don't fragment is no fragment", DLT_RAW, PKT(ip4_df_udp),
	 .reason = DR_UDP, .check = CK_L4, .proto = P_UDP, .sport = 7,
	 .dport = 9},
	{"ipv4 other protocol", DLT_RAW, PKT(ip4_gre), .reason = DR_IP_OTHER,
	 .check = CK_ADDR | CK_PROTO, V4, .proto = P_GRE},
	{"icmpv6 in ipv4 is other", DLT_RAW, PKT(ip4_proto58),
	 .reason = DR_IP_OTHER, .check = CK_PROTO, .proto = P_ICMPV6},

	/* IPv6 */
	{"ethernet ipv6 tcp", DLT_EN10MB, PKT(eth_ip6_tcp), .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4 | CK_TCP | CK_IPLEN, V6, .proto = P_TCP,
	 .sport = 443, .dport = 40000, .flags = TH_ACK, .seq = 100,
	 .ack = 200, .window = 29200, .wscale = NO_WS, .ip_len = 60},
	{"ipv6 hop-by-hop, routing, dstopts, AH", DLT_EN10MB, PKT(ip6_chain),
	 .reason = DR_TCP,
	 .check = CK_ADDR | CK_L4 | CK_TCP | CK_PAYLOAD | CK_IPLEN, V6,
	 .proto = P_TCP, .sport = 40000, .dport = 22, .flags = TH_ACK,
	 .seq = 1, .ack = 2, .window = 29200, .wscale = NO_WS,
	 .payload_len = 0, .payload_cap = 0, .ip_len = 116},
	{"ipv6 extension header cut by snaplen", DLT_EN10MB, PKT(ip6_chain),
	 LENS(14 + 40 + 8 + 8 + 4, 130), .reason = DR_TRUNC_IPV6_EXT},
	{"ipv6 header cut by snaplen", DLT_EN10MB, PKT(eth_ip6_tcp),
	 LENS(14 + 30, 74), .reason = DR_TRUNC_IPV6},
	{"ipv6 header past the frame", DLT_RAW, PKT(raw6_tcp), LENS(39, 39),
	 .reason = DR_BAD_IPV6_LEN},
	{"ipv6 first fragment, udp", DLT_RAW, PKT(ip6_frag_first_udp),
	 .reason = DR_UDP, .anomalies = DA_FIRST_FRAGMENT,
	 .check = CK_ADDR | CK_L4 | CK_PAYLOAD, V6, .proto = P_UDP,
	 .sport = 5000, .dport = 53, .payload_len = 8, .payload_cap = 8,
	 .payload_off = 56},
	{"ipv6 middle fragment", DLT_RAW, PKT(ip6_frag_middle),
	 .reason = DR_FRAGMENT, .check = CK_ADDR | CK_L4, V6,
	 .proto = P_UDP, .sport = 0, .dport = 0},
	{"ipv6 fragment at offset 8", DLT_RAW, PKT(ip6_frag_offset1),
	 .reason = DR_FRAGMENT, .check = CK_L4, .proto = P_UDP},
	{"ipv6 atomic fragment", DLT_RAW, PKT(ip6_frag_atomic),
	 .reason = DR_TCP, .check = CK_L4, .proto = P_TCP, .sport = 1000,
	 .dport = 2000},
	{"ipv6 eight extension headers", DLT_RAW, PKT(ip6_8ext),
	 .reason = DR_UDP, .check = CK_L4, .proto = P_UDP, .sport = 1,
	 .dport = 2},
	{"ipv6 nine extension headers", DLT_RAW, PKT(ip6_9ext),
	 .reason = DR_BAD_IPV6_CHAIN},
	{"ipv6 extension header past payload length", DLT_RAW,
	 PKT(ip6_ext_past_plen), .reason = DR_BAD_IPV6_CHAIN},
	{"ipv6 jumbogram", DLT_RAW, PKT(ip6_jumbo), LENS(68, 70000),
	 .reason = DR_TCP, .check = CK_ADDR | CK_L4 | CK_PAYLOAD | CK_IPLEN,
	 V6, .proto = P_TCP, .sport = 5201, .dport = 40000,
	 .payload_len = 69932, .payload_cap = 0, .ip_len = 70000},
	{"ipv6 payload length past the frame", DLT_RAW, PKT(ip6_plen_over),
	 .reason = DR_BAD_IPV6_LEN},
	{"ipv6 no next header", DLT_RAW, PKT(ip6_nonext),
	 .reason = DR_IP_OTHER, .check = CK_ADDR | CK_PROTO, V6,
	 .proto = P_NONE},
	{"icmp in ipv6 is other", DLT_RAW, PKT(ip6_proto1),
	 .reason = DR_IP_OTHER, .check = CK_PROTO, .proto = P_ICMP},

	/* TCP */
	{"tcp mss, wscale, sack, timestamps", DLT_RAW, PKT(tcp_opts),
	 .reason = DR_TCP, .check = CK_L4 | CK_TCP | CK_PAYLOAD,
	 .proto = P_TCP, .sport = 49152, .dport = 80, .flags = TH_SYN,
	 .seq = 1, .window = 29200, .mss = 1460, .wscale = 7},
	{"tcp wscale 15 clamped to 14", DLT_RAW, PKT(tcp_ws15),
	 .reason = DR_TCP, .check = CK_TCP, .flags = TH_SYN,
	 .window = 29200, .wscale = 14},
	{"tcp wscale 14", DLT_RAW, PKT(tcp_ws14), .reason = DR_TCP,
	 .check = CK_TCP, .flags = TH_SYN, .window = 29200, .wscale = 14},
	{"tcp wscale 0 is present", DLT_RAW, PKT(tcp_ws0), .reason = DR_TCP,
	 .check = CK_TCP, .flags = TH_SYN, .window = 29200, .wscale = 0},
	{"tcp option length 0", DLT_RAW, PKT(tcp_optlen0), .reason = DR_TCP,
	 .anomalies = DA_TCP_OPT_BAD, .check = CK_TCP, .flags = TH_SYN,
	 .window = 29200, .mss = 0, .wscale = NO_WS},
	{"tcp option past the header", DLT_RAW, PKT(tcp_opt_past_hdr),
	 .reason = DR_TCP, .anomalies = DA_TCP_OPT_BAD,
	 .check = CK_TCP | CK_PAYLOAD, .flags = TH_SYN, .window = 29200,
	 .mss = 0, .wscale = NO_WS, .payload_len = 4, .payload_cap = 4,
	 .payload_off = 44},
	{"tcp option without a length byte", DLT_RAW, PKT(tcp_opt_no_len),
	 .reason = DR_TCP, .anomalies = DA_TCP_OPT_BAD, .check = CK_TCP,
	 .flags = TH_SYN, .window = 29200, .wscale = NO_WS},
	{"tcp good option then a bad one", DLT_RAW,
	 PKT(tcp_opt_mss_then_bad), .reason = DR_TCP,
	 .anomalies = DA_TCP_OPT_BAD, .check = CK_TCP, .flags = TH_SYN,
	 .window = 29200, .mss = 536, .wscale = NO_WS},
	{"tcp options cut by snaplen", DLT_RAW, PKT(tcp_opts_cut),
	 LENS(46, 60), .reason = DR_TCP, .anomalies = DA_TCP_OPT_TRUNC,
	 .check = CK_TCP | CK_PAYLOAD, .flags = TH_SYN, .window = 29200,
	 .mss = 1460, .wscale = NO_WS, .payload_len = 0, .payload_cap = 0},
	{"tcp options cut inside an option", DLT_RAW, PKT(tcp_opts_cut),
	 LENS(47, 60), .reason = DR_TCP, .anomalies = DA_TCP_OPT_TRUNC,
	 .check = CK_TCP, .flags = TH_SYN, .window = 29200, .mss = 1460,
	 .wscale = NO_WS},
	{"tcp options all captured", DLT_RAW, PKT(tcp_opts_cut),
	 .reason = DR_TCP, .check = CK_TCP, .flags = TH_SYN,
	 .window = 29200, .mss = 1460, .wscale = 7},
	{"tcp header cut by snaplen", DLT_EN10MB, PKT(eth_tcp_syn),
	 LENS(44, 54), .reason = DR_TRUNC_TCP, .check = CK_ADDR | CK_PROTO,
	 V4, .proto = P_TCP},
	{"tcp data offset 4", DLT_RAW, PKT(tcp_doff4),
	 .reason = DR_BAD_TCP_DOFF, .check = CK_L4, .proto = P_TCP,
	 .sport = 1111, .dport = 2222},
	{"tcp data offset past the datagram", DLT_RAW, PKT(tcp_doff15),
	 .reason = DR_BAD_TCP_DOFF, .check = CK_L4, .proto = P_TCP,
	 .sport = 1111, .dport = 2222},
	{"tcp payload length from the ip length", DLT_EN10MB,
	 PKT(tcp_payload_cut), LENS(60, 154), .reason = DR_TCP,
	 .check = CK_L4 | CK_PAYLOAD | CK_IPLEN, .proto = P_TCP,
	 .sport = 49152, .dport = 80, .payload_len = 100, .payload_cap = 6,
	 .payload_off = 54, .ip_len = 140},
	{"tcp header beyond the datagram", DLT_RAW, PKT(ip4_tcp_beyond),
	 .reason = DR_BAD_L4_LEN, .check = CK_PROTO, .proto = P_TCP},

	/* UDP */
	{"udp length 7", DLT_RAW, PKT(udp_len7), .reason = DR_BAD_UDP_LEN},
	{"udp length past the datagram", DLT_RAW, PKT(udp_len100),
	 .reason = DR_BAD_UDP_LEN},
	{"udp length shorter than the datagram", DLT_RAW, PKT(udp_short_len),
	 .reason = DR_UDP, .check = CK_L4 | CK_PAYLOAD, .proto = P_UDP,
	 .sport = 1, .dport = 2, .payload_len = 2, .payload_cap = 2,
	 .payload_off = 28},
	{"udp header cut by snaplen", DLT_EN10MB, PKT(eth_vlan_udp),
	 LENS(42, 50), .reason = DR_TRUNC_UDP, .vlan = 100},
	{"udp payload cut by snaplen", DLT_EN10MB, PKT(eth_vlan_udp),
	 LENS(48, 50), .reason = DR_UDP, .vlan = 100, .check = CK_PAYLOAD,
	 .payload_len = 4, .payload_cap = 2, .payload_off = 46},

	/* ICMP */
	{"icmp echo", DLT_RAW, PKT(icmp_echo), .reason = DR_ICMP,
	 .check = CK_ADDR | CK_ICMP | CK_PROTO, V4, .proto = P_ICMP,
	 .icmp_type = 8, .icmp_code = 0, .icmp_id = 0x1234},
	{"icmp header cut by snaplen", DLT_RAW, PKT(icmp_echo), LENS(26, 32),
	 .reason = DR_TRUNC_ICMP},
	{"icmp port unreachable quoting udp", DLT_EN10MB,
	 PKT(icmp_port_unreach), .reason = DR_ICMP,
	 .check = CK_ADDR | CK_ICMP, V4R, .icmp_type = 3, .icmp_code = 3,
	 .inner_valid = true, .inner_proto = P_UDP,
	 .inner_src = "10.0.0.1", .inner_dst = "10.0.0.2",
	 .inner_sport = 40000, .inner_dport = 53},
	{"icmp time exceeded quoting tcp", DLT_RAW, PKT(icmp_ttl_tcp),
	 .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 11,
	 .inner_valid = true, .inner_proto = P_TCP,
	 .inner_src = "10.0.0.1", .inner_dst = "10.0.0.2",
	 .inner_sport = 50000, .inner_dport = 443, .inner_has_seq = true,
	 .inner_seq = 77},
	{"icmp quoting 4 bytes of tcp", DLT_RAW, PKT(icmp_ttl_tcp),
	 LENS(52, 56), .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 11,
	 .inner_valid = true, .inner_proto = P_TCP,
	 .inner_src = "10.0.0.1", .inner_dst = "10.0.0.2",
	 .inner_sport = 50000, .inner_dport = 443, .inner_has_seq = false},
	{"icmp quoting garbage", DLT_RAW, PKT(icmp_quote_garbage),
	 .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 3,
	 .icmp_code = 3},
	{"icmp quoting IHL 4", DLT_RAW, PKT(icmp_quote_ihl4),
	 .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 3,
	 .icmp_code = 3},
	{"icmp quoting a bare ip header", DLT_RAW, PKT(icmp_quote_short),
	 .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 3,
	 .icmp_code = 3},
	{"icmp quote cut by snaplen", DLT_EN10MB, PKT(icmp_port_unreach),
	 LENS(14 + 20 + 8 + 20, 70), .reason = DR_ICMP, .check = CK_ICMP,
	 .icmp_type = 3, .icmp_code = 3},
	{"icmp echo is not an error", DLT_RAW, PKT(icmp_echo_looks_ip),
	 .reason = DR_ICMP, .check = CK_ICMP, .icmp_type = 8, .icmp_id = 7},
	{"icmpv6 port unreachable quoting udp", DLT_EN10MB,
	 PKT(icmp6_port_unreach), .reason = DR_ICMP6,
	 .check = CK_ADDR | CK_ICMP | CK_PROTO, V6R, .proto = P_ICMPV6,
	 .icmp_type = 1, .icmp_code = 4, .inner_valid = true,
	 .inner_proto = P_UDP, .inner_src = "fd00::1",
	 .inner_dst = "fd00::2", .inner_sport = 40000, .inner_dport = 53},
	{"icmpv6 echo", DLT_RAW, PKT(icmp6_echo), .reason = DR_ICMP6,
	 .check = CK_ICMP, .icmp_type = 128, .icmp_id = 0x4321},

	/* records */
	{"zero-length record", DLT_EN10MB, PKT(eth_tcp_syn), LENS(0, 0),
	 .reason = DR_BAD_RECORD},
	{"caplen above len", DLT_EN10MB, PKT(eth_tcp_syn), LENS(54, 53),
	 .reason = DR_BAD_RECORD},
	{"unknown link type", DLT_USER0, PKT(eth_tcp_syn),
	 .reason = DR_BAD_LINK},
};

static void parse_addr(const char *text, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->bytes) == 1)
		a->family = ADDR_V4;
	else if (inet_pton(AF_INET6, text, a->bytes) == 1)
		a->family = ADDR_V6;
	else
		fail_msg("bad address in test table: %s", text);
}

/* Rows report every mismatch and the test fails once at the end. */
static unsigned row_errors;

#define ROW_FAIL(...)                         \
	do {                                  \
		print_error(__VA_ARGS__);     \
		print_error("\n");            \
		row_errors++;                 \
	} while (0)

static void check_addr(const char *name, const char *what,
		       const struct addr *got, const char *want)
{
	struct addr w;
	parse_addr(want, &w);
	if (got->family != w.family ||
	    memcmp(got->bytes, w.bytes, sizeof(w.bytes)) != 0)
		ROW_FAIL("%s: %s is not %s", name, what, want);
}

#define EQ(field)                                                        \
	do {                                                             \
		if ((uint64_t)d.field != (uint64_t)c->field)             \
			ROW_FAIL("%s: " #field " is %llu, expected %llu", \
				 c->name, (unsigned long long)d.field,    \
				 (unsigned long long)c->field);           \
	} while (0)

/* Decode a heap copy of exactly cap bytes, so ASan sees any overread. */
static enum decode_reason decode_copy(int dlt, const uint8_t *pkt,
				      uint32_t cap, uint32_t len,
				      struct decoded *d, uint8_t **copy)
{
	*copy = malloc(cap ? cap : 1);
	assert_non_null(*copy);
	if (cap)
		memcpy(*copy, pkt, cap);
	return decode_packet(dlt, *copy, cap, len, d);
}

static void run_case(const struct dcase *c)
{
	struct decoded d;
	uint32_t cap = c->lens ? c->cap : c->size;
	uint32_t len = c->lens ? c->len : c->size;
	uint8_t *copy;

	assert_true(cap <= c->size || cap > len);
	enum decode_reason r = decode_copy(c->dlt, c->pkt, cap, len, &d, &copy);
	if (r != c->reason)
		ROW_FAIL("%s: reason %s, expected %s", c->name,
			 r < DR_MAX ? decode_reason_names[r] : "?",
			 decode_reason_names[c->reason]);
	/* which MACs the frame gave: test_macs() */
	d.dl_flags &= (uint8_t)~(DL_SRC_MAC | DL_DST_MAC);
	EQ(dl_flags);
	EQ(anomalies);
	EQ(vlan);
	EQ(inner_vlan);
	if (d.cap_len != cap || d.wire_len != len)
		ROW_FAIL("%s: lengths not recorded", c->name);
	if (c->check & CK_ADDR) {
		check_addr(c->name, "src", &d.src, c->src);
		check_addr(c->name, "dst", &d.dst, c->dst);
	}
	if (c->check & (CK_L4 | CK_PROTO))
		EQ(proto);
	if (c->check & CK_L4) {
		EQ(sport);
		EQ(dport);
	}
	if (c->check & CK_TCP) {
		if (d.tcp_flags != c->flags)
			ROW_FAIL("%s: flags %#x, expected %#x", c->name,
				 d.tcp_flags, c->flags);
		EQ(seq);
		EQ(ack);
		EQ(window);
		EQ(mss);
		EQ(wscale);
	}
	if (c->check & CK_PAYLOAD) {
		EQ(payload_len);
		EQ(payload_cap);
		if (c->payload_cap &&
		    d.payload != copy + c->payload_off)
			ROW_FAIL("%s: payload not at offset %u", c->name,
				 c->payload_off);
	}
	if (c->check & CK_IPLEN) {
		EQ(ip_len);
		if (d.ttl != 64)
			ROW_FAIL("%s: ttl %u", c->name, d.ttl);
	}
	if (c->check & CK_ICMP) {
		EQ(icmp_type);
		EQ(icmp_code);
		EQ(icmp_id);
		EQ(inner_valid);
		if (c->inner_valid) {
			EQ(inner_proto);
			EQ(inner_has_seq);
			if (c->inner_has_seq)
				EQ(inner_seq);
			EQ(inner_sport);
			EQ(inner_dport);
			check_addr(c->name, "inner src", &d.inner_src,
				   c->inner_src);
			check_addr(c->name, "inner dst", &d.inner_dst,
				   c->inner_dst);
		}
	}
	free(copy);
}

/* -r's next hops: Ethernet gives both MACs, Linux cooked the sender's
 * (when its link address is a 6-byte Ethernet one), other links none. */
static void test_macs(void **state)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t sll_src[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint8_t sll_irda[sizeof(sll_host_udp6)];
	struct decoded d;
	(void)state;
	assert_int_equal(decode_packet(DLT_EN10MB, eth_tcp_syn,
				       sizeof(eth_tcp_syn),
				       sizeof(eth_tcp_syn), &d),
			 DR_TCP);
	assert_int_equal(d.dl_flags & (DL_SRC_MAC | DL_DST_MAC),
			 DL_SRC_MAC | DL_DST_MAC);
	assert_memory_equal(d.mac_dst, dst, 6);
	assert_memory_equal(d.mac_src, src, 6);
	/* a frame that is not IP names its MACs too */
	assert_int_equal(decode_packet(DLT_EN10MB, eth_arp, sizeof(eth_arp),
				       sizeof(eth_arp), &d),
			 DR_NOT_IP);
	assert_true(d.dl_flags & DL_SRC_MAC);
	for (int dlt = 0; dlt < 2; dlt++) {
		const uint8_t *f = dlt ? sll2_out_tcp6 : sll_host_udp6;
		size_t n = dlt ? sizeof(sll2_out_tcp6) : sizeof(sll_host_udp6);
		decode_packet(dlt ? DLT_LINUX_SLL2 : DLT_LINUX_SLL, f,
			      (uint32_t)n, (uint32_t)n, &d);
		assert_int_equal(d.dl_flags & (DL_SRC_MAC | DL_DST_MAC),
				 DL_SRC_MAC);
		assert_memory_equal(d.mac_src, sll_src, 6);
	}
	/* an ARPHRD type other than Ethernet: no MAC */
	memcpy(sll_irda, sll_host_udp6, sizeof(sll_irda));
	sll_irda[3] = 0x17;
	decode_packet(DLT_LINUX_SLL, sll_irda, sizeof(sll_irda),
		      sizeof(sll_irda), &d);
	assert_int_equal(d.dl_flags & (DL_SRC_MAC | DL_DST_MAC), 0);
	decode_packet(DLT_RAW, raw4_udp, sizeof(raw4_udp), sizeof(raw4_udp),
		      &d);
	assert_int_equal(d.dl_flags & (DL_SRC_MAC | DL_DST_MAC), 0);
}

static void test_table(void **state)
{
	(void)state;
	row_errors = 0;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++)
		run_case(&cases[i]);
	assert_int_equal(row_errors, 0);
}

/* Every prefix of a frame that decodes is cut by snaplen, not broken:
 * the decoder must say "truncated" (or decode what it has), never
 * "malformed".  The wire length stays that of the whole frame. */
static void test_prefixes_are_truncated(void **state)
{
	(void)state;
	row_errors = 0;
	for (size_t i = 0; i < WS_ARRAY_SIZE(cases); i++) {
		const struct dcase *c = &cases[i];
		if (c->lens)
			continue;
		uint8_t cls = decode_reason_class[c->reason];
		if (cls == DECODE_CLASS_MALFORMED)
			continue;
		for (uint32_t cap = 0; cap < c->size; cap++) {
			struct decoded d;
			uint8_t *copy;
			enum decode_reason r = decode_copy(
				c->dlt, c->pkt, cap, c->size, &d, &copy);
			free(copy);
			if (r != c->reason &&
			    decode_reason_class[r] != DECODE_CLASS_TRUNCATED)
				ROW_FAIL("%s cut at %u: %s", c->name, cap,
					 decode_reason_names[r]);
		}
	}
	assert_int_equal(row_errors, 0);
}

static void test_reason_names_and_classes(void **state)
{
	(void)state;
	for (int r = 0; r < DR_MAX; r++) {
		assert_non_null(decode_reason_names[r]);
		assert_true(decode_reason_names[r][0] != '\0');
		assert_true(decode_reason_class[r] < DECODE_CLASS_MAX);
		for (int s = 0; s < r; s++)
			if (strcmp(decode_reason_names[r],
				   decode_reason_names[s]) == 0)
				fail_msg("reason name %s twice",
					 decode_reason_names[r]);
	}
	for (int k = 0; k < DECODE_CLASS_MAX; k++) {
		assert_non_null(decode_class_names[k]);
		assert_true(decode_class_names[k][0] != '\0');
	}
	/* The classes partition the counters as -s reports them. */
	assert_int_equal(decode_reason_class[DR_TCP], DECODE_CLASS_OK);
	assert_int_equal(decode_reason_class[DR_IP_OTHER], DECODE_CLASS_OK);
	assert_int_equal(decode_reason_class[DR_NOT_IP], DECODE_CLASS_NOT_IP);
	assert_int_equal(decode_reason_class[DR_FRAGMENT],
			 DECODE_CLASS_FRAGMENT);
	for (int r = DR_TRUNC_LINK; r <= DR_TRUNC_ICMP; r++)
		assert_int_equal(decode_reason_class[r],
				 DECODE_CLASS_TRUNCATED);
	for (int r = DR_BAD_RECORD; r < DR_MAX; r++)
		assert_int_equal(decode_reason_class[r],
				 DECODE_CLASS_MALFORMED);
	assert_string_equal(decode_reason_names[DR_TCP], "tcp");
	assert_string_equal(decode_reason_names[DR_BAD_UDP_LEN],
			    "bad_udp_length");
}

static void test_linktypes(void **state)
{
	(void)state;
	static const int yes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				  DLT_RAW,    DLT_IPV4,	     DLT_IPV6,
				  DLT_NULL,   DLT_LOOP};
	static const int no[] = {DLT_USER0, DLT_IEEE802_11, DLT_PPP, -1,
				 1000000};
	for (size_t i = 0; i < WS_ARRAY_SIZE(yes); i++)
		assert_true(decode_linktype_supported(yes[i]));
	for (size_t i = 0; i < WS_ARRAY_SIZE(no); i++)
		assert_false(decode_linktype_supported(no[i]));
}

/* A NULL data pointer is only acceptable with nothing captured. */
static void test_null_data(void **state)
{
	struct decoded d;
	(void)state;
	assert_int_equal(decode_packet(DLT_EN10MB, NULL, 10, 60, &d),
			 DR_BAD_RECORD);
	assert_int_equal(decode_packet(DLT_EN10MB, NULL, 0, 60, &d),
			 DR_TRUNC_LINK);
}

/* xorshift64*: the same sequence on every run. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * UINT64_C(0x2545f4914f6cdd1d)) >> 32);
}

static void check_invariants(const struct decoded *d, enum decode_reason r,
			     const uint8_t *buf, uint32_t cap, uint32_t len,
			     uint32_t iter)
{
	if (r >= DR_MAX)
		fail_msg("iteration %u: reason %d", iter, (int)r);
	if (d->payload_cap > d->payload_len)
		fail_msg("iteration %u: payload_cap %u > payload_len %u", iter,
			 d->payload_cap, d->payload_len);
	if (d->payload_len > len)
		fail_msg("iteration %u: payload_len %u > wire %u", iter,
			 d->payload_len, len);
	if (d->payload) {
		if (d->payload < buf || d->payload > buf + cap ||
		    d->payload_cap > (uint32_t)(buf + cap - d->payload))
			fail_msg("iteration %u: payload outside the frame", iter);
	} else if (d->payload_cap) {
		fail_msg("iteration %u: payload_cap without payload", iter);
	}
	if (d->wscale != DECODE_NO_WSCALE && d->wscale > 14)
		fail_msg("iteration %u: wscale %u", iter, d->wscale);
	if (d->src.family != ADDR_NONE && d->src.family != ADDR_V4 &&
	    d->src.family != ADDR_V6)
		fail_msg("iteration %u: family %u", iter, d->src.family);
	if (d->src.family == ADDR_V4)
		for (int i = 4; i < 16; i++)
			if (d->src.bytes[i] || d->dst.bytes[i])
				fail_msg("iteration %u: ipv4 address tail", iter);
	if (decode_reason_class[r] == DECODE_CLASS_OK && d->ip_len > len)
		fail_msg("iteration %u: ip_len %u > wire %u", iter, d->ip_len,
			 len);
}

/* Random frames, and frames of the table mutated and cut, of random
 * link types; each is a heap block of exactly the captured size. */
static void test_random_frames(void **state)
{
	static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
				   DLT_RAW,    DLT_IPV4,      DLT_IPV6,
				   DLT_NULL,   DLT_LOOP,      DLT_USER0};
	uint32_t seen[DR_MAX] = {0};
	(void)state;
	for (uint32_t iter = 0; iter < 200000; iter++) {
		struct decoded d;
		uint32_t cap, len;
		int dlt;
		uint8_t *buf;
		if (iter & 1) {
			const struct dcase *c =
				&cases[rnd() % WS_ARRAY_SIZE(cases)];
			dlt = rnd() % 8 ? c->dlt : dlts[rnd() % 9];
			uint8_t tmp[256];
			cap = c->size;
			assert_true(cap <= sizeof(tmp));
			memcpy(tmp, c->pkt, cap);
			for (uint32_t n = rnd() % 4; n > 0; n--)
				tmp[rnd() % cap] = (uint8_t)rnd();
			if (rnd() % 4 == 0)
				cap = rnd() % (cap + 1);
			buf = malloc(cap ? cap : 1);
			assert_non_null(buf);
			memcpy(buf, tmp, cap);
		} else {
			dlt = dlts[rnd() % 9];
			cap = rnd() % 160;
			buf = malloc(cap ? cap : 1);
			assert_non_null(buf);
			for (uint32_t i = 0; i < cap; i++)
				buf[i] = (uint8_t)rnd();
			/* Steer towards IP and its neighbours. */
			if (cap > 20 && rnd() % 2)
				buf[dlt == DLT_EN10MB ? 14 : 0] =
					(uint8_t)(rnd() % 2 ? 0x45 : 0x60);
		}
		switch (rnd() % 4) {
		case 0:
			len = cap;
			break;
		case 1:
			len = cap + rnd() % 100;
			break;
		case 2:
			len = rnd(); /* up to 4 GiB claimed on the wire */
			break;
		default:
			len = rnd() % (cap + 1); /* often caplen > len */
			break;
		}
		enum decode_reason r = decode_packet(dlt, buf, cap, len, &d);
		check_invariants(&d, r, buf, cap, len, iter);
		if (cap <= len)
			seen[r]++;
		else if (r != DR_BAD_RECORD)
			fail_msg("iteration %u: caplen > len gave %s", iter,
				 decode_reason_names[r]);
		free(buf);
	}
	/* The mutations reach every outcome the decoder has. */
	for (int r = 0; r < DR_MAX; r++)
		if (seen[r] == 0)
			fail_msg("no random frame gave %s", decode_reason_names[r]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_prefixes_are_truncated),
		cmocka_unit_test(test_reason_names_and_classes),
		cmocka_unit_test(test_linktypes),
		cmocka_unit_test(test_null_data),
		cmocka_unit_test(test_random_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#!/usr/bin/python3
"""make-crafted.py - write the small crafted captures of pcaps/crafted/.

Run with Debian's python3 (python3-scapy):

    /usr/bin/python3 pcaps/scripts/make-crafted.py [OUTDIR]

OUTDIR defaults to pcaps/crafted next to this script.  Every capture is
deterministic: fixed timestamps, fixed sequence numbers, fixed MAC and IP
addresses, fixed IP identifiers, and the file formats are written here byte
by byte (scapy only builds packet bytes), so running the script twice gives
identical files.  Each capture is one scenario; the comment above its
function says which RFC 9293 rule or Linux behaviour it exercises and what
each host's netstat shows at the timestamp of the last packet.  The golden
tests (tests/golden/TESTLIST) run wirestat over them.

Hosts: 10.0.0.1 / fd00::1 is the client, 10.0.0.2 / fd00::2 the server,
10.0.0.8 and 10.0.0.9 are bystanders whose ICMP echo only moves the clock.
Sequence numbers: client ISN 1000, server ISN 5000 unless said otherwise;
both SYNs offer window scale 7 (windows 64240 in SYNs, 502 << 7 after).
"""
import ipaddress
import os
import struct
import sys

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import (  # noqa: E402
    ICMP,
    IP,
    TCP,
    UDP,
    IPOption_Router_Alert,
)
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6DestUnreach,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
)
from scapy.packet import Raw  # noqa: E402

# Link types as stored in files (LINKTYPE_*, tcpdump.org/linktypes.html).
LT_NULL = 0
LT_ETHERNET = 1
LT_RAW = 101
LT_IEEE802_11 = 105
LT_LOOP = 108
LT_LINUX_SLL = 113
LT_IPV4 = 228
LT_IPV6 = 229
LT_LINUX_SLL2 = 276

T0 = 1700000000 * 1000000  # capture clock origin, microseconds
SEC = 1000000
MS = 1000

C4, S4 = "10.0.0.1", "10.0.0.2"
C6, S6 = "fd00::1", "fd00::2"
SYN_OPTS = [("MSS", 1460), ("NOP", None), ("NOP", None), ("SAckOK", b""),
            ("NOP", None), ("WScale", 7)]


def mac_of(addr):
    """A fixed locally administered MAC per IP address: 02:00:00:00:00
    and the address's last byte."""
    return bytes([0x02, 0, 0, 0, 0, ipaddress.ip_address(addr).packed[-1]])


# ---------------------------------------------------------------- writers

def pcap_bytes(linktype, records, snaplen=262144, big_endian=False,
               nsec=False):
    """A classic pcap file.  records: list of (ts, data, wire_len, caplen)
    where caplen may lie about data; ts in microseconds, or nanoseconds
    with nsec (the nanosecond magic 0xA1B23C4D)."""
    e = ">" if big_endian else "<"
    magic, unit = (0xA1B23C4D, 1000 * SEC) if nsec else (0xA1B2C3D4, SEC)
    out = [struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen,
                       linktype)]
    for ts, data, wire_len, caplen in records:
        out.append(struct.pack(e + "IIII", ts // unit, ts % unit, caplen,
                               wire_len))
        out.append(data)
    return b"".join(out)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def ng_option(code, value):
    return struct.pack("<HH", code, len(value)) + pad4(value)


def ng_block(btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def ng_shb(comment=None):
    opts = b""
    if comment:
        opts = ng_option(1, comment) + ng_option(0, b"")
    return ng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                    + opts)


def ng_idb(linktype, snaplen=262144, name=None, tsresol=None):
    opts = b""
    if name:
        opts += ng_option(2, name)
    if tsresol is not None:
        opts += ng_option(9, bytes([tsresol]))
    if opts:
        opts += ng_option(0, b"")
    return ng_block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts)


def ng_epb(ts, data, wire_len=None, ifid=0, comment=None):
    wire_len = len(data) if wire_len is None else wire_len
    opts = ng_option(1, comment) + ng_option(0, b"") if comment else b""
    return ng_block(6, struct.pack("<IIIII", ifid, ts >> 32, ts & 0xFFFFFFFF,
                                   len(data), wire_len) + pad4(data) + opts)


# ---------------------------------------------------------------- links

def ethernet(l3, v6, src, dst, tags=(), pad=False):
    """Ethernet II with optional VLAN tags [(tpid, vid), ...]."""
    h = mac_of(dst) + mac_of(src)
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    frame = h + struct.pack("!H", 0x86DD if v6 else 0x0800) + l3
    if pad and len(frame) < 60:
        frame += b"\0" * (60 - len(frame))  # as a receiver captures it
    return frame


def sll(l3, v6, src, outgoing):
    """Linux cooked v1: packet type, ARPHRD_ETHER, address, protocol."""
    return struct.pack("!HHH8sH", 4 if outgoing else 0, 1, 6,
                       mac_of(src) + b"\0\0", 0x86DD if v6 else 0x0800) + l3


def sll2(l3, v6, src, outgoing):
    """Linux cooked v2: protocol, reserved, ifindex, ARPHRD, type, address."""
    return struct.pack("!HHIHBB8s", 0x86DD if v6 else 0x0800, 0, 2, 1,
                       4 if outgoing else 0, 6, mac_of(src) + b"\0\0") + l3


class Capture:
    """Packets with their timestamps, written as one capture file."""

    def __init__(self, name, linktype=LT_ETHERNET, link=None):
        self.name = name
        self.linktype = linktype
        self.link = link or (lambda l3, v6, src, dst, **kw:
                             ethernet(l3, v6, src, dst, **kw))
        self.records = []
        self.now = T0

    def tick(self, dt=None, at=None):
        if at is not None:
            self.now = T0 + at
        else:
            self.now += 10 * MS if dt is None else dt
        return self.now

    def add_l3(self, l3, v6, src, dst, dt=None, at=None, **kw):
        self.add_frame(self.link(l3, v6, src, dst, **kw), dt=dt, at=at)

    def add_frame(self, frame, dt=None, at=None, wire_len=None, caplen=None):
        ts = self.tick(dt, at)
        self.records.append((ts, frame,
                             len(frame) if wire_len is None else wire_len,
                             len(frame) if caplen is None else caplen))

    def echo(self, dt=None, at=None):
        """An ICMP echo between two bystanders: it only moves the clock."""
        pkt = IP(src="10.0.0.8", dst="10.0.0.9", id=1) / ICMP(id=7, seq=1)
        self.add_l3(bytes(pkt), False, "10.0.0.8", "10.0.0.9", dt=dt, at=at)

    def pcap(self, **kw):
        return pcap_bytes(self.linktype, self.records, **kw)


def seq_gt(a, b):
    """a after b, modulo 2^32 (RFC 9293 3.4)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


class Conn:
    """One TCP connection; side 0 is the client, side 1 the server.  seg()
    defaults: seq = the sender's next sequence number, ack = everything
    the peer has sent so far; explicit seq/ack for retransmissions and
    crossing segments."""

    def __init__(self, cap, cport=40000, sport=80, v6=False, cisn=1000,
                 sisn=5000, client=None, server=None, link_kw=None):
        self.cap = cap
        self.v6 = v6
        c = client or (C6 if v6 else C4)
        s = server or (S6 if v6 else S4)
        self.addr = [c, s]
        self.port = [cport, sport]
        self.nxt = [cisn, sisn]
        self.ipid = [1, 1]
        self.link_kw = link_kw or {}

    def build(self, frm, flags, data=b"", seq=None, ack=None, win=None,
              opts=None):
        to = 1 - frm
        if seq is None:
            seq = self.nxt[frm]
        if ack is None:
            ack = self.nxt[to] if "A" in flags else 0
        if win is None:
            win = 64240 if "S" in flags else 502
        if opts is None:
            opts = SYN_OPTS if "S" in flags else []
        end = (seq + len(data) + ("S" in flags) + ("F" in flags)) & 0xFFFFFFFF
        if seq_gt(end, self.nxt[frm]):
            self.nxt[frm] = end
        tcp = TCP(sport=self.port[frm], dport=self.port[to], seq=seq,
                  ack=ack, flags=flags, window=win, options=opts)
        if data:
            tcp = tcp / Raw(data)
        if self.v6:
            ip = IPv6(src=self.addr[frm], dst=self.addr[to], hlim=64)
        else:
            ip = IP(src=self.addr[frm], dst=self.addr[to], id=self.ipid[frm],
                    flags="DF", ttl=64)
            self.ipid[frm] += 1
        return ip / tcp

    def seg(self, frm, flags, data=b"", seq=None, ack=None, win=None,
            opts=None, dt=None, at=None):
        pkt = self.build(frm, flags, data, seq, ack, win, opts)
        self.cap.add_l3(bytes(pkt), self.v6, self.addr[frm],
                        self.addr[1 - frm], dt=dt, at=at, **self.link_kw)
        return pkt

    def handshake(self, at=None):
        self.seg(0, "S", at=at)
        self.seg(1, "SA")
        self.seg(0, "A")

    def exchange(self, frm=0, n=100):
        """Data from frm and its acknowledgment."""
        self.seg(frm, "PA", b"x" * n)
        self.seg(1 - frm, "A")


def udp(cap, src, sport, dst, dport, n=20, v6=False, dt=None, at=None):
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst, id=1)
    pkt = ip / UDP(sport=sport, dport=dport) / Raw(b"u" * n)
    cap.add_l3(bytes(pkt), v6, src, dst, dt=dt, at=at)
    return pkt


def port_unreachable(cap, quoted, v6=False):
    """ICMP port unreachable from the quoted datagram's destination."""
    src, dst = quoted[0].dst, quoted[0].src
    if v6:
        pkt = IPv6(src=src, dst=dst) / ICMPv6DestUnreach(code=4) / quoted
    else:
        pkt = IP(src=src, dst=dst, id=1) / ICMP(type=3, code=3) / quoted
    cap.add_l3(bytes(pkt), v6, src, dst)


CAPTURES = {}


def capture(name):
    def register(fn):
        CAPTURES[name] = fn
        return fn
    return register


def established(cap, **kw):
    """A handshake and one exchange of data: both ESTABLISHED."""
    c = Conn(cap, **kw)
    c.handshake()
    c.exchange(0)
    return c


# ---------------------------------------------------------------- links
# Each link type carries the same conversation: a handshake, data both
# ways (both ESTABLISHED, 10.0.0.2:80 LISTENING), decoded through the
# link-layer header under test.

def link_conversation(cap, v6=False):
    c = Conn(cap, v6=v6)
    c.handshake()
    c.exchange(0)
    c.exchange(1)
    return cap


@capture("link-ether.pcap")
def link_ether():
    """Ethernet II; frames padded to the 60-byte minimum as a receiver
    captures them, so the IPv4 total length is below the frame length."""
    cap = Capture("link-ether",
                  link=lambda l3, v6, s, d: ethernet(l3, v6, s, d, pad=True))
    return link_conversation(cap).pcap()


@capture("link-vlan.pcap")
def link_vlan():
    """802.1Q, VLAN 100."""
    cap = Capture("link-vlan", link=lambda l3, v6, s, d:
                  ethernet(l3, v6, s, d, tags=[(0x8100, 100)]))
    return link_conversation(cap).pcap()


@capture("link-qinq.pcap")
def link_qinq():
    """802.1ad outer tag 200 (TPID 0x88a8) over 802.1Q inner tag 100."""
    cap = Capture("link-qinq", link=lambda l3, v6, s, d:
                  ethernet(l3, v6, s, d, tags=[(0x88A8, 200), (0x8100, 100)]))
    return link_conversation(cap).pcap()


@capture("link-sll.pcap")
def link_sll():
    """Linux cooked v1 (tcpdump -i any), captured on the client."""
    cap = Capture("link-sll", LT_LINUX_SLL,
                  link=lambda l3, v6, s, d: sll(l3, v6, s, s == C4))
    return link_conversation(cap).pcap()


@capture("link-sll2.pcap")
def link_sll2():
    """Linux cooked v2 (tcpdump -i any, libpcap >= 1.10), IPv6."""
    cap = Capture("link-sll2", LT_LINUX_SLL2,
                  link=lambda l3, v6, s, d: sll2(l3, v6, s, s == C6))
    return link_conversation(cap, v6=True).pcap()


@capture("link-raw4.pcap")
def link_raw4():
    """LINKTYPE_RAW (DLT_RAW) carrying IPv4: the version nibble decides."""
    cap = Capture("link-raw4", LT_RAW, link=lambda l3, v6, s, d: l3)
    return link_conversation(cap).pcap()


@capture("link-raw6.pcap")
def link_raw6():
    """LINKTYPE_RAW (DLT_RAW) carrying IPv6."""
    cap = Capture("link-raw6", LT_RAW, link=lambda l3, v6, s, d: l3)
    return link_conversation(cap, v6=True).pcap()


@capture("link-ipv4.pcap")
def link_ipv4():
    """LINKTYPE_IPV4 (DLT_IPV4, 228)."""
    cap = Capture("link-ipv4", LT_IPV4, link=lambda l3, v6, s, d: l3)
    return link_conversation(cap).pcap()


@capture("link-ipv6.pcap")
def link_ipv6():
    """LINKTYPE_IPV6 (DLT_IPV6, 229)."""
    cap = Capture("link-ipv6", LT_IPV6, link=lambda l3, v6, s, d: l3)
    return link_conversation(cap, v6=True).pcap()


def null_link(big_endian, af6):
    def link(l3, v6, s, d):
        af = af6 if v6 else 2
        return struct.pack(">I" if big_endian else "<I", af) + l3
    return link


@capture("link-null-le.pcap")
def link_null_le():
    """DLT_NULL written by a little-endian host: the address family in
    little-endian order, IPv4 (AF_INET 2) and IPv6 as Linux numbers it
    (AF_INET6 10) on two connections."""
    cap = Capture("link-null-le", LT_NULL, link=null_link(False, 10))
    link_conversation(cap)
    c = Conn(cap, v6=True, cport=40001)
    c.handshake()
    return cap.pcap()


@capture("link-null-be.pcap")
def link_null_be():
    """DLT_NULL written by a big-endian host (file header big-endian too,
    the family in big-endian order: libpcap does not swap it); IPv4 and
    IPv6 as FreeBSD numbers it (AF_INET6 28)."""
    cap = Capture("link-null-be", LT_NULL, link=null_link(True, 28))
    link_conversation(cap)
    c = Conn(cap, v6=True, cport=40001)
    c.handshake()
    return cap.pcap(big_endian=True)


@capture("link-loop.pcap")
def link_loop():
    """DLT_LOOP (OpenBSD loopback): the family in network order; IPv4 and
    IPv6 as OpenBSD numbers it (AF_INET6 24)."""
    cap = Capture("link-loop", LT_LOOP, link=null_link(True, 24))
    link_conversation(cap)
    c = Conn(cap, v6=True, cport=40001)
    c.handshake()
    return cap.pcap()


@capture("link-pcapng.pcapng")
def link_pcapng():
    """The Ethernet conversation as pcapng: SHB, IDB, EPBs."""
    cap = link_conversation(Capture("link-pcapng"))
    blocks = [ng_shb(), ng_idb(LT_ETHERNET)]
    blocks += [ng_epb(ts, data) for ts, data, _, _ in cap.records]
    return b"".join(blocks)


@capture("link-unsupported.pcap")
def link_unsupported():
    """LINKTYPE_IEEE802_11 (105): not a link type wirestat decodes; the
    file is refused at open (exit 2)."""
    cap = Capture("link-unsupported", LT_IEEE802_11,
                  link=lambda l3, v6, s, d: l3)
    return link_conversation(cap).pcap()


# Two files, one direction each, as two taps on a full-duplex link write
# them: merged by timestamp they are the whole conversation.
def merge_conversation():
    cap = Capture("merge")
    c = Conn(cap)
    c.handshake()
    c.exchange(0)
    c.seg(0, "FA")
    c.seg(1, "A")
    return cap, c


@capture("merge-client.pcap")
def merge_client():
    """Client-to-server half (FIN_WAIT_2 / CLOSE_WAIT when merged)."""
    cap, c = merge_conversation()
    src = bytes.fromhex("020000000001")
    keep = [r for r in cap.records if r[1][6:12] == src]
    return pcap_bytes(LT_ETHERNET, keep)


@capture("merge-server.pcap")
def merge_server():
    """Server-to-client half."""
    cap, c = merge_conversation()
    src = bytes.fromhex("020000000001")
    keep = [r for r in cap.records if r[1][6:12] != src]
    return pcap_bytes(LT_ETHERNET, keep)


# ---------------------------------------------------------------- TCP

@capture("tcp-close-client.pcap")
def tcp_close_client():
    """RFC 9293 3.6 figure 12, normal close by the client: C FIN_WAIT_1
    -> FIN_WAIT_2 (ACK of its FIN) -> TIME_WAIT (S's FIN); S CLOSE_WAIT
    -> LAST_ACK -> CLOSED by the final ACK.  Netstat: C TIME_WAIT, S only
    LISTENING on :80."""
    cap = Capture("tcp-close-client")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-close-server.pcap")
def tcp_close_server():
    """Normal close by the server (HTTP/1.0 style): S ends in TIME_WAIT,
    C goes CLOSE_WAIT -> LAST_ACK -> CLOSED."""
    cap = Capture("tcp-close-server")
    c = established(cap)
    c.seg(1, "FA")
    c.seg(0, "A")
    c.seg(0, "FA")
    c.seg(1, "A")
    return cap.pcap()


@capture("tcp-half-close.pcap")
def tcp_half_close():
    """shutdown(SHUT_WR) by the client: its FIN acknowledged, the server
    keeps sending and the client keeps acknowledging (a live half-close,
    no orphan timer).  C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("tcp-half-close")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.exchange(1)
    return cap.pcap()


@capture("tcp-simultaneous-open.pcap")
def tcp_simultaneous_open():
    """RFC 9293 3.5 figure 8, simultaneous open: both SYNs cross, each
    side goes SYN_SENT -> SYN_RECEIVED and sends SYN-ACK; the SYN-ACKs
    cross too (each is sent before the other arrives), and each moves its
    receiver to ESTABLISHED.  No ACK follows (Linux sends none in
    tcp_rcv_state_process() for SYN_RECV).  Both ESTABLISHED, no
    listener (nobody answered a SYN from CLOSED)."""
    cap = Capture("tcp-simultaneous-open")
    c = Conn(cap, cport=5000, sport=6000, cisn=1000, sisn=3000)
    c.seg(0, "S")
    c.seg(1, "S")
    c.seg(0, "SA", seq=1000)
    c.seg(1, "SA", seq=3000)
    return cap.pcap()


@capture("tcp-simultaneous-close-closing.pcap")
def tcp_simultaneous_close_closing():
    """RFC 9293 3.6 figure 13, simultaneous close, stopped after the FINs
    crossed: each side's FIN does not acknowledge the other's, each side
    went FIN_WAIT_1 and then received a FIN: both CLOSING."""
    cap = Capture("tcp-simultaneous-close-closing")
    c = established(cap)
    c.seg(0, "FA", ack=c.nxt[1])
    c.seg(1, "FA", ack=c.nxt[0] - 1)  # does not cover C's FIN
    return cap.pcap()


@capture("tcp-simultaneous-close.pcap")
def tcp_simultaneous_close():
    """Simultaneous close to the end: each ACK of a FIN moves its receiver
    CLOSING -> TIME_WAIT.  Both TIME_WAIT."""
    cap = Capture("tcp-simultaneous-close")
    c = established(cap)
    c.seg(0, "FA", ack=c.nxt[1])
    c.seg(1, "FA", ack=c.nxt[0] - 1)
    c.seg(0, "A")
    c.seg(1, "A")
    return cap.pcap()


@capture("tcp-fin-on-data.pcap")
def tcp_fin_on_data():
    """RFC 9293 3.10.7.4 (eighth, FIN after the text): the FIN rides on
    the last data segment and occupies the sequence number after it; the
    ACK covering data and FIN moves C to FIN_WAIT_2.  C FIN_WAIT_2, S
    CLOSE_WAIT."""
    cap = Capture("tcp-fin-on-data")
    c = established(cap)
    c.seg(0, "FPA", b"last words")
    c.seg(1, "A")
    return cap.pcap()


@capture("tcp-fin-on-data-partial-ack.pcap")
def tcp_fin_on_data_partial_ack():
    """A FIN on data, acknowledged only up to the data (the ACK does not
    cover the FIN's sequence number): C stays FIN_WAIT_1 (RFC 9293: FIN
    acknowledged only when SND.UNA passes it).  The FIN is taken as
    delivered: S CLOSE_WAIT."""
    cap = Capture("tcp-fin-on-data-partial-ack")
    c = established(cap)
    c.seg(0, "FPA", b"last words")
    c.seg(1, "A", ack=c.nxt[0] - 1)
    return cap.pcap()


@capture("tcp-fin-on-data-both.pcap")
def tcp_fin_on_data_both():
    """Both FINs on data (request/response with close): C TIME_WAIT, S
    CLOSED."""
    cap = Capture("tcp-fin-on-data-both")
    c = Conn(cap)
    c.handshake()
    c.seg(0, "FPA", b"GET / HTTP/1.0\r\n\r\n")
    c.seg(1, "A")
    c.seg(1, "FPA", b"HTTP/1.0 200 OK\r\n\r\n")
    c.seg(0, "A")
    return cap.pcap()


# RST, one capture per receiving state (RFC 9293 3.10.7 "first check
# sequence number" with RFC 5961 section 3: a synchronized state accepts
# a RST only at exactly RCV.NXT, answers one elsewhere in the window
# with a challenge ACK, and ignores one outside it).

@capture("rst-syn-sent-valid.pcap")
def rst_syn_sent_valid():
    """SYN_SENT receives RST,ACK acknowledging its SYN (RFC 9293 3.10.7.3:
    acceptable ACK -> CLOSED): the port is refused.  No sockets."""
    cap = Capture("rst-syn-sent-valid")
    c = Conn(cap)
    c.seg(0, "S")
    c.seg(1, "RA", seq=0, ack=1001)
    return cap.pcap()


@capture("rst-syn-sent-invalid.pcap")
def rst_syn_sent_invalid():
    """SYN_SENT ignores a RST without ACK and a RST,ACK whose ACK is not
    its SYN's (RFC 9293 3.10.7.3; Linux tcp_rcv_synsent_state_process()
    discards both).  C SYN_SENT."""
    cap = Capture("rst-syn-sent-invalid")
    c = Conn(cap)
    c.seg(0, "S")
    c.seg(1, "R", seq=0, ack=0)
    c.seg(1, "RA", seq=0, ack=1005)
    return cap.pcap()


@capture("rst-syn-received.pcap")
def rst_syn_received():
    """SYN_RECEIVED (a request socket) takes an in-window RST (Linux
    tcp_check_req(): embryonic reset); here at exactly RCV.NXT, sent by a
    client that gave up.  Only the listener is left."""
    cap = Capture("rst-syn-received")
    c = Conn(cap)
    c.seg(0, "S")
    c.seg(1, "SA")
    c.seg(0, "R", ack=0)
    return cap.pcap()


@capture("rst-established-exact.pcap")
def rst_established_exact():
    """ESTABLISHED, RST at exactly RCV.NXT (abortive close, SO_LINGER 0):
    both CLOSED, the listener stays."""
    cap = Capture("rst-established-exact")
    c = established(cap)
    c.seg(0, "RA")
    return cap.pcap()


@capture("rst-established-in-window.pcap")
def rst_established_in_window():
    """ESTABLISHED, RST in the window but not at RCV.NXT (RFC 5961 3.2: a
    challenge ACK, no state change; the server's challenge ACK is in the
    capture).  Both ESTABLISHED."""
    cap = Capture("rst-established-in-window")
    c = established(cap)
    c.seg(0, "R", seq=c.nxt[0] + 1000, ack=0)
    c.seg(1, "A")  # the challenge ACK
    return cap.pcap()


@capture("rst-established-out-of-window.pcap")
def rst_established_out_of_window():
    """ESTABLISHED, RST far outside the window (a blind spoof): silently
    dropped.  Both ESTABLISHED."""
    cap = Capture("rst-established-out-of-window")
    c = established(cap)
    c.seg(0, "R", seq=c.nxt[0] + 10000000, ack=0)
    return cap.pcap()


@capture("rst-fin-wait-1.pcap")
def rst_fin_wait_1():
    """FIN_WAIT_1 receives an exact RST (the server aborted after the FIN
    reached it: CLOSE_WAIT, close() with SO_LINGER 0).  Both CLOSED."""
    cap = Capture("rst-fin-wait-1")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "RA")
    return cap.pcap()


@capture("rst-fin-wait-2.pcap")
def rst_fin_wait_2():
    """FIN_WAIT_2 receives an exact RST from the CLOSE_WAIT side.  Both
    CLOSED."""
    cap = Capture("rst-fin-wait-2")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "RA")
    return cap.pcap()


@capture("rst-close-wait.pcap")
def rst_close_wait():
    """CLOSE_WAIT receives an exact RST: the client closed (orphaned
    FIN_WAIT_2) and resets when data arrives (Linux tcp_rcv_state_process()
    TCPABORTONDATA; the RST's seq is the data's ACK).  Both CLOSED."""
    cap = Capture("rst-close-wait")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "PA", b"late data")
    c.seg(0, "R", ack=0)
    return cap.pcap()


@capture("rst-last-ack.pcap")
def rst_last_ack():
    """LAST_ACK receives an exact RST.  The client closed; its orphaned
    FIN_WAIT_2 expired after tcp_fin_timeout (60 s), so the server's late
    FIN (at 70 s) finds no socket and is answered with RST, seq = the
    FIN's ACK (RFC 9293 3.10.7.1).  The server's LAST_ACK is reset: only
    the listener is left."""
    cap = Capture("rst-last-ack")
    c = established(cap)
    c.seg(0, "FA", at=1 * SEC)
    c.seg(1, "A")
    c.seg(1, "FA", at=70 * SEC)
    c.seg(0, "R", ack=0)
    return cap.pcap()


@capture("rst-time-wait-exact.pcap")
def rst_time_wait_exact():
    """TIME_WAIT receives a RST at exactly RCV.NXT: TIME_WAIT assassination
    (RFC 1337; Linux tcp_timewait_state_process() kills the timewait
    socket with the default tcp_rfc1337 = 0).  No connection rows."""
    cap = Capture("rst-time-wait-exact")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    c.seg(1, "R", ack=0)
    return cap.pcap()


@capture("rst-time-wait-inexact.pcap")
def rst_time_wait_inexact():
    """TIME_WAIT receives a RST in the window but not at RCV.NXT: Linux
    ignores it (only seq == rcv_nxt reaches the assassination branch).
    C TIME_WAIT."""
    cap = Capture("rst-time-wait-inexact")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    c.seg(1, "R", seq=c.nxt[1] + 100, ack=0)
    return cap.pcap()


@capture("rst-closing.pcap")
def rst_closing():
    """CLOSING (simultaneous close, both FINs crossed, no ACK yet)
    receives an exact RST from the peer, which is CLOSING too: the RST's
    sender and receiver both close.  Only the listener is left."""
    cap = Capture("rst-closing")
    c = established(cap)
    c.seg(0, "FA", ack=c.nxt[1])
    c.seg(1, "FA", ack=c.nxt[0] - 1)
    c.seg(1, "R", ack=0)
    return cap.pcap()


@capture("tcp-seq-wrap.pcap")
def tcp_seq_wrap():
    """Sequence numbers wrap through 2^32 (RFC 9293 3.4: comparisons are
    modulo 2^32): the client's ISN is 2^32 - 256, its 512 bytes of data
    and its FIN lie past the wrap, and the ACKs covering them are small
    numbers.  Normal close by the client: C TIME_WAIT, S CLOSED."""
    cap = Capture("tcp-seq-wrap")
    c = Conn(cap, cisn=0xFFFFFF00, sisn=0xFFFFFFF0)
    c.handshake()
    c.exchange(0, 512)
    c.exchange(1, 64)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-fin-out-of-window.pcap")
def tcp_fin_out_of_window():
    """A FIN ten million bytes beyond the receiver's window (a blind
    spoof; RFC 9293 3.10.7.4: an unacceptable segment is answered with an
    ACK and dropped).  The server stays ESTABLISHED, and the client, which
    cannot have sent it from its real sequence space, too."""
    cap = Capture("tcp-fin-out-of-window")
    c = established(cap)
    c.seg(0, "FA", seq=c.nxt[0] + 10000000)
    return cap.pcap()


@capture("tcp-midstream-fin.pcap")
def tcp_midstream_fin():
    """The first segment seen is the client's FIN (pickup mid-stream, at
    the close) and the server ACKs it: C FIN_WAIT_2, S CLOSE_WAIT, both
    partial."""
    cap = Capture("tcp-midstream-fin")
    c = Conn(cap, cisn=123456789, sisn=987654321)
    c.seg(0, "FA")
    c.seg(1, "A")
    return cap.pcap()


@capture("tcp-rst-only.pcap")
def tcp_rst_only():
    """A lone RST on a tuple never seen before (backscatter): no
    connection, no rows."""
    cap = Capture("tcp-rst-only")
    c = Conn(cap)
    c.seg(1, "RA", seq=5000, ack=1000)
    return cap.pcap()


@capture("tcp-synack-first.pcap")
def tcp_synack_first():
    """The capture starts at the SYN-ACK (the SYN was missed): the server
    listens, the handshake completes with the client's ACK.  Both
    ESTABLISHED, partial."""
    cap = Capture("tcp-synack-first")
    c = Conn(cap)
    c.nxt[0] += 1  # the SYN, not captured
    c.seg(1, "SA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-synack-retransmitted.pcap")
def tcp_synack_retransmitted():
    """A SYN whose SYN-ACK is retransmitted (after 1 s and 3 s, Linux
    tcp_synack_retries) with never an ACK from the client, as in a SYN
    flood from a spoofed address or when every SYN-ACK is lost.  A client
    that had the SYN-ACK would be ESTABLISHED and would have ACKed it,
    and ACKed each retransmission (RFC 9293 3.10.7.4: a duplicate SYN-ACK
    in ESTABLISHED is answered with an ACK); none is on the wire, so the
    SYN-ACK never arrived.  At 5 s: C SYN_SENT (what its SYN makes it, as
    nothing reached it), S SYN_RECEIVED (SYN_RECV until 63 s), S
    LISTENING."""
    cap = Capture("tcp-synack-retransmitted")
    c = Conn(cap)
    c.seg(0, "S", at=0)
    c.seg(1, "SA", at=10 * MS)
    c.seg(1, "SA", seq=5000, at=1 * SEC + 10 * MS)
    c.seg(1, "SA", seq=5000, at=3 * SEC + 10 * MS)
    cap.echo(at=5 * SEC)
    return cap.pcap()


@capture("tcp-time-wait-restart.pcap")
def tcp_time_wait_restart():
    """Linux restarts TIME_WAIT's 60 s on an acceptable ACK
    (tcp_timewait_state_process(): inet_twsk_reschedule()).  The client
    enters TIME_WAIT at 1 s; a delayed duplicate of the server's last ACK
    reaches it at 50 s; at 100 s (past 61 s, before 110 s) it is still
    TIME_WAIT."""
    cap = Capture("tcp-time-wait-restart")
    c = established(cap)
    c.seg(0, "FA", at=990 * MS)
    c.seg(1, "A", at=995 * MS)
    c.seg(1, "FA", at=1 * SEC)
    c.seg(0, "A", at=1 * SEC + 100)
    c.seg(1, "A", at=50 * SEC)
    cap.echo(at=100 * SEC)
    return cap.pcap()


@capture("tcp-fin-wait-2-orphan.pcap")
def tcp_fin_wait_2_orphan():
    """An orphaned FIN_WAIT_2 (close(), not shutdown(): the client never
    acknowledges new data after its FIN) ends after tcp_fin_timeout, 60 s;
    CLOSE_WAIT has no timer and lasts.  At 200 s: C gone, S CLOSE_WAIT."""
    cap = Capture("tcp-fin-wait-2-orphan")
    c = established(cap)
    c.seg(0, "FA", at=1 * SEC)
    c.seg(1, "A")
    cap.echo(at=200 * SEC)
    return cap.pcap()


@capture("tcp-half-close-idle.pcap")
def tcp_half_close_idle():
    """A live half-close (shutdown(SHUT_WR): the client keeps reading and
    acknowledging the server's data after its FIN) has no FIN_WAIT_2
    timer (Linux arms tcp_fin_timeout only for orphans).  At 200 s:
    C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("tcp-half-close-idle")
    c = established(cap)
    c.seg(0, "FA", at=1 * SEC)
    c.seg(1, "A")
    c.exchange(1)
    cap.echo(at=200 * SEC)
    return cap.pcap()


@capture("tcp-syn-icmp-unreachable.pcap")
def tcp_syn_icmp_unreachable():
    """SYNs answered by ICMP destination unreachable: Linux tcp_v4_err()
    ends a SYN_SENT socket on any destination unreachable quoting its SYN
    (sk_err then tcp_done(): connect() fails with ECONNREFUSED or
    EHOSTUNREACH at once; RFC 1122 4.2.3.9 leaves it to the
    implementation).  :8443 on the server is refused by the server's own
    firewall (iptables REJECT's default, port unreachable, quoting the IP
    header and 8 bytes); 10.0.0.77 is reported unreachable by the router
    10.0.0.254 (host unreachable).  Both connect() calls failed: no
    rows."""
    cap = Capture("tcp-syn-icmp-unreachable")
    a = Conn(cap, cport=40001, sport=8443)
    syn = a.seg(0, "S")
    pkt = IP(src=S4, dst=C4, id=1) / ICMP(type=3, code=3) / \
        Raw(bytes(syn)[:28])
    cap.add_l3(bytes(pkt), False, S4, C4)
    b = Conn(cap, cport=40002, sport=80, server="10.0.0.77")
    syn = b.seg(0, "S")
    pkt = IP(src="10.0.0.254", dst=C4, id=1) / ICMP(type=3, code=1) / \
        Raw(bytes(syn)[:28])
    cap.add_l3(bytes(pkt), False, "10.0.0.254", C4)
    return cap.pcap()


@capture("tcp-time-wait-new-syn.pcap")
def tcp_time_wait_new_syn():
    """The server closed first and holds TIME_WAIT; 5 s later the client
    connects again from the same port with an ISN above the old RCV.NXT:
    Linux tcp_timewait_state_process() returns TCP_TW_SYN and the
    listener takes it (RFC 1122 4.2.2.13).  The new connection completes:
    both ESTABLISHED (the TIME_WAIT is gone)."""
    cap = Capture("tcp-time-wait-new-syn")
    c = established(cap)
    c.seg(1, "FA")
    c.seg(0, "A")
    c.seg(0, "FA")
    c.seg(1, "A")
    c.nxt[0] += 100000
    c.nxt[1] += 300000
    c.seg(0, "S", at=5 * SEC)
    c.seg(1, "SA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-time-wait-old-syn.pcap")
def tcp_time_wait_old_syn():
    """The server holds TIME_WAIT; an old duplicate of the client's first
    SYN (its original ISN, below RCV.NXT) arrives 1 s later.  Linux does
    not treat it as a new connection (seq not after tw_rcv_nxt) and keeps
    TIME_WAIT; the client, long CLOSED, sent nothing new (the segment is
    a duplicate from the network).  S TIME_WAIT, no client row."""
    cap = Capture("tcp-time-wait-old-syn")
    c = established(cap)
    c.seg(1, "FA")
    c.seg(0, "A")
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(0, "S", seq=1000, at=1 * SEC)
    return cap.pcap()


@capture("tcp-time-wait-reuse.pcap")
def tcp_time_wait_reuse():
    """The client holds TIME_WAIT and reuses the tuple for a new connect()
    (tcp_tw_reuse): its new SYN ends the TIME_WAIT, and the handshake
    completes.  Both ESTABLISHED."""
    cap = Capture("tcp-time-wait-reuse")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    c.nxt[0] += 100000
    c.nxt[1] += 300000
    c.seg(0, "S", at=2 * SEC)
    c.seg(1, "SA")
    c.seg(0, "A")
    return cap.pcap()


def time_wait_then_echo(name, after_us):
    """Client close, TIME_WAIT begins when S's FIN arrives (at 1.0 s), and
    a bystander's echo after_us later sets the report time."""
    cap = Capture(name)
    c = established(cap)
    c.seg(0, "FA", at=990 * MS)
    c.seg(1, "A", at=995 * MS)
    c.seg(1, "FA", at=1 * SEC)
    c.seg(0, "A", at=1 * SEC + 100)
    cap.echo(at=1 * SEC + after_us)
    return cap.pcap()


@capture("tcp-time-wait-59s.pcap")
def tcp_time_wait_59s():
    """TIME_WAIT (TCP_TIMEWAIT_LEN, 60 s) one microsecond before it ends:
    C TIME_WAIT."""
    return time_wait_then_echo("tcp-time-wait-59s", 60 * SEC - 1)


@capture("tcp-time-wait-60s.pcap")
def tcp_time_wait_60s():
    """TIME_WAIT at exactly 60 s of capture time after it began: over.
    No connection rows."""
    return time_wait_then_echo("tcp-time-wait-60s", 60 * SEC)


def time_wait_ns_records(name):
    """time_wait_then_echo in nanoseconds: the server's FIN (TIME_WAIT
    begins) 1 ns after the second, the echo exactly 60 s after the
    second, so TIME_WAIT has 1 ns left; rounding to microseconds would
    end it."""
    cap = Capture(name)
    c = established(cap)
    c.seg(0, "FA", at=990 * MS)
    c.seg(1, "A", at=995 * MS)
    c.seg(1, "FA", at=1 * SEC)
    c.seg(0, "A", at=1 * SEC + 100)
    cap.echo(at=61 * SEC)
    recs = [(ts * 1000, d, wl, cl) for ts, d, wl, cl in cap.records]
    ts, d, wl, cl = recs[-3]
    recs[-3] = (ts + 1, d, wl, cl)  # the server's FIN
    return recs


@capture("tcp-time-wait-ns.pcap")
def tcp_time_wait_ns():
    """Nanosecond pcap (magic 0xA1B23C4D): the timers run on the full
    precision.  At the last packet TIME_WAIT has 1 ns to go: C
    TIME_WAIT."""
    return pcap_bytes(LT_ETHERNET, time_wait_ns_records("tcp-time-wait-ns"),
                      nsec=True)


@capture("tcp-time-wait-ns.pcapng")
def tcp_time_wait_ns_ng():
    """The same in pcapng with if_tsresol 9 (nanoseconds): C TIME_WAIT."""
    recs = time_wait_ns_records("tcp-time-wait-ns-ng")
    blocks = [ng_shb(), ng_idb(LT_ETHERNET, tsresol=9)]
    blocks += [ng_epb(ts, d) for ts, d, _, _ in recs]
    return b"".join(blocks)


def syn_sent_then_echo(name, after_us):
    """An unanswered SYN with its retransmissions at 1 s and 3 s; a
    bystander's echo after_us after the first SYN sets the report time."""
    cap = Capture(name)
    c = Conn(cap)
    c.seg(0, "S", at=0)
    c.seg(0, "S", seq=1000, at=1 * SEC)
    c.seg(0, "S", seq=1000, at=3 * SEC)
    cap.echo(at=after_us)
    return cap.pcap()


@capture("tcp-syn-sent-130s.pcap")
def tcp_syn_sent_130s():
    """Linux gives up an active open 131 s after the first SYN
    (tcp_syn_retries 6, ip-sysctl.rst); retransmissions do not restart
    that.  At 130.999999 s: C SYN_SENT."""
    return syn_sent_then_echo("tcp-syn-sent-130s", 131 * SEC - 1)


@capture("tcp-syn-sent-131s.pcap")
def tcp_syn_sent_131s():
    """At 131 s the connect() has failed (ETIMEDOUT): no rows."""
    return syn_sent_then_echo("tcp-syn-sent-131s", 131 * SEC)


@capture("tcp-midstream.pcap")
def tcp_midstream():
    """The capture starts mid-connection: no handshake, data and its ACK.
    Both ESTABLISHED, partial; the client is guessed from the ports
    (40000 ephemeral, 80 a service); no listener can be inferred."""
    cap = Capture("tcp-midstream")
    c = Conn(cap, cisn=123456789, sisn=987654321)
    c.seg(1, "PA", b"y" * 200)
    c.seg(0, "A")
    c.exchange(0)
    return cap.pcap()


@capture("tcp-midstream-close.pcap")
def tcp_midstream_close():
    """Picked up mid-stream, then a normal close by the client: C
    TIME_WAIT (partial), S CLOSED."""
    cap = Capture("tcp-midstream-close")
    c = Conn(cap, cisn=123456789, sisn=987654321)
    c.seg(0, "PA", b"x" * 100)
    c.seg(1, "A")
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-fin-retransmitted.pcap")
def tcp_fin_retransmitted():
    """The client's FIN is retransmitted 200 ms later without any ACK from
    the server in between: evidence the first FIN was not delivered (the
    server would have ACKed it at once), so the server, taken to
    CLOSE_WAIT by it, goes back to ESTABLISHED.  C FIN_WAIT_1, S
    ESTABLISHED."""
    cap = Capture("tcp-fin-retransmitted")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(0, "FA", seq=c.nxt[0] - 1, dt=200 * MS)
    return cap.pcap()


@capture("tcp-fin-retransmitted-acked.pcap")
def tcp_fin_retransmitted_acked():
    """As tcp-fin-retransmitted, then the server ACKs the retransmitted
    FIN: it has it now.  C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("tcp-fin-retransmitted-acked")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(0, "FA", seq=c.nxt[0] - 1, dt=200 * MS)
    c.seg(1, "A")
    return cap.pcap()


@capture("tcp-last-ack-held.pcap")
def tcp_last_ack_held():
    """LAST_ACK held by lost ACKs: the client (TIME_WAIT) ACKs the
    server's FIN, but the server retransmits its FIN (RTO 200 ms, then
    400 ms): each retransmission proves the ACK before it was lost
    (RFC 9293 3.10.7.4 LAST-ACK: only the ACK of our FIN closes).  The
    last packet is a retransmitted FIN.  C TIME_WAIT, S LAST_ACK."""
    cap = Capture("tcp-last-ack-held")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    fin = c.nxt[1] - 1
    c.seg(0, "A")
    c.seg(1, "FA", seq=fin, dt=200 * MS)
    c.seg(0, "A")
    c.seg(1, "FA", seq=fin, dt=400 * MS)
    return cap.pcap()


@capture("tcp-last-ack-recovered.pcap")
def tcp_last_ack_recovered():
    """As tcp-last-ack-held, but the client's ACK to the retransmitted
    FIN is followed by 5 s of silence from the server (a bystander's echo
    moves the clock): no further retransmission, so that ACK arrived and
    the server left LAST_ACK (the delivery assumption of DESIGN.md: a
    segment on the wire is delivered unless later evidence says not).
    C TIME_WAIT, S CLOSED."""
    cap = Capture("tcp-last-ack-recovered")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    fin = c.nxt[1] - 1
    c.seg(0, "A")
    c.seg(1, "FA", seq=fin, dt=200 * MS)
    c.seg(0, "A")
    cap.echo(dt=5 * SEC)
    return cap.pcap()


@capture("tcp-synack-lost.pcap")
def tcp_synack_lost():
    """SYN_RECEIVED with its SYN-ACK lost: the client retransmits its SYN
    (same ISN) 1 s later, proving it never got the SYN-ACK.  C SYN_SENT,
    S SYN_RECEIVED (a request socket, listed by netstat/ss), S listening."""
    cap = Capture("tcp-synack-lost")
    c = Conn(cap)
    c.seg(0, "S")
    c.seg(1, "SA")
    c.seg(0, "S", seq=1000, dt=1 * SEC)
    return cap.pcap()


@capture("tcp-synack-lost-recovered.pcap")
def tcp_synack_lost_recovered():
    """As tcp-synack-lost, then the server's retransmitted SYN-ACK (Linux
    answers a retransmitted SYN in tcp_check_req()) and the client's ACK:
    both ESTABLISHED."""
    cap = Capture("tcp-synack-lost-recovered")
    c = Conn(cap)
    c.seg(0, "S")
    c.seg(1, "SA")
    c.seg(0, "S", seq=1000, dt=1 * SEC)
    c.seg(1, "SA", seq=5000)
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp-listeners.pcap")
def tcp_listeners():
    """Listeners are inferred from SYN-ACKs, closed ports from RSTs:
    :80 answers SYN-ACK (LISTENING, connection ESTABLISHED); :81 answers
    RST,ACK (refused: no row); :8080 answered SYN-ACK once, then that
    connection was reset and a later SYN got RST,ACK (the listener is
    gone: no row); :22 on a second server answers SYN-ACK to a SYN whose
    client then resets (LISTENING only)."""
    cap = Capture("tcp-listeners")
    a = Conn(cap, cport=40001, sport=80)
    a.handshake()
    b = Conn(cap, cport=40002, sport=81)
    b.seg(0, "S")
    b.seg(1, "RA", seq=0)
    d = Conn(cap, cport=40003, sport=8080, cisn=7000, sisn=9000)
    d.handshake()
    d.seg(0, "RA")
    e = Conn(cap, cport=40004, sport=8080, cisn=8000)
    e.seg(0, "S")
    e.seg(1, "RA", seq=0)
    f = Conn(cap, cport=40005, sport=22, server="10.0.0.3")
    f.seg(0, "S")
    f.seg(1, "SA")
    f.seg(0, "R", ack=0)
    return cap.pcap()


@capture("udp-ports.pcap")
def udp_ports():
    """UDP: a port that answers is bound (10.0.0.2:53); a datagram with
    no answer leaves only its sender's socket; ICMP port unreachable from
    the destination itself closes a port it had answered on before
    (10.0.0.2:7777); one spoofed from a third host (10.0.0.254) is not the
    port's own host and changes nothing (53 stays bound).  Each client
    socket is listed while its flow lives."""
    cap = Capture("udp-ports")
    udp(cap, C4, 50000, S4, 53)
    q = udp(cap, S4, 53, C4, 50000)
    udp(cap, C4, 50001, S4, 5353)
    udp(cap, C4, 50003, S4, 7777)
    udp(cap, S4, 7777, C4, 50003)
    q = udp(cap, C4, 50003, S4, 7777)
    port_unreachable(cap, q)
    q = udp(cap, C4, 50004, S4, 53)
    pkt = IP(src="10.0.0.254", dst=C4, id=1) / ICMP(type=3, code=3) / q
    cap.add_l3(bytes(pkt), False, "10.0.0.254", C4)
    return cap.pcap()


# ---------------------------------------------------------------- IPv6

@capture("tcp6-close-client.pcap")
def tcp6_close_client():
    """tcp-close-client over IPv6: C TIME_WAIT, S LISTENING."""
    cap = Capture("tcp6-close-client")
    c = established(cap, v6=True)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    return cap.pcap()


@capture("tcp6-states.pcap")
def tcp6_states():
    """Several IPv6 connections in different states at once: ESTABLISHED
    (:40001), half-closed (:40002, FIN_WAIT_2 / CLOSE_WAIT), reset
    exactly (:40003, gone), refused (:40004 to :81, gone), an unanswered
    SYN (:40005, SYN_SENT), a RST out of window (:40006, ignored)."""
    cap = Capture("tcp6-states")
    established(cap, v6=True, cport=40001)
    c = established(cap, v6=True, cport=40002)
    c.seg(0, "FA")
    c.seg(1, "A")
    c = established(cap, v6=True, cport=40003)
    c.seg(1, "RA")
    c = Conn(cap, v6=True, cport=40004, sport=81)
    c.seg(0, "S")
    c.seg(1, "RA", seq=0)
    c = Conn(cap, v6=True, cport=40005, sport=443)
    c.seg(0, "S")
    c = established(cap, v6=True, cport=40006)
    c.seg(1, "R", seq=c.nxt[1] + 5000000, ack=0)
    return cap.pcap()


@capture("tcp6-ext-headers.pcap")
def tcp6_ext_headers():
    """IPv6 TCP whose segments carry extension headers the decoder walks:
    hop-by-hop, destination options and an atomic fragment header
    (RFC 6946), alone and chained.  C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("tcp6-ext-headers")
    c = Conn(cap, v6=True)

    def send(frm, flags, ext):
        pkt = c.build(frm, flags)
        ip, tcp = pkt, pkt[TCP]
        ip.remove_payload()
        cap.add_l3(bytes(ip / ext / tcp), True, c.addr[frm], c.addr[1 - frm])

    send(0, "S", IPv6ExtHdrHopByHop())
    send(1, "SA", IPv6ExtHdrDestOpt())
    send(0, "A", IPv6ExtHdrFragment(id=1, m=0, offset=0))
    send(0, "FA", IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt())
    send(1, "A", IPv6ExtHdrFragment(id=2, m=0, offset=0) /
         IPv6ExtHdrDestOpt())
    return cap.pcap()


@capture("udp6-ports.pcap")
def udp6_ports():
    """UDP over IPv6: fd00::2:53 answers (bound); fd00::2:9999 answers
    ICMPv6 port unreachable (RFC 4443 type 1 code 4: closed, no row); the
    client sockets are listed."""
    cap = Capture("udp6-ports")
    udp(cap, C6, 50000, S6, 53, v6=True)
    udp(cap, S6, 53, C6, 50000, v6=True)
    q = udp(cap, C6, 50001, S6, 9999, v6=True)
    port_unreachable(cap, q, v6=True)
    return cap.pcap()


@capture("vlan-same-tuple.pcap")
def vlan_same_tuple():
    """The same 4-tuple on VLAN 10 and VLAN 20 is two connections (two
    hosts that share addresses in separate broadcast domains): on VLAN 10
    it is ESTABLISHED, on VLAN 20 the client closed its half (FIN_WAIT_2 /
    CLOSE_WAIT)."""
    cap = Capture("vlan-same-tuple")
    a = Conn(cap, link_kw={"tags": [(0x8100, 10)]})
    b = Conn(cap, link_kw={"tags": [(0x8100, 20)]})
    a.handshake()
    b.handshake()
    a.exchange(0)
    b.exchange(0)
    b.seg(0, "FA")
    b.seg(1, "A")
    return cap.pcap()


@capture("mixed.pcap")
def mixed():
    """A little of everything, for the option tests (-p, --host, formats,
    port names): TCP over IPv4 and IPv6, UDP over both, two servers."""
    cap = Capture("mixed")
    established(cap, cport=40001, sport=80)
    c = established(cap, cport=40002, sport=22, server="10.0.0.3")
    c.seg(0, "FA")
    c.seg(1, "A")
    established(cap, v6=True, cport=40003, sport=443)
    udp(cap, C4, 50000, "10.0.0.3", 53)
    udp(cap, "10.0.0.3", 53, C4, 50000)
    udp(cap, C6, 50001, S6, 123, v6=True)
    udp(cap, S6, 123, C6, 50001, v6=True)
    return cap.pcap()


@capture("max-flows.pcap")
def max_flows():
    """Three connections for --max-flows 2: an ESTABLISHED one (oldest),
    a half-open SYN (SYN_SENT), then another ESTABLISHED one.  The third
    flow needs a slot: eviction prefers half-open and closing flows over
    established ones, so the SYN_SENT flow goes although it is newer."""
    cap = Capture("max-flows")
    established(cap, cport=40001)
    c = Conn(cap, cport=40002)
    c.seg(0, "S")
    established(cap, cport=40003)
    return cap.pcap()


# ---------------------------------------------------------------- hostile
# Each hostile capture is a handshake that leaves both ends ESTABLISHED
# (10.0.0.1:40000 <-> 10.0.0.2:80), followed by broken packets that, if
# they were taken at face value, would be a RST at exactly RCV.NXT and
# close both ends.  A receiving kernel drops them; so must wirestat:
# counted and skipped, both ends stay ESTABLISHED.

def hostile_base(name, **kw):
    cap = Capture(name, **kw)
    c = established(cap)
    return cap, c


def rst_bytes(c, frm=0):
    """The exact RST from frm, as IP bytes (not added to the capture)."""
    return bytes(c.build(frm, "RA"))


def inet_cksum(b):
    b = bytes(b) + b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_tcp_cksum(frame):
    """Recompute the TCP checksum of an Ethernet/IPv4 frame whose TCP
    bytes were edited, so only the edit is wrong, not the checksum."""
    f = bytearray(frame)
    ip = 14
    ihl = (f[ip] & 0x0F) * 4
    total = struct.unpack("!H", f[ip + 2:ip + 4])[0]
    tcp = ip + ihl
    f[tcp + 16:tcp + 18] = b"\0\0"
    pseudo = f[ip + 12:ip + 20] + struct.pack("!BBH", 0, 6, total - ihl)
    f[tcp + 16:tcp + 18] = struct.pack(
        "!H", inet_cksum(pseudo + f[tcp:ip + total]))
    return bytes(f)


def eth(c, l3, frm=0):
    return ethernet(l3, c.v6, c.addr[frm], c.addr[1 - frm])


@capture("bad-not-a-capture.pcap")
def bad_not_a_capture():
    """A text file: libpcap refuses it at open (exit 2)."""
    return b"this is not a capture file\n" * 4


@capture("bad-empty.pcap")
def bad_empty():
    """A zero-byte file: no file header (exit 2)."""
    return b""


@capture("header-only.pcap")
def header_only():
    """A valid file header and no records: an empty report (exit 0)."""
    return pcap_bytes(LT_ETHERNET, [])


@capture("bad-truncated-record.pcap")
def bad_truncated_record():
    """The file ends in the middle of the last record's data (a capture
    copied while tcpdump was writing): the report covers the handshake
    and data before it (both ESTABLISHED), one warning, exit 1."""
    cap, c = hostile_base("bad-truncated-record")
    c.seg(0, "FA")
    data = cap.pcap()
    return data[:-20]


@capture("bad-truncated-header.pcap")
def bad_truncated_header():
    """The file ends 7 bytes into a record header: report, warning,
    exit 1."""
    cap, c = hostile_base("bad-truncated-header")
    c.seg(0, "FA")
    data = cap.pcap()
    last = 16 + len(cap.records[-1][1])
    return data[:-last + 7]


@capture("bad-zero-length.pcap")
def bad_zero_length():
    """Zero-length records (caplen 0 and len 0; caplen 0 with a real len)
    between the packets of a normal conversation: counted as bad records
    or truncated and skipped; the conversation is unaffected.  Both
    ESTABLISHED."""
    cap = Capture("bad-zero-length")
    c = Conn(cap)
    c.seg(0, "S")
    cap.add_frame(b"", wire_len=0)
    c.seg(1, "SA")
    cap.add_frame(b"", wire_len=54)
    c.seg(0, "A")
    cap.add_frame(b"", wire_len=0)
    c.exchange(0)
    return cap.pcap()


@capture("bad-caplen-over-len.pcap")
def bad_caplen_over_len():
    """A record claiming more captured bytes than the wire carried (caplen
    60 > len 40) holding the exact RST: a self-contradicting record,
    skipped.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-caplen-over-len")
    frame = eth(c, rst_bytes(c))
    frame += b"\0" * (60 - len(frame))
    cap.add_frame(frame, wire_len=40)
    return cap.pcap()


@capture("bad-snaplen-zero.pcap")
def bad_snaplen_zero():
    """A file header with snaplen 0 (some writers leave it unset): libpcap
    substitutes the maximum, and the records read normally.  Both
    ESTABLISHED."""
    cap, c = hostile_base("bad-snaplen-zero")
    return cap.pcap(snaplen=0)


@capture("snaplen-54.pcap")
def snaplen_54():
    """tcpdump -s 54: every frame cut after the 20-byte TCP header, so
    SYN options and payloads are missing (truncated by snaplen, not
    malformed).  The FIN is still read: C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("snaplen-54")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    recs = [(ts, d[:54], wl, min(cl, 54)) for ts, d, wl, cl in cap.records]
    return pcap_bytes(LT_ETHERNET, recs, snaplen=54)


@capture("bad-snaplen-cut-tcp.pcap")
def bad_snaplen_cut_tcp():
    """The exact RST captured with only 10 bytes of its TCP header
    (snaplen 44 on Ethernet): its flags are not in the capture, so it is
    counted as truncated and skipped.  Both ESTABLISHED (the RST's effect
    is unknowable; wirestat does not guess)."""
    cap, c = hostile_base("bad-snaplen-cut-tcp")
    frame = eth(c, rst_bytes(c))
    cap.records.append((cap.tick(), frame[:44], len(frame), 44))
    return cap.pcap()


@capture("bad-overlong-snaplen.pcap")
def bad_overlong_snaplen():
    """Records longer than the file's snaplen (96): the data segments
    (154 and 200 bytes) say caplen = len, as a broken writer would.
    libpcap reads them and keeps the first 96 bytes (headers intact).
    After the server's data the client closes its half.
    C FIN_WAIT_2, S CLOSE_WAIT."""
    cap, c = hostile_base("bad-overlong-snaplen")
    c.seg(1, "PA", b"z" * 146)
    c.seg(0, "FA")
    c.seg(1, "A")
    return cap.pcap(snaplen=96)


@capture("bad-overlong-max.pcap")
def bad_overlong_max():
    """A record whose caplen (300000) exceeds the largest any link type
    allows (262144): libpcap stops with an error; the report covers what
    came before (both ESTABLISHED), one warning, exit 1."""
    cap, c = hostile_base("bad-overlong-max")
    data = cap.pcap()
    ts = cap.tick()
    return data + struct.pack("<IIII", ts // SEC, ts % SEC, 300000,
                              300000) + b"\0" * 64


@capture("bad-ipv4-ihl-short.pcap")
def bad_ipv4_ihl_short():
    """IPv4 IHL 4 (16 bytes, below the 20-byte minimum; Linux ip_rcv_core()
    drops it) on the exact RST.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-ipv4-ihl-short")
    l3 = bytearray(rst_bytes(c))
    l3[0] = 0x44
    cap.add_frame(eth(c, bytes(l3)))
    return cap.pcap()


@capture("bad-ipv4-ihl-long.pcap")
def bad_ipv4_ihl_long():
    """IPv4 IHL 15 (60 bytes) on the exact RST: beyond the total length
    (40) in one packet, beyond the frame in another (total length 80 >
    frame), and beyond what the frame captured (snaplen) in a third.  All
    skipped.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-ipv4-ihl-long")
    l3 = bytearray(rst_bytes(c))
    l3[0] = 0x4F
    cap.add_frame(eth(c, bytes(l3)))
    l3[2:4] = struct.pack("!H", 80)
    cap.add_frame(eth(c, bytes(l3)))
    l3[2:4] = struct.pack("!H", 60)
    frame = eth(c, bytes(l3)) + b"\0" * 20
    cap.records.append((cap.tick(), frame[:40], len(frame), 40))
    return cap.pcap()


@capture("bad-ipv4-total-length.pcap")
def bad_ipv4_total_length():
    """IPv4 total length lies on the exact RST: longer than the frame
    (1500), shorter than the header (12), and long enough for the IP
    header but not the TCP header (30).  All dropped by a kernel, all
    skipped.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-ipv4-total-length")
    for total in (1500, 12, 30):
        l3 = bytearray(rst_bytes(c))
        l3[2:4] = struct.pack("!H", total)
        cap.add_frame(eth(c, bytes(l3)))
    return cap.pcap()


@capture("bad-ipv6-ext-loop.pcap")
def bad_ipv6_ext_loop():
    """IPv6 whose hop-by-hop header points to another hop-by-hop header,
    twelve deep, before the exact RST: a chain that loops on itself
    (Linux drops a hop-by-hop header that is not first, RFC 8200 4.3;
    wirestat stops at its depth limit).  Both ESTABLISHED."""
    cap = Capture("bad-ipv6-ext-loop")
    c = established(cap, v6=True)
    pkt = c.build(0, "RA")
    tcp = pkt[TCP]
    pkt.remove_payload()
    ext = IPv6ExtHdrHopByHop()
    for _ in range(11):
        ext = ext / IPv6ExtHdrHopByHop()
    cap.add_frame(eth(c, bytes(pkt / ext / tcp)))
    return cap.pcap()


@capture("bad-ipv6-ext-runs-out.pcap")
def bad_ipv6_ext_runs_out():
    """IPv6 extension chains that run out: a destination-options header
    says another follows but the payload length ends there; a routing
    header whose length runs past the payload.  Both would hide the
    exact RST.  Skipped.  Both ESTABLISHED."""
    cap = Capture("bad-ipv6-ext-runs-out")
    c = established(cap, v6=True)
    ip = IPv6(src=C6, dst=S6, nh=60, plen=8)
    cap.add_frame(eth(c, bytes(ip) + bytes([60, 0, 1, 4, 0, 0, 0, 0])))
    tcp = bytes(c.build(0, "RA")[TCP])
    ip = IPv6(src=C6, dst=S6, nh=43, plen=8 + len(tcp))
    # routing header: next TCP, length 10 (88 bytes) past the payload
    cap.add_frame(eth(c, bytes(ip) + bytes([6, 10, 0, 0, 0, 0, 0, 0]) + tcp))
    return cap.pcap()


@capture("bad-tcp-doff-short.pcap")
def bad_tcp_doff_short():
    """TCP data offset 4 (16 bytes, below 20; Linux tcp_v4_rcv() drops it)
    on the exact RST.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-tcp-doff-short")
    l3 = bytearray(rst_bytes(c))
    l3[20 + 12] = 0x40
    cap.add_frame(eth(c, bytes(l3)))
    return cap.pcap()


@capture("bad-tcp-doff-long.pcap")
def bad_tcp_doff_long():
    """TCP data offset 15 (60 bytes) on a 20-byte header, the datagram
    ending there: past the end (Linux pskb_may_pull() fails).  On the
    exact RST.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-tcp-doff-long")
    l3 = bytearray(rst_bytes(c))
    l3[20 + 12] = 0xF0
    cap.add_frame(eth(c, bytes(l3)))
    return cap.pcap()


@capture("bad-tcp-options.pcap")
def bad_tcp_options():
    """TCP options that end the option walk (the kernel's
    tcp_parse_options() stops at a length below 2 or past the header, and
    still processes the segment): the SYN has an option of length 0 after
    MSS, the SYN-ACK a window-scale option claiming 20 bytes in a 4-byte
    option space, a data segment an option of length 1.  The segments
    count: both ESTABLISHED, 10.0.0.2:80 LISTENING."""
    cap = Capture("bad-tcp-options")
    c = Conn(cap)
    c.seg(0, "S", opts=[("MSS", 1460), (30, b"")])
    syn = cap.records.pop()
    frame = bytearray(syn[1])
    # scapy wrote option 30 with length 2; make it 0
    i = frame.index(bytes([30, 2]), 14 + 20 + 20)
    frame[i + 1] = 0
    cap.records.append((syn[0], fix_tcp_cksum(frame), syn[2], syn[3]))
    c.seg(1, "SA", opts=[("NOP", None), ("NOP", None), ("NOP", None),
                         ("NOP", None)])
    synack = cap.records.pop()
    frame = bytearray(synack[1])
    frame[14 + 20 + 20:14 + 20 + 24] = bytes([1, 3, 20, 7])
    cap.records.append((synack[0], fix_tcp_cksum(frame), synack[2],
                        synack[3]))
    c.seg(0, "A")
    c.seg(0, "PA", b"x" * 8, opts=[("NOP", None), ("NOP", None),
                                   ("NOP", None), ("NOP", None)])
    data = cap.records.pop()
    frame = bytearray(data[1])
    frame[14 + 20 + 20:14 + 20 + 24] = bytes([1, 1, 5, 1])
    cap.records.append((data[0], fix_tcp_cksum(frame), data[2], data[3]))
    c.seg(1, "A")
    return cap.pcap()


@capture("bad-vlan-deep.pcap")
def bad_vlan_deep():
    """Five stacked 802.1Q tags (more than wirestat's limit of 4) on the
    exact RST: malformed, skipped.  Both ESTABLISHED."""
    cap, c = hostile_base("bad-vlan-deep")
    frame = ethernet(rst_bytes(c), False, C4, S4,
                     tags=[(0x8100, 1)] * 5)
    cap.add_frame(frame)
    return cap.pcap()


def fragments(c, frm, flags, data, pieces, ack=None):
    """A TCP segment sent as IPv4 fragments: pieces is a list of (offset
    in bytes, length) of the transport bytes, the last without MF."""
    pkt = c.build(frm, flags, data, ack=ack)
    l4 = bytes(pkt[TCP])
    out = []
    for i, (off, n) in enumerate(pieces):
        mf = i < len(pieces) - 1
        ip = IP(src=c.addr[frm], dst=c.addr[1 - frm], id=0x4242, ttl=64,
                proto=6, flags="MF" if mf else 0, frag=off // 8)
        out.append(eth(c, bytes(ip / Raw(l4[off:off + n])), frm))
    return out


@capture("frag-ok.pcap")
def frag_ok():
    """The client closes its half; the server's data segment acknowledging
    the FIN travels as two IPv4 fragments that reassemble cleanly
    (0-23, 24-31): the first carries the TCP header.  C FIN_WAIT_2, S
    CLOSE_WAIT."""
    cap, c = hostile_base("frag-ok")
    c.seg(0, "FA")
    for f in fragments(c, 1, "PA", b"q" * 12, [(0, 24), (24, 8)]):
        cap.add_frame(f)
    return cap.pcap()


@capture("frag-overlap.pcap")
def frag_overlap():
    """As frag-ok, but the second fragment starts at byte 16 and overlaps
    the first (RFC 5722 spirit for IPv4; Linux drops the whole datagram
    since 4.19, "ip: discard IPv4 datagrams with overlapping segments").
    The ACK of the client's FIN never reaches it: the kernels show C
    FIN_WAIT_1, S CLOSE_WAIT.  wirestat does not reassemble (issue 2: only
    the first fragment carries ports) and takes the first fragment's
    header, so it shows C FIN_WAIT_2: a documented limitation (overlap
    evasion is not detected), and this test pins that behaviour."""
    cap, c = hostile_base("frag-overlap")
    c.seg(0, "FA")
    for f in fragments(c, 1, "PA", b"q" * 12, [(0, 24), (16, 16)]):
        cap.add_frame(f)
    return cap.pcap()


@capture("frag-tiny.pcap")
def frag_tiny():
    """As frag-ok, but the first fragment carries only 8 bytes of the TCP
    header (ports and sequence number; RFC 1858's tiny fragment) and the
    second the rest from byte 8.  They do not overlap, so the receiver
    reassembles the segment and takes its ACK of the FIN (Linux has no
    minimum fragment size): the kernels show C FIN_WAIT_2, S CLOSE_WAIT.
    wirestat does not reassemble: a first fragment without the whole TCP
    header is counted as a fragment and the segment is not seen, so it
    shows C FIN_WAIT_1 (documented limitation; this test pins it)."""
    cap, c = hostile_base("frag-tiny")
    c.seg(0, "FA")
    for f in fragments(c, 1, "PA", b"q" * 12, [(0, 8), (8, 24)]):
        cap.add_frame(f)
    return cap.pcap()


@capture("ipv4-options.pcap")
def ipv4_options():
    """Every datagram carries IPv4 options (IHL 6: Router Alert, RFC
    2113), which the decoder steps over.  Normal close by the client: C
    TIME_WAIT."""
    cap = Capture("ipv4-options")
    c = Conn(cap)
    orig = c.build

    def build(*a, **kw):
        pkt = orig(*a, **kw)
        pkt[IP].options = [IPOption_Router_Alert()]
        return pkt

    c.build = build
    c.handshake()
    c.exchange(0)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    return cap.pcap()


@capture("pcapng-odd-blocks.pcapng")
def pcapng_odd_blocks():
    """pcapng with blocks a reader must skip or take in its stride: an SHB
    and IDB with options, a custom block (0x00000BAD), a block type
    nobody defined, a name resolution block, an interface statistics
    block, a packet comment, a second section (new SHB and IDB), and in
    it a simple packet block (no timestamp) carrying the client's FIN.
    Every packet counts: without the SPB's FIN the server's last ACK
    would acknowledge unsent data and both would stay ESTABLISHED.
    C FIN_WAIT_2, S CLOSE_WAIT."""
    cap = Capture("pcapng-odd-blocks")
    c = established(cap)
    c.seg(0, "FA")
    c.seg(1, "A")
    r = cap.records
    nrb = ng_block(4, struct.pack("<HH", 1, 4 + 7) + pad4(
        bytes([10, 0, 0, 2]) + b"server\0") + struct.pack("<HH", 0, 0))
    custom = ng_block(0x00000BAD, struct.pack("<I", 32473) + b"odd data")
    unknown = ng_block(0x7FFF1234, b"\x01\x02\x03\x04")
    isb = ng_block(5, struct.pack("<III", 0, r[3][0] >> 32,
                                  r[3][0] & 0xFFFFFFFF))
    spb = ng_block(3, struct.pack("<I", len(r[5][1])) + r[5][1])
    blocks = [ng_shb(b"crafted by make-crafted.py"),
              ng_idb(LT_ETHERNET, name=b"eth0"), custom,
              ng_epb(r[0][0], r[0][1], comment=b"the SYN"),
              nrb, ng_epb(r[1][0], r[1][1]), unknown,
              ng_epb(r[2][0], r[2][1]), isb, ng_epb(r[3][0], r[3][1]),
              ng_epb(r[4][0], r[4][1]),
              ng_shb(), ng_idb(LT_ETHERNET),
              spb,  # r[5], the FIN, without a timestamp
              ng_epb(r[6][0], r[6][1])]
    return b"".join(blocks)


@capture("pcapng-bad-block.pcapng")
def pcapng_bad_block():
    """pcapng whose sixth block claims a total length of 8 (below the
    12-byte minimum): libpcap stops there with an error; the report
    covers the handshake (both ESTABLISHED), one warning, exit 1."""
    cap = Capture("pcapng-bad-block")
    established(cap)
    r = cap.records
    blocks = [ng_shb(), ng_idb(LT_ETHERNET)]
    blocks += [ng_epb(ts, d) for ts, d, _, _ in r[:3]]
    blocks.append(struct.pack("<II", 6, 8) + b"\0" * 24)
    return b"".join(blocks)


# ---------------------------------------------------------------- --conn
# Captures for the connection view (--conn): Zeek's conn_state values,
# history letters and connection boundaries.  The docstrings say which
# Zeek definition each connection exercises and what Zeek's conn.log
# would hold for it; the sources are scripts/base/protocols/conn/
# main.zeek (conn_state(), the history table) and src/packet_analysis/
# protocol/tcp/TCPSessionAdapter.cc (update_history(), IsReuse(), the
# Update*State() functions, ConnectionClosed(), AttemptTimer()).  The
# golden tests conn-* in tests/golden/TESTLIST run wirestat --conn over
# them.  Each connection has its own client port; 10.0.0.2 serves.


@capture("conn-states.pcap")
def conn_states():
    """One connection per TCP conn_state of main.zeek's conn_state(),
    all within 1.2 s (no attempt or close delay runs out):
      41001 S0     SYN only: orig SYN_SENT, resp INACTIVE.  "S".
      41002 S1     handshake and data: both ESTABLISHED.  "ShADa".
      41003 SF     data both ways, FIN and ACK both ways: both CLOSED.
                   "ShADadFf".
      41004 REJ    SYN answered by RST,ACK: resp RESET while orig is
                   SYN_SENT.  "Sr".
      41005 S2     handshake, orig FIN: orig CLOSED, resp ESTABLISHED.
                   "ShAF".
      41006 S3     handshake, resp FIN.  "ShAf".
      41007 RSTO   handshake, orig RST: orig RESET, resp ESTABLISHED.
                   "ShAR".
      41008 RSTR   handshake, resp RST.  "ShAr".
      41009 RSTOS0 SYN then RST from orig, resp silent: orig RESET, resp
                   INACTIVE, history matches /^?S[^HAFGIQ]*R.*/.  "SR".
      41010 RSTRH  SYN-ACK then RST from :80, no SYN: the first packet
                   is a SYN-ACK from a likely server port, so Zeek flips
                   (TCP.cc WantConnection()): the client originates,
                   resp RESET, orig INACTIVE.  "^hr".
      41011 SH     SYN then FIN from orig, no SYN-ACK: orig CLOSED, resp
                   INACTIVE.  "SF".
      41012 SHR    SYN-ACK then FIN from :80, no SYN: flipped, resp
                   CLOSED, orig INACTIVE.  "^hf".
      41013 OTH    midstream data and its ACK, no SYN, from the client's
                   (unlikely) port: both TCP_PARTIAL.  "Da".
      41014 OTH    SYN-ACK then RST from :9999 (not a likely server
                   port: no flip, the SYN-ACK's sender originates,
                   SYN_ACK_SENT then RESET, resp INACTIVE): history "HR"
                   fails RSTOS0's /^?S[^HAFGIQ]*R.*/.
    """
    cap = Capture("conn-states")
    c = Conn(cap, cport=41001)
    c.seg(0, "S")
    c = Conn(cap, cport=41002)
    c.handshake()
    c.exchange(0)
    c = Conn(cap, cport=41003)
    c.handshake()
    c.exchange(0, 100)
    c.exchange(1, 50)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    c = Conn(cap, cport=41004)
    c.seg(0, "S")
    c.seg(1, "RA", seq=0)
    c = Conn(cap, cport=41005)
    c.handshake()
    c.seg(0, "FA")
    c = Conn(cap, cport=41006)
    c.handshake()
    c.seg(1, "FA")
    c = Conn(cap, cport=41007)
    c.handshake()
    c.seg(0, "RA")
    c = Conn(cap, cport=41008)
    c.handshake()
    c.seg(1, "RA")
    c = Conn(cap, cport=41009)
    c.seg(0, "S")
    c.seg(0, "R")
    c = Conn(cap, cport=41010)
    c.nxt[0] += 1  # the SYN, never seen
    c.seg(1, "SA")
    c.seg(1, "R")
    c = Conn(cap, cport=41011)
    c.seg(0, "S")
    c.seg(0, "F")
    c = Conn(cap, cport=41012)
    c.nxt[0] += 1
    c.seg(1, "SA")
    c.seg(1, "FA")
    c = Conn(cap, cport=41013, cisn=123456789, sisn=987654321)
    c.seg(0, "PA", b"x" * 100)
    c.seg(1, "A")
    c = Conn(cap, cport=41014, sport=9999)
    c.nxt[0] += 1
    c.seg(1, "SA")
    c.seg(1, "R")
    return cap.pcap()


@capture("conn-letters.pcap")
def conn_letters():
    """History letters (main.zeek's table; update_history()), one
    connection each, all within 1.5 s:
      42001 a, d once per direction: three data segments each way, each
            acknowledged, then a normal close.  "ShADadFf", SF.
      42002 I once: FIN+RST (inconsistent) from orig, twice.  "ShAI",
            RSTO (UpdateEstablishedState(): a RST with the FIN resets).
      42003 i once: the same from resp.  "ShAi", RSTR.
      42004 Q once: SYN+FIN+ACK from the established orig, twice (a SYN
            with ACK is no reuse while orig is active, IsReuse()).
            "ShAQ", S2 (the FIN closes orig).
      42005 Q: a lone SYN+FIN (a scan), sent twice.  The first closes the
            connection at once (ConnectionClosed(): peer INACTIVE), so
            the second SYN is a reuse (IsReuse(): IsClosed()): two
            records, each "Q", SH.
      42006 q once: SYN, then SYN+RST+ACK from resp, twice.  "Sq", RSTR
            (the SYN-ACK part establishes both sides first).
      42007 F again only with a new sequence number: FIN, the same FIN
            again, then a FIN after 10 bytes of data (hist_last_FIN is
            the FIN's number after the data).  "ShAFF", S2, 10 bytes.
      42008 f likewise from resp, 5 bytes.  "ShAff", S3.
      42009 R again only with a new sequence number: RST, the same RST,
            a RST one further.  "ShARR", RSTO.
      42010 r likewise.  "ShArr", RSTR.
      42011 h again with a new sequence number: SYN-ACK, RST, then a
            SYN-ACK with another ISN (init_endpoint() keeps a RESET
            endpoint's start, so its relative number is not 0).  "Shrh",
            RSTR.
      42012 H again, and OTH: from :9000 (no flip) a SYN-ACK, a RST and a
            SYN-ACK with another ISN.  "HRH"; orig RESET, resp INACTIVE,
            "HRH" fails RSTOS0's regexp: OTH.
      42013 x: 5 letters then 20 RSTs with new numbers, 25 letters in
            Zeek's history; wirestat keeps 22 and writes x (documented
            difference: Zeek's history has no limit).
    """
    cap = Capture("conn-letters")
    c = Conn(cap, cport=42001)
    c.handshake()
    for _ in range(3):
        c.exchange(0, 100)
    for _ in range(3):
        c.exchange(1, 100)
    c.seg(0, "FA")
    c.seg(1, "A")
    c.seg(1, "FA")
    c.seg(0, "A")
    c = Conn(cap, cport=42002)
    c.handshake()
    fin = c.nxt[0]
    c.seg(0, "FRA")
    c.seg(0, "FRA", seq=fin)
    c = Conn(cap, cport=42003)
    c.handshake()
    fin = c.nxt[1]
    c.seg(1, "FRA")
    c.seg(1, "FRA", seq=fin)
    c = Conn(cap, cport=42004)
    c.handshake()
    s = c.nxt[0]
    c.seg(0, "SFA", seq=s)
    c.seg(0, "SFA", seq=s)
    c = Conn(cap, cport=42005)
    c.seg(0, "SF")
    c.seg(0, "SF", seq=1000)
    c = Conn(cap, cport=42006)
    c.seg(0, "S")
    c.seg(1, "SRA")
    c.seg(1, "SRA", seq=5000)
    c = Conn(cap, cport=42007)
    c.handshake()
    fin = c.nxt[0]
    c.seg(0, "FA")
    c.seg(0, "FA", seq=fin)
    c.seg(0, "FPA", b"f" * 10, seq=fin)
    c = Conn(cap, cport=42008)
    c.handshake()
    fin = c.nxt[1]
    c.seg(1, "FA")
    c.seg(1, "FA", seq=fin)
    c.seg(1, "FPA", b"f" * 5, seq=fin)
    c = Conn(cap, cport=42009)
    c.handshake()
    r = c.nxt[0]
    c.seg(0, "R", seq=r)
    c.seg(0, "R", seq=r)
    c.seg(0, "R", seq=r + 1)
    c = Conn(cap, cport=42010)
    c.handshake()
    r = c.nxt[1]
    c.seg(1, "R", seq=r)
    c.seg(1, "R", seq=r)
    c.seg(1, "R", seq=r + 1)
    c = Conn(cap, cport=42011)
    c.seg(0, "S")
    c.seg(1, "SA")
    c.seg(1, "R")
    c.seg(1, "SA", seq=7000)
    c = Conn(cap, cport=42012, sport=9000)
    c.nxt[0] += 1
    c.seg(1, "SA")
    c.seg(1, "R")
    c.seg(1, "SA", seq=9000)
    c = Conn(cap, cport=42013)
    c.handshake()
    c.exchange(0)
    r = c.nxt[0]
    for i in range(20):
        c.seg(0, "R", seq=r + i)
    return cap.pcap()


@capture("conn-scaled.pcap")
def conn_scaled():
    """The logarithmic letters t, w and g (Connection::
    ScaledHistoryEntry(): the letter at the 1st, 10th and 100th event).
    Bulk packets 1 ms apart; every connection stays established.
      43001-43005 T: orig's 100-byte segment retransmitted 1, 9, 10, 99
            and 100 times (update_last_seq(): payload that does not
            advance last_seq is DidRxmit()): "ShADaT", "ShADaT",
            "ShADaTT", "ShADaTT", "ShADaTTT".
      43006 t: resp's 50-byte segment retransmitted 10 times: "ShAdtt".
      43007-43009 w: resp's pure ACK with a zero window 1, 10 and 100
            times (update_window(): ZeroWindow()): "ShADaw", "ShADaww",
            "ShADawww".
      43010 W: orig's zero-window ACK 10 times: "ShAWW".
      43011-43013 G: rounds of "orig's segment captured, its next
            segment not captured, resp's ACK of both", 1, 10 and 100
            rounds: each ACK reveals one 100-byte content gap
            (TCP_Reassembler::AckReceived() -> Gap()): "ShADaG",
            "ShADaGG", "ShADaGGG"; missed_bytes 100, 1000, 10000.
      43014 g: the same once in resp's data: "ShAdg", missed 100.
    """
    cap = Capture("conn-scaled")
    ms = 1 * MS
    port = 43001
    for n in (1, 9, 10, 99, 100):
        c = Conn(cap, cport=port)
        port += 1
        c.handshake()
        s = c.nxt[0]
        c.exchange(0, 100)
        for _ in range(n):
            c.seg(0, "PA", b"x" * 100, seq=s, dt=ms)
    c = Conn(cap, cport=port)
    port += 1
    c.handshake()
    s = c.nxt[1]
    c.exchange(1, 50)
    for _ in range(10):
        c.seg(1, "PA", b"y" * 50, seq=s, dt=ms)
    for n in (1, 10, 100):
        c = Conn(cap, cport=port)
        port += 1
        c.handshake()
        c.seg(0, "PA", b"x" * 100)
        for _ in range(n):
            c.seg(1, "A", win=0, dt=ms)
    c = Conn(cap, cport=port)
    port += 1
    c.handshake()
    for _ in range(10):
        c.seg(0, "A", win=0, dt=ms)
    for n in (1, 10, 100):
        c = Conn(cap, cport=port)
        port += 1
        c.handshake()
        for _ in range(n):
            c.seg(0, "PA", b"x" * 100, dt=ms)
            c.nxt[0] += 100  # a segment the capture missed
            c.seg(1, "A", dt=ms)
    c = Conn(cap, cport=port)
    c.handshake()
    c.seg(1, "PA", b"y" * 100)
    c.nxt[1] += 100
    c.seg(0, "A")
    return cap.pcap()


@capture("conn-synack-reversal.pcap")
def conn_synack_reversal():
    """The SYN-ACK captured before its SYN (two taps, reordered), ports
    40000 and 50000 (neither a likely server port, so no flip on the
    first packet): the SYN-ACK's sender B (10.0.0.2:50000) originates
    (SYN_ACK_SENT, "H"); A's SYN carries the ISN B acknowledged, so it is
    no reuse (IsReuse()'s SYN/SYN-ACK reversal case) and
    UpdateInactiveState() flips the roles ("s" recorded by A as the
    responder, then "^") and establishes both; A's ACK, now as
    originator, is "A".  One record: orig A, "Hs^A", S1."""
    cap = Capture("conn-synack-reversal")
    c = Conn(cap, cport=40000, sport=50000)
    c.nxt[0] += 1
    c.seg(1, "SA", dt=1 * MS)
    c.seg(0, "S", seq=1000, dt=1 * MS)
    c.seg(0, "A", dt=1 * MS)
    return cap.pcap()


@capture("conn-syn-new-isn.pcap")
def conn_syn_new_isn():
    """An unanswered SYN (ISN 1000), and 1 s later a SYN from the same
    port with ISN 2000, answered.  s never repeats in one record: a SYN
    whose number differs from the originator's ISN is a reuse
    (IsReuse(): SYN_seq_jump), so Zeek logs the first attempt ("S", S0,
    end reused) and starts a new connection ("ShA", S1)."""
    cap = Capture("conn-syn-new-isn")
    c = Conn(cap, cport=44000)
    c.seg(0, "S", at=0)
    c.nxt[0] = 2000
    c.seg(0, "S", at=1 * SEC)
    c.seg(1, "SA")
    c.seg(0, "A")
    return cap.pcap()


@capture("conn-attempt-delay.pcap")
def conn_attempt_delay():
    """tcp_attempt_delay (5 s): the originator's first SYN arms
    AttemptTimer(); when it fires with orig still SYN_SENT and resp
    INACTIVE, the connection is removed, and a SYN retransmitted later
    opens a new one.  Linux retries at 1, 3, 7 and 15 s.
      44001: SYNs at 0, 1, 3 and 7 s (same ISN), the SYN-ACK and ACK at
            7.01 and 7.02 s: records [0, 3] "S" S0 3 packets, and
            [7, 7.02] "ShA" S1.
      44002: SYNs at 0.5, 1.5, 3.5, 7.5 and 15.5 s, never answered:
            [0.5, 3.5] "S" S0 3 packets, [7.5] "S" S0 (its own timer
            fires at 12.5 s), [15.5] "S" S0.
    The capture ends at 15.5 s."""
    cap = Capture("conn-attempt-delay")
    a = Conn(cap, cport=44001)
    b = Conn(cap, cport=44002)
    for t in (0, 1, 3):
        a.seg(0, "S", seq=1000, at=t * SEC)
        b.seg(0, "S", seq=1000, at=t * SEC + 500 * MS)
    a.seg(0, "S", seq=1000, at=7 * SEC)
    a.seg(1, "SA", at=7 * SEC + 10 * MS)
    a.seg(0, "A", at=7 * SEC + 20 * MS)
    b.seg(0, "S", seq=1000, at=7 * SEC + 500 * MS)
    b.seg(0, "S", seq=1000, at=15 * SEC + 500 * MS)
    return cap.pcap()


@capture("conn-close-delay.pcap")
def conn_close_delay():
    """tcp_close_delay (5 s): once the close is complete (both FINs,
    ConnectionClosed()), ConnDeleteTimer() removes the connection 5 s
    after LastTime(), which stops at the completing packet.
      45001: normal close by the client, completed by the server's FIN at
            1.0 s (timer at 6.0 s); a duplicate of the client's last ACK
            at 5.5 s still belongs to it; another at 11 s opens a new
            connection: a pure ACK from the client's unlikely port, no
            flip, orig TCP_PARTIAL: "A", OTH.
      45002: the client resets at 2.0 s (RSTO; ConnectionClosed():
            complete at once, a RESET endpoint), the server's late data
            at 3.0 s still belongs to it, its retransmission at 8.5 s
            (past 7.0 s) opens a new connection: data from :80 without
            SYN, flipped: "^d", OTH."""
    cap = Capture("conn-close-delay")
    c = Conn(cap, cport=45001)
    c.handshake(at=10 * MS)
    c.exchange(0)
    c.seg(0, "FA", at=990 * MS)
    c.seg(1, "A", at=995 * MS)
    c.seg(1, "FA", at=1 * SEC)
    last = c.nxt[0]
    c.seg(0, "A", at=1 * SEC + 100)
    c.seg(0, "A", seq=last, at=5 * SEC + 500 * MS)
    c.seg(0, "A", seq=last, at=11 * SEC)
    d = Conn(cap, cport=45002)
    d.handshake(at=1900 * MS)
    d.seg(0, "RA", at=2 * SEC)
    s = d.nxt[1]
    d.seg(1, "PA", b"z" * 100, at=3 * SEC)
    d.seg(1, "PA", b"z" * 100, seq=s, at=8 * SEC + 500 * MS)
    # the two connections interleave in time: the file is in time order
    return pcap_bytes(cap.linktype, sorted(cap.records, key=lambda r: r[0]))


@capture("conn-close-delay-trailing.pcap")
def conn_close_delay_trailing():
    """The close delay counts from the close, not from the last packet:
    ConnectionClosed() arms ConnDeleteTimer() at LastTime() + 5 s when the
    close completes, and LastTime() stops advancing once both sides have
    closed (TCPSessionAdapter::Process()), so packets that keep coming
    do not put the removal off.
      46002: the client resets at 1.0 s (complete at once: a RESET
            endpoint; timer at 6.0 s); the server, which never got the
            RST, retransmits its data at 2, 4 and 6.5 s.  Zeek: [0.97,
            4.0] "ShARdt" RSTO (the second copy is t); at 6.5 s a new
            connection: data from :80 without SYN, flipped, resp
            TCP_PARTIAL: "^d" OTH.
      46001: normal close by the client, completed by the server's FIN
            at 11.0 s (timer at 16.0 s).  The client's ACKs are lost
            beyond the tap, so the server retransmits its FIN at 11.2,
            11.6, 12.4, 14.0, 17.2 and 23.6 s (RTO doubling), each
            answered by the client (TIME_WAIT).  Zeek: [10.01, 14.0001]
            "ShADaFf" SF; at 17.2 s a new connection: a FIN from :80
            without SYN, flipped, resp CLOSED, and the client's ACK leaves
            orig TCP_PARTIAL: "^fA" SHR (its close is complete at once,
            the peer being INACTIVE: timer at 22.2 s); at 23.6 s another
            "^fA" SHR, open at the end of the capture (23.6001 s)."""
    cap = Capture("conn-close-delay-trailing")
    d = Conn(cap, cport=46002)
    d.handshake(at=970 * MS)
    d.seg(0, "RA", at=1 * SEC)
    s = d.nxt[1]
    for t in (2000, 4000, 6500):
        d.seg(1, "PA", b"z" * 100, seq=s, at=t * MS)
    c = Conn(cap, cport=46001)
    c.handshake(at=10 * SEC + 10 * MS)
    c.exchange(0)
    c.seg(0, "FA", at=10 * SEC + 990 * MS)
    c.seg(1, "A", at=10 * SEC + 995 * MS)
    c.seg(1, "FA", at=11 * SEC)
    fin = c.nxt[1] - 1
    c.seg(0, "A", at=11 * SEC + 100)
    for t in (11200, 11600, 12400, 14000, 17200, 23600):
        c.seg(1, "FA", seq=fin, at=t * MS)
        c.seg(0, "A", at=t * MS + 100)
    return cap.pcap()


def echo_pair(cap, src, dst, ident, at, v6=False, n=56):
    """An ICMP (or ICMPv6) echo request and its reply 10 ms later."""
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest
    if v6:
        req = IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=ident, seq=1) \
            / Raw(b"p" * n)
        rep = IPv6(src=dst, dst=src) / ICMPv6EchoReply(id=ident, seq=1) \
            / Raw(b"p" * n)
    else:
        req = IP(src=src, dst=dst, id=ident) / ICMP(id=ident, seq=1) / \
            Raw(b"p" * n)
        rep = IP(src=dst, dst=src, id=ident) / \
            ICMP(type=0, id=ident, seq=1) / Raw(b"p" * n)
    cap.add_l3(bytes(req), v6, src, dst, at=at)
    cap.add_l3(bytes(rep), v6, dst, src, dt=10 * MS)


@capture("conn-inactivity.pcap")
def conn_inactivity():
    """Inactivity timeouts (init-bare.zeek: tcp_inactivity_timeout 5 min
    once the handshake is over, udp_ and icmp_inactivity_timeout 1 min;
    Connection::InactivityTimer()): a connection silent that long is
    removed, and its next packet opens a new one.
      47001 TCP: handshake and data at 0.01 s, data and ACK at 299.04 s
            (299 s later: same connection), again at 600.04 s (301 s
            after 299.05 s: a new one, midstream, "Da" OTH).
      UDP 50000 -> 53: query and answer at 1 s, at 60 s (59 s later) and
            at 121 s (61 s after 60.01 s: new).
      ICMP echo 10.0.0.1 -> 10.0.0.2: at 2 s, at 50 s (other echo id:
            Zeek's ICMP connection has no id), at 111 s (new).
    With --idle-timeout 30 every gap above splits."""
    cap = Capture("conn-inactivity")
    c = Conn(cap, cport=47001)
    c.handshake(at=10 * MS)
    c.exchange(0)
    udp(cap, C4, 50000, S4, 53, at=1 * SEC)
    udp(cap, S4, 53, C4, 50000)
    echo_pair(cap, C4, S4, 1, at=2 * SEC)
    echo_pair(cap, C4, S4, 2, at=50 * SEC)
    udp(cap, C4, 50000, S4, 53, at=60 * SEC)
    udp(cap, S4, 53, C4, 50000)
    echo_pair(cap, C4, S4, 3, at=111 * SEC)
    udp(cap, C4, 50000, S4, 53, at=121 * SEC)
    udp(cap, S4, 53, C4, 50000)
    c.seg(0, "PA", b"x" * 100, at=299 * SEC + 40 * MS)
    c.seg(1, "A")
    c.seg(0, "PA", b"x" * 100, at=600 * SEC + 40 * MS)
    c.seg(1, "A")
    return cap.pcap()


@capture("conn-udp.pcap")
def conn_udp():
    """UDP conn_state (main.zeek: SF both sides sent, S0 the originator
    only, SHR the responder only) and UDP.cc's history (D/d once) and
    WantConnection() (flip when only the source port is a likely server
    port):
      50010 -> 53   query and answer: "Dd" SF.
      50011 -> 9999 two datagrams, no answer: "D" S0.
      53 -> 50012   an answer alone (the query missed): flipped, the
                    client originates: "^d" SHR.
      9999 -> 50013 a datagram from an unlikely port: no flip, its
                    sender originates: "D" S0."""
    cap = Capture("conn-udp")
    udp(cap, C4, 50010, S4, 53)
    udp(cap, S4, 53, C4, 50010)
    udp(cap, C4, 50011, S4, 9999)
    udp(cap, C4, 50011, S4, 9999, n=30)
    udp(cap, S4, 53, C4, 50012, n=40)
    udp(cap, S4, 9999, C4, 50013)
    return cap.pcap()


@capture("conn-icmp.pcap")
def conn_icmp():
    """ICMP connections (ICMP.cc InitConnKey(): the type as the
    originator's port, the counterpart type or, for one-way messages,
    the code as the responder's; conn_state OTH; bytes after the 8-byte
    header; no history letters):
      echo 10.0.0.1 -> 10.0.0.2, ids 1 and 2: one connection 8/0, 2 and
            2 packets, 112 and 112 bytes.
      an echo reply alone from 10.0.0.3: its sender originates, 0/8.
      time exceeded from the router 10.0.0.254 (type 11 code 0): 11/0.
      ICMPv6 echo fd00::1 -> fd00::2: 128/129, proto icmp."""
    cap = Capture("conn-icmp")
    echo_pair(cap, C4, S4, 1, at=10 * MS)
    echo_pair(cap, C4, S4, 2, at=30 * MS)
    rep = IP(src="10.0.0.3", dst=C4, id=9) / ICMP(type=0, id=9, seq=1) / \
        Raw(b"p" * 24)
    cap.add_l3(bytes(rep), False, "10.0.0.3", C4)
    q = IP(src=C4, dst="10.0.0.99", id=5, ttl=1) / \
        UDP(sport=33434, dport=33435) / Raw(b"t" * 12)
    te = IP(src="10.0.0.254", dst=C4, id=1) / ICMP(type=11, code=0) / q
    cap.add_l3(bytes(te), False, "10.0.0.254", C4)
    echo_pair(cap, C6, S6, 7, at=100 * MS, v6=True)
    return cap.pcap()


@capture("conn-icmp-one-way.pcap")
def conn_icmp_one_way():
    """One-way ICMP messages are keyed by direction: InitConnKey() passes
    is_one_way and IPBasedConnKey::InitTuple() then keeps the sender
    first instead of the canonical order.  10.0.0.2 sends 10.0.0.1 a port
    unreachable (3/3), and 10.0.0.1 sends 10.0.0.2 one (3/3): two Zeek
    connections, 10.0.0.2 -> 10.0.0.1 and 10.0.0.1 -> 10.0.0.2, each
    with one originator packet (a request/reply pair such as echo 8/0
    meets in one connection; one-way messages do not)."""
    cap = Capture("conn-icmp-one-way")
    q = udp(cap, C4, 50020, S4, 7777)
    port_unreachable(cap, q)
    q = udp(cap, S4, 50021, C4, 7778)
    port_unreachable(cap, q)
    return cap.pcap()


# ---------------------------------------------------------------- -r

ROUTER_MAC = bytes([0x02, 0, 0, 0, 0, 0xfe])


@capture("gateways.pcap")
def gateways():
    """Observed gateways (-r): 10.0.0.1 / fd00::1 talks to three IPv4 and
    two IPv6 hosts beyond the link, every frame to and from them carried
    by the router's MAC 02:00:00:00:00:fe, and to 10.0.0.2 on the link
    (its own MAC).  A broadcast and a link-local frame are no one's next
    hop.  wirestat -r lists the router's MAC, once per family, with the
    addresses it carried (3 and 2); the hosts' own MACs carry one address
    each and are not gateways."""
    cap = Capture("gateways")

    def frame(l3, v6, src_mac, dst_mac):
        cap.add_frame(dst_mac + src_mac +
                      struct.pack("!H", 0x86DD if v6 else 0x0800) + l3)

    for i, remote in enumerate(["192.0.2.10", "198.51.100.20",
                                "203.0.113.30"]):
        q = IP(src=C4, dst=remote, id=1) / UDP(sport=50000 + i, dport=53)
        frame(bytes(q / Raw(b"q" * 20)), False, mac_of(C4), ROUTER_MAC)
        a = IP(src=remote, dst=C4, id=1) / UDP(sport=53, dport=50000 + i)
        frame(bytes(a / Raw(b"a" * 40)), False, ROUTER_MAC, mac_of(C4))
    for i, remote in enumerate(["2001:db8::5", "2001:db8:1::6"]):
        q = IPv6(src=C6, dst=remote) / UDP(sport=50100 + i, dport=53)
        frame(bytes(q / Raw(b"q" * 20)), True, mac_of(C6), ROUTER_MAC)
        a = IPv6(src=remote, dst=C6) / UDP(sport=53, dport=50100 + i)
        frame(bytes(a / Raw(b"a" * 40)), True, ROUTER_MAC, mac_of(C6))
    udp(cap, C4, 50200, S4, 7777)
    udp(cap, S4, 7777, C4, 50200)
    b = IP(src=C4, dst="10.0.0.255", id=1) / UDP(sport=68, dport=67)
    frame(bytes(b / Raw(b"b" * 10)), False, mac_of(C4), b"\xff" * 6)
    ll = IPv6(src="fe80::1", dst="fe80::fe") / UDP(sport=546, dport=547)
    frame(bytes(ll / Raw(b"l" * 10)), True, mac_of(C6), ROUTER_MAC)
    return cap.pcap()


# ---------------------------------------------------------------- names
# DNS answers on the wire name hosts without a query of wirestat's own
# (issue 8).  The resolver is 10.0.0.53; the client 10.0.0.1 asks, then
# connects to what it was told.  Messages are built byte by byte below
# (RFC 1035 4.1) so that the hostile ones can break exactly one rule;
# tshark -V decodes the well-formed ones as written.

R4 = "10.0.0.53"
MDNS4 = "224.0.0.251"
T_A, T_CNAME, T_PTR, T_AAAA = 1, 5, 12, 28


def dns_name(name):
    """A name as uncompressed wire labels."""
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


QNAME = b"\xc0\x0c"  # a pointer to the question's name (offset 12)


def dns_rr(owner, rtype, rdata, ttl=300, rclass=1):
    """One resource record; owner is wire bytes (dns_name() or QNAME)."""
    return owner + struct.pack("!HHIH", rtype, rclass, ttl,
                               len(rdata)) + rdata


def rdata_addr(addr):
    return ipaddress.ip_address(addr).packed


def dns_msg(qname, qtype, answers, flags=0x8180, ident=0x1000,
            counts=None):
    """A message: header, one question (none if qname is None), the
    answers.  flags 0x8180: QR, RD, RA, RCODE 0.  counts=(qd, an)
    overrides what the header claims."""
    question = b""
    if qname is not None:
        question = dns_name(qname) + struct.pack("!HH", qtype, 1)
    qd, an = (1 if qname is not None else 0), len(answers)
    if counts:
        qd, an = counts
    return struct.pack("!HHHHHH", ident, flags, qd, an, 0, 0) + \
        question + b"".join(answers)


def udp_payload(cap, src, sport, dst, dport, payload, v6=False, dt=None,
                at=None):
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst, id=1)
    pkt = ip / UDP(sport=sport, dport=dport) / Raw(payload)
    cap.add_l3(bytes(pkt), v6, src, dst, dt=dt, at=at)


def dns_exchange(cap, cport, qname, qtype, answers, ident, **kw):
    """The client's query from cport and the resolver's answer."""
    udp_payload(cap, C4, cport, R4, 53,
                dns_msg(qname, qtype, [], flags=0x0100, ident=ident))
    udp_payload(cap, R4, 53, C4, cport,
                dns_msg(qname, qtype, answers, ident=ident, **kw))


def names_answers(cap):
    """The answers of names-dns.pcap, in order; see its docstring."""
    dns_exchange(cap, 50001, "www.example.com", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.10"), ttl=300)], 0x1001)
    dns_exchange(cap, 50002, "cdn.example.org", T_A, [
        dns_rr(QNAME, T_CNAME, dns_name("edge.cdn.example.net"), ttl=3600),
        dns_rr(dns_name("edge.cdn.example.net"), T_CNAME,
               dns_name("e1.edge.example.net"), ttl=3600),
        dns_rr(dns_name("e1.edge.example.net"), T_A,
               rdata_addr("192.0.2.20"), ttl=60)], 0x1002)
    dns_exchange(cap, 50003, "ipv6.example.com", T_AAAA, [
        dns_rr(QNAME, T_AAAA, rdata_addr("2001:db8::80"), ttl=3600)],
        0x1003)
    dns_exchange(cap, 50004, "30.2.0.192.in-addr.arpa", T_PTR, [
        dns_rr(QNAME, T_PTR, dns_name("mail.example.com"), ttl=86400)],
        0x1004)
    # mDNS (RFC 6762): a host announces its own name to the group: ID
    # 0, QR and AA, no question, the cache-flush bit in the class.
    udp_payload(cap, "10.0.0.7", 5353, MDNS4, 5353, dns_msg(
        None, 0, [dns_rr(dns_name("printer.local"), T_A,
                         rdata_addr("10.0.0.7"), ttl=120, rclass=0x8001)],
        flags=0x8400, ident=0))
    # DNS over TCP (RFC 7766): the length prefix, a whole connection.
    c = Conn(cap, cport=41000, sport=53, server=R4)
    c.handshake()
    q = dns_msg("tcp.example.com", T_A, [], flags=0x0100, ident=0x1006)
    c.seg(0, "PA", struct.pack("!H", len(q)) + q)
    a = dns_msg("tcp.example.com", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.60"), ttl=600)],
        ident=0x1006)
    c.seg(1, "PA", struct.pack("!H", len(a)) + a)
    c.seg(0, "FA")
    c.seg(1, "FA")
    c.seg(0, "A")


@capture("names-dns.pcap")
def names_dns():
    """DNS answers, then connections to the addresses they name.
    Answers (the resolver 10.0.0.53 to the client 10.0.0.1, each after
    its query):
      www.example.com A 192.0.2.10.
      cdn.example.org CNAME edge.cdn.example.net CNAME
        e1.edge.example.net A 192.0.2.20: named cdn.example.org (the
        name asked), canonical e1.edge.example.net, TTL 60 (the A's).
      ipv6.example.com AAAA 2001:db8::80.
      30.2.0.192.in-addr.arpa PTR mail.example.com: 192.0.2.30.
      mDNS, 10.0.0.7 to 224.0.0.251: printer.local A 10.0.0.7.
      Over TCP 53 (a whole connection, client port 41000, closed by
      the client: its side in TIME_WAIT): tcp.example.com A 192.0.2.60.
    Then, from 10.0.0.1 (fd00::1 for IPv6), a handshake and data to
    each: 192.0.2.10:443 (40001), 192.0.2.20:443 (40002),
    [2001:db8::80]:80 (40003), 192.0.2.30:25 (40004), 10.0.0.7:631
    (40005), 192.0.2.60:22 (40006), and 192.0.2.99:22 (40007), which no
    answer names.  Without -n each server's socket is named in its
    Local Address (short name: "www:https"), and the client's sockets in
    their Foreign Address ("cdn:https"; -f "cdn.example.org:https");
    10.0.0.1, fd00::1 and 192.0.2.99 stay numeric."""
    cap = Capture("names-dns")
    names_answers(cap)
    for cport, server, sport in ((40001, "192.0.2.10", 443),
                                 (40002, "192.0.2.20", 443),
                                 (40004, "192.0.2.30", 25),
                                 (40005, "10.0.0.7", 631),
                                 (40006, "192.0.2.60", 22),
                                 (40007, "192.0.2.99", 22)):
        established(cap, cport=cport, sport=sport, server=server)
    established(cap, cport=40003, sport=80, v6=True, server="2001:db8::80")
    return cap.pcap()


@capture("names-late.pcap")
def names_late():
    """The answer after the connection: 10.0.0.1:40010 connects to
    192.0.2.40:443 at t = 0 (handshake, data); at t = 1.5 s an answer
    names 192.0.2.40 late.example.com (its query at 1.49 s); data again
    at t = 2.5 s.  Names are looked up at report time, so the
    connection is named from the first report after the answer: with an
    interval of 1 s (packet time) the report at t = 1 s shows the
    address, those at t = 2 s and at the end the name."""
    cap = Capture("names-late")
    c = Conn(cap, cport=40010, sport=443, server="192.0.2.40")
    c.handshake(at=0)
    c.exchange(0)
    cap.tick(at=1490 * MS)
    udp_payload(cap, C4, 50010, R4, 53, dns_msg(
        "late.example.com", T_A, [], flags=0x0100, ident=0x2001))
    udp_payload(cap, R4, 53, C4, 50010, dns_msg(
        "late.example.com", T_A,
        [dns_rr(QNAME, T_A, rdata_addr("192.0.2.40"), ttl=300)],
        ident=0x2001), at=1500 * MS)
    cap.tick(at=2500 * MS)
    c.exchange(1)
    return cap.pcap()


@capture("names-malformed.pcap")
def names_malformed():
    """Hostile and unusable answers teach nothing.  Each answer claims
    one address of 192.0.2.50-58 for a name, and 10.0.0.1 then connects
    to that address on port 443 (client ports 40050-40058):
      .50 good.example: a well-formed answer, the control: named.
      .51 the answer's owner is a pointer to itself (offset 45): a
          compression loop, dns_pointer_not_backwards.
      .52 a 64-byte label in the owner name: dns_label_over_63.
      .53 the header claims two answers, the message holds one (good):
          the second owner name would start at the end,
          dns_name_past_end; the good record is dropped with the rest.
      .54 an A record of 5 bytes: dns_a_rdlength_not_4.
      .55 RCODE 3 (NXDOMAIN) with an A record: dns_rcode_not_zero.
      .56 a query (QR 0) carrying an answer: dns_not_a_response.
      .57 the owner is a pointer past the message's end:
          dns_pointer_out_of_range.
      .58 the header claims 300 answers in a 60-byte message:
          dns_counts_exceed_message.
    Every row but .50's stays numeric; -s counts each reason (and the
    nine queries, not responses)."""
    cap = Capture("names-malformed")
    good = dns_rr(QNAME, T_A, rdata_addr("192.0.2.50"))
    dns_exchange(cap, 50050, "good.example", T_A, [good], 0x3000)
    # header 12 + question (a.example: 11 + 4) = 27: the answer's owner
    # at 27 pointing to 27
    q51 = "a.example"
    dns_exchange(cap, 50051, q51, T_A, [
        dns_rr(b"\xc0\x1b", T_A, rdata_addr("192.0.2.51"))], 0x3001)
    dns_exchange(cap, 50052, "b.example", T_A, [
        dns_rr(bytes([64]) + b"x" * 64 + dns_name("b.example"), T_A,
               rdata_addr("192.0.2.52"))], 0x3002)
    dns_exchange(cap, 50053, "c.example", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.53"))], 0x3003,
        counts=(1, 2))
    dns_exchange(cap, 50054, "d.example", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.54") + b"\0")], 0x3004)
    dns_exchange(cap, 50055, "e.example", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.55"))], 0x3005,
        flags=0x8183)
    dns_exchange(cap, 50056, "f.example", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.56"))], 0x3006,
        flags=0x0100)
    dns_exchange(cap, 50057, "g.example", T_A, [
        dns_rr(b"\xc1\x00", T_A, rdata_addr("192.0.2.57"))], 0x3007)
    dns_exchange(cap, 50058, "h.example", T_A, [
        dns_rr(QNAME, T_A, rdata_addr("192.0.2.58"))], 0x3008,
        counts=(1, 300))
    for i in range(9):
        established(cap, cport=40050 + i, sport=443,
                    server="192.0.2.%d" % (50 + i))
    return cap.pcap()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "crafted")
    os.makedirs(outdir, exist_ok=True)
    for name, fn in CAPTURES.items():
        data = fn()
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    print("wrote %d captures to %s" % (len(CAPTURES), os.path.normpath(
        outdir)))
    stale = sorted(set(os.listdir(outdir)) - set(CAPTURES))
    for name in stale:
        print("warning: %s is not written by this script (stale?)" % name,
              file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

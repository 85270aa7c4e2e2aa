#!/usr/bin/env python3
"""gen_synthetic.py - a large, deterministic synthetic capture for bench/.

Writes an Ethernet pcap of about two million packets: tens of thousands of
concurrent TCP connections left in every state netstat shows, some IPv6,
some 802.1Q-tagged, plus UDP request/response flows.  Sequence and
acknowledgment numbers are exact, SYNs carry MSS, SACK-permitted,
timestamps and window scale as Linux sends them, and later windows are
scaled.  Checksums are left zero (wirestat does not check them; captures
taken on the sending host look the same).

Every connection is built from a script relative to its own start, then
moved to a random start inside the capture window, so thousands are open
at once.  The last packet of the capture is at exactly --span seconds, and
the script's outcome (the state each endpoint is left in, since when, and
which Linux timer ends it) gives the rows each host's netstat would show at
that instant.  Starts are chosen so that no timer ends within 1.5 s of
the capture's end, so the expectation is never a coin toss.

Outputs:
  OUT            the pcap
  OUT.json       the sidecar: counts by kind, packets, IPv6, VLAN, flows,
                 expected rows by state (--json to change the path)
  --expected-rows FILE   the expected socket rows, JSON Lines, one per row,
                 with the keys of `wirestat --format json` plus "kind"

Only the standard library; deterministic for a given --seed and options.

  gen_synthetic.py -o big.pcap --expected-rows big.rows.jsonl
  gen_synthetic.py -o tiny.pcap --connections 3 --kinds last_ack \
      --span 10 --ipv6 0 --vlan 0 --expected-rows tiny.rows.jsonl
  wirestat -R tiny.pcap -a -n --format json | \
      check_states.py tiny.rows.jsonl /dev/stdin
"""
import argparse
import ipaddress
import json
import operator
import random
import struct
import sys
import time

M32 = 0xFFFFFFFF
US = 1_000_000

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# Linux timers on packet time (seconds), as wirestat applies them.
TIMER = {
    "SYN_SENT": 131,
    "SYN_RECEIVED": 63,
    "FIN_WAIT_1": 102,
    "FIN_WAIT_2": 60,  # orphaned only (close(), not shutdown())
    "CLOSING": 102,
    "LAST_ACK": 102,
    "TIME_WAIT": 60,
}
UDP_UNREPLIED_TIMEOUT = 60  # wirestat (man page, Zeek's udp_inactivity_timeout): an unanswered UDP flow
UDP_REPLIED_TIMEOUT = 120   # a replied one (longer than any --span)
BOUNDED = dict(TIMER, UDP_UNREPLIED=UDP_UNREPLIED_TIMEOUT)
BOUNDARY_US = 1_500_000  # keep every timer this far from the capture's end
# An ACK to an endpoint that has shown it lost one (it repeated its FIN)
# counts only once its next repeat is overdue (wirestat's ack_due(): 3 s
# when the retransmission gap is unknown); give it that plus the margin.
ACK_TO_LOSSY_US = 3_000_000 + BOUNDARY_US

LISTEN_PORTS = [80, 443, 22, 25, 3306, 5432, 6379, 8080]
REFUSED_PORTS = [23, 81, 8081, 9999, 5900]  # never listening anywhere
FILTERED_PORT = 4444  # SYNs that go unanswered
DNS_PORT = 53

# TCP connection kinds: (name, weight).  See the script functions below.
KINDS = [
    ("close_client", 20),      # handshake, data, client closes: C TIME_WAIT
    ("close_server", 11),      # server closes first: S TIME_WAIT
    ("half_close_orphan", 4),  # C FIN, S ACK: C FIN_WAIT_2 (60 s), S CLOSE_WAIT
    ("half_close_live", 3),    # C FIN, S keeps sending: FIN_WAIT_2 no timer
    ("fin_wait_1", 2),         # C FIN not yet acknowledged
    ("last_ack", 2),           # S FIN sent, final ACK not seen: S LAST_ACK
    ("closing", 1),            # FINs cross, no ACKs yet: both CLOSING
    ("simul_close", 1),        # FINs cross, both acknowledged: both TIME_WAIT
    ("syn_sent", 5),           # unanswered SYN (with retransmissions)
    ("syn_received", 3),       # SYN, SYN-ACK, final ACK lost: S SYN_RECEIVED
    ("rst_abort", 6),          # established then RST from either side
    ("refused", 5),            # SYN answered by RST: nothing left
    ("idle_established", 24),  # long-lived, idle at the end
    ("midstream", 11),         # no handshake seen: ESTABLISHED, partial
    ("midstream_close", 2),    # picked up mid-stream, then client closes
    ("fin_wait_1_retx", 1),    # C FIN retransmitted, never acked: the first
                               # was not delivered, S still ESTABLISHED
    ("close_lost_ack", 1),     # close_client whose last ACK is lost: S
                               # repeats its FIN, C's TIME_WAIT restarts
    ("tw_reuse", 1),           # close_client, then the client reuses the
                               # tuple from TIME_WAIT: a new connection
]
KIND_NAMES = [k for k, _ in KINDS]


class Rng(random.Random):
    def chance(self, p):
        return self.random() < p


def v4(s):
    return ipaddress.IPv4Address(s).packed


def v6(s):
    return ipaddress.IPv6Address(s).packed


def addr_text(b):
    return str(ipaddress.ip_address(b))


def mac_of(b):
    return b"\x02\x00" + b[-4:]


GW_MAC = b"\x02\x00\x00\x00\x00\x01"

TCP_HDR = struct.Struct("!HHIIBBHHH")
IP4_HDR = struct.Struct("!BBHHHBBH4s4s")
IP6_HDR = struct.Struct("!IHBB16s16s")
UDP_HDR = struct.Struct("!HHHH")
TS_OPT = struct.Struct("!BBBBII")  # NOP NOP TS(10)
REC_HDR = struct.Struct("<IIII")


class Endpoint:
    __slots__ = ("addr", "port", "mac", "isn", "nxt", "ws", "win", "ts_base",
                 "ts_last", "ip_id", "l2", "react", "alive")

    def __init__(self, addr, port):
        self.addr = addr
        self.port = port
        self.mac = mac_of(addr)
        self.isn = self.nxt = 0
        self.ws = None
        self.win = 0
        self.ts_base = 0
        self.ts_last = 0
        self.ip_id = 0
        self.l2 = b""
        self.react = 0  # capture point -> this host -> capture point, us


class Conn:
    """One TCP connection: its two endpoints and its packets, in order,
    with timestamps relative to the script's start."""

    def __init__(self, rng, c_addr, c_port, s_addr, s_port, vlan, kind):
        self.kind = kind
        self.v6 = len(c_addr) == 16
        self.vlan = vlan
        self.ep = (Endpoint(c_addr, c_port), Endpoint(s_addr, s_port))
        self.pkts = []  # (t_us, frame, payload_len)
        self.last_t = -1
        self.outcome = [("CLOSED", 0), ("CLOSED", 0)]  # (state, since_us)
        self.partial = False
        self.synack_sent = False
        self.settle = 0  # quiet time the outcome needs after the last packet
        c, s = self.ep
        # The capture point sits near the client: its reactions are seen
        # within tens of microseconds, the server's after a round trip.
        if rng.chance(0.6):
            rtt = rng.randint(150, 2000)
        else:
            rtt = rng.randint(5000, 80000)
        c.react = rng.randint(15, 60)
        s.react = rtt
        self.rtt = rtt
        self.ts = rng.chance(0.85)
        wsopts = [7, 7, 7, 7, 8, 9, 10, 2, 0]
        c.ws = rng.choice(wsopts) if rng.chance(0.93) else None
        s.ws = rng.choice(wsopts) if rng.chance(0.93) else None
        self.wscale = c.ws is not None and s.ws is not None
        for e in self.ep:
            e.isn = rng.getrandbits(32)
            if rng.chance(0.02):  # exercise sequence wraparound
                e.isn = (M32 - rng.randint(0, 20000)) & M32
            e.nxt = e.isn
            e.ts_base = rng.getrandbits(31)
            e.ip_id = rng.getrandbits(16)
            rcvbuf = rng.choice([65536, 131072, 262144, 1048576, 3145728])
            if self.wscale:
                e.win = max(1, rcvbuf >> e.ws)
                if e.win > 65535:
                    e.win = 65535
            else:
                e.win = min(rcvbuf, 65535)
        mss = 1440 if self.v6 else 1460
        self.mss = mss
        self.seg = mss - 12 if self.ts else mss
        for i, e in enumerate(self.ep):
            peer = self.ep[1 - i]
            dst_mac = GW_MAC if i == 0 else peer.mac
            src_mac = e.mac if i == 0 else GW_MAC
            etype = b"\x86\xdd" if self.v6 else b"\x08\x00"
            if vlan:
                e.l2 = dst_mac + src_mac + b"\x81\x00" + struct.pack(
                    "!H", vlan) + etype
            else:
                e.l2 = dst_mac + src_mac + etype

    # -- one segment -------------------------------------------------------
    def send(self, d, t, flags, plen=0, seq=None, ack=None):
        """Endpoint d (0 client, 1 server) sends a segment seen at t (or
        just after the previous one).  Returns the time used."""
        t = int(t)
        if t <= self.last_t:
            t = self.last_t + 1
        self.last_t = t
        e, p = self.ep[d], self.ep[1 - d]
        if seq is None:
            seq = e.nxt
        if ack is None:
            ack = p.nxt if flags & ACK else 0
        tsval = (e.ts_base + t // 1000) & M32
        if flags & SYN:
            opts = self.syn_options(e, p, tsval, bool(flags & ACK))
            win = 65160 if flags & ACK else 64240
        else:
            opts = TS_OPT.pack(1, 1, 8, 10, tsval, p.ts_last) if self.ts \
                else b""
            win = e.win if not flags & RST else 0
        if flags & RST and not flags & ACK:
            ack = 0
        e.ts_last = tsval
        tcp = TCP_HDR.pack(e.port, p.port, seq & M32, ack & M32,
                           (20 + len(opts)) << 2, flags, win, 0, 0) + opts
        self.emit(d, t, 6, tcp, plen)
        end = (seq + plen + (1 if flags & SYN else 0) +
               (1 if flags & FIN else 0)) & M32
        if ((end - e.nxt) & M32) < 0x80000000:
            e.nxt = end
        return t

    def syn_options(self, e, p, tsval, synack):
        o = struct.pack("!BBH", 2, 4, self.mss)
        if self.ts:
            o += b"\x04\x02" + struct.pack("!BBII", 8, 10, tsval,
                                           p.ts_last if synack else 0)
        else:
            o += b"\x01\x01\x04\x02"
        if e.ws is not None and (not synack or p.ws is not None):
            o += b"\x01\x03\x03" + bytes([e.ws])
        return o

    def emit(self, d, t, proto, l4, plen):
        e, p = self.ep[d], self.ep[1 - d]
        if self.v6:
            ip = IP6_HDR.pack(0x60000000 | (e.port << 4), len(l4) + plen,
                              proto, 64, e.addr, p.addr)
        else:
            e.ip_id = (e.ip_id + 1) & 0xFFFF
            ip = IP4_HDR.pack(0x45, 0, 20 + len(l4) + plen, e.ip_id, 0x4000,
                              64, proto, 0, e.addr, p.addr)
        frame = e.l2 + ip + l4
        if plen == 0 and len(frame) < 60:
            frame += bytes(60 - len(frame))  # Ethernet minimum, padded
        self.pkts.append((t, frame, plen))

    # -- building blocks ---------------------------------------------------
    def handshake(self, t):
        t = self.send(0, t, SYN)
        t = self.send(1, t + self.ep[1].react, SYN | ACK)
        self.synack_sent = True
        return self.send(0, t + self.ep[0].react, ACK)

    def transfer(self, rng, d, t, nbytes):
        """d sends nbytes in bursts of cwnd segments; the peer acks every
        second segment and the last one.  Returns the time of the peer's
        last ACK."""
        peer = 1 - d
        cwnd = 10
        left = nbytes
        while left > 0:
            acks = []
            n = 0
            while n < cwnd and left > 0:
                sz = min(self.seg, left)
                left -= sz
                n += 1
                t = self.send(d, t, ACK | (PSH if left == 0 or n == cwnd
                                           else 0), sz)
                t += 1 + sz // 125  # serialisation at 1 Gb/s
                if n % 2 == 0 or left == 0 or n == cwnd:
                    acks.append(self.ep[d].nxt)
            ta = t + self.ep[peer].react
            for a in acks:
                ta = self.send(peer, ta, ACK, ack=a) + 20
            t = ta + self.ep[d].react
            if rng.chance(0.01):
                # a spurious retransmission of the burst's last segment,
                # and the peer's duplicate ACK
                e = self.ep[d]
                t = self.send(d, t + 200000, ACK, sz,
                              seq=(e.nxt - sz) & M32)
                t = self.send(peer, t + self.ep[peer].react, ACK) + 20
            cwnd = min(cwnd * 2, 64)
        return self.last_t

    def exchange(self, rng, t, rounds, think_lo, think_hi, server_first=False):
        """Request/response rounds.  Returns the time of the last packet."""
        for i in range(rounds):
            if i or not server_first:
                t = self.send(0, t, PSH | ACK, rng.randint(40, 700))
                t += self.ep[1].react
            t = self.transfer(rng, 1, t, response_size(rng))
            if rng.chance(0.05):  # an upload
                t = self.transfer(rng, 0, t + 50, rng.randint(2000, 60000))
            t += rng.randint(think_lo, think_hi)
        return self.last_t

    def set_outcome(self, c_state, c_since, s_state, s_since):
        self.outcome = [(c_state, c_since), (s_state, s_since)]


def response_size(rng):
    r = rng.random()
    if r < 0.60:
        return rng.randint(100, 1448)
    if r < 0.90:
        return rng.randint(1449, 12000)
    if r < 0.99:
        return rng.randint(12000, 80000)
    return rng.randint(80000, 300000)


def data_rounds(rng):
    n = 1
    while n < 12 and rng.chance(0.42):
        n += 1
    return n


def think(rng):
    return rng.randint(2000, 400000)


# -- the scripts: each returns nothing, sets conn.outcome --------------------

def active_close(conn, rng, t, closer, separate_ack, lost_ack=False):
    """closer sends FIN (sometimes on its last data); the other side acks
    (maybe together with its own FIN), then sends FIN; closer acks it.
    closer ends in TIME_WAIT.  With lost_ack the final ACK does not reach
    the other side, which repeats its FIN; the repeat restarts TIME_WAIT
    (Linux tcp_timewait_state_process())."""
    other = 1 - closer
    ep = conn.ep
    if rng.chance(0.3):
        t = conn.send(closer, t, FIN | PSH | ACK, rng.randint(20, 1000))
    else:
        t = conn.send(closer, t, FIN | ACK)
    t += ep[other].react
    if separate_ack:
        t = conn.send(other, t, ACK)
        t += rng.randint(10, 3000)
    fin_seq = ep[other].nxt
    t_fin = conn.send(other, t, FIN | ACK)
    t = conn.send(closer, t_fin + ep[closer].react, ACK)
    if lost_ack:
        rto = max(200000, 3 * conn.rtt)
        t_fin = conn.send(other, t + rto, FIN | ACK, seq=fin_seq)
        conn.send(closer, t_fin + ep[closer].react, ACK)
    st = ["CLOSED", "CLOSED"]
    since = [0, 0]
    st[closer], since[closer] = "TIME_WAIT", t_fin
    conn.set_outcome(st[0], since[0], st[1], since[1])


def script(conn, rng, kind):
    t = 0
    c, s = conn.ep
    if kind == "close_client":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        active_close(conn, rng, t + rng.randint(100, 200000), 0,
                     rng.chance(0.5))
    elif kind == "close_server":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        active_close(conn, rng, t + rng.randint(100, 200000), 1,
                     rng.chance(0.7))
    elif kind == "close_lost_ack":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        active_close(conn, rng, t + rng.randint(100, 200000), 0,
                     rng.chance(0.5), lost_ack=True)
        # TIME_WAIT counts from the repeated FIN.  Whether the ACK that
        # answers the repeat arrived shows only when no further repeat
        # comes: wirestat waits 3 RTO-doublings (1 s each when unknown)
        # before it believes it, so leave that much quiet before the end.
        conn.set_outcome("TIME_WAIT", conn.pkts[-2][0], "CLOSED", 0)
        conn.settle = ACK_TO_LOSSY_US
    elif kind == "tw_reuse":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        active_close(conn, rng, t + rng.randint(100, 200000), 0, False)
        # connect() again from the same port within TIME_WAIT: the new ISN
        # lies beyond the old connection's sequence space
        c.isn = c.nxt = (c.nxt + rng.randint(100000, 1 << 24)) & M32
        s.isn = s.nxt = rng.getrandbits(32)
        t = conn.handshake(conn.last_t + rng.randint(100000, 20000000))
        conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        conn.set_outcome("ESTABLISHED", 0, "ESTABLISHED", 0)
    elif kind == "fin_wait_1_retx":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        fin_seq = c.nxt
        t_fin = conn.send(0, t + 1000, FIN | ACK)
        rto = max(200000, 3 * conn.rtt)
        for i in range(rng.randint(1, 3)):  # unanswered: backoff doubles
            conn.send(0, t_fin + rto * ((2 << i) - 1), FIN | ACK, seq=fin_seq)
        conn.set_outcome("FIN_WAIT_1", t_fin, "ESTABLISHED", 0)
    elif kind == "half_close_orphan":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        t = conn.send(0, t + 1000, FIN | ACK)
        t = conn.send(1, t + s.react, ACK)
        conn.set_outcome("FIN_WAIT_2", t, "CLOSE_WAIT", t)
    elif kind == "half_close_live":
        t = conn.handshake(t)
        t = conn.send(0, t + 100, PSH | ACK, rng.randint(40, 400))
        t = conn.send(0, t + 20, FIN | ACK)  # shutdown(SHUT_WR) after request
        t_ack = conn.send(1, t + s.react, ACK)
        t = t_ack
        for _ in range(rng.randint(1, 4)):  # the server keeps answering
            t = conn.transfer(rng, 1, t + rng.randint(1000, 2000000),
                              response_size(rng))
        conn.set_outcome("FIN_WAIT_2*", t_ack, "CLOSE_WAIT", t_ack)
    elif kind == "fin_wait_1":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        t = conn.send(0, t + 1000, FIN | ACK)
        conn.set_outcome("FIN_WAIT_1", t, "CLOSE_WAIT", t)
    elif kind == "last_ack":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        t = conn.send(0, t + 1000, FIN | ACK)
        t = conn.send(1, t + s.react, FIN | ACK)  # acks C's FIN
        conn.set_outcome("TIME_WAIT", t, "LAST_ACK", t)
    elif kind in ("closing", "simul_close"):
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        c_fin_seq = c.nxt
        s_fin_seq = s.nxt
        t = conn.send(0, t + 1000, FIN | ACK)
        # the server's FIN left before the client's arrived: it does not
        # acknowledge the client's FIN
        t_sfin = conn.send(1, t + 30, FIN | ACK, ack=c_fin_seq)
        if kind == "closing":
            conn.set_outcome("CLOSING", t_sfin, "CLOSING", t_sfin)
        else:
            t_cack = conn.send(0, t_sfin + c.react, ACK,
                               ack=(s_fin_seq + 1) & M32)
            t_sack = conn.send(1, t + s.react, ACK,
                               ack=(c_fin_seq + 1) & M32)
            conn.set_outcome("TIME_WAIT", t_sack, "TIME_WAIT", t_cack)
    elif kind == "syn_sent":
        t0 = conn.send(0, 0, SYN)
        for back in (1, 3, 7, 15, 31, 63):  # Linux's exponential backoff
            conn.send(0, back * US + rng.randint(0, 2000), SYN,
                      seq=c.isn)
        conn.set_outcome("SYN_SENT", t0, "CLOSED", 0)
    elif kind == "syn_received":
        t = conn.send(0, 0, SYN)
        t = conn.send(1, t + s.react, SYN | ACK)
        conn.synack_sent = True
        # the client's ACK is lost before the capture point; a
        # server-speaks-first client then waits for the banner
        conn.set_outcome("ESTABLISHED", t, "SYN_RECEIVED", t)
    elif kind == "rst_abort":
        t = conn.handshake(t)
        t = conn.exchange(rng, t + c.react, data_rounds(rng), 1000, 300000)
        who = rng.randint(0, 1)
        conn.send(who, t + rng.randint(100, 100000), RST | ACK)
        conn.set_outcome("CLOSED", 0, "CLOSED", 0)
    elif kind == "refused":
        t = conn.send(0, 0, SYN)
        conn.send(1, t + s.react, RST | ACK, seq=0)
        conn.set_outcome("CLOSED", 0, "CLOSED", 0)
    elif kind == "idle_established":
        t = conn.handshake(t)
        conn.exchange(rng, t + c.react, data_rounds(rng), 100000, 8000000,
                      server_first=rng.chance(0.2))
        conn.set_outcome("ESTABLISHED", 0, "ESTABLISHED", 0)
    elif kind in ("midstream", "midstream_close"):
        conn.partial = True
        # the connection predates the capture: the first segment seen may
        # come from either side
        t = conn.exchange(rng, 0, data_rounds(rng), 1000, 3000000,
                          server_first=rng.chance(0.4))
        if kind == "midstream":
            conn.set_outcome("ESTABLISHED", 0, "ESTABLISHED", 0)
        else:
            active_close(conn, rng, t + rng.randint(100, 200000), 0, True)
    else:
        raise ValueError(kind)


# -- UDP ---------------------------------------------------------------------

class UdpFlow(Conn):
    def __init__(self, rng, c_addr, c_port, s_addr, s_port, vlan):
        super().__init__(rng, c_addr, c_port, s_addr, s_port, vlan, "udp")
        self.replied = False

    def datagram(self, d, t, plen):
        t = int(t)
        if t <= self.last_t:
            t = self.last_t + 1
        self.last_t = t
        e, p = self.ep[d], self.ep[1 - d]
        self.emit(d, t, 17, UDP_HDR.pack(e.port, p.port, 8 + plen, 0), plen)
        if d == 1:
            self.replied = True
        return t


def udp_script(flow, rng):
    t = 0
    answered = rng.chance(0.88)
    for i in range(rng.randint(1, 3)):
        t = flow.datagram(0, t, rng.randint(28, 60))
        if answered:
            t = flow.datagram(1, t + flow.ep[1].react, rng.randint(40, 400))
        t += rng.randint(1000, 2000000)
    if not answered and rng.chance(0.5):
        flow.datagram(0, flow.last_t + US, rng.randint(28, 60))  # retry


# -- the population ----------------------------------------------------------

class Population:
    def __init__(self, rng):
        self.rng = rng
        self.srv4 = [v4("10.1.%d.%d" % (i // 200, i % 200 + 1))
                     for i in range(200)]
        self.srv6 = [v6("fd00:1::%x" % (i + 1)) for i in range(50)]
        self.dark4 = [v4("10.9.0.%d" % (i + 1)) for i in range(20)]
        self.dark6 = [v6("fd00:9::%x" % (i + 1)) for i in range(5)]
        self.dns4 = [v4("10.1.53.%d" % (i + 1)) for i in range(4)]
        self.dns6 = [v6("fd00:53::%x" % (i + 1)) for i in range(2)]
        self.cli4 = [v4("10.2.%d.%d" % (i // 250, i % 250 + 1))
                     for i in range(2000)]
        self.cli6 = [v6("fd00:2::%x" % (i + 1)) for i in range(400)]
        self.listen = {}
        for a in self.srv4 + self.srv6:
            ports = [rng.choice(LISTEN_PORTS)]
            if rng.chance(0.3):
                p = rng.choice(LISTEN_PORTS)
                if p not in ports:
                    ports.append(p)
            self.listen[a] = ports
        self.next_port = {}

    def client(self, is6):
        a = self.rng.choice(self.cli6 if is6 else self.cli4)
        p = self.next_port.get(a)
        if p is None:
            p = 32768 + self.rng.randint(0, 20000)
        p += self.rng.randint(1, 3)
        if p > 60999:
            raise RuntimeError("client ports exhausted: more client hosts")
        self.next_port[a] = p
        return a, p

    def server(self, kind, is6):
        rng = self.rng
        if kind == "syn_sent":
            return rng.choice(self.dark6 if is6 else self.dark4), FILTERED_PORT
        a = rng.choice(self.srv6 if is6 else self.srv4)
        if kind == "refused":
            return a, rng.choice(REFUSED_PORTS)
        return a, rng.choice(self.listen[a])


def alive(state, since, t_end):
    """Would netstat still show a socket in this state at t_end?"""
    if state == "CLOSED":
        return False
    if state.endswith("*"):  # FIN_WAIT_2 of a live half-closed socket
        return True
    tm = TIMER.get(state)
    return tm is None or t_end < since + tm * US


def boundary_ok(outcome, off, t_end):
    for state, since in outcome:
        tm = BOUNDED.get(state)
        if tm is not None and abs(since + off + tm * US - t_end) < BOUNDARY_US:
            return False
    return True


def place(conn, rng, limit, t_end, timed):
    """Pick a start offset for a script so it ends by limit and no timer
    of its outcome ends near t_end.  None if it does not fit."""
    dur = conn.pkts[-1][0] + conn.settle
    truncatable = conn.kind == "syn_sent"
    hi = limit - (conn.pkts[0][0] if truncatable else dur)
    if hi < 0:
        return None
    for _ in range(50):
        off = rng.randint(0, hi)
        if not timed or boundary_ok(timed, off, t_end):
            return off
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--out", required=True, help="pcap to write")
    ap.add_argument("--json", help="sidecar path (default OUT.json)")
    ap.add_argument("--expected-rows", help="write expected rows (JSONL)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--packets", type=int, default=2_000_000,
                    help="stop adding connections at this many packets")
    ap.add_argument("--connections", type=int,
                    help="exactly this many TCP connections (overrides "
                    "--packets; for small reproductions)")
    ap.add_argument("--udp-flows", type=int,
                    help="with --connections: this many UDP flows")
    ap.add_argument("--kinds", help="comma-separated TCP kinds to use "
                    "(default all): " + ",".join(KIND_NAMES))
    ap.add_argument("--span", type=float, default=90.0,
                    help="capture length in seconds (keep under 131)")
    ap.add_argument("--ipv6", type=float, default=0.15,
                    help="share of connections over IPv6")
    ap.add_argument("--vlan", type=float, default=0.10,
                    help="share of connections 802.1Q-tagged")
    ap.add_argument("--snaplen", type=int, default=262144,
                    help="cut captured frames to this many bytes")
    args = ap.parse_args()

    started = time.monotonic()
    rng = Rng(args.seed)
    pop = Population(rng)
    kinds = KINDS
    if args.kinds:
        want = args.kinds.split(",")
        bad = [k for k in want if k not in KIND_NAMES]
        if bad:
            ap.error("unknown kind(s): " + ",".join(bad))
        kinds = [(k, w) for k, w in KINDS if k in want]
    kind_names = [k for k, _ in kinds]
    kind_weights = [w for _, w in kinds]
    t_end = int(args.span * US)
    limit = t_end - 5000  # every script ends before the closing exchange

    records = []
    expected = []
    npk = 0
    counts = {k: 0 for k in KIND_NAMES}
    udp_counts = {"replied": 0, "unreplied": 0, "unreplied_expired": 0}
    n6 = nvlan = 0
    n6_pkts = nvlan_pkts = tcp_pkts = udp_pkts = 0
    listeners = set()
    bound = set()
    anchor = None
    ntcp = nudp = 0
    spans = []  # (first packet, closed or last packet, leaves the table)

    def want_more():
        if args.connections is not None:
            return ntcp < args.connections or nudp < (args.udp_flows or 0)
        return npk < args.packets

    while want_more():
        if args.connections is not None:
            is_udp = ntcp >= args.connections
        else:
            is_udp = rng.chance(0.10)
        is6 = rng.chance(args.ipv6)
        vlan = 100 + rng.randint(0, 7) if rng.chance(args.vlan) else 0
        if is_udp:
            ca, cp = pop.client(is6)
            sa = rng.choice(pop.dns6 if is6 else pop.dns4)
            conn = UdpFlow(rng, ca, cp, sa, DNS_PORT, vlan)
            udp_script(conn, rng)
            timed = None
            if not conn.replied:
                # an unanswered flow lives 30 s after its last datagram
                last = conn.pkts[-1][0]
                timed = [("UDP_UNREPLIED", last)]
            off = place(conn, rng, limit, t_end, timed)
            if off is None:
                continue
            nudp += 1
        else:
            kind = rng.choices(kind_names, kind_weights)[0]
            ca, cp = pop.client(is6)
            sa, sp = pop.server(kind, is6)
            conn = Conn(rng, ca, cp, sa, sp, vlan, kind)
            script(conn, rng, kind)
            off = place(conn, rng, limit, t_end, conn.outcome)
            if off is None:
                continue
            ntcp += 1
            counts[kind] += 1
            if anchor is None and kind == "idle_established":
                anchor = (conn, off)
        pk = [(t + off, f, p) for t, f, p in conn.pkts if t + off <= limit]
        records.extend(pk)
        # lifetimes: on the wire (first to last packet) and in wirestat's
        # table (TCP and answered UDP stay to the end at this span)
        gone = t_end + 1
        if is_udp and not conn.replied:
            gone = pk[-1][0] + UDP_UNREPLIED_TIMEOUT * US
        last = pk[-1][0]
        if not is_udp and any(st not in ("CLOSED", "TIME_WAIT")
                              for st, _ in conn.outcome):
            last = t_end  # a socket of it is still open at the end
        spans.append((pk[0][0], last, gone))
        npk += len(pk)
        if is6:
            n6 += 1
            n6_pkts += len(pk)
        if vlan:
            nvlan += 1
            nvlan_pkts += len(pk)
        if is_udp:
            udp_pkts += len(pk)
        else:
            tcp_pkts += len(pk)
        expected.extend(expect_rows(conn, off, t_end, listeners, bound,
                                    udp_counts))

    # The closing exchange: an established connection speaks once more, so
    # the capture's last packet is at exactly t_end.
    if anchor is None:
        conn = Conn(rng, *pop.client(False), pop.srv4[0],
                    pop.listen[pop.srv4[0]][0], 0, "idle_established")
        conn.handshake(0)
        conn.set_outcome("ESTABLISHED", 0, "ESTABLISHED", 0)
        ntcp += 1
        counts["idle_established"] += 1
        records.extend(conn.pkts)
        tcp_pkts += len(conn.pkts)
        npk += len(conn.pkts)
        expected.extend(expect_rows(conn, 0, t_end, listeners, bound,
                                    udp_counts))
        anchor = (conn, 0)
    conn, off = anchor
    conn.pkts = []
    conn.last_t = t_end - 3000 - off
    conn.send(0, t_end - 2000 - off, PSH | ACK, 100)
    conn.send(1, t_end - off, ACK)
    tail = [(t + off, f, p) for t, f, p in conn.pkts]
    assert tail[-1][0] == t_end
    records.extend(tail)
    npk += len(tail)
    tcp_pkts += len(tail)
    if conn.v6:
        n6_pkts += len(tail)
    if conn.vlan:
        nvlan_pkts += len(tail)

    records.sort(key=operator.itemgetter(0))  # stable: per-flow order kept
    open_peak = peak([(a, b) for a, b, _ in spans])
    table_peak = peak([(a, g) for a, _, g in spans])
    nbytes = write_pcap(args.out, records, args.snaplen)

    by_state = {}
    by_proto = {}
    for r in expected:
        st = r["state"] if r["state"] is not None else "(udp)"
        by_state[st] = by_state.get(st, 0) + 1
        by_proto.setdefault(r["proto"], {})
        by_proto[r["proto"]][st] = by_proto[r["proto"]].get(st, 0) + 1
    flows_end = ntcp + udp_counts["replied"] + udp_counts["unreplied"] - \
        udp_counts["unreplied_expired"]
    side = {
        "generator": "bench/gen_synthetic.py",
        "seed": args.seed,
        "pcap": args.out,
        "linktype": "EN10MB",
        "span_s": args.span,
        "t_end_us": t_end,
        "packets": npk,
        "bytes_on_wire": nbytes,
        "tcp_packets": tcp_pkts,
        "udp_packets": udp_pkts,
        "ipv6_packets": n6_pkts,
        "vlan_packets": nvlan_pkts,
        "tcp_connections": ntcp,
        "tcp_connections_by_kind": counts,
        "udp_flows": nudp,
        "udp_flows_by_kind": udp_counts,
        "ipv6_flows": n6,
        "vlan_flows": nvlan,
        "flows_total": ntcp + nudp,
        "flows_at_end": flows_end,
        "flows_peak": table_peak,
        "max_concurrent_open_flows": open_peak,
        "listeners": len(listeners),
        "udp_bound_ports": len(bound),
        "expected_rows": len(expected),
        "expected_rows_by_state": dict(sorted(by_state.items())),
        "expected_rows_by_proto": {k: dict(sorted(v.items()))
                                   for k, v in sorted(by_proto.items())},
        "timers_s": BOUNDED,
        "notes": "rows as netstat -a on every host would show them at "
                 "t_end; UDP rows have state null ('(udp)' here)",
        "generation_seconds": round(time.monotonic() - started, 1),
    }
    with open(args.json or args.out + ".json", "w") as f:
        json.dump(side, f, indent=1)
        f.write("\n")
    if args.expected_rows:
        with open(args.expected_rows, "w") as f:
            for r in sorted(expected, key=row_sort_key):
                f.write(json.dumps(r) + "\n")
    print("%s: %d packets, %d TCP connections, %d UDP flows, %.0f MB, %.1f s"
          % (args.out, npk, ntcp, nudp, nbytes / 1e6,
             time.monotonic() - started), file=sys.stderr)


def peak(intervals):
    """Most intervals [a, b] overlapping at one instant."""
    ev = [(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals]
    ev.sort(key=lambda e: (e[0], -e[1]))
    n = best = 0
    for _, d in ev:
        n += d
        best = max(best, n)
    return best


def row_sort_key(r):
    return (r["proto"], r["local_addr"], r["local_port"],
            r["remote_addr"] or "", r["remote_port"] or 0, r["vlan"] or 0,
            r["state"] or "")


def expect_rows(conn, off, t_end, listeners, bound, udp_counts):
    """The socket rows the script leaves at t_end, netstat -a style."""
    rows = []
    c, s = conn.ep
    tcp = conn.kind != "udp"
    proto = ("tcp" if tcp else "udp") + ("6" if conn.v6 else "")
    vlan = conn.vlan or None

    def row(local, remote, state, partial=False):
        return {"proto": proto, "local_addr": addr_text(local.addr),
                "local_port": local.port,
                "remote_addr": addr_text(remote.addr) if remote else None,
                "remote_port": remote.port if remote else None,
                "state": state, "partial": partial, "vlan": vlan,
                "kind": conn.kind}

    if tcp:
        for i, (state, since) in enumerate(conn.outcome):
            if alive(state, since + off, t_end):
                rows.append(row(conn.ep[i], conn.ep[1 - i],
                                state.rstrip("*"), conn.partial))
        if conn.synack_sent:
            key = (proto, s.addr, s.port, conn.vlan)
            if key not in listeners:
                listeners.add(key)
                r = row(s, None, "LISTENING")
                r["kind"] = "listener"
                rows.append(r)
        return rows
    if conn.replied:
        udp_counts["replied"] += 1
        rows.append(row(c, None, None))
        key = (proto, s.addr, s.port, conn.vlan)
        if key not in bound:
            bound.add(key)
            r = row(s, None, None)
            r["kind"] = "udp_bound"
            rows.append(r)
    else:
        udp_counts["unreplied"] += 1
        last = conn.pkts[-1][0] + off
        if t_end < last + UDP_UNREPLIED_TIMEOUT * US:
            rows.append(row(c, None, None))
        else:
            udp_counts["unreplied_expired"] += 1
    return rows


def write_pcap(path, records, snaplen):
    rec = REC_HDR.pack
    nbytes = 0
    payload = memoryview(bytes((i * 7 + 32) & 0x7F for i in range(65536)))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1))
        buf = bytearray()
        for t, frame, plen in records:
            n = len(frame) + plen
            nbytes += n
            if n <= snaplen:
                buf += rec(t // US, t % US, n, n)
                buf += frame
                if plen:
                    buf += payload[:plen]
            else:
                cap = snaplen
                buf += rec(t // US, t % US, cap, n)
                buf += (frame + bytes(payload[:plen]))[:cap]
            if len(buf) >= 1 << 22:
                f.write(buf)
                buf.clear()
        f.write(buf)
    return nbytes


if __name__ == "__main__":
    main()

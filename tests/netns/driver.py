#!/usr/bin/python3
"""driver.py - real kernel TCP and UDP traffic between two network namespaces.

One process holds the sockets of both hosts: it enters namespace A or B
(setns) before creating each socket, and a socket stays in the namespace
it was made in.  Loss is made with nftables rules on the *input* hook of
a namespace, i.e. after the capture tap (lib.sh), so every segment a
kernel sent is on the wire and some are then lost, as behind a mirror port.

Each scenario uses its own server port (IPv4 50xx, IPv6 60xx, UDP 7xxx)
and records in scenarios.json what the kernels are meant to show at the
snapshot ("intent"); compare.py checks the intent against ss first, so a
scenario that did not set up as designed fails loudly instead of testing
nothing.

Protocol with lib.sh (files in --work): the driver creates "ready" once
the sockets that must predate the capture exist, waits for "capturing",
runs its timeline, creates "snapshot", waits for "done" and exits (its
sockets close with it, after the capture has stopped).

Profiles: "oracle" (the test suite, ~75 s, with the TIME_WAIT expiry case
and 300 concurrent connections), "smoke" (the same without the expiry
wait, ~10 s, for quick checks: WSOR_PROFILE=smoke run-oracle.sh) and
"sample" (pcaps/sample.pcap: a few seconds, every state once).
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

from nsworld import OTHER, NsWorld

ETH_P_ALL = 0x0003

ADDR = {
    4: {"A": "10.201.0.1", "B": "10.201.0.2"},
    6: {"A": "fd20:1::1", "B": "fd20:1::2"},
}
V4, V6 = 5000, 6000  # TCP port bases; a scenario is base + its number


class World(NsWorld):
    """The two namespaces, the sockets kept open, the scenario records."""

    def __init__(self, args):
        super().__init__({"A": args.ns_a, "B": args.ns_b}, args.work, "lib.sh",
                         ADDR)
        self.args = args
        self.ifname = {"A": args.if_a, "B": args.if_b}

    def nft(self, side, *rules):
        """Drop rules on the input hook of a namespace (after the tap)."""
        text = "".join(f"add rule inet wsor in {r} drop\n" for r in rules)
        subprocess.run(["ip", "netns", "exec", self.ns[side], "nft", "-f", "-"],
                       input=text.encode(), check=True)

    def nft_tmp(self, side, name, *rules):
        """Drop rules in a chain of their own, for nft_flush() to lift."""
        text = (f"add chain inet wsor {name}\n"
                f"add rule inet wsor in jump {name}\n"
                + "".join(f"add rule inet wsor {name} {r} drop\n" for r in rules))
        subprocess.run(["ip", "netns", "exec", self.ns[side], "nft", "-f", "-"],
                       input=text.encode(), check=True)

    def nft_flush(self, side, name):
        subprocess.run(["ip", "netns", "exec", self.ns[side], "nft", "flush", "chain",
                        "inet", "wsor", name], check=True)

    def nft_init(self):
        for side in "AB":
            subprocess.run(["ip", "netns", "exec", self.ns[side], "nft", "-f", "-"],
                           input=b"add table inet wsor\n"
                                 b"add chain inet wsor in { type filter hook input"
                                 b" priority 0; policy accept; }\n",
                           check=True)

    def scenario(self, name, fam, ports, intent, what, udp_ports=()):
        """Record a scenario: the TCP and UDP ports that identify its sockets
        (kept apart: an ephemeral TCP port may equal another scenario's UDP
        port), and the states each kernel is meant to show (None: whatever
        happens)."""
        self.scenarios.append({
            "name": f"{name}/v{fam}" if fam else name,
            "ports": sorted(set(ports)),
            "udp_ports": sorted(set(udp_ports)),
            "intent": intent,
            "what": what,
            "t": round(time.time() - self.t0, 2),
        })

    def sleep_until(self, t):
        d = self.t0 + t - time.time()
        if d > 0:
            time.sleep(d)


# ---------------------------------------------------------------- helpers

def recvn(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("unexpected EOF")
        buf += chunk
    return buf


def expect_eof(s):
    s.settimeout(5)
    if s.recv(100) != b"":
        raise ConnectionError("expected EOF")


def listener(w, side, fam, port, wildcard=False, dualstack=False):
    s = w.sock(side, fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dualstack else 1)
    host = ("" if fam == 4 else "::") if wildcard else ADDR[fam][side]
    s.bind((host, port))
    s.listen(1024)
    return s


def exchange(c, s, n=64):
    c.sendall(b"q" * n)
    recvn(s, n)
    s.sendall(b"r" * n)
    recvn(c, n)


def established(w, fam, port, client="A", data=True, wildcard=False, lsock=None):
    """A connection from client to the other host's port; (client, server)."""
    lsock = lsock or listener(w, OTHER[client], fam, port, wildcard)
    c = w.connect(client, fam, port)
    s = w.accept(lsock)
    if data:
        exchange(c, s)
    return c, s


def set_linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def intent(a=(), b=()):
    return {"A": sorted(a), "B": sorted(b)}


# --------------------------------------------------------------- scenarios
# Each takes (w, fam, port).  Unless said otherwise A is the client and B
# the server.  "drop at B" means B's input hook drops it: it is on the wire.

def sc_heartbeat(w, fam, port, stop):
    """A byte from A every 0.5 s, so the capture's last packet is close to
    the snapshot (the report is "as of" the last packet)."""
    c, s = established(w, fam, port)

    def beat():
        while not stop.wait(0.5):
            c.send(b".")

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    w.scenario("heartbeat", fam, [port], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "one byte every 0.5 s until the snapshot")
    return t


def sc_close_client(w, fam, port):
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    s.close()
    w.scenario("close_client", fam, [port], intent(["TIME_WAIT"], []),
               "A closes first: TIME_WAIT on A, B's LAST_ACK ends")


def sc_close_server(w, fam, port):
    c, s = established(w, fam, port)
    s.close()
    expect_eof(c)
    c.close()
    w.scenario("close_server", fam, [port], intent([], ["TIME_WAIT"]),
               "B closes first: TIME_WAIT on B")


def sc_idle(w, fam, port):
    established(w, fam, port)
    w.scenario("idle", fam, [port], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "established, idle")


def sc_wildcard_listeners(w, port):
    """B listens on 0.0.0.0:port and, dual-stack, on [::]:port+1000 (ss
    shows "*"), with an IPv4 connection to the latter (ss shows it with
    ::ffff: mapped addresses; the wire, as IPv4)."""
    l4 = listener(w, "B", 4, port, wildcard=True)
    l6 = listener(w, "B", 6, port + 1000, wildcard=True, dualstack=True)
    established(w, 4, port, lsock=l4)
    established(w, 4, port + 1000, lsock=l6)
    established(w, 6, port + 1000, lsock=l6)
    w.scenario("wildcard_listeners", None, [port, port + 1000],
               intent(["ESTABLISHED"] * 3, ["ESTABLISHED"] * 3),
               f"listeners on 0.0.0.0:{port} and dual-stack [::]:{port + 1000}")


def sc_half_close(w, fam, port, data_after=True):
    c, s = established(w, fam, port)
    c.shutdown(socket.SHUT_WR)
    expect_eof(s)
    if data_after:
        s.sendall(b"after the half-close")
        recvn(c, 20)
    w.scenario("half_close", fam, [port], intent(["FIN_WAIT_2"], ["CLOSE_WAIT"]),
               "A shutdown(SHUT_WR)" + (", B sends after it" if data_after else "")
               + ": FIN_WAIT_2 / CLOSE_WAIT")


def sc_last_ack(w, fam, port):
    w.nft("A", f"tcp sport {port} tcp flags & fin == fin")
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    s.close()
    w.scenario("last_ack", fam, [port], intent(["FIN_WAIT_2"], ["LAST_ACK"]),
               "A closes, B closes, B's FINs dropped at A: LAST_ACK on B")


def sc_fin_wait_1(w, fam, port):
    w.nft("B", f"tcp dport {port} tcp flags & fin == fin")
    c, s = established(w, fam, port)
    c.close()
    w.scenario("fin_wait_1", fam, [port], intent(["FIN_WAIT_1"], ["ESTABLISHED"]),
               "A closes, its FINs dropped at B: FIN_WAIT_1 on A")


def sc_fin_wait_1_ack_lost(w, fam, port):
    c, s = established(w, fam, port)
    w.nft("A", f"tcp sport {port}")
    c.close()
    expect_eof(s)
    w.scenario("fin_wait_1_ack_lost", fam, [port], intent(["FIN_WAIT_1"], ["CLOSE_WAIT"]),
               "A closes, B's ACKs (to each retransmitted FIN) dropped at A: "
               "FIN_WAIT_1 on A, CLOSE_WAIT on B")


def sc_last_ack_ack_lost(w, fam, port):
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    w.nft("B", f"tcp dport {port}")
    s.close()
    w.scenario("last_ack_ack_lost", fam, [port], intent(["TIME_WAIT"], ["LAST_ACK"]),
               "A closes, B closes, A's last ACKs dropped at B: TIME_WAIT on A, "
               "LAST_ACK on B")


def sc_fin_behind_lost_data(w, fam, port):
    """A sends data and closes; the data segments (not the FIN) are dropped
    at B.  B's kernel queues the FIN out of order and stays ESTABLISHED
    (a FIN is processed only in sequence, RFC 9293 3.10.7.4 "eighth"); A
    retransmits the data, never the FIN (B SACKs it)."""
    c, s = established(w, fam, port)
    w.nft("B", f"tcp dport {port} meta length > 100")
    c.send(b"d" * 200)
    c.close()
    w.scenario("fin_behind_lost_data", fam, [port], intent(["FIN_WAIT_1"], ["ESTABLISHED"]),
               "A's data dropped at B, its FIN not: B keeps the FIN out of "
               "order and stays ESTABLISHED")


def sc_syn_recv_synack_lost(w, fam, port):
    w.nft("A", f"tcp sport {port} tcp flags & syn == syn")
    listener(w, "B", fam, port)
    w.connect("A", fam, port, block=False)
    w.scenario("synack_lost", fam, [port], intent(["SYN_SENT"], ["SYN_RECEIVED"]),
               "SYN-ACKs dropped at A: A SYN_SENT (retransmits), B SYN_RECEIVED")


def sc_syn_recv_ack_lost(w, fam, port):
    w.nft("B", f"tcp dport {port} tcp flags & syn == 0")
    listener(w, "B", fam, port)
    w.connect("A", fam, port, block=False)
    w.scenario("ack_lost", fam, [port], intent(["ESTABLISHED"], ["SYN_RECEIVED"]),
               "the handshake's ACK dropped at B: A ESTABLISHED, B SYN_RECEIVED")


def sc_synack_lost_once(w, fam, port):
    """The first SYN-ACK is lost, the retransmitted one is not; later A
    closes first.  Nothing about the close is lost."""
    w.nft_tmp("A", f"synack{port}", f"tcp sport {port} tcp flags & syn == syn")
    lsock = listener(w, "B", fam, port)
    c = w.connect("A", fam, port, block=False)
    time.sleep(0.4)
    w.nft_flush("A", f"synack{port}")
    return lambda: _close_after_recovery(w, fam, port, c, lsock, "A",
                                         "synack_lost_once",
                                         "the first SYN-ACK dropped at A, the handshake "
                                         "completes on A's SYN retransmission; A closes first")


def sc_ack_lost_once(w, fam, port):
    """The handshake's ACK is lost, B's retransmitted SYN-ACK is answered
    and that ACK arrives; later B closes first."""
    w.nft_tmp("B", f"ack{port}", f"tcp dport {port} tcp flags & syn == 0")
    lsock = listener(w, "B", fam, port)
    c = w.connect("A", fam, port, block=False)
    time.sleep(0.4)
    w.nft_flush("B", f"ack{port}")
    return lambda: _close_after_recovery(w, fam, port, c, lsock, "B",
                                         "ack_lost_once",
                                         "the handshake's ACK dropped at B once, B's "
                                         "SYN-ACK retransmission completes it; B closes first")


def sc_ack_lost_once_idle(w, fam, port):
    """The handshake's ACK is lost once, B's SYN-ACK retransmission (+1 s)
    is answered, and then nothing: ESTABLISHED on both for a minute and
    more (the 63 s SYN_RECEIVED timer must not end it)."""
    w.nft_tmp("B", f"ack{port}", f"tcp dport {port} tcp flags & syn == 0")
    lsock = listener(w, "B", fam, port)
    w.connect("A", fam, port, block=False)
    time.sleep(0.4)
    w.nft_flush("B", f"ack{port}")
    w.scenario("ack_lost_once_idle", fam, [port],
               intent(["ESTABLISHED"], ["ESTABLISHED"]), sc_ack_lost_once_idle.__doc__.split("\n")[0])
    return lsock


def _close_after_recovery(w, fam, port, c, lsock, closer, name, what):
    """Second half of the *_lost_once scenarios, once the handshake's
    retransmission (at +1 s) has completed it."""
    c.setblocking(True)
    c.settimeout(5)
    s = w.accept(lsock)
    exchange(c, s)
    first, second = (c, s) if closer == "A" else (s, c)
    first.close()
    expect_eof(second)
    second.close()
    w.scenario(name, fam, [port],
               intent(["TIME_WAIT"] if closer == "A" else [],
                      ["TIME_WAIT"] if closer == "B" else []), what)


def sc_syn_sent(w, fam, port):
    w.nft("B", f"tcp dport {port}")
    w.connect("A", fam, port, block=False)
    w.scenario("syn_sent", fam, [port], intent(["SYN_SENT"], []),
               "SYNs dropped at B: SYN_SENT on A")


def sc_refused(w, fam, port):
    c = w.sock("A", fam)
    c.settimeout(5)
    try:
        c.connect((ADDR[fam]["B"], port))
        raise RuntimeError("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    w.scenario("refused", fam, [port], intent([], []),
               "SYN to a closed port, answered by RST")


def sc_abort(w, fam, port, closer="A"):
    c, s = established(w, fam, port)
    set_linger0(c if closer == "A" else s)
    (c if closer == "A" else s).close()
    time.sleep(0.05)
    w.scenario(f"abort_{closer}", fam, [port], intent([], []),
               f"{closer} closes with SO_LINGER 0: RST, both gone")


def sc_close_unread(w, fam, port):
    c, s = established(w, fam, port)
    c.sendall(b"never read")
    time.sleep(0.05)
    s.close()  # unread data: the kernel sends RST, not FIN
    time.sleep(0.05)
    w.scenario("close_unread", fam, [port], intent([], []),
               "B closes with unread data: RST instead of FIN")


def sc_closing(w, fam, port):
    c, s = established(w, fam, port)
    w.nft("B", f"tcp dport {port}")
    c.close()          # A FIN_WAIT_1; its FIN never reaches B
    time.sleep(0.05)
    s.close()          # B FIN_WAIT_1; its FIN (not acking A's) reaches A
    w.scenario("closing", fam, [port], intent(["CLOSING"], ["FIN_WAIT_1"]),
               "A closes (lost at B), then B closes: A gets a FIN that does "
               "not ack its own: CLOSING on A")


class Sniffer:
    """A packet socket on A's veth (the wire, as tcpdump sees it), for the
    sequence numbers that forged segments and nft rules need."""

    def __init__(self, w):
        w.enter("A")
        self.ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.ps.bind((w.ifname["A"], 0))
        self.ps.setblocking(False)

    def close(self):
        self.ps.close()

    def frames(self):
        """Drain: [(smac, dmac, src, sport, dst, dport, seq, end, ack, flags)]."""
        out = []
        while True:
            try:
                f = self.ps.recv(65535)
            except BlockingIOError:
                return out
            et = struct.unpack("!H", f[12:14])[0]
            if et == 0x0800 and f[23] == 6:
                ihl = (f[14] & 15) * 4
                plen = struct.unpack("!H", f[16:18])[0] - ihl
                src = socket.inet_ntop(socket.AF_INET, f[26:30])
                dst = socket.inet_ntop(socket.AF_INET, f[30:34])
                t = 14 + ihl
            elif et == 0x86DD and f[20] == 6:
                plen = struct.unpack("!H", f[18:20])[0]
                src = socket.inet_ntop(socket.AF_INET6, f[22:38])
                dst = socket.inet_ntop(socket.AF_INET6, f[38:54])
                t = 54
            else:
                continue
            sport, dport, seq, ack = struct.unpack("!HHII", f[t:t + 12])
            doff = (f[t + 12] >> 4) * 4
            flags = f[t + 13]
            end = (seq + plen - doff + bool(flags & 1) + bool(flags & 2)) & 0xFFFFFFFF
            out.append((f[6:12], f[0:6], src, sport, dst, dport, seq, end, ack, flags))

    @staticmethod
    def last_by_sender(frames, cport, sport):
        """The last segment A (the client) and B sent on this connection."""
        last = {}
        for fr in frames:
            if fr[3] == cport and fr[5] == sport:
                last["A"] = fr
            elif fr[3] == sport and fr[5] == cport:
                last["B"] = fr
        return last


def sc_spoof_rst(w, fam, port, in_window=True):
    """Forged RSTs that a kernel must ignore (RFC 5961): one far out of the
    window in each direction and, optionally, one inside the window but
    not at the exact next sequence number (answered by a challenge ACK)."""
    from scapy.all import IP, TCP, Ether, IPv6  # slow import: only here

    sn = Sniffer(w)
    c, s = established(w, fam, port)
    exchange(c, s, 8)
    time.sleep(0.2)
    last = Sniffer.last_by_sender(sn.frames(), c.getsockname()[1], port)
    sn.close()
    if set(last) != {"A", "B"}:
        raise RuntimeError("spoof_rst: did not see the connection's segments")
    IPc = IP if fam == 4 else IPv6

    def forge(frm, seq):
        smac, dmac, src, sport, dst, dport = last[frm][:6]
        return bytes(Ether(src=smac, dst=dmac) / IPc(src=src, dst=dst) /
                     TCP(sport=sport, dport=dport, flags="R", seq=seq % 2**32, window=0))

    # The receiver's rcv_nxt is the sender's last end: nothing is in flight.
    # Each is sent from the namespace it claims to come from, so it crosses
    # the veth (and the capture) towards its victim.
    forged = [("A", forge("A", last["A"][7] + 2**31)),  # to B, out of window
              ("B", forge("B", last["B"][7] + 2**31))]  # to A, out of window
    if in_window:
        forged.append(("A", forge("A", last["A"][7] + 1000)))  # challenge ACK
        # A SYN on the synchronized connection: a challenge ACK too (5961 4.2).
        smac, dmac, src, sport, dst, dport = last["A"][:6]
        forged.append(("A", bytes(Ether(src=smac, dst=dmac) / IPc(src=src, dst=dst) /
                                  TCP(sport=sport, dport=dport, flags="S",
                                      seq=(last["A"][7] + 5000) % 2**32))))
    for side, frame in forged:
        w.enter(side)
        p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        p.bind((w.ifname[side], 0))
        p.send(frame)
        p.close()
        time.sleep(0.05)
    w.scenario("spoofed_rst", fam, [port], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "forged RSTs out of the window both ways"
               + (" and one in-window, inexact, and a SYN (challenge ACKs)"
                  if in_window else "")
               + ": nothing changes")


def bound(w, side, fam, port):
    """A TCP socket bound to a fixed port (below the ephemeral range)."""
    c = w.sock(side, fam)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind((ADDR[fam][side], port))
    return c


def sc_tw_reuse(w, fam, port):
    """B closes first (TIME_WAIT on B); A connects again from the same port:
    the SYN reaches B's TIME_WAIT socket, which takes it as a new
    connection (RFC 1122 4.2.2.13; tcp_timewait_state_process())."""
    sp = port + 20000
    lsock = listener(w, "B", fam, port)
    c = bound(w, "A", fam, sp)
    c.settimeout(5)
    c.connect((ADDR[fam]["B"], port))
    s = w.accept(lsock)
    exchange(c, s)
    s.close()
    expect_eof(c)
    c.close()
    time.sleep(0.1)
    c2 = bound(w, "A", fam, sp)
    c2.settimeout(5)
    c2.connect((ADDR[fam]["B"], port))
    exchange(c2, w.accept(lsock))
    w.scenario("time_wait_reuse", fam, [port, sp], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "a new SYN on a tuple in TIME_WAIT on B: a new connection")


def sc_fin_on_data(w, fam, port):
    c, s = established(w, fam, port)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    c.send(b"last words")
    c.shutdown(socket.SHUT_WR)  # the FIN rides on the corked data
    recvn(s, 10)
    expect_eof(s)
    w.scenario("fin_on_data", fam, [port], intent(["FIN_WAIT_2"], ["CLOSE_WAIT"]),
               "A's FIN carried on its last data segment")


def sc_simopen(w, fam, port):
    """Simultaneous open (RFC 9293 figure 8): A's SYN is dropped at B, then
    B connects to A's port from the port A targets; A, in SYN_SENT, gets
    B's SYN and answers SYN-ACK."""
    ap = port + 20000
    w.nft("B", f"tcp sport {ap} tcp dport {port} tcp flags & (syn | ack) == syn")
    a = bound(w, "A", fam, ap)
    a.setblocking(False)
    a.connect_ex((ADDR[fam]["B"], port))
    time.sleep(0.05)
    b = bound(w, "B", fam, port)
    b.settimeout(5)
    b.connect((ADDR[fam]["A"], ap))
    w.scenario("simultaneous_open", fam, [port, ap], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "both ends connect() to each other: SYN_SENT -> SYN_RECEIVED -> "
               "ESTABLISHED on A")


def sc_tw_assassination(w, fam, port):
    """B closes first; then an RST at exactly B's rcv_nxt, as A's kernel
    would send for a stray segment: Linux (tcp_rfc1337 0) ends TIME_WAIT."""
    from scapy.all import IP, TCP, Ether, IPv6

    sn = Sniffer(w)
    c, s = established(w, fam, port)
    cport = c.getsockname()[1]
    s.close()
    expect_eof(c)
    c.close()
    time.sleep(0.1)
    last = Sniffer.last_by_sender(sn.frames(), cport, port)
    sn.close()
    smac, dmac, src, sport, dst, dport, _, end = last["A"][:8]
    IPc = IP if fam == 4 else IPv6
    frame = bytes(Ether(src=smac, dst=dmac) / IPc(src=src, dst=dst) /
                  TCP(sport=sport, dport=dport, flags="R", seq=end, window=0))
    w.enter("A")
    p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    p.bind((w.ifname["A"], 0))
    p.send(frame)
    p.close()
    time.sleep(0.05)
    w.scenario("time_wait_assassination", fam, [port], intent([], []),
               "an exact-sequence RST to B in TIME_WAIT ends it (RFC 1337 hazard)")


def sc_orphan_data_rst(w, fam, port):
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    s.send(b"too late")  # to a closed (orphaned) socket: it answers RST
    time.sleep(0.05)
    w.scenario("orphan_gets_data", fam, [port], intent([], []),
               "A close()s, B then sends data: A's orphan answers RST")


def sc_keepalive(w, fam, port):
    c, s = established(w, fam, port)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    w.scenario("keepalive", fam, [port], intent(["ESTABLISHED"], ["ESTABLISHED"]),
               "keepalive probes (sequence snd_nxt - 1) every second")


SIMCLOSE = 23  # its port offset: the veths queue this port's traffic (htb)


def shape_init(w):
    """On both veths, an HTB class at 64 kbit/s for the simultaneous-close
    port, so that FINs queued behind some data cross on the wire."""
    for side in "AB":
        dev = w.ifname[side]
        cmds = [f"qdisc add dev {dev} root handle 1: htb default 1",
                f"class add dev {dev} parent 1: classid 1:1 htb rate 10gbit quantum 200000",
                f"class add dev {dev} parent 1: classid 1:2 htb rate 64kbit "
                "ceil 64kbit burst 1600b cburst 1600b quantum 1514"]
        for base, match in ((V4, "protocol ip prio 1 u32 match ip"),
                            (V6, "protocol ipv6 prio 2 u32 match ip6")):
            for d in ("sport", "dport"):
                cmds.append(f"filter add dev {dev} parent 1: {match} {d} "
                            f"{base + SIMCLOSE} 0xffff flowid 1:2")
        subprocess.run(["ip", "netns", "exec", w.ns[side], "tc", "-batch", "-"],
                       input="\n".join(cmds).encode() + b"\n", check=True)


def sc_simclose(w, fam, port):
    """Both ends shutdown(SHUT_WR) while the other's FIN is still queued
    behind data on its veth: each FIN acknowledges nothing of the other's,
    and each end goes FIN_WAIT_1 -> CLOSING (RFC 9293 figure 13).  The
    ACKs of the FINs (and the FINs retransmitted with them) are dropped at
    the receiver by acknowledgment number, so both ends stay CLOSING."""
    assert port % 1000 == SIMCLOSE
    sn = Sniffer(w)
    c, s = established(w, fam, port)
    time.sleep(0.1)
    isn = {}
    cport = c.getsockname()[1]
    for fr in sn.frames():
        if fr[9] & 0x02 and fr[3] == cport and fr[5] == port:
            isn["A"] = fr[6]
        elif fr[9] & 0x02 and fr[3] == port and fr[5] == cport:
            isn["B"] = fr[6]
    sn.close()
    if set(isn) != {"A", "B"}:
        raise RuntimeError("simclose: did not see the handshake")
    filler = 4000
    sent = 64 + filler  # exchange() sent 64 bytes each way
    fin = {x: (isn[x] + 1 + sent) % 2**32 for x in "AB"}
    w.nft("B", f"tcp dport {port} tcp ackseq {(fin['B'] + 1) % 2**32}")
    w.nft("A", f"tcp sport {port} tcp ackseq {(fin['A'] + 1) % 2**32}")
    c.send(b"a" * filler)
    s.send(b"b" * filler)
    c.shutdown(socket.SHUT_WR)
    s.shutdown(socket.SHUT_WR)
    w.scenario("simultaneous_close", fam, [port], intent(["CLOSING"], ["CLOSING"]),
               "both shutdown(SHUT_WR), FINs crossing: CLOSING on both")


def sc_rev_close(w, fam, port):
    c, s = established(w, fam, port, client="B")
    c.close()
    expect_eof(s)
    s.close()
    w.scenario("rev_close_client", fam, [port], intent([], ["TIME_WAIT"]),
               "B is the client and closes first: TIME_WAIT on B")


def sc_rev_fin_wait_1(w, fam, port):
    w.nft("A", f"tcp dport {port} tcp flags & fin == fin")
    c, s = established(w, fam, port, client="B")
    c.close()
    w.scenario("rev_fin_wait_1", fam, [port], intent(["ESTABLISHED"], ["FIN_WAIT_1"]),
               "B is the client, closes, its FINs dropped at A")


def sc_expire_fin_wait_2(w, fam, port):
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    w.scenario("orphan_fin_wait_2_expired", fam, [port], intent([], ["CLOSE_WAIT"]),
               "A close()s, B never does: A's orphaned FIN_WAIT_2 ends after "
               "60 s, B stays CLOSE_WAIT")


def sc_many(w, fam, port, n=300):
    lsock = listener(w, "B", fam, port)
    pairs = []
    for _ in range(n):
        c = w.connect("A", fam, port)
        pairs.append((c, w.accept(lsock)))
    for c, s in pairs:
        c.sendall(b"m")
    for c, s in pairs:
        recvn(s, 1)
        s.sendall(b"n")
    for c, s in pairs:
        recvn(c, 1)
    third = n // 3
    for c, s in pairs[:third]:
        c.close()
    for c, s in pairs[third:2 * third]:
        s.close()
    for c, s in pairs[:third]:
        expect_eof(s)
        s.close()
    for c, s in pairs[third:2 * third]:
        expect_eof(c)
        c.close()
    rest = n - 2 * third
    w.scenario(f"many_{n}", fam, [port],
               intent(["ESTABLISHED"] * rest + ["TIME_WAIT"] * third,
                      ["ESTABLISHED"] * rest + ["TIME_WAIT"] * third),
               f"{n} concurrent connections: a third closed by A, a third by B")


def midstream_open(w, fam, port):
    return established(w, fam, port)


def sc_midstream(w, fam, port, pair, close=False):
    c, s = pair
    exchange(c, s, 32)
    if close:
        c.close()
        expect_eof(s)
        s.close()
    w.scenario("midstream_close" if close else "midstream", fam, [port],
               intent(["TIME_WAIT"] if close else ["ESTABLISHED"],
                      [] if close else ["ESTABLISHED"]),
               "connected before the capture started"
               + (", then closed by A" if close else ", data during it"))


def sc_unobserved(w):
    listener(w, "B", 4, V4 + 26)
    u = w.sock("B", 4, socket.SOCK_DGRAM)
    u.bind((ADDR[4]["B"], 7005))
    w.scenario("unobserved", None, [V4 + 26], intent([], ["UDP"]),
               "a TCP listener and a UDP socket that never see a packet "
               "(excluded: not observable from the wire)", udp_ports=[7005])


def udp_pair(w, fam, port, srv_side="B", wildcard=False, connected=False):
    cli_side = OTHER[srv_side]
    srv = w.sock(srv_side, fam, socket.SOCK_DGRAM)
    srv.bind((("" if fam == 4 else "::") if wildcard else ADDR[fam][srv_side], port))
    cli = w.sock(cli_side, fam, socket.SOCK_DGRAM)
    cli.settimeout(5)
    srv.settimeout(5)
    dst = (ADDR[fam][srv_side], port)
    if connected:
        cli.connect(dst)
    for i in range(3):
        if connected:
            cli.send(b"ping %d" % i)
        else:
            cli.sendto(b"ping %d" % i, dst)
        data, peer = srv.recvfrom(100)
        srv.sendto(data, peer)
        cli.recvfrom(100)
    return cli


def sc_udp_echo(w, fam, port, **kw):
    cli = udp_pair(w, fam, port, **kw)
    srv_side = kw.get("srv_side", "B")
    want = {srv_side: ["UDP"], OTHER[srv_side]: ["UDP"]}
    name = "udp_echo" + ("_wildcard" if kw.get("wildcard") else "") \
        + ("_connected" if kw.get("connected") else "") \
        + ("_rev" if srv_side == "A" else "")
    w.scenario(name, fam, [], intent(want["A"], want["B"]),
               f"datagrams to {srv_side}:{port}, echoed back",
               udp_ports=[port, cli.getsockname()[1]])


def sc_udp_unreach(w, fam, port):
    cli = w.sock("A", fam, socket.SOCK_DGRAM)
    for i in range(2):
        cli.sendto(b"anyone? %d" % i, (ADDR[fam]["B"], port))
        time.sleep(0.05)
    w.scenario("udp_unreachable", fam, [], intent(["UDP"], []),
               "datagrams to a closed port: ICMP port unreachable",
               udp_ports=[port, cli.getsockname()[1]])


# ---------------------------------------------------------------- profiles

def late_group(w, mid):
    """Every scenario whose state must be live at the snapshot."""
    recover = []
    for fam, base in ((4, V4), (6, V6)):
        recover.append(sc_synack_lost_once(w, fam, base + 47))
        recover.append(sc_ack_lost_once(w, fam, base + 48))
    t_recover = time.time()
    for fam, base in ((4, V4), (6, V6)):
        sc_close_client(w, fam, base + 1)
        sc_close_server(w, fam, base + 2)
        sc_idle(w, fam, base + 3)
        sc_half_close(w, fam, base + 4)
        sc_last_ack(w, fam, base + 5)
        sc_fin_wait_1(w, fam, base + 6)
        sc_syn_recv_synack_lost(w, fam, base + 7)
        sc_syn_recv_ack_lost(w, fam, base + 8)
        sc_syn_sent(w, fam, base + 9)
        sc_refused(w, fam, base + 10)
        sc_abort(w, fam, base + 11, closer="A")
        sc_abort(w, fam, base + 12, closer="B")
        sc_closing(w, fam, base + 13)
        sc_spoof_rst(w, fam, base + 17, in_window=(fam == 4))
        sc_close_unread(w, fam, base + 20)
        sc_rev_close(w, fam, base + 30)
        sc_rev_fin_wait_1(w, fam, base + 31)
        sc_simclose(w, fam, base + SIMCLOSE)
        sc_fin_wait_1_ack_lost(w, fam, base + 32)
        sc_last_ack_ack_lost(w, fam, base + 33)
        sc_tw_reuse(w, fam, base + 41)
        sc_fin_on_data(w, fam, base + 42)
        sc_simopen(w, fam, base + 43)
        sc_tw_assassination(w, fam, base + 44)
        sc_orphan_data_rst(w, fam, base + 45)
        sc_fin_behind_lost_data(w, fam, base + 50)
    sc_keepalive(w, 4, V4 + 46)
    sc_wildcard_listeners(w, V4 + 52)
    sc_midstream(w, 4, V4 + 18, mid[(4, V4 + 18)])
    sc_midstream(w, 6, V6 + 18, mid[(6, V6 + 18)])
    sc_midstream(w, 4, V4 + 19, mid[(4, V4 + 19)], close=True)
    sc_many(w, 4, V4 + 100, 300)
    time.sleep(max(0.0, t_recover + 1.5 - time.time()))
    for finish in recover:
        finish()


def profile_oracle(w):
    # Before the capture: connections it picks up mid-stream.
    mid = {(4, V4 + 18): midstream_open(w, 4, V4 + 18),
           (6, V6 + 18): midstream_open(w, 6, V6 + 18),
           (4, V4 + 19): midstream_open(w, 4, V4 + 19)}
    sc_unobserved(w)
    w.touch("ready")
    w.wait_file("capturing", 60)
    w.t0 = time.time()
    w.log("capture running: timeline starts")
    stop = threading.Event()
    hb = sc_heartbeat(w, 4, V4 + 0, stop)
    time.sleep(0.3)
    for (fam, port), pair in mid.items():
        exchange(*pair, 16)

    # t = 1 s: states that must be over by the snapshot at ~t = 73 s
    # (Linux TIME_WAIT and orphaned FIN_WAIT_2: 60 s, plus up to ~4 s of
    # timer-wheel slack at HZ 250: 9 s of margin either way).
    w.sleep_until(1.0)
    expiry = w.t0 + 1.0
    sc_close_client(w, 4, V4 + 14)
    w.scenarios[-1].update(name="expired_time_wait_client/v4", intent=intent([], []))
    sc_close_server(w, 4, V4 + 15)
    w.scenarios[-1].update(name="expired_time_wait_server/v4", intent=intent([], []))
    sc_expire_fin_wait_2(w, 4, V4 + 16)
    sc_half_close(w, 4, V4 + 25)
    w.scenarios[-1].update(name="half_close_long_lived/v4",
                           what="A shutdown(SHUT_WR) at t=1 s, B sends after it: "
                                "a FIN_WAIT_2 that still reads has no timer")
    sc_close_client(w, 6, V6 + 14)
    w.scenarios[-1].update(name="expired_time_wait_client/v6", intent=intent([], []))
    sc_ack_lost_once_idle(w, 4, V4 + 49)
    expiry_end = time.time()
    w.log(f"expiry group done in {expiry_end - expiry:.2f} s")

    # t = 30 s: everything else, so at the snapshot every timer state is
    # 30..45 s old: far from 60 s (TIME_WAIT, FIN_WAIT_2), 63 s
    # (SYN_RECEIVED), 102 s (FIN_WAIT_1, CLOSING, LAST_ACK), 131 s (SYN_SENT).
    w.sleep_until(30.0)
    late = time.time()
    late_group(w, mid)
    w.log(f"late group done in {time.time() - late:.2f} s")

    # UDP last: the wire lists a UDP originator only while its flow lives
    # (30 s unreplied), so its datagrams must be recent at the snapshot.
    snap = max(expiry_end - w.t0 + 72.0, time.time() - w.t0 + 8.0)
    w.sleep_until(snap - 5.0)
    sc_udp_echo(w, 4, 7001)
    sc_udp_echo(w, 4, 7002, wildcard=True, connected=True)
    sc_udp_unreach(w, 4, 7003)
    sc_udp_echo(w, 4, 7004, srv_side="A")
    sc_udp_echo(w, 6, 7101)
    sc_udp_unreach(w, 6, 7103)
    w.sleep_until(snap)
    return stop, hb


def profile_smoke(w):
    """The oracle's live scenarios without the 60 s expiry wait (~10 s):
    a quick check while working on the TCP machine, not the test."""
    mid = {(4, V4 + 18): midstream_open(w, 4, V4 + 18),
           (6, V6 + 18): midstream_open(w, 6, V6 + 18),
           (4, V4 + 19): midstream_open(w, 4, V4 + 19)}
    w.touch("ready")
    w.wait_file("capturing", 60)
    w.t0 = time.time()
    stop = threading.Event()
    hb = sc_heartbeat(w, 4, V4 + 0, stop)
    time.sleep(0.3)
    late_group(w, mid)
    sc_udp_echo(w, 4, 7001)
    sc_udp_unreach(w, 4, 7003)
    sc_udp_echo(w, 6, 7101)
    w.sleep_until(time.time() - w.t0 + 4.0)
    return stop, hb


def profile_sample(w):
    mid = midstream_open(w, 4, V4 + 18)
    w.touch("ready")
    w.wait_file("capturing", 60)
    w.t0 = time.time()
    w.log("capture running: timeline starts")
    stop = threading.Event()
    hb = sc_heartbeat(w, 4, V4 + 0, stop)
    time.sleep(0.2)
    sc_midstream(w, 4, V4 + 18, mid)
    sc_close_client(w, 4, 443)  # well-known ports, for the README's examples
    sc_idle(w, 4, 80)
    sc_half_close(w, 4, V4 + 4)
    sc_last_ack(w, 4, V4 + 5)
    sc_fin_wait_1(w, 4, V4 + 6)
    sc_syn_recv_synack_lost(w, 4, V4 + 7)
    sc_syn_sent(w, 4, V4 + 9)
    sc_refused(w, 4, V4 + 10)
    sc_abort(w, 4, V4 + 11, closer="A")
    sc_closing(w, 4, V4 + 13)
    sc_simclose(w, 4, V4 + SIMCLOSE)
    sc_spoof_rst(w, 4, V4 + 17, in_window=False)
    sc_close_client(w, 6, V6 + 1)
    sc_idle(w, 6, V6 + 3)
    sc_half_close(w, 6, V6 + 4, data_after=False)
    sc_syn_recv_ack_lost(w, 6, V6 + 8)
    sc_udp_echo(w, 4, 7001)
    sc_udp_echo(w, 6, 7101)
    sc_udp_unreach(w, 4, 7003)
    # Long enough for the retransmissions that reveal the losses (FIN at
    # +0.2/0.6/1.4/3 s, SYN at +1/3 s), short enough to keep it small.
    w.sleep_until(4.5)
    return stop, hb


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", choices=["oracle", "smoke", "sample"], required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--ns-a", required=True)
    ap.add_argument("--ns-b", required=True)
    ap.add_argument("--if-a", required=True)
    ap.add_argument("--if-b", required=True)
    args = ap.parse_args()
    w = World(args)
    try:
        w.nft_init()
        shape_init(w)
        stop, hb = {"oracle": profile_oracle, "smoke": profile_smoke,
                    "sample": profile_sample}[args.profile](w)
        with open(os.path.join(w.work, "scenarios.json"), "w") as f:
            json.dump({"t0": w.t0, "scenarios": w.scenarios}, f, indent=1)
        w.log(f"{len(w.scenarios)} scenarios, {len(w.keep)} sockets: snapshot")
        w.touch("snapshot")
        w.wait_file("done", 60)
        stop.set()
        hb.join(2)
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

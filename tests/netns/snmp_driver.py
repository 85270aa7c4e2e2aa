#!/usr/bin/python3
"""snmp_driver.py - the traffic of the SNMP counter test (snmp-test.sh).

A is the client (its counters are the ones the issue compares), B the
server.  One process holds every socket: it enters namespace A or B
(setns, per thread; everything here runs in the main thread) before it
creates a socket, and the socket stays in that namespace.  Loss is made
only on B's input hook (table inet wssn, every drop rule with a counter):
A's kernel receives every segment the capture shows going to it, so A's
InSegs is exactly the wire's; B's InSegs is the wire's less what B's
rules dropped (snmp_compare.py reads the counters).

Protocol with snmp-test.sh (files in --work): the driver makes the nft
table, creates "ready", waits for "capturing" (tcpdump runs and the
"before" counters are read), runs every scenario, waits for the last
retransmissions and keepalives to be over, creates "snapshot", waits for
"done" (capture stopped, "after" counters read) and exits; the sockets it
kept close then, after the capture.

TCP ports: IPv4 52xx, IPv6 62xx (xx: the scenario); UDP 72xx (v4),
73xx (v6).  What each scenario adds to A's counters is recorded in
scenarios.json ("A").  "at B" means by B's input hook (after the tap).

  xx  scenario              what happens (A the client unless said)
  01  close_client          A closes first (TIME_WAIT)           v4 v6
  02  close_server          B closes first (A CLOSE_WAIT, LAST_ACK) v4 v6
  03  abort_client          A SO_LINGER 0: RST from ESTABLISHED  v4 v6
  04  abort_server          B SO_LINGER 0: A gets RST            v4
  05  rst_in_close_wait     B closes, A sends, B's orphan RSTs   v4
  06  close_unread          A closes with unread data: RST       v6
  07  refused               SYN to a closed port, RST            v4 v6
  08  syn_unanswered        SYNs dropped at B; A close()s in SYN_SENT  v4
  09  upload_loss           400 kB A->B, every 9th data segment
                            dropped at B: A retransmits          v4 v6
  10  download_ack_loss     B->A while A's ACKs are dropped at B:
                            B retransmits, A gets duplicates     v4
  11  synack_retrans        handshake ACK dropped at B once: B's
                            SYN-ACK again (A: a SYN in ESTABLISHED) v6
  12  keepalive             keepalive probes from A for ~3.5 s  v4
  13  reverse               B connects to A (passive open on A)
                            v4 closed by A, v6 idle to the end
  14  idle                  established, idle to the end         v4 v6
  15  close_wait_kept       B closes, A never does (CLOSE_WAIT)  v4
  16  syn_icmp_unreachable  B rejects the SYN with ICMP port
                            unreachable: connect() fails         v4 v6
  17  rst_to_syn_recv       ACKs dropped at B (B SYN_RECEIVED,
                            retransmits SYN-ACK), A aborts: RST  v4
  18  time_wait_ack         A's last ACK dropped at B for 0.5 s: B
                            retransmits its FIN, A's TIME_WAIT ACKs v4
  UDP 7201/7301 echo (10 each way), 7203/7303 closed on B (5: B's
  NoPorts), 7204/7304 closed on A (4 from B: A's NoPorts).
"""
import argparse
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time
import traceback

from nsworld import OTHER, NsWorld

V4, V6 = 5200, 6200
TCP_CLOSE_STATE = 7


class World(NsWorld):
    def __init__(self, args):
        super().__init__({"A": args.ns_a, "B": args.ns_b}, args.work,
                         "snmp-test.sh",
                         {4: {"A": args.a4, "B": args.b4},
                          6: {"A": args.a6, "B": args.b6}})

    def nft(self, text):
        subprocess.run(["ip", "netns", "exec", self.ns["B"], "nft", "-f", "-"],
                       input=text.encode(), check=True)

    def nft_init(self):
        self.nft("add table inet wssn\n"
                 "add chain inet wssn in { type filter hook input priority 0;"
                 " policy accept; }\n")

    def drop(self, rule, chain="in", verdict="drop"):
        """A drop (or reject) rule on B's input hook, with a counter."""
        if chain != "in":
            self.nft(f"add chain inet wssn {chain}\n"
                     f"add rule inet wssn in jump {chain}\n")
        self.nft(f"add rule inet wssn {chain} {rule} counter {verdict}\n")

    def lift(self, chain):
        """Stop dropping (the rule and its counter stay, unreached)."""
        self.nft(f"delete rule inet wssn in handle "
                 f"{self.jump_handle(chain)}\n")

    def jump_handle(self, chain):
        out = subprocess.run(["ip", "netns", "exec", self.ns["B"], "nft", "-a",
                              "list", "chain", "inet", "wssn", "in"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if f"jump {chain} " in line + " " and "# handle" in line:
                return int(line.rsplit("# handle", 1)[1])
        raise RuntimeError(f"no jump to {chain} in B's input chain")

    def scenario(self, name, fam, ports, what, a=None):
        """Record a scenario and what it adds to A's counters (a guide
        for the reader; the test compares the totals)."""
        self.scenarios.append({"name": f"{name}/v{fam}" if fam else name,
                               "ports": ports, "what": what, "A": a or {},
                               "t": round(time.time() - self.t0, 2)})



# ---------------------------------------------------------------- helpers

def recvn(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 65536))
        if not chunk:
            raise ConnectionError("unexpected EOF")
        buf += chunk
    return buf


def expect_eof(s):
    s.settimeout(5)
    if s.recv(100) != b"":
        raise ConnectionError("expected EOF")


def tcp_state(s):
    return struct.unpack("B", s.getsockopt(socket.IPPROTO_TCP,
                                           socket.TCP_INFO, 8)[:1])[0]


def wait_state(s, state, limit=5.0):
    end = time.time() + limit
    while tcp_state(s) != state:
        if time.time() > end:
            raise TimeoutError(f"socket never reached TCP state {state}")
        time.sleep(0.01)


def listener(w, side, fam, port):
    s = w.sock(side, fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == 6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((w.addr[fam][side], port))
    s.listen(64)
    return s


def established(w, fam, port, client="A"):
    lsock = listener(w, OTHER[client], fam, port)
    c = w.connect(client, fam, port)
    s = w.accept(lsock, 10)
    lsock.close()
    c.sendall(b"q" * 64)
    recvn(s, 64)
    s.sendall(b"r" * 64)
    recvn(c, 64)
    return c, s


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# --------------------------------------------------------------- scenarios
# A is the client unless said otherwise.

def sc_close_client(w, fam, port):
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    s.close()
    w.scenario("close_client", fam, [port], "A closes first: A TIME_WAIT",
               {"ActiveOpens": 1})


def sc_close_server(w, fam, port):
    c, s = established(w, fam, port)
    s.close()
    expect_eof(c)
    c.close()
    w.scenario("close_server", fam, [port],
               "B closes first: A CLOSE_WAIT, LAST_ACK, closed",
               {"ActiveOpens": 1})


def sc_abort_client(w, fam, port):
    c, s = established(w, fam, port)
    linger0(c)
    c.close()
    time.sleep(0.05)
    w.scenario("abort_client", fam, [port], "A closes with SO_LINGER 0: A "
               "sends RST from ESTABLISHED", {"ActiveOpens": 1,
                                              "EstabResets": 1, "OutRsts": 1})


def sc_abort_server(w, fam, port):
    c, s = established(w, fam, port)
    linger0(s)
    s.close()
    wait_state(c, TCP_CLOSE_STATE)
    w.scenario("abort_server", fam, [port], "B closes with SO_LINGER 0: A "
               "gets RST in ESTABLISHED", {"ActiveOpens": 1,
                                           "EstabResets": 1})


def sc_rst_in_close_wait(w, fam, port):
    c, s = established(w, fam, port)
    s.close()
    expect_eof(c)            # A CLOSE_WAIT, B's orphan FIN_WAIT_2
    c.send(b"after B's close")
    wait_state(c, TCP_CLOSE_STATE)  # B's orphan answers RST
    w.scenario("rst_in_close_wait", fam, [port], "B closes, A sends: B's "
               "orphan answers RST, A closed from CLOSE_WAIT",
               {"ActiveOpens": 1, "EstabResets": 1})


def sc_close_unread(w, fam, port):
    c, s = established(w, fam, port)
    s.sendall(b"never read by A")
    time.sleep(0.05)
    c.close()                # unread data: RST instead of FIN
    time.sleep(0.05)
    w.scenario("close_unread", fam, [port], "A closes with unread data: RST "
               "from ESTABLISHED", {"ActiveOpens": 1, "EstabResets": 1,
                                    "OutRsts": 1})


def sc_refused(w, fam, port):
    c = w.sock("A", fam)
    c.settimeout(5)
    try:
        c.connect((w.addr[fam]["B"], port))
        raise RuntimeError("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    w.scenario("refused", fam, [port], "SYN to a closed port, B answers "
               "RST: A's connect() fails", {"ActiveOpens": 1,
                                            "AttemptFails": 1})


def sc_syn_unanswered_start(w, fam, port):
    """SYNs dropped at B; A gives up by close() in SYN_SENT after about
    3.5 s (SYN retransmissions 1 s apart: tcp_syn_linear_timeouts, Linux
    6.5+).  Closing a SYN_SENT socket sends nothing and counts no
    AttemptFails (tcp_close() -> tcp_set_state(TCP_CLOSE), not
    tcp_done()), so the wire and the kernel agree; a socket left to time
    out would take minutes."""
    w.drop(f"tcp dport {port} tcp flags & syn == syn")
    c = w.connect("A", fam, port, block=False)
    t = time.time()

    def finish():
        left = t + 3.5 - time.time()
        if left > 0:
            time.sleep(left)
        if tcp_state(c) != 2:  # TCP_SYN_SENT
            raise RuntimeError("syn_unanswered: A is not in SYN_SENT")
        c.close()
        w.scenario("syn_unanswered", fam, [port], "SYNs dropped at B, A "
                   "retransmits and close()s in SYN_SENT",
                   {"ActiveOpens": 1, "RetransSegs": "the SYN's"})
    return finish


def sc_syn_icmp_unreachable(w, fam, port):
    """B's input hook answers the SYN with ICMP port unreachable (nft
    reject): A's connect() fails (tcp_v4_err() / tcp_v6_err(): SYN_SENT,
    tcp_done_with_error() -> tcp_done(): AttemptFails)."""
    w.drop(f"tcp dport {port}", verdict="reject with icmpx type "
           "port-unreachable")
    c = w.sock("A", fam)
    c.settimeout(5)
    try:
        c.connect((w.addr[fam]["B"], port))
        raise RuntimeError("connect through an ICMP reject succeeded")
    except ConnectionRefusedError:
        pass
    w.scenario("syn_icmp_unreachable", fam, [port], "B answers A's SYN with "
               "ICMP port unreachable: A's connect() fails",
               {"ActiveOpens": 1, "AttemptFails": 1})


def sc_rst_to_syn_recv_start(w, fam, port):
    """The handshake's ACK is dropped at B, so B stays SYN_RECEIVED and
    retransmits its SYN-ACK (+1 s: the wire's evidence that the ACK was
    lost; A answers it, and that is dropped too); then A aborts (SO_LINGER
    0) and its RST reaches B's request socket (tcp_check_req():
    AttemptFails on B)."""
    w.drop(f"tcp dport {port} tcp flags & (syn | rst) == 0")
    lsock = listener(w, "B", fam, port)
    c = w.connect("A", fam, port)
    t = time.time()

    def finish():
        left = t + 1.5 - time.time()
        if left > 0:
            time.sleep(left)
        linger0(c)
        c.close()
        time.sleep(0.1)
        lsock.close()
        w.scenario("rst_to_syn_recv", fam, [port], "A ESTABLISHED, B "
                   "SYN_RECEIVED (ACKs dropped, B retransmits its SYN-ACK), "
                   "A aborts: RST from A's ESTABLISHED to B's SYN_RECEIVED",
                   {"ActiveOpens": 1, "EstabResets": 1, "OutRsts": 1,
                    "InErrs": 1})
    return finish


def sc_time_wait_ack(w, fam, port):
    """A closes first; B closes; A's last ACK is dropped at B for 0.5 s, so
    B retransmits its FIN and A, in TIME_WAIT, acknowledges it again
    (tcp_timewait_state_process(): OutSegs, not a retransmission)."""
    c, s = established(w, fam, port)
    c.close()
    expect_eof(s)
    w.drop(f"tcp dport {port}", chain=f"tw{port}")
    s.close()
    time.sleep(0.5)
    w.lift(f"tw{port}")
    w.scenario("time_wait_ack", fam, [port], "A's last ACK dropped at B: B "
               "retransmits its FIN, A in TIME_WAIT ACKs again",
               {"ActiveOpens": 1})


def sc_synack_retrans_start(w, fam, port):
    """The handshake's ACK dropped at B once: B retransmits its SYN-ACK
    (+1 s), A acknowledges again, the connection completes; data, and A
    closes first."""
    w.drop(f"tcp dport {port} tcp flags & syn == 0", chain=f"ack{port}")
    lsock = listener(w, "B", fam, port)
    c = w.connect("A", fam, port, block=False)
    time.sleep(0.3)
    w.lift(f"ack{port}")

    def finish():
        s = w.accept(lsock, 10)
        c.setblocking(True)
        c.settimeout(5)
        c.sendall(b"x" * 100)
        recvn(s, 100)
        c.close()
        expect_eof(s)
        s.close()
        w.scenario("synack_retrans", fam, [port], "the handshake's ACK "
                   "dropped at B once; B's SYN-ACK retransmission completes "
                   "it; A closes first", {"ActiveOpens": 1})
    return finish


def sc_keepalive_start(w, fam, port):
    """Keepalive probes from A every second (seq = snd_una - 1, counted
    in OutSegs, not RetransSegs: tcp_xmit_probe_skb()); B answers each."""
    c, s = established(w, fam, port)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    t = time.time()

    def finish():
        left = t + 3.6 - time.time()
        if left > 0:
            time.sleep(left)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
        c.close()
        expect_eof(s)
        s.close()
        w.scenario("keepalive", fam, [port], "A idle with keepalive probes "
                   "every second for ~3.5 s, then closes first",
                   {"ActiveOpens": 1})
    return finish


def sc_upload_loss(w, fam, port, size=400_000):
    """A sends to B; every 9th data segment of at least 500 bytes that
    reaches B's input hook (retransmissions included) is dropped: A
    retransmits (fast retransmit, SACK, RACK, TLP, RTO, whatever the
    kernel chooses)."""
    w.drop(f"tcp dport {port} meta length > 500 numgen inc mod 9 == 4")
    c, s = established(w, fam, port)
    data = bytes(range(256)) * (size // 256)
    c.setblocking(True)
    sent = 0
    got = 0
    s.setblocking(False)
    c.setblocking(False)
    end = time.time() + 20
    while got < len(data):
        if time.time() > end:
            raise TimeoutError("upload_loss: transfer stalled")
        r, wr, _ = select.select([s], [c] if sent < len(data) else [], [], 0.5)
        if wr:
            try:
                sent += c.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
        if r:
            got += len(s.recv(1 << 20))
    c.setblocking(True)
    s.setblocking(True)
    c.settimeout(10)
    s.settimeout(10)
    c.close()
    expect_eof(s)
    s.close()
    w.scenario("upload_loss", fam, [port], f"A sends {size} bytes, every "
               "9th data segment dropped at B; A closes first",
               {"ActiveOpens": 1, "RetransSegs": "> 0"})


def sc_download_ack_loss(w, fam, port, size=12_000):
    """B sends to A (less than its initial window: all of it leaves at
    once) while every segment from A to B is dropped for 0.9 s: B's tail
    loss probe and RTO retransmit what A already has, A receives the duplicates
    (InSegs) and answers with D-SACKs; then the drops stop."""
    c, s = established(w, fam, port)
    w.drop(f"tcp dport {port}", chain=f"dl{port}")
    s.sendall(b"d" * size)
    recvn(c, size)
    time.sleep(0.9)
    w.lift(f"dl{port}")
    time.sleep(0.6)
    s.close()
    expect_eof(c)
    c.close()
    w.scenario("download_ack_loss", fam, [port], "B sends while A's ACKs "
               "are dropped at B for 0.9 s: B retransmits, A receives "
               "duplicates; B closes first", {"ActiveOpens": 1})


def sc_reverse(w, fam, port, keep):
    """B connects to A: a passive open on A."""
    c, s = established(w, fam, port, client="B")
    if not keep:
        s.close()            # A (the server here) closes first
        expect_eof(c)
        c.close()
    w.scenario("reverse" + ("_idle" if keep else ""), fam, [port],
               "B connects to A" + (", idle to the end" if keep else
                                    ", A closes first"),
               {"PassiveOpens": 1, "CurrEstab": 1 if keep else 0})


def sc_idle(w, fam, port):
    established(w, fam, port)
    w.scenario("idle", fam, [port], "established, idle to the end",
               {"ActiveOpens": 1, "CurrEstab": 1})


def sc_close_wait_kept(w, fam, port):
    c, s = established(w, fam, port)
    s.close()
    expect_eof(c)
    w.scenario("close_wait_kept", fam, [port], "B closes, A never does: A "
               "CLOSE_WAIT to the end (RFC 1213 tcpCurrEstab counts it; "
               "Linux since 6.10)", {"ActiveOpens": 1, "CurrEstab": 1})


def sc_udp_echo(w, fam, port, n=10):
    srv = w.sock("B", fam, socket.SOCK_DGRAM)
    srv.bind((w.addr[fam]["B"], port))
    srv.settimeout(5)
    cli = w.sock("A", fam, socket.SOCK_DGRAM)
    cli.settimeout(5)
    for i in range(n):
        cli.sendto(b"ping %d" % i, (w.addr[fam]["B"], port))
        data, peer = srv.recvfrom(100)
        srv.sendto(data, peer)
        cli.recvfrom(100)
    w.scenario("udp_echo", fam, [port], f"{n} datagrams A to B, each echoed",
               {"OutDatagrams": n, "InDatagrams": n})


def sc_udp_closed(w, fam, port, n=5):
    """Datagrams from an unconnected socket on A to a closed port on B: B
    answers each with ICMP port unreachable (rate limits off in both
    namespaces); A's socket is not connected, so it sees no error."""
    cli = w.sock("A", fam, socket.SOCK_DGRAM)
    for i in range(n):
        cli.sendto(b"nobody %d" % i, (w.addr[fam]["B"], port))
        time.sleep(0.02)
    w.scenario("udp_closed", fam, [port], f"{n} datagrams A to a closed port "
               "on B: B's NoPorts, ICMP port unreachable", {"OutDatagrams": n})


def sc_udp_to_a_closed(w, fam, port, n=4):
    """Datagrams from B to a closed port on A: A's NoPorts, A answers
    ICMP port unreachable."""
    cli = w.sock("B", fam, socket.SOCK_DGRAM)
    for i in range(n):
        cli.sendto(b"to A %d" % i, (w.addr[fam]["A"], port))
        time.sleep(0.02)
    w.scenario("udp_to_a_closed", fam, [port], f"{n} datagrams B to a closed "
               "port on A", {"NoPorts": n})


def run(w):
    w.log("traffic starts")
    later = [sc_syn_unanswered_start(w, 4, V4 + 8),
             sc_synack_retrans_start(w, 6, V6 + 11),
             sc_keepalive_start(w, 4, V4 + 12),
             sc_rst_to_syn_recv_start(w, 4, V4 + 17)]
    for fam, base in ((4, V4), (6, V6)):
        sc_close_client(w, fam, base + 1)
        sc_close_server(w, fam, base + 2)
        sc_abort_client(w, fam, base + 3)
        sc_refused(w, fam, base + 7)
        sc_upload_loss(w, fam, base + 9)
        sc_idle(w, fam, base + 14)
        sc_udp_echo(w, fam, 7201 if fam == 4 else 7301)
        sc_udp_closed(w, fam, 7203 if fam == 4 else 7303)
        sc_udp_to_a_closed(w, fam, 7204 if fam == 4 else 7304)
    sc_syn_icmp_unreachable(w, 4, V4 + 16)
    sc_syn_icmp_unreachable(w, 6, V6 + 16)
    sc_time_wait_ack(w, 4, V4 + 18)
    sc_abort_server(w, 4, V4 + 4)
    sc_rst_in_close_wait(w, 4, V4 + 5)
    sc_close_unread(w, 6, V6 + 6)
    sc_download_ack_loss(w, 4, V4 + 10)
    sc_reverse(w, 4, V4 + 13, keep=False)
    sc_reverse(w, 6, V6 + 13, keep=True)
    sc_close_wait_kept(w, 4, V4 + 15)
    for finish in later:
        finish()
    # Quiet: every retransmission, delayed ACK and TIME_WAIT exchange over.
    time.sleep(1.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for a in ("work", "ns-a", "ns-b", "a4", "b4", "a6", "b6"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()
    w = World(args)
    try:
        w.nft_init()
        w.touch("ready")
        w.wait_file("capturing", 60)
        w.t0 = time.time()
        run(w)
        with open(os.path.join(w.work, "scenarios.json"), "w") as f:
            json.dump({"scenarios": w.scenarios}, f, indent=1)
        w.log(f"{len(w.scenarios)} scenarios, {len(w.keep)} sockets: snapshot")
        w.touch("snapshot")
        w.wait_file("done", 60)
    except Exception:
        traceback.print_exc()
        sys.stdout.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

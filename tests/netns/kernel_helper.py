#!/usr/bin/python3
"""kernel_helper.py - the processes of the kernel-side netns tests
(compare-test.sh, router-test.sh), one role per invocation, run inside a
namespace with `ip netns exec` (which execs: the process keeps the PID
the shell saw, and its comm is python3).  Each writes "READY ..." to
standard output (flushed) once its sockets are up, then runs until it is
killed.

    serve ADDR PORT [--sink]     listen; echo what each connection sends
                                 (--sink: read and drop)
    client ADDR PORT [--every S] [--bind ADDR]
                                 connect; send a byte every S seconds and
                                 read the echo (no --every: stay idle);
                                 READY gives the local port
    burst ADDR PORT N            connect, N round trips, close; exit
    craft IFACE SRC SPORT DST DPORT [--every S]
                                 a TCP connection from a raw socket (scapy):
                                 SYN, the peer's SYN-ACK, ACK, then data
                                 every S seconds.  No socket of this host
                                 has it: the kernel answers the peer with
                                 RSTs, which the test drops with nftables.
"""
import argparse
import socket
import sys
import threading
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ready(*words):
    print("READY", *words, flush=True)


def forever():
    while True:
        time.sleep(3600)


def serve(a):
    s = socket.socket(family(a.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(64)
    conns = []

    def handle(c):
        try:
            while True:
                data = c.recv(4096)
                if not data:
                    break
                if not a.sink:
                    c.sendall(data)
        except OSError:
            pass

    def accept():
        while True:
            c, _ = s.accept()
            conns.append(c)
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    ready(a.port)
    forever()


def client(a):
    c = socket.socket(family(a.addr), socket.SOCK_STREAM)
    if a.bind:
        c.bind((a.bind, 0))
    c.connect((a.addr, a.port))
    ready(c.getsockname()[1])
    if not a.every:
        forever()
    while True:
        c.sendall(b"x")
        c.recv(16)
        time.sleep(a.every)


def burst(a):
    c = socket.create_connection((a.addr, a.port))
    for _ in range(a.n):
        c.sendall(b"y" * 100)
        got = 0
        while got < 100:
            got += len(c.recv(4096))
    c.close()
    ready()


def craft(a):
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, IPv6, TCP, conf, send, sr1
    conf.verb = 0
    conf.iface = a.iface
    ip = (IPv6 if ":" in a.src else IP)(src=a.src, dst=a.dst)
    seq = 1000
    synack = None
    for _ in range(5):
        synack = sr1(ip / TCP(sport=a.sport, dport=a.dport, flags="S",
                              seq=seq, window=64240), timeout=1)
        if synack is not None and synack.haslayer(TCP):
            break
    if synack is None or not synack.haslayer(TCP):
        print("no SYN-ACK", file=sys.stderr)
        return 1
    ack = synack[TCP].seq + 1
    seq += 1
    send(ip / TCP(sport=a.sport, dport=a.dport, flags="A", seq=seq,
                  ack=ack, window=502))
    ready(a.sport)
    while True:
        send(ip / TCP(sport=a.sport, dport=a.dport, flags="PA", seq=seq,
                      ack=ack, window=502) / b"crafted!")
        seq += 8
        time.sleep(a.every)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    s = sub.add_parser("serve")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("--sink", action="store_true")
    s = sub.add_parser("client")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("--every", type=float, default=0)
    s.add_argument("--bind")
    s = sub.add_parser("burst")
    s.add_argument("addr")
    s.add_argument("port", type=int)
    s.add_argument("n", type=int)
    s = sub.add_parser("craft")
    s.add_argument("iface")
    s.add_argument("src")
    s.add_argument("sport", type=int)
    s.add_argument("dst")
    s.add_argument("dport", type=int)
    s.add_argument("--every", type=float, default=0.5)
    a = p.parse_args()
    return {"serve": serve, "client": client, "burst": burst,
            "craft": craft}[a.role](a) or 0


if __name__ == "__main__":
    sys.exit(main())

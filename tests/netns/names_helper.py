#!/usr/bin/python3
"""names_helper.py - traffic and checks for names-test.sh (issue 8).

Subcommands (each run inside a namespace by names-test.sh):
  serve    TCP listeners that accept and read until killed
  connect  TCP connections to ADDR:PORT..., talking every 0.3 s until
           killed; touches READY once all are connected
  answers  DNS *answers*, never a query: each NAME=ADDR from the
           resolver address's port 53 to the client's port 41000+i (IPv6
           answers over IPv6), and mDNS announcements NAME=ADDR from ADDR
           to 224.0.0.251:5353
  query    the control: one DNS query to SERVER:53 and one mDNS query to
           224.0.0.251:5353 (the only queries the test ever sends)
  check    wirestat's outputs against what the answers taught

Messages are built with scapy's DNS layer and sent through ordinary
sockets, so the kernel routes them.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402

MDNS_GROUP = "224.0.0.251"


def touch(path):
    with open(path + ".tmp", "w"):
        pass
    os.rename(path + ".tmp", path)


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


# ------------------------------------------------------------------ traffic

def cmd_serve(args):
    def reader(conn):
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        conn.close()  # at once: a late FIN would be a row of the next run

    def accepter(sock):
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=reader, args=(conn,), daemon=True).start()

    for spec in args.listen:
        host, port = split_hostport(spec)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        s.listen(64)
        threading.Thread(target=accepter, args=(s,), daemon=True).start()
    touch(args.ready)
    while True:
        time.sleep(3600)


def cmd_connect(args):
    socks = []
    for spec in args.to:
        host, port = split_hostport(spec)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect((host, port))
        socks.append(s)
    touch(args.ready)
    while True:
        for s in socks:
            s.send(b"hello\n")
        time.sleep(0.3)


def answer(name, addr, ident):
    rtype = "AAAA" if ":" in addr else "A"
    return bytes(DNS(id=ident, qr=1, rd=1, ra=1,
                     qd=DNSQR(qname=name, qtype=rtype),
                     an=DNSRR(rrname=name, type=rtype, ttl=300,
                              rdata=addr)))


def cmd_answers(args):
    sockets = {}
    for i, spec in enumerate(args.dns):
        name, addr = spec.split("=")
        v6 = ":" in addr
        src, dst = (args.server6, args.client6) if v6 else \
            (args.server4, args.client4)
        if v6 not in sockets:
            s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                              socket.SOCK_DGRAM)
            s.bind((src, 53))
            sockets[v6] = s
        sockets[v6].sendto(answer(name, addr, 0x4000 + i),
                           (dst, 41000 + i))
    for spec in args.mdns:
        # RFC 6762: a host announces its own record, ID 0, AA, no
        # question, the cache-flush bit in the class.
        name, addr = spec.split("=")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, 5353))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton(addr))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        msg = DNS(id=0, qr=1, aa=1, qd=None,
                  an=DNSRR(rrname=name, type="A", rclass=0x8001, ttl=120,
                           rdata=addr))
        s.sendto(bytes(msg), (MDNS_GROUP, 5353))
        s.close()
    for s in sockets.values():
        s.close()


def cmd_query(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(bytes(DNS(id=0x5000, rd=1, qd=DNSQR(qname="control.test"))),
             (args.server, 53))
    s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton(args.source))
    s.sendto(bytes(DNS(id=0, qd=DNSQR(qname="control.local"))),
             (MDNS_GROUP, 5353))
    s.close()


# ------------------------------------------------------------------ checks

def json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


class Checks:
    def __init__(self):
        self.failed = 0

    def ok(self, cond, what):
        print(("  ok   " if cond else "  FAIL ") + what)
        if not cond:
            self.failed += 1


def cmd_check(args):
    c = Checks()
    want = dict(spec.split("=")[::-1] for spec in args.dns + args.mdns)
    # addr -> full name
    if args.table:
        with open(args.table) as f:
            text = f.read()
        for addr, name in sorted(want.items()):
            short = name.split(".")[0]
            c.ok(any(short + ":" in line and "ESTABLISHED" in line and
                     line.split()[2].startswith(short + ":")
                     for line in text.splitlines()),
                 "table: the connection to %s is named %s" % (addr, short))
        c.ok(not any(a + ":" in text for a in want if ":" not in a),
             "table: no named address is shown as a number")
    if args.workers:
        rows = [r for r in json_lines(args.workers) if "proto" in r]
        for addr, name in sorted(want.items()):
            mine = [r for r in rows if r.get("remote_addr") == addr and
                    r.get("state") == "ESTABLISHED"]
            c.ok(bool(mine) and all(r["remote_name"] == name
                                    for r in mine),
                 "--workers 2: the connection to %s carries %s (%d rows)" %
                 (addr, name, len(mine)))
    if args.names:
        got = {r["addr"]: r for r in json_lines(args.names)}
        for addr, name in sorted(want.items()):
            r = got.get(addr)
            src = "mdns" if addr in [s.split("=")[1] for s in args.mdns] \
                else ("aaaa" if ":" in addr else "a")
            c.ok(r is not None and r["name"] == name and r["source"] == src,
                 "--names: %s is %s (%s)" % (addr, name, src))
        c.ok(len(got) == len(want),
             "--names: %d names, as many as answers" % len(got))
    if args.active:
        lines = json_lines(args.active)
        reports, cur = [], None
        for r in lines:
            if "report" in r:
                cur = []
                reports.append(cur)
            elif cur is not None:
                cur.append(r)
        expect = dict(spec.split("=") for spec in args.expect_active)
        named = {}
        for i, rows in enumerate(reports):
            for r in rows:
                for side in ("local", "remote"):
                    a = r.get(side + "_addr")
                    if a in expect:
                        named.setdefault(a, []).append(
                            (i, r.get(side + "_name")))
        for addr, name in sorted(expect.items()):
            seen = named.get(addr, [])
            c.ok(bool(seen) and seen[0][1] is None,
                 "active: %s is a number in the first report that lists it"
                 " (its lookup was only queued)" % addr)
            c.ok(any(n == name for _, n in seen),
                 "active: %s is named %s in a later report" % (addr, name))
    if args.stats_active:
        groups = {g["group"]: g for g in json_lines(args.stats_active)
                  if "group" in g}
        g = groups.get("wirestat_names", {})
        c.ok(g.get("resolve_queued") == 0 and "resolve_cap" in g,
             "active with -s: no lookup (no row was printed), counters "
             "shown")
    print("%d check(s) failed" % c.failed)
    return 1 if c.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--listen", nargs="+", required=True)
    p.add_argument("--ready", required=True)
    p = sub.add_parser("connect")
    p.add_argument("--to", nargs="+", required=True)
    p.add_argument("--ready", required=True)
    p = sub.add_parser("answers")
    for k in ("server4", "client4", "server6", "client6"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--dns", nargs="*", default=[])
    p.add_argument("--mdns", nargs="*", default=[])
    p = sub.add_parser("query")
    p.add_argument("--server", required=True)
    p.add_argument("--source", required=True)
    p = sub.add_parser("check")
    p.add_argument("--dns", nargs="*", default=[])
    p.add_argument("--mdns", nargs="*", default=[])
    p.add_argument("--table")
    p.add_argument("--workers")
    p.add_argument("--names")
    p.add_argument("--active")
    p.add_argument("--expect-active", nargs="*", default=[])
    p.add_argument("--stats-active")
    args = ap.parse_args()
    return {"serve": cmd_serve, "connect": cmd_connect,
            "answers": cmd_answers, "query": cmd_query,
            "check": cmd_check}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""compare.py - wirestat's rows against each kernel's own ss, row by row.

Inputs (all in --work, written by lib.sh and driver.py):
  ss-{A,B}-{tcp,udp}.txt   `ss -tanH` / `ss -uanH` in each namespace at the
                           snapshot; snapshot.time holds its wall time
  wirestat-{A,B}.json      `wirestat -R PCAP -a -n --format json --host
                           <that namespace's addresses>`
  scenarios.json           what the driver did, and what each kernel was
                           meant to show (its "intent")
and the capture itself (--pcap), read here with a small pcap parser of our
own, to decide which kernel sockets the wire can know about.

A row is keyed by (host, proto, local address, local port, remote address,
remote port); LISTENING and UDP rows have no remote (ss's peer of a
connected UDP socket is dropped: wirestat has none).  The value is the
state (UDP: none).  Agreement = rows whose key and state match on both
sides / rows in the union of both sides, over both hosts.

Kernel rows that are NOT observable from the wire are excluded before the
comparison (and listed); wirestat rows are never excluded:
  1. loopback: local address in 127.0.0.0/8 or ::1 (never on the veth);
  2. a LISTEN socket from which no SYN-ACK was sent in the capture (the
     wire learns of a listener only when it answers a SYN);
  3. a connection socket (any other TCP state) whose 4-tuple has no
     segment in the capture (connected before and idle throughout);
  4. a UDP socket that sent no datagram in the capture (a port that only
     receives, or nothing, cannot be told from a closed one);
  5. wildcard binds (0.0.0.0, ::, *) are expanded to this host's
     addresses of the socket's family that the capture shows sending SYN-ACKs
     (TCP LISTEN) or datagrams (UDP) from that port; with none, rule 2
     or 4 excludes the row.
ss states map to wirestat's names (ESTAB -> ESTABLISHED, SYN-RECV ->
SYN_RECEIVED, LISTEN -> LISTENING, ...).

Before comparing, every scenario's kernel states are checked against its
intent: a scenario that did not produce what it was built to produce
tests nothing, and fails the run.

Exit status: 0 agreement >= threshold and every check passed; 1 otherwise.
"""
import argparse
import collections
import ipaddress
import json
import os
import struct
import sys

SS_STATES = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECEIVED",
    "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "TIME-WAIT": "TIME_WAIT",
    "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "CLOSING": "CLOSING",
    "LISTEN": "LISTENING", "CLOSE": "CLOSED",
}
ALL_STATES = ["LISTENING", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
              "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"]
WILD = "*"


def norm_addr(a):
    ip = ipaddress.ip_address(a)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.compressed


def fam_of(a):
    return ipaddress.ip_address(a).version


# ------------------------------------------------------------------ capture

class Capture:
    """What the wire shows: who sent SYN-ACKs, TCP 4-tuples, UDP senders."""

    def __init__(self, path):
        self.synack_from = set()   # (addr, port)
        self.tuples = set()        # (laddr, lport, raddr, rport), both ways
        self.udp_from = set()      # (addr, port)
        self.count = 0
        self.first = self.last = None
        with open(path, "rb") as f:
            data = f.read()
        magic = data[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            e = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            e = ">"
        else:
            raise SystemExit(f"compare.py: {path}: not a pcap file")
        nsec = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        linktype = struct.unpack(e + "I", data[20:24])[0]
        if linktype != 1:
            raise SystemExit(f"compare.py: {path}: link type {linktype}, want Ethernet")
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
            ts = sec + frac / (1e9 if nsec else 1e6)
            self.first = ts if self.first is None else self.first
            self.last = ts
            self.count += 1
            self.packet(data[off + 16:off + 16 + incl])
            off += 16 + incl

    def packet(self, f):
        if len(f) < 14:
            return
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800 and len(f) >= 34:
            ihl = (f[14] & 15) * 4
            proto = f[23]
            if struct.unpack("!H", f[20:22])[0] & 0x1FFF:
                return  # a later fragment: no ports
            src = ipaddress.IPv4Address(bytes(f[26:30])).compressed
            dst = ipaddress.IPv4Address(bytes(f[30:34])).compressed
            l4 = 14 + ihl
        elif et == 0x86DD and len(f) >= 54:
            proto = f[20]
            src = ipaddress.IPv6Address(bytes(f[22:38])).compressed
            dst = ipaddress.IPv6Address(bytes(f[38:54])).compressed
            l4 = 54
        else:
            return
        if len(f) < l4 + 4:
            return
        sport, dport = struct.unpack("!HH", f[l4:l4 + 4])
        if proto == 6 and len(f) >= l4 + 14:
            flags = f[l4 + 13]
            self.tuples.add((src, sport, dst, dport))
            self.tuples.add((dst, dport, src, sport))
            if flags & 0x12 == 0x12 and not flags & 0x04:
                self.synack_from.add((src, sport))
        elif proto == 17:
            self.udp_from.add((src, sport))


# ------------------------------------------------------------------- rows

Row = collections.namedtuple("Row", "host proto laddr lport raddr rport state")


def key(r):
    return (r.host, r.proto, r.laddr, r.lport, r.raddr, r.rport)


def proto_name(kind, fam):
    return kind + ("6" if fam == 6 else "")


def parse_ep(text):
    host, port = text.rsplit(":", 1)
    if host.startswith("["):
        host = host[1:-1]
    host = host.split("%")[0]
    port = None if port == "*" else int(port)
    if host in ("*", "0.0.0.0", "::"):
        return WILD, {"*": {4, 6}, "0.0.0.0": {4}, "::": {6}}[host], port
    a = norm_addr(host)
    return a, {fam_of(a)}, port


def read_ss(path, host, kind):
    """Kernel rows of one host: (Row or wildcard tuple, family set, raw line)."""
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 5:
                continue
            st = p[0]
            laddr, lfams, lport = parse_ep(p[3])
            raddr, _, rport = parse_ep(p[4])
            if kind == "tcp":
                state = SS_STATES.get(st, st)
                listen = state == "LISTENING"
            else:
                state, listen = None, True
            fam = min(lfams) if laddr == WILD else fam_of(laddr)
            if listen:
                raddr = rport = None
            out.append((Row(host, proto_name(kind, fam), laddr, lport, raddr, rport, state),
                        lfams, line.rstrip()))
    return out


def read_wirestat(path, host):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            j = json.loads(line)
            proto = j["proto"]
            rows.append(Row(host, proto, norm_addr(j["local_addr"]), j["local_port"],
                            None if j["remote_addr"] is None or proto.startswith("udp")
                            else norm_addr(j["remote_addr"]),
                            None if proto.startswith("udp") else j["remote_port"],
                            j["state"]))
    return rows


def fmt_row_key(r):
    def ep(a, p):
        return f"[{a}]:{p}" if a and ":" in a else f"{a}:{p}"
    s = f"{r.proto:4} {ep(r.laddr, r.lport)}"
    if r.raddr is not None:
        s += f" <-> {ep(r.raddr, r.rport)}"
    return s


# ------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="wirestat versus ss, per host")
    ap.add_argument("--work", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--host", action="append", required=True,
                    help="NAME=ADDR,ADDR (repeat per host)")
    ap.add_argument("--threshold", type=float, default=98.0)
    ap.add_argument("--min-rows", type=int, default=1,
                    help="fail if fewer rows are compared (a broken driver)")
    ap.add_argument("--max-skew", type=float, default=1.5,
                    help="fail if the capture's last packet is further than "
                         "this from the ss snapshot (seconds)")
    ap.add_argument("--require-states", default="",
                    help="comma list of states wirestat must show")
    args = ap.parse_args()
    work = args.work
    failures = []

    hosts = {}
    for h in args.host:
        name, addrs = h.split("=", 1)
        hosts[name] = [norm_addr(a) for a in addrs.split(",")]

    cap = Capture(args.pcap)
    with open(os.path.join(work, "snapshot.time")) as f:
        t_ss = [float(x) for x in f.read().split()]
    with open(os.path.join(work, "scenarios.json")) as f:
        scen = json.load(f)
    by_port = {}
    for s in scen["scenarios"]:
        for p in s["ports"]:
            by_port["tcp", p] = s["name"]
        for p in s.get("udp_ports", []):
            by_port["udp", p] = s["name"]

    def scenario_of(r):
        tcp = r.proto.startswith("tcp")
        for p in (r.lport, r.rport) if tcp else (r.lport,):
            if ("tcp" if tcp else "udp", p) in by_port:
                return by_port["tcp" if tcp else "udp", p]
        return "?"

    print("== kernel-oracle comparison ==")
    if cap.count == 0:
        print("FAIL: the capture is empty")
        return 1
    skew = cap.last - t_ss[0]
    print(f"capture: {cap.count} packets over {cap.last - cap.first:.2f} s; "
          f"last packet {skew:+.3f} s from the ss snapshot "
          f"(ss took {t_ss[-1] - t_ss[0]:.3f} s)")
    if abs(skew) > args.max_skew:
        failures.append(f"the capture ends {skew:+.2f} s from the snapshot "
                        f"(limit {args.max_skew} s): timers would not line up")

    kernel, wire, excluded = {}, {}, []
    kernel_by_scen = collections.defaultdict(lambda: collections.defaultdict(list))
    for host, addrs in hosts.items():
        entries = []
        for kind in ("tcp", "udp"):
            entries += read_ss(os.path.join(work, f"ss-{host}-{kind}.txt"), host, kind)
        nk = 0
        for r, lfams, line in entries:
            nk += 1
            if r.state != "LISTENING" or r.proto.startswith("udp"):
                sn = scenario_of(r)
                kernel_by_scen[sn][host].append("UDP" if r.proto.startswith("udp") else r.state)
            # rule 1: loopback
            if r.laddr != WILD and ipaddress.ip_address(r.laddr).is_loopback:
                excluded.append((r, "loopback"))
                continue
            if r.raddr is None:
                # LISTEN or UDP: rules 2, 4, 5
                seen = cap.synack_from if r.proto.startswith("tcp") else cap.udp_from
                why = ("no SYN-ACK from it in the capture" if r.proto.startswith("tcp")
                       else "sent no datagram in the capture")
                cands = ([a for a in addrs if fam_of(a) in lfams] if r.laddr == WILD
                         else [r.laddr])
                hit = [a for a in cands if (a, r.lport) in seen]
                if not hit:
                    excluded.append((r, why))
                    continue
                for a in hit:
                    rr = r._replace(laddr=a, proto=proto_name(r.proto[:3], fam_of(a)))
                    kernel[key(rr)] = rr
            else:
                # rule 3
                if (r.laddr, r.lport, r.raddr, r.rport) not in cap.tuples:
                    excluded.append((r, "no segment of this connection in the capture"))
                    continue
                kernel[key(r)] = r
        ws = read_wirestat(os.path.join(work, f"wirestat-{host}.json"), host)
        for r in ws:
            wire[key(r)] = r
        print(f"host {host} ({', '.join(addrs)}): ss {nk} sockets, "
              f"wirestat {len(ws)} rows")

    # Intent: did every scenario make the kernels show what it was built for?
    bad_setup = []
    for s in scen["scenarios"]:
        if s["intent"] is None:
            continue
        got = {h: sorted(kernel_by_scen[s["name"]].get(h, [])) for h in hosts}
        if got != {h: sorted(s["intent"].get(h, [])) for h in hosts}:
            bad_setup.append((s, got))
    print(f"scenario setup: {len(scen['scenarios']) - len(bad_setup)} of "
          f"{len(scen['scenarios'])} produced their intended kernel states")
    def counted(states):
        c = collections.Counter(states)
        return "{" + ", ".join(f"{n}x{st}" if n > 1 else st for st, n in sorted(c.items())) + "}"

    for s, got in bad_setup:
        meant = " ".join(f"{h}{counted(s['intent'].get(h, []))}" for h in hosts)
        shown = " ".join(f"{h}{counted(got[h])}" for h in hosts)
        print(f"  SETUP {s['name']} (t={s['t']} s): meant {meant}, "
              f"the kernels show {shown} - {s['what']}")
    if bad_setup:
        failures.append(f"{len(bad_setup)} scenario(s) did not set up as designed")

    print(f"excluded kernel rows (not observable from the wire): {len(excluded)}")
    for r, why in sorted(excluded, key=lambda x: (x[0].host, x[0].proto, x[0].lport)):
        print(f"  [{r.host}] {r.state or 'UDP':12} {fmt_row_key(r)}  ({scenario_of(r)}): {why}")

    union = sorted(set(kernel) | set(wire), key=lambda k: tuple(str(x) for x in k))
    agree = [k for k in union if k in kernel and k in wire
             and kernel[k].state == wire[k].state]
    diffs = [k for k in union if k not in agree]

    # Per-state breakdown, kernel side.
    per = collections.defaultdict(lambda: [0, 0, 0])
    for k in union:
        if k in kernel:
            per[kernel[k].state or "UDP"][0] += 1
        if k in wire:
            per[wire[k].state or "UDP"][1] += 1
        if k in agree:
            per[kernel[k].state or "UDP"][2] += 1
    print(f"{'state':14} {'kernel':>7} {'wirestat':>9} {'agree':>6}")
    for st in ALL_STATES + ["CLOSED", "UDP"]:
        if st in per:
            print(f"{st:14} {per[st][0]:7} {per[st][1]:9} {per[st][2]:6}")

    print(f"disagreements: {len(diffs)}")
    for k in sorted(diffs, key=lambda k: (scenario_of(kernel.get(k) or wire[k]), str(k))):
        r = kernel.get(k) or wire[k]
        ks = (kernel[k].state or "UDP") if k in kernel else "-"
        wsst = (wire[k].state or "UDP") if k in wire else "-"
        flt = f"port {r.lport}" + (f" and port {r.rport}" if r.rport else "")
        print(f"  [{r.host}] {fmt_row_key(r):58} {scenario_of(r):28} "
              f"kernel {ks:12} wirestat {wsst:12}  (tcpdump -r PCAP -n -tt '{flt}')")

    pct = 100.0 * len(agree) / len(union) if union else 0.0
    print(f"agreement: {pct:.2f} % ({len(agree)} of {len(union)} rows) "
          f"threshold {args.threshold:g} %")
    if len(union) < args.min_rows:
        failures.append(f"only {len(union)} rows compared (expected >= {args.min_rows})")
    if pct < args.threshold:
        failures.append(f"agreement {pct:.2f} % is below {args.threshold:g} %")

    if args.require_states:
        shown = {r.state for r in wire.values()}
        missing = [s for s in args.require_states.split(",")
                   if s and (s not in shown if s != "UDP"
                             else not any(r.proto.startswith("udp") for r in wire.values()))]
        if missing:
            failures.append(f"wirestat shows no {', '.join(missing)} row")

    for f_ in failures:
        print(f"FAIL: {f_}")
    if not failures:
        print("PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

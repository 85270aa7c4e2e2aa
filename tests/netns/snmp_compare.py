#!/usr/bin/python3
"""snmp_compare.py --work DIR - wirestat -s --host beside the kernel's SNMP
counters, for snmp-test.sh.

Reads, in DIR: snmp-{A,B}-{before,after}.txt (/proc/net/snmp),
snmp6-*.txt (/proc/net/snmp6), netstat-*.txt (/proc/net/netstat, shown
for analysis only), nft-B.txt (B's drop rules and their counters) and
wirestat-{A,B}.json (wirestat -R cap -s --format json --host <v4> --host
<v6> for that host).

Kernel side: after - before, except CurrEstab, a gauge (its value after).
Tcp: counts IPv4 and IPv6 together, so wirestat's tcp and tcpv6 groups
are summed; Udp: is IPv4 and snmp6's Udp6 IPv6, compared apart.

MUST (issue 5: equal, or the test fails), for A, the client:
    ActiveOpens, OutSegs, InSegs, RetransSegs, InDatagrams, OutDatagrams
    (Udp and Udp6).
ALSO (asserted as well: the scenarios exercise each, and wirestat and the
kernel agree on them): PassiveOpens, AttemptFails, EstabResets, CurrEstab,
OutRsts, InErrs, NoPorts and InErrors (Udp, Udp6), for A; and for B, the
server, every TCP and UDP counter above, with one correction: B's InSegs
is the wire's less the segments B's own input hook dropped (the nft
counters: netfilter's input hook runs before tcp_v4_rcv() /
tcp_v6_rcv(), which count InSegs), since the capture tap sees them
arrive.  A's hook drops nothing.
INFO (printed, never asserted): IP and ICMP counters, which IPv6
neighbour discovery and MLD move outside the test's control, and TcpExt
counters that explain the retransmissions (TCPLossProbes, ...).
"""
import argparse
import json
import os
import re
import struct
import sys


def read_pairs(path):
    """/proc/net/snmp and /proc/net/netstat: header line, value line."""
    out = {}
    lines = open(path).read().splitlines()
    for head, vals in zip(lines[0::2], lines[1::2]):
        p1, names = head.split(":", 1)
        p2, values = vals.split(":", 1)
        if p1 != p2:
            raise ValueError(f"{path}: {p1} / {p2}")
        names, values = names.split(), values.split()
        if len(names) != len(values):
            raise ValueError(f"{path}: {p1} has {len(names)} names, "
                             f"{len(values)} values")
        grp = out.setdefault(p1, {})
        grp.update({n: int(v) for n, v in zip(names, values)})
    return out


def read_snmp6(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 2:
            out[f[0]] = int(f[1])
    return {"snmp6": out}


def kernel(work, side):
    k = {}
    for tag in ("before", "after"):
        d = read_pairs(os.path.join(work, f"snmp-{side}-{tag}.txt"))
        d.update(read_snmp6(os.path.join(work, f"snmp6-{side}-{tag}.txt")))
        d.update(read_pairs(os.path.join(work, f"netstat-{side}-{tag}.txt")))
        k[tag] = d
    return k


def delta(k, grp, name):
    return k["after"][grp][name] - k["before"][grp][name]


def wirestat(work, side):
    with open(os.path.join(work, f"wirestat-{side}.json")) as f:
        return {g["group"]: g for g in map(json.loads, f)}


def nft_dropped(work):
    """TCP segments B's input hook dropped or rejected (every rule there
    matches TCP only)."""
    text = open(os.path.join(work, "nft-B.txt")).read()
    return sum(int(m) for m in re.findall(
        r"counter packets (\d+) bytes \d+ (?:drop|reject)", text))


TCP_MUST = ("ActiveOpens", "OutSegs", "InSegs", "RetransSegs")
TCP_ALSO = ("PassiveOpens", "AttemptFails", "EstabResets", "CurrEstab",
            "OutRsts")
TCP_INFO = {
    "InErrs": "Linux also counts every SYN an ESTABLISHED socket receives "
              "(tcp_validate_incoming(), syn_inerr: RFC 5961 challenge "
              "ACK); wirestat only malformed headers",
}
UDP_MUST = ("InDatagrams", "OutDatagrams")
UDP_ALSO = ("NoPorts", "InErrors")
IP_INFO = ("InReceives", "InHdrErrors", "InUnknownProtos", "InDelivers",
           "OutRequests")
ICMP_INFO = ("InMsgs", "InErrors", "InDestUnreachs", "InEchos",
             "OutMsgs", "OutErrors", "OutDestUnreachs")
IP_NOTES = {
    "OutRequests": "Linux counts IP packets before GSO segmentation: TCP "
                   "always builds GSO super-packets (since 4.13), cut "
                   "into wire segments at the device",
    "InDelivers": "Linux: less what the input hook dropped (B)",
    "InReceives": "IPv6: multicast (MLD, NDP, RS) to groups, not to the "
                  "--host address",
}
TCPEXT_INFO = ("TCPLossProbes", "TCPLossProbeRecovery", "TCPFastRetrans",
               "TCPSlowStartRetrans", "TCPTimeouts", "TCPSynRetrans",
               "TCPKeepAlive", "TCPDSACKRecv", "TCPDSACKOldSent",
               "TCPAbortOnData", "TCPAbortOnClose", "TCPChallengeACK",
               "TCPSpuriousRtxHostQueues", "TCPRetransFail")


def rows(side, k, w, dropped):
    """(label, kernel, wirestat, level, note); level: must, also, info."""
    out = []
    main = side == "A"
    for name in TCP_MUST + TCP_ALSO + tuple(TCP_INFO):
        kv = (k["after"]["Tcp"][name] if name == "CurrEstab"
              else delta(k, "Tcp", name))
        wv = w["tcp"][name] + w["tcpv6"][name]
        note = TCP_INFO.get(name, "")
        if name == "InSegs" and not main:
            note = f"kernel {kv} + {dropped} dropped by B's input hook"
            kv += dropped
        if name == "CurrEstab":
            note = "value after, not a delta"
        level = ("info" if name in TCP_INFO else
                 "must" if main and name in TCP_MUST else "also")
        out.append((f"Tcp {name}", kv, wv, level, note))
    for fam, kgrp, wgrp, pre in ((4, "Udp", "udp", ""),
                                 (6, "snmp6", "udpv6", "Udp6")):
        for name in UDP_MUST + UDP_ALSO:
            kv = delta(k, kgrp, pre + name)
            wv = w[wgrp][pre + name]
            out.append((f"{'Udp6' if fam == 6 else 'Udp'} {name}", kv, wv,
                        "must" if main and name in UDP_MUST else "also", ""))
    for name in IP_INFO:
        out.append((f"Ip {name}", delta(k, "Ip", name), w["ip"][name],
                    "info", IP_NOTES.get(name, "")))
        out.append((f"Ip6 {name}", delta(k, "snmp6", "Ip6" + name),
                    w["ipv6"]["Ip6" + name], "info", IP_NOTES.get(name, "")))
    for name in ICMP_INFO:
        out.append((f"Icmp {name}", delta(k, "Icmp", name), w["icmp"][name],
                    "info", ""))
        out.append((f"Icmp6 {name}", delta(k, "snmp6", "Icmp6" + name),
                    w["icmpv6"]["Icmp6" + name], "info",
                    "MLD reports and router solicitations come from the "
                    "link-local address, not a --host address"
                    if name.startswith("Out") and name != "OutDestUnreachs"
                    else ""))
    for name in TCPEXT_INFO:
        if name in k["after"].get("TcpExt", {}):
            out.append((f"TcpExt {name}", delta(k, "TcpExt", name), None,
                        "info", "kernel only, for the analysis"))
    return out


def pcap_ports(path):
    """(proto, port) of both ends of every TCP and UDP packet in a
    tcpdump capture (Ethernet, IPv4 without fragments, IPv6 without
    extension headers: all this test's traffic)."""
    seen = set()
    with open(path, "rb") as f:
        data = f.read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") \
        else ">"
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        et = struct.unpack("!H", frame[12:14])[0]
        if et == 0x0800:
            proto, l4 = frame[23], 14 + (frame[14] & 15) * 4
        elif et == 0x86DD:
            proto, l4 = frame[20], 54
        else:
            continue
        if proto in (6, 17):
            sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
            seen.add((proto, sport, dport))
    return seen


def sanity(work, failures):
    """TCP and UDP counters start at 0 in both fresh namespaces, and every
    TCP or UDP packet on the wire belongs to a scenario (nothing else in
    the namespaces talks)."""
    for side in "AB":
        k = kernel(work, side)["before"]
        for grp, name in (("Tcp", "ActiveOpens"), ("Tcp", "PassiveOpens"),
                          ("Tcp", "InSegs"), ("Tcp", "OutSegs"),
                          ("Udp", "InDatagrams"), ("Udp", "OutDatagrams"),
                          ("snmp6", "Udp6InDatagrams"),
                          ("snmp6", "Udp6OutDatagrams")):
            if k[grp][name]:
                failures.append(f"{side} {grp} {name} is {k[grp][name]} "
                                "before any traffic: not a fresh namespace")
    with open(os.path.join(work, "scenarios.json")) as f:
        ports = {p for sc in json.load(f)["scenarios"] for p in sc["ports"]}
    stray = sorted(t for t in pcap_ports(os.path.join(work, "snmp.pcap"))
                   if t[1] not in ports and t[2] not in ports)
    if stray:
        failures.append(f"TCP/UDP packets of no scenario on the wire "
                        f"(proto, sport, dport): {stray[:10]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    dropped = nft_dropped(args.work)
    failures = []
    sanity(args.work, failures)
    summary = {}
    for side, role in (("A", "client"), ("B", "server")):
        k = kernel(args.work, side)
        w = wirestat(args.work, side)
        print(f"\n{side} ({role}): kernel (delta over the capture) vs "
              "wirestat -s --host")
        print(f"  {'counter':<28}{'kernel':>8}{'wirestat':>10}  level  result")
        for label, kv, wv, level, note in rows(side, k, w, dropped):
            if wv is None:
                res = ""
            elif kv == wv:
                res = "equal"
            else:
                res = f"DIFFER by {wv - kv:+d}"
                if level in ("must", "also"):
                    failures.append(f"{side} {label}: kernel {kv}, "
                                    f"wirestat {wv} ({level})")
            wcol = "" if wv is None else str(wv)
            show = note and (res.startswith("DIFFER") or
                             note.startswith(("kernel", "value")))
            print(f"  {label:<28}{kv:>8}{wcol:>10}  {level:<5}  {res}"
                  + (f"  ({note})" if show else ""))
            summary[f"{side} {label}"] = [kv, wv, level]
    with open(os.path.join(args.work, "comparison.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print()
    if failures:
        for f in failures:
            print(f"FAIL {f}")
        return 1
    print("snmp: every asserted counter equal (A and B)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

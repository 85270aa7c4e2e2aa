#!/usr/bin/env python3
"""phs.py WIRESTAT PCAPDIR [--probes] - wirestat's per-protocol packet
counts against tshark's protocol hierarchy, `tshark -q -z io,phs -r FILE`.

For every capture under PCAPDIR that wirestat accepts (exit 2, "not a
capture" or "unsupported link type", is skipped), `wirestat -R FILE -s
--format json` (no --host: every host's view, so each packet is counted
once per direction key) is set beside tshark's hierarchy for the same file,
and these frame counts must be EQUAL:

  tshark (io,phs)            wirestat -s --format json
  ------------------------   ----------------------------------------------
  eth  (Ethernet captures)   wirestat.packets - bad_record_lengths
                             - truncated_link_header - bad_link_header
  ip                         ip.InReceives
                             + (wirestat.truncated_ipv4_header
                                - ip.InTruncatedPkts)
  ip > tcp                   tcp.InSegs
  ip > udp                   udp.OutDatagrams + udp.InErrors
  ip > icmp                  icmp.InMsgs
  ipv6                       ipv6.Ip6InReceives + wirestat.truncated_ipv6_header
  ipv6 > tcp                 tcpv6.InSegs
  ipv6 > udp                 udpv6.Udp6OutDatagrams + udpv6.Udp6InErrors
  ipv6 > icmpv6              icmpv6.Icmp6InMsgs + icmpv6.Icmp6InErrors

How the two sides are read:

* tshark counts a frame under every protocol on its path through the
  dissectors (eth > vlan > ip > tcp > http ...).  A frame has ONE path, so
  "frames with protocol P" is the sum of the hierarchy's nodes named P.
  wirestat decodes one IP layer per frame, the outermost, and its
  transport header; so "ip" here is the frames whose FIRST IP layer
  (ip or ipv6 on the path) is IPv4, and "ip > tcp" those whose node right
  under that first IP layer is tcp.  Tunnelled IP (GRE, IP-in-IP, 6in4,
  Teredo, VXLAN: eth > ip > udp > vxlan > eth > ip > tcp) is then counted
  once, as wirestat counts it (the outer datagram; its payload is UDP or
  ip_other_protocol).  tshark does not put the datagram an ICMP error
  quotes on the path (it is a subtree of icmp), so ICMP errors quoting TCP
  or UDP are counted as ICMP on both sides.  Link layers (vlan,
  ieee8021ad, sll, null, raw) and pcapng's pkt_comment pseudo-layer are
  stepped over; "eth" is counted wherever it is the link layer of an
  Ethernet capture (pkt_comment > eth included).
* Without --host, wirestat counts each packet both as received and sent
  (In* = Out* = every packet); the per-family groups (tcp/tcpv6, ...) split
  the wirestat group's tcp/udp/icmp/icmp6 decode counts by IP version,
  which the test also checks: wirestat.tcp = tcp.InSegs + tcpv6.InSegs,
  udp = OutDatagrams + Udp6OutDatagrams, icmp = InMsgs, icmp6 = Icmp6InMsgs.
* Malformed or truncated transport headers: TCP's InSegs counts them, as
  Linux's does ("Count it even if it's bad"), and InErrs too; UDP does not
  count them as datagrams but as receive errors (InErrors, with
  bad_udp_length); tshark still puts a tcp or udp layer on those frames
  (marked _ws.short or _ws.malformed), hence the UDP sums.  ICMP:
  tshark 4.0 puts no icmp layer on an IPv4 frame whose ICMP header is cut
  or beyond the datagram, but does put icmpv6 on such an IPv6 frame, hence
  + Icmp6InErrors for v6 only (checked by the probes, below).
* A frame cut inside the fixed IPv4 header (fewer than 20 bytes) or the
  IPv6 header (40) has no addresses: wirestat can give it to no host, so
  it is not in InReceives, but tshark shows an ip/ipv6 layer.  Such
  frames are truncated_ipv4_header less those that do reach the addresses
  (InTruncatedPkts counts those), and every truncated_ipv6_header.
* Ethernet: tshark has no eth layer on a frame shorter than the 14-byte
  header (it shows _ws.short or _ws.malformed at the top) nor on a
  zero-length record; wirestat counts those as truncated_link_header,
  bad_link_header and bad_record_lengths.

Where the two cannot agree by definition, the difference is listed in
EXCLUDED below with its reason and its exact size (tshark - wirestat): it
is printed, and the test fails if the difference is any other number
(the exclusion no longer describes what happens, or hides a new bug) or
if the capture is gone.  Anything else that differs fails the test.

--probes also generates a few one-frame captures for the cases the bundled
captures do not have (cut IP headers, IP version mismatch, lone first
fragments, tunnels, short ICMP, IPv6 extension headers, ...) with
phs_probes.py (Debian's /usr/bin/python3 and scapy) and checks them the
same way, with their own exclusions (PROBE_EXCLUDED).

tshark runs with an empty configuration directory, so a user's
preferences (e.g. ip.defragment) cannot change the hierarchy.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

KEYS = ("eth", "ip", "ip>tcp", "ip>udp", "ip>icmp",
        "ipv6", "ipv6>tcp", "ipv6>udp", "ipv6>icmpv6")

# (capture path relative to PCAPDIR, key) -> (tshark - wirestat, reason)
EXCLUDED = {
    ("crafted/bad-caplen-over-len.pcap", "eth"): (1, "caplen"),
    ("crafted/bad-caplen-over-len.pcap", "ip"): (1, "caplen"),
    ("crafted/bad-caplen-over-len.pcap", "ip>tcp"): (1, "caplen"),
    ("crafted/bad-ipv4-total-length.pcap", "ip>tcp"): (1, "totlen"),
    ("crafted/bad-ipv6-ext-loop.pcap", "ipv6>tcp"): (1, "extloop"),
    ("crafted/bad-vlan-deep.pcap", "ip"): (1, "vlandeep"),
    ("crafted/bad-vlan-deep.pcap", "ip>tcp"): (1, "vlandeep"),
    ("crafted/frag-tiny.pcap", "ip>tcp"): (1, "tinyfrag"),
    ("crafted/link-null-le.pcap", "ipv6"): (-3, "nullaf10"),
    ("crafted/link-null-le.pcap", "ipv6>tcp"): (-3, "nullaf10"),
}

REASONS = {
    "caplen": "one record claims caplen 60 > len 40: wirestat rejects the "
              "self-contradicting record (bad_record_lengths), tshark "
              "dissects the 60 captured bytes as eth > ip > tcp",
    "totlen": "IPv4 total length 1500 > the 54-byte frame: wirestat, like "
              "Linux ip_rcv_core() (drops it, IpExt InTruncatedPkts), "
              "rejects it at the IP layer (bad_ipv4_total_length); tshark "
              "flags it and still dissects the TCP header",
    "extloop": "twelve chained hop-by-hop headers: wirestat stops at its "
               "extension depth limit of 8 (bad_ipv6_extension_chain; "
               "Linux drops a hop-by-hop header that is not first, "
               "RFC 8200 4.3), tshark walks them all to the TCP header",
    "vlandeep": "five stacked 802.1Q tags: more than wirestat's limit of 4 "
                "(too_many_vlan_tags, no IP layer), tshark decodes through "
                "them to ip > tcp",
    "tinyfrag": "wirestat does not reassemble: it counts a fragmented "
                "segment at its first fragment, and this first fragment "
                "holds only 8 bytes of the TCP header (RFC 1858 tiny "
                "fragment: ip_fragment); tshark reassembles and counts the "
                "segment at the fragment that completes it",
    "nullaf10": "DLT_NULL with address family 10 (Linux's AF_INET6): "
                "wirestat takes it as IPv6; tshark's null dissector knows "
                "only the BSD values 24, 28, 30 and shows the frames as "
                "data",
}

PROBE_EXCLUDED = {
    ("bad-ip-version.pcap", "ip"): (1, "ipversion"),
    ("bad-ip6-plen.pcap", "ipv6>tcp"): (1, "plen"),
    ("lone-frag4-first.pcap", "ip>udp"): (-1, "lonefrag"),
    ("lone-frag6-first.pcap", "ipv6>tcp"): (-1, "lonefrag"),
}
REASONS.update({
    "ipversion": "ethertype IPv4 carrying an IPv6 header: wirestat knows "
                 "no IPv4 header, hence no host (bad_ip_version, in no "
                 "family's counters; Linux counts InHdrErrors); tshark "
                 "shows an ip layer with a bogus version",
    "plen": "IPv6 payload length 500 > the frame: wirestat, like Linux "
            "ipv6_rcv() (drops it, Ip6InTruncatedPkts), rejects it at the "
            "IP layer (bad_ipv6_payload_length); tshark dissects the TCP "
            "header anyway",
    "lonefrag": "a first fragment whose other fragments are not in the "
                "capture: wirestat counts its transport header, tshark "
                "(reassembling) shows it as data",
})

LINKTYPE_ETHERNET = 1


def link_types(path):
    """The link types of a pcap or pcapng file (every IDB of a pcapng)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return set()
    magic = data[:4]
    for order in ("<", ">"):
        m, = struct.unpack(order + "I", magic)
        if m in (0xa1b2c3d4, 0xa1b23c4d):
            lt, = struct.unpack(order + "I", data[20:24])
            return {lt & 0xffff}
    if magic != b"\x0a\x0d\x0d\x0a":
        return set()
    types, off, order = set(), 0, "<"
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" \
                else ">"
        btype, blen = struct.unpack(order + "II", data[off:off + 8])
        if blen < 12:
            break
        if btype == 1 and off + 10 <= len(data):
            types.add(struct.unpack(order + "H", data[off + 8:off + 10])[0])
        off += blen
    return types


def tshark_phs(path, confdir):
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=confdir,
               HOME=confdir, XDG_CONFIG_HOME=confdir)
    p = subprocess.run(["tshark", "-n", "-q", "-z", "io,phs", "-r", path],
                       capture_output=True, text=True, timeout=300, env=env)
    if "Protocol Hierarchy Statistics" not in p.stdout:
        raise RuntimeError(f"tshark printed no hierarchy (exit "
                           f"{p.returncode}): {p.stderr.strip()[-300:]}")
    nodes, stack = [], []
    for line in p.stdout.splitlines():
        m = re.match(r"^( *)(\S+)\s+frames:(\d+) bytes:(\d+)$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 2
        stack = stack[:depth] + [m.group(2)]
        nodes.append((tuple(stack), int(m.group(3))))
    return nodes


def tshark_counts(nodes):
    """The KEYS from tshark's hierarchy (see the module docstring)."""
    c = dict.fromkeys(KEYS, 0)
    nested = {}
    for path, frames in nodes:
        name = path[-1]
        if name == "eth" and "eth" not in path[:-1] and \
                all(p == "pkt_comment" for p in path[:-1]):
            c["eth"] += frames
        ips = [i for i, p in enumerate(path) if p in ("ip", "ipv6")]
        if not ips:
            continue
        first = ips[0]
        if len(path) == first + 1:
            c[path[first]] += frames
        elif len(path) == first + 2:
            key = path[first] + ">" + path[first + 1]
            if key in c:
                c[key] += frames
        # protocols of interest deeper in the path (tunnelled): shown only
        if len(path) > first + 2 and name in ("ip", "ipv6", "tcp", "udp",
                                              "icmp", "icmpv6"):
            nested[">".join(path)] = frames
    return c, nested


def wirestat_counts(wirestat, path):
    p = subprocess.run([wirestat, "-R", path, "-s", "--format", "json"],
                       capture_output=True, text=True, timeout=300)
    if p.returncode == 2:
        return None, p.returncode, p.stderr.strip()
    if p.returncode not in (0, 1):
        raise RuntimeError(f"wirestat exit {p.returncode}: {p.stderr}")
    g = {x["group"]: x for x in map(json.loads, p.stdout.splitlines())}
    w = g["wirestat"]
    c = {
        "eth": w["packets"] - w["bad_record_lengths"]
        - w["truncated_link_header"] - w["bad_link_header"],
        "ip": g["ip"]["InReceives"]
        + w["truncated_ipv4_header"] - g["ip"]["InTruncatedPkts"],
        "ip>tcp": g["tcp"]["InSegs"],
        "ip>udp": g["udp"]["OutDatagrams"] + g["udp"]["InErrors"],
        "ip>icmp": g["icmp"]["InMsgs"],
        "ipv6": g["ipv6"]["Ip6InReceives"] + w["truncated_ipv6_header"],
        "ipv6>tcp": g["tcpv6"]["InSegs"],
        "ipv6>udp": g["udpv6"]["Udp6OutDatagrams"]
        + g["udpv6"]["Udp6InErrors"],
        "ipv6>icmpv6": g["icmpv6"]["Icmp6InMsgs"]
        + g["icmpv6"]["Icmp6InErrors"],
    }
    # wirestat's own decode counts, split by family in the MIB groups
    internal = []
    # InSegs counts every segment, even a bad one (Linux's tcp_v4_rcv(),
    # "Count it even if it's bad"): the good ones plus at most the bad.
    segs = g["tcp"]["InSegs"] + g["tcpv6"]["InSegs"]
    bad = (w["truncated_tcp_header"] + w["bad_tcp_data_offset"]
           + w["transport_header_beyond_datagram"])
    if not w["tcp"] <= segs <= w["tcp"] + bad:
        internal.append(f"InSegs {segs} outside wirestat.tcp {w['tcp']} "
                        f"+ bad TCP headers {bad}")
    for name, parts in (("udp", (g["udp"]["OutDatagrams"],
                                 g["udpv6"]["Udp6OutDatagrams"])),
                        ("icmp", (g["icmp"]["InMsgs"],)),
                        ("icmp6", (g["icmpv6"]["Icmp6InMsgs"],))):
        if w[name] != sum(parts):
            internal.append(f"wirestat.{name} {w[name]} != per-family "
                            f"{' + '.join(map(str, parts))}")
    # Without --host, every packet is both received and sent.  (Not TCP:
    # OutSegs, as Linux's, may leave retransmissions out.)
    for grp, a, b in (("ip", "InReceives", "OutRequests"),
                      ("ipv6", "Ip6InReceives", "Ip6OutRequests"),
                      ("icmp", "InMsgs", "OutMsgs"),
                      ("icmpv6", "Icmp6InMsgs", "Icmp6OutMsgs")):
        if g[grp][a] != g[grp][b]:
            internal.append(f"{grp}.{a} {g[grp][a]} != {b} {g[grp][b]} "
                            "without --host")
    return (c, internal), p.returncode, None


def captures(root):
    for d, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if name.endswith((".pcap", ".pcapng")):
                yield os.path.join(d, name)


def check_dir(wirestat, root, excluded, confdir, label):
    """Returns (failures, compared, skipped, excluded used)."""
    failures, compared, skipped = [], 0, 0
    used = set()
    totals = {k: [0, 0] for k in KEYS}
    for path in captures(root):
        rel = os.path.relpath(path, root)
        res, rc, err = wirestat_counts(wirestat, path)
        if res is None:
            print(f"skip {label}{rel}: wirestat refuses it (exit {rc}: "
                  f"{err.splitlines()[-1] if err else ''})")
            skipped += 1
            continue
        wc, internal = res
        nodes = tshark_phs(path, confdir)
        tc, nested = tshark_counts(nodes)
        eth = link_types(path) == {LINKTYPE_ETHERNET}
        compared += 1
        cells, bad, notes = [], [], []
        for k in KEYS:
            if k == "eth" and not eth:
                continue
            t, w = tc[k], wc[k]
            totals[k][0] += t
            totals[k][1] += w
            ex = excluded.get((rel, k))
            if ex is not None:
                used.add((rel, k))
                if t - w == ex[0]:
                    cells.append(f"{k} {t}/{w} (excluded)")
                    notes.append(f"excluded {k}: tshark {t}, wirestat {w}: "
                                 f"{REASONS[ex[1]]}")
                    continue
                bad.append(f"{k}: tshark {t}, wirestat {w}, difference "
                           f"{t - w} but EXCLUDED expects {ex[0]} "
                           f"({REASONS[ex[1]]})")
                continue
            if t != w:
                bad.append(f"{k}: tshark {t}, wirestat {w}")
            if t or w:
                cells.append(f"{k} {t}" if t == w else f"{k} {t}/{w}")
        bad += internal
        status = "FAIL" if bad else "ok  "
        print(f"{status} {label}{rel}" + (" (exit 1)" if rc == 1 else "")
              + ": " + ", ".join(cells))
        for n in notes:
            print(f"       {n}")
        for n, f in sorted(nested.items()):
            print(f"       nested, not compared: {n} frames:{f}")
        for b in bad:
            print(f"       MISMATCH {b}")
            failures.append(f"{label}{rel} {b}")
    for key in sorted(set(excluded) - used):
        failures.append(f"{label}{key[0]} {key[1]}: listed in the "
                        "exclusions but not compared (capture gone or "
                        "refused?)")
    print(f"{label or 'pcaps/'} totals (tshark/wirestat): " + ", ".join(
        f"{k} {t}/{w}" for k, (t, w) in totals.items()))
    return failures, compared, skipped


def main():
    args = sys.argv[1:]
    probes = "--probes" in args
    args = [a for a in args if a != "--probes"]
    if len(args) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    wirestat, root = args
    if not shutil.which("tshark"):
        print("tshark-phs: tshark is not installed (Debian: apt-get install "
              "tshark)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="wirestat-phs-") as tmp:
        confdir = os.path.join(tmp, "wireshark")
        os.mkdir(confdir)
        failures, compared, skipped = check_dir(wirestat, root, EXCLUDED,
                                                confdir, "")
        if probes:
            pdir = os.path.join(tmp, "probes")
            gen = subprocess.run(["/usr/bin/python3",
                                  os.path.join(HERE, "phs_probes.py"), pdir],
                                 capture_output=True, text=True)
            if gen.returncode != 0:
                failures.append("phs_probes.py failed: " +
                                gen.stderr.strip()[-500:])
            else:
                f2, c2, s2 = check_dir(wirestat, pdir, PROBE_EXCLUDED,
                                       confdir, "probe ")
                failures += f2
                compared += c2
                skipped += s2
    print(f"tshark-phs: {compared} captures compared, {skipped} refused by "
          f"wirestat, {len(failures)} unexplained difference(s)")
    for f in failures:
        print(f"FAIL {f}")
    return 1 if failures or not compared else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""conn_check.py WIRESTAT PCAPDIR - connection records against the packet
counters and against tshark's conversations, on every capture we have.

For each capture under PCAPDIR that wirestat accepts (exit 2, a refused
file, is skipped; exit 1, a capture that ends badly, is checked for what
was read):

(a) Every packet is in exactly one record.  The sum over all records of
    `wirestat -R FILE --conn -n --format json` of orig_pkts + resp_pkts
    equals the decoded TCP, UDP, ICMP and ICMPv6 packets of
    `wirestat -R FILE -s --format json` (group "wirestat": tcp + udp +
    icmp + icmp6) less those that found no flow (group "wirestat_flows":
    packets_without_flow).  Both runs use the default flow cap.

(b) Per connection tuple, the packets agree with tshark's conversations
    (`tshark -n -q -z conv,tcp -z conv,udp -r FILE`, column Total Frames):
    the records of a TCP or UDP tuple, summed over all of them (a tuple
    reused for several connections, or split by the close, attempt or
    inactivity delays, is several records; tshark too may list a reused
    tuple twice: its rows are summed as well), hold as many packets as
    tshark's conversation.  ICMP has no tshark conversation table and is
    covered by (a) only.
    To tell a legitimate difference from a wrong count, tshark's own
    per-frame dissection (`tshark -T fields`) sorts the tuple's frames into
    plain ones, which both tools must count, and odd ones, which either
    may leave out, each for a reason printed with the frame number:
      - cut by the snaplen inside a TCP or IP header (_ws.short): tshark
        stops dissecting before its conversation tap, wirestat counts the
        segment when its 20-byte header is whole (snaplen-54);
      - malformed at a layer wirestat decodes (_ws.malformed naming
        Ethernet, IP, TCP or UDP), an IPv4 length that cannot be true, more
        VLAN tags than wirestat's 4, or an IP/TCP header tshark warns about
        (an expert warning outside TCP's sequence analysis on a frame with
        nothing above TCP/UDP): wirestat's decoder refuses them, tshark
        taps some (bad-ipv4-total-length, bad-ipv6-ext-loop,
        bad-vlan-deep, bad-caplen-over-len) and not others (bad TCP data
        offsets);
      - a reassembled IP datagram (ip.fragments): tshark counts it at its
        last fragment, wirestat at its first fragment when that holds the
        whole TCP header, not at all otherwise (frag-tiny).
    The check passes when every plain frame plus some of the odd ones make
    up tshark's count (and its byte total, where the table prints exact
    bytes), and every plain frame plus some odd ones make up wirestat's
    count and, by (c), its IP bytes; the odd frames in one and not the
    other are printed.  Other legitimate differences:
      - VLANs: the same tuple on two VLANs is two wirestat flows (keyed on
        the VLAN tags) and one tshark conversation (keyed on addresses and
        ports): records are summed over VLANs (vlan-same-tuple).
      - ICMP errors quoting a TCP or UDP header: wirestat counts them in an
        ICMP record, never in the quoted tuple's.  tshark 4.0 does not put
        them in the quoted conversation either; a tshark that does is
        allowed exactly the number of quoting frames its dissection shows
        (an ICMP error type with inner ports).
      - Frames tshark does not decode as IP at all (DLT_NULL carrying
        Linux's AF_INET6, 10, which tshark takes for no IPv6: link-null-le):
        tuples tshark has no frame of may hold at most that many packets.
    Any other difference fails.

(c) Per tuple, the IP bytes agree: orig_ip_bytes + resp_ip_bytes summed
    over the tuple's records equals the IP lengths (IPv4 total length,
    IPv6 payload length + 40) of the frames counted in (b).  tshark's
    conversation Bytes are frame bytes (link header, VLAN tags and
    Ethernet padding included, and printed as "kB" past 10000), so the IP
    bytes are derived from its per-frame dissection, which (b) ties to the
    conversation table (frame count, and exact byte total where printed).
    Skipped, with the reason printed: tuples with a reassembled IP
    datagram (tshark's frame holds the last fragment's IP header,
    wirestat the first fragment's).

Exit status: 0 all checks passed, 1 a check failed, 77 tshark is not
installed (after (a) passed on every capture)."""
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

TIMEOUT = 300
ICMP_ERRORS_V4 = {3, 4, 5, 11, 12}
ICMP_ERRORS_V6 = {1, 2, 3, 4}

failures = []
notes = []


def fail(path, msg):
    failures.append(f"{path}: {msg}")
    print(f"FAIL {path}: {msg}")


def note(path, msg):
    notes.append(f"{path}: {msg}")
    print(f"  note {path}: {msg}")


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=TIMEOUT)


# ---------------------------------------------------------------- wirestat

def wirestat_stats(wirestat, path):
    p = run([wirestat, "-R", path, "-s", "--format", "json"])
    if p.returncode == 2:
        return None
    if p.returncode not in (0, 1):
        raise RuntimeError(f"-s: exit status {p.returncode}: "
                           f"{p.stderr.strip()}")
    return {g["group"]: g for g in map(json.loads, p.stdout.splitlines())}


def wirestat_records(wirestat, path):
    p = run([wirestat, "-R", path, "--conn", "-n", "--format", "json"])
    if p.returncode not in (0, 1):
        raise RuntimeError(f"--conn: exit status {p.returncode}: "
                           f"{p.stderr.strip()}")
    return [json.loads(line) for line in p.stdout.splitlines()]


def tuple_key(proto, a, pa, b, pb):
    """A connection tuple in canonical order (VLAN left out)."""
    ends = sorted([(a, int(pa)), (b, int(pb))])
    return (proto, ends[0][0], ends[0][1], ends[1][0], ends[1][1])


def norm_addr(a):
    """tshark and wirestat both print compressed IPv6; IPv4 as is."""
    return a.lower()


# ---------------------------------------------------------------- tshark

CONV_RE = re.compile(
    r"^(?P<a>\S+):(?P<pa>\d+)\s+<->\s+(?P<b>\S+):(?P<pb>\d+)\s+"
    r"(?P<f1>\d+)\s+(?P<b1>[\d,]+)\s+(?P<u1>\S+)\s+"
    r"(?P<f2>\d+)\s+(?P<b2>[\d,]+)\s+(?P<u2>\S+)\s+"
    r"(?P<ft>\d+)\s+(?P<bt>[\d,]+)\s+(?P<ut>\S+)\s+")


def tshark_conversations(tshark, path):
    """{tuple: [frames, bytes or None (not exact)]}, rows of one tuple
    summed."""
    p = run([tshark, "-n", "-q", "-z", "conv,tcp", "-z", "conv,udp",
             "-r", path])
    if p.returncode != 0 and not p.stdout:
        raise RuntimeError(f"tshark conv: exit status {p.returncode}: "
                           f"{p.stderr.strip()}")
    convs = {}
    proto = None
    for line in p.stdout.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        m = CONV_RE.match(line)
        if not m or not proto:
            continue
        k = tuple_key(proto, norm_addr(m["a"]), m["pa"], norm_addr(m["b"]),
                      m["pb"])
        frames = int(m["ft"])
        nbytes = (int(m["bt"].replace(",", "")) if m["ut"] == "bytes"
                  else None)
        if k in convs:
            old = convs[k]
            convs[k] = [old[0] + frames,
                        None if old[1] is None or nbytes is None
                        else old[1] + nbytes]
        else:
            convs[k] = [frames, nbytes]
    return convs


FIELDS = ["frame.number", "frame.len", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "ip.len", "ipv6.plen", "ip.hdr_len", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type",
          "icmpv6.type", "_ws.malformed", "_ws.short", "ip.fragments",
          "vlan.id", "_ws.expert.group", "_ws.expert.severity",
          "frame.protocols"]
MULTI = ("vlan.id", "_ws.expert.group", "_ws.expert.severity",
         "_ws.malformed", "_ws.short")

# epan/proto.h: expert groups and severities
PI_SEQUENCE = 0x02000000
PI_WARN = 0x00600000
MAX_VLAN_TAGS = 4  # wirestat's decoder


def tshark_frames(tshark, path):
    """One dict per frame of tshark's dissection: the first occurrence of
    each field (the outer header's), all of them for MULTI."""
    cmd = [tshark, "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = run(cmd)
    frames = []
    for line in p.stdout.splitlines():
        v = {}
        for f, x in zip(FIELDS, line.split("\t")):
            vals = [y for y in x.split(",") if y]
            v[f] = vals if f in MULTI else (vals[0] if vals else "")
        frames.append(v)
    return frames


def frame_tuple(fr):
    """(tuple, quoted): the frame's TCP/UDP tuple by its outer addresses,
    or for an ICMP error quoting a TCP/UDP header the quoted tuple's
    (protocol, its source, source port, destination port), or None."""
    icmp4, icmp6 = fr.get("icmp.type"), fr.get("icmpv6.type")
    if fr.get("tcp.srcport"):
        proto, sp, dp = "tcp", fr["tcp.srcport"], fr["tcp.dstport"]
    elif fr.get("udp.srcport"):
        proto, sp, dp = "udp", fr["udp.srcport"], fr["udp.dstport"]
    else:
        return None, False
    if icmp4 or icmp6:
        # the ports are the quoted datagram's; the error goes back to
        # the quoted datagram's source
        quoted = (icmp4 and int(icmp4) in ICMP_ERRORS_V4) or \
                 (icmp6 and int(icmp6) in ICMP_ERRORS_V6)
        if not quoted:
            return None, False
        src = fr.get("ip.dst") or fr.get("ipv6.dst")
        return (proto, norm_addr(src), int(sp), int(dp)), True
    a = fr.get("ip.src") or fr.get("ipv6.src")
    b = fr.get("ip.dst") or fr.get("ipv6.dst")
    if not a or not b:
        return None, False
    return tuple_key(proto, norm_addr(a), sp, norm_addr(b), dp), False


def ip_len(fr):
    if fr.get("ip.len"):
        return int(fr["ip.len"])
    if fr.get("ipv6.plen"):
        return int(fr["ipv6.plen"]) + 40
    return None


# The layers wirestat decodes (frame.protocols names, and the names in
# tshark's "[Malformed Packet: X]" and "[Packet size limited during
# capture: X truncated]"): a fault above them (say a UDP payload on port
# 53 that is no DNS message) concerns neither tool's count.
LOW_LAYERS = ("frame", "eth", "ethertype", "vlan", "null", "loop", "sll",
              "raw", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6")
LOW_NAMES = ("Ethernet", "802.1Q", "Null", "Linux cooked", "Raw", "IPv4",
             "IPv6", "TCP", "UDP", "ICMP")


def low_layer(text):
    """Whether a malformed or truncated note names a layer wirestat
    decodes (a bare field name names none: then the frame's last
    dissected protocol tells)."""
    m = re.search(r": ([^\]]+?)(?: truncated)?\]", text)
    return m is not None and m.group(1).startswith(LOW_NAMES)


def top_is_low(fr):
    top = (fr.get("frame.protocols") or "").split(":")[-1]
    return top.split(".")[0] in LOW_LAYERS


def anomaly(fr):
    """Why either tool may leave this frame out of the tuple's count, or
    None for a plain frame, which both must count."""
    if any(low_layer(t) for t in fr.get("_ws.short", [])):
        return "cut by the snaplen inside a header"
    bad = fr.get("_ws.malformed", [])
    if any(low_layer(t) for t in bad) or (bad and top_is_low(fr) and not any(
            t.startswith("[") for t in bad)):
        return "malformed (tshark)"
    if fr.get("ip.fragments"):
        return "a reassembled IP datagram"
    if len(fr.get("vlan.id", [])) > MAX_VLAN_TAGS:
        return f"{len(fr['vlan.id'])} VLAN tags"
    if fr.get("ip.len"):
        hl = int(fr.get("ip.hdr_len") or 20)
        total = int(fr["ip.len"])
        if hl < 20 or total < hl or total > int(fr["frame.len"]):
            return "an IPv4 length that cannot be true"
    if top_is_low(fr):
        for g, sev in zip(fr.get("_ws.expert.group", []),
                          fr.get("_ws.expert.severity", [])):
            if int(g) != PI_SEQUENCE and int(sev) >= PI_WARN:
                return "an IP or TCP header tshark warns about"
    return None


def subsets(items, n):
    """Every n-element subset of items (few: items are anomalous frames)."""
    if n < 0 or n > len(items):
        return
    if n == 0:
        yield []
        return
    for i in range(len(items)):
        for rest in subsets(items[i + 1:], n - 1):
            yield [items[i]] + rest


# ---------------------------------------------------------------- checks

def check_a(path, stats, records):
    w = stats.get("wirestat")
    flows = stats.get("wirestat_flows", {})
    if w is None:
        fail(path, "(a) no wirestat group in -s")
        return
    decoded = w["tcp"] + w["udp"] + w["icmp"] + w["icmp6"]
    expected = decoded - flows.get("packets_without_flow", 0)
    total = sum(r["orig_pkts"] + r["resp_pkts"] for r in records)
    if total != expected:
        fail(path, f"(a) records hold {total} packets; -s decoded "
             f"tcp {w['tcp']} + udp {w['udp']} + icmp {w['icmp']} + icmp6 "
             f"{w['icmp6']} less {flows.get('packets_without_flow', 0)} "
             f"without flow = {expected}")


def frame_list(frames):
    return ", ".join(f"{f['frame.number']} ({anomaly(f)})" for f in frames)


def check_bc(path, records, convs, frames):
    ws = defaultdict(lambda: [0, 0, set()])  # pkts, ip bytes, VLAN tags
    for r in records:
        if r["proto"] not in ("tcp", "udp"):
            continue
        k = tuple_key(r["proto"], norm_addr(r["orig_addr"]), r["orig_port"],
                      norm_addr(r["resp_addr"]), r["resp_port"])
        e = ws[k]
        e[0] += r["orig_pkts"] + r["resp_pkts"]
        e[1] += r["orig_ip_bytes"] + r["resp_ip_bytes"]
        e[2].add((r.get("vlan"), r.get("inner_vlan")))

    per = defaultdict(list)    # tuple -> its frames (ICMP errors apart)
    quoted = defaultdict(int)  # (proto, source, sport, dport) -> frames
    not_ip = 0                 # frames tshark did not decode as IP
    for fr in frames:
        if not (fr.get("ip.src") or fr.get("ipv6.src")):
            not_ip += 1
            continue
        k, q = frame_tuple(fr)
        if k is None:
            continue
        if q:
            quoted[k] += 1
        else:
            per[k].append(fr)

    undecoded = []  # tuples tshark has no frame of at all
    for k in sorted(set(ws) | set(convs), key=str):
        name = f"{k[0]} {k[1]}:{k[2]} <-> {k[3]}:{k[4]}"
        w_pkts, w_ip, vlans = ws.get(k, [0, 0, set()])
        t_frames, t_bytes = convs.get(k, [0, None])
        fr = per.get(k, [])
        if len(vlans) > 1:
            note(path, f"{name}: on {len(vlans)} VLANs, records summed "
                 "(one tshark conversation)")
        if not fr and not t_frames:
            undecoded.append((name, w_pkts))
            continue
        odd = [f for f in fr if anomaly(f)]
        plain = [f for f in fr if not anomaly(f)]
        q = quoted.get((k[0], k[1], k[2], k[4]), 0) + \
            quoted.get((k[0], k[3], k[4], k[2]), 0)

        # Which frames are in tshark's conversation: every plain frame,
        # and as many odd ones as make up its count (and its exact bytes);
        # perhaps the ICMP errors quoting the tuple too.
        table = None
        for extra_q in ((0, q) if q else (0,)):
            for s in subsets(odd, t_frames - extra_q - len(plain)):
                if t_bytes is None or t_bytes == sum(
                        int(f["frame.len"]) for f in plain + s) or extra_q:
                    table = (s, extra_q)
                    break
            if table:
                break
        if table is None:
            fail(path, f"{name}: tshark's table has {t_frames} frames, its "
                 f"dissection {len(plain)} plain and {len(odd)} odd ones "
                 f"({frame_list(odd)})")
            continue

        # (b) and (c): which frames are in wirestat's records: every plain
        # frame, and as many odd ones as make up its count, whose IP
        # lengths make up its IP bytes (reassembled datagrams aside).
        reassembled = any(f.get("ip.fragments") for f in fr)
        found = None
        for s in subsets(odd, w_pkts - len(plain)):
            lens = [ip_len(f) for f in plain + s]
            if reassembled or (None not in lens and sum(lens) == w_ip):
                found = s
                break
        if found is None:
            if w_pkts - len(plain) in range(0, len(odd) + 1):
                fail(path, f"{name}: (c) wirestat's records hold {w_ip} IP "
                     f"bytes, which no {w_pkts} of tshark's frames of the "
                     "conversation add up to")
            else:
                fail(path, f"{name}: (b) wirestat's records hold {w_pkts} "
                     f"packets, tshark's conversation {t_frames} frames "
                     f"({len(plain)} plain, odd: {frame_list(odd) or '-'})")
            continue
        s_table, extra_q = table
        only_t = [f for f in s_table if f not in found]
        only_w = [f for f in found if f not in s_table]
        why = []
        if extra_q:
            why.append(f"{extra_q} ICMP errors quoting it are in tshark's "
                       "conversation (wirestat: an ICMP record)")
        if only_t:
            why.append("in tshark's conversation, not wirestat's records: "
                       "frames " + frame_list(only_t))
        if only_w:
            why.append("in wirestat's records, not tshark's conversation: "
                       "frames " + frame_list(only_w))
        if why:
            note(path, f"{name}: (b) wirestat {w_pkts}, tshark {t_frames}: "
                 + "; ".join(why))
        if reassembled:
            note(path, f"{name}: (c) skipped: a reassembled IP datagram "
                 "(tshark's frame has the last fragment's IP header, "
                 "wirestat counts the first fragment's)")

    if undecoded:
        n = sum(p for _, p in undecoded)
        names = ", ".join(f"{name} ({p})" for name, p in undecoded)
        if n <= not_ip:
            note(path, f"{names}: not in tshark's dissection at all; "
                 f"tshark decodes {not_ip} frames as no IP (e.g. DLT_NULL "
                 "with Linux's AF_INET6, 10)")
        else:
            fail(path, f"{names}: {n} packets in wirestat's records, none "
                 f"in tshark's dissection ({not_ip} frames not IP there)")


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 1
    wirestat, root = sys.argv[1], sys.argv[2]
    tshark = shutil.which("tshark")
    checked = skipped = 0
    for d, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(d, name)
            rel = os.path.relpath(path, root)
            try:
                stats = wirestat_stats(wirestat, path)
                if stats is None:
                    skipped += 1
                    continue
                records = wirestat_records(wirestat, path)
                check_a(rel, stats, records)
                if tshark:
                    check_bc(rel, records, tshark_conversations(tshark, path),
                             tshark_frames(tshark, path))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                fail(rel, str(e))
            checked += 1
    print(f"conn_check: {checked} captures checked, {skipped} refused, "
          f"{len(notes)} documented differences, {len(failures)} failures"
          + ("" if tshark else "; tshark not installed: (b), (c) skipped"))
    if failures:
        return 1
    if not checked:
        return 1
    return 0 if tshark else 77


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""dns_seeds.py SRCDIR OUTDIR - seed corpus for fuzz_dns.

Writes one file per message in fuzz_dns.c's format (a flags byte: bit 0
TCP, bit 1 mDNS, top 6 bits the bytes lost at the end; then the payload):
- every DNS_VEC(...) row of SRCDIR/tests/unit/test_dns.c (good and
  malformed messages, with their flags and cuts);
- every UDP or TCP payload on port 53 or 5353 in the classic pcaps under
  SRCDIR/pcaps (Ethernet, VLAN, raw IP and Linux cooked captures).
Pure Python: no third-party modules."""
import os
import re
import struct
import sys

VEC = re.compile(r'DNS_VEC\(\s*"(\w+)",\s*([^,]+),\s*(\d+),\s*\w+,\s*\d+,'
                 r'((?:\s*"[0-9a-f]*")+)\s*\)')
FLAGS = {"DNS_F_TCP": 1, "DNS_F_MDNS": 2}


def vectors(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for m in VEC.finditer(text):
        flags = 0
        for word in re.findall(r"\w+", m.group(2)):
            flags |= FLAGS.get(word, 0)
        cut = min(int(m.group(3)), 63)
        payload = bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"',
                                                   m.group(4))))
        yield m.group(1), bytes([flags | cut << 2]) + payload


def ip_payload(pkt):
    """(proto, sport, dport, payload) of an IPv4/IPv6 packet, or None."""
    if len(pkt) < 1:
        return None
    v = pkt[0] >> 4
    if v == 4 and len(pkt) >= 20:
        ihl = (pkt[0] & 15) * 4
        proto = pkt[9]
        total = struct.unpack(">H", pkt[2:4])[0]
        body = pkt[ihl:total]
    elif v == 6 and len(pkt) >= 40:
        proto = pkt[6]
        body = pkt[40:40 + struct.unpack(">H", pkt[4:6])[0]]
    else:
        return None
    if proto == 17 and len(body) >= 8:
        sport, dport = struct.unpack(">HH", body[:4])
        return proto, sport, dport, body[8:]
    if proto == 6 and len(body) >= 20:
        sport, dport = struct.unpack(">HH", body[:4])
        return proto, sport, dport, body[(body[12] >> 4) * 4:]
    return None


def link_payload(linktype, frame):
    if linktype == 1:  # Ethernet, VLAN tags skipped
        off, etype = 12, None
        while len(frame) >= off + 2:
            etype = struct.unpack(">H", frame[off:off + 2])[0]
            if etype in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        return frame[off + 2:] if etype in (0x0800, 0x86DD) else None
    if linktype in (12, 101, 228, 229):  # raw IP
        return frame
    if linktype == 113:  # Linux cooked v1
        return frame[16:]
    return None


def captures(root):
    for base, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".pcap"):
                continue
            path = os.path.join(base, name)
            if os.path.getsize(path) > 1 << 20:
                continue
            with open(path, "rb") as f:
                data = f.read()
            if len(data) < 24:
                continue
            if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
                end = "<"
            elif data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
                end = ">"
            else:
                continue
            linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
            off, i = 24, 0
            while off + 16 <= len(data):
                caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
                frame = data[off + 16:off + 16 + caplen]
                off += 16 + caplen
                i += 1
                ip = link_payload(linktype, frame)
                got = ip_payload(ip) if ip else None
                if not got or not got[3]:
                    continue
                proto, sport, dport, payload = got
                if proto == 17 and 5353 in (sport, dport):
                    flags = 2
                elif 53 in (sport, dport):
                    flags = 1 if proto == 6 else 0
                else:
                    continue
                seed = os.path.relpath(path, root).replace("/", "_")
                yield f"{seed}-{i}", bytes([flags]) + payload


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    n = 0
    test = os.path.join(src, "tests", "unit", "test_dns.c")
    for name, body in list(vectors(test)) + list(
            captures(os.path.join(src, "pcaps"))):
        with open(os.path.join(dst, name), "wb") as f:
            f.write(body)
        n += 1
    print(f"dns seeds: {n} messages")


if __name__ == "__main__":
    main()

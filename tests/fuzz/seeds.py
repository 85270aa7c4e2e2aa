#!/usr/bin/env python3
"""seeds.py PCAPDIR OUTDIR - seed corpora for the libFuzzer targets.

OUTDIR/pcap/   every capture under PCAPDIR, as is (fuzz_pcap)
OUTDIR/packet/ each classic pcap turned into fuzz_packet's format: one
               byte choosing the link type, then per packet a 2-byte
               big-endian length and the bytes (see fuzz_packet.c)
Pure Python: no third-party modules."""
import os
import shutil
import struct
import sys

# fuzz_packet.c's dlts[] order
DLT_INDEX = {1: 0, 113: 1, 276: 2, 12: 3, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}


def packets(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return None
        magic = hdr[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            return None
        linktype = struct.unpack(end + "I", hdr[20:24])[0] & 0xFFFF
        out = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, caplen, _ = struct.unpack(end + "IIII", rec)
            data = f.read(min(caplen, 0x7FFF))
            if len(data) < min(caplen, 0x7FFF):
                break
            out.append(data)
            if caplen > 0x7FFF:
                f.seek(caplen - 0x7FFF, 1)
        return linktype, out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    for sub in ("pcap", "packet"):
        os.makedirs(os.path.join(dst, sub), exist_ok=True)
    n = 0
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(root, name)
            if os.path.getsize(path) > 1 << 20:
                continue
            seed = os.path.relpath(path, src).replace("/", "_")
            shutil.copyfile(path, os.path.join(dst, "pcap", seed))
            got = packets(path)
            if got and got[0] in DLT_INDEX:
                body = bytes([DLT_INDEX[got[0]]])
                for p in got[1]:
                    body += struct.pack(">H", len(p)) + p
                with open(os.path.join(dst, "packet", seed), "wb") as f:
                    f.write(body)
            n += 1
    print(f"seeds: {n} captures from {src}")


if __name__ == "__main__":
    main()

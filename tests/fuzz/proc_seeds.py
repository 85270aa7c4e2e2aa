#!/usr/bin/env python3
"""proc_seeds.py FIXTURES OUTDIR - seed corpus for fuzz_proc.

Every fixture file under FIXTURES (tests/unit/fixtures: the clean tree and
the malformed one) becomes a seed in fuzz_proc's format: one byte naming
the parser (fuzz_proc.c's P_* order), one byte for the cap (255: the
default caps), then the file.  The fd links and comm files of the owner
fixtures make seeds for the link and comm parsers, and a few ctnetlink
datagrams (NEW, UPDATE, DESTROY; IPv4 TCP and IPv6 UDP) are built here.
Pure Python: no third-party modules."""
import os
import socket
import struct
import sys

PARSERS = {"tcp": 0, "tcp6": 1, "udp": 2, "udp6": 3, "route": 4,
           "ipv6_route": 5, "dev": 6, "snmp": 7, "netstat": 7, "snmp6": 8}
P_LINKS = 9
P_CONNTRACK = 10
NESTED = 0x8000


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * (-n % 4)


def tuple_(src, dst, proto, sport, dport):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    a, b = (3, 4) if fam == socket.AF_INET6 else (1, 2)
    ip = attr(a, socket.inet_pton(fam, src)) + \
        attr(b, socket.inet_pton(fam, dst))
    pr = attr(1, bytes([proto])) + attr(2, struct.pack(">H", sport)) + \
        attr(3, struct.pack(">H", dport))
    return attr(1 | NESTED, ip) + attr(2 | NESTED, pr)


def message(msg, flags, src, dst, proto, sport, dport, tcp_state=None):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    body = attr(1 | NESTED, tuple_(src, dst, proto, sport, dport))
    body += attr(2 | NESTED, tuple_(dst, src, proto, dport, sport))
    body += attr(3, struct.pack(">I", 0x0e))       # status
    body += attr(7, struct.pack(">I", 120))        # timeout
    body += attr(8, struct.pack(">I", 42))         # mark
    if tcp_state is not None:
        info = attr(1 | NESTED, attr(1, bytes([tcp_state])))
        body += attr(4 | NESTED, info)
    body = struct.pack("=BBH", fam, 0, 0) + body
    hdr = struct.pack("=IHHII", 16 + len(body), 1 << 8 | msg, flags, 0, 0)
    return hdr + body


def write(out, name, parser, content):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([parser, 255]) + content)


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src).replace("/", "_")
        for name in sorted(files):
            path = os.path.join(root, name)
            seed = f"{rel}_{name}"
            if os.path.islink(path):
                write(out, seed, P_LINKS, os.readlink(path).encode())
            elif name in PARSERS:
                with open(path, "rb") as f:
                    write(out, seed, PARSERS[name], f.read())
            elif name == "comm":
                with open(path, "rb") as f:
                    write(out, seed, P_LINKS, f.read())
            else:
                continue
            n += 1
        for name in dirs:  # fd links to directories are never followed
            path = os.path.join(root, name)
            if os.path.islink(path):
                write(out, f"{rel}_{name}", P_LINKS,
                      os.readlink(path).encode())
    ct = message(0, 0x600, "10.0.0.1", "192.0.2.7", 6, 40000, 443, 3)
    ct += message(0, 0, "fd00::1", "fd00::2", 17, 5353, 53)
    ct += message(2, 0, "10.0.0.1", "192.0.2.7", 6, 40000, 443, 7)
    ct += struct.pack("=IHHII", 16, 3, 2, 0, 0)  # NLMSG_DONE
    write(out, "conntrack_events", P_CONNTRACK, ct)
    print(f"proc seeds: {n + 1} from {src}")


if __name__ == "__main__":
    main()

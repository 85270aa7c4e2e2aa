#!/usr/bin/env python3
"""gen_flood.py OUT.pcap [SYNS] [LEGIT] - a SYN flood with real connections.

LEGIT clients (10.9.0.x) open connections to 10.8.0.1:443 before the
flood and keep them alive with a data segment (and its ACK) every 10 s of
packet time.  Then SYNS SYNs from distinct spoofed sources (100.64.0.0/10,
every one a new flow) hit 10.8.0.1:80 over 60 s of packet time; the
server answers every fourth with a SYN-ACK, as a server does until its
backlog fills.  Written with struct, no third-party modules; deterministic.
"""
import struct
import sys

SERVER = bytes([10, 8, 0, 1])
MAC_A = b"\x02\x00\x00\x00\x00\x01"
MAC_B = b"\x02\x00\x00\x00\x00\x02"
T0 = 1_700_000_000


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, 6, 0, src, dst)
    return MAC_B + MAC_A + b"\x08\x00" + ip + tcp


def main():
    out = sys.argv[1]
    syns = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    legit = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    SYN, ACK, PSH, SYNACK = 0x02, 0x10, 0x08, 0x12
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(t_us, frame):
            f.write(struct.pack("<IIII", T0 + t_us // 1_000_000,
                                t_us % 1_000_000, len(frame), len(frame)))
            f.write(frame)

        conns = []
        t = 0
        for i in range(legit):
            cli = bytes([10, 9, i // 256, i % 256])
            sport, cseq, sseq = 40000 + i, 1000 + i, 900000 + i
            put(t, tcp_frame(cli, SERVER, sport, 443, cseq, 0, SYN))
            put(t + 50, tcp_frame(SERVER, cli, 443, sport, sseq, cseq + 1,
                                  SYNACK))
            put(t + 100, tcp_frame(cli, SERVER, sport, 443, cseq + 1,
                                   sseq + 1, ACK))
            conns.append([cli, sport, cseq + 1, sseq + 1])
            t += 200
        span = 60_000_000
        start = t + 1000
        next_keepalive = start
        k = 0
        for n in range(syns):
            ts = start + n * span // syns
            while ts >= next_keepalive:
                # every legit connection speaks once per 10 s
                for c in conns:
                    cli, sport, cseq, sseq = c
                    put(next_keepalive, tcp_frame(cli, SERVER, sport, 443,
                                                  cseq, sseq, PSH | ACK,
                                                  b"ping"))
                    put(next_keepalive + 20, tcp_frame(SERVER, cli, 443,
                                                       sport, sseq,
                                                       cseq + 4, ACK))
                    c[2] += 4
                next_keepalive += 10_000_000
                k += 1
            a = 0x40000000 + n  # 100.64.0.0/10, one source per SYN
            src = struct.pack("!I", a)
            sport = 1024 + n % 60000
            seq = (n * 2654435761) & 0xFFFFFFFF
            put(ts, tcp_frame(src, SERVER, sport, 80, seq, 0, SYN))
            if n % 4 == 0:
                put(ts + 10, tcp_frame(SERVER, src, 80, sport,
                                       (seq * 7) & 0xFFFFFFFF, seq + 1,
                                       SYNACK))
        # the legit connections speak last, so the report time is now
        for c in conns:
            cli, sport, cseq, sseq = c
            put(start + span + 1000, tcp_frame(cli, SERVER, sport, 443, cseq,
                                               sseq, PSH | ACK, b"last"))


if __name__ == "__main__":
    main()

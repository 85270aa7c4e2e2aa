#!/usr/bin/python3
"""phs_probes.py OUTDIR - one-frame (or few-frame) captures for phs.py.

Cases the bundled captures do not have, written to check phs.py's
correspondence between wirestat's counters and tshark's protocol
hierarchy where it is least obvious: headers cut by snaplen at each layer,
lengths that lie, an IP version that contradicts the ethertype, fragments
(alone and complete), tunnels (GRE, IP-in-IP both ways, Teredo, VXLAN),
ICMP errors quoting TCP and UDP, IPv6 extension headers, other link-layer
protocols.  Needs scapy (Debian's python3-scapy).  Deterministic: fixed
addresses, timestamps and fragment ids."""
import os
import struct
import sys

from scapy.all import (AH, ARP, GRE, ICMP, IP, LLC, STP, TCP, UDP, VXLAN,
                       Dot1Q, Ether, ICMPv6DestUnreach, ICMPv6EchoRequest,
                       IPOption_Router_Alert, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, fragment,
                       fragment6)

A4, B4 = "10.203.0.1", "10.203.0.2"
A6, B6 = "fd20:3::1", "fd20:3::2"


def E(**kw):
    kw.setdefault("dst", "02:00:00:00:00:02")
    return Ether(src="02:00:00:00:00:01", **kw)


CAPS = {}


def cap(name, *frames):
    """frames: packets or (packet, captured length)."""
    CAPS[name] = [f if isinstance(f, tuple) else (f, None) for f in frames]


def build():
    tcp4 = IP(src=A4, dst=B4) / TCP(sport=40000, dport=80, flags="S")
    tcp6 = IPv6(src=A6, dst=B6) / TCP(sport=40000, dport=80, flags="S")
    cap("trunc-ipv4-fixed", (E() / tcp4, 14 + 10))
    cap("trunc-ipv4-options",
        (E() / IP(src=A4, dst=B4, options=[IPOption_Router_Alert()]) /
         TCP(sport=40000, dport=80), 14 + 22))
    cap("bad-ip-version", E(type=0x0800) / tcp6)
    cap("bad-ipv4-ihl", E() / IP(src=A4, dst=B4, ihl=3) / TCP())
    cap("trunc-tcp", (E() / tcp4, 14 + 20 + 10))
    cap("bad-tcp-doff", E() / IP(src=A4, dst=B4) / TCP(dataofs=3))
    cap("short-tcp", E() / IP(src=A4, dst=B4, proto=6) / (b"\0" * 12))
    cap("trunc-udp", (E() / IP(src=A4, dst=B4) / UDP(sport=5, dport=6),
                      14 + 20 + 4))
    cap("bad-udp-len-long",
        E() / IP(src=A4, dst=B4) / UDP(sport=5, dport=6, len=100) / b"x")
    cap("bad-udp-len-short",
        E() / IP(src=A4, dst=B4) / UDP(sport=5, dport=6, len=4) / b"xxxx")
    cap("trunc-icmp", (E() / IP(src=A4, dst=B4) / ICMP(), 14 + 20 + 4))
    cap("short-icmp", E() / IP(src=A4, dst=B4, proto=1) / b"\x08\0\0")
    cap("icmp-error-quoting-tcp",
        E() / IP(src=B4, dst=A4) / ICMP(type=3, code=3) / tcp4)
    cap("icmp-port-unreachable",
        E() / IP(src=B4, dst=A4) / ICMP(type=3, code=3) /
        IP(src=A4, dst=B4) / UDP(sport=5, dport=6))
    cap("trunc-ipv6", (E() / tcp6, 14 + 30))
    cap("bad-ip6-plen", E() / IPv6(src=A6, dst=B6, plen=500) / TCP())
    cap("trunc-icmp6", (E() / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(),
                        14 + 40 + 4))
    cap("short-icmp6", E() / IPv6(src=A6, dst=B6, nh=58) / b"\x80\0\0")
    cap("icmp6-echo", E() / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest())
    cap("icmp6-port-unreachable",
        E() / IPv6(src=B6, dst=A6) / ICMPv6DestUnreach(code=4) /
        IPv6(src=A6, dst=B6) / UDP(sport=5, dport=6))
    cap("ipv6-ext-hbh-dst-udp",
        E() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() /
        IPv6ExtHdrDestOpt() / UDP(sport=5, dport=6))
    cap("ipv6-ah-tcp", E() / IPv6(src=A6, dst=B6) /
        AH(nh=6, payloadlen=4, icv=b"\0" * 12) / TCP())
    cap("ipv6-esp", E() / IPv6(src=A6, dst=B6, nh=50) / (b"\0" * 20))
    cap("ipv6-no-next", E() / IPv6(src=A6, dst=B6, nh=59))
    cap("gre-ip-tcp", E() / IP(src=A4, dst=B4) / GRE() /
        IP(src="10.203.1.1", dst="10.203.1.2") / TCP())
    cap("ipv6-in-ipv4", E() / IP(src=A4, dst=B4) / tcp6)
    cap("ipv4-in-ipv6", E() / IPv6(src=A6, dst=B6) / tcp4)
    cap("teredo", E() / IP(src=A4, dst=B4) / UDP(sport=3544, dport=3544) /
        IPv6(src="2001::1", dst=B6) / UDP(sport=7, dport=8))
    cap("vxlan", E() / IP(src=A4, dst=B4) / UDP(sport=1111, dport=4789) /
        VXLAN(vni=1) / E() / tcp4)
    frag4 = fragment(IP(src=A4, dst=B4, id=7) / UDP(sport=9, dport=10) /
                     (b"b" * 100), fragsize=40)
    frag6 = fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=7) /
                      TCP(sport=1, dport=2) / (b"a" * 200), 100)
    cap("lone-frag4-first", E() / frag4[0])
    cap("lone-frag4-last", E() / frag4[-1])
    cap("frag4-complete", *[E() / f for f in frag4])
    cap("lone-frag6-first", E() / frag6[0])
    cap("lone-frag6-last", E() / frag6[-1])
    cap("frag6-complete", *[E() / f for f in frag6])
    cap("arp", E(dst="ff:ff:ff:ff:ff:ff") / ARP())
    cap("llc-stp", Ether(src="02:00:00:00:00:01", dst="01:80:c2:00:00:00") /
        LLC() / STP())
    cap("trunc-vlan", (E() / Dot1Q(vlan=5) / tcp4, 16))
    cap("short-ethernet", b"\x02\0\0\0\0\x02\x02\0\0\0")
    cap("vlan-ipv6-tcp", E() / Dot1Q(vlan=5) / tcp6)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    build()
    for name, frames in CAPS.items():
        with open(os.path.join(out, name + ".pcap"), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for i, (pkt, caplen) in enumerate(frames):
                b = bytes(pkt)
                c = b[:caplen] if caplen is not None else b
                f.write(struct.pack("<IIII", 1000 + i, 0, len(c), len(b)) + c)
    return 0


if __name__ == "__main__":
    sys.exit(main())

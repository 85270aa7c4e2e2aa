#!/usr/bin/env python3
"""ipfix_nfdump.py WIRESTAT PCAPDIR - --ipfix against a real collector.

nfdump's nfcapd (Debian package nfdump) listens on a free UDP port of
127.0.0.1.  For the bundled sample and every crafted capture, wirestat
exports with `-R FILE --ipfix 127.0.0.1:PORT -s --format json` (and an
active timeout of a year, so that each connection is one record), and
`-R FILE --conn -n --format json` gives the connection records it must
have exported.  Then `nfdump -r` reads what nfcapd stored, and:

 1. every record arrived: as many flows in nfdump as records in --conn,
    and -s says every one was sent (ipfix_records, none lost);
 2. each --conn record has an nfdump flow with the same protocol,
    originator and responder addresses and ports (ICMP: nfdump's dst port
    is type * 256 + code, wirestat's responder "port" is Zeek's, the
    counterpart type for request/reply pairs, else the code), packets in
    and out, IP bytes in and out (the multisets are equal);
 3. with --ipfix-active-timeout 1, on the sample (connections of ~4 s), a
    second nfcapd gets more records than connections (interim ones), and
    per connection tuple they add up to the --conn totals.

Sends only to 127.0.0.1.  Starts nfcapd itself and stops it by its PID.
"""
import collections
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

WIRESTAT = sys.argv[1]
PCAPDIR = sys.argv[2]

# Zeek's ICMP request/reply pairs (type: counterpart); any other type is
# one-way and its responder "port" is the code.
ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17,
               10: 9, 9: 10}
ICMP6_PAIRS = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
               130: 131, 131: 130}

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Collector:
    def __init__(self, work, name):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.log = open(os.path.join(work, name + ".log"), "w+")
        self.proc = subprocess.Popen(
            ["nfcapd", "-w", self.dir, "-p", str(self.port), "-b",
             "127.0.0.1", "-t", "3600", "-B", "8000000"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit("nfcapd exited: " + self.text())
            if "Startup" in self.text() and self.bound():
                return
            time.sleep(0.05)
        sys.exit("nfcapd did not start: " + self.text())

    def bound(self):
        out = subprocess.run(["ss", "-Huln", "sport", "=", str(self.port)],
                             capture_output=True, text=True).stdout
        return str(self.port) in out

    def text(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """Stop nfcapd (it writes its file on SIGTERM); the flows."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            sys.exit("nfcapd did not stop on SIGTERM")
        files = glob.glob(os.path.join(self.dir, "nfcapd.*"))
        if not files:
            sys.exit("nfcapd wrote no file: " + self.text())
        rows = []
        for f in files:
            out = subprocess.run(["nfdump", "-q", "-r", f, "-o", "csv", "-6"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(f"nfdump -r {f}: {out.stderr}")
            for line in out.stdout.splitlines():
                c = line.split(",")
                if len(c) < 15 or c[0] == "ts":
                    continue
                rows.append({"sa": c[3], "da": c[4], "sp": int(c[5]),
                             "dp": int(c[6]), "pr": c[7].strip(),
                             "ipkt": int(c[11]), "ibyt": int(c[12]),
                             "opkt": int(c[13]), "obyt": int(c[14])})
        print(f"  nfcapd on port {self.port}: "
              + (self.text().strip().splitlines() or [""])[-2])
        return rows


def canon_addr(a):
    return socket.inet_ntop(socket.AF_INET6 if ":" in a else socket.AF_INET,
                            socket.inet_pton(socket.AF_INET6 if ":" in a
                                             else socket.AF_INET, a))


def expected_key(r):
    """A --conn record as nfdump shows its flow."""
    proto = r["proto"]
    v6 = ":" in r["orig_addr"]
    if proto == "icmp":
        t = r["orig_port"]
        pairs = ICMP6_PAIRS if v6 else ICMP4_PAIRS
        code = 0 if t in pairs else r["resp_port"]
        sp, dp = 0, t * 256 + code
        pr = "ICMP6" if v6 else "ICMP"
    else:
        sp, dp = r["orig_port"], r["resp_port"]
        pr = proto.upper()
    return (pr, canon_addr(r["orig_addr"]), canon_addr(r["resp_addr"]), sp,
            dp, r["orig_pkts"], r["orig_ip_bytes"], r["resp_pkts"],
            r["resp_ip_bytes"])


def nfdump_key(f):
    return (f["pr"], canon_addr(f["sa"]), canon_addr(f["da"]), f["sp"],
            f["dp"], f["ipkt"], f["ibyt"], f["opkt"], f["obyt"])


def wirestat(*args):
    p = subprocess.run([WIRESTAT, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def conn_records(pcap):
    rc, out, err = wirestat("-R", pcap, "--conn", "-n", "--format", "json")
    if rc == 2:
        return None
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def export(pcap, port, *extra):
    rc, out, err = wirestat("-R", pcap, "--ipfix", f"127.0.0.1:{port}",
                            "-s", "--format", "json", *extra)
    groups = {}
    for l in out.splitlines():
        if l.startswith("{"):
            g = json.loads(l)
            groups[g["group"]] = g
    return rc, groups.get("wirestat_ipfix"), err


def main():
    if not shutil.which("nfcapd") or not shutil.which("nfdump"):
        sys.exit("nfcapd/nfdump missing (apt-get install nfdump)")
    work = tempfile.mkdtemp(prefix="wsipfix.")
    pcaps = [os.path.join(PCAPDIR, "sample.pcap")] + sorted(
        glob.glob(os.path.join(PCAPDIR, "crafted", "*.pcap")))
    print(f"{len(pcaps)} captures; work in {work}")

    col = Collector(work, "all")
    expected = collections.Counter()
    nrec = 0
    try:
        for pcap in pcaps:
            recs = conn_records(pcap)
            if recs is None:
                continue  # a file wirestat refuses: nothing to export
            # no interim records here (some captures have connections
            # longer than the default 60 s): record for record
            rc, counters, err = export(pcap, col.port,
                                       "--ipfix-active-timeout", "31536000")
            name = os.path.relpath(pcap, PCAPDIR)
            if counters is None:
                fail(f"{name}: no wirestat_ipfix group in -s (exit {rc}, "
                     f"{err.strip()})")
                continue
            if counters["ipfix_records"] != len(recs) or \
                    counters["ipfix_records_lost"] != 0 or \
                    counters["ipfix_messages_lost"] != 0:
                fail(f"{name}: {len(recs)} --conn records, -s says "
                     f"{counters}")
            expected.update(expected_key(r) for r in recs)
            nrec += len(recs)
            time.sleep(0.02)  # nfcapd keeps up easily; be gentle
        time.sleep(0.5)
    finally:
        rows = col.stop()
    got = collections.Counter(nfdump_key(f) for f in rows)
    print(f"  {nrec} --conn records from {len(pcaps)} captures; "
          f"{len(rows)} flows in nfdump")
    if len(rows) != nrec:
        fail(f"nfdump has {len(rows)} flows, wirestat reported {nrec}")
    missing = expected - got
    extra = got - expected
    for k in list(missing)[:20]:
        fail(f"not in nfdump as is: {k}")
    for k in list(extra)[:20]:
        fail(f"in nfdump, not in --conn: {k}")
    if not missing and not extra:
        print(f"ok: all {nrec} records arrived with the same addresses, "
              "ports, packets and bytes")

    # 3. the active timeout
    sample = pcaps[0]
    recs = conn_records(sample)
    col = Collector(work, "active")
    try:
        rc, counters, err = export(sample, col.port,
                                   "--ipfix-active-timeout", "1")
        time.sleep(0.5)
    finally:
        rows = col.stop()
    if counters is None or counters["ipfix_records_lost"]:
        fail(f"active timeout run: -s says {counters} ({err.strip()})")
    sums = collections.defaultdict(lambda: [0, 0, 0, 0])
    for f in rows:
        k = nfdump_key(f)[:5]
        s = sums[k]
        s[0] += f["ipkt"]
        s[1] += f["ibyt"]
        s[2] += f["opkt"]
        s[3] += f["obyt"]
    want = {}
    for r in recs:
        k = expected_key(r)
        want[k[:5]] = [a + b for a, b in
                       zip(want.get(k[:5], [0, 0, 0, 0]), k[5:])]
    if len(rows) <= len(recs):
        fail(f"--ipfix-active-timeout 1: {len(rows)} records for "
             f"{len(recs)} connections (want interim records)")
    if dict(sums) != want:
        for k in set(sums) | set(want):
            if sums.get(k) != want.get(k):
                fail(f"active timeout: {k}: nfdump sums {sums.get(k)}, "
                     f"--conn {want.get(k)}")
    else:
        print(f"ok: --ipfix-active-timeout 1: {len(rows)} records for "
              f"{len(recs)} connections, each adding up to --conn's totals")

    if failures:
        print(f"{failures} failure(s); work kept in {work}")
        return 1
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())

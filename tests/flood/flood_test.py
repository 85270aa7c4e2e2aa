#!/usr/bin/env python3
"""flood_test.py WIRESTAT - one million distinct SYNs against a low cap.

The capture is generated on the fly (gen_flood.py: 1,000,000 spoofed SYNs,
a quarter answered, around 200 real long-lived connections) into a
temporary file, never committed.  With --max-flows 20000, wirestat must:
  - keep the table at the cap and count the evictions, all of half-open
    flows (none established), and account for every packet;
  - still list the 200 real connections, both ends ESTABLISHED;
  - stay within the cap's memory budget: peak RSS <= the RSS of a run on
    a tiny capture with the same cap + 400 bytes per flow of the cap.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_flood  # noqa: E402

CAP = 20000
SYNS = 1_000_000
LEGIT = 200
BYTES_PER_FLOW = 400


def peak_kb(cmd):
    """Run cmd under GNU time (a small C parent: the peak it reports is
    cmd's own, not that of a forked interpreter); its peak RSS in KiB."""
    p = subprocess.run(["/usr/bin/time", "-f", "%x %M"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, check=False)
    rc, kb = p.stderr.strip().splitlines()[-1].split()
    return int(rc), int(kb)


def main():
    wirestat = sys.argv[1]
    fails = []
    with tempfile.TemporaryDirectory(prefix="wirestat-flood-") as tmp:
        pcap = os.path.join(tmp, "flood.pcap")
        sys.argv = ["gen_flood.py", pcap, str(SYNS), str(LEGIT)]
        gen_flood.main()
        tiny = os.path.join(tmp, "tiny.pcap")
        sys.argv = ["gen_flood.py", tiny, "10", "2"]
        gen_flood.main()

        base = [wirestat, "-n", "--max-flows", str(CAP)]
        p = subprocess.run(base + ["-R", pcap, "-s", "--format", "json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"FAIL wirestat -s exit {p.returncode}: {p.stderr}")
            return 1
        g = {x["group"]: x for x in map(json.loads, p.stdout.splitlines())}
        w, fl = g["wirestat"], g["wirestat_flows"]
        print(f"packets {w['packets']}, flows created "
              f"{fl['flows_created']}, peak {fl['flows_peak']}, evicted "
              f"half-open {fl['flows_evicted_half_open_or_idle']}, "
              f"established {fl['flows_evicted_established']}")
        if w["packets"] != sum(w[c] for c in ("decoded", "not_ip",
                                               "fragment", "truncated",
                                               "malformed")):
            fails.append("packets do not add up")
        if fl["flows_peak"] > CAP:
            fails.append(f"peak {fl['flows_peak']} over the cap {CAP}")
        if fl["flows_evicted_half_open_or_idle"] < SYNS - CAP:
            fails.append("too few evictions counted")
        if fl["flows_evicted_established"] != 0:
            fails.append("established flows were evicted")

        p = subprocess.run(base + ["-R", pcap, "--format", "json",
                                   "--port", "443"],
                           capture_output=True, text=True, check=True)
        rows = [json.loads(x) for x in p.stdout.splitlines()]
        est = [r for r in rows if r["state"] == "ESTABLISHED"
               and not r["partial"]]
        print(f"real connections: {len(est)} ESTABLISHED rows of "
              f"{2 * LEGIT} expected, {len(rows)} rows on port 443")
        if len(est) != 2 * LEGIT or len(rows) != 2 * LEGIT:
            fails.append("the real connections are not all listed")

        linked = subprocess.run(["ldd", wirestat], capture_output=True,
                                text=True).stdout
        if "libasan" in linked:
            # AddressSanitizer's shadow memory and quarantine make RSS
            # meaningless; the budget is checked in the plain build.
            print("memory budget not checked under AddressSanitizer")
            return report(fails)
        rc0, tiny_kb = peak_kb(base + ["-R", tiny])
        rc1, flood_kb = peak_kb(base + ["-R", pcap])
        budget = tiny_kb + CAP * BYTES_PER_FLOW // 1024
        print(f"peak RSS: {flood_kb} KiB (tiny capture {tiny_kb} KiB, "
              f"budget {budget} KiB = +{BYTES_PER_FLOW} B x {CAP} flows)")
        if rc0 or rc1:
            fails.append("a memory run failed")
        if flood_kb > budget:
            fails.append("peak memory over the cap's budget")
    return report(fails)


def report(fails):
    for f in fails:
        print("FAIL", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())

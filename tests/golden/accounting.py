#!/usr/bin/env python3
"""accounting.py WIRESTAT PCAPDIR - nothing lost, on every capture we have.

For each capture under PCAPDIR, `wirestat -R FILE -s --format json` must
account for every packet the capture delivered: packets equals the sum of
the five classes (decoded, not_ip, fragment, truncated, malformed), and
each class equals the sum of its reasons.  Files wirestat refuses (exit 2:
not a capture, unsupported link type) are skipped; a truncated capture
(exit 1) must still balance for what was read."""
import json
import os
import subprocess
import sys

CLASSES = ("decoded", "not_ip", "fragment", "truncated", "malformed")


def check(wirestat, path):
    p = subprocess.run([wirestat, "-R", path, "-s", "--format", "json"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode == 2:
        return "skipped"
    if p.returncode not in (0, 1):
        return f"exit status {p.returncode}: {p.stderr.strip()}"
    groups = {g["group"]: g for g in map(json.loads, p.stdout.splitlines())}
    w = groups.get("wirestat")
    if w is None:
        return "no wirestat group"
    total = sum(w[c] for c in CLASSES)
    if total != w["packets"]:
        return f"packets {w['packets']} != classes {total}"
    reasons = {k: v for k, v in w.items()
               if k not in CLASSES and k not in
               ("group", "packets", "bytes", "out_of_time_order",
                "filtered", "kernel_received", "kernel_dropped",
                "interface_dropped")}
    if sum(reasons.values()) != w["packets"]:
        return f"packets {w['packets']} != reasons {sum(reasons.values())}"
    return None


def main():
    wirestat, root = sys.argv[1], sys.argv[2]
    failed = checked = skipped = 0
    for d, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(d, name)
            err = check(wirestat, path)
            if err == "skipped":
                skipped += 1
            elif err:
                print(f"FAIL {path}: {err}")
                failed += 1
            else:
                checked += 1
    print(f"accounting: {checked} captures balance, {skipped} refused, "
          f"{failed} failed")
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())

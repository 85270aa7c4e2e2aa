#!/usr/bin/env python3
"""check_states.py - compare wirestat's socket rows with what
gen_synthetic.py intended.

  check_states.py EXPECTED_ROWS.jsonl WIRESTAT_OUTPUT.jsonl

EXPECTED_ROWS is gen_synthetic.py --expected-rows; WIRESTAT_OUTPUT is
`wirestat -R FILE -a -n --format json`.  Prints expected and actual row
counts by protocol and state, then the rows that differ, grouped by the
generator's connection kind, with a few examples each.  Exit status 0 when
the two agree exactly, 1 otherwise.
"""
import collections
import json
import sys

KEY = ("proto", "local_addr", "local_port", "remote_addr", "remote_port",
       "vlan", "state", "partial")


def key(r):
    return tuple(r.get(k) if k != "partial" else bool(r.get(k)) for k in KEY)


def tuple_of(k):
    """The connection a row belongs to, whichever side it is."""
    proto, la, lp, ra, rp, vlan = k[:6]
    ends = sorted([(la, lp), (ra or "", rp or 0)])
    return (proto, vlan, ends[0], ends[1])


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exp = load(sys.argv[1])
    got = load(sys.argv[2])
    kind_of = {}
    for r in exp:
        kind_of[tuple_of(key(r))] = r["kind"]
    ce = collections.Counter(key(r) for r in exp)
    cg = collections.Counter(key(r) for r in got)

    def by_state(c):
        out = collections.Counter()
        for k, n in c.items():
            out[(k[0], k[6] or "(udp)")] += n
        return out

    se, sg = by_state(ce), by_state(cg)
    print("%-6s %-14s %9s %9s %8s" % ("proto", "state", "expected",
                                      "wirestat", "diff"))
    for k in sorted(set(se) | set(sg)):
        e, g = se.get(k, 0), sg.get(k, 0)
        print("%-6s %-14s %9d %9d %+8d%s" % (k[0], k[1], e, g, g - e,
                                              "" if e == g else "  <--"))
    print("%-21s %9d %9d %+8d" % ("total", sum(ce.values()),
                                  sum(cg.values()),
                                  sum(cg.values()) - sum(ce.values())))

    missing = ce - cg
    extra = cg - ce
    if not missing and not extra:
        print("\nall %d rows agree" % sum(ce.values()))
        return 0
    # Pair up a missing and an extra row of the same socket: a wrong state.
    groups = collections.defaultdict(list)
    extra_by_sock = collections.defaultdict(list)
    for k in extra.elements():
        extra_by_sock[k[:6]].append(k)
    for k in missing.elements():
        alt = extra_by_sock.get(k[:6])
        if alt:
            g = alt.pop()
            desc = "%s expected %s got %s%s" % (
                k[0], k[6], g[6],
                "" if k[7] == g[7] else " (partial %s -> %s)" % (k[7], g[7]))
            groups[(kind_of.get(tuple_of(k), "?"), desc)].append(k)
        else:
            groups[(kind_of.get(tuple_of(k), "?"),
                    "%s %s row missing" % (k[0], k[6]))].append(k)
    for sock, rest in extra_by_sock.items():
        for g in rest:
            groups[(kind_of.get(tuple_of(g), "(not generated)"),
                    "%s %s row unexpected" % (g[0], g[6]))].append(g)
    print("\nmismatches by generator kind:")
    for (kind, desc), ks in sorted(groups.items(),
                                   key=lambda kv: -len(kv[1])):
        print("  %6d  %-18s %s" % (len(ks), kind, desc))
        for k in ks[:3]:
            print("          e.g. %s %s:%s -> %s:%s vlan=%s" % (
                k[0], k[1], k[2], k[3], k[4], k[5]))
    return 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""live_helper.py - traffic and checks for live-test.sh (wirestat -I).

Subcommands:
  drive    the main session between namespaces A and B: driver.py's
           "smoke" profile (every TCP state, UDP, 300 connections), then
           one probe connection whose --events lines are timed; speaks
           driver.py's file protocol with live-test.sh (ready, capturing,
           probe, snapshot, done) in --work
  merged   a small session between C and D for the two-interface test
           (routes are asymmetric: C->D crosses link 1, D->C link 2)
  hold     one TCP connection A->B, kept open (and talking) until killed
  burst    a burst of UDP frames on a packet socket
  split    wirestat's JSON rows of one live run -> wirestat-A.json and
           wirestat-B.json by local address (the form compare.py reads)
  rows     checks on the JSON rows of one or several runs (see --help)
  headers  checks on the report headers of an interval run
  events   how soon a connection's --events lines were written

Addresses: everything lives in 10.204.0.0/24 and fd20:4::/64 (driver.py's
own addresses, 10.201.0.0/24 and fd20:1::/64, are replaced here).
"""
import argparse
import datetime
import json
import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import driver  # noqa: E402  (tests/netns/driver.py: the scenarios)

# The main pair (A client, B server), as live-test.sh sets it up.
AB = {4: {"A": "10.204.0.1", "B": "10.204.0.2"},
      6: {"A": "fd20:4::1", "B": "fd20:4::2"}}
# The two-interface pair (C client, D server): service addresses on lo.
CD = {4: {"A": "10.204.0.101", "B": "10.204.0.102"},
      6: {"A": "fd20:4::c:1", "B": "fd20:4::d:1"}}
PROBE_PORT = 5099  # the connection opened for the --events latency check


def use_addresses(addr):
    for fam in (4, 6):
        driver.ADDR[fam].clear()
        driver.ADDR[fam].update(addr[fam])


def touch(work, name, text=""):
    with open(os.path.join(work, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(work, name + ".tmp"), os.path.join(work, name))


# ------------------------------------------------------------------ drive

def cmd_drive(args):
    use_addresses(AB)
    w = driver.World(args)
    try:
        w.nft_init()
        driver.shape_init(w)
        stop, hb = driver.profile_smoke(w)
        # A connection opened long after wirestat started, on a quiet port:
        # --events must have written its lines within a second.
        lsock = driver.listener(w, "B", 4, PROBE_PORT)
        t_probe = time.time()
        driver.established(w, 4, PROBE_PORT, lsock=lsock, data=False)
        w.scenario("events_probe", 4, [PROBE_PORT],
                   driver.intent(["ESTABLISHED"], ["ESTABLISHED"]),
                   "opened after the captures started: timed in --events")
        with open(os.path.join(w.work, "scenarios.json"), "w") as f:
            json.dump({"t0": w.t0, "scenarios": w.scenarios}, f, indent=1)
        w.log(f"{len(w.scenarios)} scenarios, {len(w.keep)} sockets; probe at "
              f"{t_probe:.3f}")
        touch(w.work, "probe", f"{t_probe:.6f}\n")
        touch(w.work, "snapshot")
        w.wait_file("done", 120)
        stop.set()
        hb.join(2)
    except Exception:
        import traceback
        traceback.print_exc()
        sys.stdout.flush()
        return 1
    return 0


# ----------------------------------------------------------------- merged

def cmd_merged(args):
    """C -> D traffic: each state once, v4 and v6, plus UDP; the sockets
    stay open until --work/done appears."""
    use_addresses(CD)
    w = driver.World(args)
    w.nft_init()
    w.wait_file("capturing", 60)
    w.t0 = time.time()
    for fam, base in ((4, driver.V4), (6, driver.V6)):
        driver.sc_close_client(w, fam, base + 1)
        driver.sc_close_server(w, fam, base + 2)
        driver.sc_idle(w, fam, base + 3)
        driver.sc_half_close(w, fam, base + 4)
        driver.sc_syn_sent(w, fam, base + 9)
        driver.sc_refused(w, fam, base + 10)
        driver.sc_abort(w, fam, base + 11, closer="A")
        driver.sc_fin_wait_1(w, fam, base + 6)
    driver.sc_udp_echo(w, 4, 7001)
    driver.sc_udp_echo(w, 6, 7101)
    driver.sc_udp_unreach(w, 4, 7003)
    # 20 short connections with data, for volume.
    lsock = driver.listener(w, "B", 4, driver.V4 + 60)
    for _ in range(20):
        c, s = driver.established(w, 4, driver.V4 + 60, lsock=lsock)
        c.close()
        driver.expect_eof(s)
        s.close()
    w.log(f"merged traffic done ({len(w.scenarios)} scenarios)")
    # Then quiet, and one connection: its --events lines are timed.
    lsock = driver.listener(w, "B", 4, 5098)
    time.sleep(0.5)
    t_probe = time.time()
    driver.established(w, 4, 5098, lsock=lsock, data=False)
    touch(w.work, "probe", f"{t_probe:.6f}\n")
    w.wait_file("done", 120)
    return 0


# ------------------------------------------------------------------- hold

def cmd_hold(args):
    """A connection from A to B:port, one byte a second, until killed."""
    use_addresses(AB)
    w = driver.World(args)
    c, s = driver.established(w, 4, args.port)
    touch(args.work, f"hold-{args.port}")
    while True:
        c.send(b"h")
        driver.recvn(s, 1)
        time.sleep(0.2)


# ------------------------------------------------------------------ burst

def cmd_burst(args):
    """--count Ethernet/IPv4/UDP frames (10.204.0.201 -> 10.204.0.202,
    100 source ports) sent back to back on a packet socket: a burst."""
    import struct

    def csum(b):
        t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        t = (t >> 16) + (t & 0xFFFF)
        return ~(t + (t >> 16)) & 0xFFFF

    src, dst = socket.inet_aton("10.204.0.201"), socket.inet_aton("10.204.0.202")
    frames = []
    for i in range(args.count):
        udp = struct.pack("!HHHH", 40000 + i % 100, 9999, 8 + 64, 0) + b"x" * 64
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64,
                         17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frames.append(b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.ifname, 0))
    t = time.time()
    for f in frames:
        s.send(f)
    d = time.time() - t
    print(f"burst: {args.count} frames on {args.ifname} in {d * 1000:.1f} ms "
          f"({args.count / d:.0f} frames/s)")
    return 0


# ------------------------------------------------------------------ split

def read_json_lines(path):
    """(rows, headers, bad lines) of a wirestat JSON Lines output."""
    rows, headers, bad = [], [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                j = json.loads(line)
            except ValueError:
                bad.append((n, line.rstrip()))
                continue
            if "report" in j:
                headers.append(j)
            elif "proto" in j:
                rows.append(j)
            else:
                bad.append((n, line.rstrip()))
    return rows, headers, bad


def cmd_split(args):
    rows, headers, bad = read_json_lines(args.input)
    if bad:
        print(f"split: {args.input}: {len(bad)} line(s) that are not rows: {bad[:3]}")
        return 1
    hosts = {}
    for h in args.host:
        name, addrs = h.split("=", 1)
        hosts[name] = set(addrs.split(","))
    out = {name: [] for name in hosts}
    stray = []
    for r in rows:
        la = r["local_addr"]
        if la.startswith("::ffff:"):
            la = la[7:]
        for name, addrs in hosts.items():
            if la in addrs:
                out[name].append(r)
                break
        else:
            stray.append(r)
    for name, rs in out.items():
        with open(os.path.join(args.work, f"wirestat-{name}.json"), "w") as f:
            for r in rs:
                f.write(json.dumps(r) + "\n")
        print(f"split: host {name}: {len(rs)} rows")
    if stray:
        print(f"split: {len(stray)} row(s) of no known host, e.g. {stray[:3]}")
        return 1
    return 0


# ------------------------------------------------------------------- rows

def row_key(r):
    return (r["proto"], r["local_addr"], r["local_port"], r.get("remote_addr"),
            r.get("remote_port"), r["state"])


def fmt(k):
    return f"{k[0]:4} {k[1]}:{k[2]} <-> {k[3]}:{k[4]} {k[5]}"


def load_rows(path):
    rows, headers, bad = read_json_lines(path)
    if bad:
        raise SystemExit(f"rows: {path}: not JSON rows: {bad[:3]}")
    return rows


def cmd_rows(args):
    """Checks, each printing a line and counting a failure:
      --min N          at least N rows
      --port P         every row has P as its local or remote port, and
                       --same-as's rows with port P are exactly these
      --same-as FILE   the same set of rows (key and state) as FILE
      --has SPEC       proto:port:state[:n]: at least n (1) rows of that
                       protocol and state with port as local or remote
                       port (repeat; UDP rows have the state UDP)"""
    rows = load_rows(args.input)
    keys = [row_key(r) for r in rows]
    fails = 0
    name = args.name or os.path.basename(args.input)
    print(f"{name}: {len(rows)} rows")
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        print(f"  FAIL {name}: {len(keys) - len(set(keys))} duplicate row(s): "
              + "; ".join(fmt(k) for k in dup[:5]))
        fails += 1
    if args.min is not None and len(rows) < args.min:
        print(f"  FAIL {name}: {len(rows)} rows, expected at least {args.min}")
        fails += 1
    ref = None
    if args.same_as:
        ref = {row_key(r) for r in load_rows(args.same_as)}
    if args.port is not None:
        other = [k for k in keys if args.port not in (k[2], k[4])]
        if other:
            print(f"  FAIL {name}: {len(other)} row(s) without port {args.port}: "
                  + "; ".join(fmt(k) for k in other[:5]))
            fails += 1
        if ref is not None:
            ref = {k for k in ref if args.port in (k[2], k[4])}
    if ref is not None:
        mine = set(keys)
        only_mine, only_ref = sorted(mine - ref, key=str), sorted(ref - mine, key=str)
        if only_mine or only_ref:
            print(f"  FAIL {name}: not the rows of {args.same_as}"
                  + (f" (port {args.port} only)" if args.port is not None else "")
                  + f": {len(only_mine)} only here, {len(only_ref)} only there")
            for k in only_mine[:15]:
                print(f"    only here:  {fmt(k)}")
            for k in only_ref[:15]:
                print(f"    only there: {fmt(k)}")
            fails += 1
        else:
            print(f"  {name}: the same {len(mine)} rows as {os.path.basename(args.same_as)}")
    for spec in args.has or []:
        proto, port, state, *n = spec.split(":")
        want = int(n[0]) if n else 1
        hit = [k for k in keys if k[0] == proto and port in (str(k[2]), str(k[4]))
               and (k[5] or "UDP") == state]
        if len(hit) < want:
            print(f"  FAIL {name}: {len(hit)} {proto} row(s) of port {port} in "
                  f"{state}, expected at least {want}")
            fails += 1
    return 1 if fails else 0


# ---------------------------------------------------------------- headers

TABLE_HDR = re.compile(
    r"^wirestat report (\d+) at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) UTC: "
    r"(\d+) packets, (\d+) dropped by the kernel, (\d+) by the interface, "
    r"(\d+) flows evicted$")


def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def cmd_headers(args):
    """An interval run's headers: at least --min of them, numbered 1, 2,
    ..., times strictly increasing about --interval apart, within the run,
    packet counts never decreasing."""
    hs = []
    name = os.path.basename(args.input)
    with open(args.input) as f:
        text = f.read()
    if args.format == "table":
        for line in text.splitlines():
            if line.startswith("wirestat report"):
                m = TABLE_HDR.match(line)
                if not m:
                    print(f"  FAIL {name}: malformed header: {line!r}")
                    return 1
                hs.append({"report": int(m[1]), "t": parse_time(m[2]),
                           "packets": int(m[3]), "kernel_dropped": int(m[4]),
                           "interface_dropped": int(m[5]), "flows_evicted": int(m[6]),
                           "line": line})
    else:
        rows, headers, bad = read_json_lines(args.input)
        if bad:
            print(f"  FAIL {name}: lines that are neither rows nor headers: {bad[:3]}")
            return 1
        want = {"report", "time", "packets", "kernel_dropped", "interface_dropped",
                "flows_evicted"}
        for h in headers:
            if set(h) != want or not all(isinstance(h[k], int) for k in want - {"time"}):
                print(f"  FAIL {name}: header keys/types: {h}")
                return 1
            hs.append(dict(h, t=parse_time(h["time"]), line=json.dumps(h)))
    fails = 0
    print(f"{name}: {len(hs)} report headers")
    for h in hs:
        print(f"    {h['line']}")
    if len(hs) < args.min:
        print(f"  FAIL {name}: {len(hs)} reports, expected at least {args.min}")
        return 1
    if [h["report"] for h in hs] != list(range(1, len(hs) + 1)):
        print(f"  FAIL {name}: reports numbered {[h['report'] for h in hs]}")
        fails += 1
    for a, b in zip(hs, hs[1:]):
        if not b["t"] > a["t"]:
            print(f"  FAIL {name}: report {b['report']} time does not advance")
            fails += 1
        if b["packets"] < a["packets"]:
            print(f"  FAIL {name}: packet count went down at report {b['report']}")
            fails += 1
    # The interval reports (all but the last, which --duration or a signal
    # ends) should be an interval apart, give or take scheduling.
    for a, b in zip(hs[:-2], hs[1:-1]):
        gap = b["t"] - a["t"]
        if abs(gap - args.interval) > 0.25:
            print(f"  FAIL {name}: reports {a['report']} and {b['report']} are "
                  f"{gap:.3f} s apart, interval {args.interval} s")
            fails += 1
    if args.start is not None:
        first = hs[0]["t"] - args.start
        if not 0 < first < args.interval + 0.5:
            print(f"  FAIL {name}: first report {first:.3f} s after the start")
            fails += 1
    if args.end is not None and abs(hs[-1]["t"] - args.end) > 1.0:
        print(f"  FAIL {name}: last report at {hs[-1]['t']:.3f}, the run ended "
              f"at {args.end:.3f}")
        fails += 1
    if hs[-1]["packets"] < args.min_packets:
        print(f"  FAIL {name}: {hs[-1]['packets']} packets in the last report, "
              f"expected at least {args.min_packets}")
        fails += 1
    return 1 if fails else 0


# ----------------------------------------------------------------- events

def cmd_events(args):
    """Poll a growing --events JSON output until the port's connection
    shows ESTABLISHED on both sides; print the delay after --since.  Fails
    if that takes more than --limit seconds, or the writer (--pid) exits
    first."""
    deadline = args.since + args.limit
    seen = set()
    while True:
        now = time.time()
        try:
            with open(args.input) as f:
                data = f.read()
        except FileNotFoundError:
            data = ""
        for line in data.splitlines():
            if not line.endswith("}"):
                continue  # a line still being written
            try:
                j = json.loads(line)
            except ValueError:
                continue
            if args.port in (j.get("local_port"), j.get("remote_port")) and \
                    j.get("new_state") == "ESTABLISHED":
                seen.add(j["local_port"] == args.port)
        if len(seen) == 2:
            print(f"events: both sockets of port {args.port} ESTABLISHED in the "
                  f"output {now - args.since:.3f} s after connect()")
            return 0
        alive = os.path.exists(f"/proc/{args.pid}") if args.pid else True
        if not alive:
            print(f"  FAIL events: wirestat exited before writing the lines of "
                  f"port {args.port}")
            return 1
        if now > deadline:
            print(f"  FAIL events: {args.limit} s after connect() to port {args.port}, "
                  f"wirestat (still running) has written {len(seen)} of its 2 "
                  f"ESTABLISHED lines: not flushed as they happen")
            return 1
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def ns_args(p):
        p.add_argument("--work", required=True)
        p.add_argument("--ns-a", required=True)
        p.add_argument("--ns-b", required=True)
        p.add_argument("--if-a", required=True)
        p.add_argument("--if-b", required=True)

    p = sub.add_parser("drive")
    ns_args(p)
    p = sub.add_parser("merged")
    ns_args(p)
    p = sub.add_parser("hold")
    ns_args(p)
    p.add_argument("--port", type=int, required=True)
    p = sub.add_parser("burst")
    p.add_argument("--ifname", required=True)
    p.add_argument("--count", type=int, default=2000)
    p = sub.add_parser("split")
    p.add_argument("--work", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--host", action="append", required=True)
    p = sub.add_parser("rows")
    p.add_argument("--input", required=True)
    p.add_argument("--name")
    p.add_argument("--min", type=int)
    p.add_argument("--port", type=int)
    p.add_argument("--same-as")
    p.add_argument("--has", action="append")
    p = sub.add_parser("headers")
    p.add_argument("--input", required=True)
    p.add_argument("--format", choices=["table", "json"], required=True)
    p.add_argument("--min", type=int, default=2)
    p.add_argument("--interval", type=float, required=True)
    p.add_argument("--start", type=float)
    p.add_argument("--end", type=float)
    p.add_argument("--min-packets", type=int, default=1)
    p = sub.add_parser("events")
    p.add_argument("--input", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--since", type=float, required=True)
    p.add_argument("--limit", type=float, default=1.0)
    p.add_argument("--pid", type=int)
    args = ap.parse_args()
    return {"drive": cmd_drive, "merged": cmd_merged, "hold": cmd_hold,
            "split": cmd_split, "burst": cmd_burst, "rows": cmd_rows, "headers": cmd_headers,
            "events": cmd_events}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

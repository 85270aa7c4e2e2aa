#!/bin/bash
# compare-test.sh WIRESTAT - --compare, -o and -b against the kernel of
# the namespace wirestat runs in (issue 7).  About 13 s.
#
#     [ns A] wsct-<pid>-a 10.207.0.1/24 fd20:7::1/64   (wirestat runs here,
#              |                                         capturing this veth)
#     [ns B] wsct-<pid>-b 10.207.0.2/24 fd20:7::2/64
#
# Processes (kernel_helper.py; `ip netns exec` execs, so $! is the PID -o
# must show and comm is python3):
#   S4  A  serve 10.207.0.1 7001         listener bound to A's address
#   S6  A  serve :: 7006                 listener on the wildcard
#   SB  B  serve 10.207.0.2 7003 --sink  the crafted connection's peer
#   idle  B -> S4, connected before wirestat starts, never sends
#   act4  B -> S4, connected after wirestat started, a byte every 0.2 s
#   act6  B -> S6 (IPv6), the same
#   unseen A -> B:7009, after wirestat started; SYNs dropped on output
#   craft A -> SB from a raw socket (scapy): no socket of A has it; A's
#         kernel answers SB's segments with RSTs, dropped by nftables on
#         A's output hook (before the veth: the capture never sees them),
#         so SB keeps the connection.
#
# wirestat --compare -n -I a --format json --duration 9 1, in A; its last
# report:
#   (i)   the idle connection (A's side): KERNEL_ONLY, kernel_only "idle",
#         wire_state null, kernel_state ESTABLISHED, pid S4;
#   (ii)  act4 (A's side): MATCH, match "exact", both states ESTABLISHED,
#         pid S4, program python3; S4's listener (it sent SYN-ACKs) MATCH
#         "exact"; no report ever shows act4 other than SETTLING or MATCH;
#   (iii) the crafted connection: WIRE_ONLY, kernel_state null, no pid,
#         SETTLING when it first appears (a disagreement waits 2 s);
#   (iv)  act6: MATCH "exact", pid S6, program python3; S6's listener
#         MATCH "wildcard";
#   (v)   a client in A connecting to B:7009 after the start, its SYNs
#         dropped by nftables on A's output (never on the wire):
#         KERNEL_ONLY, kernel_only "never_seen", kernel_state SYN_SENT,
#         its own PID;
#   every ESTABLISHED connection between A and B that ss -tanp lists in A
#   (other than the idle one) is MATCH; no row has B's address as its
#   local address (--compare lists this host's sockets); the reports are
#   numbered headers, one a second.
# wirestat -a -n -o -b -I a --duration 4 --format json meanwhile: S4's
# and S6's rows carry their PIDs and "python3", rows whose local address
# is B's (the clients) and the crafted one carry null; with -o alone the
# rows have pid and no program; without either, neither key.
#
# Names start with "wsct-<pid>-"; no packet leaves the namespaces.  An
# EXIT trap (lib.sh's) deletes the namespaces and stops, by PID, what the
# script started.  Needs root: exits 77 (skipped) when not root, and only
# then.  The work directory is kept after a failure (WSOR_KEEP=1: after a
# pass too).
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the compare tests need root (network namespaces)"
	exit 77
fi

WIRESTAT=$(realpath "${1:?usage: compare-test.sh WIRESTAT}")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "$(mktemp -d /tmp/wsct.XXXXXX)"
WSOR_WORK_TEMP=1 # ours: removed after a pass
wsor_pair wsct 7
W=$WSOR_WORK
HELPER=("$WSOR_PY" "$WSOR_HERE/kernel_helper.py")
IFA=$WSOR_IF_A
CRAFT_PORT=30003 # below the ephemeral range: no socket of A takes it
UNSEEN_PORT=7009 # A's SYNs to B on this port are dropped on output
DURATION=9

wsor_require_tools
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"
wsor_log "work directory $W"



# ws_start NAME ARGS...: wirestat in A, output in $W/NAME.out and .err;
# returns once its capture is open (the SIGINT handler is installed
# after the capture is opened).
declare -A WS_PID
ws_start() {
	local name=$1 pid
	shift
	echo "wirestat $*" >"$W/$name.cmd"
	ip netns exec "$WSOR_NS_A" "$WIRESTAT" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	pid=$!
	WS_PID[$name]=$pid
	WSOR_PIDS+=("$pid")
	wsor_wait_capturing "$name" "$pid"
}

# ws_wait NAME SECONDS: wait for it to exit with status 0.
ws_wait() {
	local name=$1 limit=$2 pid=${WS_PID[$1]} i rc
	for ((i = 0; i < limit * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "wirestat $name ($(cat "$W/$name.cmd")) still running after $limit s: killed"
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "wirestat $name ($(cat "$W/$name.cmd")) exited $rc: $(head -c 600 "$W/$name.err")"
		return 1
	fi
	ok "wirestat $name exited 0"
}

# ------------------------------------------------------------------ setup
wsor_setup # A, B, the veth, addresses, offloads off (lib.sh)
# A's kernel has no socket for the crafted connection and answers the
# peer's segments with RSTs: drop them on output, before the veth (so
# the capture never sees them either).  And A's SYNs to B:7009: a
# connection the wire never shows.
ip netns exec "$WSOR_NS_A" nft -f - <<EOF || wsor_die "nft in A"
table inet wsct {
	chain out {
		type filter hook output priority 0;
		ip saddr $WSOR_ADDR_A4 tcp sport $CRAFT_PORT tcp flags & rst == rst drop
		ip daddr $WSOR_ADDR_B4 tcp dport $UNSEEN_PORT drop
	}
}
EOF
wsor_log "namespaces $WSOR_NS_A and $WSOR_NS_B up"

wsor_start_helper "$WSOR_NS_A" S4 serve "$WSOR_ADDR_A4" 7001
wsor_start_helper "$WSOR_NS_A" S6 serve :: 7006
wsor_start_helper "$WSOR_NS_B" SB serve "$WSOR_ADDR_B4" 7003 --sink
# (i) connected before wirestat starts, then silent
wsor_start_helper "$WSOR_NS_B" idle client "$WSOR_ADDR_A4" 7001
sleep 0.3 # its handshake's last ACK is long gone when the capture opens

# ---------------------------------------------------------- the compare run
ws_start cmp --compare -n -I "$IFA" --format json --duration "$DURATION" 1
T_START=$(date +%s.%N)
wsor_log "wirestat --compare running in A"
# the socket view with -o -b, -o alone, and neither, meanwhile: started
# before the clients, so that the listeners' SYN-ACKs are in it
ws_start ob -a -n -o -b -I "$IFA" --duration 4 --format json
ws_start o -a -n -o -I "$IFA" --duration 4 --format json
ws_start plain -a -n -I "$IFA" --duration 4 --format json
ws_start cs --compare -s -n -I "$IFA" --duration 4 --format json
wsor_start_helper "$WSOR_NS_B" act4 client "$WSOR_ADDR_A4" 7001 --every 0.2
wsor_start_helper "$WSOR_NS_B" act6 client "$WSOR_ADDR_A6" 7006 --every 0.2
wsor_start_helper "$WSOR_NS_A" craft craft "$IFA" "$WSOR_ADDR_A4" "$CRAFT_PORT" \
	"$WSOR_ADDR_B4" 7003 --every 0.3
# (v) connecting from A after the start, its SYNs dropped on output:
# SYN_SENT in A's kernel, never on the wire (connect() blocks: no READY)
ip netns exec "$WSOR_NS_A" "${HELPER[@]}" client "$WSOR_ADDR_B4" "$UNSEEN_PORT" \
	>"$W/unseen.out" 2>"$W/unseen.err" &
PID_unseen=$!
WSOR_PIDS+=("$PID_unseen")
wsor_log "clients up: idle :$PORT_idle, act4 :$PORT_act4, act6 :$PORT_act6, crafted :$PORT_craft"
ws_wait ob 10
ws_wait o 10
ws_wait plain 10
ws_wait cs 10

# ss in A while the clients still run (they run until the end)
ip netns exec "$WSOR_NS_A" ss -tanpH >"$W/ss-A.txt" || wsor_die "ss in A"
left=$(awk -v s="$T_START" -v d="$DURATION" -v n="$(date +%s.%N)" 'BEGIN{printf "%d", s+d-n+10}')
ws_wait cmp "$left"
wsor_log "wirestat --compare done"
# everything still up at the end: the rows describe live connections
for p in act4 act6 craft idle unseen S4 S6 SB; do
	v="PID_$p"
	kill -0 "${!v}" 2>/dev/null || fail "helper $p died: $(cat "$W/$p.err")"
done

# ------------------------------------------------------------- the checks
export A4=$WSOR_ADDR_A4 A6=$WSOR_ADDR_A6 B4=$WSOR_ADDR_B4 B6=$WSOR_ADDR_B6
export PID_S4 PID_S6 PID_unseen PORT_idle PORT_act4 PORT_act6 CRAFT_PORT \
	UNSEEN_PORT DURATION

# rows.py: what both checkers share (row lookups with addresses
# normalized, ok/FAIL lines).
cat >"$W/rows.py" <<'EOF'
import ipaddress, json, os, sys

E = os.environ
failed = []

def norm(a):
    if a is None:
        return None
    try:
        ip = ipaddress.ip_address(str(a).strip("[]"))
    except ValueError:
        return a
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)

def load(path):
    out = []
    for n, line in enumerate(open(path), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as e:
                fail("%s:%d is not JSON (%s): %s" % (path, n, e, line[:200]))
    return out

def ok(msg):
    print("ok:", msg)

def fail(msg):
    print("FAIL:", msg)
    failed.append(msg)

def pick(rows, **want):
    """The rows whose keys have these values (addresses normalized)."""
    got = []
    for r in rows:
        for k, v in want.items():
            rv = r.get(k, "<absent>")
            if k.endswith("_addr"):
                rv, v = norm(rv), norm(v)
            if rv != v:
                break
        else:
            got.append(r)
    return got

def one(rows, desc, **want):
    got = pick(rows, **want)
    if len(got) != 1:
        fail("%s: %d rows with %s, want 1; the rows:\n    %s" % (
            desc, len(got), json.dumps(want),
            "\n    ".join(json.dumps(r) for r in rows)))
        return None
    return got[0]

def expect(row, desc, **want):
    """row's keys have these values (a tuple: one of them)."""
    if row is None:
        return
    bad = []
    for k, v in want.items():
        if k not in row:
            bad.append("%s absent" % k)
            continue
        alts = v if isinstance(v, tuple) else (v,)
        if row[k] not in alts:
            bad.append("%s is %s, want %s" % (k, json.dumps(row[k]),
                       " or ".join(json.dumps(a) for a in alts)))
    if bad:
        fail("%s: %s; row: %s" % (desc, "; ".join(bad), json.dumps(row)))
    else:
        ok("%s: %s" % (desc, ", ".join("%s=%s" % (k, json.dumps(row[k]))
                                       for k in want)))

def reports(objs):
    """[(header, rows)] in order; rows before any header are report 0."""
    out = []
    for o in objs:
        if "report" in o:
            out.append((o, []))
        else:
            if not out:
                out.append(({"report": 0}, []))
            out[-1][1].append(o)
    return out

def finish():
    sys.exit(1 if failed else 0)
EOF

# --compare: the last report, and the history of a few rows
"$WSOR_PY" - "$W/cmp.out" "$W/ss-A.txt" "$W/rows.py" <<'EOF' || fail "--compare (see above)"
import sys
exec(open(sys.argv[3]).read())
objs = load(sys.argv[1])
reps = reports(objs)
heads = [h for h, _ in reps if "report" in h and h["report"]]
d = int(E["DURATION"])
if len(heads) < d - 2 or any(not {"report", "time", "packets"} <= set(h)
                             for h in heads):
    fail("want at least %d report headers with report, time, packets: %s"
         % (d - 2, [json.dumps(h) for h in heads]))
else:
    ok("%d reports, numbered %s" % (len(heads), [h["report"] for h in heads]))
if not reps:
    fail("no output"); finish()
rows = reps[-1][1]
print("  last report: %s, %d rows" % (json.dumps(reps[-1][0]), len(rows)))
for r in rows:
    print("   ", json.dumps(r))
A4, A6, B4, B6 = E["A4"], E["A6"], E["B4"], E["B6"]
S4, S6 = int(E["PID_S4"]), int(E["PID_S6"])
keys = {"proto", "local_addr", "local_port", "remote_addr", "remote_port",
        "state", "partial", "vlan", "inner_vlan", "wire_state",
        "kernel_state", "conntrack_state", "pid", "program", "verdict",
        "kernel_only", "match"}
for r in rows:
    if not keys <= set(r):
        fail("row lacks %s: %s" % (sorted(keys - set(r)), json.dumps(r)))
        break
else:
    ok("every row has the --compare keys")

# (i) idle, connected before the start
r = one(rows, "(i) idle connection", proto="tcp", local_addr=A4,
        local_port=7001, remote_addr=B4, remote_port=int(E["PORT_idle"]))
expect(r, "(i) idle connection (before the start, silent)",
       verdict="KERNEL_ONLY", kernel_only="idle", wire_state=None,
       kernel_state="ESTABLISHED", state="ESTABLISHED", match=None, pid=S4)
# (ii) active IPv4 client and its listener
r = one(rows, "(ii) act4", proto="tcp", local_addr=A4, local_port=7001,
        remote_addr=B4, remote_port=int(E["PORT_act4"]))
expect(r, "(ii) act4", verdict="MATCH", match="exact",
       wire_state="ESTABLISHED", kernel_state="ESTABLISHED",
       state="ESTABLISHED", kernel_only=None, pid=S4, program="python3")
r = one(rows, "(ii) S4 listener", proto="tcp", local_addr=A4, local_port=7001,
        remote_addr=None)
expect(r, "(ii) S4's listener on 10.207.0.1", verdict="MATCH", match="exact",
       wire_state="LISTENING", kernel_state="LISTENING", pid=S4,
       program="python3")
# (iii) crafted
r = one(rows, "(iii) crafted", proto="tcp", local_addr=A4,
        local_port=int(E["CRAFT_PORT"]), remote_addr=B4, remote_port=7003)
expect(r, "(iii) crafted connection (no socket)", verdict="WIRE_ONLY",
       kernel_state=None, wire_state="ESTABLISHED", state="ESTABLISHED",
       kernel_only=None, match=None, pid=None, program=None)
# (iv) IPv6
r = one(rows, "(iv) act6", proto="tcp6", local_addr=A6, local_port=7006,
        remote_addr=B6, remote_port=int(E["PORT_act6"]))
expect(r, "(iv) act6", verdict="MATCH", match="exact",
       wire_state="ESTABLISHED", kernel_state="ESTABLISHED", pid=S6,
       program="python3")
r = one(rows, "(iv) S6 listener", proto="tcp6", local_addr=A6,
        local_port=7006, remote_addr=None)
expect(r, "(iv) S6's listener on [::] (seen on fd20:7::1)", verdict="MATCH",
       match="wildcard", wire_state="LISTENING", kernel_state="LISTENING",
       pid=S6, program="python3")

# (v) created after the start, never on the wire
r = one(rows, "(v) unseen", proto="tcp", local_addr=A4, remote_addr=B4,
        remote_port=int(E["UNSEEN_PORT"]))
expect(r, "(v) SYN_SENT from A whose SYNs never reach the wire",
       verdict="KERNEL_ONLY", kernel_only="never_seen", wire_state=None,
       kernel_state="SYN_SENT", state="SYN_SENT", match=None,
       pid=int(E["PID_unseen"]), program="python3")

# no row of B's: --compare lists this host's sockets
theirs = [r for r in rows if norm(r.get("local_addr")) in (B4, B6)]
if theirs:
    fail("rows with B's address as the local one: %s" % theirs)
else:
    ok("no row has B's address as its local address")

# history: the crafted row settles first; act4/act6 never disagree
def history(**want):
    return [(h.get("report"), [r.get("verdict") for r in pick(rs, **want)])
            for h, rs in reps]
hc = [(n, v) for n, v in history(proto="tcp", local_addr=A4,
      local_port=int(E["CRAFT_PORT"]), remote_addr=B4) if v]
print("  crafted row's verdicts by report:", hc)
if not hc or hc[0][1] != ["SETTLING"]:
    fail("(iii) the crafted row's first verdict is not SETTLING: %s" % hc)
else:
    ok("(iii) the crafted row was SETTLING when it appeared")
for name, proto, la, lp, ra, rp in (
        ("act4", "tcp", A4, 7001, B4, E["PORT_act4"]),
        ("act6", "tcp6", A6, 7006, B6, E["PORT_act6"])):
    h = [(n, v) for n, v in history(proto=proto, local_addr=la, local_port=lp,
                                   remote_addr=ra, remote_port=int(rp)) if v]
    bad = [(n, v) for n, v in h if set(v) - {"SETTLING", "MATCH"} or len(v) != 1]
    if bad:
        fail("%s: verdicts other than SETTLING/MATCH (or duplicate rows): %s"
             % (name, h))
    else:
        ok("%s: only SETTLING/MATCH in %d reports" % (name, len(h)))

# every ESTABLISHED A<->B connection of ss (but the idle one) is MATCH
def ep(s):
    a, p = s.rsplit(":", 1)
    return norm(a), int(p)
n = 0
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 5 or f[0] != "ESTAB":
        continue
    (la, lp), (ra, rp) = ep(f[3]), ep(f[4])
    if la not in (A4, A6) or ra not in (B4, B6):
        continue
    if ra == B4 and rp == int(E["PORT_idle"]):
        continue
    n += 1
    got = pick(rows, local_addr=la, local_port=lp, remote_addr=ra,
               remote_port=rp)
    if len(got) != 1 or got[0]["verdict"] != "MATCH":
        fail("ss's %s: want one MATCH row, have %s" % (line.strip(), got))
    else:
        ok("ss's ESTAB %s:%d <- %s:%d is MATCH" % (la, lp, ra, rp))
if n < 2:
    fail("ss in A lists %d ESTABLISHED connections with B (want 2)" % n)
finish()
EOF

# -o -b / -o / neither: the socket view
"$WSOR_PY" - "$W/ob.out" "$W/o.out" "$W/plain.out" "$W/rows.py" <<'EOF' ||
import sys
exec(open(sys.argv[4]).read())
A4, A6, B4, B6 = E["A4"], E["A6"], E["B4"], E["B6"]
S4, S6 = int(E["PID_S4"]), int(E["PID_S6"])
rows = [o for o in load(sys.argv[1]) if "report" not in o]
print("  -o -b rows:")
for r in rows:
    print("   ", json.dumps(r))
for desc, want, pid in (
        ("S4's listener", dict(proto="tcp", local_addr=A4, local_port=7001,
                               remote_addr=None), S4),
        ("act4 at S4", dict(proto="tcp", local_addr=A4, local_port=7001,
                            remote_addr=B4, remote_port=int(E["PORT_act4"])), S4),
        ("S6's listener", dict(proto="tcp6", local_addr=A6, local_port=7006,
                               remote_addr=None), S6),
        ("act6 at S6", dict(proto="tcp6", local_addr=A6, local_port=7006,
                            remote_addr=B6, remote_port=int(E["PORT_act6"])), S6)):
    expect(one(rows, "-o -b " + desc, **want), "-o -b " + desc, pid=pid,
           program="python3")
theirs = [r for r in rows if norm(r.get("local_addr")) in (B4, B6)]
if len(theirs) < 2:
    fail("-o -b: %d rows with B's local address (the clients'), want >= 2"
         % len(theirs))
for r in theirs:
    expect(r, "-o -b B's socket %s:%s" % (r["local_addr"], r["local_port"]),
           pid=None, program=None)
expect(one(rows, "-o -b crafted", local_addr=A4,
           local_port=int(E["CRAFT_PORT"])), "-o -b crafted (no socket)",
       pid=None, program=None)
for path, desc, has_pid in ((sys.argv[2], "-o", True),
                            (sys.argv[3], "neither -o nor -b", False)):
    rs = [o for o in load(path) if "report" not in o]
    if len(rs) < 4:
        fail("%s: only %d rows" % (desc, len(rs)))
        continue
    bad = [r for r in rs if ("pid" in r) != has_pid or "program" in r]
    if bad:
        fail("%s: rows with%s pid, or with program: %s" % (
            desc, "out" if has_pid else "", bad[:3]))
    else:
        ok("%s: %d rows, pid %s, program absent" % (
            desc, len(rs), "present" if has_pid else "absent"))
    if has_pid:
        r = one(rs, "-o act4", local_addr=A4, local_port=7001, remote_addr=B4,
                remote_port=int(E["PORT_act4"]))
        expect(r, "-o act4", pid=S4)
finish()
EOF
	fail "-o / -b socket view (see above)"

# --compare -s: the wire's TCP counters beside /proc/net/snmp's deltas
# (the active clients' segments on both sides), and the readers' counts
"$WSOR_PY" - "$W/cs.out" <<'EOF' ||
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = []
for key in ("InSegs", "OutSegs"):
    r = [x for x in rows if x.get("group") == "tcp" and x.get("key") == key]
    if (len(r) != 1 or r[0]["kernel_counter"] != "Tcp." + key or
            not r[0]["wire"] or not r[0]["kernel"] or
            r[0]["difference"] != r[0]["kernel"] - r[0]["wire"]):
        bad.append(("tcp " + key, r))
    else:
        print("ok: --compare -s %s: wire %d, kernel %d" % (
            key, r[0]["wire"], r[0]["kernel"]))
k = [x for x in rows if x.get("group") == "kernel_sockets"]
if len(k) != 1 or k[0]["records_read"] < 3:
    bad.append(("kernel_sockets", k))
else:
    print("ok: --compare -s: the socket reader read %d records" %
          k[0]["records_read"])
for b in bad:
    print("FAIL: --compare -s", b)
sys.exit(1 if bad else 0)
EOF
	fail "--compare -s (see above)"

if [ ${#FAILS[@]} -gt 0 ]; then
	echo "compare-test: ${#FAILS[@]} failure(s):"
	printf '  %s\n' "${FAILS[@]}"
	exit 1
fi
WSOR_OK=1
echo "compare-test: PASS"

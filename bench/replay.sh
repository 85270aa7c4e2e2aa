#!/usr/bin/env bash
# bench/replay.sh - live capture under load: the big synthetic capture
# replayed at full speed onto a veth, wirestat capturing on the other end,
# next to tcpdump -w /dev/null under the same replay.
#
#   sudo bench/replay.sh          (root: namespaces, tcpreplay)
#
# Two network namespaces joined by one veth pair (MTU 9000, offloads off,
# no addresses, IPv6 off: nothing in them answers, nothing leaves them):
#
#     [wsli-<pid>-tx] wsli-<pid>-bt  --tcpreplay --topspeed-->  wsli-<pid>-br [wsli-<pid>-rx]
#                                                               wirestat -I / tcpdump -i
#
# For each capture buffer size (BUFFERS, MiB) and each capturer:
#   wirestat -I br -s --format json --buffer-size M   (SIGINT once it has
#       drained the ring after the replay: packets, kernel_received,
#       kernel_dropped from its -s report)
#   tcpdump -i br -n -w /dev/null -B M*1024           (its "captured",
#       "received by filter" and "dropped by kernel" lines)
# with tcpreplay -K --topspeed (the capture preloaded in memory) sending
# bench/out/big.pcap (generated with bench/gen_synthetic.py if missing,
# as bench/run.sh does).  "kept up" = packets the capturer processed per
# second of replay; "unaccounted" = sent - seen - dropped (0: every packet
# is either processed or counted as dropped).  Results: a table on stdout
# and $OUT/replay.json.
#
# Environment:
#   BUFFERS="2 32 256"    capture buffer sizes, MiB (2 is libpcap's default)
#   PCAP=bench/out/big.pcap
#   WIRESTAT=...          default: bench/out/build/wirestat (release, rebuilt)
#   LOOPS=1               tcpreplay --loop
#   REPEAT=3              runs of each (buffer, capturer), interleaved
#   PPS=                  a rate (tcpreplay --pps) instead of --topspeed
#   PIN=1                 tcpreplay on CPU 1, the capturer on CPU 0
#   WORKERS="1"           wirestat --workers counts to measure (2 or more:
#                         capturer "wirestat-wN", not pinned)
#
# Not part of the test suite.
set -euo pipefail

cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/replay.sh: needs root" >&2; exit 77; }
OUT=${BENCH_OUT:-bench/out}
BUILD=$OUT/build
PCAP=${PCAP:-$OUT/big.pcap}
BUFFERS=${BUFFERS:-2 32 256}
LOOPS=${LOOPS:-1}
REPEAT=${REPEAT:-3}
PY=$(command -v python3 || echo /usr/bin/python3)
say() { printf 'replay: %s\n' "$*" >&2; }

for t in ip ethtool tcpdump; do
	command -v "$t" >/dev/null || { say "missing tool: $t"; exit 1; }
done
if ! command -v tcpreplay >/dev/null; then
	say "installing Debian's tcpreplay"
	apt-get install -y -q tcpreplay >/dev/null
fi

mkdir -p "$OUT"
if [ -z "${WIRESTAT:-}" ]; then
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" --buildtype=release -Dtests=false >/dev/null
	fi
	ninja -C "$BUILD" wirestat >/dev/null
	WIRESTAT=$BUILD/wirestat
fi
WIRESTAT=$(realpath "$WIRESTAT")
if [ ! -s "$PCAP" ]; then
	say "generating $PCAP (bench/gen_synthetic.py)"
	"$PY" bench/gen_synthetic.py -o "$PCAP" --expected-rows "$OUT/big.rows.jsonl"
fi

NS_TX="wsli-$$-tx" NS_RX="wsli-$$-rx"
IF_TX="wsli-$$-bt" IF_RX="wsli-$$-br"
WORK=$(mktemp -d /tmp/wsli-replay.XXXXXX)
PIDS=()
cleanup() {
	local rc=$? pid
	set +e # clean up everything, whatever fails
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null && sleep 0.2
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS_TX" 2>/dev/null
	ip netns del "$NS_RX" 2>/dev/null
	if [ $rc -eq 0 ]; then rm -rf "$WORK"; else say "work directory kept: $WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS_TX"
ip netns add "$NS_RX"
for ns in "$NS_TX" "$NS_RX"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$IF_TX" netns "$NS_TX" mtu 9000 type veth peer name "$IF_RX" netns "$NS_RX" mtu 9000
ip netns exec "$NS_TX" ethtool -K "$IF_TX" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
ip netns exec "$NS_RX" ethtool -K "$IF_RX" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
ip -n "$NS_TX" link set "$IF_TX" up
ip -n "$NS_RX" link set "$IF_RX" up
sleep 0.5

PACKETS=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"])' "$PCAP.json" 2>/dev/null || echo "?")
say "$PCAP: $PACKETS packets, $(( $(stat -c %s "$PCAP") / 1000000 )) MB; $(nproc) CPUs; buffers: $BUFFERS MiB"
say "wirestat: $WIRESTAT"
cat "$PCAP" >/dev/null # page cache

rate=(--topspeed)
# Each on a CPU of its own when there are two: tcpreplay (and the kernel's
# delivery to the capture ring, done in its context) on CPU 1, the
# capturer on CPU 0.  PIN=0: let the scheduler place them.
PIN_TX=() PIN_RX=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_TX=(taskset -c 1) PIN_RX=(taskset -c 0)
fi
[ -n "${PPS:-}" ] && rate=(--pps="$PPS")

# cpu_ticks PID: user+system clock ticks so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# drain PID: wait until the capturer has used no CPU for 0.5 s (it has
# read what the ring held), and at least 1.5 s: tcpdump's last, partly
# filled ring block is handed over only after its 1 s timeout.  At most
# 60 s.
drain() {
	local pid=$1 a b _
	sleep 1.5
	a=$(cpu_ticks "$pid")
	for _ in $(seq 120); do
		sleep 0.5
		b=$(cpu_ticks "$pid")
		[ "$a" = "$b" ] && return 0
		a=$b
	done
}

# wait_ready PID ERRFILE KIND: until the capture is open.
wait_ready() {
	local pid=$1 err=$2 kind=$3 mask _
	for _ in $(seq 300); do
		kill -0 "$pid" 2>/dev/null || { say "$kind exited: $(cat "$err")"; exit 1; }
		if [ "$kind" = tcpdump ]; then
			grep -q 'listening on' "$err" && return 0
		else
			mask=$(awk '/^SigCgt:/{print $2}' "/proc/$pid/status" 2>/dev/null)
			[ -n "$mask" ] && (((16#$mask & 2) != 0)) && return 0
		fi
		sleep 0.02
	done
	say "$kind never started"
	exit 1
}

# replay: tcpreplay in TX; its summary into $WORK/tcpreplay.out.
replay() {
	ip netns exec "$NS_TX" "${PIN_TX[@]}" tcpreplay -K "${rate[@]}" --loop="$LOOPS" -i "$IF_TX" "$PCAP" \
		>"$WORK/tcpreplay.out" 2>&1 || { say "tcpreplay failed: $(tail -5 "$WORK/tcpreplay.out")"; exit 1; }
}

RESULTS=$WORK/results.jsonl
: >"$RESULTS"
run_one() {
	local kind=$1 mib=$2 pid t0 t1 ticks
	if [ "$kind" = wirestat ]; then
		ip netns exec "$NS_RX" "${PIN_RX[@]}" "$WIRESTAT" -I "$IF_RX" -s --format json --buffer-size "$mib" \
			>"$WORK/cap.out" 2>"$WORK/cap.err" &
	elif [[ $kind == wirestat-w* ]]; then
		ip netns exec "$NS_RX" "$WIRESTAT" -I "$IF_RX" -s --format json --buffer-size "$mib" \
			--workers "${kind#wirestat-w}" >"$WORK/cap.out" 2>"$WORK/cap.err" &
	else
		ip netns exec "$NS_RX" "${PIN_RX[@]}" tcpdump -i "$IF_RX" -n -s 262144 -B $((mib * 1024)) -w /dev/null \
			>"$WORK/cap.out" 2>"$WORK/cap.err" &
	fi
	pid=$!
	PIDS+=("$pid")
	wait_ready "$pid" "$WORK/cap.err" "${kind%-w*}"
	t0=$(date +%s.%N)
	replay
	t1=$(date +%s.%N)
	drain "$pid"
	ticks=$(cpu_ticks "$pid")
	kill -INT "$pid"
	wait "$pid" || { say "$kind exited $?: $(cat "$WORK/cap.err")"; exit 1; }
	"$PY" - "$kind" "$mib" "$t0" "$t1" "$ticks" "$(getconf CLK_TCK)" \
		"$WORK/tcpreplay.out" "$WORK/cap.out" "$WORK/cap.err" >>"$RESULTS" <<'EOF'
import json, re, sys
kind, mib, t0, t1, ticks, hz, rp, out, err = sys.argv[1:]
r = {"capturer": kind, "buffer_mib": int(mib), "replay_wall_s": float(t1) - float(t0),
     "capturer_cpu_s": int(ticks) / int(hz)}
text = open(rp).read()
m = re.search(r"Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds", text)
r["sent"], r["sent_bytes"], r["replay_s"] = int(m[1]), int(m[2]), float(m[3])
m = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps", text)
r["sent_mbps"], r["sent_pps"] = float(m[1]), float(m[2])
m = re.search(r"Failed packets:\s+(\d+)", text)
r["send_failed"] = int(m[1]) if m else 0
if kind.startswith("wirestat"):
    s = [json.loads(l) for l in open(out) if '"kernel_dropped"' in l][0]
    r["seen"] = s["packets"]
    r["kernel_received"] = s["kernel_received"]
    r["kernel_dropped"] = s["kernel_dropped"]
    r["interface_dropped"] = s["interface_dropped"]
else:
    e = open(err).read()
    r["seen"] = int(re.search(r"(\d+) packets captured", e)[1])
    r["kernel_received"] = int(re.search(r"(\d+) packets received by filter", e)[1])
    r["kernel_dropped"] = int(re.search(r"(\d+) packets dropped by kernel", e)[1])
    m = re.search(r"(\d+) packets dropped by interface", e)
    r["interface_dropped"] = int(m[1]) if m else 0
r["kept_up_pps"] = r["seen"] / r["replay_s"]
r["drop_pct"] = 100.0 * r["kernel_dropped"] / r["sent"] if r["sent"] else 0.0
# Every packet sent is either seen or counted as dropped (none unread).
r["unaccounted"] = r["sent"] - r["seen"] - r["kernel_dropped"]
print(json.dumps(r))
EOF
	tail -1 "$RESULTS" | "$PY" -c 'import json, sys
print("replay: {capturer:11} buffer {buffer_mib:4} MiB: sent {sent} at {sent_pps:.0f} pps; seen {seen}, dropped {kernel_dropped} ({drop_pct:.1f} %)".format(**json.load(sys.stdin)), file=sys.stderr)'
	PIDS=()
}

for ((rep = 1; rep <= REPEAT; rep++)); do
	for mib in $BUFFERS; do
		run_one wirestat "$mib"
		for w in ${WORKERS:-1}; do
			[ "$w" -gt 1 ] && run_one "wirestat-w$w" "$mib"
		done
		run_one tcpdump "$mib"
	done
done

"$PY" - "$RESULTS" "$OUT/replay.json" "$PCAP" "$(nproc)" "$WIRESTAT" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump({"pcap": sys.argv[3], "cpus": int(sys.argv[4]), "wirestat": sys.argv[5],
           "runs": rows}, open(sys.argv[2], "w"), indent=1)
print(f"{'buffer':>7} {'capturer':9} {'sent':>8} {'replay pps':>11} {'seen':>8} "
      f"{'kept up pps':>12} {'kernel drop':>12} {'drop %':>7} {'cpu s':>6} {'unacc.':>6}")
for r in sorted(rows, key=lambda r: (r["buffer_mib"], r["capturer"] != "wirestat")):
    print(f"{r['buffer_mib']:4} MiB {r['capturer']:9} {r['sent']:8} {r['sent_pps']:11.0f} "
          f"{r['seen']:8} {r['kept_up_pps']:12.0f} {r['kernel_dropped']:12} "
          f"{r['drop_pct']:7.2f} {r['capturer_cpu_s']:6.2f} {r['unaccounted']:6}")
print()
print("median over the runs (drop % min..max):")
groups = {}
for r in rows:
    groups.setdefault((r["buffer_mib"], r["capturer"]), []).append(r)
for (mib, cap), rs in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] != "wirestat")):
    med = lambda k: sorted(x[k] for x in rs)[len(rs) // 2]
    drops = sorted(x["drop_pct"] for x in rs)
    print(f"{mib:4} MiB {cap:9} replay {med('sent_pps'):9.0f} pps, kept up {med('kept_up_pps'):9.0f} pps, "
          f"kernel drops {med('kernel_dropped'):7} ({med('drop_pct'):.2f} %, {drops[0]:.2f}..{drops[-1]:.2f}), "
          f"cpu {med('capturer_cpu_s'):.2f} s over {len(rs)} run(s)")
EOF
say "results in $OUT/replay.json"

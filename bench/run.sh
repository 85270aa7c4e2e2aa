#!/usr/bin/env bash
# bench/run.sh - wirestat against a bare libpcap loop on one large capture.
#
#   bench/run.sh            build, generate bench/out/big.pcap if missing,
#                           measure, print the table (and bench/out/results.json)
#
# Environment:
#   RUNS=7          timed runs of each program (the median is reported)
#   BENCH_OUT=bench/out     where the build, the capture and results go
#   INSTRUCTIONS=0  skip the instruction counts (callgrind takes ~1 min)
#   CHECK=0         skip the state check against the generator's intent
#   SEED=...        generator seed (a new seed needs a fresh big.pcap)
#
# Measures, on the same file with the page cache warm:
#   (a) wall time of `bare_loop big.pcap` and `wirestat -R big.pcap -a -n`
#       (median of RUNS, runs interleaved), and their ratio;
#   (b) peak RSS of each (/usr/bin/time -v) and memory per tracked flow =
#       (wirestat RSS - bare_loop RSS) / flows in wirestat's table at its
#       peak (from the generator's sidecar); also the same figure with no
#       rows reported (--host 192.0.2.1), i.e. the flow table alone;
#   (c) instructions executed by each (perf stat if the machine exposes the
#       counter, else valgrind's callgrind), and their ratio: unlike wall
#       time they do not depend on what else the machine is doing.
# Then checks wirestat's rows (--format json) against the rows the
# generator intended (bench/check_states.py).
#
# Not part of the test suite: nothing here is registered with meson test.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${BENCH_OUT:-bench/out}
BUILD=$OUT/build
PCAP=$OUT/big.pcap
SIDECAR=$PCAP.json
ROWS=$OUT/big.rows.jsonl
RUNS=${RUNS:-7}
PY=$(command -v python3 || echo /usr/bin/python3)
WS_ARGS=(-a -n)

say() { printf '%s\n' "$*" >&2; }

# /usr/bin/time (Debian package "time") gives peak RSS; valgrind the
# instruction counts when perf cannot.
if [ ! -x /usr/bin/time ]; then
	say "bench: /usr/bin/time missing: installing Debian package 'time'"
	apt-get install -y -q time >/dev/null
fi

mkdir -p "$OUT"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$BUILD" wirestat bench/bare_loop >/dev/null
WS=$BUILD/wirestat
BARE=$BUILD/bench/bare_loop

if [ ! -s "$PCAP" ] || [ ! -s "$SIDECAR" ] || [ ! -s "$ROWS" ] ||
	[ bench/gen_synthetic.py -nt "$PCAP" ]; then
	say "bench: generating $PCAP"
	"$PY" bench/gen_synthetic.py -o "$PCAP" --expected-rows "$ROWS" \
		${SEED:+--seed "$SEED"}
fi

side() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$SIDECAR" "$1"; }
PACKETS=$(side packets)
FLOWS=$(side flows_peak)
FILE_MB=$(( $(stat -c %s "$PCAP") / 1000000 ))

# Warm the page cache, and each program once.
cat "$PCAP" >/dev/null
"$BARE" "$PCAP" >/dev/null
"$WS" -R "$PCAP" "${WS_ARGS[@]}" >/dev/null

# (a) wall time, in microseconds, runs interleaved so drift hits both.
wall_us() {
	local t0=${EPOCHREALTIME/./}
	"$@" >/dev/null
	echo $(( ${EPOCHREALTIME/./} - t0 ))
}
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'; }
bare_t=() ws_t=()
for ((i = 0; i < RUNS; i++)); do
	bare_t+=("$(wall_us "$BARE" "$PCAP")")
	ws_t+=("$(wall_us "$WS" -R "$PCAP" "${WS_ARGS[@]}")")
done
BARE_US=$(printf '%s\n' "${bare_t[@]}" | median)
WS_US=$(printf '%s\n' "${ws_t[@]}" | median)

# (b) peak RSS in kB, median of three.
rss_kb() {
	local r=()
	for _ in 1 2 3; do
		r+=("$(/usr/bin/time -v "$@" 2>&1 >/dev/null |
			awk -F': ' '/Maximum resident set size/ {print $2}')")
	done
	printf '%s\n' "${r[@]}" | median
}
BARE_KB=$(rss_kb "$BARE" "$PCAP")
WS_KB=$(rss_kb "$WS" -R "$PCAP" "${WS_ARGS[@]}")
WS_NOROWS_KB=$(rss_kb "$WS" -R "$PCAP" "${WS_ARGS[@]}" --host 192.0.2.1)

# (c) instructions: perf if the counter exists, else callgrind.
instr() { # tag cmd...
	local tag=$1
	shift
	if [ "$COUNTER" = perf ]; then
		perf stat -x, -e instructions:u "$@" 2>&1 >/dev/null |
			awk -F, '/instructions/ {print $1}'
	else
		valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$tag.out" \
			"$@" >/dev/null 2>"$OUT/callgrind.$tag.log"
		awk '/^(summary|totals):/ {print $2; exit}' "$OUT/callgrind.$tag.out"
	fi
}
COUNTER=none BARE_I='' WS_I=''
if [ "${INSTRUCTIONS:-1}" != 0 ]; then
	if perf stat -x, -e instructions:u true 2>&1 | grep -q '^[0-9]'; then
		COUNTER=perf
	elif command -v valgrind >/dev/null; then
		COUNTER=callgrind
	else
		say "bench: no instruction counter (perf has none here; install valgrind)"
	fi
	if [ "$COUNTER" != none ]; then
		say "bench: counting instructions with $COUNTER"
		BARE_I=$(instr bare "$BARE" "$PCAP")
		WS_I=$(instr wirestat "$WS" -R "$PCAP" "${WS_ARGS[@]}")
	fi
fi

# The state check: wirestat's rows against the generator's intent.
CHECK_RESULT=skipped
if [ "${CHECK:-1}" != 0 ]; then
	"$WS" -R "$PCAP" -a -n --format json >"$OUT/big.wirestat.jsonl"
	if "$PY" bench/check_states.py "$ROWS" "$OUT/big.wirestat.jsonl" \
		>"$OUT/check.txt"; then
		CHECK_RESULT="all $(side expected_rows) rows agree"
	else
		CHECK_RESULT="MISMATCH (see $OUT/check.txt)"
	fi
fi

"$PY" - "$OUT/results.json" <<EOF
import json, sys
r = dict(packets=$PACKETS, flows=$FLOWS, file_mb=$FILE_MB, runs=$RUNS,
         bare_us=$BARE_US, wirestat_us=$WS_US,
         bare_runs_us=[${bare_t[*]/%/,}], wirestat_runs_us=[${ws_t[*]/%/,}],
         bare_rss_kb=$BARE_KB, wirestat_rss_kb=$WS_KB,
         wirestat_rss_no_rows_kb=$WS_NOROWS_KB,
         counter="$COUNTER", bare_instr=int("${BARE_I:-0}" or 0),
         wirestat_instr=int("${WS_I:-0}" or 0), check="$CHECK_RESULT")
r["time_ratio"] = r["wirestat_us"] / r["bare_us"]
r["bytes_per_flow"] = (r["wirestat_rss_kb"] - r["bare_rss_kb"]) * 1024 / r["flows"]
r["bytes_per_flow_no_rows"] = (r["wirestat_rss_no_rows_kb"] - r["bare_rss_kb"]) * 1024 / r["flows"]
r["ns_per_packet_over_bare"] = (r["wirestat_us"] - r["bare_us"]) * 1000 / r["packets"]
if r["bare_instr"]:
    r["instr_ratio"] = r["wirestat_instr"] / r["bare_instr"]
    r["instr_per_packet_over_bare"] = (r["wirestat_instr"] - r["bare_instr"]) / r["packets"]
json.dump(r, open(sys.argv[1], "w"), indent=1)
ok = lambda good: "ok" if good else "MISSED"
print()
print("wirestat bench: %s, %d packets, %d MB, %d flows at peak"
      % ("$PCAP", r["packets"], r["file_mb"], r["flows"]))
print("  %-34s %12s %12s %9s   %s" % ("", "bare_loop", "wirestat", "ratio", "target"))
print("  %-34s %10.3f s %10.3f s %8.2fx   <= 1.5x %s" % (
    "wall time, median of %d" % r["runs"], r["bare_us"] / 1e6,
    r["wirestat_us"] / 1e6, r["time_ratio"], ok(r["time_ratio"] <= 1.5)))
print("  %-34s %12s %10.0f ns" % ("  wirestat's own work per packet", "",
                                    r["ns_per_packet_over_bare"]))
print("  %-34s %9.1f MB %9.1f MB" % ("peak RSS", r["bare_rss_kb"] / 1024,
                                     r["wirestat_rss_kb"] / 1024))
print("  %-34s %12s %10.0f B %12s   < 300 B %s" % (
    "memory per tracked flow", "", r["bytes_per_flow"], "",
    ok(r["bytes_per_flow"] < 300)))
print("  %-34s %12s %10.0f B" % ("  flow table alone (no rows out)", "",
                                 r["bytes_per_flow_no_rows"]))
if r["bare_instr"]:
    print("  %-34s %10.2f G %10.2f G %8.2fx" % (
        "instructions (%s)" % r["counter"], r["bare_instr"] / 1e9,
        r["wirestat_instr"] / 1e9, r["instr_ratio"]))
    print("  %-34s %12s %12.0f" % ("  wirestat's own per packet", "",
                                   r["instr_per_packet_over_bare"]))
print("  %-34s %s" % ("states vs generator", r["check"]))
print("  (runs in us: bare %s; wirestat %s)" % (r["bare_runs_us"], r["wirestat_runs_us"]))
EOF

#!/bin/bash
# live-test.sh WIRESTAT - live capture (-I) against real kernels on both
# ends of veth pairs in network namespaces (issue 6).  About 40 s.
#
#   main    A client, B server, one veth pair: driver.py's smoke profile
#           (every TCP state, UDP, 300 connections) while ten wirestat
#           processes capture live on B's veth at once:
#           - --duration: the final report (-a -n --format json) against
#             ss in both namespaces, taken the moment that report is
#             written (compare.py: 98 %, every scenario as designed, every
#             state shown);
#           - -F 'tcp port 5004': exactly the main run's rows of that port;
#           - -Z nobody: runs as uid 65534 (/proc), the same rows;
#           - --workers 2: 2 capture threads and packet sockets, the same
#             rows (a connection split over threads would not be); with
#             -s, both workers read packets and they add up;
#           - SIGINT, without and with an interval: final report, exit 0;
#           - interval 1 s, --duration 3.5 (table and JSON): numbered,
#             timestamped headers an interval apart;
#           - --events: a connection opened ~10 s in has its lines in the
#             output within 1 s, while wirestat still runs.
#   merged  C client, D server, two veth pairs with asymmetric routes
#           (C->D on link 1, D->C on link 2), both directions of both
#           links mirrored (tc mirred) to a veth whose far end, alone in
#           namespace S, is a sensor's port: -I d1 -I d2 gives the rows,
#           packet count, time order (-s) and --events of -I <sensor port>;
#           -R d1.pcap -R d2.pcap (tcpdump) gives them too (the premise);
#           -I d1 alone does not (so the comparison can fail); --events
#           lines of a connection on a quiet network within 1 s.
#   ring    a 2000-frame burst on a veth with offloads on (a NIC's
#           default): --events and --conn lose none, as the default mode.
#   noperm  as nobody without capabilities: one error line naming
#           CAP_NET_RAW, exit 2.
#   gone    the veth deleted while wirestat captures on it: the report so
#           far (the open connection's rows), one error line, exit 1.
#
# WSLI_ONLY="merged gone" runs only those sections.  Names start with
# "wsli-<pid>-"; addresses are in 10.204.0.0/24 and fd20:4::/64; no packet
# leaves the namespaces.  An EXIT trap (lib.sh's) deletes the namespaces
# and stops, by PID, what the script started.  Needs root: exits 77
# (skipped) when not root, and only then.  The work directory is kept
# after a failure (WSOR_KEEP=1: after a pass too).
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the live-capture tests need root (network namespaces)"
	exit 77
fi

WIRESTAT=${1:?usage: live-test.sh WIRESTAT}
WIRESTAT=$(realpath "$WIRESTAT")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "$(mktemp -d /tmp/wsli.XXXXXX)"
WSOR_WORK_TEMP=1 # ours: removed after a pass
# Our own names and addresses (lib.sh's are wsor-*, 10.201.0.0/24).
wsor_pair wsli 4
NS_C="wsli-$$-C"
NS_D="wsli-$$-D"
IF_C1="wsli-$$-c1" IF_D1="wsli-$$-d1" IF_C2="wsli-$$-c2" IF_D2="wsli-$$-d2"
NS_S="wsli-$$-S"
IF_SPAN="wsli-$$-sp" IF_SENSOR="wsli-$$-se"
HELPER=("$WSOR_PY" "$WSOR_HERE/live_helper.py")
W=$WSOR_WORK
MAIN_DURATION=${WSLI_DURATION:-24} # the main session's --duration
B=$WSOR_IF_B
J=(-a -n --format json)

wsor_require_tools
command -v setpriv >/dev/null || wsor_die "missing tool: setpriv"
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"
wsor_log "work directory $W"

# check DESCRIPTION COMMAND...: run a check, its output indented.
check() {
	local desc=$1
	shift
	if "$@" 2>&1 | sed 's/^/  /'; then ok "$desc"; else fail "$desc"; fi
}

# ---------------------------------------------------------------- wirestat
declare -A WS_PID WS_RC WS_T0 WS_T1

# ws_start NAME NS [PREFIX... --] ARGS...: wirestat in namespace NS, its
# output in $W/NAME.out and .err.  PREFIX (before --) wraps it (setpriv).
ws_start() {
	local name=$1 ns=$2
	shift 2
	local pre=()
	if [[ " $* " == *" -- "* ]]; then
		while [ "$1" != -- ]; do
			pre+=("$1")
			shift
		done
		shift
	fi
	echo "wirestat ${*}" >"$W/$name.cmd"
	WS_T0[$name]=$(date +%s.%N)
	ip netns exec "$ns" "${pre[@]}" "$WIRESTAT" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	WS_PID[$name]=$!
	WSOR_PIDS+=("$!")
}

# ws_ready NAME...: wait until each has its capture open (its SIGINT
# handler is installed after the capture is opened and -Z is done).
ws_ready() {
	local name pid
	for name in "$@"; do
		pid=${WS_PID[$name]}
		wsor_wait_capturing "$name" "$pid" 200
	done
}

# ws_wait NAME SECONDS: wait for it to exit; its status in WS_RC[NAME]
# (124 if it had to be killed).
ws_wait() {
	local name=$1 limit=$2 pid=${WS_PID[$1]} end
	end=$(awk -v n="$(date +%s.%N)" -v l="$limit" 'BEGIN{printf "%.3f", n+l}')
	while kill -0 "$pid" 2>/dev/null; do
		if awk -v n="$(date +%s.%N)" -v e="$end" 'BEGIN{exit !(n>e)}'; then
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			WS_RC[$name]=124
			WS_T1[$name]=$(date +%s.%N)
			echo "  wirestat $name still running after $limit s: killed"
			return
		fi
		sleep 0.01
	done
	WS_T1[$name]=$(date +%s.%N)
	wait "$pid"
	WS_RC[$name]=$?
}

# expect_exit NAME STATUS [STDERR_LINES]: the exit status, and stderr.
expect_exit() {
	local name=$1 want=$2 lines=${3:-0} rc=${WS_RC[$1]} n
	n=$(wc -l <"$W/$name.err")
	if [ "$rc" != "$want" ]; then
		fail "wirestat $name ($(cat "$W/$name.cmd")) exited $rc, expected $want; stderr: $(head -c 400 "$W/$name.err")"
		return 1
	fi
	if [ "$n" != "$lines" ]; then
		fail "wirestat $name wrote $n stderr line(s), expected $lines: $(head -c 400 "$W/$name.err")"
		return 1
	fi
	ok "wirestat $name exited $rc with $lines stderr line(s)"
}

secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# --------------------------------------------------------------- topology
wsor_setup # A, B and their veth (lib.sh), with the addresses above
wsor_log "namespaces $WSOR_NS_A and $WSOR_NS_B up"

# C and D: two veth pairs; C's and D's service addresses on lo, routed
# asymmetrically (C->D over link 1, D->C over link 2); both directions of
# both of D's veths mirrored (tc mirred) to a veth whose other end is the
# sensor's port, alone in namespace S (no address, no IPv6: silent).
setup_cd() {
	local ns
	ip netns add "$NS_C" || wsor_die "ip netns add $NS_C"
	WSOR_NS_MADE+=("$NS_C")
	ip netns add "$NS_D" || wsor_die "ip netns add $NS_D"
	WSOR_NS_MADE+=("$NS_D")
	ip netns add "$NS_S" || wsor_die "ip netns add $NS_S"
	WSOR_NS_MADE+=("$NS_S")
	ip netns exec "$NS_S" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || wsor_die "sysctl in $NS_S"
	ip netns exec "$NS_D" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 ||
		wsor_die "sysctl in $NS_D"
	ip link add "$IF_SPAN" netns "$NS_D" type veth peer name "$IF_SENSOR" netns "$NS_S" ||
		wsor_die "ip link add (span)"
	ip netns exec "$NS_D" sysctl -qw net.ipv6.conf.default.disable_ipv6=0 ||
		wsor_die "sysctl in $NS_D"
	ip link add "$IF_C1" netns "$NS_C" type veth peer name "$IF_D1" netns "$NS_D" &&
		ip link add "$IF_C2" netns "$NS_C" type veth peer name "$IF_D2" netns "$NS_D" ||
		wsor_die "ip link add (C, D)"
	for ns in "$NS_C" "$NS_D"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.tcp_syn_retries=6 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.forwarding=0 || wsor_die "sysctl in $ns"
		ip -n "$ns" link set lo up
	done
	local dev
	for dev in "$IF_C1" "$IF_C2"; do
		ip netns exec "$NS_C" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1
	done
	for dev in "$IF_D1" "$IF_D2"; do
		ip netns exec "$NS_D" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1
	done
	ip -n "$NS_C" addr add 10.204.0.101/32 dev lo
	ip -n "$NS_D" addr add 10.204.0.102/32 dev lo
	ip -n "$NS_C" addr add fd20:4::c:1/128 dev lo
	ip -n "$NS_D" addr add fd20:4::d:1/128 dev lo
	ip -n "$NS_C" addr add 10.204.0.33/28 dev "$IF_C1"
	ip -n "$NS_D" addr add 10.204.0.34/28 dev "$IF_D1"
	ip -n "$NS_C" addr add 10.204.0.49/28 dev "$IF_C2"
	ip -n "$NS_D" addr add 10.204.0.50/28 dev "$IF_D2"
	ip -n "$NS_C" addr add fd20:4::1:1/112 dev "$IF_C1" nodad
	ip -n "$NS_D" addr add fd20:4::1:2/112 dev "$IF_D1" nodad
	ip -n "$NS_C" addr add fd20:4::2:1/112 dev "$IF_C2" nodad
	ip -n "$NS_D" addr add fd20:4::2:2/112 dev "$IF_D2" nodad
	for dev in "$IF_C1" "$IF_C2"; do ip -n "$NS_C" link set "$dev" up; done
	for dev in "$IF_D1" "$IF_D2" "$IF_SPAN"; do ip -n "$NS_D" link set "$dev" up; done
	ip -n "$NS_S" link set "$IF_SENSOR" up
	# Offloads off on the mirror too: frames as on the links (the ring
	# section tests a port with offloads on).
	ip netns exec "$NS_D" ethtool -K "$IF_SPAN" tso off gso off gro off tx off rx off >/dev/null 2>&1
	ip netns exec "$NS_S" ethtool -K "$IF_SENSOR" tso off gso off gro off tx off rx off >/dev/null 2>&1
	ip netns exec "$NS_C" sysctl -qw "net.ipv4.conf.$IF_C2.rp_filter=0"
	ip netns exec "$NS_D" sysctl -qw "net.ipv4.conf.$IF_D1.rp_filter=0"
	ip -n "$NS_C" route add 10.204.0.102/32 via 10.204.0.34 dev "$IF_C1" src 10.204.0.101 &&
		ip -n "$NS_D" route add 10.204.0.101/32 via 10.204.0.49 dev "$IF_D2" src 10.204.0.102 &&
		ip -n "$NS_C" -6 route add fd20:4::d:1/128 via fd20:4::1:2 dev "$IF_C1" src fd20:4::c:1 &&
		ip -n "$NS_D" -6 route add fd20:4::c:1/128 via fd20:4::2:1 dev "$IF_D2" src fd20:4::d:1 ||
		wsor_die "routes in C and D"
	# The SPAN port: every frame in or out of D's two veths, copied.
	for dev in "$IF_D1" "$IF_D2"; do
		ip netns exec "$NS_D" tc qdisc add dev "$dev" clsact &&
			ip netns exec "$NS_D" tc filter add dev "$dev" ingress protocol all u32 match u32 0 0 \
				action mirred egress mirror dev "$IF_SPAN" &&
			ip netns exec "$NS_D" tc filter add dev "$dev" egress protocol all u32 match u32 0 0 \
				action mirred egress mirror dev "$IF_SPAN" ||
			wsor_die "tc mirred on $dev"
	done
	local _
	for _ in $(seq 100); do
		if [ -z "$(ip -n "$NS_C" -6 addr show tentative)" ] &&
			[ -z "$(ip -n "$NS_D" -6 addr show tentative)" ] &&
			ip -n "$NS_C" link show "$IF_C1" | grep -q 'state UP' &&
			ip -n "$NS_C" link show "$IF_C2" | grep -q 'state UP' &&
			[[ $(ip netns exec "$NS_C" timeout 1 bash -c \
				'echo >/dev/tcp/10.204.0.102/9' 2>&1) == *"Connection refused"* ]]; then
			# a SYN went over link 1 and its RST came back over link 2
			return 0
		fi
		sleep 0.05
	done
	wsor_die "C and D cannot reach each other"
}
setup_cd
wsor_log "namespaces $NS_C, $NS_D, $NS_S up (two links, mirrored to $IF_SENSOR)"

# ============================================================ 1. main session
section_main() {
M=$W/main
mkdir -p "$M"
"${HELPER[@]}" drive --work "$M" --ns-a "$WSOR_NS_A" --ns-b "$WSOR_NS_B" \
	--if-a "$WSOR_IF_A" --if-b "$WSOR_IF_B" >"$M/driver.log" 2>&1 &
WSOR_DRIVER_PID=$!
WSOR_PIDS+=("$WSOR_DRIVER_PID")
wsor_wait_file "$M/ready" 60

# The capture compare.py reads to tell what the wire can know.
ip netns exec "$WSOR_NS_B" tcpdump -i "$WSOR_IF_B" -n -s 0 -U --immediate-mode \
	-Z root -w "$M/oracle.pcap" 2>"$M/tcpdump.err" &
TCPDUMP_PID=$!
WSOR_PIDS+=("$TCPDUMP_PID")
for _ in $(seq 100); do
	grep -q 'listening on' "$M/tcpdump.err" 2>/dev/null && break
	sleep 0.05
done
grep -q 'listening on' "$M/tcpdump.err" || wsor_die "tcpdump: $(cat "$M/tcpdump.err")"

ws_start main "$WSOR_NS_B" -I "$B" "${J[@]}" --duration "$MAIN_DURATION"
ws_start filter "$WSOR_NS_B" -I "$B" "${J[@]}" --duration "$MAIN_DURATION" -F 'tcp port 5004'
ws_start nobody "$WSOR_NS_B" -I "$B" "${J[@]}" --duration "$MAIN_DURATION" -Z nobody
ws_start workers "$WSOR_NS_B" -I "$B" "${J[@]}" --duration "$MAIN_DURATION" --workers 2
ws_start workers_s "$WSOR_NS_B" -I "$B" -s --format json --duration "$MAIN_DURATION" --workers 2
ws_start events "$WSOR_NS_B" -I "$B" -n --format json --events --duration "$MAIN_DURATION"
ws_start sigint "$WSOR_NS_B" -I "$B" "${J[@]}"
ws_start sigint_interval "$WSOR_NS_B" -I "$B" -a -n 60
ws_ready main filter nobody workers workers_s events sigint sigint_interval
# An interval run of 3.5 s: three interval reports and the last one.
IDUR=3.5
if ! "$WIRESTAT" --duration 3.5 --help >/dev/null 2>"$W/duration.err"; then
	fail "--duration 3.5 is refused: $(cat "$W/duration.err") (the interval runs use 4)"
	IDUR=4
fi
ws_start interval "$WSOR_NS_B" -I "$B" -a -n --duration "$IDUR" 1
ws_start interval_json "$WSOR_NS_B" -I "$B" "${J[@]}" --duration "$IDUR" 1
ws_ready interval interval_json
uid=$(awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/${WS_PID[nobody]}/status")
if [ "$uid" = "65534 65534 65534 65534" ]; then
	ok "-Z nobody: the capturing process runs as uid 65534 (real, effective, saved, fs)"
else
	fail "-Z nobody: the capturing process has Uid: $uid"
fi
# --workers 2: two capture threads, each with its own packet socket.
threads=$(ls "/proc/${WS_PID[workers]}/task" | wc -l)
sockets=0
ip netns exec "$WSOR_NS_B" cat /proc/net/packet >"$W/packet-sockets.txt"
for ino in $(find "/proc/${WS_PID[workers]}/fd" -lname 'socket:*' -printf '%l\n' |
	sed 's/socket:\[\(.*\)\]/\1/'); do
	awk -v i="$ino" 'NR > 1 && $NF == i { f = 1 } END { exit !f }' "$W/packet-sockets.txt" &&
		sockets=$((sockets + 1))
done
if [ "$threads" -eq 3 ] && [ "$sockets" -eq 2 ]; then
	ok "--workers 2: 3 threads (2 capturing), 2 packet sockets"
else
	fail "--workers 2: $threads threads, $sockets packet sockets (want 3 and 2)"
fi
wsor_log "10 wirestat captures running on $B; traffic starts"
touch "$M/capturing"

ws_wait interval 10
ws_wait interval_json 10
wsor_wait_file "$M/snapshot" 120
wsor_log "driver done; checking --events while it runs"
check "--events writes a new connection's lines at once, while running" \
	"${HELPER[@]}" events --input "$W/events.out" --port 5099 \
	--since "$(cat "$M/probe")" --limit 1.0 --pid "${WS_PID[events]}"
kill -0 "${WS_PID[main]}" 2>/dev/null ||
	wsor_die "the main wirestat ended before the driver (raise WSLI_DURATION)"

# The main report is written when --duration runs out: ss at that moment.
ws_wait main $((MAIN_DURATION + 10))
wsor_snapshot "$M"
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID"
grep -E 'captured|dropped' "$M/tcpdump.err" | sed 's/^/  tcpdump: /'
wsor_log "main report written $(secs "${WS_T0[main]}" "${WS_T1[main]}") s after its start; ss $(secs "${WS_T1[main]}" "$(head -1 "$M/snapshot.time")") s later"
kill -INT "${WS_PID[sigint]}" "${WS_PID[sigint_interval]}"
for n in filter nobody workers workers_s events sigint sigint_interval; do ws_wait "$n" 10; done
touch "$M/done"
wait "$WSOR_DRIVER_PID" || wsor_die "traffic driver failed:
$(tail -20 "$M/driver.log")"

echo "== main session: the final report against ss =="
expect_exit main 0
if "${HELPER[@]}" split --work "$M" --input "$W/main.out" \
	--host "A=$WSOR_ADDR_A4,$WSOR_ADDR_A6" --host "B=$WSOR_ADDR_B4,$WSOR_ADDR_B6"; then
	check "live report (--duration) agrees with ss in both namespaces" \
		"$WSOR_PY" "$WSOR_HERE/compare.py" --work "$M" --pcap "$M/oracle.pcap" \
		--host "A=$WSOR_ADDR_A4,$WSOR_ADDR_A6" --host "B=$WSOR_ADDR_B4,$WSOR_ADDR_B6" \
		--threshold 98 --min-rows 400 \
		--require-states LISTENING,SYN_SENT,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,FIN_WAIT_2,CLOSE_WAIT,CLOSING,LAST_ACK,TIME_WAIT,UDP
else
	fail "the main report's rows are not all of host A or B"
fi

echo "== -F, -Z, SIGINT =="
expect_exit filter 0 &&
	check "-F 'tcp port 5004' keeps only that connection, all of it" \
		"${HELPER[@]}" rows --input "$W/filter.out" --port 5004 --same-as "$W/main.out" \
		--min 3 --has tcp:5004:FIN_WAIT_2 --has tcp:5004:CLOSE_WAIT \
		--has tcp:5004:LISTENING
expect_exit nobody 0 &&
	check "-Z nobody captures: the same rows as the run as root" \
		"${HELPER[@]}" rows --input "$W/nobody.out" --same-as "$W/main.out" --min 400
expect_exit workers 0 &&
	check "--workers 2: the same rows as one thread (each connection whole on one)" \
		"${HELPER[@]}" rows --input "$W/workers.out" --same-as "$W/main.out" --min 400
expect_exit workers_s 0 &&
	check "--workers 2 -s: both workers read packets, and they add up" \
		"$WSOR_PY" -c '
import json, sys
w = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
c = {k: v for r in w if r.get("group") == "wirestat" for k, v in r.items()}
p, a, b = c.get("packets", 0), c.get("worker_1_packets", 0), c.get("worker_2_packets", 0)
print(f"  packets {p}: worker 1 {a}, worker 2 {b}")
sys.exit(not (p > 1000 and a > 0 and b > 0 and a + b == p))' "$W/workers_s.out"
expect_exit sigint 0 &&
	check "SIGINT: a final report, the same rows as --duration's" \
		"${HELPER[@]}" rows --input "$W/sigint.out" --same-as "$W/main.out" --min 400
expect_exit sigint_interval 0 &&
	check "SIGINT during an interval run: its last report, headed" \
		"${HELPER[@]}" headers --input "$W/sigint_interval.out" --format table \
		--min 1 --interval 60 --min-packets 1000 --end "${WS_T1[sigint_interval]}"
grep -q 'ESTABLISHED' "$W/sigint_interval.out" ||
	fail "SIGINT during an interval run: its report has no ESTABLISHED row"

echo "== interval 1 s, --duration $IDUR =="
expect_exit interval 0 &&
	check "interval run (table): timestamped reports every second" \
		"${HELPER[@]}" headers --input "$W/interval.out" --format table --min 3 \
		--interval 1 --start "${WS_T0[interval]}" --end "${WS_T1[interval]}"
expect_exit interval_json 0 &&
	check "interval run (JSON): timestamped reports every second" \
		"${HELPER[@]}" headers --input "$W/interval_json.out" --format json --min 3 \
		--interval 1 --start "${WS_T0[interval_json]}" --end "${WS_T1[interval_json]}"
expect_exit events 0
grep -c . "$W/events.out" | sed 's/^/  --events lines: /'

}

# ============================================================ 2. two interfaces
section_merged() {
echo "== two interfaces merged =="
X=$W/merged
mkdir -p "$X"
"${HELPER[@]}" merged --work "$X" --ns-a "$NS_C" --ns-b "$NS_D" \
	--if-a "$IF_C1" --if-b "$IF_D1" >"$X/driver.log" 2>&1 &
WSOR_DRIVER_PID=$!
WSOR_PIDS+=("$WSOR_DRIVER_PID")
# Each link's packets, for the offline merge (-R -R) and for looking into
# a failure.
local td=() n
for n in d1 d2; do
	ip netns exec "$NS_D" tcpdump -i "wsli-$$-$n" -n -s 0 -U -Z root \
		-w "$X/$n.pcap" 2>"$X/tcpdump-$n.err" &
	td+=("$!")
	WSOR_PIDS+=("$!")
done
# interval 60 > duration: one report, headed with its packet count.
ws_start two "$NS_D" -I "$IF_D1" -I "$IF_D2" "${J[@]}" --duration 5 60
ws_start span "$NS_S" -I "$IF_SENSOR" "${J[@]}" --duration 5 60
ws_start d1only "$NS_D" -I "$IF_D1" "${J[@]}" --duration 5 60
ws_start two_events "$NS_D" -I "$IF_D1" -I "$IF_D2" -n --format json --events --duration 5 60
ws_start span_events "$NS_S" -I "$IF_SENSOR" -n --format json --events --duration 5 60
ws_start two_stats "$NS_D" -I "$IF_D1" -I "$IF_D2" -s --format json --duration 5
ws_ready two span d1only two_events span_events two_stats
for n in d1 d2; do
	grep -q 'listening on' "$X/tcpdump-$n.err" || sleep 0.2
	grep -q 'listening on' "$X/tcpdump-$n.err" || wsor_die "tcpdump: $(cat "$X/tcpdump-$n.err")"
done
touch "$X/capturing"
wsor_wait_file "$X/probe" 30
# On a quiet network, a connection's --events lines must not wait for
# more packets to come.
check "--events -I d1 -I d2: a connection's lines at once on a quiet network" \
	"${HELPER[@]}" events --input "$W/two_events.out" --port 5098 \
	--since "$(cat "$X/probe")" --limit 1.0 --pid "${WS_PID[two_events]}"
check "--events -I sensor port: a connection's lines at once on a quiet network" \
	"${HELPER[@]}" events --input "$W/span_events.out" --port 5098 \
	--since "$(cat "$X/probe")" --limit 1.0 --pid "${WS_PID[span_events]}"
for n in two span d1only two_events span_events two_stats; do ws_wait "$n" 15; done
kill -INT "${td[@]}"
wait "${td[@]}"
for n in two span d1only two_events span_events; do
	echo "  $n: $(grep -o '"packets":[0-9]*,"kernel_dropped":[0-9]*' "$W/$n.out")"
done
touch "$X/done"
wait "$WSOR_DRIVER_PID" || wsor_die "traffic driver (C, D) failed:
$(tail -20 "$X/driver.log")"
sed 's/^/  driver: /' "$X/driver.log" | tail -3
# The test's premise: the two links' captures, merged offline, are the
# sensor port's view.
"$WIRESTAT" -R "$X/d1.pcap" -R "$X/d2.pcap" "${J[@]}" >"$W/offline.out" 2>"$W/offline.err" ||
	fail "wirestat -R d1.pcap -R d2.pcap: $(cat "$W/offline.err")"
expect_exit span 0 &&
	check "(premise) -R d1.pcap -R d2.pcap, offline = -I sensor port, live" \
		"${HELPER[@]}" rows --input "$W/offline.out" --same-as "$W/span.out" --min 30 \
		--has tcp:5001:TIME_WAIT --has tcp:5003:ESTABLISHED:2 \
		--has tcp:5004:CLOSE_WAIT --has tcp:5009:SYN_SENT \
		--has tcp6:6003:ESTABLISHED:2 --has udp:7001:UDP --has tcp:5060:TIME_WAIT:20
expect_exit two 0 &&
	check "-I d1 -I d2 (each direction on its own link) = -I sensor port (both mirrored)" \
		"${HELPER[@]}" rows --input "$W/two.out" --same-as "$W/span.out" --min 30
# A packet the kernel hands over later than the merge's hold (300 ms) is
# processed out of order and counted; on this shared machine that
# happened to 1 packet of 357 in about one run in six.  More than 1 % is
# a merge that does not wait.
expect_exit two_stats 0 && check "-I d1 -I d2 -s: the merged packets are in time order (all but 1 % at most, counted)" \
	"$WSOR_PY" -c 'import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if "out_of_time_order" in l][0]
print("%d packets, %d out of time order" % (s["packets"], s["out_of_time_order"]))
sys.exit(1 if s["out_of_time_order"] * 100 > s["packets"] or not s["packets"] else 0)' "$W/two_stats.out"
pk_two=$(grep -o '"packets":[0-9]*' "$W/two.out" | cut -d: -f2)
pk_span=$(grep -o '"packets":[0-9]*' "$W/span.out" | cut -d: -f2)
if [ -n "$pk_two" ] && [ "$pk_two" = "$pk_span" ]; then
	ok "-I d1 -I d2 and -I sensor port read the same number of packets ($pk_two)"
else
	fail "packets: -I d1 -I d2 read '${pk_two}', -I sensor port '${pk_span}'"
fi
expect_exit d1only 0 &&
	if "${HELPER[@]}" rows --input "$W/d1only.out" --same-as "$W/span.out" >"$X/d1only.check" 2>&1; then
		fail "-I d1 alone (one direction) gives the same rows as both: the merge test cannot fail"
	else
		ok "-I d1 alone (C->D only) differs from the merged view, as it should"
	fi
# Events: the same state changes, in the same order per socket.
expect_exit two_events 0 && expect_exit span_events 0 &&
	check "--events -I d1 -I d2 = --events -I sensor port (per socket, in order)" \
		"$WSOR_PY" - "$W/two_events.out" "$W/span_events.out" <<'EOF'
import collections, json, sys
def load(p):
    per = collections.defaultdict(list)
    for line in open(p):
        j = json.loads(line)
        if "report" in j:
            continue
        k = (j["proto"], j["local_addr"], j["local_port"], j["remote_addr"], j["remote_port"])
        per[k].append((j["old_state"], j["new_state"], j["cause"], j["flags"], j["seq"]))
    return per
a, b = load(sys.argv[1]), load(sys.argv[2])
n = sum(len(v) for v in b.values())
bad = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
for k in sorted(bad, key=str)[:5]:
    print(f"{k}:\n  two:  {a.get(k)}\n  span: {b.get(k)}")
print(f"{n} events on the sensor port, {len(bad)} socket(s) differ")
sys.exit(1 if bad or n < 20 else 0)
EOF
}

# ============================================================ ring
# --events and --conn put the capture in immediate mode, where libpcap
# uses a TPACKET_V2 ring of fixed-size frames: on a port with offloads on
# (any NIC's default: GRO), 64 KiB frames, 32 of them in the default
# 2 MiB.  A burst must not be lost there when the default mode keeps up.
section_ring() {
echo "== a burst on a port with offloads on (a NIC's defaults) =="
local ns=$NS_S r0="wsli-$$-r0" r1="wsli-$$-r1" n h
ip -n "$ns" link add "$r0" type veth peer name "$r1" &&
	ip -n "$ns" link set "$r0" up && ip -n "$ns" link set "$r1" up ||
	wsor_die "veth $r0/$r1 in $ns"
ws_start burst_report "$ns" -I "$r0" "${J[@]}" --duration 3 60
ws_start burst_events "$ns" -I "$r0" "${J[@]}" --events --duration 3 60
ws_start burst_conn "$ns" -I "$r0" "${J[@]}" --conn --duration 3 60
ws_ready burst_report burst_events burst_conn
# 2000 UDP frames in a few ms, from r1 to r0, inside namespace S.
ip netns exec "$ns" "${HELPER[@]}" burst --ifname "$r1" --count 2000 | sed 's/^/  /'
for n in burst_report burst_events burst_conn; do
	ws_wait "$n" 10
	expect_exit "$n" 0
	h=$(grep -o '"packets":[0-9]*,"kernel_dropped":[0-9]*' "$W/$n.out")
	if [ "$h" = '"packets":2000,"kernel_dropped":0' ]; then
		ok "$(cat "$W/$n.cmd"): all 2000 packets of the burst"
	else
		fail "$(cat "$W/$n.cmd"): of a 2000-packet burst, $h"
	fi
done
}

# ============================================================ 3. permission
section_noperm() {
echo "== no permission =="
mkdir -p "$W/bin"
cp "$WIRESTAT" "$W/bin/wirestat"
chmod 755 "$W" "$W/bin" "$W/bin/wirestat"
WIRESTAT_SAVED=$WIRESTAT
WIRESTAT=$W/bin/wirestat
ws_start noperm "$WSOR_NS_B" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all --bounding-set=-all -- -I "$B" -a -n --duration 1
ws_wait noperm 10
WIRESTAT=$WIRESTAT_SAVED
sed 's/^/  stderr: /' "$W/noperm.err"
if expect_exit noperm 2 1; then
	if grep -q 'CAP_NET_RAW' "$W/noperm.err"; then
		ok "the error names CAP_NET_RAW"
	else
		fail "the permission error does not name CAP_NET_RAW: $(cat "$W/noperm.err")"
	fi
	[ -s "$W/noperm.out" ] && fail "no permission, yet something on stdout: $(head -3 "$W/noperm.out")"
fi

}

# ============================================================ 4. interface gone
section_gone() {
echo "== the interface deleted mid-run =="
ws_start gone "$WSOR_NS_B" -I "$B" "${J[@]}"
ws_ready gone
"${HELPER[@]}" hold --port 5097 --work "$W" --ns-a "$WSOR_NS_A" --ns-b "$WSOR_NS_B" \
	--if-a "$WSOR_IF_A" --if-b "$WSOR_IF_B" >"$W/hold.log" 2>&1 &
HOLD_PID=$!
WSOR_PIDS+=("$HOLD_PID")
for _ in $(seq 100); do
	[ -e "$W/hold-5097" ] && break
	sleep 0.05
done
[ -e "$W/hold-5097" ] || wsor_die "hold: $(cat "$W/hold.log")"
sleep 1
t_del=$(date +%s.%N)
ip -n "$WSOR_NS_B" link del "$B" || wsor_die "ip link del $B"
ws_wait gone 5
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
sed 's/^/  stderr: /' "$W/gone.err"
echo "  exited $(secs "$t_del" "${WS_T1[gone]}") s after the veth was deleted"
if expect_exit gone 1 1; then
	check "the report so far is printed: the open connection's two rows" \
		"${HELPER[@]}" rows --input "$W/gone.out" --has tcp:5097:ESTABLISHED:2 \
		--has tcp:5097:LISTENING --min 3
fi
}

for section in ${WSLI_ONLY:-main merged ring noperm gone}; do
	"section_$section"
done

echo
if [ ${#FAILS[@]} -eq 0 ]; then
	wsor_log "PASS"
	WSOR_OK=1
	exit 0
fi
echo "${#FAILS[@]} failure(s):"
printf '  - %s\n' "${FAILS[@]}"
exit 1

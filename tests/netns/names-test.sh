#!/bin/bash
# names-test.sh WIRESTAT - host names without asking (issue 8), live, in
# two network namespaces joined by a veth pair.  About 25 s.
#
#   passive  wirestat captures live in namespace A in its default mode
#            (no option but --duration: every interface, --resolve
#            passive), beside a --workers 2 run and a --names run, while
#            namespace B sends A DNS *answers*, never a query: eight A
#            records, one AAAA, one mDNS announcement; A then connects to
#            every address they name.  Checked: every row names its host
#            (short name), in the --workers run too (ten answer and
#            connection pairs hashed independently over two workers: a
#            lookup that asked one worker's cache would miss some, unless
#            all ten fell on one side, about 1 run in 500); --names lists
#            the ten with their sources.  tcpdump in A, capturing A's own
#            traffic on every interface, sees no packet leave A for port
#            53 or 5353.  A's resolv.conf (/etc/netns) names B as its
#            server, so a query anything in A made would be sent, and seen.
#   control  the helper itself sends one DNS and one mDNS query from A:
#            the same count is then 2 (the check can fail).
#   active   --resolve=active, with A's /etc/hosts (/etc/netns) naming
#            both ends of a connection to B and of one on 127.0.0.1: the
#            first report that lists an address shows the number (its
#            lookup was queued, never waited for), a later report the
#            name; no DNS query leaves A (getnameinfo() answers from
#            /etc/hosts); -s with --resolve=active looks nothing up (no
#            row is printed).
#
# Names start with "wsnm-<pid>-"; addresses are in 10.205.0.0/24 and
# fd20:5::/64; no packet leaves the namespaces.  An EXIT trap deletes the
# namespaces and /etc/netns/<A's name>, and stops, by PID, what the
# script started.  Needs root: exits 77 (skipped) when not root, and only
# then.  The work directory is kept after a failure (WSOR_KEEP=1: after a
# pass too).
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the names test needs root (network namespaces)"
	exit 77
fi

WIRESTAT=${1:?usage: names-test.sh WIRESTAT}
WIRESTAT=$(realpath "$WIRESTAT")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "$(mktemp -d /tmp/wsnm.XXXXXX)"
# shellcheck disable=SC2034 # lib.sh's clean-up reads it
WSOR_WORK_TEMP=1 # ours: removed after a pass
wsor_pair wsnm 5
NETNS_ETC=/etc/netns/$WSOR_NS_A
[ -d /etc/netns ] && MADE_ETC_NETNS=0 || MADE_ETC_NETNS=1
# lib.sh's clean-up, and A's /etc/netns files (and /etc/netns, if this
# run made it and nothing else is in it)
trap 'rc=$?; rm -rf "$NETNS_ETC"; [ $MADE_ETC_NETNS = 1 ] && rmdir /etc/netns 2>/dev/null; (exit $rc); wsor_cleanup' EXIT
HELPER=("$WSOR_PY" "$WSOR_HERE/names_helper.py")
W=$WSOR_WORK
DURATION=8
wsor_require_tools
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"

declare -A WS_PID BG_PID

# ws_start NAME ARGS...: wirestat in A, output in $W/NAME.{out,err}.
ws_start() {
	local name=$1
	shift
	echo "wirestat $*" >"$W/$name.cmd"
	ip netns exec "$WSOR_NS_A" "$WIRESTAT" "$@" >"$W/$name.out" \
		2>"$W/$name.err" &
	WS_PID[$name]=$!
	WSOR_PIDS+=("$!")
}

# ws_ready NAME...: each has its capture open (its SIGINT handler is
# installed once the capture is).
ws_ready() {
	local name pid
	for name in "$@"; do
		pid=${WS_PID[$name]}
		wsor_wait_capturing "$name" "$pid" 250
	done
}

# ws_wait NAME...: each exits 0 within 20 s.
ws_wait() {
	local name pid _ rc
	for name in "$@"; do
		pid=${WS_PID[$name]}
		for _ in $(seq 2000); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.01
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -9 "$pid"
			fail "wirestat $name still running 20 s after it was due"
		fi
		wait "$pid"
		rc=$?
		[ "$rc" -eq 0 ] || fail "wirestat $name exited $rc: $(cat "$W/$name.err")"
	done
}

# bg NAME NS ARGS...: the helper in a namespace, in the background.
bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "${HELPER[@]}" "$@" >"$W/$name.log" 2>&1 &
	WSOR_PIDS+=("$!")
	BG_PID[$name]=$!
}

wait_ready() { # wait_ready FILE NAME: the helper NAME touched FILE
	local _
	for _ in $(seq 250); do
		[ -e "$1" ] && return 0
		sleep 0.02
	done
	wsor_die "$2 never got ready: $(cat "$W/$2.log")"
}

stop() { # stop PID: end one process we started
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# tcpdump_start NAME: A's own traffic, every interface, into $W/NAME.pcap
tcpdump_start() {
	local _
	ip netns exec "$WSOR_NS_A" tcpdump -i any -n -s 0 -B 32768 -U \
		--immediate-mode -Z root -w "$W/$1.pcap" 2>"$W/$1.tcpdump.err" &
	TCPDUMP_PID=$!
	WSOR_PIDS+=("$TCPDUMP_PID")
	for _ in $(seq 100); do
		grep -q 'listening on' "$W/$1.tcpdump.err" 2>/dev/null && return 0
		sleep 0.05
	done
	wsor_die "tcpdump did not start: $(cat "$W/$1.tcpdump.err")"
}

# tcpdump_stop NAME: a capture that dropped a packet proves nothing
tcpdump_stop() {
	sleep 0.3 # what was sent last is written
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	if ! grep -q '^0 packets dropped by kernel' "$W/$1.tcpdump.err"; then
		fail "tcpdump ($1) did not see everything: $(grep dropped "$W/$1.tcpdump.err" | tr '\n' ' ')"
	fi
}

# count PCAP FILTER: packets of the capture that match
count() {
	tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l
}

# What A sends to a DNS or mDNS port: a query, whoever sent it.
QUERIES='outbound and (udp dst port 53 or tcp dst port 53 or udp dst port 5353)'

# ------------------------------------------------------------------ setup
wsor_setup
for i in 10 11 12 13 14 15 16 17 20; do
	ip -n "$WSOR_NS_B" addr add "10.205.0.$i/24" dev "$WSOR_IF_B"
done
mkdir -p "$NETNS_ETC"
cat >"$NETNS_ETC/resolv.conf" <<EOF
# names-test.sh: A's resolver is B, so that a query would be on the wire
nameserver $WSOR_ADDR_B4
options timeout:1 attempts:1
EOF
cat >"$NETNS_ETC/hosts" <<EOF
127.0.0.1	localhost
$WSOR_ADDR_A4	ahost.wirestat.test
$WSOR_ADDR_B4	bhost.wirestat.test
EOF
ip netns exec "$WSOR_NS_A" grep -q bhost /etc/hosts ||
	wsor_die "ip netns exec does not bind $NETNS_ETC/hosts over /etc/hosts"
wsor_log "namespaces $WSOR_NS_A, $WSOR_NS_B up; A's resolver is B"

DNS=()
TARGETS=()
for i in 0 1 2 3 4 5 6 7; do
	DNS+=("host$i.wirestat.test=10.205.0.1$i")
	TARGETS+=("10.205.0.1$i:8080")
done
DNS+=("v6name.wirestat.test=$WSOR_ADDR_B6")
TARGETS+=("[$WSOR_ADDR_B6]:8080")
MDNS=("printer.local=10.205.0.20")
TARGETS+=("10.205.0.20:8080")

# ------------------------------------------------------------------ passive
echo "== passive: the default mode sends no query"
bg serve_b "$WSOR_NS_B" serve --listen 0.0.0.0:8080 "[::]:8080" \
	--ready "$W/serve_b.ready"
wait_ready "$W/serve_b.ready" serve_b
tcpdump_start passive
ws_start default --duration "$DURATION"
ws_start workers -I "$WSOR_IF_A" --workers 2 --format json --duration "$DURATION"
ws_start names --names --format json --duration "$DURATION"
ws_ready default workers names
ip netns exec "$WSOR_NS_B" "${HELPER[@]}" answers \
	--server4 "$WSOR_ADDR_B4" --client4 "$WSOR_ADDR_A4" \
	--server6 "$WSOR_ADDR_B6" --client6 "$WSOR_ADDR_A6" \
	--dns "${DNS[@]}" --mdns "${MDNS[@]}" >"$W/answers.log" 2>&1 ||
	wsor_die "the answers were not sent: $(cat "$W/answers.log")"
bg connect "$WSOR_NS_A" connect --to "${TARGETS[@]}" --ready "$W/connect.ready"
wait_ready "$W/connect.ready" connect
wsor_log "answers sent, ${#TARGETS[@]} connections open; wirestat runs ${DURATION} s"
ws_wait default workers names
stop "${BG_PID[connect]}"
sleep 0.5 # the connections' closes, before the active run can see them
tcpdump_stop passive
n=$(count "$W/passive.pcap" "$QUERIES")
if [ "$n" -eq 0 ]; then
	ok "no packet left A for port 53 or 5353 while wirestat ran"
else
	fail "$n packet(s) left A for port 53 or 5353:"
	tcpdump -n -r "$W/passive.pcap" "$QUERIES" 2>/dev/null | head -5
fi
n=$(count "$W/passive.pcap" 'inbound and (udp src port 53 or udp src port 5353)')
if [ "$n" -eq 10 ]; then
	ok "A received the 10 answers"
else
	fail "A received $n answers, not 10"
fi
"${HELPER[@]}" check --dns "${DNS[@]}" --mdns "${MDNS[@]}" \
	--table "$W/default.out" --workers "$W/workers.out" \
	--names "$W/names.out" || FAILS+=("names_helper.py check")

# ------------------------------------------------------------------ control
echo "== control: the helper's own queries are seen"
tcpdump_start control
ip netns exec "$WSOR_NS_A" "${HELPER[@]}" query --server "$WSOR_ADDR_B4" \
	--source "$WSOR_ADDR_A4" >"$W/query.log" 2>&1 ||
	fail "the control queries were not sent: $(cat "$W/query.log")"
tcpdump_stop control
n=$(count "$W/control.pcap" "$QUERIES")
if [ "$n" -eq 2 ]; then
	ok "the same count sees the helper's 2 queries"
else
	fail "the same count sees $n of the helper's 2 queries"
fi

# ------------------------------------------------------------------ active
echo "== active: the system resolver, from /etc/hosts, in the background"
bg serve_lo "$WSOR_NS_A" serve --listen 127.0.0.1:8081 \
	--ready "$W/serve_lo.ready"
wait_ready "$W/serve_lo.ready" serve_lo
tcpdump_start active
ws_start active --resolve=active --format json --duration 4.5 1
ws_start active_s --resolve=active -s --format json --duration 2
ws_ready active active_s
bg connect2 "$WSOR_NS_A" connect --to "$WSOR_ADDR_B4:8080" 127.0.0.1:8081 \
	--ready "$W/connect2.ready"
wait_ready "$W/connect2.ready" connect2
ws_wait active active_s
stop "${BG_PID[connect2]}"
tcpdump_stop active
n=$(count "$W/active.pcap" "$QUERIES")
if [ "$n" -eq 0 ]; then
	ok "--resolve=active: no DNS query left A (all in /etc/hosts)"
else
	fail "--resolve=active: $n packet(s) left A for port 53 or 5353"
fi
"${HELPER[@]}" check --active "$W/active.out" \
	--expect-active "$WSOR_ADDR_B4=bhost.wirestat.test" \
	"$WSOR_ADDR_A4=ahost.wirestat.test" 127.0.0.1=localhost \
	--stats-active "$W/active_s.out" || FAILS+=("names_helper.py check")

stop "${BG_PID[serve_b]}"
stop "${BG_PID[serve_lo]}"
if [ "${#FAILS[@]}" -ne 0 ]; then
	echo "names-test: ${#FAILS[@]} failure(s); see $W"
	exit 1
fi
WSOR_OK=1
echo "names-test: passed"
exit 0

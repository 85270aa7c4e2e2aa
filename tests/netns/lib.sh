# lib.sh - network namespaces, capture and kernel snapshots for the
# kernel-oracle tests (run-oracle.sh) and the bundled sample
# (pcaps/scripts/make-sample.sh).  Sourced by bash scripts, never run.
#
# Two namespaces, A and B, joined by one veth pair:
#
#     [ns A] wsor-<pid>-a 10.201.0.1/24 fd20:1::1/64
#              |  (tcpdump taps here, in ns A)
#     [ns B] wsor-<pid>-b 10.201.0.2/24 fd20:1::2/64
#
# Every name starts with "wsor-" and carries this shell's PID, so runs on
# the same machine never collide.  wsor_cleanup (installed as an EXIT trap
# by wsor_init) deletes both namespaces, which deletes the veth pair, and
# stops the processes this script started, by PID.
#
# tcpdump captures in ns A.  Packets dropped by nftables on ingress (in A
# or in B) are on the wire: the tap sees ingress before netfilter, and a
# packet A sends is tapped on its way out of A's veth.  The traffic driver
# only ever drops on ingress, so every segment a kernel sent is in the
# capture and every loss happens after the tap, as on a real mirror port.

WSOR_ADDR_A4=10.201.0.1
WSOR_ADDR_B4=10.201.0.2
WSOR_ADDR_A6=fd20:1::1
WSOR_ADDR_B6=fd20:1::2
WSOR_PY=/usr/bin/python3 # Debian's: it has scapy

wsor_log() {
	printf '%s [%6.2fs] %s\n' "${0##*/}" \
		"$(awk -v s="$WSOR_T0" -v n="$(date +%s.%N)" 'BEGIN{print n-s}')" "$*"
}

wsor_die() {
	echo "${0##*/}: FAIL: $*" >&2
	exit 1
}

# wsor_init [WORKDIR]: names, the work directory and the clean-up trap.
wsor_init() {
	WSOR_T0=$(date +%s.%N)
	WSOR_NS_A="wsor-$$-A"
	WSOR_NS_B="wsor-$$-B"
	WSOR_IF_A="wsor-$$-a"
	WSOR_IF_B="wsor-$$-b"
	WSOR_PIDS=()
	WSOR_NS_MADE=()
	if [ -n "${1:-}" ]; then
		WSOR_WORK=$1
		mkdir -p "$WSOR_WORK"
		WSOR_WORK_TEMP=0
	else
		WSOR_WORK=$(mktemp -d /tmp/wsor.XXXXXX)
		WSOR_WORK_TEMP=1
	fi
	WSOR_OK=0
	trap wsor_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

wsor_cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM HUP
	for pid in "${WSOR_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	for ns in "${WSOR_NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# A veth end left in the root namespace by a half-done setup.
	ip link del "$WSOR_IF_A" 2>/dev/null
	if [ "$WSOR_WORK_TEMP" = 1 ]; then
		if [ "$WSOR_OK" = 1 ] && [ -z "${WSOR_KEEP:-}" ]; then
			rm -rf "$WSOR_WORK"
		else
			echo "${0##*/}: artifacts kept in $WSOR_WORK" >&2
		fi
	fi
	exit "$rc"
}

# Run a command in namespace A or B.
wsor_in() {
	local side=$1
	shift
	if [ "$side" = A ]; then
		ip netns exec "$WSOR_NS_A" "$@"
	else
		ip netns exec "$WSOR_NS_B" "$@"
	fi
}

wsor_require_tools() {
	local t
	for t in ip ss tcpdump nft ethtool sysctl realpath "$WSOR_PY"; do
		command -v "$t" >/dev/null || wsor_die "missing tool: $t"
	done
	"$WSOR_PY" -c 'import scapy.all' 2>/dev/null ||
		wsor_die "$WSOR_PY has no scapy (apt-get install python3-scapy)"
}

# Both namespaces, the veth pair, addresses, offloads off, Linux default
# TCP timers (set explicitly: they are per namespace).
wsor_setup() {
	local side ns
	ip netns add "$WSOR_NS_A" || wsor_die "ip netns add $WSOR_NS_A"
	WSOR_NS_MADE+=("$WSOR_NS_A")
	ip netns add "$WSOR_NS_B" || wsor_die "ip netns add $WSOR_NS_B"
	WSOR_NS_MADE+=("$WSOR_NS_B")
	ip link add "$WSOR_IF_A" netns "$WSOR_NS_A" type veth \
		peer name "$WSOR_IF_B" netns "$WSOR_NS_B" ||
		wsor_die "ip link add veth"
	for side in A B; do
		if [ $side = A ]; then ns=$WSOR_NS_A; else ns=$WSOR_NS_B; fi
		ip -n "$ns" link set lo up
		wsor_in $side sysctl -qw \
			net.ipv4.tcp_fin_timeout=60 \
			net.ipv4.tcp_syn_retries=6 \
			net.ipv4.tcp_synack_retries=5 \
			net.ipv4.tcp_orphan_retries=0 \
			net.ipv4.tcp_rfc1337=0 \
			net.ipv4.tcp_timestamps=1 \
			net.ipv4.tcp_syncookies=1 \
			net.ipv4.tcp_max_syn_backlog=4096 \
			net.core.somaxconn=4096 \
			net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 ||
			wsor_die "sysctl in $ns"
	done
	wsor_in A ethtool -K "$WSOR_IF_A" tso off gso off gro off tx off rx off 2>/dev/null >/dev/null ||
		wsor_die "ethtool -K $WSOR_IF_A"
	wsor_in B ethtool -K "$WSOR_IF_B" tso off gso off gro off tx off rx off 2>/dev/null >/dev/null ||
		wsor_die "ethtool -K $WSOR_IF_B"
	ip -n "$WSOR_NS_A" addr add "$WSOR_ADDR_A4/24" dev "$WSOR_IF_A"
	ip -n "$WSOR_NS_B" addr add "$WSOR_ADDR_B4/24" dev "$WSOR_IF_B"
	ip -n "$WSOR_NS_A" addr add "$WSOR_ADDR_A6/64" dev "$WSOR_IF_A" nodad
	ip -n "$WSOR_NS_B" addr add "$WSOR_ADDR_B6/64" dev "$WSOR_IF_B" nodad
	ip -n "$WSOR_NS_A" link set "$WSOR_IF_A" up
	ip -n "$WSOR_NS_B" link set "$WSOR_IF_B" up
	# Wait for both ends to be up and no address to be tentative.
	local _
	for _ in $(seq 100); do
		if ip -n "$WSOR_NS_A" link show dev "$WSOR_IF_A" | grep -q 'state UP' &&
			ip -n "$WSOR_NS_B" link show dev "$WSOR_IF_B" | grep -q 'state UP' &&
			[ -z "$(ip -n "$WSOR_NS_A" -6 addr show tentative)" ] &&
			[ -z "$(ip -n "$WSOR_NS_B" -6 addr show tentative)" ]; then
			return 0
		fi
		sleep 0.05
	done
	wsor_die "veth link between the namespaces never came up"
}

# wsor_capture_start PCAP [FILTER...]: tcpdump on A's veth, returns once
# it is capturing.
wsor_capture_start() {
	local pcap=$1
	shift
	local err="$WSOR_WORK/tcpdump.err"
	ip netns exec "$WSOR_NS_A" tcpdump -i "$WSOR_IF_A" -n -s 0 -U \
		--immediate-mode -Z root -w "$pcap" "$@" 2>"$err" &
	WSOR_TCPDUMP_PID=$!
	WSOR_PIDS+=("$WSOR_TCPDUMP_PID")
	local _
	for _ in $(seq 100); do
		grep -q 'listening on' "$err" 2>/dev/null && return 0
		kill -0 "$WSOR_TCPDUMP_PID" 2>/dev/null ||
			wsor_die "tcpdump exited: $(cat "$err")"
		sleep 0.05
	done
	wsor_die "tcpdump did not start: $(cat "$err")"
}

wsor_capture_stop() {
	kill -INT "$WSOR_TCPDUMP_PID" 2>/dev/null
	wait "$WSOR_TCPDUMP_PID" 2>/dev/null
	grep -E 'captured|dropped' "$WSOR_WORK/tcpdump.err" | sed 's/^/  tcpdump: /'
	if grep -q '^[1-9][0-9]* packets dropped by kernel' "$WSOR_WORK/tcpdump.err"; then
		wsor_die "tcpdump dropped packets: the capture is not the wire"
	fi
}

# wsor_snapshot DIR: ss -tan and ss -uan in both namespaces, as close
# together as possible; the time goes to DIR/snapshot.time.
wsor_snapshot() {
	local dir=$1
	date +%s.%N >"$dir/snapshot.time"
	wsor_in A ss -tanH >"$dir/ss-A-tcp.txt" &
	local p1=$!
	wsor_in B ss -tanH >"$dir/ss-B-tcp.txt" &
	local p2=$!
	wsor_in A ss -uanH >"$dir/ss-A-udp.txt" &
	local p3=$!
	wsor_in B ss -uanH >"$dir/ss-B-udp.txt" &
	local p4=$!
	wait $p1 $p2 $p3 $p4 || wsor_die "ss failed"
	date +%s.%N >>"$dir/snapshot.time"
}

# wsor_wait_file FILE SECONDS: wait for the traffic driver to create FILE.
wsor_wait_file() {
	local f=$1 limit=$2 start
	start=$(date +%s)
	while [ ! -e "$f" ]; do
		kill -0 "$WSOR_DRIVER_PID" 2>/dev/null ||
			wsor_die "traffic driver exited early (see $WSOR_WORK/driver.log):
$(tail -20 "$WSOR_WORK/driver.log")"
		[ $(($(date +%s) - start)) -lt "$limit" ] ||
			wsor_die "timed out waiting for $f"
		sleep 0.05
	done
}

# wsor_session PROFILE PCAP [TCPDUMP FILTER...]: the whole traffic session.
# The driver prepares what must predate the capture (mid-stream pickups),
# tcpdump starts, the driver runs its scenarios and asks for the snapshot,
# ss runs in both namespaces, tcpdump stops, the driver exits.
wsor_session() {
	local profile=$1 pcap=$2
	shift 2
	"$WSOR_PY" "$WSOR_HERE/driver.py" --profile "$profile" \
		--work "$WSOR_WORK" --ns-a "$WSOR_NS_A" --ns-b "$WSOR_NS_B" \
		--if-a "$WSOR_IF_A" --if-b "$WSOR_IF_B" \
		>"$WSOR_WORK/driver.log" 2>&1 &
	WSOR_DRIVER_PID=$!
	WSOR_PIDS+=("$WSOR_DRIVER_PID")
	wsor_wait_file "$WSOR_WORK/ready" 60
	wsor_capture_start "$pcap" "$@"
	wsor_log "capturing on $WSOR_IF_A (profile $profile)"
	touch "$WSOR_WORK/capturing"
	wsor_wait_file "$WSOR_WORK/snapshot" 300
	wsor_snapshot "$WSOR_WORK"
	# Stop at once: what the capture holds after ss ran is not in ss.  The
	# heartbeat keeps its last packet within ~0.5 s before ss.
	wsor_capture_stop
	wsor_log "snapshot taken, capture stopped"
	touch "$WSOR_WORK/done"
	wait "$WSOR_DRIVER_PID" || wsor_die "traffic driver failed:
$(tail -20 "$WSOR_WORK/driver.log")"
	sed 's/^/  driver: /' "$WSOR_WORK/driver.log"
}

# wsor_wait_capturing NAME PID [TRIES]: wait until wirestat (PID, as `ip
# netns exec` execs it) has its capture open: its SIGINT handler is
# installed once the capture is (and -Z is done).  Dies if it exits or
# takes longer than TRIES x 20 ms (250: 5 s).  Its standard error is
# $W/NAME.err.
wsor_wait_capturing() {
	local name=$1 pid=$2 tries=${3:-250} mask _
	for _ in $(seq "$tries"); do
		mask=$(awk '/^SigCgt:/{print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$mask" ] && (((16#$mask & 2) != 0)) && return 0
		kill -0 "$pid" 2>/dev/null ||
			wsor_die "wirestat $name exited at start: $(cat "$WSOR_WORK/$name.err")"
		sleep 0.02
	done
	wsor_die "wirestat $name never started capturing"
}

# wsor_start_helper NS NAME ARGS...: kernel_helper.py ARGS in namespace NS
# (its own PID: ip netns exec execs it), output in $WSOR_WORK/NAME.out and
# .err; waits up to 10 s for its READY line and sets PID_<NAME> and
# PORT_<NAME> (READY's first word).
wsor_start_helper() {
	local ns=$1 name=$2 pid _
	shift 2
	: >"$WSOR_WORK/$name.out"
	ip netns exec "$ns" "$WSOR_PY" "$WSOR_HERE/kernel_helper.py" "$@" \
		>"$WSOR_WORK/$name.out" 2>"$WSOR_WORK/$name.err" &
	pid=$!
	WSOR_PIDS+=("$pid")
	for _ in $(seq 200); do
		grep -q '^READY' "$WSOR_WORK/$name.out" && break
		kill -0 "$pid" 2>/dev/null ||
			wsor_die "$name exited: $(cat "$WSOR_WORK/$name.err")"
		sleep 0.05
	done
	grep -q '^READY' "$WSOR_WORK/$name.out" ||
		wsor_die "$name never got ready: $(cat "$WSOR_WORK/$name.err")"
	printf -v "PID_$name" '%s' "$pid"
	printf -v "PORT_$name" '%s' "$(awk '/^READY/ {print $2}' "$WSOR_WORK/$name.out")"
}

# wsor_pair PREFIX N: a script's own namespaces, veths and addresses, so
# that the tests never collide with each other or with a second run:
# PREFIX-<pid>-A and -B joined by PREFIX-<pid>-a / -b, with 10.(200+N).0.1
# and .2/24, fd20:N::1 and ::2/64 (wsor_setup makes them).
wsor_pair() {
	local p=$1 n=$2
	WSOR_NS_A="$p-$$-A"
	WSOR_NS_B="$p-$$-B"
	WSOR_IF_A="$p-$$-a"
	WSOR_IF_B="$p-$$-b"
	WSOR_ADDR_A4=10.$((200 + n)).0.1
	WSOR_ADDR_B4=10.$((200 + n)).0.2
	WSOR_ADDR_A6=fd20:$n::1
	WSOR_ADDR_B6=fd20:$n::2
}

# fail MESSAGE / ok MESSAGE: one check's outcome, for the scripts that run
# many before they judge; FAILS collects the failures.
FAILS=()
fail() {
	echo "FAIL: $*"
	FAILS+=("$*")
}
ok() {
	echo "ok: $*"
}

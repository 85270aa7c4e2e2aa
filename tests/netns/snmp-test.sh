#!/bin/bash
# snmp-test.sh WIRESTAT - wirestat -s --host against the kernel's own SNMP
# counters.  Real TCP and UDP traffic between two network namespaces (A
# the client, B the server; snmp_driver.py), captured on A's veth; A's
# /proc/net/snmp and /proc/net/snmp6 are read once the capture runs and
# before any traffic, and again once it has stopped, and the deltas are
# set beside
#
#     wirestat -R cap -s --host <A v4> --host <A v6> --format json
#
# Equal or the test fails (issue 5): ActiveOpens, OutSegs, InSegs,
# RetransSegs (Tcp: counts IPv4 and IPv6 together: wirestat's tcp + tcpv6),
# InDatagrams, OutDatagrams (Udp: is IPv4, snmp6's Udp6 IPv6).  The other
# TCP and UDP counters (PassiveOpens, AttemptFails, EstabResets, CurrEstab,
# OutRsts, NoPorts, ...) and B's side are compared too; see snmp_compare.py
# for which are asserted and why.  IP and ICMP counters are printed only
# (IPv6 neighbour discovery and MLD make noise the test does not control).
#
# Needs root: exits 77 (meson's "skipped") when not root, and only then.
# Namespaces wssn-<pid>-A/B, veth wssn-<pid>-a/b, 10.202.0.0/24 and
# fd20:2::/64; lib.sh's EXIT trap deletes them and stops, by PID, the
# processes started here.  SNMP_KEEP=1 keeps the work directory after a
# pass (always kept after a failure); SNMP_WORKDIR=DIR puts it there.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the SNMP counter test needs root (network namespaces)"
	exit 77
fi

WIRESTAT=${1:?usage: snmp-test.sh WIRESTAT}
WIRESTAT=$(realpath "$WIRESTAT")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

# lib.sh's namespaces, veth, capture and clean-up, under this test's own
# names and addresses (the oracle test may run on the same machine).
WSOR_ADDR_A4=10.202.0.1
WSOR_ADDR_B4=10.202.0.2
WSOR_ADDR_A6=fd20:2::1
WSOR_ADDR_B6=fd20:2::2
[ -n "${SNMP_KEEP:-}" ] && WSOR_KEEP=1
wsor_init "${SNMP_WORKDIR:-}"
WSOR_NS_A="wssn-$$-A"
WSOR_NS_B="wssn-$$-B"
WSOR_IF_A="wssn-$$-a"
WSOR_IF_B="wssn-$$-b"
wsor_require_tools
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"
wsor_log "work directory $WSOR_WORK"
wsor_setup
# No per-destination ICMP rate limit, so B answers every datagram to a
# closed port (and A too): NoPorts, counted for every datagram, then
# equals the ICMP port unreachables on the wire.  (The global limit,
# icmp_msgs_per_sec 1000 with a burst of 50, is far above this traffic.)
for side in A B; do
	wsor_in $side sysctl -qw net.ipv4.icmp_ratelimit=0 \
		net.ipv6.icmp.ratelimit=0 ||
		wsor_die "sysctl icmp rate limits in $side"
done
wsor_log "namespaces $WSOR_NS_A and $WSOR_NS_B up"

W=$WSOR_WORK
PCAP="$W/snmp.pcap"

snmp_read() { # snmp_read TAG: both namespaces' counters
	local side
	for side in A B; do
		if ! wsor_in $side cat /proc/net/snmp >"$W/snmp-$side-$1.txt" ||
			! wsor_in $side cat /proc/net/snmp6 >"$W/snmp6-$side-$1.txt" ||
			! wsor_in $side cat /proc/net/netstat >"$W/netstat-$side-$1.txt"; then
			wsor_die "reading $side's counters"
		fi
	done
}

"$WSOR_PY" "$WSOR_HERE/snmp_driver.py" --work "$W" \
	--ns-a "$WSOR_NS_A" --ns-b "$WSOR_NS_B" \
	--a4 "$WSOR_ADDR_A4" --b4 "$WSOR_ADDR_B4" \
	--a6 "$WSOR_ADDR_A6" --b6 "$WSOR_ADDR_B6" >"$W/driver.log" 2>&1 &
WSOR_DRIVER_PID=$!
WSOR_PIDS+=("$WSOR_DRIVER_PID")
wsor_wait_file "$W/ready" 60
wsor_capture_start "$PCAP"
snmp_read before
wsor_log "capturing on $WSOR_IF_A, counters read"
touch "$W/capturing"
wsor_wait_file "$W/snapshot" 120
wsor_capture_stop
snmp_read after
wsor_in B nft list table inet wssn >"$W/nft-B.txt" ||
	wsor_die "nft list table in B"
wsor_log "capture stopped, counters read"
touch "$W/done"
wait "$WSOR_DRIVER_PID" || wsor_die "traffic driver failed:
$(tail -20 "$W/driver.log")"
sed 's/^/  driver: /' "$W/driver.log"

for side in A B; do
	if [ $side = A ]; then
		hosts=(--host "$WSOR_ADDR_A4" --host "$WSOR_ADDR_A6")
	else
		hosts=(--host "$WSOR_ADDR_B4" --host "$WSOR_ADDR_B6")
	fi
	"$WIRESTAT" -R "$PCAP" -s --format json "${hosts[@]}" \
		>"$W/wirestat-$side.json" 2>"$W/wirestat-$side.err" ||
		wsor_die "wirestat failed for $side: $(cat "$W/wirestat-$side.err")"
done

rc=0
"$WSOR_PY" "$WSOR_HERE/snmp_compare.py" --work "$W" || rc=$?
wsor_log "done"
[ $rc -eq 0 ] && WSOR_OK=1
exit $rc

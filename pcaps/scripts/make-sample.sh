#!/bin/bash
# make-sample.sh [WIRESTAT] - make pcaps/sample.pcap, the bundled sample: a
# real capture of real kernel traffic between two network namespaces that
# shows, at its end, every TCP state (LISTENING, SYN_SENT, SYN_RECEIVED,
# ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
# TIME_WAIT), UDP endpoints, and IPv4 and IPv6.
#
# The traffic comes from the kernel-oracle suite's driver (tests/netns,
# profile "sample"); ss in both namespaces at the moment the capture stops
# is saved next to it as pcaps/sample.ss.txt.  The script then checks that
# wirestat (WIRESTAT, default build/wirestat) shows every state and agrees
# with those snapshots row for row, and fails otherwise.
#
# Run by hand, as root, from anywhere; it rewrites pcaps/sample.pcap and
# pcaps/sample.ss.txt.  Each run differs (ports, sequence numbers, times).
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "make-sample.sh: must run as root (network namespaces)" >&2
	exit 1
fi
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WIRESTAT=$(realpath "${1:-$TOP/build/wirestat}")
[ -x "$WIRESTAT" ] || {
	echo "make-sample.sh: no wirestat at $WIRESTAT (build it, or pass its path)" >&2
	exit 1
}
WSOR_HERE=$TOP/tests/netns
# shellcheck source-path=SCRIPTDIR source=../../tests/netns/lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "" # a temporary work directory
wsor_require_tools
wsor_setup
# The wire between the two hosts, without IPv6 neighbour discovery and
# router solicitations (not part of any socket, and half the file).
wsor_session sample "$WSOR_WORK/sample.pcap" \
	'not (icmp6 and (ip6[40] >= 133 and ip6[40] <= 137)) and not (ip6 and ip6[6] == 0 and ip6[40] == 143)'

A="$WSOR_ADDR_A4,$WSOR_ADDR_A6"
B="$WSOR_ADDR_B4,$WSOR_ADDR_B6"
for side in A B; do
	if [ $side = A ]; then hosts=(--host "$WSOR_ADDR_A4" --host "$WSOR_ADDR_A6")
	else hosts=(--host "$WSOR_ADDR_B4" --host "$WSOR_ADDR_B6"); fi
	"$WIRESTAT" -R "$WSOR_WORK/sample.pcap" -a -n --format json "${hosts[@]}" \
		>"$WSOR_WORK/wirestat-$side.json" || wsor_die "wirestat failed"
done
"$WSOR_PY" "$WSOR_HERE/compare.py" --work "$WSOR_WORK" \
	--pcap "$WSOR_WORK/sample.pcap" --host "A=$A" --host "B=$B" \
	--threshold 100 --min-rows 20 \
	--require-states LISTENING,SYN_SENT,SYN_RECEIVED,ESTABLISHED,FIN_WAIT_1,FIN_WAIT_2,CLOSE_WAIT,CLOSING,LAST_ACK,TIME_WAIT,UDP ||
	wsor_die "the sample does not agree with ss or lacks a state; not installed"

cp "$WSOR_WORK/sample.pcap" "$TOP/pcaps/sample.pcap"
columns() { if command -v column >/dev/null; then column -t; else cat; fi; }
{
	echo "# ss in both namespaces when pcaps/sample.pcap stopped (made by"
	echo "# pcaps/scripts/make-sample.sh), for comparison with"
	echo "#   wirestat -R pcaps/sample.pcap -a -n --host <host's addresses>"
	echo "# capture's last packet: $(tcpdump -r "$WSOR_WORK/sample.pcap" -n -tt 2>/dev/null | tail -1 | cut -d' ' -f1)"
	echo "# ss ran at:             $(head -1 "$WSOR_WORK/snapshot.time")"
	for side in A B; do
		if [ $side = A ]; then addrs="$WSOR_ADDR_A4 $WSOR_ADDR_A6"; else addrs="$WSOR_ADDR_B4 $WSOR_ADDR_B6"; fi
		echo
		echo "## host $side ($addrs): ss -tan"
		{ echo "State Recv-Q Send-Q Local-Address:Port Peer-Address:Port"
		  sort -k4,4V "$WSOR_WORK/ss-$side-tcp.txt"; } | columns
		echo
		echo "## host $side ($addrs): ss -uan"
		{ echo "State Recv-Q Send-Q Local-Address:Port Peer-Address:Port"
		  sort -k4,4V "$WSOR_WORK/ss-$side-udp.txt"; } | columns
	done
	echo
	echo "## what the driver did"
	"$WSOR_PY" -c 'import json, sys
for s in json.load(open(sys.argv[1]))["scenarios"]:
    print("#  t=%5.2fs  %-22s ports %s: %s" % (s["t"], s["name"], s["ports"], s["what"]))' \
		"$WSOR_WORK/scenarios.json"
} >"$TOP/pcaps/sample.ss.txt"
WSOR_OK=1
echo
echo "wrote $TOP/pcaps/sample.pcap ($(stat -c %s "$TOP/pcaps/sample.pcap") bytes) and pcaps/sample.ss.txt"
"$WIRESTAT" -R "$TOP/pcaps/sample.pcap" -a -n

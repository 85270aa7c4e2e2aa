#!/bin/bash
# run-oracle.sh WIRESTAT - the kernel-oracle test: real TCP and UDP traffic
# between two network namespaces, captured on their veth, and wirestat's
# rows for each host compared with that host's own ss at the moment the
# capture stops.  Fails below 98 % agreement (see compare.py for what is
# compared and what is excluded, and README.md for the scenarios).
#
# Needs root (namespaces, nftables, tcpdump): exits 77 (meson's "skipped")
# when not root, and only then.  Set WSOR_KEEP=1 to keep the work
# directory (capture, ss snapshots, wirestat output) after a pass; it is
# always kept after a failure.  WSOR_WORKDIR=DIR puts it there.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the kernel-oracle tests need root (network namespaces)"
	exit 77
fi

WIRESTAT=${1:?usage: run-oracle.sh WIRESTAT}
WIRESTAT=$(realpath "$WIRESTAT")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "${WSOR_WORKDIR:-}"
wsor_require_tools
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"
wsor_log "work directory $WSOR_WORK"
wsor_setup
wsor_log "namespaces $WSOR_NS_A and $WSOR_NS_B up"

PCAP="$WSOR_WORK/oracle.pcap"
# WSOR_PROFILE=smoke: the live scenarios only, in ~10 s (a developer's
# quick check; the test is the default, "oracle").
wsor_session "${WSOR_PROFILE:-oracle}" "$PCAP"

for side in A B; do
	if [ $side = A ]; then
		hosts=(--host "$WSOR_ADDR_A4" --host "$WSOR_ADDR_A6")
	else
		hosts=(--host "$WSOR_ADDR_B4" --host "$WSOR_ADDR_B6")
	fi
	"$WIRESTAT" -R "$PCAP" -a -n --format json "${hosts[@]}" \
		>"$WSOR_WORK/wirestat-$side.json" 2>"$WSOR_WORK/wirestat-$side.err" ||
		wsor_die "wirestat failed on host $side: $(cat "$WSOR_WORK/wirestat-$side.err")"
done

rc=0
"$WSOR_PY" "$WSOR_HERE/compare.py" --work "$WSOR_WORK" --pcap "$PCAP" \
	--host "A=$WSOR_ADDR_A4,$WSOR_ADDR_A6" \
	--host "B=$WSOR_ADDR_B4,$WSOR_ADDR_B6" \
	--threshold 98 --min-rows "$([ "${WSOR_PROFILE:-oracle}" = oracle ] && echo 450 || echo 100)" || rc=$?
wsor_log "done"
[ $rc -eq 0 ] && WSOR_OK=1
exit $rc

#!/bin/bash
# run.sh BUILDDIR SECONDS [TARGET...] - run each libFuzzer target for SECONDS.
#
# BUILDDIR is a build made with
#   CC=clang meson setup BUILDDIR -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
# Corpora live in BUILDDIR/fuzz-work/TARGET (seeded from pcaps/ each run;
# fuzz_proc from tests/unit/fixtures);
# crashes land in BUILDDIR/fuzz-work/artifacts.  Exit status 1 if any target
# found a crash, leak or timeout.  Each crash becomes a named capture in
# pcaps/ with a golden test (see tests/golden/README.md).
set -u
build=${1:?usage: run.sh BUILDDIR SECONDS [TARGET...]}
secs=${2:?usage: run.sh BUILDDIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_packet fuzz_pcap fuzz_proc fuzz_dns)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/fuzz-work
mkdir -p "$work/artifacts"
python3 "$src/tests/fuzz/seeds.py" "$src/pcaps" "$work/seeds" || exit 1

status=0
for t in "${targets[@]}"; do
	exe=$build/tests/fuzz/$t
	[ -x "$exe" ] || { echo "no $exe: build with -Dfuzz=true"; exit 1; }
	case $t in
	fuzz_pcap) seeds=$work/seeds/pcap ;;
	fuzz_packet) seeds=$work/seeds/packet ;;
	fuzz_proc) seeds=$work/seeds/proc
		python3 "$src/tests/fuzz/proc_seeds.py" \
			"$src/tests/unit/fixtures" "$seeds" || exit 1 ;;
	fuzz_dns) seeds=$work/seeds/dns
		python3 "$src/tests/fuzz/dns_seeds.py" "$src" "$seeds" || exit 1 ;;
	*) seeds=$work/seeds/$t ;;
	esac
	mkdir -p "$work/$t"
	log=$work/$t.log
	echo "== $t for ${secs}s"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	ASAN_OPTIONS=detect_leaks=1 \
		"$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/$t-" \
		"$work/$t" "$seeds" >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+ +DONE|^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" |
		sed 's/^/   /'
	grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | sed 's/^/   /'
	if [ $rc -ne 0 ]; then
		echo "   FAILED (exit $rc): see $log"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log" | sed 's/^/   /'
		status=1
	fi
done
exit $status

#!/bin/bash
# run-all.sh - the whole test suite on a fresh Debian 12 machine, as root.
# This is the README's test command; CI runs it through .ci/run.
#
#   1. install what the build and the tests need (apt-get);
#   2. build with -Werror and run every suite: unit, golden, docs, static,
#      flood, contrib, export (IPFIX to nfdump's nfcapd on 127.0.0.1), and
#      netns (real traffic in network namespaces: needs root);
#   3. build with AddressSanitizer and UndefinedBehaviorSanitizer and run
#      every suite again (any report fails the run);
#   4. run the golden tests under valgrind's memcheck (any error or definite
#      leak fails);
#   5. build the libFuzzer targets with clang and run each for FUZZ_SECONDS
#      (default 60) from the seeds in pcaps/; any crash fails.
set -euo pipefail
cd "$(dirname "$0")/.."

build_deps=(meson ninja-build gcc pkg-config libpcap-dev
	libnetfilter-conntrack-dev libnfnetlink-dev uthash-dev libcmocka-dev
	netbase)
test_deps=(tcpdump tshark iproute2 nftables conntrack ethtool
	python3-scapy procps cppcheck clang-tidy time valgrind clang
	libclang-rt-14-dev bash-completion systemd nfdump)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		"${build_deps[@]}" "${test_deps[@]}" >/dev/null
fi

stage() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

main=${BUILDDIR:-build-test}
stage "build with -Werror, every suite"
rm -rf "$main"
meson setup "$main" --werror --buildtype=debugoptimized
ninja -C "$main"
meson test -C "$main" --print-errorlogs --num-processes 2

stage "AddressSanitizer + UndefinedBehaviorSanitizer, every suite"
rm -rf build-asan
meson setup build-asan --werror --buildtype=debug \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 \
	--no-suite static

stage "valgrind memcheck over the golden tests"
GOLDEN_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
	meson test -C "$main" --print-errorlogs --num-processes 2 --suite golden

stage "libFuzzer targets, ${FUZZ_SECONDS:-60} s each"
rm -rf build-fuzz
CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
	-Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-fuzz
tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-60}"

stage "all passed"

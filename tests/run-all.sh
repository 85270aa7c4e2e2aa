#!/bin/bash
# run-all.sh - the whole test suite on a fresh Debian 12 machine, as root:
# install what the build and the tests need, build with -Werror, run every
# suite (unit, golden, docs, and netns, which needs root).  This is the
# README's test command; CI runs it through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

build_deps=(meson ninja-build gcc pkg-config libpcap-dev
	libnetfilter-conntrack-dev libnfnetlink-dev uthash-dev libcmocka-dev
	netbase)
test_deps=(tcpdump tshark iproute2 nftables conntrack ethtool
	python3-scapy procps cppcheck clang-tidy time)

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends \
		"${build_deps[@]}" "${test_deps[@]}" >/dev/null
fi

builddir=${BUILDDIR:-build-test}
rm -rf "$builddir"
meson setup "$builddir" --werror --buildtype=debugoptimized
ninja -C "$builddir"
meson test -C "$builddir" --print-errorlogs --num-processes 2

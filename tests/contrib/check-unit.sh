#!/bin/bash
# check-unit.sh WIRESTAT SRCDIR - contrib/wirestat@.service passes
# systemd-analyze verify (as an instance, wirestat@lo, with ExecStart
# pointing at the built binary and the man page on MANPATH).
set -u
wirestat=$(realpath "$1") # systemd wants an absolute path
src=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze is not installed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man/man8"
cp "$src/man/wirestat.8" "$tmp/man/man8/"
sed "s#/usr/sbin/wirestat#$wirestat#" "$src/contrib/wirestat@.service" \
	> "$tmp/wirestat@lo.service"
grep -q "^ExecStart=$wirestat -I %i" "$tmp/wirestat@lo.service" ||
	{ echo "ExecStart not as expected"; exit 1; }
if ! out=$(MANPATH="$tmp/man" systemd-analyze verify "$tmp/wirestat@lo.service" 2>&1) ||
	[ -n "$out" ]; then
	echo "systemd-analyze verify:"
	echo "$out"
	exit 1
fi
echo "wirestat@.service verifies"

#!/bin/bash
# run.sh - wirestat's golden tests: run wirestat over the captures listed in
# TESTLIST and compare its standard output, standard error and exit status
# with the expected ones, exactly.
#
# usage: run.sh [-w wirestat] [-v] [NAME...]          run tests (all if none)
#        run.sh [-w wirestat] --regenerate NAME...     rewrite expectations
#        run.sh [-w wirestat] --regenerate --all       rewrite every one
#        run.sh --list                                 print the test names
#        run.sh --check                                check TESTLIST itself
#
# TESTLIST, one test a line ('#' starts a comment line):
#
#     name  inputs  exit  arguments...
#
#   name       the test's name; expected/NAME.out holds the expected standard
#              output, expected/NAME.err the expected standard error (when
#              there is no .err file, standard error must be empty).
#   inputs     comma-separated captures, relative to pcaps/; each becomes
#              "-R PATH", in order.  "stdin:PATH" feeds PATH on standard
#              input and passes "-R -" in its place; "none" passes no -R
#              (for usage errors).  Standard input is /dev/null otherwise.
#   exit       the expected exit status.
#   arguments  the rest of the line, split on whitespace (no quoting).
#
# wirestat runs in pcaps/, so file names in messages are the relative names
# written in TESTLIST.  Every test passes -n (numeric ports) except those
# that check port and host names: a test without -n or --numeric reads
# /etc/services and is skipped (exit 77) when that file lacks netbase's
# entries.
#
# The normal mode never writes a file.  --regenerate writes the expected
# files of the named tests from wirestat's current output and shows how
# each changed; review every change by hand before keeping it (see
# README.md in this directory).  It does not touch TESTLIST: an exit
# status different from TESTLIST's is reported as a failure.
#
# Environment: WIRESTAT (instead of -w); GOLDEN_WRAPPER, a command put in
# front of wirestat, e.g. "valgrind -q --error-exitcode=99
# --leak-check=full --errors-for-leak-kinds=definite".
#
# Exit status: 0 all passed, 1 a test failed (or bad usage), 77 the one
# test asked for was skipped.

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
testlist=$here/TESTLIST
expected=$here/expected
pcaps=$top/pcaps
wirestat=${WIRESTAT:-}
wrapper=${GOLDEN_WRAPPER:-}
mode=run
all=false
verbose=false
names=()

die() {
	echo "run.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	-w) [ $# -ge 2 ] || die "-w needs the path of wirestat"
	    wirestat=$2; shift 2 ;;
	-v) verbose=true; shift ;;
	--regenerate) mode=regenerate; shift ;;
	--all) all=true; shift ;;
	--list) mode=list; shift ;;
	--check) mode=check; shift ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) die "unknown option $1 (see run.sh --help)" ;;
	*) names+=("$1"); shift ;;
	esac
done

export LC_ALL=C

# TESTLIST lines without comments and blank lines, leading blanks removed.
testlist_lines() {
	sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' "$testlist"
}

testlist_line() {
	testlist_lines | awk -v n="$1" '$1 == n { print; exit }'
}

# ---------------------------------------------------------------- --list
if [ "$mode" = list ]; then
	testlist_lines | awk '{ print $1 }'
	exit 0
fi

# ---------------------------------------------------------------- --check
# TESTLIST is well formed: four fields or more, unique names, a numeric
# exit status, existing captures, an expected .out per test and no
# expected file without a test.
if [ "$mode" = check ]; then
	bad=0
	dups=$(testlist_lines | awk '{ print $1 }' | sort | uniq -d)
	if [ -n "$dups" ]; then
		echo "duplicate test names: $dups"
		bad=1
	fi
	while read -r name inputs status _; do
		if [ -z "${status:-}" ] || ! [[ $status =~ ^[0-9]+$ ]]; then
			echo "$name: needs 'name inputs exit [arguments]'"
			bad=1
			continue
		fi
		[ -f "$expected/$name.out" ] ||
			{ echo "$name: expected/$name.out is missing"; bad=1; }
		IFS=, read -r -a items <<<"$inputs"
		for item in "${items[@]}"; do
			path=${item#stdin:}
			[ "$path" = none ] && continue
			# a test may name a missing file on purpose
			[ -e "$pcaps/$path" ] || [ "$status" -ne 0 ] ||
				{ echo "$name: $path does not exist"; bad=1; }
		done
	done < <(testlist_lines)
	for f in "$expected"/*; do
		[ -e "$f" ] || continue
		base=$(basename "$f")
		name=${base%.*}
		case $base in
		*.out|*.err) ;;
		*) echo "expected/$base: not a .out or .err file"; bad=1
		   continue ;;
		esac
		[ -n "$(testlist_line "$name")" ] ||
			{ echo "expected/$base: no test $name in TESTLIST"; bad=1; }
	done
	[ $bad -eq 0 ] && echo "TESTLIST: $(testlist_lines | wc -l) tests, consistent"
	exit $bad
fi

# ---------------------------------------------------------------- run
if [ -z "$wirestat" ]; then
	for w in "$top/build/wirestat"; do
		[ -x "$w" ] && wirestat=$w && break
	done
fi
[ -n "$wirestat" ] || die "give the wirestat to test with -w PATH or WIRESTAT"
case $wirestat in
/*) ;;
*) wirestat=$(cd "$(dirname "$wirestat")" && pwd)/$(basename "$wirestat") ;;
esac
[ -x "$wirestat" ] || die "$wirestat is not executable"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

have_services() {
	grep -Eq '^http[[:space:]]+80/tcp' /etc/services 2>/dev/null
}

# run_one NAME: runs the test into $tmp/NAME.{out,err,rc}; sets $status
# (expected exit) and $needs_services.  Returns 2 if NAME is unknown.
run_one() {
	local name=$1 line inputs args item stdin=/dev/null
	local -a cmd items
	line=$(testlist_line "$name")
	[ -n "$line" ] || return 2
	read -r _ inputs status args <<<"$line"
	cmd=()
	[ -n "$wrapper" ] && read -r -a cmd <<<"$wrapper"
	cmd+=("$wirestat")
	IFS=, read -r -a items <<<"$inputs"
	for item in "${items[@]}"; do
		case $item in
		none) ;;
		stdin:*) stdin=$pcaps/${item#stdin:}; cmd+=(-R -) ;;
		*) cmd+=(-R "$item") ;;
		esac
	done
	local -a argv=()
	read -r -a argv <<<"${args:-}"
	cmd+=("${argv[@]}")
	needs_services=true
	for a in "${argv[@]}"; do
		if [ "$a" = --numeric ] || [[ $a =~ ^-[a-zA-Z]*n[a-zA-Z]*$ ]]; then
			needs_services=false
		fi
	done
	$verbose && echo "  (cd pcaps && ${cmd[*]} <${stdin#$pcaps/})"
	(cd "$pcaps" && "${cmd[@]}" <"$stdin" >"$tmp/$name.out" \
		2>"$tmp/$name.err")
	echo $? >"$tmp/$name.rc"
	return 0
}

# compare NAME: 0 when output, errors and status match.
compare() {
	local name=$1 ok=0 rc
	rc=$(cat "$tmp/$name.rc")
	if [ "$rc" != "$status" ]; then
		echo "$name: exit status $rc, expected $status"
		ok=1
	fi
	if ! diff -u --label "expected/$name.out" --label "actual stdout" \
		"$expected/$name.out" "$tmp/$name.out"; then
		ok=1
	fi
	local err=$expected/$name.err
	[ -f "$err" ] || err=/dev/null
	if ! diff -u --label "expected/$name.err" --label "actual stderr" \
		"$err" "$tmp/$name.err"; then
		ok=1
	fi
	return $ok
}

if [ "$mode" = regenerate ]; then
	if $all; then
		mapfile -t names < <(testlist_lines | awk '{ print $1 }')
	fi
	[ ${#names[@]} -gt 0 ] ||
		die "--regenerate needs test names (or --all): it rewrites their expected files"
	fail=0
	for name in "${names[@]}"; do
		run_one "$name" || { echo "$name: no such test"; fail=1; continue; }
		if $needs_services && ! have_services; then
			echo "$name: SKIP (needs netbase's /etc/services); not regenerated"
			continue
		fi
		rc=$(cat "$tmp/$name.rc")
		if ! cmp -s "$expected/$name.out" "$tmp/$name.out" 2>/dev/null; then
			diff -u --label "old expected/$name.out" \
				--label "new expected/$name.out" \
				"$expected/$name.out" "$tmp/$name.out" 2>/dev/null ||
				[ -f "$expected/$name.out" ] ||
				cat "$tmp/$name.out"
			cp "$tmp/$name.out" "$expected/$name.out"
			echo "$name: wrote expected/$name.out"
		fi
		if [ -s "$tmp/$name.err" ]; then
			if ! cmp -s "$expected/$name.err" "$tmp/$name.err" 2>/dev/null; then
				cat "$tmp/$name.err"
				cp "$tmp/$name.err" "$expected/$name.err"
				echo "$name: wrote expected/$name.err"
			fi
		elif [ -f "$expected/$name.err" ]; then
			rm -f "$expected/$name.err"
			echo "$name: removed expected/$name.err (no standard error now)"
		fi
		if [ "$rc" != "$status" ]; then
			echo "$name: exit status $rc but TESTLIST expects $status (TESTLIST not changed)"
			fail=1
		fi
	done
	exit $fail
fi

if [ ${#names[@]} -eq 0 ]; then
	mapfile -t names < <(testlist_lines | awk '{ print $1 }')
fi
pass=0 failed=() skipped=0
for name in "${names[@]}"; do
	if ! run_one "$name"; then
		echo "$name: no such test in TESTLIST"
		failed+=("$name")
		continue
	fi
	if $needs_services && ! have_services; then
		echo "SKIP $name (needs netbase's /etc/services)"
		skipped=$((skipped + 1))
		continue
	fi
	if compare "$name"; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		failed+=("$name")
	fi
done
if [ ${#names[@]} -gt 1 ]; then
	echo "golden: ${pass} passed, ${#failed[@]} failed, ${skipped} skipped"
	[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
fi
[ ${#failed[@]} -eq 0 ] || exit 1
[ ${#names[@]} -eq 1 ] && [ $skipped -eq 1 ] && exit 77
exit 0

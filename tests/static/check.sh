#!/bin/bash
# check.sh SRCDIR BUILDDIR - cppcheck and clang-tidy over the sources, with
# the checked-in configuration (.clang-tidy; cppcheck options below).  Any
# finding fails; suppressions are inline (NOLINT, cppcheck-suppress) with a
# comment saying why.
set -u
src=$1
build=$2
status=0
cd "$src" || exit 1
files=$(find src -name '*.c' | sort)

if command -v cppcheck >/dev/null; then
	echo "== cppcheck $(cppcheck --version | awk '{print $2}')"
	cppcheck --enable=warning,style,performance,portability --std=c11 \
		--inline-suppr --quiet --error-exitcode=1 -D__GNUC__ \
		-I include -I src/decode -I src/flow $files || status=1
else
	echo "cppcheck is not installed"; status=1
fi

if command -v clang-tidy >/dev/null; then
	echo "== clang-tidy $(clang-tidy --version | grep -o 'version [0-9.]*')"
	out=$(clang-tidy -p "$build" --quiet $files 2>&1)
	findings=$(printf '%s\n' "$out" | grep -E '(warning|error):' )
	if [ -n "$findings" ]; then
		printf '%s\n' "$out"
		status=1
	fi
else
	echo "clang-tidy is not installed"; status=1
fi
[ $status -eq 0 ] && echo "no findings"
exit $status

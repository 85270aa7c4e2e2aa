#!/bin/bash
# check-docs.sh WIRESTAT SRCDIR - the documentation says what the program does:
#  1. the man page's SYNOPSIS is the usage of --help, word for word;
#  2. every option --help lists is in man/wirestat.8 and in README.md.
set -u
wirestat=$1
src=$2
fail=0

help=$("$wirestat" --help) || { echo "wirestat --help failed"; exit 1; }

norm() { tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'; }

usage=$(printf '%s\n' "$help" | sed -n '1,/^$/p' | sed 's/^usage: //' | norm)
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$src/man/wirestat.8" |
	grep '^\.B' | sed 's/^\.B //; s/^"//; s/"$//; s/\\-/-/g' | norm)
if [ "$usage" != "$synopsis" ]; then
	echo "SYNOPSIS differs from --help:"
	echo "  --help:   $usage"
	echo "  man page: $synopsis"
	fail=1
fi

opts=$(printf '%s\n' "$help" | grep -oE '(^|[ ,])--[a-z][a-z0-9-]*' | sed 's/^[ ,]*//' | sort -u)
[ -n "$opts" ] || { echo "no options found in --help"; exit 1; }
for o in $opts; do
	man_form=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	if ! grep -q -- "$man_form" "$src/man/wirestat.8"; then
		echo "option $o is in --help but not in man/wirestat.8"
		fail=1
	fi
	if ! grep -q -- "$o" "$src/README.md"; then
		echo "option $o is in --help but not in README.md"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "docs agree: $(echo $opts | wc -w) options, SYNOPSIS matches --help"
exit $fail

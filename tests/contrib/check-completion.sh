#!/bin/bash
# check-completion.sh WIRESTAT SRCDIR - the bash completion offers every
# option --help lists, and the values of the options that take a set.
set -u
wirestat=$1
src=$2
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "bash-completion is not installed"; exit 1; }
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
ln -s "$(readlink -f "$wirestat")" "$bindir/wirestat"
export PATH="$bindir:$PATH"
# shellcheck disable=SC1090
source "$bc"
# shellcheck disable=SC1090,SC1091
source "$src/contrib/wirestat.bash-completion"
fail=0

complete_words() { # the words completing "$@" (the last word is the prefix)
	COMP_WORDS=(wirestat "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_wirestat wirestat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}"
}

offered=$(complete_words --)
for o in $(wirestat --help | grep -oE '(^|[ ,])--[a-z][a-z0-9-]*' | sed 's/^[ ,]*//' | sort -u); do
	grep -qx -- "$o" <<<"$offered" || { echo "wirestat -- does not offer $o"; fail=1; }
done
expect() { # expect "words..." -- "values..."
	local got
	got=$(complete_words "${@:1:$#-1}" | sort | tr '\n' ' ')
	[ "$got" = "${!#} " ] || { echo "wirestat ${*:1:$#-1}: got '$got', want '${!#}'"; fail=1; }
}
expect --format "" "csv json table"
expect --resolve "" "active none passive"
expect --resolve p "passive"
expect -p "" "icmp icmpv6 ip ipv6 tcp tcpv6 udp udpv6"
expect -p tc "tcp tcpv6"
expect -I lo "lo"
[ $fail -eq 0 ] && echo "completion offers $(wc -l <<<"$offered") options and the values"
exit $fail

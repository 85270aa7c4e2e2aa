#!/bin/bash
# conntrack-test.sh CT_DUMP - kernel_conntrack_dump() and the conntrack
# event stream (src/kernel/conntrack.c, through tests/netns/ct_dump.c)
# against the kernel's own conntrack(8), in a network namespace of their
# own (wskr-<pid>-ct):
#
#   1. nftables rules with "ct state", a DNAT from port 7000 to 7777 and a
#      ct mark on it make the namespace track; a driver holds open TCP
#      connections over IPv4 (one through the DNAT) and IPv6 and sends one
#      unanswered UDP datagram;
#   2. the dump equals conntrack -L (both families): the same original
#      and reply tuples, TCP state, ASSURED and UNREPLIED flags and marks;
#      the DNAT entry has DST_NAT, reply port 7777 and mark 42;
#   3. the event stream sees NEW and UPDATE for a new TCP connection, NEW
#      for a UDP flow and DESTROY when conntrack -D deletes it;
#   4. as uid 65534 both the dump and the event socket fail with "not
#      permitted", not a crash or an empty table.
#
# Root only: exits 77 (skipped) when not root, and only then.  The EXIT
# trap stops the processes started here (by PID) and deletes the
# namespace.  About 10 s.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the conntrack test needs root (network namespaces)"
	exit 77
fi

CT_DUMP=$(realpath "${1:?usage: conntrack-test.sh CT_DUMP}")
NS="wskr-$$-ct"
WORK=$(mktemp -d /tmp/wskr-ct.XXXXXX)
PIDS=()

die() {
	echo "${0##*/}: FAIL: $*" >&2
	exit 1
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

for t in ip nft conntrack python3; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done
in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS" || die "ip netns add $NS"
in_ns ip link set lo up || die "lo up"
in_ns nft -f - <<'EOF' || die "nft rules"
table inet wskr {
	chain ws_mark {
		type filter hook output priority -150;
		tcp dport 7000 ct mark set 42
	}
	chain ws_nat {
		type nat hook output priority -100;
		tcp dport 7000 dnat ip to 127.0.0.1:7777
	}
	chain ws_track {
		type filter hook output priority 0;
		ct state new counter
	}
}
EOF

# 1. connections held open while the table is read
in_ns python3 - >"$WORK/driver.out" 2>&1 <<'EOF' &
import socket, time
def listen(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    return s
v4 = listen(socket.AF_INET, "127.0.0.1", 7777)
v6 = listen(socket.AF_INET6, "::1", 7778)
keep = [v4, v6]
for srv, addr, port in ((v4, "127.0.0.1", 7777), (v4, "127.0.0.1", 7000),
                        (v6, "::1", 7778)):
    c = socket.create_connection((addr, port))
    a, _ = srv.accept()
    c.sendall(b"x"); a.recv(1); a.sendall(b"y"); c.recv(1)
    keep += [c, a]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"ping", ("127.0.0.1", 9999))
keep.append(u)
print("UP", flush=True)
time.sleep(60)
EOF
PIDS+=($!)
for _ in $(seq 50); do
	grep -q UP "$WORK/driver.out" && break
	sleep 0.1
done
grep -q UP "$WORK/driver.out" || die "driver: $(cat "$WORK/driver.out")"

# 2. the dump against conntrack -L
in_ns conntrack -L -f ipv4 >"$WORK/cl.txt" 2>/dev/null
in_ns conntrack -L -f ipv6 >>"$WORK/cl.txt" 2>/dev/null
in_ns "$CT_DUMP" dump >"$WORK/dump.txt" 2>"$WORK/dump.err" ||
	die "ct_dump dump: $(cat "$WORK/dump.err")"
echo "== conntrack -L"
cat "$WORK/cl.txt"
echo "== kernel_conntrack_dump"
cat "$WORK/dump.txt"
python3 - "$WORK/cl.txt" "$WORK/dump.txt" <<'EOF' || die "dump differs from conntrack -L"
import sys
def tool(path):
    out = {}
    for line in open(path):
        t = line.split()
        if len(t) < 4:
            continue
        kv = [x.split("=", 1) for x in t if "=" in x]
        vals = {}
        order = []
        for k, v in kv:
            order.append((k, v))
        src = [v for k, v in order if k == "src"]
        dst = [v for k, v in order if k == "dst"]
        sp = [v for k, v in order if k == "sport"]
        dp = [v for k, v in order if k == "dport"]
        mark = [v for k, v in order if k == "mark"][0]
        key = (t[1], src[0], dst[0], sp[0], dp[0], src[1], dst[1], sp[1], dp[1])
        state = t[3] if t[1] == "6" else "-"
        out[key] = (state, "1" if "[ASSURED]" in t else "0",
                    "0" if "[UNREPLIED]" in t else "1", mark)
    return out
def ours(path):
    out = {}
    for line in open(path):
        t = line.split()
        f = dict(x.split("=", 1) for x in t[9:])
        out[tuple(t[:9])] = (f["state"], f["assured"], f["seen_reply"],
                             f["mark"])
    return out
a, b = tool(sys.argv[1]), ours(sys.argv[2])
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("differs:", k, "conntrack:", a.get(k), "ours:", b.get(k))
    sys.exit(1)
if len(a) < 4:
    print("expected at least 4 entries, got", len(a)); sys.exit(1)
print(f"dump equals conntrack -L: {len(a)} entries")
EOF
grep -Eq '^6 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 7000 127\.0\.0\.1 127\.0\.0\.1 7777 [0-9]+ state=ESTABLISHED assured=1 seen_reply=1 src_nat=0 dst_nat=1 mark=42$' \
	"$WORK/dump.txt" || die "no DNAT entry 7000 -> 7777 with mark 42"
grep -Eq '^6 ::1 ::1 [0-9]+ 7778 ::1 ::1 7778 [0-9]+ state=ESTABLISHED assured=1' \
	"$WORK/dump.txt" || die "no IPv6 TCP entry"
grep -Eq '^17 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 9999 127\.0\.0\.1 127\.0\.0\.1 9999 [0-9]+ state=- assured=0 seen_reply=0' \
	"$WORK/dump.txt" || die "no unreplied UDP entry"

# 3. events
in_ns "$CT_DUMP" events 4 >"$WORK/events.txt" 2>"$WORK/events.err" &
EVPID=$!
PIDS+=("$EVPID")
for _ in $(seq 50); do
	grep -q READY "$WORK/events.txt" && break
	sleep 0.1
done
grep -q READY "$WORK/events.txt" ||
	die "ct_dump events: $(cat "$WORK/events.err")"
in_ns python3 - <<'EOF' || die "event traffic"
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"x", ("127.0.0.1", 9998))
c = socket.create_connection(("127.0.0.1", 7777))
c.close()
EOF
sleep 0.5
in_ns conntrack -D -p udp --dport 9998 >/dev/null 2>&1 ||
	die "conntrack -D"
wait "$EVPID" || die "ct_dump events: $(cat "$WORK/events.err")"
echo "== events"
cat "$WORK/events.txt"
grep -Eq '^NEW 17 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 9998 ' "$WORK/events.txt" ||
	die "no NEW event for the UDP flow"
grep -Eq '^DESTROY 17 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 9998 ' \
	"$WORK/events.txt" || die "no DESTROY event for the deleted flow"
grep -Eq '^NEW 6 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 7777 .*state=SYN_SENT' \
	"$WORK/events.txt" || die "no NEW event for the TCP connection"
grep -Eq '^UPDATE 6 127\.0\.0\.1 127\.0\.0\.1 [0-9]+ 7777 .*state=ESTABLISHED' \
	"$WORK/events.txt" || die "no UPDATE to ESTABLISHED"

# 4. without privilege: a clear error, both ways
in_ns "$CT_DUMP" unprivileged >"$WORK/unpriv.txt" 2>&1 ||
	die "unprivileged: $(cat "$WORK/unpriv.txt")"
cat "$WORK/unpriv.txt"
echo "conntrack-test: PASS"

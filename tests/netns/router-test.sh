#!/bin/bash
# router-test.sh WIRESTAT - -r through a router namespace (issue 7).
# About 13 s.
#
#     [C] c 10.208.1.2/24 fd20:8:1::2/64 --- r-in [R] r-out --- s [S]
#                        10.208.1.1 fd20:8:1::1   10.208.2.1    10.208.2.2
#                                                 fd20:8:2::1   fd20:8:2::2
#
# R forwards and masquerades what leaves r-out (nftables); S has no
# route back to C's IPv4 network, so C's connections to S only work
# through the masquerade.
#
#   routes   in C, with extra routes (a gateway route, a blackhole, an
#            IPv6 route via a link-local gateway): every route `ip route`
#            and `ip -6 route` list is in wirestat -r's (destination,
#            prefix, gateway, interface); and -r -I c, while C talks to
#            S, names R's r-in MAC as the gateway of S's addresses (off
#            link by C's routes), for IPv4 and IPv6.
#   nat      R DNATs C's connections to 10.208.1.1:8080 to its server on
#            port 9090, and a client in R bound to 10.208.1.1 talks to
#            S:9000 out of r-out (masqueraded to 10.208.2.1): wirestat
#            --compare -I r-in -I r-out in R shows both wire sockets
#            MATCH, match "nat", with the PID of the process holding the
#            socket (the 9090 server, the client) and conntrack state
#            ESTABLISHED; the listener on 8080 MATCH through the DNAT;
#            the kernel sockets behind them no rows of their own; every
#            row MATCH; conntrack -L holds both translated tuples (the
#            masqueraded port being the row's); -a -o -b gives the same
#            PIDs, and null for C's and S's sockets.
#
# Names start with "wsrt-<pid>-"; no packet leaves the namespaces.  An
# EXIT trap (lib.sh's) deletes the namespaces and stops, by PID, what the
# script started.  Needs root: exits 77 (skipped) when not root, and only
# then.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the router tests need root (network namespaces)"
	exit 77
fi

WIRESTAT=$(realpath "${1:?usage: router-test.sh WIRESTAT}")
WSOR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$WSOR_HERE/lib.sh"

wsor_init "$(mktemp -d /tmp/wsrt.XXXXXX)"
WSOR_WORK_TEMP=1
W=$WSOR_WORK
HELPER=("$WSOR_PY" "$WSOR_HERE/kernel_helper.py")
NS_C="wsrt-$$-C" NS_R="wsrt-$$-R" NS_S="wsrt-$$-S"
IF_C="wsrt-$$-c" IF_RI="wsrt-$$-ri" IF_RO="wsrt-$$-ro" IF_S="wsrt-$$-s"
WSOR_IF_A=$IF_C # lib.sh's clean-up removes a half-made pair by this name

wsor_require_tools
[ -x "$WIRESTAT" ] || wsor_die "not executable: $WIRESTAT"


in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ---------------------------------------------------------------- setup
for ns in "$NS_C" "$NS_R" "$NS_S"; do
	ip netns add "$ns" || wsor_die "ip netns add $ns"
	WSOR_NS_MADE+=("$ns")
	ip -n "$ns" link set lo up
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || wsor_die "sysctl"
done
ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_RI" netns "$NS_R" ||
	wsor_die "veth C-R"
ip link add "$IF_RO" netns "$NS_R" type veth peer name "$IF_S" netns "$NS_S" ||
	wsor_die "veth R-S"
in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
	wsor_die "forwarding"
for pair in "$NS_C $IF_C" "$NS_R $IF_RI" "$NS_R $IF_RO" "$NS_S $IF_S"; do
	set -- $pair
	in_ns "$1" ethtool -K "$2" tso off gso off gro off tx off rx off \
		>/dev/null 2>&1 || wsor_die "ethtool -K $2"
done
ip -n "$NS_C" addr add 10.208.1.2/24 dev "$IF_C"
ip -n "$NS_C" addr add fd20:8:1::2/64 dev "$IF_C" nodad
ip -n "$NS_R" addr add 10.208.1.1/24 dev "$IF_RI"
ip -n "$NS_R" addr add fd20:8:1::1/64 dev "$IF_RI" nodad
ip -n "$NS_R" addr add 10.208.2.1/24 dev "$IF_RO"
ip -n "$NS_R" addr add fd20:8:2::1/64 dev "$IF_RO" nodad
ip -n "$NS_S" addr add 10.208.2.2/24 dev "$IF_S"
ip -n "$NS_S" addr add fd20:8:2::2/64 dev "$IF_S" nodad
for pair in "$NS_C $IF_C" "$NS_R $IF_RI" "$NS_R $IF_RO" "$NS_S $IF_S"; do
	set -- $pair
	ip -n "$1" link set "$2" up
done
ip -n "$NS_C" route add default via 10.208.1.1
ip -n "$NS_C" -6 route add default via fd20:8:1::1
ip -n "$NS_S" -6 route add fd20:8:1::/64 via fd20:8:2::1
# C's extra routes, for -r
ip -n "$NS_C" route add 10.99.0.0/16 via 10.208.1.1 metric 50
ip -n "$NS_C" route add blackhole 10.98.0.0/16
ip -n "$NS_C" -6 route add fd99::/48 via fe80::99 dev "$IF_C" metric 7
in_ns "$NS_R" nft -f - <<EOF || wsor_die "nft masquerade"
table ip wsrt {
	chain post {
		type nat hook postrouting priority 100;
		oifname "$IF_RO" masquerade
	}
}
EOF
wsor_start_helper "$NS_S" srv9000 serve :: 9000
reach() { timeout 2 ip netns exec "$NS_C" "${HELPER[@]}" burst "$1" 9000 1 >/dev/null 2>&1; }
for _ in $(seq 50); do
	reach 10.208.2.2 && reach fd20:8:2::2 && break
	sleep 0.1
done
reach 10.208.2.2 || wsor_die "C cannot reach S through R (IPv4)"
reach fd20:8:2::2 || wsor_die "C cannot reach S through R (IPv6)"

# ---------------------------------------------------------------- routes
wsor_log "routes: -r against ip route in C"
in_ns "$NS_C" "$WIRESTAT" -r -n --format json >"$W/routes.json" ||
	wsor_die "wirestat -r failed"
in_ns "$NS_C" ip -j route >"$W/ip4.json" || wsor_die "ip -j route"
in_ns "$NS_C" ip -j -6 route >"$W/ip6.json" || wsor_die "ip -j -6 route"
"$WSOR_PY" - "$W/routes.json" "$W/ip4.json" "$W/ip6.json" <<'EOF' ||
import ipaddress, json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
have = {(r["destination"], r["prefix_len"], r["gateway"], r["iface"])
        for r in ours}
n = 0
for path, v6 in ((sys.argv[2], False), (sys.argv[3], True)):
    for r in json.load(open(path)):
        dst = r["dst"]
        if dst == "default":
            dst = "::/0" if v6 else "0.0.0.0/0"
        net = ipaddress.ip_network(dst if "/" in dst else
                                   dst + ("/128" if v6 else "/32"))
        # a route with no device (blackhole): the kernel writes "*" in
        # /proc/net/route and "lo" in /proc/net/ipv6_route
        dev = r.get("dev", "lo" if v6 else "*")
        key = (str(net.network_address), net.prefixlen, r.get("gateway"), dev)
        ok = key in have
        print("ok:" if ok else "FAIL:", "ip route", json.dumps(r), "->", key)
        n += 1
        if not ok:
            print("wirestat -r has:", sorted(map(str, have)))
            sys.exit(1)
if n < 7:
    print("FAIL: only", n, "routes"); sys.exit(1)
EOF
	wsor_die "-r differs from ip route"

wsor_log "routes: observed gateways from C's wire"
ip netns exec "$NS_C" "$WIRESTAT" -r -n -I "$IF_C" --format json --duration 3 \
	>"$W/gateways.json" 2>"$W/gateways.err" &
GW=$!
WSOR_PIDS+=("$GW")
sleep 0.8
in_ns "$NS_C" "${HELPER[@]}" burst 10.208.2.2 9000 3 >/dev/null ||
	wsor_die "C -> S (IPv4)"
in_ns "$NS_C" "${HELPER[@]}" burst fd20:8:2::2 9000 3 >/dev/null ||
	wsor_die "C -> S (IPv6)"
wait "$GW" || wsor_die "wirestat -r -I failed: $(cat "$W/gateways.err")"
RMAC=$(ip -n "$NS_R" -j link show "$IF_RI" | "$WSOR_PY" -c \
	'import json,sys; print(json.load(sys.stdin)[0]["address"])')
"$WSOR_PY" - "$W/gateways.json" "$RMAC" <<'EOF' ||
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
gw = [r for r in rows if r["kind"] == "gateway"]
for fam, addr in (("inet", "10.208.2.2"), ("inet6", "fd20:8:2::2")):
    hit = [r for r in gw if r["mac"] == sys.argv[2] and r["family"] == fam]
    if len(hit) != 1 or hit[0]["off_link"] < 1 or addr not in hit[0]["sample"]:
        print("FAIL: no", fam, "gateway", sys.argv[2], "for", addr)
        for r in gw:
            print("  ", json.dumps(r))
        sys.exit(1)
    print("ok: R's MAC", sys.argv[2], "carried", fam, "traffic to", addr,
          "(off link:", hit[0]["off_link"], ")")
other = [r for r in gw if r["mac"] != sys.argv[2]]
if other:
    print("FAIL: other gateways:", other); sys.exit(1)
EOF
	wsor_die "observed gateways"

# ---------------------------------------------------------------- NAT
# R DNATs C's connections to 10.208.1.1:8080 to its own server on 9090,
# and a client in R bound to 10.208.1.1 talks to S:9000 out of r-out,
# masqueraded to 10.208.2.1.  wirestat --compare in R on both veths: the
# wire's sockets are not the kernel's; conntrack ties them together.
wsor_log "NAT: --compare in R through DNAT and masquerade"
in_ns "$NS_R" nft -f - <<EOF || wsor_die "nft dnat"
table ip wsrt {
	chain pre {
		type nat hook prerouting priority -100;
		iifname "$IF_RI" ip daddr 10.208.1.1 tcp dport 8080 dnat to 10.208.1.1:9090
	}
}
EOF
wsor_start_helper "$NS_R" srv9090 serve 10.208.1.1 9090
# ws_run NAME ARGS...: wirestat in R, returns once its capture is open
# (its SIGINT handler is installed after that).
declare -A WS_PID
ws_run() {
	local name=$1 pid
	shift
	ip netns exec "$NS_R" "$WIRESTAT" "$@" >"$W/$name.json" 2>"$W/$name.err" &
	pid=$!
	WS_PID[$name]=$pid
	WSOR_PIDS+=("$pid")
	wsor_wait_capturing "$name" "$pid"
}
ws_run natcmp --compare -n -I "$IF_RI" -I "$IF_RO" --format json --duration 7 1
ws_run natob -a -n -o -b -I "$IF_RI" -I "$IF_RO" --format json --duration 4
wsor_start_helper "$NS_C" natc client 10.208.1.1 8080 --every 0.2
wsor_start_helper "$NS_R" natr client 10.208.2.2 9000 --every 0.2 --bind 10.208.1.1
wait "${WS_PID[natob]}" || wsor_die "wirestat -a -o -b failed: $(cat "$W/natob.err")"
wait "${WS_PID[natcmp]}" || wsor_die "wirestat --compare failed: $(cat "$W/natcmp.err")"
in_ns "$NS_R" conntrack -L -p tcp >"$W/conntrack.txt" 2>"$W/conntrack.err" ||
	wsor_die "conntrack -L in R: $(cat "$W/conntrack.err")"
for p in srv9090 natc natr srv9000; do
	v="PID_$p"
	kill -0 "${!v}" 2>/dev/null || wsor_die "helper $p died: $(cat "$W/$p.err")"
done
PID_srv9090=$PID_srv9090 PID_natr=$PID_natr PORT_natc=$PORT_natc \
	PORT_natr=$PORT_natr "$WSOR_PY" - "$W/natcmp.json" "$W/conntrack.txt" \
	"$W/natob.json" <<'PYEOF' ||
import json, os, re, sys
E = os.environ
failed = []
def ok(m): print("ok:", m)
def fail(m):
    print("FAIL:", m); failed.append(m)
def pick(rows, **want):
    return [r for r in rows if all(r.get(k, "<absent>") == v
                                   for k, v in want.items())]
def one(rows, desc, **want):
    got = pick(rows, **want)
    if len(got) != 1:
        fail("%s: %d rows with %s, want 1" % (desc, len(got), want))
        return None
    return got[0]
def expect(row, desc, **want):
    if row is None:
        return
    bad = ["%s is %s, want %s" % (k, json.dumps(row.get(k, "<absent>")),
                                  json.dumps(v))
           for k, v in want.items() if row.get(k, "<absent>") != v]
    if bad:
        fail("%s: %s; row: %s" % (desc, "; ".join(bad), json.dumps(row)))
    else:
        ok("%s: %s" % (desc, ", ".join("%s=%s" % (k, json.dumps(v))
                                       for k, v in want.items())))
objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
heads = [i for i, o in enumerate(objs) if "report" in o]
rows = objs[heads[-1] + 1:] if heads else objs
print("  --compare in R, last report (%d reports):" % len(heads))
for r in rows:
    print("   ", json.dumps(r))
srv, cli = int(E["PID_srv9090"]), int(E["PID_natr"])
cport, rport = int(E["PORT_natc"]), int(E["PORT_natr"])
# DNAT: the wire's 10.208.1.1:8080 is the socket 10.208.1.1:9090
d = one(rows, "DNAT connection", proto="tcp", local_addr="10.208.1.1",
        local_port=8080, remote_addr="10.208.1.2", remote_port=cport)
expect(d, "DNAT connection 10.208.1.1:8080 <- C (socket :9090)",
       verdict="MATCH", match="nat", wire_state="ESTABLISHED",
       kernel_state="ESTABLISHED", conntrack_state="ESTABLISHED",
       pid=srv, program="python3")
l = one(rows, "DNAT listener", proto="tcp", local_addr="10.208.1.1",
        local_port=8080, remote_addr=None)
expect(l, "listener 10.208.1.1:8080 behind the DNAT (socket :9090)",
       verdict="MATCH", match="nat", pid=srv, program="python3")
# masquerade: the wire's 10.208.2.1:<port> is the socket 10.208.1.1:<port>
m = one(rows, "masqueraded connection", proto="tcp", local_addr="10.208.2.1",
        remote_addr="10.208.2.2", remote_port=9000)
expect(m, "masqueraded connection 10.208.2.1 -> S:9000 (socket "
       "10.208.1.1:%d)" % rport, verdict="MATCH", match="nat",
       wire_state="ESTABLISHED", kernel_state="ESTABLISHED",
       conntrack_state="ESTABLISHED", pid=cli, program="python3")
# the kernel's sockets behind them are not rows of their own
for desc, want in (("the socket :9090 of the DNAT connection",
                    dict(local_port=9090)),
                   ("the masqueraded socket 10.208.1.1:%d" % rport,
                    dict(local_addr="10.208.1.1", local_port=rport))):
    if pick(rows, **want):
        fail("%s has a row of its own: %s" % (desc, pick(rows, **want)))
    else:
        ok("%s has no row of its own" % desc)
bad = [r for r in rows if r.get("verdict") != "MATCH"]
if bad:
    fail("rows in R other than MATCH: %s" % bad)
else:
    ok("all %d rows in R are MATCH" % len(rows))
# conntrack -L agrees
ct = open(sys.argv[2]).read()
print("  conntrack -L -p tcp in R:\n    " + ct.strip().replace("\n", "\n    "))
want = [("DNAT", r"ESTABLISHED src=10\.208\.1\.2 dst=10\.208\.1\.1 sport=%d "
         r"dport=8080 src=10\.208\.1\.1 dst=10\.208\.1\.2 sport=9090 dport=%d "
         % (cport, cport))]
if m:
    want.append(("masquerade", r"ESTABLISHED src=10\.208\.1\.1 dst=10\.208\.2\.2 "
                 r"sport=%d dport=9000 src=10\.208\.2\.2 dst=10\.208\.2\.1 "
                 r"sport=9000 dport=%d " % (rport, m["local_port"])))
for desc, rx in want:
    if re.search(rx, ct):
        ok("conntrack -L has the %s entry the row was matched through" % desc)
    else:
        fail("conntrack -L has no %s entry /%s/" % (desc, rx))
# -o -b socket view: the same owners through the same NAT
ob = [o for o in (json.loads(l) for l in open(sys.argv[3]) if l.strip())
      if "report" not in o]
print("  -a -o -b in R:")
for r in ob:
    print("   ", json.dumps(r))
expect(one(ob, "-o -b DNAT connection", local_addr="10.208.1.1",
           local_port=8080, remote_addr="10.208.1.2", remote_port=cport),
       "-o -b DNAT connection", pid=srv, program="python3")
expect(one(ob, "-o -b masqueraded connection", local_addr="10.208.2.1",
           remote_addr="10.208.2.2", remote_port=9000),
       "-o -b masqueraded connection", pid=cli, program="python3")
for r in pick(ob, local_addr="10.208.1.2") + pick(ob, local_addr="10.208.2.2"):
    expect(r, "-o -b C's or S's socket %s:%s" % (r["local_addr"],
           r["local_port"]), pid=None, program=None)
sys.exit(1 if failed else 0)
PYEOF
	wsor_die "--compare through NAT"

# After -Z nobody the conntrack dump is refused (it needs CAP_NET_ADMIN),
# but the event stream wirestat subscribed to before dropping privileges
# still follows the NAT: a DNAT connection made after the start is MATCH
# by "nat" (its owner unknown to nobody: null).
wsor_log "NAT: --compare -Z nobody follows NAT from conntrack's events"
ws_run natz --compare -n -I "$IF_RI" -Z nobody --format json --duration 4 1
wsor_start_helper "$NS_C" natz_c client 10.208.1.1 8080 --every 0.2
wait "${WS_PID[natz]}" || wsor_die "wirestat --compare -Z failed: $(cat "$W/natz.err")"
grep -q "NAT followed from the event stream only" "$W/natz.err" ||
	wsor_die "--compare -Z: no word of the refused dump: $(cat "$W/natz.err")"
PORT_natz_c=$PORT_natz_c "$WSOR_PY" - "$W/natz.json" <<'PYEOF' ||
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
heads = [i for i, r in enumerate(lines) if "report" in r]
last = lines[heads[-1] + 1:]
port = int(os.environ["PORT_natz_c"])
rows = [r for r in last if r["local_addr"] == "10.208.1.1" and
        r["local_port"] == 8080 and r["remote_port"] == port]
good = (len(rows) == 1 and rows[0]["verdict"] == "MATCH" and
        rows[0]["match"] == "nat" and rows[0]["pid"] is None)
print("ok:" if good else "FAIL:", "-Z nobody, DNAT connection from port",
      port, "->", rows)
sys.exit(0 if good else 1)
PYEOF
	wsor_die "--compare -Z through NAT"

WSOR_OK=1
echo "router-test: PASS"

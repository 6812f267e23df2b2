#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Path policy on the host kernel (path issue, acceptance 1-6) in throwaway network
# namespaces: endpoints and limits against `ip mptcp`, per-source routes, and pathd
# (fullmesh, backup, mobility) timed against mptcpd on the same scenario.
# Usage (root): tests/host/test_path.sh BUILD_DIR
set -u
build=${1:?usage: test_path.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$(cd "$build" && pwd)/mptcp-sched"
P="$M path --netns ms-cli"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down' EXIT
atmost() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$1" "$2"; }
same_as_ip() { diff <($P endpoint list) <(in_cli ip mptcp endpoint show) >&2; }

# ---- 1. endpoints and limits match `ip mptcp` ----------------------------------------
topo_up
ip -n ms-cli mptcp endpoint flush
ip -n ms-cli addr add fd00:2::1/64 dev cli2 nodad
check "endpoint add subflow with dev" $P endpoint add 10.0.2.1 --dev cli2 subflow
check "endpoint add signal backup with id and port" $P endpoint add 10.0.1.1 signal backup --id 7 --port 10007
check "endpoint add IPv6 fullmesh" $P endpoint add fd00:2::1 --dev cli2 subflow fullmesh
check "endpoint list is byte-identical to ip mptcp endpoint show" same_as_ip
check "flags: fullmesh on, backup on" $P endpoint flags 10.0.2.1 fullmesh backup
check "flags: backup off by id" $P endpoint flags 7 nobackup
check "   ... still identical to ip" same_as_ip
in_cli ip mptcp endpoint show | sed 's/^/#   ip: /'
check "endpoint del by address" $P endpoint del fd00:2::1
check "   ... and gone from ip" bash -c "! ip -n ms-cli mptcp endpoint show | grep -q fd00:2::1"
check "limits set" $P limits set --subflows 3 --add-addr-accepted 5
check "limits get is identical to ip mptcp limits show" diff <($P limits get) <(in_cli ip mptcp limits show)
check "limits JSON" test "$($P limits get --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["subflows"], j["add_addr_accepted"])')" = "3 5"
check "endpoint list --json" test "$($P endpoint list --json | python3 -c 'import json,sys; print(sorted(e["id"] for e in json.load(sys.stdin)))')" = "[1, 7]"

# ---- 5. bad input: one clear line, non-zero ------------------------------------------
check "unknown interface" one_line_error "no interface named 'wlan9'" $P endpoint add 10.0.2.1 --dev wlan9 subflow
check "invalid address" one_line_error "invalid address '10.0.2.300'" $P endpoint add 10.0.2.300 subflow
check "foreign address" one_line_error "not an address of this host" $P endpoint add 192.0.2.7 subflow
check "address on another interface" one_line_error "the address is on cli2, not on cli1" $P endpoint add 10.0.2.1 --dev cli1 subflow
check "kernel refusal keeps the kernel's reason" one_line_error "flags mustn't have both signal and fullmesh" $P endpoint add 10.0.2.1 --id 9 signal fullmesh
check "limits out of range" one_line_error "invalid limit subflows 9: the kernel allows 0-8" $P limits set --subflows 9
check "unknown flag" one_line_error "unknown endpoint flag 'fast'" $P endpoint add 10.0.2.1 fast
check "unknown netns" one_line_error "no such network namespace" $M path --netns no-such-ns endpoint list
check "limits unchanged by the refused set" diff <($P limits get) <(in_cli ip mptcp limits show)

# ---- 6. per-source routes: check, apply, apply again, remove --------------------------
ip -n ms-cli mptcp endpoint flush
$P endpoint add 10.0.1.1 --dev cli1 subflow >/dev/null
$P endpoint add 10.0.2.1 --dev cli2 subflow >/dev/null
ip -n ms-cli route add default via 10.0.1.2 dev cli1
# By hand, the guide's recipe for cli1 only: cli2's route is the deliberately missing one.
ip -n ms-cli rule add from 10.0.1.1 table 201
ip -n ms-cli route add 10.0.1.0/24 dev cli1 table 201
ip -n ms-cli route add default via 10.0.1.2 dev cli1 table 201
$P routes check > /tmp/rc1.txt; rc=$?
sed 's/^/#   /' /tmp/rc1.txt
check "routes check: exit 1 while something is missing" test $rc = 1
check "routes check: cli1's hand-made rule and routes are found" grep -q "^ok      10.0.1.1 (cli1): rule from 10.0.1.1 lookup 201" /tmp/rc1.txt
check "routes check: cli2's rule is reported missing, with the fix" grep -q "fix: ip -n ms-cli rule add from 10.0.2.1 table" /tmp/rc1.txt
check "routes check: cli2's subnet route is reported missing" grep -q "^MISSING 10.0.2.1 (cli2): route 10.0.2.0/24 dev cli2 table" /tmp/rc1.txt
check "routes apply" $P routes apply
check "routes check passes after apply" $P routes check
check "a second apply changes nothing" test "$($P routes apply)" = "nothing to do: every endpoint has its per-source rule and routes"
ip -n ms-cli rule > /tmp/rules-before.txt
check "   ... the rules are unchanged" diff /tmp/rules-before.txt <(ip -n ms-cli rule)
check "a subflow from 10.0.2.1 really leaves through cli2 (ip route get)" \
    bash -c "ip -n ms-cli route get 10.9.9.9 from 10.0.2.1 2>&1 | grep -q 'dev cli2' || ip -n ms-cli route get 10.0.2.2 from 10.0.2.1 | grep -q 'dev cli2'"
check "routes remove deletes what apply made" $P routes remove
check "   ... and only that (the hand-made rule stays)" bash -c "ip -n ms-cli rule | grep -q 'from 10.0.1.1 lookup 201' && ! ip -n ms-cli rule | grep -q 'proto 177'"

# ---- 2-4. pathd: fullmesh, backup, mobility; then the same scenario with mptcpd -------
# Server: kernel PM announcing its second address. Client: 2 addresses, no endpoints.
setup_pathd_topo() {
    topo_up
    ip -n ms-cli mptcp endpoint flush
    ip -n ms-cli mptcp limits set subflows 4 add_addr_accepted 4
    ip -n ms-srv mptcp limits set subflows 8 add_addr_accepted 0
    ip -n ms-srv mptcp endpoint add 10.0.2.2 dev srv2 signal
}
nsub() { nsubflows "$1"; }
nsub_is() { [ "$(nsub "$1")" = "$2" ]; }
# wait_subflows PORT N TIMEOUT_S: seconds until N subflows exist (or "timeout"); the
# figure the README reports.
wait_subflows() {
    python3 - "$1" "$2" "$3" <<'PY'
import subprocess, sys, time
port, want, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = time.monotonic()
# start from the moment the connection exists
while time.monotonic() - t0 < 10:
    out = subprocess.run(["ip", "netns", "exec", "ms-cli", "ss", "-tnH", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True).stdout
    if out.strip():
        break
    time.sleep(0.005)
t1 = time.monotonic()
while time.monotonic() - t1 < limit:
    out = subprocess.run(["ip", "netns", "exec", "ms-cli", "ss", "-tnH", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True).stdout
    if len(out.strip().splitlines()) >= want:
        print(round(time.monotonic() - t1, 3)); sys.exit(0)
    time.sleep(0.01)
print("timeout"); sys.exit(1)
PY
}
# scenario NAME PORT [WANT_DURING]: paced transfer; time to 4 subflows; cli1 down; time to
# a new subflow and to data on cli1 after it comes back. Results in /tmp/path-NAME.*
# With WANT_DURING, cli1 stays down until that many subflows are left (at most 20 s);
# without (mptcpd, which is only measured), for 2 s: the scenario's own down time.
scenario() {
    local name=$1 port=$2 want=${3:-}
    xfer /tmp/path-$name.json "$port" $((3 << 20)) --rate 3 &
    local x=$!
    wait_subflows "$port" 4 20 > /tmp/path-$name.t4
    in_cli ss -tniMH state established "( dport = :$port )" > /tmp/path-$name.ss
    ip -n ms-cli link set cli1 down
    if [ -n "$want" ]; then
        wait_until 20 nsub_is "$port" "$want"
    else
        sleep 2
    fi
    nsub "$port" > /tmp/path-$name.during
    in_cli $XFER watch --port "$port" --local 10.0.1.1 --timeout 20 \
        --trigger "ip -n ms-cli link set cli1 up" > /tmp/path-$name.watch
    wait $x
    echo $? > /tmp/path-$name.rc
}

setup_pathd_topo
# start_pathd LOG ARGS...: pathd in the background (its pid in $pd), once it has started.
start_pathd() {
    local log=$1; shift
    $P pathd --json "$@" > "$log" 2>&1 &
    pd=$!
    wait_until 20 grep -qs "\"started\"" "$log"
}
start_pathd /tmp/pathd.log --policy fullmesh --policy mobility --policy 'backup-iface=cli2'
check "pathd started and switched the netns to the userspace PM" test "$(in_cli sysctl -n net.mptcp.path_manager)" = userspace
check "a second pathd in the same netns is refused" one_line_error "another mptcp-sched pathd (pid $pd) already manages this network namespace" $M path --netns ms-cli pathd --policy fullmesh
scenario pathd 5101 2
t4=$(cat /tmp/path-pathd.t4)
echo "# pathd: 4 subflows ${t4} s after the connection appeared"
check "pathd fullmesh: 2 x 2 addresses give 4 subflows" test "$t4" != timeout
check "backup-iface=cli2: subflows from cli2 carry the local backup flag (ss flags 'b')" \
    test "$(grep -A1 '10.0.2.1' /tmp/path-pathd.ss | grep -c 'flags:[A-Za-z]*b')" = 2
check "   ... and subflows from cli1 do not" \
    test "$(grep -A1 '10.0.1.1' /tmp/path-pathd.ss | grep 'flags:' | grep -vc 'flags:[A-Za-z]*b')" = 2
check "link down: the connection survives on cli2 (byte-exact transfer)" test "$(cat /tmp/path-pathd.rc)" = 0
check "link down: pathd removed cli1's subflows (2 left)" test "$(cat /tmp/path-pathd.during)" = 2
new=$(json /tmp/path-pathd.watch "j['new_subflow_s']"); data=$(json /tmp/path-pathd.watch "j['data_resumed_s']")
echo "# pathd: after cli1 came back: new subflow in ${new} s, data on cli1 again in ${data} s"
check "link up: a new subflow on cli1 (within 20 s; the figure above is the measurement)" test "$new" != None
kill -TERM $pd; wait $pd
check "SIGTERM: pathd exits 0" test $? = 0
check "SIGTERM: the path manager setting is restored" test "$(in_cli sysctl -n net.mptcp.path_manager)" = kernel
check "pathd logged JSON events" test "$(grep -c '"event": *"sub_established"\|"event":"sub_established"' /tmp/pathd.log)" -ge 3
in_cli sysctl -qw net.mptcp.path_manager=userspace
check "pathd refuses a netns another userspace PM holds" one_line_error "another userspace path manager holds this network namespace" $M path --netns ms-cli pathd --policy fullmesh
in_cli sysctl -qw net.mptcp.path_manager=kernel

# The same scenario with mptcpd (addr_adv: in-kernel PM endpoints per address, fullmesh;
# cli2's endpoint made backup like pathd's policy).
check "mptcpd is installed (install-deps.sh)" test -x /usr/libexec/mptcpd
if [ -x /usr/libexec/mptcpd ]; then
    setup_pathd_topo
    in_cli /usr/libexec/mptcpd --path-manager=addr_adv --addr-flags=subflow,fullmesh \
        --notify-flags=existing,skip_link_local,skip_loopback --log=stderr > /tmp/mptcpd.log 2>&1 &
    md=$!
    two_endpoints() { [ "$(ip -n ms-cli mptcp endpoint show | wc -l)" -ge 2 ]; }
    wait_until 20 two_endpoints
    id2=$(ip -n ms-cli mptcp endpoint show | awk '/^10.0.2.1/ {print $3}')
    ip -n ms-cli mptcp endpoint change id "$id2" backup
    scenario mptcpd 5102
    kill $md; wait $md 2>/dev/null
    mt4=$(cat /tmp/path-mptcpd.t4)
    mnew=$(json /tmp/path-mptcpd.watch "j['new_subflow_s']"); mdata=$(json /tmp/path-mptcpd.watch "j['data_resumed_s']")
    echo "# mptcpd: 4 subflows: ${mt4} s after connect ($(grep -c '^tcp' /tmp/path-mptcpd.ss) subflows after 6 s); cli1 down: $(cat /tmp/path-mptcpd.during) subflows kept; back: new subflow ${mnew} s, data on cli1 again ${mdata} s"
    check "mptcpd scenario ran (transfer byte-exact)" test "$(cat /tmp/path-mptcpd.rc)" = 0
fi
echo "# summary: to 4 subflows: pathd ${t4} s, mptcpd ${mt4:-n/a} s; after link up, new subflow: pathd ${new} s, mptcpd ${mnew:-n/a} s; data on the path again: pathd ${data} s, mptcpd ${mdata:-n/a} s (None = not within 20 s)"
finish

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
STORM="python3 $(cd "$(dirname "$0")" && pwd)/mptcp_storm.py"
trap 'kill -CONT $(jobs -p) 2>/dev/null; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down' EXIT
ulimit -c 0   # the SIGABRT test below: no core file
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

# ---- pathd survives any death and event storms (issue 15 item 4) ---------------------
pm_now() { in_cli sysctl -n net.mptcp.path_manager; }
# held PORT: one MPTCP connection to PORT held open for 120 s (server in ms-srv).
held() {
    in_srv $STORM server "$1" 1 > /dev/null &
    wait_until 20 listening ms-srv "$1"
    in_cli $STORM hold 10.0.1.2 "$1" 120 &
    wait_until 20 has_subflows "$1" 1
}
# pathd_genl PID: pathd's generic netlink sockets (inodes), from /proc/net/netlink.
pathd_genl() {
    local mine; mine=$(ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p')
    in_cli awk '$2 == 16 { print $10 }' /proc/net/netlink | grep -Fx -f <(echo "$mine") | sort | tr '\n' ' '
}
# storm PORT N: N short MPTCP connections client -> server, one after the other.
storm() {
    in_srv $STORM server "$1" "$2" > /dev/null &
    local s=$!
    wait_until 20 listening ms-srv "$1"
    in_cli $STORM client 10.0.1.2 "$1" "$2" > /dev/null
    wait $s
}
# drops PID: events the kernel dropped on pathd's MPTCP event socket (its netlink portid is its pid).
drops() { in_cli awk -v p="$1" '$2 == 16 && $3 == p { print $9 }' /proc/net/netlink; }

setup_pathd_topo
start_pathd /tmp/pathd-k1.log --policy fullmesh
killed=$pd
kill -KILL $pd; wait $pd 2>/dev/null
check "SIGKILL leaves the userspace path manager behind (what the next start undoes)" test "$(pm_now)" = userspace
start_pathd /tmp/pathd-k2.log --policy fullmesh
check "after a SIGKILL the next pathd starts" grep -q '"started"' /tmp/pathd-k2.log
check "   ... saying in one line that it restored what the killed pid left" \
    test "$(grep -c "\"recovered\".*restored net.mptcp.path_manager = kernel (pathd pid $killed set userspace" /tmp/pathd-k2.log)" = 1
held 5201
check "   ... and runs: a new connection gets its subflows" wait_until 20 has_subflows 5201 3
kill -TERM $pd; wait $pd
check "   ... and on SIGTERM restores the path manager it found" test "$(pm_now)" = kernel

start_pathd /tmp/pathd-r1.log --policy fullmesh
check "pathd --reset refuses while a live pathd holds the netns" \
    one_line_error "another mptcp-sched pathd (pid $pd) already manages this network namespace" $P pathd --reset
check "   ... and changes nothing" test "$(pm_now)" = userspace
killed=$pd
kill -ABRT $pd; wait $pd 2>/dev/null
check "pathd --reset after an abort (SIGABRT) restores the path manager, in one line" \
    test "$($P pathd --reset 2>&1)" = "restored net.mptcp.path_manager = kernel (pathd pid $killed set userspace and ended without restoring it)"
check "   ... it is kernel again" test "$(pm_now)" = kernel
check "   ... a second --reset has nothing to restore" bash -c "$P pathd --reset | grep -q '^nothing to restore'"
check "   ... and --reset takes no policy" one_line_error "--reset takes no --policy" $P pathd --reset --policy fullmesh

rm -f /tmp/pathd-pipe.*
bash -c "$P pathd --json --policy fullmesh 2>/tmp/pathd-pipe.err | head -1 > /tmp/pathd-pipe.out; echo \${PIPESTATUS[0]} > /tmp/pathd-pipe.rc" &
check "pathd --json | head -1: pathd ends when head does" wait_until 20 test -s /tmp/pathd-pipe.rc
check "   ... head got the started line" grep -q '"started"' /tmp/pathd-pipe.out
check "   ... pathd exits 1 (not killed by SIGPIPE) with one line saying why" \
    bash -c "test \"\$(cat /tmp/pathd-pipe.rc)\" = 1 && test \"\$(wc -l < /tmp/pathd-pipe.err)\" = 1 && grep -q 'reader of its output went away' /tmp/pathd-pipe.err"
sed 's/^/#   /' /tmp/pathd-pipe.err
check "   ... and the netns has its path manager back" test "$(pm_now)" = kernel

# Event storms: pathd stopped while 3000 short connections come and go (about 10 MB of
# events in the kernel's accounting; the default buffer holds about 200 KB).
start_pathd /tmp/pathd-s1.log --policy fullmesh
genl_before=$(pathd_genl $pd)
kill -STOP $pd
storm 5210 3000
echo "# storm with the default event buffer: $(drops $pd) events dropped while pathd was stopped"
kill -CONT $pd
held 5211
check "event storm (SIGSTOP, 3000 connections, SIGCONT): pathd creates subflows for a new connection" \
    wait_until 60 has_subflows 5211 3
check "   ... and is still running" kill -0 $pd
genl_after=$(pathd_genl $pd)
echo "#   pathd's generic netlink sockets: before $genl_before, after $genl_after"
check "   ... with one request socket for all its subflow commands (events + requests, the same before and after)" \
    bash -c "test '$genl_before' = '$genl_after' && test $(echo $genl_after | wc -w) = 2"
kill -TERM $pd; wait $pd
check "   ... and exits 0 on SIGTERM" test $? = 0

# A buffer too small for the storm: the kernel drops events and pathd re-reads the state.
start_pathd /tmp/pathd-s2.log --policy fullmesh --event-buffer 16384
kill -STOP $pd
storm 5220 3000
held 5221   # its events are among the dropped ones: only the dump can show it to pathd
echo "# storm with a 16 KiB event buffer: $(drops $pd) events dropped while pathd was stopped"
kill -CONT $pd
one_resync() { [ "$(grep -c '"event":"resync"' /tmp/pathd-s2.log)" = 1 ]; }
check "overflowed event buffer: pathd logs one line that it resynchronised" wait_until 30 one_resync
grep '"resync"' /tmp/pathd-s2.log | sed 's/^/#   /'
check "   ... the connection whose events were lost gets its subflow from the re-read state" \
    wait_until 30 has_subflows 5221 2
held 5222
check "   ... a new connection gets its subflows" wait_until 30 has_subflows 5222 3
check "   ... and pathd is still running" kill -0 $pd
kill -TERM $pd; wait $pd
check "   ... and restores the path manager on SIGTERM" test "$(pm_now)" = kernel

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

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What needs no kernel patch, on a kernel users run (issue 17 item 3; ctest -L vm-matrix):
# `status` reports the BPF scheduler interface MISSING (exit 3), `path` endpoints and limits
# agree with `ip mptcp`, `pathd` starts, builds a connection's subflows and restores the
# path manager on SIGTERM, `demo` over two paths and against plain TCP, `conns` on a live
# connection against `ss -tiM`, `doctor` before and after its own fixes, and `run` (the
# update_socket_protocol hook where the kernel has it, Linux >= 6.6; else its one line).
# Runs inside the VM: vmtest/run --kernel-release RELEASE -- tests/vm/test_matrix.sh BUILD_DIR
# Also runs on the patched vmtest kernel, where status must say "supported" instead.
set -u
build=${1:?usage: test_matrix.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
B=$(cd "$build" && pwd)
M="$B/mptcp-sched"
P="$M path --netns ms-cli"
PYCLIENT="python3 $TESTDIR/vm/plain_client.py"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down' EXIT
kver=$(uname -r)
echo "# kernel $kver"
# at_least X.Y: the running kernel's version is X.Y or later.
at_least() { [ "$(printf '%s\n%s\n' "$1" "${kver%%[-+]*}" | sort -V | head -n 1)" = "$1" ]; }
# pm: the client netns's path manager, as "kernel" or "userspace" (6.15+ names it in
# net.mptcp.path_manager; before, net.mptcp.pm_type 0/1).
pm() {
    local v
    if v=$(in_cli sysctl -n net.mptcp.path_manager 2>/dev/null); then echo "$v"; return; fi
    case "$(in_cli sysctl -n net.mptcp.pm_type)" in 0) echo kernel ;; 1) echo userspace ;; *) echo unknown ;; esac
}
wait_listen() { wait_until 30 listening ms-srv "$1"; }
nsub_is() { [ "$(nsubflows "$1")" = "$2" ]; }
dmesg_start=$(dmesg | wc -l)   # the check on the kernel log at the end is about this test

# ---- status ---------------------------------------------------------------------------
$M status > /tmp/m-status.txt; rc=$?
sed 's/^/#   /' /tmp/m-status.txt
$M status --json > /tmp/m-status.json
check "status names this kernel" grep -qx "kernel $kver" /tmp/m-status.txt
if json /tmp/m-status.json "j['bpf_scheduler_interface']['supported']" | grep -q True; then
    echo "# this kernel has the BPF scheduler interface (patched): status must say so"
    check "status exits 0 where the interface is supported" test $rc = 0
else
    check "status exits 3 on a kernel without the BPF scheduler interface" test $rc = 3
    check "   ... and says 'BPF scheduler interface: MISSING'" grep -qx "BPF scheduler interface: MISSING" /tmp/m-status.txt
    check "   ... naming the struct_ops type as the missing piece" \
        grep -q '^  \[--\] struct_ops bpf_struct_ops_mptcp_sched_ops' /tmp/m-status.txt
    check "   ... --json agrees: supported false, the struct_ops type among the missing" \
        test "$(json /tmp/m-status.json "j['bpf_scheduler_interface']['supported'], any('mptcp_sched_ops' in m for m in j['bpf_scheduler_interface']['missing'])")" = "False True"
fi
check "status: MPTCP enabled, the kernel's BTF read (no probe error)" \
    test "$(json /tmp/m-status.json "j['netns']['mptcp_enabled'], j['bpf_scheduler_interface']['error']")" = "True None"
$M status --btf /no/such/btf > /dev/null 2> /tmp/m-btf.err; rc=$?
check "status --btf of a file that does not exist: bad usage (2), naming the file" \
    bash -c "[ $rc = 2 ] && grep -q 'btf: File does not exist: /no/such/btf' /tmp/m-btf.err"

# ---- path: endpoints and limits against ip mptcp --------------------------------------
topo_up
ip -n ms-cli mptcp endpoint flush
# same_as_ip WHAT: `path WHAT` prints what `ip mptcp WHAT` prints (the difference goes to the log).
same_as_ip() {
    $P "$@" > /tmp/m-ours.txt 2>&1; in_cli ip mptcp "$@" > /tmp/m-ip.txt 2>&1
    [ "$*" = "limits get" ] && in_cli ip mptcp limits show > /tmp/m-ip.txt 2>&1
    [ "$*" = "endpoint list" ] && in_cli ip mptcp endpoint show > /tmp/m-ip.txt 2>&1
    diff /tmp/m-ours.txt /tmp/m-ip.txt | sed 's/^/#   diff: /'
    cmp -s /tmp/m-ours.txt /tmp/m-ip.txt
}
check "path endpoint add subflow with dev" $P endpoint add 10.0.2.1 --dev cli2 subflow
check "path endpoint add signal backup with id and port" $P endpoint add 10.0.1.1 signal backup --id 7 --port 10007
check "path endpoint list is identical to ip mptcp endpoint show" same_as_ip endpoint list
check "path endpoint flags: backup on" $P endpoint flags 10.0.2.1 backup
check "   ... ip sees the backup flag" bash -c "ip -n ms-cli mptcp endpoint show | grep '^10.0.2.1 ' | grep -q backup"
check "   ... still identical to ip" same_as_ip endpoint list
in_cli ip mptcp endpoint show | sed 's/^/#   ip: /'
check "path endpoint del by id" $P endpoint del 7
check "   ... and gone from ip" bash -c "! ip -n ms-cli mptcp endpoint show | grep -q 10.0.1.1"
check "path limits set" $P limits set --subflows 3 --add-addr-accepted 5
check "path limits get is identical to ip mptcp limits show" same_as_ip limits get
check "path limits out of range: one line" one_line_error "invalid limit subflows 9" $P limits set --subflows 9

# ---- demo over two paths and against plain TCP ----------------------------------------
topo_up
$M demo --netns ms-srv server --port 4242 > /tmp/m-demo-srv.log 2>&1 &
srv=$!
wait_listen 4242
$M demo --netns ms-cli client 10.0.1.2 --json > /tmp/m-demo.json
check "demo client over MPTCP exits 0" test $? = 0
sed 's/^/#   /' /tmp/m-demo.json | head -n 40
check "demo: client and server see MPTCP with 2 subflows" \
    test "$(json /tmp/m-demo.json "j['mptcp'], len(j['subflows']), j['server']['mptcp'], len(j['server']['subflows'])")" = "True 2 True 2"

# ---- conns on a live connection, against ss -tiM --------------------------------------
rm -f /tmp/m-hold.txt
$M demo --netns ms-cli client 10.0.1.2 --hold 120 > /tmp/m-hold.txt &
hold=$!
wait_until 30 test -s /tmp/m-hold.txt
wait_until 30 nsub_is 4242 2
$M conns --netns ms-cli --json > /tmp/m-conns.json
$M conns --netns ms-cli | sed 's/^/#   /'
in_cli ss -tniMH > /tmp/m-ss.txt
sed 's/^/#   ss: /' /tmp/m-ss.txt
check "conns: one connection with 2 subflows, from 10.0.1.1 and 10.0.2.1" \
    test "$(json /tmp/m-conns.json "len(j), sorted(s['local'].rsplit(':',1)[0] for c in j for s in c['subflows'])")" = "1 ['10.0.1.1', '10.0.2.1']"
in_cli ss -MniH > /tmp/m-ssM.txt
ss_token() { python3 -c "import re,sys; print(sorted(int(t, 16) for t in re.findall(r'(?<![-\w])token:([0-9a-f]+)', open(sys.argv[1]).read())))" /tmp/m-ssM.txt; }
check "conns: its token is the one ss -M shows (mptcp_diag loaded on demand)" \
    test "$(json /tmp/m-conns.json "sorted(int(c['token'], 16) for c in j)")" = "$(ss_token)"
check "conns: the subflow from cli2 is on dev cli2" \
    test "$(json /tmp/m-conns.json "[s['dev'] for c in j for s in c['subflows'] if s['local'].startswith('10.0.2.1')]")" = "['cli2']"
kill $hold; wait $hold 2>/dev/null
kill $srv; wait $srv 2>/dev/null

$M demo --netns ms-srv server --tcp --port 4243 > /tmp/m-demo-tcp.log 2>&1 &
srv=$!
wait_listen 4243
$M demo --netns ms-cli client 10.0.1.2 --port 4243 --json > /tmp/m-demo-tcp.json
check "demo against a plain TCP server: the client reports the fallback, the server plain TCP" \
    test "$(json /tmp/m-demo-tcp.json "j['mptcp'], j['fallback'], j['server']['mptcp']")" = "False True False"
kill $srv; wait $srv 2>/dev/null

# ---- doctor: limits 0 and a missing per-source route, then its own fixes ---------------
topo_up
ip -n ms-cli mptcp limits set subflows 0 add_addr_accepted 0
ip -n ms-cli mptcp endpoint add 10.0.1.1 dev cli1 subflow
ip -n ms-cli rule add from 10.0.1.1 table 201
ip -n ms-cli route add 10.0.1.0/24 dev cli1 table 201
$M doctor --netns ms-cli > /tmp/m-doctor1.txt; rc=$?
sed 's/^/#   /' /tmp/m-doctor1.txt
check "doctor exits 1 while something fails" test $rc = 1
check "doctor reports the limits with the fix" grep -q "fix: ip -n ms-cli mptcp limits set subflows" /tmp/m-doctor1.txt
check "doctor reports cli2's missing per-source rule with the fix" grep -q "fix: ip -n ms-cli rule add from 10.0.2.1 table" /tmp/m-doctor1.txt
$M doctor --netns ms-cli --json > /tmp/m-doctor1.json
json /tmp/m-doctor1.json "'\n'.join(f for c in j['checks'] for f in c['fixes'] if f.startswith('ip '))" > /tmp/m-fixes.sh
sed 's/^/#   fix: /' /tmp/m-fixes.sh
check "running doctor's fix commands succeeds" bash -e /tmp/m-fixes.sh
$M doctor --netns ms-cli > /tmp/m-doctor2.txt; rc=$?
sed 's/^/#   /' /tmp/m-doctor2.txt
check "doctor exits 0 after the fixes" test $rc = 0
$M demo --netns ms-srv server --port 4245 --count 1 > /dev/null 2>&1 &
wait_listen 4245
check "   ... and a connection now gets its second subflow" \
    bash -c "$M demo --netns ms-cli client 10.0.1.2 --port 4245 | grep -q 'MPTCP: 2 subflow'"

# ---- pathd: fullmesh subflows for a connection, SIGTERM restores the path manager -------
topo_up
ip -n ms-cli mptcp endpoint flush
ip -n ms-cli mptcp limits set subflows 4 add_addr_accepted 4
ip -n ms-srv mptcp limits set subflows 8 add_addr_accepted 0
ip -n ms-srv mptcp endpoint add 10.0.2.2 dev srv2 signal
$P pathd --json --policy fullmesh > /tmp/m-pathd.log 2>&1 &
pd=$!
wait_until 30 grep -qs '"started"' /tmp/m-pathd.log
check "pathd started and switched the netns to the userspace path manager" test "$(pm)" = userspace
$M demo --netns ms-srv server --port 4244 > /dev/null 2>&1 &
srv=$!
wait_listen 4244
rm -f /tmp/m-hold2.txt
$M demo --netns ms-cli client 10.0.1.2 --port 4244 --hold 120 > /tmp/m-hold2.txt &
hold=$!
check "pathd fullmesh: 2 local x 2 peer addresses give 4 subflows" wait_until 60 nsub_is 4244 4
in_cli ss -tnH state established "( dport = :4244 )" | sed 's/^/#   /'
kill $hold; wait $hold 2>/dev/null
kill $srv; wait $srv 2>/dev/null
kill -TERM $pd; wait $pd
check "SIGTERM: pathd exits 0" test $? = 0
check "SIGTERM: the path manager is back to kernel" test "$(pm)" = kernel
check "pathd logged its subflows as JSON events" test "$(grep -c '"sub_established"' /tmp/m-pathd.log)" -ge 3
grep -v '"sub_established"' /tmp/m-pathd.log | head -n 5 | sed 's/^/#   pathd: /'

# ---- run: TCP sockets become MPTCP where the kernel has the hook -----------------------
topo_up
$M demo --netns ms-srv server --port 4300 > /tmp/m-run-srv.log 2>&1 &
srv=$!
wait_listen 4300
if at_least 6.6; then
    $M -v run --netns ms-cli -- $PYCLIENT 10.0.1.2 4300 > /tmp/m-run.json 2> /tmp/m-run.err
    check "run (Linux >= 6.6): exits 0" test $? = 0
    sed 's/^/#   /' /tmp/m-run.json /tmp/m-run.err
    check "run: the plain-TCP client got IPPROTO_MPTCP (262), the server sees MPTCP with 2 subflows" \
        test "$(json /tmp/m-run.json "j['protocol'], j['server']['mptcp'], len(j['server']['subflows'])")" = "262 True 2"
    in_cli $PYCLIENT 10.0.1.2 4300 > /tmp/m-run-outside.json
    check "   ... the same client outside run stays TCP (6)" test "$(json /tmp/m-run-outside.json "j['protocol']")" = 6
    $M run -- sh -c 'exit 7' 2>/dev/null
    check "run passes the command's exit status through (7)" test $? = 7
    check "after run: no mptcpify program left" bash -c "! bpftool prog show 2>/dev/null | grep -q 'name mptcpify'"
else
    check "run (Linux < 6.6, no update_socket_protocol): one line naming the missing hook" \
        one_line_error "this kernel has no update_socket_protocol hook" $M run --netns ms-cli -- true
fi
kill $srv; wait $srv 2>/dev/null

# ---- the kernel log of this test -----------------------------------------------------
pattern='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|possible circular locking|lockdep|refcount_t:|Kernel panic|RCU stall|rcu_sched detected stalls'
dmesg | tail -n +"$((dmesg_start + 1))" > /tmp/m-dmesg.txt
grep -E "$pattern" /tmp/m-dmesg.txt | head -n 5 | sed 's/^/#   dmesg: /'
check "the kernel log has no WARN/BUG/Oops report (vmtest/run checks the whole boot too)" \
    bash -c "! grep -Eq '$pattern' /tmp/m-dmesg.txt"
finish

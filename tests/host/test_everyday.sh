#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Everyday tools on the host kernel (everyday-tools issue, acceptance 1-3 and 5) in
# throwaway network namespaces: the demo client/server over two paths and against a plain
# TCP server, `conns` against `ss -tiM`, `doctor` before and after its own fixes, and the
# one-line errors. `run` itself is proven in the VM (tests/vm/test_run.sh).
# Usage (root): tests/host/test_everyday.sh BUILD_DIR
set -u
build=${1:?usage: test_everyday.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$(cd "$build" && pwd)/mptcp-sched"
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down' EXIT
wait_listen() { wait_until 30 listening ms-srv "$1"; }

# ---- 1. demo over two paths, and against a plain TCP server --------------------------
topo_up
ip -n ms-cli mptcp endpoint change id 1 backup 2>/dev/null ||
    { ip -n ms-cli mptcp endpoint flush; ip -n ms-cli mptcp endpoint add 10.0.2.1 dev cli2 subflow backup; }
$M demo --netns ms-srv server --port 4242 > /tmp/demo-srv.log 2>&1 &
srv=$!
wait_listen 4242
$M demo --netns ms-cli client 10.0.1.2 --json > /tmp/demo.json
check "demo client over MPTCP exits 0" test $? = 0
sed 's/^/#   /' /tmp/demo.json | head -40
check "demo: the client sees MPTCP with 2 subflows" test "$(json /tmp/demo.json "j['mptcp'], len(j['subflows'])")" = "True 2"
check "demo: the server answers MPTCP with 2 subflows, one of them from 10.0.2.1" \
    test "$(json /tmp/demo.json "j['server']['mptcp'], len(j['server']['subflows']), any('10.0.2.1' in s['remote'] for s in j['server']['subflows'])")" = "True 2 True"
check "demo text output names the subflows" bash -c "$M demo --netns ms-cli client 10.0.1.2 | grep -q 'over MPTCP: 2 subflow(s)'"

# ---- 2. conns agrees with ss -tiM ----------------------------------------------------
rm -f /tmp/demo-hold.txt
$M demo --netns ms-cli client 10.0.1.2 --hold 120 > /tmp/demo-hold.txt &
hold=$!
# The client prints once its exchange is over: from then on the byte counters compared
# below stay still, and it holds the connection until it is killed.
wait_until 30 test -s /tmp/demo-hold.txt
two_subflows() { [ "$(nsubflows 4242)" = 2 ]; }
wait_until 30 two_subflows
$M conns --netns ms-cli --json > /tmp/conns.json
in_cli ss -tniMH > /tmp/conns-ss.txt
$M conns --netns ms-cli | sed 's/^/#   /'
sed 's/^/#   ss: /' /tmp/conns-ss.txt
# ss: subflow lines "tcp ESTAB ... LOCAL PEER" + detail "... token:REM(id:R)/LOC(id:L) ... flags:..";
# the MPTCP line "mptcp STATE ... LOCAL PEER" + detail "... token:TOKEN ...".
cat > /tmp/conns-cmp.py <<'PY'
import json, re, sys
conns = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
ss_conns, ss_subs = {}, set()
for head, detail in zip(lines[0::2], lines[1::2]):
    f = head.split()
    local, peer = re.sub(r"%[^:]*", "", f[4]), f[5]
    if f[0] == "mptcp":
        ss_conns[int(re.search(r"token:(\w+)", detail).group(1), 16)] = (local, peer)
    elif "tcp-ulp-mptcp" in detail:
        m = re.search(r"token:\w+\(id:(\d+)\)/(\w+)\(id:(\d+)\)", detail)
        flags = re.search(r"flags:(\w+)", detail).group(1)
        rx = re.search(r"bytes_received:(\d+)", detail)
        ss_subs.add((int(m.group(2), 16), local, peer, int(m.group(3)), int(m.group(1)), "b" in flags,
                     int(rx.group(1)) if rx else 0))
ours_conns = {int(c["token"], 16): (c["local"], c["remote"]) for c in conns}
ours_subs = {(int(c["token"], 16), s["local"], s["remote"], s["local_id"], s["remote_id"], s["backup_local"],
              s["bytes_received"]) for c in conns for s in c["subflows"]}
print("# conns:", sorted(ours_subs)); print("# ss:   ", sorted(ss_subs))
sys.exit(0 if ours_conns == ss_conns and ours_subs == ss_subs and len(ours_subs) == 2 else 1)
PY
check "conns: the same connection, subflows, address ids, backup flag and bytes as ss -tiM" \
    python3 /tmp/conns-cmp.py /tmp/conns.json /tmp/conns-ss.txt
check "conns: the subflow from cli2 is the backup one, on dev cli2" \
    test "$(json /tmp/conns.json "[(s['dev'], s['backup']) for c in j for s in c['subflows'] if s['local'].startswith('10.0.2.1')]")" = "[('cli2', True)]"
kill $hold; wait $hold 2>/dev/null
kill $srv; wait $srv 2>/dev/null

$M demo --netns ms-srv server --tcp --port 4243 > /tmp/demo-tcp.log 2>&1 &
srv=$!
wait_listen 4243
$M demo --netns ms-cli client 10.0.1.2 --port 4243 --json > /tmp/demo-tcp.json
check "demo against a plain TCP server: the client reports the fallback" \
    test "$(json /tmp/demo-tcp.json "j['mptcp'], j['fallback'], 'fell back' in j['why']")" = "False True True"
check "   ... and the server says plain TCP" test "$(json /tmp/demo-tcp.json "j['server']['mptcp']")" = False
check "   ... the text output says FALLBACK" bash -c "$M demo --netns ms-cli client 10.0.1.2 --port 4243 | grep -q FALLBACK"
check "   ... and doctor counts it in that netns, not ours" \
    bash -c "$M doctor --netns ms-cli | grep -q 'fell back to plain TCP: .*MPCapableFallbackSYNACK'"
kill $srv; wait $srv 2>/dev/null

# ---- 3. doctor: limits 0 and a missing per-source route, then its own fixes ----------
topo_up
ip -n ms-cli mptcp limits set subflows 0 add_addr_accepted 0
ip -n ms-cli mptcp endpoint add 10.0.1.1 dev cli1 subflow
ip -n ms-cli rule add from 10.0.1.1 table 201
ip -n ms-cli route add 10.0.1.0/24 dev cli1 table 201
$M doctor --netns ms-cli > /tmp/doctor1.txt; rc=$?
sed 's/^/#   /' /tmp/doctor1.txt
check "doctor exits 1 while something fails" test $rc = 1
check "doctor reports the limits with the fix" grep -q "fix: ip -n ms-cli mptcp limits set subflows 2" /tmp/doctor1.txt
check "doctor reports cli2's missing per-source rule with the fix" grep -q "fix: ip -n ms-cli rule add from 10.0.2.1 table" /tmp/doctor1.txt
check "   ... and not cli1's hand-made one" bash -c "! grep -q 'rule add from 10.0.1.1' /tmp/doctor1.txt"
$M doctor --netns ms-cli --json > /tmp/doctor1.json
json /tmp/doctor1.json "'\n'.join(f for c in j['checks'] for f in c['fixes'] if f.startswith('ip '))" > /tmp/doctor-fixes.sh
sed 's/^/#   fix: /' /tmp/doctor-fixes.sh
check "running doctor's fix commands succeeds" bash -e /tmp/doctor-fixes.sh
$M doctor --netns ms-cli > /tmp/doctor2.txt; rc=$?
sed 's/^/#   /' /tmp/doctor2.txt
check "doctor exits 0 after the fixes" test $rc = 0
check "   ... and a connection now gets its second subflow" \
    bash -c ". '$TESTDIR/lib.sh'; $M demo --netns ms-srv server --port 4244 --count 1 >/dev/null & wait_until 30 listening ms-srv 4244; $M demo --netns ms-cli client 10.0.1.2 --port 4244 | grep -q 'MPTCP: 2 subflow'"
in_cli sysctl -qw net.mptcp.enabled=0
$M doctor --netns ms-cli > /tmp/doctor3.txt; rc=$?
check "doctor: MPTCP disabled fails with the sysctl fix" \
    bash -c "[ $rc = 1 ] && grep -q 'fix: ip netns exec ms-cli sysctl -w net.mptcp.enabled=1' /tmp/doctor3.txt"
check "demo client where MPTCP is disabled: one line naming the cause" \
    one_line_error "net.mptcp.enabled = 0" $M demo --netns ms-cli client 10.0.1.2
in_cli sysctl -qw net.mptcp.enabled=1

# ---- 5. bad input: one clear line each -----------------------------------------------
check "unknown netns: conns" one_line_error "no such network namespace" $M conns --netns no-such-ns
check "unknown netns: doctor" one_line_error "no such network namespace" $M doctor --netns no-such-ns
check "unknown netns: demo" one_line_error "no such network namespace" $M demo --netns no-such-ns client 10.0.1.2
check "unknown netns: run" one_line_error "no such network namespace" $M run --netns no-such-ns -- true
check "non-root: run" one_line_error "permission denied: \`run\` attaches a BPF program" \
    setpriv --reuid=65534 --regid=65534 --clear-groups $M run -- true
check "unknown cgroup: run" one_line_error "invalid cgroup '/no/such/cgroup'" $M run --cgroup /no/such/cgroup -- true
before=$(find "$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)" -maxdepth 1 -name 'mptcp-sched-run-*' | wc -l)
if $M run -- true 2>/dev/null; then
    echo "# this kernel accepts the update_socket_protocol hook: run ran the command"
else
    check "run where the kernel or sandbox refuses the hook: one clear line" \
        one_line_error "refuses BPF tracing programs (fmod_ret)" $M run -- true
fi
check "run leaves no cgroup behind" test "$(find "$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)" -maxdepth 1 -name 'mptcp-sched-run-*' | wc -l)" = "$before"
check "demo client to a port nobody listens on: one line" one_line_error "Connection refused" $M demo --netns ms-cli client 10.0.1.2 --port 4999
finish

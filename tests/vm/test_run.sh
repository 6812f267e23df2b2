#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `mptcp-sched run` (everyday-tools issue, acceptance 4) on the vmtest kernel, which allows
# the fmod_ret hook this host's sandbox refuses: a Python client and a statically linked C
# client, both written for plain TCP, become MPTCP inside `run`; the same client outside the
# cgroup stays TCP; once the command ends no BPF program or cgroup is left.
# Runs inside the VM: vmtest/run -- tests/vm/test_run.sh BUILD_DIR
set -u
build=${1:?usage: test_run.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
B=$(cd "$build" && pwd)
M="$B/mptcp-sched"
STATIC="$B/tests/static_client"
PYCLIENT="python3 $TESTDIR/vm/plain_client.py"
CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down; rmdir "$CG/ms-run" 2>/dev/null' EXIT

leftover_progs() { bpftool prog show 2>/dev/null | grep -c 'name mptcpify'; }
leftover_links() { bpftool link show 2>/dev/null | grep -c 'mptcpify'; }
leftover_cgroups() { find "$CG" -maxdepth 1 -name 'mptcp-sched-run-*' | wc -l; }
wait_file() { wait_until 60 test -s "$1"; }
# The clients inside `run` hold their connection until this file exists: the checks made
# while the command runs cannot race with its end.
RELEASE=/tmp/run-release
rm -f "$RELEASE"
# in_ss_M PORT: the client netns lists an MPTCP socket (ss -M) with local port PORT.
in_ss_M() { in_cli ss -MnH | awk '{print $4}' | grep -q ":$1\$"; }

check "the static client really is statically linked" bash -c "! ldd '$STATIC' >/dev/null 2>&1"
topo_up
$M demo --netns ms-srv server --port 4300 > /tmp/run-srv.log 2>&1 &
wait_until 30 listening ms-srv 4300

# ---- Python, plain socket code, inside `run`; meanwhile the same client outside -------
$M -v run --netns ms-cli -- $PYCLIENT 10.0.1.2 4300 "$RELEASE" > /tmp/run-py.json 2> /tmp/run-py.err &
runpid=$!
wait_file /tmp/run-py.json
sed 's/^/#   /' /tmp/run-py.json
port=$(json /tmp/run-py.json "j['local_port']")
check "python inside run: socket() gave IPPROTO_MPTCP (262)" test "$(json /tmp/run-py.json "j['protocol']")" = 262
check "python inside run: the server sees MPTCP" test "$(json /tmp/run-py.json "j['server']['mptcp']")" = True
# The server's answer is a snapshot taken when the hello arrives, which a busy machine can
# bring before the second subflow has joined: the join is checked on the open connection.
check "python inside run: the connection has 2 subflows" wait_until 60 has_subflows 4300 2
check "python inside run: ss -M lists the connection" in_ss_M "$port"
in_cli $PYCLIENT 10.0.1.2 4300 > /tmp/run-outside.json
check "the same client outside the cgroup, while the hook is attached: plain TCP (6)" \
    test "$(json /tmp/run-outside.json "j['protocol'], j['server']['mptcp']")" = "6 False"
check "   ... and ss -M does not list it" bash -c "! ip netns exec ms-cli ss -MnH | awk '{print \$4}' | grep -q ':$(json /tmp/run-outside.json "j['local_port']")\$'"
check "the hook is attached while the command runs" test "$(leftover_progs)" = 1
touch "$RELEASE"
wait $runpid
check "run exits with the command's status (0)" test $? = 0
grep "mptcp-sched:" /tmp/run-py.err | sed "s/^/#   /"
check "run -v reports one socket made MPTCP" grep -q "run: 1 socket(s) made MPTCP" /tmp/run-py.err
check "after the command: no mptcpify program" test "$(leftover_progs)" = 0
check "after the command: no BPF link" test "$(leftover_links)" = 0
check "after the command: the temporary cgroup is gone" test "$(leftover_cgroups)" = 0

# ---- a statically linked client, in a cgroup the user names --------------------------
mkdir -p "$CG/ms-run"
rm -f "$RELEASE"
$M run --cgroup /ms-run --netns ms-cli -- "$STATIC" 10.0.1.2 4300 "$RELEASE" > /tmp/run-static.json 2>/tmp/run-static.err &
runpid=$!
wait_file /tmp/run-static.json
sed 's/^/#   /' /tmp/run-static.json
port=$(json /tmp/run-static.json "j['local_port']")
check "static client inside run: socket() gave IPPROTO_MPTCP (262)" test "$(json /tmp/run-static.json "j['protocol']")" = 262
check "static client inside run: the server sees MPTCP" test "$(json /tmp/run-static.json "j['server']['mptcp']")" = True
check "static client inside run: ss -M lists the connection" in_ss_M "$port"
in_cli "$STATIC" 10.0.1.2 4300 > /tmp/run-static-outside.json
check "the static client outside the cgroup: plain TCP" test "$(json /tmp/run-static-outside.json "j['protocol']")" = 6
touch "$RELEASE"
wait $runpid
check "run --cgroup exits 0" test $? = 0
check "a cgroup the user named is left in place" test -d "$CG/ms-run"
check "after the command: no mptcpify program or link" test "$(leftover_progs) $(leftover_links)" = "0 0"

# ---- exit status, signals, bad input ---------------------------------------------------
$M run -- sh -c 'exit 7' 2>/dev/null
check "run passes the command's exit status through (7)" test $? = 7
$M run -- sleep 60 2>/dev/null &
runpid=$!
one_prog() { [ "$(leftover_progs)" = 1 ]; }
wait_until 60 one_prog
kill -TERM $runpid; wait $runpid
check "SIGTERM is forwarded: run exits 143 (the command's SIGTERM)" test $? = 143
check "   ... and detaches the hook and removes its cgroup" test "$(leftover_progs) $(leftover_links) $(leftover_cgroups)" = "0 0 0"
# Ctrl-C on a terminal reaches the whole foreground group: run must not pass it on again.
python3 "$TESTDIR/vm/ctrl_c.py" "$M" > /tmp/run-ctrlc.json
sed 's/^/#   /' /tmp/run-ctrlc.json
check "Ctrl-C on the terminal: the command gets one SIGINT, not two" \
    test "$(json /tmp/run-ctrlc.json "j['sent'], j['sigints']")" = "True 1"
check "   ... and run exits with the command's status (0: it handled the SIGINT)" \
    test "$(json /tmp/run-ctrlc.json "j['status']")" = 0
check "   ... nothing left behind" test "$(leftover_progs) $(leftover_links) $(leftover_cgroups)" = "0 0 0"

# A command that leaves a process running in the cgroup: run says it could not remove it.
rm -f /tmp/run-daemon.pid
$M run -- sh -c 'sleep 300 > /dev/null 2>&1 & echo $! > /tmp/run-daemon.pid' 2> /tmp/run-left.err
rc=$?
sed 's/^/#   /' /tmp/run-left.err
check "a process left in the cgroup: run still exits with the command's status (0)" test $rc = 0
check "   ... and says which cgroup it could not remove, and why" \
    grep -q "failed to remove the cgroup .*mptcp-sched-run-.*processes the command started still run in it" /tmp/run-left.err
check "   ... the hook is detached all the same" test "$(leftover_progs) $(leftover_links)" = "0 0"
kill "$(cat /tmp/run-daemon.pid)" 2>/dev/null
left_cg=$(find "$CG" -maxdepth 1 -name 'mptcp-sched-run-*')
cg_empty() { [ -z "$(cat "$left_cg/cgroup.procs" 2>/dev/null)" ]; }
[ -n "$left_cg" ] && wait_until 30 cg_empty && rmdir "$left_cg"

# A stop that comes while run is still loading its hook or forking: handlers are in place
# before anything is loaded, so every stop ends in the clean-up, whenever it comes.
stopped_clean=0
for delay in 0 0.05 0.1 0.2 0.3 0.5 0.8 1.2; do
    $M run -- sleep 30 2>/dev/null &
    runpid=$!
    sleep "$delay"
    kill -TERM $runpid 2>/dev/null
    wait $runpid
    [ "$(leftover_progs) $(leftover_links) $(leftover_cgroups)" = "0 0 0" ] && stopped_clean=$((stopped_clean + 1))
done
check "SIGTERM at any moment of the start (8 moments from 0 to 1.2 s): nothing left behind each time" \
    test "$stopped_clean" = 8
check "   ... and no stray sleep of ours survives" bash -c "! pgrep -x -f 'sleep 30' > /dev/null"

err=$($M run -- /no/such/program 2>&1); rc=$?
echo "#   $err"
check "a command that does not exist: 127 and a clear line" bash -c "[ $rc = 127 ] && grep -q 'cannot run /no/such/program' <<< '$err'"
check "   ... and nothing left behind" test "$(leftover_progs) $(leftover_links) $(leftover_cgroups)" = "0 0 0"
finish

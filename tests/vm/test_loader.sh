#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mptcp-sched load / unload / set / list / stats on the vmtest kernel (schedulers issue,
# acceptance 5 and 6, plus stats while traffic flows). Runs inside the VM.
set -u
build=${1:?usage: test_loader.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$build/mptcp-sched"
root=/sys/fs/bpf/mptcp-sched
trap 'topo_down; for s in ms_rr ms_minrtt ms_red ms_bkup; do $M unload $s >/dev/null 2>&1; done' EXIT

avail() { cat /proc/sys/net/mptcp/available_schedulers; }
has_sched() { avail | tr ' ' '\n' | grep -qx "$1"; }
# fails CMD...: exit 1 with exactly one "mptcp-sched: failed to ..." line (or more lines
# only when they explain a verifier rejection); output kept in $err.
fails() {
    err=$("$@" 2>&1 >/dev/null); local rc=$?
    [ "$rc" = 1 ] && [[ "$err" == "mptcp-sched: failed to "* ]]
}

check "status reports the interface supported (exit 0)" "$M" status
bpf_baseline; base_sysctl=$(sysctl -n net.mptcp.scheduler)
echo "# baseline: $base_progs programs, $base_maps maps, scheduler $base_sysctl"

# Every built-in scheduler loads, registers, lists, and unloads without leftovers.
for s in minrtt roundrobin redundant backup blest interactive; do
    out=$($M load $s) ; rc=$?
    name=$(sed -n 's/^loaded \([^ ]*\).*/\1/p' <<<"$out")
    check "load $s (exit 0) -> $name" test "$rc" = 0 -a -n "$name"
    check "  $name is registered" has_sched "$name"
    check "  its link and stats maps are pinned" test -e "$root/$name/link" -a -e "$root/$name/ms_conn_state"
    check "  list shows it loaded" sh -c "$M list --json | python3 -c \"import json,sys; j=json.load(sys.stdin); sys.exit(0 if any(r['registered_name']=='$name' and r['loaded_by_us'] and r['registered'] for r in j) else 1)\""
    check "  unload $s" $M unload $s
    check "  $name is gone" sh -c "! grep -qw $name /proc/sys/net/mptcp/available_schedulers && test ! -e $root/$name"
done

# A user's own object goes through the same path.
check "load a user object file" $M load "$build/tests/bpf/allowed_writes.bpf.o"
check "  ... registered under its own name" has_sched ms_test_okwr
check "  ... and unloads by that name" $M unload ms_test_okwr

# Bad input: one clear line, exit 1, nothing left pinned, sysctl untouched.
check "unknown name lists the valid ones" fails $M load nosuch
echo "# $err"
check "  ... naming them" grep -q 'roundrobin (ms_rr)' <<<"$err"
check "unload of something not loaded" fails $M unload rr
echo "# $err"
$M load rr >/dev/null
check "loading twice" fails $M load rr --set
echo "# $err"
check "  ... says it is already loaded" grep -q 'already loaded' <<<"$err"
check "  ... and did not select it" test "$(sysctl -n net.mptcp.scheduler)" = "$base_sysctl"
$M unload rr >/dev/null
head -c 4096 /dev/urandom > /tmp/garbage.bpf.o
check "a malformed object file" fails $M load /tmp/garbage.bpf.o
echo "# $err"
check "an unknown tunable" fails $M load rr --no_such_knob=1
echo "# $err"
check "  ... lists the real ones" grep -q 'rr_quantum' <<<"$err"
check "a tunable out of range" fails $M load rr --rr_quantum=99999999999
echo "# $err"
check "a verifier rejection" fails $M load "$build/tests/bpf/bad_write.bpf.o" --set
echo "$err" | sed 's/^/# /'
check "  ... shows the verifier's reason" grep -q 'no write support to mptcp_sock at off' <<<"$err"
check "a scheduler without get_send" fails $M load "$build/tests/bpf/no_get_send.bpf.o"
echo "# $err"
check "not root" fails setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all $M load rr
echo "# $err"
check "after all failures: no pins" sh -c "test -z \"\$(ls -A $root 2>/dev/null)\""
check "  ... sysctl unchanged" test "$(sysctl -n net.mptcp.scheduler)" = "$base_sysctl"
# the kernel frees a struct_ops map and its programs after a grace period: wait for it
at_counts() { test "$(nprogs)/$(nmaps)" = "$base_progs/$base_maps"; }
check "  ... program and map counts at baseline" wait_until 30 at_counts

# Statistics while traffic flows, and their removal when the connection closes.
topo_up
check "load rr and select it in both netns" sh -c "$M load rr >/dev/null && $M set rr --netns ms-cli >/dev/null && $M set rr --netns ms-srv >/dev/null"
rm -f /tmp/stats.stop
xfer /tmp/stats.json 5001 $((1 << 40)) --rate 40 --until /tmp/stats.stop &
xpid=$!
# live_ok: stats show the connection with both subflows, each already chosen by get_send.
live_ok() {
    $M stats --json > /tmp/live.json 2>/dev/null &&
        test "$(json /tmp/live.json "sum(len(c['subflows']) for s in j for c in s['connections'] if s['scheduler']=='ms_rr')")" = 2 &&
        test "$(json /tmp/live.json "sum(1 for s in j for c in s['connections'] for f in c['subflows'] if f['chosen_send'] > 0)")" = 2
}
wait_until 60 live_ok
$M stats | sed 's/^/# /'
check "stats, read during the transfer, show the connection with 2 subflows" \
    test "$(json /tmp/live.json "sum(len(c['subflows']) for s in j for c in s['connections'] if s['scheduler']=='ms_rr')")" = 2
check "  ... both chosen by get_send" \
    test "$(json /tmp/live.json "sum(1 for s in j for c in s['connections'] for f in c['subflows'] if f['chosen_send'] > 0)")" = 2
watch_docs=$(timeout 60 $M stats --watch 1 --json | grep -m 2 -c '^\[')
check "stats --watch 1 --json refreshes (2 documents within 60 s: $watch_docs)" test "$watch_docs" -ge 2
touch /tmp/stats.stop
wait $xpid
check "the transfer is byte-exact" test $? = 0
rows_gone() {
    $M stats --json > /tmp/after.json 2>/dev/null &&
        test "$(json /tmp/after.json "sum(len(s['connections']) for s in j)")" = 0
}
wait_until 30 rows_gone
check "release removed the connection's rows" \
    test "$(json /tmp/after.json "sum(len(s['connections']) for s in j)")" = 0
check "  ... and counted the release" \
    test "$(json /tmp/after.json "[s['counters']['conn_released'] for s in j if s['scheduler']=='ms_rr'][0] >= 1")" = True

# 100 load/unload cycles while a transfer runs on the scheduler being cycled. The paced
# transfer goes on until the cycles are over, however long they take on a busy machine.
rm -f /tmp/cycles.stop
xfer /tmp/cycles.json 5002 $((1 << 40)) --rate 16 --until /tmp/cycles.stop &
xpid=$!
wait_until 60 has_subflows 5002 1
start=$(date +%s.%N)
ok=0
for i in $(seq 100); do
    $M unload rr >/dev/null && $M load rr >/dev/null && ok=$((ok + 1))
done
end=$(date +%s.%N)
running=$(kill -0 $xpid 2>/dev/null && echo yes || echo no)
echo "# 100 unload+load cycles in $(python3 -c "print(round($end - $start, 1))") s; transfer still running after them: $running"
check "100 unload+load cycles all succeeded" test "$ok" = 100
check "the transfer was still running at the end of the cycles" test "$running" = yes
touch /tmp/cycles.stop
wait $xpid
check "the transfer completes byte-exact" test $? = 0
$M unload rr >/dev/null
topo_down
# Programs and maps are freed once the last reference (a closing connection) goes.
check_bpf_baseline "$root"
finish

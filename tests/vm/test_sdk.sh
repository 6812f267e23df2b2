#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The BPF SDK end to end, inside the VM: `cmake --install` into a temporary prefix, the
# installed `mptcp-sched new` writes a starter, `make` builds it against the prefix, and
# `mptcp-sched load ./NAME.bpf.o` runs it: registered, its tunable set, traffic scheduled,
# and `mptcp-sched stats` shows its per-connection and per-subflow statistics like a
# built-in's. Usage: test_sdk.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: test_sdk.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d /tmp/ms-vm-sdk.XXXXXX)
prefix=$tmp/prefix
M=$prefix/bin/mptcp-sched
root=/sys/fs/bpf/mptcp-sched
trap 'topo_down; $M unload ms_sdk_vm >/dev/null 2>&1; rm -rf "$tmp"' EXIT

check "status reports the interface supported" "$build/mptcp-sched" status
bpf_baseline
check "cmake --install into $prefix" sh -c "cmake --install '$build' --prefix '$prefix' >/dev/null"
check "the installed mptcp-sched new writes a starter" sh -c "cd '$tmp' && '$M' new ms_sdk_vm >/dev/null"
make -C "$tmp/ms_sdk_vm" > "$tmp/make.log" 2>&1
rc=$?; sed 's/^/# /' "$tmp/make.log"
check "make builds it against the prefix" test "$rc" = 0 -a -s "$tmp/ms_sdk_vm/ms_sdk_vm.bpf.o"
obj=$tmp/ms_sdk_vm/ms_sdk_vm.bpf.o

out=$($M load "$obj" --ms_sdk_vm_burst=16384 2>&1); rc=$?
echo "# $out"
check "load ./ms_sdk_vm.bpf.o --ms_sdk_vm_burst=16384" test "$rc" = 0
check "  registered under its own name" grep -qw ms_sdk_vm /proc/sys/net/mptcp/available_schedulers
check "  its link, statistics maps and read-only data are pinned" \
    test -e "$root/ms_sdk_vm/link" -a -e "$root/ms_sdk_vm/ms_conn_state" -a -e "$root/ms_sdk_vm/ms_counters" -a -e "$root/ms_sdk_vm/rodata"
check "  the tunable is in effect (rodata pin)" \
    test "$(rodata_value $root/ms_sdk_vm/rodata ms_sdk_vm_burst)" = 16384

# The starter sends on the lowest-srtt subflow with send-buffer room: a bulk transfer over
# 20 Mbit/s paths fills the first subflow's buffer, so the second one carries data too
# (paced below one path's rate, the second subflow's stale srtt can keep it idle for good).
topo_up 20 5 20 5
check "select it in both namespaces" sh -c "$M set ms_sdk_vm --netns ms-cli >/dev/null && $M set ms_sdk_vm --netns ms-srv >/dev/null"
rm -f "$tmp/stop"
xfer "$tmp/xfer.json" 5101 $((1 << 40)) --until "$tmp/stop" &
xpid=$!
# sdk_subflows EXPR: EXPR over the starter's subflows in the last `stats --json` (s: scheduler,
# c: connection, f: subflow chosen by get_send at least once).
sdk_subflows() { json "$tmp/stats.json" "[$1 for s in j if s['scheduler']=='ms_sdk_vm' for c in s['connections'] for f in c['subflows'] if f['chosen_send'] > 0]"; }
# Stats are read map by map while the connection runs: wait until one reading shows what
# is checked below (two chosen subflows that sent bytes and have an RTT, decisions counted).
live_ok() {
    nsenter -t 1 -m $M stats --json > "$tmp/stats.json" 2>/dev/null &&
        test "$(sdk_subflows "f['bytes_sent'] > 0 and f['srtt_us'] > 0")" = "[True, True]" &&
        test "$(json "$tmp/stats.json" "[s['counters']['get_send'] > 0 for s in j if s['scheduler']=='ms_sdk_vm']")" = "[True]"
}
wait_until 120 live_ok
$M stats | sed 's/^/# /'
check "stats show its connections, with 2 subflows chosen by get_send" \
    test "$(sdk_subflows 1)" = "[1, 1]"
check "  ... their bytes sent and srtt" \
    test "$(sdk_subflows "f['bytes_sent'] > 0 and f['srtt_us'] > 0")" = "[True, True]"
check "  ... and its own policy (custom)" \
    test "$(json "$tmp/stats.json" "sorted(set(c['policy'] for s in j if s['scheduler']=='ms_sdk_vm' for c in s['connections']))")" = "['custom']"
check "  ... with the decisions counted" \
    test "$(json "$tmp/stats.json" "[s['counters']['get_send'] > 0 for s in j if s['scheduler']=='ms_sdk_vm']")" = "[True]"
check "list counts its connections" \
    sh -c "$M list --json | python3 -c \"import json,sys; j=json.load(sys.stdin); sys.exit(0 if any(r['registered_name']=='ms_sdk_vm' and (r.get('connections') or 0) >= 1 for r in j) else 1)\""
touch "$tmp/stop"
wait $xpid
check "the transfer is byte-exact" test $? = 0
check "both paths carried data (share on path 2: $(share "$tmp/xfer.json" 10.0.2.) %)" \
    python3 -c "import sys; s=float(sys.argv[1]); sys.exit(0 if 5 < s < 95 else 1)" "$(share "$tmp/xfer.json" 10.0.2.)"
topo_down
check "unload ms_sdk_vm" sh -c "$M unload ms_sdk_vm >/dev/null"
check_bpf_baseline "$root"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tools/prof: bpf_lines.py attributes perf samples to the JITed program's functions and
# source lines (a hand-made perf script and line table), and bpf_jit_lines refuses what it
# cannot read with a one-line error.
# usage: test_prof_tools.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1 build=$2
lines=$src/tools/prof/bpf_lines.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# a program at 0x1000 (x_get_send, 0x40 bytes) with a subprogram at 0x1040 (0x40 bytes)
cat > "$tmp/table" <<'T'
FUNC 1000 64 x_get_send
FUNC 1040 64 x_pick
LINE 1000 x.bpf.c:10 int BPF_PROG(x_get_send, struct mptcp_sock *msk)
LINE 1010 x.bpf.c:12 st = ms_begin(msk);
LINE 1040 policies.bpf.h:80 bpf_for_each(mptcp_subflow, sf, msk) {
LINE 1058 policies.bpf.h:90 ms_scan_add(&sc, &p);
T
# perf script -F ip,sym: leaf first; the entry is found by its kallsyms name
cat > "$tmp/script" <<'S'
	    1060 bpf_prog_aa_x_pick+0x20
	    1004 bpf_prog_bb_x_get_send+0x4
	    ffff mptcp_sched_get_send+0x10

	    1059 bpf_prog_aa_x_pick+0x19
	    1004 bpf_prog_bb_x_get_send+0x4

	    1012 bpf_prog_bb_x_get_send+0x12
	    ffff mptcp_sched_get_send+0x10

	    9000 bpf_sk_storage_get+0x30
	    1014 bpf_prog_bb_x_get_send+0x14

	    9000 tcp_ack+0x30
	    8000 tcp_rcv_established+0x10
S
out=$("$lines" "$tmp/script" x_get_send "$tmp/table")
echo "$out"
echo "$out" | grep -q '^4 samples pass through x_get_send (of 5)' || fail "sample count"
echo "$out" | grep -Eq '^ +2 +50\.0%  x_pick \(BPF\)$' || fail "subprogram leaf"
echo "$out" | grep -Eq '^ +1 +25\.0%  bpf_sk_storage_get$' || fail "kfunc leaf"
echo "$out" | grep -Eq '^ +2 +50\.0%  policies\.bpf\.h:90 +ms_scan_add' || fail "line of 0x1059/0x1060"
echo "$out" | grep -Eq '^ +1 +25\.0%  x\.bpf\.c:12 ' || fail "line of 0x1012"
echo "$out" | grep -q '3 of them (75.0%) in the BPF code itself' || fail "BPF share"
if "$lines" "$tmp/script" nothing_get_send "$tmp/table" 2> "$tmp/err"; then
    fail "an entry that no sample passes through was accepted"
fi
grep -q 'no sample of 5 passes through nothing_get_send' "$tmp/err" || fail "error: $(cat "$tmp/err")"

# bpf_jit_lines: usage, and a program id that does not exist (one line, exit 1)
jl() { st=0; "$build/bpf_jit_lines" "$@" 2> "$tmp/err" || st=$?; }
jl
[ "$st" = 2 ] && grep -q '^usage: bpf_jit_lines PROG_ID' "$tmp/err" || fail "usage ($st)"
jl 4294967295x
[ "$st" = 2 ] || fail "a non-number id was accepted ($st)"
jl 4294967296
[ "$st" = 2 ] || fail "an id past 32 bits was accepted ($st)"
jl 2147483647
[ "$st" = 1 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q '^bpf_jit_lines: program: ' "$tmp/err" ||
    fail "missing program: $st $(cat "$tmp/err")"
echo "ok"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Per-connection rules (rules issue, acceptance 1-4) on two emulated paths: the policy each
# connection gets is checked from the kernel's per-subflow byte counters (ss bytes_sent)
# and from `mptcp-sched stats`, sampled while the connection is open. Runs inside the VM:
# vmtest/run -- tests/vm/test_rules.sh BUILD_DIR
set -u
build=${1:?usage: test_rules.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$(cd "$build" && pwd)/mptcp-sched"
trap 'topo_down; $M unload rules >/dev/null 2>&1; rmdir /sys/fs/cgroup/ms-rules 2>/dev/null' EXIT

# conn_field STATS_JSON PORT FIELD: FIELD of the connection whose subflows go to PORT.
conn_field() {
    json "$1" "[c['$3'] for s in j for c in s['connections'] if any(f['remote'].endswith(':$2') for f in c['subflows'])]"
}
# dup OUT: the payload went out twice: both subflows together carried >= 180% of it and each
# >= 50%. Not each >= 95%: redundant leaves a subflow whose queue falls far behind out of
# the set until it catches up (policies.bpf.h). The transfers checked with it are paced
# (--rate) well below what each path carries, so no queue builds up on a path, busy host or
# not (bulk beside the round-robin transfer, one subflow fell behind a busy host's path:
# 101.2% / 84.9%, then 100.0% / 78.4%).
dup() { test "$(json "$1" "len(j['subflows']) == 2 and sum(s.get('bytes_sent', 0) for s in j['subflows']) >= 1.8 * j['sent'] and all(s.get('bytes_sent', 0) >= 0.5 * j['sent'] for s in j['subflows'])")" = True; }
# total OUT: bytes sent over all subflows, in percent of the payload.
total() { json "$1" "round(100.0 * sum(s.get('bytes_sent', 0) for s in j['subflows']) / j['sent'], 1)"; }

topo_up 50 5 50 5
check "load rules and select it in the client netns" $M load rules --set --netns ms-cli
check "no rules yet: the list shows only the default" \
    test "$($M rule list --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(len(j["rules"]), j["default_policy"])')" = "0 minrtt"

# ---- 1. two concurrent transfers: 5001 -> redundant, 5002 -> round-robin ---------------
check "rule add redundant --dport 5001" $M rule add redundant --dport 5001
check "rule add rr --dport 5002" $M rule add rr --dport 5002
# --wait-subflows 2: the payload starts once the second subflow has joined, so the split
# measured is the policy's, not how long the join took on a busy machine. Paced at 16 Mbit/s
# each: a path carries 16 (the copy) + ~8 (round-robin's half) of its 50 Mbit/s.
xfer /tmp/p1.json 5001 $((8 << 20)) --rate 16 --wait-subflows 2 --sample-cmd "$(stats_cmd /tmp/p1-stats.json)" & a=$!
xfer /tmp/p2.json 5002 $((8 << 20)) --rate 16 --wait-subflows 2 --sample-cmd "$(stats_cmd /tmp/p2-stats.json)" & b=$!
wait $a; ra=$?; wait $b; rb=$?
check "5001: 8 MiB byte-exact" test $ra = 0
check "5002: 8 MiB byte-exact (concurrently)" test $rb = 0
echo "# 5001 (redundant): each subflow carried $(json /tmp/p1.json "' / '.join('%.1f%%' % (100.0 * s.get('bytes_sent', 0) / j['sent']) for s in j['subflows'])") of the payload"
s1=$(share /tmp/p2.json 10.0.1.1); s2=$(share /tmp/p2.json 10.0.2.1)
echo "# 5002 (round-robin): split ${s1}% / ${s2}%, $(total /tmp/p2.json)% of the payload sent in all"
check "5001: duplication, >= 180% of the payload on the wire, each subflow >= 50%" dup /tmp/p1.json
# What this checks is that the rule chose round-robin's spreading: both paths carry a real
# share. The even split itself is checked by vm_schedulers (50% +- 10% bulk, +- 15% paced).
check "5002: path 1 carries a real share (25-75%)" within "$s1" 25 75
check "5002: path 2 carries a real share (25-75%)" within "$s2" 25 75
echo "# stats: 5001 $(conn_field /tmp/p1-stats.json 5001 policy) rule $(conn_field /tmp/p1-stats.json 5001 rule_id); 5002 $(conn_field /tmp/p2-stats.json 5002 policy) rule $(conn_field /tmp/p2-stats.json 5002 rule_id)"
check "stats: 5001 used redundant, chosen by rule 1" \
    test "$(conn_field /tmp/p1-stats.json 5001 policy) $(conn_field /tmp/p1-stats.json 5001 rule_id)" = "['redundant'] [1]"
check "stats: 5002 used roundrobin, chosen by rule 2" \
    test "$(conn_field /tmp/p2-stats.json 5002 policy) $(conn_field /tmp/p2-stats.json 5002 rule_id)" = "['roundrobin'] [2]"
$M stats | grep -q "policy" && echo "# stats table shows the policy column"

# ---- 2. a rule added mid-transfer leaves the running connection alone ----------------
check "rule default rr" $M rule default rr
rm -f /tmp/mid.stop
xfer /tmp/mid.json 5003 $((1 << 40)) --rate 8 --until /tmp/mid.stop --sample-cmd "$(stats_cmd /tmp/mid-stats.json)" & x=$!
# The policy is chosen at the connection's first scheduling decision: the rule is added
# only once stats show that choice made (roundrobin, by no rule).
mid_chosen() {
    $M stats --json > /tmp/mid-now.json 2>/dev/null &&
        test "$(conn_field /tmp/mid-now.json 5003 policy) $(conn_field /tmp/mid-now.json 5003 rule_id)" = "['roundrobin'] [0]"
}
check "the running connection has made its choice before the rule is added" wait_until 60 mid_chosen
check "rule add redundant --dport 5003 while a connection to 5003 runs" $M rule add redundant --dport 5003
# The running connection goes on for a moment under the new rule table, then ends.
sleep 1
touch /tmp/mid.stop
wait $x
check "running connection: byte-exact" test $? = 0
echo "# running connection: $(total /tmp/mid.json)% of the payload sent over both subflows, stats say $(conn_field /tmp/mid-stats.json 5003 policy) rule $(conn_field /tmp/mid-stats.json 5003 rule_id)"
check "running connection kept the default (roundrobin, no rule) after the rule was added" \
    test "$(conn_field /tmp/mid-stats.json 5003 policy) $(conn_field /tmp/mid-stats.json 5003 rule_id)" = "['roundrobin'] [0]"
check "running connection was not duplicated (95-110% of the payload on the wire)" within "$(total /tmp/mid.json)" 95 110
check "a new connection to 5003 picks up the rule" xfer /tmp/mid2.json 5003 $((4 << 20)) --rate 16 --wait-subflows 2 --sample-cmd "$(stats_cmd /tmp/mid2-stats.json)"
check "new connection: duplicated on both subflows" dup /tmp/mid2.json
check "new connection: stats say redundant by rule 3" \
    test "$(conn_field /tmp/mid2-stats.json 5003 policy) $(conn_field /tmp/mid2-stats.json 5003 rule_id)" = "['redundant'] [3]"
$M rule default minrtt >/dev/null

# ---- the other matchers: prefix (IPv4, IPv6, IPv4-mapped), cgroup, mark ----------------
ip -n ms-cli addr add fd00:1::1/64 dev cli1 nodad
ip -n ms-srv addr add fd00:1::2/64 dev srv1 nodad
check "rule add backup --dst fd00:1::/64" $M rule add backup --dst fd00:1::/64
# Ephemeral ports stay below the sport rule's range; the client binds into it on purpose.
in_cli sysctl -qw net.ipv4.ip_local_port_range="50000 60000"
check "rule add rr --dst 10.0.1.0/24 --sport 40000-40999" $M rule add rr --dst 10.0.1.0/24 --sport 40000-40999
check "rule add redundant --src 10.0.1.1/32 --dport 5010-5019" $M rule add redundant --src 10.0.1.1/32 --dport 5010-5019
mkdir -p /sys/fs/cgroup/ms-rules
check "rule add rr --cgroup /ms-rules --dport 5020" $M rule add rr --cgroup /ms-rules --dport 5020
check "rule add redundant --mark 0x10/0xf0" $M rule add redundant --mark 0x10/0xf0
$M rule list

# matched PORT EXPECTED_POLICY EXPECTED_RULE [client args]: a short transfer to PORT gets
# that policy and rule, according to stats sampled while it is open.
matched() {
    local port=$1 pol=$2 rule=$3; shift 3
    xfer /tmp/m.json "$port" $((256 << 10)) --sample-cmd "$(stats_cmd /tmp/m-stats.json)" "$@" || return 1
    local got; got="$(conn_field /tmp/m-stats.json "$port" policy) $(conn_field /tmp/m-stats.json "$port" rule_id)"
    echo "#   port $port $*: $got"
    test "$got" = "['$pol'] [$rule]"
}
XFER_SERVER_ADDR=:: check "IPv6 destination prefix: fd00:1::2 -> backup (rule 4)" matched 5030 backup 4 --addr fd00:1::2
check "IPv4 destination prefix + source port range: 5033 from :40050 -> rr (rule 5)" matched 5033 roundrobin 5 --bind-port 40050
check "the same from an ephemeral port: default" matched 5034 minrtt 0
check "IPv4 source prefix + destination port range: 5011 -> redundant (rule 6)" matched 5011 redundant 6
XFER_SERVER_ADDR=:: check "IPv4-mapped connection matches the IPv4 source prefix (rule 6)" matched 5012 redundant 6 --v6
check "mark 0x13 matches 0x10/0xf0 (rule 8)" matched 5031 redundant 8 --mark 0x13
check "mark 0x23 does not: default" matched 5032 minrtt 0 --mark 0x23
check "outside the cgroup: default" matched 5020 minrtt 0
# in_cgroup CMD...: CMD in a subshell that moved itself into the cgroup first.
in_cgroup() { ( echo "$BASHPID" > /sys/fs/cgroup/ms-rules/cgroup.procs && "$@" ); }
check "inside the cgroup: rr (rule 7)" in_cgroup matched 5020 roundrobin 7

# ---- 3. bad rules on the loaded scheduler: one line, non-zero ------------------------
bad() {
    local want=$1; shift
    local err; err=$($M rule "$@" 2>&1 >/dev/null); local rc=$?
    echo "#   rule $*: $err"
    [ $rc -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ "$err" == *"$want"* ]]
}
check "malformed prefix" bad "invalid destination prefix '10.0.0.300/8'" add rr --dst 10.0.0.300/8
check "unknown policy" bad "unknown policy 'fastest'" add fastest --dport 1
check "port out of range" bad "ports are 1-65535" add rr --dport 65536
check "duplicate rule" bad "duplicate rule: rule 1 already matches dport 5001" add rr --dport 5001
n=$($M rule list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rules"]))')
for p in $(seq $((n + 1)) 64); do $M rule add rr --dport $((20000 + p)) >/dev/null || break; done
check "full table (64 rules)" bad "the rule table is full (64 rules at most)" add rr --dport 9999

# ---- 4. cost per decision with 0 and with 64 rules -----------------------------------
# run_time_ns / run_cnt of rules_get_send over the same workload: 24 short connections
# (256 KiB each, where the rule walk runs once per connection) and one 16 MiB transfer;
# and the rule walk alone, timed inside the scheduler (counters rule_matches and
# rule_match_ns of `mptcp-sched stats`).
prog_ns() { bpftool prog show name rules_get_send | sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p'; }
match_ns() { $M stats --json | python3 -c 'import json,sys; c=[s for s in json.load(sys.stdin) if s["scheduler"]=="ms_rules"][0]["counters"]; print(c["rule_match_ns"], c["rule_matches"])'; }
cost_of() {   # cost_of LABEL PORT: runs the workload; /tmp/cost-LABEL: "ns/call calls ns/match matches"
    local before after mbefore mafter
    before=$(prog_ns); mbefore=$(match_ns)
    XFER_SERVER_COUNT=24 xfer /tmp/c-short.json "$2" $((256 << 10)) --connections 24 || return 1
    xfer /tmp/c-bulk.json "$2" $((16 << 20)) || return 1
    after=$(prog_ns); mafter=$(match_ns)
    echo "$before $after $mbefore $mafter" | awk '{ n = $4 - $2; m = $8 - $6;
        printf "%.0f %d %.0f %d\n", n ? ($3 - $1) / n : 0, n, m ? ($7 - $5) / m : 0, m }' > "/tmp/cost-$1"
}
# 64 rules, all walked: replace the last one by the rule the workload's port matches.
last=$($M rule list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rules"][-1]["id"])')
$M rule del "$last" >/dev/null
check "64th rule matches the measured port" $M rule add rr --dport 5050
check "workload with 64 rules (match at the last) is byte-exact" cost_of 64 5050
check "rule flush" $M rule flush
$M rule default rr >/dev/null
check "workload with 0 rules (default rr) is byte-exact" cost_of 0 5051
for n in 0 64; do
    echo "# BPF cost with $n rules: $(awk '{print $1 " ns per decision over " $2 " decisions; rule walk " $3 " ns per connection over " $4 " connections"}' /tmp/cost-$n)"
done
check "costs were measured (decisions and rule walks counted)" \
    test "$(awk '{print ($2 > 0) ($4 == 25)}' /tmp/cost-0)$(awk '{print ($2 > 0) ($4 == 25)}' /tmp/cost-64)" = 1111

check "unload rules" $M unload rules
check "rule list after unload says the scheduler is not loaded" \
    bash -c "$M rule list 2>&1 | grep -q 'the rules scheduler is not loaded'"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `mptcp-sched bench` (bench issue) end to end at a small scale: two scenarios, two
# schedulers, one round, half durations. Checks that every figure is measured and sane and
# that nothing is left behind; the figures themselves come from full runs (README).
# Runs inside the VM: vmtest/run -- tests/vm/test_bench.sh BUILD_DIR
set -u
build=${1:?usage: test_bench.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$(cd "$build" && pwd)/mptcp-sched"
out="$(cd "$build" && pwd)/bench-test"
rm -rf "$out"
R=$out/results.json
S="j['scenarios']"

$M bench equal failover --sched default,roundrobin --repeat 1 --time-scale 0.5 --out "$out" \
    --timeline > /tmp/bench.txt 2> /tmp/bench.err
rc=$?
sed 's/^/#   /' /tmp/bench.txt
check "bench exits 0" test $rc = 0
check "progress went to stderr, one line per run" test "$(grep -c 'round 1/1' /tmp/bench.err)" = 8
check "results.json holds both scenarios" test "$(json $R "[s['scenario']['name'] for s in $S]")" = "['equal', 'failover']"
check "equal: every run succeeded" test "$(json $R "all(f['runs_ok'] == 1 for f in list($S[0]['schedulers'].values()) + $S[0]['single_path'])")" = True
check "equal: single-path TCP goodput measured on both paths (5-60 Mbit/s each)" \
    test "$(json $R "all(5 < b['goodput_mbit']['median'] < 60 for b in $S[0]['single_path'])")" = True
check "equal: efficiency = goodput / sum of single paths" \
    test "$(json $R "abs($S[0]['schedulers']['roundrobin']['efficiency_pct']['median'] - 100 * $S[0]['schedulers']['roundrobin']['goodput_mbit']['median'] / $S[0]['sum_single_path_mbit']) < 0.01")" = True
check "equal: round-robin puts 20-80% of the bytes on each path" \
    test "$(json $R "all(20 <= p['median'] <= 80 for p in $S[0]['schedulers']['roundrobin']['path_share_pct'])")" = True
check "equal: BPF decision cost measured for round-robin" test "$(json $R "$S[0]['schedulers']['roundrobin']['decision_ns']['median'] > 0")" = True
check "equal: no BPF cost for the in-kernel default" test "$(json $R "$S[0]['schedulers']['default']['decision_ns']")" = None
check "equal: round-robin's own counters over the run: its decisions, its connection" \
    test "$(json $R "$S[0]['schedulers']['roundrobin']['counters']['get_send']['median'] > 0 and $S[0]['schedulers']['roundrobin']['counters']['conn_new']['median'] >= 1")" = True
check "equal: no counters for the in-kernel default" test "$(json $R "'counters' in $S[0]['schedulers']['default']")" = False
check "the table shows them under the scheduler's row" grep -q "counters per run (medians): .*get_send" /tmp/bench.txt
check "equal: sender CPU per KiB measured" test "$(json $R "$S[0]['schedulers']['default']['cpu_ns_per_kib']['median'] > 0")" = True
check "failover: the connections survived path 0 failing (runs ok)" \
    test "$(json $R "all(f['runs_ok'] == 1 for f in $S[1]['schedulers'].values())")" = True
check "failover: after the failure the data went over path 1" \
    test "$(json $R "all(f['path_share_pct'][1]['median'] > 30 for f in $S[1]['schedulers'].values())")" = True
check "failover: longest receive gap measured" test "$(json $R "all(f['max_gap_ms']['median'] > 0 for f in $S[1]['schedulers'].values())")" = True
check "one SVG chart per scenario, naming the schedulers" \
    bash -c "grep -q '>roundrobin</text>' $out/equal.svg && grep -q 'longest receive gap' $out/failover.svg"
check "the table names the efficiency" grep -q "efficiency %" /tmp/bench.txt
check "equal: goodput ratio to the kernel's default is recorded" \
    test "$(json $R "abs($S[0]['schedulers']['roundrobin']['vs_default'] * $S[0]['schedulers']['default']['goodput_mbit']['median'] - $S[0]['schedulers']['roundrobin']['goodput_mbit']['median']) < 0.01")" = True
check "equal: the receiver's out-of-order count is measured for MPTCP runs" \
    test "$(json $R "$S[0]['schedulers']['roundrobin']['ofo_per_mb']['n'] == 1 and 'ofo_per_mb' not in $S[0]['single_path'][0]")" = True
check "--timeline: one chart and one JSON per scheduler and scenario" \
    test "$(ls $out/timelines | sort | tr '\n' ' ')" = "equal-default.json equal-default.svg equal-roundrobin.json equal-roundrobin.svg failover-default.json failover-default.svg failover-roundrobin.json failover-roundrobin.svg "
check "--timeline: the failover chart marks the event" grep -q "path 0 down" $out/timelines/failover-roundrobin.svg
check "--timeline: samples of both subflows with send rates" \
    test "$(json $out/timelines/equal-roundrobin.json "len(j['samples']) >= 10 and max(len(c['subflows']) for s in j['samples'] for c in s['connections']) == 2")" = True

# A sweep point: receiver buffer, heatmap, sweep table and targets.
sw=$out-sweep
$M bench sweep-r3-d5-bdp --sched default,blest --repeat 1 --time-scale 0.5 --timeline=all \
    --out "$sw" > /tmp/sweep.txt 2>/dev/null
check "sweep point: bench exits 0" test $? = 0
sed 's/^/#   /' /tmp/sweep.txt
check "sweep point: the receiver buffer is part of the scenario (100 kB = 1x BDP)" \
    test "$(json $sw/results.json "j['scenarios'][0]['scenario']['rcvbuf_bytes']")" = 100000
check "sweep point: the server namespace's tcp_rmem was limited during the run" \
    test "$(json $sw/results.json "j['scenarios'][0]['single_path'][1]['goodput_mbit']['median'] < 24")" = True
check "sweep point: a heatmap for blest" grep -q "blest: goodput / kernel default" $sw/sweep-blest.svg
check "sweep point: the sweep table and its targets are printed" \
    bash -c "grep -q 'rate 3:1, RTT 1:5, 1x BDP buffer' /tmp/sweep.txt && grep -q 'sweep: blest' /tmp/sweep.txt"
check "--timeline=all: every round under its number, titled with its goodput" \
    bash -c "test \"\$(ls $sw/timelines | sort | tr '\n' ' ')\" = 'sweep-r3-d5-bdp-blest-1.json sweep-r3-d5-bdp-blest-1.svg sweep-r3-d5-bdp-default-1.json sweep-r3-d5-bdp-default-1.svg ' && grep -q 'round 1 of 1: [0-9.]* Mbit/s' $sw/timelines/sweep-r3-d5-bdp-blest-1.svg"
mkdir -p /tmp/replot
$M bench --replot $R --out /tmp/replot > /tmp/replot.txt
grep -v '^results:' /tmp/bench.txt > /tmp/bench-table.txt
check "--replot redraws the charts and the same table from results.json" \
    bash -c "diff /tmp/replot.txt /tmp/bench-table.txt && cmp /tmp/replot/equal.svg $out/equal.svg"
# Scale: many idle connections beside a transfer, and churn's leak check, at a small scale.
sc=$out-scale
$M bench many churn --sched default,minrtt --repeat 1 --time-scale 0.1 --out "$sc" > /tmp/scale.txt 2> /tmp/scale.err
check "many + churn: bench exits 0" test $? = 0
sed 's/^/#   /' /tmp/scale.txt
grep -E 'failed|error' /tmp/scale.err | sed 's/^/#   /'
SC="j['scenarios'][0]['schedulers']"
check "many: 1000 idle connections were open during each transfer" \
    test "$(json $sc/results.json "all(f['idle_connections']['median'] == 1000 for f in $SC.values())")" = True
check "many: the bulk transfer ran beside them" \
    test "$(json $sc/results.json "all(f['runs_ok'] == 1 and f['goodput_mbit']['median'] > 1 for f in $SC.values())")" = True
check "many: minrtt's connection states were read (and timed); the default keeps none" \
    test "$(json $sc/results.json "$SC['minrtt']['stats_read_ms']['median'] > 0 and 'stats_read_ms' not in $SC['default']")" = True
check "many: minrtt's socket storage shows as option memory per connection (800 B - 2 KiB more than the default)" \
    test "$(json $sc/results.json "800 <= $SC['minrtt']['optmem_per_conn']['median'] - $SC['default']['optmem_per_conn']['median'] <= 2048")" = True
check "churn: no connection state of minrtt is left once every connection closed" \
    test "$(json $sc/results.json "j['scenarios'][1]['schedulers']['minrtt']['states_left']['max']")" = 0.0
# Failure kinds: each one runs, is marked on the timeline, and leaves its path restored. Two
# rounds: round 2's single-path TCP on path 0 runs right after round 1's MPTCP run broke
# path 0, so it only reaches round 1's goodput if the path came back (interface up, routes
# back, netem neither blackholed nor degraded).
fk=$out-kinds
$M bench failover-link-down failover-flap failover-degrade backup-failover-link-down \
    --sched minrtt --repeat 2 --time-scale 0.5 --timeline --out "$fk" > /tmp/kinds.txt 2>/tmp/kinds.err
check "failure kinds: bench exits 0" test $? = 0
sed 's/^/#   /' /tmp/kinds.txt
FK="json $fk/results.json"
check "failure kinds: every run of every kind succeeded (events applied, paths restored)" \
    test "$($FK "all(f['runs_ok'] == 2 for s in j['scenarios'] for f in list(s['schedulers'].values()) + s['single_path'])")" = True
check "failure kinds: path 0 single-path TCP after a broken round is as fast as before (10+ Mbit/s, min >= 0.7x max)" \
    test "$($FK "all(b['goodput_mbit']['min'] > 10 and b['goodput_mbit']['min'] >= 0.7 * b['goodput_mbit']['max'] for s in j['scenarios'] for b in s['single_path'] if b['path'] == 0)")" = True
check "link-down: after the interface went down the data went over path 1" \
    test "$($FK "j['scenarios'][0]['schedulers']['minrtt']['path_share_pct'][1]['median'] > 30")" = True
check "link-down, flap, degrade: each marked on the timeline" \
    bash -c "grep -q 'path 0 link down' $fk/timelines/failover-link-down-minrtt.svg && \
             test \$(grep -o 'path 0 down' $fk/timelines/failover-flap-minrtt.svg | wc -l) -ge 2 && \
             grep -q 'path 0 up' $fk/timelines/failover-flap-minrtt.svg && \
             grep -q 'path 0 degraded to 1 Mbit/s, 400 ms' $fk/timelines/failover-degrade-minrtt.svg"
check "--timeline keeps the worst of two rounds: its gap is the scenario's longest, its round named" \
    test "$(for k in failover-link-down failover-flap failover-degrade backup-failover-link-down; do
        python3 -c "import json,sys; t = json.load(open('$fk/timelines/$k-minrtt.json'))['bench']
r = [s for s in json.load(open('$fk/results.json'))['scenarios'] if s['scenario']['name'] == '$k'][0]
print(t['kept'] == 'worst' and t['round'] in (1, 2) and abs(t['value'] - r['schedulers']['minrtt']['max_gap_ms']['max']) < 1e-6)"
    done | sort -u)" = True
check "failure kinds: the 0.6x-the-default target is not judged without the default" \
    bash -c "! grep -q '0.6x the default' /tmp/kinds.txt"
check "failure kinds: absolute gap targets judged for each kind" \
    test "$(grep -c 'minrtt longest receive gap <= 1' /tmp/kinds.txt)" = 4

# Loss: p99.9 and bytes on the wire; redundant sends every byte on both paths.
lo=$out-lossy
$M bench lossy-3-short --sched default,redundant,interactive --repeat 1 --time-scale 0.1 --out "$lo" > /tmp/lossy.txt 2>/dev/null
check "lossy: bench exits 0" test $? = 0
sed 's/^/#   /' /tmp/lossy.txt
LO="json $lo/results.json"
check "lossy: 40 requests of 64 KiB per run (--time-scale 0.1 of 400), p50 <= p99 <= p99.9" \
    test "$($LO "all(f['runs_ok'] == 1 and 0 < f['p50_ms']['median'] <= f['p99_ms']['median'] <= f['p999_ms']['median'] for f in list(j['scenarios'][0]['schedulers'].values()) + j['scenarios'][0]['single_path'])")" = True
check "lossy: single-path TCP puts 1.0-1.3 bytes on the wire per payload byte at 3% loss" \
    test "$($LO "all(1.0 <= b['wire_per_payload']['median'] <= 1.3 for b in j['scenarios'][0]['single_path'])")" = True
# Redundant copies every burst to every member that keeps up: ~2x, less where it leaves a
# member too far behind out (red_behind; 1.60 in one 40-request round at 3% loss).
check "lossy: redundant puts >= 1.5 bytes on the wire per payload byte, the default < 1.4" \
    test "$($LO "j['scenarios'][0]['schedulers']['redundant']['wire_per_payload']['median'] >= 1.5 and j['scenarios'][0]['schedulers']['default']['wire_per_payload']['median'] < 1.4")" = True
check "lossy: interactive puts 1.0-1.3 bytes on the wire per payload byte (copies of tails only)" \
    test "$($LO "1.0 <= j['scenarios'][0]['schedulers']['interactive']['wire_per_payload']['median'] <= 1.3")" = True
check "lossy: the table shows p99.9 and wire/payload, the targets redundant vs default" \
    bash -c "grep -q 'p99.9 ms' /tmp/lossy.txt && grep -q 'wire/payload' /tmp/lossy.txt && \
             grep -q 'lossy-3-short: redundant p99 <= 0.5x default' /tmp/lossy.txt"
echo '{"name": "x", "paths": [{}, {}], "events": [{"at_s": 1, "path": 0, "action": "flap", "every_s": 2, "for_s": 1}]}' > /tmp/bad-event.json
check "bad event: one line naming the event and the field" \
    one_line_error "event 0: 'for_s' 1 is shorter than 'every_s' 2" $M bench /tmp/bad-event.json
check "no bench network namespace is left" bash -c "! ip netns list | grep -q ms-bench"
check "the schedulers the bench loaded are unloaded again" bash -c "! ls /sys/fs/bpf/mptcp-sched 2>/dev/null | grep -q ms_rr"
check "unknown scheduler: one line" one_line_error "unknown scheduler 'fastest'" $M bench equal --sched fastest --out "$out"
echo '{"name": "x", "paths": [{"rate_mbit": -1}]}' > /tmp/bad-scenario.json
check "bad scenario file: one line naming the field" one_line_error "'rate_mbit' = -1 is out of range" $M bench /tmp/bad-scenario.json
finish

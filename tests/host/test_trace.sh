#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `mptcp-sched trace` on the host kernel: two netns joined by two veth pairs, a client
# `subflow` endpoint on the second, a paced checksummed transfer, and the trace of it
# (JSON lines, the table, the timeline JSON and SVG); then the one-line errors.
# Usage (root): tests/host/test_trace.sh BUILD_DIR
set -u
build=${1:?usage: test_trace.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$(cd "$build" && pwd)/mptcp-sched"
out=$(mktemp -d /tmp/ms-trace.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; topo_down; [ -n "${KEEP_OUT:-}" ] || rm -rf "$out"' EXIT

# wait_for SECONDS CMD...: CMD succeeds within SECONDS (polled every 0.1 s).
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}
subflows_up() { [ "$(in_cli ss -tnH state established "( dport = :$1 )" | wc -l)" = 2 ]; }
listening() { in_srv ss -ltnH "( sport = :$1 )" | grep -q .; }

topo_up
port=5301
# 240 MB paced at 60 Mbit/s: about 32 s of transfer, longer than the traces below take even
# with a VM beside them on the machine (at 80 MB, 11 s, the transfer ended before the table
# trace started when the VM suite ran alongside).
in_srv $XFER server --port $port --count 1 > "$out/server.log" 2>&1 &
wait_for 10 listening $port
in_cli $XFER client --addr 10.0.1.2 --port $port --bytes 240000000 --rate 60 > "$out/client.json" &
xfer=$!
check "the transfer's connection gets its second subflow" wait_for 20 subflows_up $port

$M trace --netns ms-cli --dport $port --duration 2s --json --interval 100ms \
    --out-json "$out/tl.json" --svg "$out/tl.svg" > "$out/trace.jsonl" 2> "$out/trace.err"
check "trace --json exits 0" test $? = 0
sed 's/^/#   /' "$out/trace.err"
head -c 600 "$out/trace.jsonl" | sed 's/^/#   /'; echo
cat > "$out/check.py" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
what = sys.argv[2]
if what == "count":
    print(len(lines))
elif what == "shape":
    # every line: one connection, to the port; the later ones with both subflows
    ok = all(len(l["connections"]) == 1 and l["connections"][0]["remote"].endswith(":" + sys.argv[3])
             for l in lines)
    print(ok, max(len(l["connections"][0]["subflows"]) for l in lines),
          sorted({s["local"].split(":")[0] for l in lines for s in l["connections"][0]["subflows"]}))
elif what == "growth":
    c0, c1 = lines[0]["connections"][0], lines[-1]["connections"][0]
    sent = lambda c: sum(s["bytes_sent"] for s in c["subflows"])
    dt = lines[-1]["t_s"] - lines[0]["t_s"]
    rate = (c1["bytes_acked"] - c0["bytes_acked"]) * 8 / 1e6 / dt
    print(c1["bytes_acked"] > c0["bytes_acked"], sent(c1) > sent(c0), round(rate))
elif what == "fields":
    s = lines[-1]["connections"][0]["subflows"][0]
    c = lines[-1]["connections"][0]
    print(all(k in s for k in ("srtt_us", "cwnd", "in_flight_bytes", "queued_bytes", "send_mbit",
                               "delivery_rate_mbit", "backup")) and "goodput_mbit" in c,
          s["cwnd"] > 0, s["mss"] > 0)
PY
n=$(python3 "$out/check.py" "$out/trace.jsonl" count)
echo "# $n JSON lines in 2 s at 100 ms"
check "trace --json: one parsable line per sample, about 20 in 2 s" test "$n" -ge 15 -a "$n" -le 22
shape=$(python3 "$out/check.py" "$out/trace.jsonl" shape $port)
echo "# shape: $shape"
check "trace --json sees the one connection with 2 subflows, from 10.0.1.1 and 10.0.2.1" \
    test "$shape" = "True 2 ['10.0.1.1', '10.0.2.1']"
growth=$(python3 "$out/check.py" "$out/trace.jsonl" growth)
echo "# growth (acked, sent, goodput Mbit/s): $growth"
check "trace --json: bytes acked and sent grow; goodput near the 60 Mbit/s pace" \
    bash -c "read a s r <<< '$growth'; [ \$a = True ] && [ \$s = True ] && [ \$r -ge 30 ] && [ \$r -le 75 ]"
check "trace --json: per subflow srtt, cwnd, in flight, queued, send rate; goodput" \
    test "$(python3 "$out/check.py" "$out/trace.jsonl" fields)" = "True True True"
check "--out-json: the whole timeline, the same samples" \
    test "$(json "$out/tl.json" "j['netns'], j['interval_s'], len(j['samples']) >= $n")" = "ms-cli 0.1 True"
check "--svg: a chart with six panels and both subflows in the legend" \
    bash -c "[ \$(grep -c '<g class=\"panel\"' '$out/tl.svg') = 6 ] && grep -q '10.0.2.1 → 10.0.1.2' '$out/tl.svg'"
$M trace --replot "$out/tl.json" --svg "$out/re.svg" --title "replotted"
check "--replot draws the saved timeline again" \
    bash -c "[ \$(grep -c '<g class=\"panel\"' '$out/re.svg') = 6 ] && grep -q '>replotted</text>' '$out/re.svg' && [ \$(grep -o '<path ' '$out/re.svg' | wc -l) = \$(grep -o '<path ' '$out/tl.svg' | wc -l) ]"

# The table: a legend of the subflows, then one row per sample.
$M trace --netns ms-cli --dport $port --duration 1s > "$out/table.txt"
check "trace (table) exits 0" test $? = 0
sed 's/^/#   /' "$out/table.txt" | head -12
check "the table lists both subflows and its columns" \
    bash -c "grep -q '\[2\] 10.0.2.1:' '$out/table.txt' && grep -q 'goodput | \[1\] Mbit/s' '$out/table.txt'"
check "   ... and about 10 rows in 1 s" \
    test "$(grep -cE '^ +[0-9]+\.[0-9]{2} [0-9a-f]{8} ' "$out/table.txt")" -ge 7

# Ctrl-C: ends cleanly, the files are still written.
$M trace --netns ms-cli --dport $port --svg "$out/int.svg" > "$out/int.txt" &
tr=$!
wait_for 10 grep -qE '^ +[0-9]+\.[0-9]{2} ' "$out/int.txt"
kill -INT $tr
wait $tr
rc=$?
check "SIGINT ends trace with exit 0 and the chart written" \
    bash -c "[ $rc = 0 ] && grep -q '# interrupted' '$out/int.txt' && grep -q '</svg>' '$out/int.svg'"

# A trace without --duration ends when its connection closes.
$M trace --netns ms-cli --dport $port --json > "$out/until-close.jsonl" &
tr=$!
wait $xfer
check "the transfer itself was byte-exact" test "$(json "$out/client.json" "j['byte_exact']")" = True
check "trace without --duration ends (exit 0) when the connection closes" \
    wait_for 15 bash -c "! kill -0 $tr 2>/dev/null"
wait $tr
check "   ... exit status 0" test $? = 0

# ---- errors: one line each --------------------------------------------------------------
check "nothing matches: one line naming the filter" \
    one_line_error "no MPTCP connection in netns ms-cli matches dport 9999" \
    $M trace --netns ms-cli --dport 9999 --duration 1s
check "nothing at all: one line" one_line_error "no MPTCP connection in netns ms-cli" \
    $M trace --netns ms-cli
check "--wait: waits, then one line" one_line_error "(waited 300ms)" \
    $M trace --netns ms-cli --wait 300ms
check "bad interval: one line" one_line_error "--interval: invalid duration 'fast'" \
    $M trace --interval fast
check "too short an interval: one line" one_line_error "at least 10ms" $M trace --interval 1ms
check "bad duration: one line" one_line_error "--duration: invalid duration '-2s'" \
    $M trace --duration=-2s
check "bad token: one line" one_line_error "invalid --token 'xyz'" $M trace --token xyz
echo '{"samples": 1}' > "$out/bad.json"
check "--replot of something else: one line" \
    one_line_error "failed to read the timeline $out/bad.json" $M trace --replot "$out/bad.json" --svg "$out/x.svg"
check "unknown netns: one line" one_line_error "no such network namespace" \
    $M trace --netns no-such-ns
finish

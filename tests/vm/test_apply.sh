#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `mptcp-sched apply` on the vmtest kernel: a config that loads schedulers with tunables,
# installs rules, selects per netns and sets endpoints and limits is applied; a second
# apply changes nothing; a reset that clears what a reboot clears (bpffs pins: every
# scheduler unloaded; the namespaces' MPTCP settings) is followed by apply, which restores
# everything, and again a second apply changes nothing. Usage: test_apply.sh BUILD_DIR
set -u
build=${1:?usage: test_apply.sh BUILD_DIR}
. "$(dirname "$0")/../lib.sh"
M="$build/mptcp-sched"
root=/sys/fs/bpf/mptcp-sched
tmp=$(mktemp -d /tmp/ms-vm-apply.XXXXXX)
cfg=$tmp/config.json
unload_all() { for s in $($M list --json | python3 -c "import json,sys; print(' '.join(r['registered_name'] for r in json.load(sys.stdin) if r['loaded_by_us']))"); do $M unload "$s" >/dev/null; done; }
trap 'topo_down; unload_all 2>/dev/null; rm -rf "$tmp"' EXIT

check "status reports the interface supported" "$M" status
bpf_baseline
topo_up
# The test topology's own endpoint and limits are replaced by the config's.
cat > "$cfg" <<'JSON'
{
  "schedulers": [
    {"load": "roundrobin", "tunables": {"rr_quantum": 16384}},
    {"load": "rules"}
  ],
  "rules": {"default": "backup",
            "list": [{"policy": "redundant", "dport": 5001},
                     {"policy": "rr", "dst": "10.0.1.0/24", "sport": "1000-2000"}]},
  "netns": [
    {"name": "ms-cli", "scheduler": "rules",
     "limits": {"subflows": 3, "add_addr_accepted": 1},
     "endpoints": [{"addr": "10.0.2.1", "dev": "cli2", "flags": ["subflow", "backup"]}]},
    {"name": "ms-srv", "scheduler": "roundrobin", "limits": {"subflows": 2, "add_addr_accepted": 2}}
  ]
}
JSON

# state: one line summing up everything the config manages.
state() {
    echo "loaded=$($M list --json | python3 -c "import json,sys; print(','.join(sorted(r['registered_name'] for r in json.load(sys.stdin) if r['loaded_by_us'] and r['registered'])))")" \
         "quantum=$(rodata_value $root/ms_rr/rodata rr_quantum)" \
         "rules=$($M rule list --json 2>/dev/null | python3 -c "import json,sys; j=json.load(sys.stdin); print(j['default_policy'] + ':' + ';'.join(r['policy'] + '@' + r['match'] for r in j['rules']))" 2>/dev/null)" \
         "cli=$(in_cli sysctl -n net.mptcp.scheduler)/$(ip -n ms-cli mptcp limits show | tr -s ' \n' ' ')/$(ip -n ms-cli mptcp endpoint show | sed 's/ id [0-9]*//' | tr -s ' \n' ' ')" \
         "srv=$(in_srv sysctl -n net.mptcp.scheduler)/$(ip -n ms-srv mptcp limits show | tr -s ' \n' ' ')"
}

out=$($M apply "$cfg" --dry-run); rc=$?
echo "$out" | sed 's/^/# /'
check "apply --dry-run lists the changes (exit 0)" test "$rc" = 0 -a "$(grep -c '^would ' <<<"$out")" -ge 8
check "  ... and changed nothing" test -z "$(ls -A $root 2>/dev/null)"

out=$($M apply "$cfg"); rc=$?
echo "$out" | sed 's/^/# /'
check "apply (exit 0)" test "$rc" = 0
check "  printed what it changed" grep -q '^load ms_rr (roundrobin) ms_stats_enabled=1 rr_quantum=16384$' <<<"$out"
s1=$(state)
echo "# $s1"
check "  ms_rr and ms_rules are loaded" grep -q 'loaded=ms_rr,ms_rules ' <<<"$s1"
check "  rr_quantum is 16384" grep -q ' quantum=16384 ' <<<"$s1"
check "  the rules and their default are in place" grep -q ' rules=backup:redundant@dport 5001;roundrobin@' <<<"$s1"
check "  ms-cli selects ms_rules with the config's limits and endpoint" \
    grep -q ' cli=ms_rules/add_addr_accepted 1 subflows 3 /10.0.2.1 subflow backup dev cli2 ' <<<"$s1"
check "  ms-srv selects ms_rr" grep -q ' srv=ms_rr/add_addr_accepted 2 subflows 2 ' <<<"$s1"

out=$($M apply "$cfg"); rc=$?
check "a second apply prints nothing changed" test "$rc" = 0 -a "$out" = "nothing changed"
check "  ... and the state is the same" test "$(state)" = "$s1"
json_out=$($M apply "$cfg" --json)
check "  ... --json: an empty list of changes" test "$(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['changes']))" "$json_out")" = 0

# Traffic goes through what apply set up: a connection to port 5001 is redundant (rules).
xfer "$tmp/x.json" 5001 $((4 << 20))
check "a transfer through the applied set-up is byte-exact" test $? = 0
check "  stats: the rules scheduler counted the connection" \
    sh -c "$M stats --json | python3 -c \"import json,sys; j=json.load(sys.stdin); sys.exit(0 if any(s['counters']['conn_new'] >= 1 for s in j if s['scheduler']=='ms_rules') else 1)\""

# A change: another quantum, one endpoint flag off, a rule less.
python3 - "$cfg" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["schedulers"][0]["tunables"]["rr_quantum"] = 32768
c["rules"]["list"].pop()
c["netns"][0]["endpoints"][0]["flags"] = ["subflow"]
json.dump(c, open(sys.argv[1], "w"))
PY
out=$($M apply "$cfg"); rc=$?
echo "$out" | sed 's/^/# /'
check "a changed config: reload ms_rr, new rules, endpoint replaced" \
    sh -c "test $rc = 0 && grep -q 'rr_quantum 16384 -> 32768' <<'E'
$out
E"
check "  rr_quantum is 32768 now" grep -q ' quantum=32768 ' <<<"$(state)"
check "  ... and a second apply changes nothing" test "$($M apply "$cfg")" = "nothing changed"
s2=$(state)

# Reset: what a reboot clears. bpffs is empty (every scheduler unloaded), and the
# namespaces' MPTCP settings are back at their defaults.
unload_all
for ns in ms-cli ms-srv; do
    ip netns exec $ns sysctl -qw net.mptcp.scheduler=default
    ip -n $ns mptcp endpoint flush
    ip -n $ns mptcp limits set subflows 0 add_addr_accepted 0
done
check "reset: nothing loaded, nothing pinned" test -z "$(ls -A $root 2>/dev/null)"
echo "# after reset: $(state)"
out=$($M apply "$cfg"); rc=$?
echo "$out" | sed 's/^/# /'
check "apply after the reset (exit 0)" test "$rc" = 0
check "  restores the state exactly" test "$(state)" = "$s2"
check "  ... and a second apply prints nothing changed" test "$($M apply "$cfg")" = "nothing changed"

# Invalid files: one line, exit 2, nothing touched.
echo '{"schedulers": [{"load": "rr", "tunable": {}}]}' > "$tmp/bad.json"
err=$($M apply "$tmp/bad.json" 2>&1 >/dev/null); rc=$?
echo "# $err"
check "an unknown key: exit 2, one line naming it" \
    test "$rc" = 2 -a "$(printf '%s\n' "$err" | wc -l)" = 1 -a -n "$(grep -o 'unknown key "tunable"' <<<"$err")"
echo '{"schedulers": [{"load": "rr", "tunables": {"rr_quantum": 99999999999}}]}' > "$tmp/bad.json"
check "a tunable out of range: exit 2" sh -c "$M apply '$tmp/bad.json' 2>/dev/null; test \$? = 2"
check "  ... the state is untouched" test "$(state)" = "$s2"

topo_down
unload_all
check_bpf_baseline "$root"
finish

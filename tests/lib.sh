# SPDX-License-Identifier: GPL-2.0
# Helpers for the VM and host test scripts: a tiny TAP-like reporter and a two-path MPTCP topology.
#
#   ms-cli  cli1 10.0.1.1/24 <----> srv1 10.0.1.2/24  ms-srv
#           cli2 10.0.2.1/24 <----> srv2 10.0.2.2/24
#
# The client has a `subflow` endpoint on cli2, so each connection to 10.0.1.2 gets a
# second subflow over the second pair. Optional netem shaping per path, both directions.

MS_PASS=0
MS_FAIL=0
TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XFER="python3 $TESTDIR/mptcp_xfer.py"
# The tests import their Python helpers from the source tree: leave no bytecode there.
export PYTHONDONTWRITEBYTECODE=1

check() {
    local desc=$1; shift
    if "$@"; then
        echo "ok - $desc"; MS_PASS=$((MS_PASS + 1))
    else
        echo "not ok - $desc"; MS_FAIL=$((MS_FAIL + 1))
    fi
}

finish() {
    echo "$MS_PASS passed, $MS_FAIL failed"
    [ "$MS_FAIL" = 0 ]
}

# one_line_error WANT CMD...: fails with exactly one line on stderr that contains WANT.
one_line_error() {
    local want=$1; shift
    local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
    echo "#   $*: $err"
    [ $rc -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [[ "$err" == *"$want"* ]]
}

# wait_until TIMEOUT_S CMD...: runs CMD every 50 ms until it succeeds (returns 0) or
# TIMEOUT_S (fractions allowed) have passed (returns 1). Tests wait for the condition they
# check, with a deadline generous enough for a loaded machine, never for a fixed time.
wait_until() {
    local limit_us; limit_us=$(awk -v t="$1" 'BEGIN { printf "%d", t * 1000000 }'); shift
    local start=${EPOCHREALTIME/[.,]/}
    while ! "$@"; do
        [ $(( ${EPOCHREALTIME/[.,]/} - start )) -ge "$limit_us" ] && return 1
        sleep 0.05
    done
    return 0
}

# listening NS PORT: a TCP/MPTCP listener on PORT in netns NS.
listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .; }
# nsubflows PORT: established subflows (TCP sockets) towards PORT in the client netns.
nsubflows() { ip netns exec ms-cli ss -tnH state established "( dport = :$1 )" | wc -l; }
# has_subflows PORT N: at least N of them.
has_subflows() { [ "$(nsubflows "$1")" -ge "$2" ]; }

# json FILE PYEXPR: evaluates PYEXPR with `j` bound to the JSON in FILE.
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# within V LO HI / atleast V MIN: numeric tests for check.
within() { python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if $2 <= v <= $3 else 1)" "$1"; }
atleast() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }
# has_kfunc NAME: `$M status` reports the optional kfunc NAME present in this kernel.
has_kfunc() {
    $M status --json | python3 -c "import json,sys; sys.exit(0 if any(p['name'] == sys.argv[1] and p['present'] for p in json.load(sys.stdin)['bpf_scheduler_interface']['pieces']) else 1)" "$1"
}
# mib NS NAME: an MPTcpExt counter of netns NS.
mib() {
    ip netns exec "$1" awk -v k="$2" '/^MPTcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1 }
        else { for (i = 2; i <= NF; i++) if (n[i] == k) print $i } }' /proc/net/netstat
}

# BPF objects: bpf_baseline records the program and map counts; check_bpf_baseline ROOT
# checks (waiting up to 30 s: the last closing connection frees a scheduler) that they are
# back there and that no pin is left under ROOT.
nprogs() { bpftool prog show | grep -c '^[0-9]*: '; }
nmaps() { bpftool map show | grep -c '^[0-9]*: '; }
bpf_baseline() { base_progs=$(nprogs); base_maps=$(nmaps); }
check_bpf_baseline() {
    local root=$1
    at_baseline() { test -z "$(ls -A "$root" 2>/dev/null)" && test "$(nprogs)/$(nmaps)" = "$base_progs/$base_maps"; }
    wait_until 30 at_baseline
    check "no pins left" sh -c "test -z \"\$(ls -A $root 2>/dev/null)\""
    check "program and map counts back at baseline" test "$(nprogs)/$(nmaps)" = "$base_progs/$base_maps"
    echo "# programs $(nprogs) (baseline $base_progs), maps $(nmaps) (baseline $base_maps)"
}

in_cli() { ip netns exec ms-cli "$@"; }
in_srv() { ip netns exec ms-srv "$@"; }

topo_down() {
    ip netns del ms-cli 2>/dev/null
    ip netns del ms-srv 2>/dev/null
    return 0
}

# shape NS DEV RATE_MBIT DELAY_MS: netem with a queue of about one BDP (min 100 packets).
shape() {
    local ns=$1 dev=$2 rate=$3 delay=$4
    local limit=$(( rate * 1000000 / 8 * delay * 2 / 1000 / 1500 ))
    [ "$limit" -lt 100 ] && limit=100
    ip netns exec "$ns" tc qdisc replace dev "$dev" root netem rate "${rate}mbit" \
        delay "${delay}ms" limit "$limit"
}

# topo_up [RATE1 DELAY1 RATE2 DELAY2] (Mbit/s, one-way ms); no arguments: unshaped.
topo_up() {
    topo_down
    ip netns add ms-cli
    ip netns add ms-srv
    for ns in ms-cli ms-srv; do
        ip -n $ns link set lo up
        ip netns exec $ns sysctl -qw net.mptcp.enabled=1
        ip -n $ns mptcp limits set subflows 2 add_addr_accepted 2
    done
    local i
    for i in 1 2; do
        ip link add cli$i netns ms-cli type veth peer name srv$i netns ms-srv
        ip -n ms-cli addr add 10.0.$i.1/24 dev cli$i
        ip -n ms-srv addr add 10.0.$i.2/24 dev srv$i
        ip -n ms-cli link set cli$i up
        ip -n ms-srv link set srv$i up
    done
    ip -n ms-cli mptcp endpoint add 10.0.2.1 dev cli2 subflow
    if [ $# -ge 4 ]; then
        shape ms-cli cli1 "$1" "$2"; shape ms-srv srv1 "$1" "$2"
        shape ms-cli cli2 "$3" "$4"; shape ms-srv srv2 "$3" "$4"
    fi
}

# set_sched NAME: select the scheduler for new connections in both namespaces.
set_sched() {
    in_cli sysctl -qw net.mptcp.scheduler="$1" && in_srv sysctl -qw net.mptcp.scheduler="$1"
}

# xfer OUT PORT BYTES [client args...]: one checksummed transfer client -> server; the
# client's JSON report goes to OUT. Returns the client's status (0 = byte-exact).
# XFER_SERVER_ADDR (default 0.0.0.0; :: for IPv6) and XFER_SERVER_COUNT (connections the
# server takes before exiting, default 1) adjust the server.
xfer() {
    local out=$1 port=$2 bytes=$3; shift 3
    in_srv $XFER server --addr "${XFER_SERVER_ADDR:-0.0.0.0}" --port "$port" \
        --count "${XFER_SERVER_COUNT:-1}" > /dev/null &
    local srv=$!
    wait_until 30 listening ms-srv "$port"
    in_cli $XFER client --addr 10.0.1.2 --port "$port" --bytes "$bytes" "$@" > "$out"
    local rc=$?
    wait "$srv"
    return $rc
}

# share OUT LOCAL_PREFIX: percent of the client's subflow bytes_sent from LOCAL_PREFIX.
share() {
    json "$1" "round(100.0 * sum(s.get('bytes_sent',0) for s in j['subflows'] if s['local'].startswith('$2')) / max(1, sum(s.get('bytes_sent',0) for s in j['subflows'])), 1)"
}

# bpf_cost PROG: "run_time_ns/run_cnt" of a loaded program (kernel.bpf_stats_enabled is on
# in the VM), as "<ns per call> <calls>".
bpf_cost() {
    bpftool prog show name "$1" 2>/dev/null |
        sed -n 's/.*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p' | head -n 1 |
        awk '{ if ($2 > 0) printf "%.0f %d\n", $1 / $2, $2; else print "0 0" }'
}

# gp OUT: goodput in Mbit/s of a transfer report.
gp() { json "$1" "j['goodput_mbit']"; }

# M must point at the mptcp-sched binary; stats are sampled from inside `ip netns exec`
# (whose /sys hides bpffs) by entering PID 1's mount namespace.
stats_cmd() { echo "nsenter -t 1 -m $M stats --json > $1"; }

# btf_value NAME: the value of global NAME in the `bpftool -j map dump` documents on stdin
# (maps with BTF; one or several), "" when none has it.
btf_value() {
    python3 -c '
import json, sys
def find(o):
    if isinstance(o, dict):
        if sys.argv[1] in o:
            return o[sys.argv[1]]
        o = list(o.values())
    if isinstance(o, list):
        for x in o:
            v = find(x)
            if v is not None:
                return v
    return None
text, dec, pos = sys.stdin.read(), json.JSONDecoder(), 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    v = find(doc)
    if v is not None:
        print(v)
        sys.exit(0)
print("")' "$1"
}
# rodata_value PIN NAME: the value of global NAME in a pinned .rodata map (the `rodata` pin
# of a loaded scheduler: the tunables it runs with), read by bpftool through its BTF.
rodata_value() { bpftool -j map dump pinned "$1" 2>/dev/null | btf_value "$2"; }
# bpf_global NAME: the value of global NAME in the .bss of any loaded BPF object (not
# pinned: found among all maps), 0 when none has it.
bpf_global() {
    local id v
    v=$(for id in $(bpftool -j map show | python3 -c 'import json, sys; print(" ".join(str(m["id"]) for m in json.load(sys.stdin) if m.get("name", "").endswith(".bss")))'); do
            bpftool -j map dump id "$id" 2>/dev/null
        done | btf_value "$1")
    echo "${v:-0}"
}

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The VM tests beside a busy machine (hardening issue, item 12): runs `ctest -L vm -j2`
# RUNS times in a row while a second VM, started by this script, keeps running COMMAND
# (default: tests/vm/test_schedulers.sh, BPF loads and real traffic on emulated paths;
# a bench works too) in a loop. Stops at the first failing run. One line per run on
# stdout; ctest's output and the busy VM's own logs go to BUILD_DIR/vm-beside-busy/.
#
# usage: tests/vm-beside-busy.sh BUILD_DIR [RUNS [-- COMMAND...]]   (default RUNS: 5)
set -u
usage="usage: tests/vm-beside-busy.sh BUILD_DIR [RUNS [-- COMMAND...]]"
build=$(cd "${1:?$usage}" && pwd) || exit 2
runs=${2:-5}
case $runs in
    ''|*[!0-9]*|0) echo "$usage (RUNS: a positive number)" >&2; exit 2 ;;
esac
shift $(($# < 2 ? $# : 2))
if [ "${1:-}" = "--" ]; then
    shift
    busy_cmd=("$@")
else
    busy_cmd=(tests/vm/test_schedulers.sh "$build")
fi
cd "$(dirname "$0")/.."
out=$build/vm-beside-busy
mkdir -p "$out"

# The busy VM: one guest per round of COMMAND, restarted until this script ends. Its guest
# runs in the background so that a TERM stops it at once (vmtest/run's own trap stops QEMU).
busy() {
    local n=0 guest=
    trap '[ -n "$guest" ] && kill -TERM "$guest" 2>/dev/null; wait; exit 0' TERM
    while [ ! -e "$out/busy.stop" ]; do
        n=$((n + 1))
        vmtest/run --timeout 7000 --dmesg "$out/busy.dmesg" -- "${busy_cmd[@]}" \
            > "$out/busy-$n.log" 2>&1 &
        guest=$!
        wait "$guest"
        rc=$?
        guest=
        echo "busy round $n: exit $rc" >> "$out/busy.rounds"
        # a guest that cannot start at all (vmtest/run: 125) is not retried in a tight loop
        [ "$rc" = 125 ] && { echo "busy VM could not start: see $out/busy-$n.log" >&2; break; }
    done
}
: > "$out/busy.rounds"
rm -f "$out/busy.stop"
busy_pid=
trap 'touch "$out/busy.stop"; [ -n "$busy_pid" ] && { kill -TERM "$busy_pid" 2>/dev/null; wait "$busy_pid"; }' EXIT
busy & busy_pid=$!

for i in $(seq 1 "$runs"); do
    start=$SECONDS
    ctest --test-dir "$build" -L vm -j2 --output-on-failure > "$out/run-$i.log" 2>&1
    rc=$?
    summary=$(grep -E "tests passed|tests failed" "$out/run-$i.log" | tail -n 1)
    echo "run $i/$runs: exit $rc, $((SECONDS - start)) s, ${summary:-no summary}," \
        "busy rounds so far: $(wc -l < "$out/busy.rounds")"
    [ "$rc" = 0 ] || { grep -E "\*\*\*Failed|^not ok" "$out/run-$i.log"; exit 1; }
done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vmtest/run must pass a command's exit status through, and must fail a run whose guest
# kernel log shows a WARNING even though the command succeeded. Runs on the host.
set -uo pipefail
cd "$(dirname "$0")/../.."
fail=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

vmtest/run --dmesg "$out/ok.log" -- true
rc=$?; [ "$rc" = 0 ] || { echo "FAIL: 'true' in the VM exited $rc"; fail=1; }

vmtest/run --dmesg "$out/false.log" -- sh -c 'exit 7'
rc=$?; [ "$rc" = 7 ] || { echo "FAIL: 'exit 7' in the VM exited $rc"; fail=1; }

# The guest kernel's own log must be clean on an idle boot (else every test fails).
grep -Eq 'WARNING:|BUG:' "$out/ok.log" && { echo "FAIL: idle boot log not clean"; fail=1; }

# Plant a WARNING in the guest's kernel log through /dev/kmsg; the command itself passes.
vmtest/run --dmesg "$out/planted.log" -- \
    sh -c 'echo "<4>WARNING: CPU: 0 PID: 1 at planted/by/runner-selftest.c:1 planted+0x0/0x0" > /dev/kmsg' \
    2> "$out/planted.err"
rc=$?
if [ "$rc" = 0 ]; then
    echo "FAIL: a planted WARNING did not fail the run"; fail=1
elif ! grep -q "planted/by/runner-selftest" "$out/planted.err"; then
    echo "FAIL: the runner did not show the planted WARNING line:"; cat "$out/planted.err"; fail=1
fi
grep -q "planted/by/runner-selftest" "$out/planted.log" || { echo "FAIL: dmesg not saved"; fail=1; }

# A guest that never reaches its init (here: a 1 s boot deadline no boot meets) is stopped
# and booted once more, then reported in one line: the run does not wait out --timeout.
t0=$SECONDS
VMTEST_BOOT_TIMEOUT=1 vmtest/run --timeout 600 --dmesg "$out/hang.log" -- true 2> "$out/hang.err"
rc=$?
if [ "$rc" != 125 ] || ! grep -q "booting once more" "$out/hang.err" ||
   ! grep -q "hung while booting twice" "$out/hang.err"; then
    echo "FAIL: a boot past the deadline exited $rc:"; cat "$out/hang.err"; fail=1
elif [ $(( SECONDS - t0 )) -ge 120 ]; then
    echo "FAIL: the boot deadline took $(( SECONDS - t0 )) s to act"; fail=1
fi

if [ "$fail" = 0 ]; then
    echo "runner selftest: 5 passed, 0 failed"
fi
exit $fail

#!/usr/bin/env bash
# Builds the BPF skeletons in a fresh build directory and compares them byte for byte with
# those of the build under test. Usage: check-reproducible-skeletons.sh SOURCE_DIR SKEL_DIR
set -euo pipefail
src=$1 skel=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$src" -B "$tmp/build" -DMPTCP_SCHED_TESTS=OFF >/dev/null
targets=$(cd "$skel" && ls *.skel.h | sed 's/\.skel\.h$/_skel/')
# shellcheck disable=SC2086
cmake --build "$tmp/build" --target $targets >/dev/null
status=0
for h in "$skel"/*.skel.h; do
    if cmp -s "$h" "$tmp/build/skel/$(basename "$h")"; then
        echo "identical: $(basename "$h") $(sha256sum < "$h" | cut -c1-16)"
    else
        echo "DIFFERENT: $(basename "$h")"
        status=1
    fi
done
exit $status

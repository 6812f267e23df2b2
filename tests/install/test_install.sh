#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `cmake --install` into a temporary prefix, then a tiny program built against what was
# installed only (headers, static library) runs. Usage: test_install.sh BUILD_DIR CXX LIBBPF_A
set -euo pipefail
build=$1 cxx=$2 libbpf=$3
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(mktemp -d /tmp/ms-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/mptcp-sched lib/libmptcp_sched_core.a include/mptcp_sched/base/result.h \
         include/mptcp_sched/sched_abi.h; do
    [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
# The source tree must not be needed: copy the program out of it first.
cp "$here/consumer.cpp" "$prefix/consumer.cpp"
"$cxx" -std=c++23 -Wall -Wextra -Werror -I"$prefix/include" "$prefix/consumer.cpp" \
    "$prefix/lib/libmptcp_sched_core.a" "$libbpf" -lmnl -lelf -lz -o "$prefix/consumer"
out=$("$prefix/consumer")
[ "$out" = "consumer: ok" ] || { echo "unexpected output: $out" >&2; exit 1; }
echo "$out"

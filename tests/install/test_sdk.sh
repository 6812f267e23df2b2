#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The BPF SDK as a user meets it: `cmake --install` into a temporary prefix, the installed
# `mptcp-sched new` writes a starter, and the starter builds out of tree with clang from
# the prefix alone (Makefile and CMake package), every header it includes coming from the
# prefix or the system, none from this source or build tree. Also: the installed man page,
# bash completion, systemd units, pkg-config file. No privileges, no kernel support needed.
# Usage: test_sdk.sh SOURCE_DIR BUILD_DIR [KEEP_DIR]   (KEEP_DIR: leave the starter's
# NAME.bpf.o there, for tests/vm/test_sdk.sh)
set -uo pipefail
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) keep=${3:-}
. "$src/tests/lib.sh"
tmp=$(mktemp -d /tmp/ms-sdk.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix work=$tmp/work
mkdir -p "$work"

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1
check "cmake --install into a temporary prefix" test $? = 0
for f in bin/mptcp-sched share/man/man8/mptcp-sched.8 share/bash-completion/completions/mptcp-sched \
         lib/systemd/system/mptcp-sched-apply.service lib/systemd/system/mptcp-sched-pathd.service \
         lib/pkgconfig/mptcp-sched.pc lib/cmake/mptcp-sched/mptcp-schedConfig.cmake \
         lib/cmake/mptcp-sched/MptcpSchedBpf.cmake lib/libmptcp_sched_core.a \
         include/mptcp_sched/sched_abi.h include/mptcp_sched/bpf/vmlinux.h \
         include/mptcp_sched/bpf/mptcp_sched.bpf.h include/mptcp_sched/bpf/stats_impl.bpf.h \
         include/mptcp_sched/bpf/policies.bpf.h; do
    check "  installed: $f" test -s "$prefix/$f"
done
check "  the apply unit runs the installed binary" \
    grep -qx "ExecStart=$prefix/bin/mptcp-sched apply /etc/mptcp-sched/config.json" \
    "$prefix/lib/systemd/system/mptcp-sched-apply.service"
check "  pathd's unit restarts it on failure" \
    grep -qx "Restart=on-failure" "$prefix/lib/systemd/system/mptcp-sched-pathd.service"
check "  the man page documents the commands (from their --help)" \
    sh -c "grep -q 'mptcp-sched apply' '$prefix/share/man/man8/mptcp-sched.8' && grep -q 'rr_quantum' '$prefix/share/man/man8/mptcp-sched.8'"
check "  man renders it" sh -c "MANWIDTH=80 man -l '$prefix/share/man/man8/mptcp-sched.8' 2>/dev/null | grep -q 'Write a starter scheduler'"
check "  pkg-config finds the library from the prefix" \
    sh -c "PKG_CONFIG_PATH='$prefix/lib/pkgconfig' pkg-config --cflags mptcp-sched | grep -q -- '-I$prefix/lib/pkgconfig/../../include'"
# Completion: the subcommands of the installed binary.
comp=$(bash -c ". '$prefix/share/bash-completion/completions/mptcp-sched'; COMP_WORDS=('$prefix/bin/mptcp-sched' ap); COMP_CWORD=1; _mptcp_sched; printf '%s\n' \"\${COMPREPLY[@]}\"")
check "  bash completion completes 'ap' to apply" test "$comp" = apply
comp=$(bash -c ". '$prefix/share/bash-completion/completions/mptcp-sched'; COMP_WORDS=('$prefix/bin/mptcp-sched' apply --dr); COMP_CWORD=2; _mptcp_sched; printf '%s\n' \"\${COMPREPLY[@]}\"")
check "  ... and 'apply --dr' to --dry-run" test "$comp" = --dry-run

M=$prefix/bin/mptcp-sched
cd "$work"
check "new: refuses a name with a dash (exit 2)" sh -c "'$M' new bad-name 2>/dev/null; test \$? = 2"
one=$("$M" new 9lives 2>&1 >/dev/null); rc=$?
check "new: refuses a leading digit in one line" test "$rc" = 2 -a "$(printf '%s\n' "$one" | wc -l)" = 1
out=$("$M" new ms_sdk_t --dir "$work/ms_sdk_t"); rc=$?
echo "$out" | sed 's/^/# /'
check "new ms_sdk_t writes the starter" test "$rc" = 0 -a -s "$work/ms_sdk_t/ms_sdk_t.bpf.c" \
    -a -s "$work/ms_sdk_t/Makefile" -a -s "$work/ms_sdk_t/CMakeLists.txt"
check "  it points the Makefile at the installed prefix" grep -qx "MPTCP_SCHED_PREFIX ?= $prefix" "$work/ms_sdk_t/Makefile"
echo "/* edited */" >> "$work/ms_sdk_t/ms_sdk_t.bpf.c"
sum=$(sha256sum "$work/ms_sdk_t/ms_sdk_t.bpf.c")
check "new: refuses to overwrite (exit 1, one line)" one_line_error "exists (it is never overwritten" \
    "$M" new ms_sdk_t --dir "$work/ms_sdk_t"
check "  ... and left the edited file alone" test "$(sha256sum "$work/ms_sdk_t/ms_sdk_t.bpf.c")" = "$sum"

# Out of tree, from the prefix only: the compiler's own list of headers it read.
make -C "$work/ms_sdk_t" CFLAGS="-g -O2 -Wall -Werror -MD" > "$tmp/make.log" 2>&1
rc=$?; sed 's/^/# /' "$tmp/make.log"
check "make builds ms_sdk_t.bpf.o with clang" test "$rc" = 0 -a -s "$work/ms_sdk_t/ms_sdk_t.bpf.o"
deps=$(tr ' \\' '\n\n' < "$work/ms_sdk_t/ms_sdk_t.bpf.d" | grep '\.h$' | sort -u)
check "  every header came from the prefix or the system" \
    sh -c "! printf '%s\n' \"\$1\" | grep -v -e '^$prefix/include/' -e '^/usr/include/' -e '^/usr/lib/llvm' | grep ." _ "$deps"
check "  ... none from the source or build tree" sh -c "! printf '%s\n' \"\$1\" | grep -e '^$src/' -e '^$build/'" _ "$deps"
check "  ... and the SDK's own headers from the prefix" sh -c "printf '%s\n' \"\$1\" | grep -qx '$prefix/include/mptcp_sched/bpf/stats_impl.bpf.h'" _ "$deps"
btf=$(bpftool btf dump file "$work/ms_sdk_t/ms_sdk_t.bpf.o" 2>/dev/null)
check "  the object has the statistics maps and its struct_ops" \
    sh -c "printf '%s' \"\$1\" | grep -q \"VAR 'ms_conn_state'\" && printf '%s' \"\$1\" | grep -q \"VAR 'ms_counters'\" && printf '%s' \"\$1\" | grep -q \"VAR 'ms_sdk_t_ops'\"" _ "$btf"
check "  ... and the tunables ms_stats_enabled and ms_sdk_t_burst" \
    sh -c "printf '%s' \"\$1\" | grep -q \"VAR 'ms_sdk_t_burst'\" && printf '%s' \"\$1\" | grep -q \"VAR 'ms_stats_enabled'\"" _ "$btf"

cmake -S "$work/ms_sdk_t" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/cmake.log" 2>&1 &&
    cmake --build "$tmp/cmake-build" >> "$tmp/cmake.log" 2>&1
rc=$?; sed 's/^/# /' "$tmp/cmake.log" | tail -5
check "the CMake snippet builds it through find_package(mptcp-sched)" test "$rc" = 0 -a -s "$tmp/cmake-build/ms_sdk_t.bpf.o"

# The C++ side of the package: a consumer found through find_package(mptcp-sched).
mkdir -p "$tmp/cxx"
cp "$src/tests/install/consumer.cpp" "$tmp/cxx/"
cat > "$tmp/cxx/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 23)
find_package(mptcp-sched REQUIRED)
add_executable(consumer consumer.cpp)
target_link_libraries(consumer PRIVATE mptcp_sched::mptcp_sched_core)
CM
cmake -S "$tmp/cxx" -B "$tmp/cxx/build" -DCMAKE_PREFIX_PATH="$prefix" > "$tmp/cxx.log" 2>&1 &&
    cmake --build "$tmp/cxx/build" >> "$tmp/cxx.log" 2>&1
rc=$?; tail -3 "$tmp/cxx.log" | sed 's/^/# /'
check "a C++ program links the library through find_package(mptcp-sched)" \
    sh -c "test $rc = 0 && '$tmp/cxx/build/consumer' | grep -qx 'consumer: ok'"

if [ -n "$keep" ]; then
    mkdir -p "$keep" && cp "$work/ms_sdk_t/ms_sdk_t.bpf.o" "$keep/"
fi
finish

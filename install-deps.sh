#!/usr/bin/env bash
# Installs everything mptcp-sched needs to build, test and run its VM suite, from Debian
# packages only. Idempotent and non-interactive; run as root on Debian 12 (bookworm).
#
# bookworm-backports supplies libbpf >= 1.4, bpftool >= 7.5 and Catch2 v3; it is added as a
# source at its default (low) pin, so nothing else on the system moves to backports.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: must run as root (try: sudo $0)" >&2
    exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
    echo "install-deps.sh: written for Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}" >&2
fi

export DEBIAN_FRONTEND=noninteractive
bpo=/etc/apt/sources.list.d/mptcp-sched-bookworm-backports.list
if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ \
    && ! grep -rqs '^Suites:.*bookworm-backports' /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" > "$bpo"
fi
apt-get update -qq

# Build and unit tests.
# help2man: the man page is generated from --help; dpkg-dev: `cpack -G DEB` (dpkg-shlibdeps).
base=(cmake make g++ pkg-config git clang-19 llvm-19 libelf-dev zlib1g-dev libmnl-dev
      libcli11-dev nlohmann-json3-dev help2man dpkg-dev man-db)
bpo_pkgs=(libbpf-dev bpftool catch2)
# Host tests and the lab: namespaces, veth, ss, sysctl; mptcpd to compare pathd with.
host=(iproute2 procps kmod util-linux python3 mptcpd)
# vmtest: kernel build (Debian source), QEMU runner.
vm=(flex bison bc libssl-dev libelf-dev dwarves cpio xz-utils perl qemu-system-x86)

apt-get install -y -qq --no-install-recommends "${base[@]}" "${host[@]}" "${vm[@]}"
apt-get install -y -qq --no-install-recommends -t bookworm-backports "${bpo_pkgs[@]}"
echo "install-deps.sh: done"

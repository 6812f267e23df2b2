#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mptcp-sched(8) from the CLI's own help: help2man renders `mptcp-sched --help`, and a
# COMMANDS section carries every subcommand's --help (two levels: `path endpoint`, ...), so
# the man page says exactly what the binary says.
# Usage: gen-man.sh HELP2MAN CLI VERSION OUT
set -euo pipefail
help2man=$1 cli=$2 version=$3 out=$4
inc=$(mktemp) && trap 'rm -f "$inc"' EXIT
# Run as plain `mptcp-sched` (its usage lines show argv[0], not the build directory).
export PATH="$(cd "$(dirname "$cli")" && pwd):$PATH"
cli=mptcp-sched

# subcommands HELP_TEXT: the names listed under CLI11's "Subcommands:" heading.
subcommands() { awk '/^[A-Za-z ]*[Ss]ubcommands:$/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'; }
# roff: help text as preformatted roff (backslashes escaped, no line read as a request).
roff() { sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'; }

section() {
    local name=$1; shift
    printf '.SS "mptcp-sched %s"\n.nf\n' "$name"
    "$cli" "$@" --help | roff
    printf '.fi\n'
}

{
    echo '[DESCRIPTION]'
    echo 'mptcp-sched loads BPF struct_ops MPTCP packet schedulers, selects them per network'
    echo 'namespace and per connection (rules), shows their per-connection and per-subflow'
    echo 'statistics, manages MPTCP endpoints, limits and per-source routes, runs a userspace'
    echo 'path manager, and applies a declarative configuration (apply).'
    echo '[COMMANDS]'
    for c in $("$cli" --help | subcommands); do
        section "$c" "$c"
        for s in $("$cli" "$c" --help | subcommands); do
            section "$c $s" "$c" "$s"
        done
    done
    echo '[FILES]'
    echo '.TP'
    echo '.I /etc/mptcp-sched/config.json'
    echo 'read by mptcp-sched-apply.service at boot: mptcp-sched apply FILE.'
    echo '.TP'
    echo '.I /sys/fs/bpf/mptcp-sched/'
    echo 'one directory of pins per loaded scheduler (MPTCP_SCHED_PIN_ROOT moves it).'
    echo '[ENVIRONMENT]'
    echo '.TP'
    echo '.B MPTCP_SCHED_PIN_ROOT, MPTCP_SCHED_SYSCTL_ROOT, MPTCP_SCHED_NETNS_DIR'
    echo 'the pin root, the sysctl tree and the directory of named network namespaces.'
    echo '[SEE ALSO]'
    echo '.BR ip-mptcp (8),'
    echo '.BR bpftool (8),'
    echo '.BR systemctl (1)'
} > "$inc"

"$help2man" --no-info --no-discard-stderr --section=8 --version-string="$version" \
    --name="Multipath TCP BPF packet schedulers and path policy" --include="$inc" \
    --output="$out.tmp" "$cli"
mv "$out.tmp" "$out"

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where a BPF scheduler's decisions spend their time, from `perf script` output.

usage: bpf_lines.py PERF_SCRIPT_TXT ENTRY JIT_LINES... [--top N]

Counts the samples whose call chain passes through a function whose symbol contains ENTRY
(the get_send program, e.g. minrtt_get_send), by leaf function (the program, its
subprograms, the kfuncs and helpers it calls) and, for leaves inside the JITed program,
by source line (JIT_LINES: tools/prof/bpf_jit_lines output of its programs). Under QEMU's
TCG a sample lands at the start of a translated block, so a line's count may include the
block before it: read lines as neighbourhoods, functions as exact.
"""
import bisect
import collections
import sys


def load_tables(paths):
    funcs, lines = [], []
    for path in paths:
        with open(path, errors='replace') as fh:
            for raw in fh:
                part = raw.rstrip('\n').split(' ', 3)
                if part[0] == 'FUNC' and len(part) == 4:
                    funcs.append((int(part[1], 16), int(part[2]), part[3]))
                elif part[0] == 'LINE' and len(part) >= 3:
                    lines.append((int(part[1], 16), part[2], part[3].strip() if len(part) > 3 else ''))
    lines.sort()
    return funcs, lines


def samples(path):
    """Yields each sample's call chain: [(ip, symbol), ...], leaf first."""
    chain = []
    with open(path, errors='replace') as fh:
        for raw in fh:
            if not raw.strip():
                if chain:
                    yield chain
                chain = []
                continue
            if raw[0] in ' \t':
                part = raw.split()
                if len(part) >= 2:
                    try:
                        chain.append((int(part[0], 16), part[1].split('+0x')[0]))
                    except ValueError:
                        pass
    if chain:
        yield chain


def main(argv):
    top = 40
    if '--top' in argv:
        i = argv.index('--top')
        top = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 4:
        sys.exit(__doc__.strip().split('\n\n')[1])
    script, entry, tables = argv[1], argv[2], argv[3:]
    funcs, lines = load_tables(tables)
    starts = [a for a, _, _ in lines]
    leaf, in_prog, per_line = collections.Counter(), collections.Counter(), collections.Counter()
    total = under = 0
    for chain in samples(script):
        total += 1
        if not any(entry in sym for _, sym in chain):
            continue
        under += 1
        ip, sym = chain[0]
        for start, size, name in funcs:
            if start <= ip < start + size:
                sym = name + ' (BPF)'
                in_prog[name] += 1
                i = bisect.bisect_right(starts, ip) - 1
                if i >= 0:
                    per_line[(lines[i][1], lines[i][2][:90])] += 1
                break
        leaf[sym] += 1
    if not under:
        sys.exit(f'bpf_lines: no sample of {total} passes through {entry}')
    print(f'{under} samples pass through {entry} (of {total}); by leaf function:')
    for sym, n in leaf.most_common(top):
        print(f'{n:7d} {100 * n / under:5.1f}%  {sym}')
    n_prog = sum(in_prog.values())
    print(f'\n{n_prog} of them ({100 * n_prog / under:.1f}%) in the BPF code itself; by source line:')
    for (loc, src), n in per_line.most_common(top):
        print(f'{n:7d} {100 * n / under:5.1f}%  {loc:26s} {src}')


if __name__ == '__main__':
    main(sys.argv)

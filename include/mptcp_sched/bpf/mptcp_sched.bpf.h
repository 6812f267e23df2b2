/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mptcp-sched BPF SDK: what a struct_ops mptcp_sched_ops scheduler includes.
 *
 *   #include <mptcp_sched/bpf/mptcp_sched.bpf.h>   kfuncs, subflow predicates, the stats API
 *   #include <mptcp_sched/bpf/stats_impl.bpf.h>    opt-in, once: the maps `stats` reads
 *   #include <mptcp_sched/bpf/policies.bpf.h>      optional: the built-in policies
 *   char _license[] SEC("license") = "GPL";        the program's own
 *
 * Every header here declares and never defines (no map, global or license), except
 * stats_impl.bpf.h, whose whole purpose is to define the statistics once. The pinned-map
 * names and the tunable convention are in <mptcp_sched/sched_abi.h>. `mptcp-sched new NAME`
 * writes a commented starter scheduler that builds against the installed SDK.
 */
#ifndef MPTCP_SCHED_BPF_H
#define MPTCP_SCHED_BPF_H

#include "kfuncs.bpf.h"
#include "subflow.bpf.h"
#include "stats.bpf.h"

#endif /* MPTCP_SCHED_BPF_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection state and statistics: the API. A scheduler that keeps them is shown by
 * `mptcp-sched stats` like a built-in one (per connection: policy, rule; per subflow: times
 * chosen, retransmissions, bytes sent, unsent, srtt, cwnd) and counted by `mptcp-sched list`.
 *
 * Opt in by including <mptcp_sched/bpf/stats_impl.bpf.h> once, in the scheduler's .bpf.c:
 * that header defines the maps `mptcp-sched load` pins (MS_MAP_CONN_STATE, MS_MAP_COUNTERS
 * of sched_abi.h), the tunable ms_stats_enabled and the functions declared below. Without
 * it, a call to any of them fails the build with "function 'ms_...' has internal linkage
 * but is not defined": that is the sign to include it. The policies (policies.bpf.h) use
 * this API, so a scheduler built on them includes stats_impl.bpf.h too.
 */
#ifndef MPTCP_SCHED_STATS_BPF_H
#define MPTCP_SCHED_STATS_BPF_H

#include "subflow.bpf.h"
#include <mptcp_sched/sched_abi.h>

/* Adds @n (or 1) to the per-CPU counter @c (enum ms_counter, sched_abi.h). */
static __always_inline void ms_count_n(enum ms_counter c, __u64 n);
static __always_inline void ms_count(enum ms_counter c);

/* Start of every decision: counts it and returns the connection's state, created on first
 * use with @policy as the policy that applies unless the caller decides otherwise before
 * its first choice. NULL when the storage could not be allocated: the policy still decides,
 * the decision is counted as MS_CNT_STATS_FULL. */
static __always_inline struct ms_conn_state *ms_begin(struct mptcp_sock *msk,
						      enum ms_decision kind, enum ms_policy policy);

/* Marks @sf for the core and records the choice in @st (NULL: just marks). The cost does
 * not depend on how many connections there are: no map lookup, no walk. */
static __always_inline void ms_choose(struct mptcp_sock *msk, struct ms_conn_state *st,
				      struct mptcp_subflow_context *sf, enum ms_decision kind);

/* For the init op: creates the connection's (still empty) state when the socket is made,
 * so that decisions only look it up: the allocation is paid once per connection, not in
 * its first decision. Without it, ms_begin creates the state at the first decision. */
static __always_inline void ms_init(struct mptcp_sock *msk);

/* For the release op: frees the connection's state before the socket itself goes. */
static __always_inline void ms_release(struct mptcp_sock *msk);

#endif /* MPTCP_SCHED_STATS_BPF_H */

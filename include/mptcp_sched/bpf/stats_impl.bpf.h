/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The definitions behind stats.bpf.h: include this header ONCE, in the .bpf.c of a
 * scheduler that keeps per-connection state and statistics (every built-in does). It
 * defines, in that object:
 *   - map MS_MAP_CONN_STATE (socket storage of the MPTCP socket, struct ms_conn_state) and
 *     map MS_MAP_COUNTERS (per-CPU array of enum ms_counter), which `mptcp-sched load`
 *     pins and `mptcp-sched stats` reads, so their names and layouts are sched_abi.h's;
 *   - the tunable ms_stats_enabled (MS_TUNABLE_STATS_ENABLED; `--ms_stats_enabled=false`
 *     keeps the per-connection state a policy needs, without the per-subflow rows);
 *   - the global counter ms_next_conn_id and the global function ms_stats_record.
 * The license stays with the program: this header does not define it.
 */
#ifndef MPTCP_SCHED_STATS_IMPL_BPF_H
#define MPTCP_SCHED_STATS_IMPL_BPF_H

#include "stats.bpf.h"

MS_TUNABLE(bool, ms_stats_enabled, true);

/* Per-connection state and statistics (struct ms_conn_state, sched_abi.h), in the socket
 * storage of the MPTCP socket: freed with it, never walked by a decision. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ms_conn_state);
} MS_MAP_CONN_STATE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} MS_MAP_COUNTERS SEC(".maps");

__u64 ms_next_conn_id;

static __always_inline void ms_count_n(enum ms_counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&MS_MAP_COUNTERS, &key);

	if (v)
		*v += n;
}

static __always_inline void ms_count(enum ms_counter c)
{
	ms_count_n(c, 1);
}

static __always_inline struct ms_conn_state *ms_begin(struct mptcp_sock *msk,
						      enum ms_decision kind, enum ms_policy policy)
{
	struct ms_conn_state *st;

	ms_count(kind == MS_DECISION_RETRANS ? MS_CNT_GET_RETRANS : MS_CNT_GET_SEND);

	st = bpf_sk_storage_get(&MS_MAP_CONN_STATE, msk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		ms_count(MS_CNT_STATS_FULL);
		return NULL;
	}
	if (!st->conn_id) {
		st->conn_id = __sync_fetch_and_add(&ms_next_conn_id, 1) + 1;
		st->token = msk->token;
		st->policy = policy;
		st->first_tick = bpf_jiffies64();
		ms_count(MS_CNT_CONN_NEW);
	}
	return st;
}

static __always_inline void ms_endpoint_fill(struct ms_endpoint *ep, struct sock *ssk, bool local)
{
	__u16 family = ssk->__sk_common.skc_family;

	ep->family = family;
	if (family == AF_INET6) {
		if (local)
			BPF_CORE_READ_INTO(&ep->addr, ssk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		else
			BPF_CORE_READ_INTO(&ep->addr, ssk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__be32 a = local ? ssk->__sk_common.skc_rcv_saddr : ssk->__sk_common.skc_daddr;

		__builtin_memcpy(ep->addr, &a, sizeof(a));
	}
	ep->port = local ? ssk->__sk_common.skc_num : bpf_ntohs(ssk->__sk_common.skc_dport);
}

/* Record that @sf was chosen, in the connection's own state @st: the subflow's row (found
 * by subflow id among MS_SUBFLOW_ROWS, else a free one, else the least recently chosen),
 * its counters and a snapshot of its TCP state. Decisions of one connection run under its
 * socket lock; the reader tolerates torn counters.
 *
 * A global (not inlined) function: the verifier checks it once, on its own, instead of
 * once per call site and loop iteration, which keeps schedulers that choose inside a
 * subflow loop (redundant) far below the complexity limit.
 */
__noinline int ms_stats_record(struct mptcp_subflow_context *sf __arg_trusted,
			       struct ms_conn_state *st, int kind)
{
	struct ms_subflow *row;
	struct sock *ssk;
	struct tcp_sock *tp;
	__u32 id, i, r, pick = 0;
	__u64 now, oldest = ~0ULL;

	if (!ms_stats_enabled || !st)
		return 0;
	ssk = ms_ssk(sf);
	if (!ssk)
		return 0;
	now = bpf_jiffies64();
	st->last_tick = now;

	/* Usually the row of the latest choice; else the subflow's own row, else a free one
	 * (all zero: the least recently chosen of all), else the least recently chosen.
	 * Rows are taken in order and never freed, so the rows in use come first: past the
	 * first free row no subflow has one. */
	id = sf->subflow_id;
	r = st->last_row;
	if (r >= MS_SUBFLOW_ROWS || st->sf[r].subflow_id != id) {
		r = MS_SUBFLOW_ROWS;
		for (i = 0; i < MS_SUBFLOW_ROWS; i++) {
			if (st->sf[i].subflow_id == id) {
				r = i;
				break;
			}
			if (!st->sf[i].subflow_id) {
				pick = i;
				break;
			}
			if (st->sf[i].last_tick < oldest) {
				oldest = st->sf[i].last_tick;
				pick = i;
			}
		}
	}
	if (r >= MS_SUBFLOW_ROWS) {
		if (pick >= MS_SUBFLOW_ROWS)
			return 0;
		r = pick;
		row = &st->sf[r];
		if (row->subflow_id)
			st->rows_reused++;
		__builtin_memset(row, 0, sizeof(*row));
		row->subflow_id = id;
		ms_endpoint_fill(&row->local, ssk, true);
		ms_endpoint_fill(&row->remote, ssk, false);
	}
	row = &st->sf[r];
	st->last_row = r;
	if (kind == MS_DECISION_RETRANS)
		row->chosen_retrans++;
	else
		row->chosen_send++;
	row->backup = ms_is_backup(sf);
	row->last_tick = now;
	tp = bpf_core_cast(ssk, struct tcp_sock);
	row->bytes_sent = tp->bytes_sent;
	row->srtt_us = tp->srtt_us >> 3;
	row->cwnd = tp->snd_cwnd;
	row->unsent = tp->write_seq - tp->snd_nxt;
	return 0;
}

static __always_inline void ms_choose(struct mptcp_sock *msk, struct ms_conn_state *st,
				      struct mptcp_subflow_context *sf, enum ms_decision kind)
{
	mptcp_subflow_set_scheduled(sf, true);
	if (st)
		ms_stats_record(sf, st, kind);
}

static __always_inline void ms_init(struct mptcp_sock *msk)
{
	bpf_sk_storage_get(&MS_MAP_CONN_STATE, msk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void ms_release(struct mptcp_sock *msk)
{
	struct ms_conn_state *st;

	st = bpf_sk_storage_get(&MS_MAP_CONN_STATE, msk, 0, 0);
	if (!st)
		return;
	if (st->conn_id)
		ms_count(MS_CNT_CONN_RELEASED);
	bpf_sk_storage_delete(&MS_MAP_CONN_STATE, msk);
}

#endif /* MPTCP_SCHED_STATS_IMPL_BPF_H */

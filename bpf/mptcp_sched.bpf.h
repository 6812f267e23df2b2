/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared BPF-side code of the mptcp-sched schedulers: kfunc declarations (the interface of
 * KERNEL_ABI.md), subflow predicates, per-connection state and the statistics every
 * scheduler keeps. Policies themselves are in bpf/policies.bpf.h; the files in schedulers/ bind
 * them to struct_ops.
 */
#ifndef MPTCP_SCHED_BPF_H
#define MPTCP_SCHED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "mptcp_sched/sched_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define EAGAIN 11
#define EINVAL 22

/* MPTCP_SEND_BURST_SIZE: 64 KiB minus TCP/IPv6 headers and options, as the kernel uses. */
#define MS_SEND_BURST 65428

char _license[] SEC("license") = "GPL";

/* ---- kfuncs (net/mptcp/bpf.c of the patched kernel / the MPTCP export branch) ---- */
extern void mptcp_subflow_set_scheduled(struct mptcp_subflow_context *subflow,
					bool scheduled) __ksym;
extern struct mptcp_subflow_context *bpf_mptcp_subflow_ctx(const struct sock *sk) __ksym;
extern struct sock *bpf_mptcp_subflow_tcp_sock(const struct mptcp_subflow_context *subflow) __ksym;
extern bool mptcp_subflow_active(struct mptcp_subflow_context *subflow) __ksym;
extern void mptcp_set_timeout(struct sock *sk) __ksym;
extern __u64 mptcp_wnd_end(const struct mptcp_sock *msk) __ksym;
extern bool bpf_sk_stream_memory_free(const struct mptcp_subflow_context *subflow) __ksym;
extern int bpf_iter_mptcp_subflow_new(struct bpf_iter_mptcp_subflow *it, struct sock *sk) __ksym;
extern struct mptcp_subflow_context *
bpf_iter_mptcp_subflow_next(struct bpf_iter_mptcp_subflow *it) __ksym;
extern void bpf_iter_mptcp_subflow_destroy(struct bpf_iter_mptcp_subflow *it) __ksym;

/* ---- tunables common to all schedulers (set by the loader before load) ---- */
const volatile bool ms_stats_enabled = true;

/* ---- maps ---- */
/* Per-connection state and statistics (struct ms_conn_state, sched_abi.h), in the socket
 * storage of the MPTCP socket: freed with it, never walked by a decision. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ms_conn_state);
} ms_conn_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_CNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} ms_counters SEC(".maps");

__u64 ms_next_conn_id;

static __always_inline void ms_count_n(enum ms_counter c, __u64 n)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&ms_counters, &key);

	if (v)
		*v += n;
}

static __always_inline void ms_count(enum ms_counter c)
{
	ms_count_n(c, 1);
}

/* ---- subflow predicates ---- */

/* A subflow may be marked only if the core will really push on it: active (joined, not
 * stale, TCP state allows sending) and with room in its send buffer. Marking one that
 * cannot send makes the core spin on it (the round-robin hangs reported upstream). */
static __always_inline bool ms_can_send(struct mptcp_subflow_context *sf)
{
	return mptcp_subflow_active(sf) && bpf_sk_stream_memory_free(sf);
}

/* Backup if flagged locally or if the peer asked for it (MP_PRIO / MP_JOIN B bit), the
 * same test as the kernel's default scheduler. */
static __always_inline bool ms_is_backup(struct mptcp_subflow_context *sf)
{
	return BPF_CORE_READ_BITFIELD(sf, backup) || BPF_CORE_READ_BITFIELD(sf, request_bkup);
}

static __always_inline struct tcp_sock *ms_tcp(struct mptcp_subflow_context *sf)
{
	struct sock *ssk = bpf_mptcp_subflow_tcp_sock(sf);

	return ssk ? bpf_skc_to_tcp_sock(ssk) : NULL;
}

/* ---- per-connection state and statistics ---- */

/* Start of every decision: count it and return the connection's state (created on first
 * use, with @policy as the policy that applies unless the caller decides otherwise before
 * its first choice). A NULL state (storage allocation failed) still lets the policy decide. */
static __always_inline struct ms_conn_state *ms_begin(struct mptcp_sock *msk,
						      enum ms_decision kind, enum ms_policy policy)
{
	struct ms_conn_state *st;

	ms_count(kind == MS_DECISION_RETRANS ? MS_CNT_GET_RETRANS : MS_CNT_GET_SEND);

	st = bpf_sk_storage_get(&ms_conn_state, msk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
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
 * its counters and a snapshot of its TCP state. No map lookup, no walk: the cost does not
 * depend on how many connections there are. Decisions of one connection run under its
 * socket lock; the reader tolerates torn counters.
 *
 * A global (not inlined) function: the verifier checks it once, on its own, instead of
 * once per call site and loop iteration, which keeps schedulers that choose inside a
 * subflow loop (redundant) far below the complexity limit.
 */
__noinline int ms_stats_record(struct mptcp_subflow_context *sf __arg_trusted,
			       struct ms_conn_state *st, int kind)
{
	struct ms_subflow *row = NULL;
	struct sock *ssk;
	struct tcp_sock *tp;
	__u32 id, i, pick = 0;
	__u64 now, oldest = ~0ULL;

	if (!ms_stats_enabled || !st)
		return 0;
	ssk = bpf_mptcp_subflow_tcp_sock(sf);
	if (!ssk)
		return 0;
	now = bpf_jiffies64();
	st->last_tick = now;

	/* A free row (all zero) is the least recently chosen of all. */
	id = sf->subflow_id;
	for (i = 0; i < MS_SUBFLOW_ROWS; i++) {
		if (st->sf[i].subflow_id == id) {
			row = &st->sf[i];
			break;
		}
		if (st->sf[i].last_tick < oldest) {
			oldest = st->sf[i].last_tick;
			pick = i;
		}
	}
	if (!row) {
		if (pick >= MS_SUBFLOW_ROWS)
			return 0;
		row = &st->sf[pick];
		if (row->subflow_id)
			st->rows_reused++;
		__builtin_memset(row, 0, sizeof(*row));
		row->subflow_id = id;
		ms_endpoint_fill(&row->local, ssk, true);
		ms_endpoint_fill(&row->remote, ssk, false);
	}
	if (kind == MS_DECISION_RETRANS)
		row->chosen_retrans++;
	else
		row->chosen_send++;
	row->backup = ms_is_backup(sf);
	row->last_tick = now;
	tp = bpf_skc_to_tcp_sock(ssk);
	if (tp) {
		row->bytes_sent = tp->bytes_sent;
		row->srtt_us = tp->srtt_us >> 3;
		row->cwnd = tp->snd_cwnd;
		row->unsent = tp->write_seq - tp->snd_nxt;
	}
	return 0;
}

/* Mark @sf for the core and account for it. */
static __always_inline void ms_choose(struct mptcp_sock *msk, struct ms_conn_state *st,
				      struct mptcp_subflow_context *sf, enum ms_decision kind)
{
	mptcp_subflow_set_scheduled(sf, true);
	if (st)
		ms_stats_record(sf, st, kind);
}

/* release: the connection's state and statistics go with its socket storage; deleting it
 * now frees them before the socket itself is freed. */
static __always_inline void ms_release(struct mptcp_sock *msk)
{
	struct ms_conn_state *st;

	st = bpf_sk_storage_get(&ms_conn_state, msk, 0, 0);
	if (!st)
		return;
	if (st->conn_id)
		ms_count(MS_CNT_CONN_RELEASED);
	bpf_sk_storage_delete(&ms_conn_state, msk);
}

#endif /* MPTCP_SCHED_BPF_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scheduling policies, written once and used by the schedulers in schedulers/ (and by
 * anything that dispatches between policies). Each returns 0 after marking at least one
 * subflow that can send, or -EAGAIN after marking none; it never marks a subflow that
 * ms_can_send() rejects.
 */
#ifndef MPTCP_SCHED_POLICIES_BPF_H
#define MPTCP_SCHED_POLICIES_BPF_H

#include "mptcp_sched.bpf.h"

/* Round-robin: bytes the core may push on one subflow before the turn passes. */
const volatile __u32 rr_quantum = MS_SEND_BURST;

/* The end of a single-subflow decision: @primary if there is one, else @backup (counted),
 * else nothing (counted, -EAGAIN). The chosen subflow gets a burst of @burst bytes. */
static __always_inline int ms_commit_one(struct mptcp_sock *msk, struct ms_conn_state *st,
					 enum ms_decision kind,
					 struct mptcp_subflow_context *primary,
					 struct mptcp_subflow_context *backup, __u32 burst)
{
	struct mptcp_subflow_context *sf = primary;

	if (!sf) {
		sf = backup;
		if (sf)
			ms_count(MS_CNT_BACKUP_USED);
	}
	if (!sf) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	if (st)
		st->last_subflow_id = sf->subflow_id;
	ms_set_burst(msk, burst);
	ms_choose(msk, st, sf, kind);
	return 0;
}

/*
 * Lowest smoothed RTT first. A subflow whose congestion window is full still counts, but
 * ranks after every subflow that has window room, so a saturated fast path spills onto the
 * slower one instead of queueing behind its own cwnd. Backup subflows are used only when no
 * non-backup subflow qualifies; with @strict_backup "qualifies" means "is active" rather
 * than "can send right now", so a merely full primary makes the caller wait instead of
 * leaking data onto the backup.
 */
static __always_inline int ms_pick_minrtt(struct mptcp_sock *msk, struct ms_conn_state *st,
					  enum ms_decision kind, bool strict_backup)
{
	struct mptcp_subflow_context *sf, *best = NULL, *best_bk = NULL;
	__u64 best_score = ~0ULL, best_bk_score = ~0ULL;
	bool primary_active = false;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct tcp_sock *tp;
		__u64 score;
		bool bk;

		if (!mptcp_subflow_active(sf))
			continue;
		bk = ms_is_backup(sf);
		if (!bk)
			primary_active = true;
		if (!bpf_sk_stream_memory_free(sf))
			continue;
		tp = ms_tcp(sf);
		if (!tp)
			continue;
		score = tp->srtt_us;
		if (tp->packets_out >= tp->snd_cwnd)
			score += 1ULL << 32;
		if (bk) {
			if (score < best_bk_score) {
				best_bk_score = score;
				best_bk = sf;
			}
		} else if (score < best_score) {
			best_score = score;
			best = sf;
		}
	}

	if (strict_backup && primary_active)
		best_bk = NULL;
	return ms_commit_one(msk, st, kind, best, best_bk, MS_SEND_BURST);
}

/*
 * Round-robin over the subflows that can send, in subflow-id order, one quantum per turn:
 * the next subflow is the one with the smallest id above the last one used, wrapping to the
 * smallest id. Backup subflows take turns only when no non-backup subflow can send.
 */
static __always_inline int ms_pick_rr(struct mptcp_sock *msk, struct ms_conn_state *st,
				      enum ms_decision kind)
{
	struct mptcp_subflow_context *sf, *pick[4] = {};	/* [bk*2 + wrapped] */
	__u32 pick_id[4] = { ~0U, ~0U, ~0U, ~0U };
	__u32 last = st ? st->last_subflow_id : 0;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		__u32 id = sf->subflow_id;
		int slot;

		if (!ms_can_send(sf))
			continue;
		slot = (ms_is_backup(sf) ? 2 : 0) + (id > last ? 0 : 1);
		if (slot < 0 || slot > 3)	/* bounds proof for the verifier */
			continue;
		if (id < pick_id[slot]) {
			pick_id[slot] = id;
			pick[slot] = sf;
		}
	}

	return ms_commit_one(msk, st, kind, pick[0] ?: pick[1], pick[2] ?: pick[3], rr_quantum);
}

/*
 * Redundant: every active non-backup subflow (every active backup one if there is no active
 * primary). The copies only help if every path gets each burst, so while any of those
 * subflows is active but has no send-buffer room the decision waits (-EAGAIN) instead of
 * sending on the others alone; a path that stops answering leaves the set once the kernel
 * marks it stale.
 */
static __always_inline int ms_pick_redundant(struct mptcp_sock *msk, struct ms_conn_state *st,
					     enum ms_decision kind)
{
	struct mptcp_subflow_context *sf;
	bool primary = false, full = false, marked = false;	/* flags: counts never converge */

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (!mptcp_subflow_active(sf) || ms_is_backup(sf))
			continue;
		primary = true;
		if (!bpf_sk_stream_memory_free(sf))
			full = true;
	}
	if (full) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (!ms_can_send(sf) || ms_is_backup(sf) != !primary)
			continue;
		ms_choose(msk, st, sf, kind);
		marked = true;
	}
	if (!marked) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	if (!primary)
		ms_count(MS_CNT_BACKUP_USED);
	ms_set_burst(msk, MS_SEND_BURST);
	return 0;
}

#endif /* MPTCP_SCHED_POLICIES_BPF_H */

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

#include "mptcp_sched/sched_model.h"

/* Round-robin: bytes the core may push on one subflow before the turn passes. */
const volatile __u32 rr_quantum = MS_SEND_BURST;
/* BLEST's lambda in percent: > 100 is more careful with the slower subflow (waits for the
 * fastest more often), < 100 uses it more readily. */
const volatile __u32 blest_lambda_pct = 100;

/* The burst a decision hands out: up to @max bytes, bounded by the MPTCP-level send window
 * (what the default scheduler gives). */
static __always_inline __u32 ms_burst(struct mptcp_sock *msk, __u32 max)
{
	__s64 room = (__s64)(mptcp_wnd_end(msk) - msk->snd_nxt);

	if (room < 0)
		room = 0;
	return room < max ? (__u32)room : max;
}

/* The decision model's view of a subflow (include/mptcp_sched/sched_model.h). */
static __always_inline bool ms_path_of(struct mptcp_subflow_context *sf, struct ms_path *p)
{
	struct tcp_sock *tp = ms_tcp(sf);

	if (!tp)
		return false;
	p->srtt_us = tp->srtt_us >> 3;
	p->cwnd = tp->snd_cwnd;
	p->mss = tp->mss_cache;
	p->packets_out = tp->packets_out;
	p->unsent = tp->write_seq - tp->snd_nxt;
	return true;
}

/* Commit a single-subflow decision: mark @sf with a burst of @burst bytes. */
static __always_inline int ms_commit_one(struct mptcp_sock *msk, struct ms_conn_state *st,
					 enum ms_decision kind,
					 struct mptcp_subflow_context *sf, __u32 burst)
{
	if (!sf) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	if (ms_is_backup(sf))
		ms_count(MS_CNT_BACKUP_USED);
	if (st)
		st->last_subflow_id = sf->subflow_id;
	msk->snd_burst = burst;
	ms_choose(msk, st, sf, kind);
	return 0;
}

/* What the earliest-arrival scan finds. */
struct ms_scan {
	struct mptcp_subflow_context *best;	/* earliest arrival among the eligible set */
	struct mptcp_subflow_context *fast;	/* lowest srtt among the eligible set */
	struct ms_path best_p, fast_p;
	__u64 best_t;
	__u32 fast_rtt;
};

static __always_inline void ms_scan_take(struct ms_scan *s, struct mptcp_subflow_context *sf,
					 const struct ms_path *p, __u32 burst)
{
	__u64 t = ms_path_arrival_ns(p, burst);

	if (t < s->best_t) {
		s->best_t = t;
		s->best = sf;
		s->best_p = *p;
	}
	if (p->srtt_us < s->fast_rtt) {
		s->fast_rtt = p->srtt_us;
		s->fast = sf;
		s->fast_p = *p;
	}
}

/*
 * Earliest arrival first (min-RTT with queues): among the active non-backup subflows, the
 * one where a burst handed over now would arrive first - its smoothed RTT plus the time its
 * already queued bytes need at its delivery rate (sched_model.h). A fast path that is
 * saturated therefore hands over to a slower one exactly when the slower one would deliver
 * sooner, never earlier, so a slow path never holds more than it can deliver before the
 * fast one could. If that subflow has no send-buffer room the decision waits for it
 * (-EAGAIN; the core asks again on the next ack) instead of using a later-arriving one: that
 * is what keeps bytes arriving in order. Backup subflows are the eligible set only while no
 * non-backup subflow is active (@backups_any: for retransmissions, any active subflow).
 * With @blest, a burst on a subflow slower than the fastest must also pass BLEST's
 * send-window test (ms_blest_slow_ok), else it goes to the fastest subflow or waits.
 */
static __always_inline int ms_pick_arrival(struct mptcp_sock *msk, struct ms_conn_state *st,
					   enum ms_decision kind, bool backups_any, bool blest)
{
	struct ms_scan pri = { .best_t = ~0ULL, .fast_rtt = ~0U };
	struct ms_scan bk = { .best_t = ~0ULL, .fast_rtt = ~0U };
	struct ms_scan *use;
	struct mptcp_subflow_context *sf;
	__u32 burst = ms_burst(msk, MS_SEND_BURST);

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!mptcp_subflow_active(sf) || !ms_path_of(sf, &p))
			continue;
		if (ms_is_backup(sf) && !backups_any)
			ms_scan_take(&bk, sf, &p, burst);
		else
			ms_scan_take(&pri, sf, &p, burst);
	}
	use = pri.best ? &pri : &bk;
	sf = use->best;
	if (!sf)
		return ms_commit_one(msk, st, kind, NULL, 0);
	if (blest && use->fast && sf != use->fast &&
	    !ms_blest_slow_ok(&use->fast_p, &use->best_p,
			      mptcp_wnd_end(msk) - msk->snd_nxt, burst, blest_lambda_pct)) {
		ms_count(MS_CNT_BLEST_WAITED);
		sf = use->fast;
	}
	if (!bpf_sk_stream_memory_free(sf)) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	return ms_commit_one(msk, st, kind, sf, burst);
}

/*
 * Round-robin over the subflows, in subflow-id order, one quantum per turn: the next
 * subflow is the one with the smallest id above the last one used, wrapping to the
 * smallest id. A subflow takes its turn only while it can send and still holds less than
 * one quantum unsent from earlier turns: a path that has not kept up misses turns, so on
 * unequal paths each one's share follows its capacity instead of the slowest one pacing
 * everything (and no path builds a queue that the receiver must wait for). When no subflow
 * qualifies the decision waits for acks. Backup subflows take turns only while no
 * non-backup subflow is active.
 */
static __always_inline int ms_pick_rr(struct mptcp_sock *msk, struct ms_conn_state *st,
				      enum ms_decision kind)
{
	struct mptcp_subflow_context *sf, *pick[4] = {};	/* [bk*2 + wrapped] */
	__u32 pick_id[4] = { ~0U, ~0U, ~0U, ~0U };
	__u32 last = st ? st->last_subflow_id : 0;
	__u32 quantum = rr_quantum ?: MS_SEND_BURST;
	bool primary_active = false, waiting = false;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		__u32 id = sf->subflow_id;
		struct ms_path p = {};
		bool bk;
		int slot;

		if (!mptcp_subflow_active(sf) || !ms_path_of(sf, &p))
			continue;
		bk = ms_is_backup(sf);
		if (!bk)
			primary_active = true;
		if (!bpf_sk_stream_memory_free(sf) || p.unsent >= quantum) {
			waiting = true;
			continue;
		}
		slot = (bk ? 2 : 0) + (id > last ? 0 : 1);
		if (slot < 0 || slot > 3)	/* bounds proof for the verifier */
			continue;
		if (id < pick_id[slot]) {
			pick_id[slot] = id;
			pick[slot] = sf;
		}
	}

	sf = pick[0] ?: pick[1];
	if (!sf && !primary_active)
		sf = pick[2] ?: pick[3];
	if (!sf && waiting) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	return ms_commit_one(msk, st, kind, sf, ms_burst(msk, quantum));
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
	msk->snd_burst = ms_burst(msk, MS_SEND_BURST);
	return 0;
}

#endif /* MPTCP_SCHED_POLICIES_BPF_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scheduling policies, written once and used by the schedulers in schedulers/ (and by
 * any scheduler that wants them, or dispatches between them). Each returns 0 after marking
 * at least one subflow that can send, or -EAGAIN after marking none; it never marks a
 * subflow that ms_can_send() rejects. They record their choices through the stats API
 * (stats.bpf.h), so a scheduler that calls them includes stats_impl.bpf.h once. This header
 * defines no map and no global: a policy's tunables (round-robin's quantum, BLEST's lambda)
 * are parameters, and the scheduler that calls it owns the `const volatile` globals
 * (MS_TUNABLE, sched_abi.h) it passes. The policies (ms_pick_*) are static noinline subprograms: an object
 * holds only those it calls (and reads only their tunables), and the arithmetic they share
 * (include/mptcp_sched/sched_model.h) is global functions the verifier checks once each,
 * which keeps a scheduler that dispatches between all policies (ms_rules) quick to load.
 */
#ifndef MPTCP_SCHED_POLICIES_BPF_H
#define MPTCP_SCHED_POLICIES_BPF_H

#include "mptcp_sched.bpf.h"

#include <mptcp_sched/sched_model.h>

/* A policy: a subprogram of its own, kept only by the objects that call it. */
#define MS_POLICY static __noinline __attribute__((unused))

/* Defaults of the policies' tunables. Round-robin's quantum: bytes the core may push on
 * one subflow before the turn passes. BLEST's lambda in percent: > 100 is more careful
 * with the slower subflow (waits for the fastest more often), < 100 uses it more readily. */
#define MS_RR_QUANTUM_DEFAULT MS_SEND_BURST
#define MS_BLEST_LAMBDA_PCT_DEFAULT 100

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
	__u64 now_us, delivered_us;

	if (!tp)
		return false;
	p->srtt_us = tp->srtt_us >> 3;
	p->cwnd = tp->snd_cwnd;
	p->mss = tp->mss_cache;
	p->packets_out = tp->packets_out;
	p->unsent = tp->write_seq - tp->snd_nxt;
	p->rttvar_us = tp->rttvar_us;
	/* delivered_mstamp is tcp_clock_us(), ktime_get_ns() / 1000: the clock of
	 * bpf_ktime_get_ns(). TCP also sets it when a subflow starts sending after being idle,
	 * so a subflow that just got data is not mistaken for one that stopped. */
	now_us = bpf_ktime_get_ns() / 1000;
	delivered_us = tp->delivered_mstamp;
	p->since_delivery_us = now_us > delivered_us ? now_us - delivered_us : 0;
	return true;
}

/* Nothing in flight and nothing queued. */
static __always_inline bool ms_path_idle(const struct ms_path *p)
{
	return !p->packets_out && !p->unsent;
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

/* Bytes the application has written that no subflow has taken yet. */
static __always_inline __u64 ms_backlog(struct mptcp_sock *msk)
{
	__s64 b = (__s64)(msk->write_seq - msk->snd_nxt);

	return b > 0 ? (__u64)b : 0;
}

/* What the earliest-arrival scan finds over one eligible set (primaries or backups). */
struct ms_scan {
	struct mptcp_subflow_context *best;	/* where the next segment arrives first */
	struct mptcp_subflow_context *roomy;	/* the same among those with send-buffer room */
	struct ms_path best_p, roomy_p;
	__u64 best_t, roomy_t;
};

static __always_inline void ms_scan_take(struct ms_scan *s, struct mptcp_subflow_context *sf,
					 const struct ms_path *p)
{
	__u64 t = ms_path_arrival_ns(p, p->mss);

	if (t < s->best_t) {
		s->best_t = t;
		s->best = sf;
		s->best_p = *p;
	}
	if (t < s->roomy_t && bpf_sk_stream_memory_free(sf)) {
		s->roomy_t = t;
		s->roomy = sf;
		s->roomy_p = *p;
	}
}

/* One pass over the active subflows of a set (primaries, backups, or all), keeping what it
 * finds in @out. */
enum ms_scan_set { MS_SCAN_PRIMARIES, MS_SCAN_BACKUPS, MS_SCAN_ALL };

static __always_inline void ms_scan_pass(struct mptcp_sock *msk, struct ms_scan *out,
					 enum ms_scan_set set)
{
	struct mptcp_subflow_context *sf;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!mptcp_subflow_active(sf) ||
		    (set != MS_SCAN_ALL && ms_is_backup(sf) != (set == MS_SCAN_BACKUPS)) ||
		    !ms_path_of(sf, &p))
			continue;
		ms_scan_take(out, sf, &p);
	}
}

/* A primary stops counting as one for a repair once nothing was delivered on it for its
 * stall bound (ms_path_stalled), at least this long: delayed ACKs, timer jitter. */
#define MS_STALL_FLOOR_US 100000ULL

/* The primaries' scan, or the backups' when no primary is active. With @backups_any (a
 * repair) backups count too, but only once the primary where a segment would arrive first
 * has stopped delivering: a repair leaves a dead primary at once, and a busy or lossy one
 * that still delivers keeps its data off the backups. False: nothing is active. */
static __always_inline bool ms_scan_all(struct mptcp_sock *msk, struct ms_scan *out,
					bool backups_any)
{
	out->best = out->roomy = NULL;
	out->best_t = out->roomy_t = ~0ULL;
	ms_scan_pass(msk, out, MS_SCAN_PRIMARIES);
	if (out->best && !(backups_any && ms_path_stalled(&out->best_p, MS_STALL_FLOOR_US)))
		return true;
	ms_scan_pass(msk, out, backups_any ? MS_SCAN_ALL : MS_SCAN_BACKUPS);
	return out->best != NULL;
}

/*
 * Earliest arrival first (min-RTT with queues). The next burst goes to the active
 * non-backup subflow where a segment handed over now arrives first: half its smoothed RTT
 * plus the time its queued bytes need at its delivery rate (sched_model.h), with a full
 * burst. If that subflow's send buffer is full, another subflow takes a burst only if it
 * would deliver it before the best one could have delivered its queue plus the
 * connection's backlog, and only as many bytes as fit in that time (ms_spill_budget): a
 * slow path never holds more than it can deliver before the fast one could. Otherwise
 * the decision waits (-EAGAIN; the core asks again on the next ack). Backup subflows are
 * the eligible set only while no non-backup subflow is active (@backups_any: also once
 * the best primary stopped delivering, for repairs; ms_scan_all). With @blest_lambda
 * (BLEST's lambda in percent; 0: off) a burst on a subflow other than the best must also
 * pass BLEST's send-window test (ms_blest_slow_ok), else the decision waits.
 */
MS_POLICY int ms_pick_arrival(struct mptcp_sock *msk, struct ms_conn_state *st,
				      enum ms_decision kind, bool backups_any, __u32 blest_lambda)
{
	struct ms_scan sc;
	__u32 burst = ms_burst(msk, MS_SEND_BURST);
	__u64 budget, room;

	if (!ms_scan_all(msk, &sc, backups_any))
		return ms_commit_one(msk, st, kind, NULL, 0);
	if (sc.roomy == sc.best)
		return ms_commit_one(msk, st, kind, sc.best, burst);
	if (!sc.roomy)
		goto wait;
	budget = ms_spill_budget(&sc.best_p, &sc.roomy_p, ms_backlog(msk));
	if (budget < sc.roomy_p.mss)
		goto wait;
	if (budget < burst)
		burst = (__u32)budget;
	room = mptcp_wnd_end(msk) - msk->snd_nxt;
	if (blest_lambda && !ms_blest_slow_ok(&sc.best_p, &sc.roomy_p, room, burst, blest_lambda)) {
		ms_count(MS_CNT_BLEST_WAITED);
		return -EAGAIN;
	}
	return ms_commit_one(msk, st, kind, sc.roomy, burst);
wait:
	ms_count(MS_CNT_WAITED);
	return -EAGAIN;
}

/* Round-robin bounds a subflow's turn by the spill budget only when it is not the best,
 * not idle, and more than twice as slow (srtt) as the best: paths of similar delay keep
 * plain, equal turns. */
static __always_inline bool ms_rr_bounded(struct mptcp_subflow_context *sf,
					  const struct ms_path *p, const struct ms_scan *sc)
{
	return sf != sc->best && !ms_path_idle(p) && p->srtt_us > 2 * sc->best_p.srtt_us;
}

/*
 * Round-robin over the subflows, in subflow-id order, one quantum per turn: the next
 * subflow is the one with the smallest id above the last one used, wrapping to the
 * smallest id. A subflow takes its turn only while it can send, holds less than one
 * quantum unsent from its earlier turns. A subflow more than twice as slow (srtt) as the
 * one where a segment arrives first must also deliver at least a segment before that best
 * subflow could deliver the connection's backlog, and then gets at most what it delivers
 * in that time (the bound ms_minrtt spills by; ms_rr_bounded). An idle subflow (nothing in
 * flight or queued) always takes its turn: otherwise a path whose only RTT sample is stale
 * and high would never be used again to correct it. A path that does not keep up misses turns, so on
 * unequal paths each one's share follows its capacity and no path builds a queue that the
 * receiver must wait for. When no subflow qualifies the decision waits for acks. Backup
 * subflows take turns only while no non-backup subflow is active. @rr_quantum: bytes per
 * turn (0: MS_SEND_BURST). The position is st->last_subflow_id: without state (NULL @st)
 * every turn starts over at the smallest id.
 */
MS_POLICY int ms_pick_rr(struct mptcp_sock *msk, struct ms_conn_state *st,
				 enum ms_decision kind, __u32 rr_quantum)
{
	/* next: smallest id above the last one used; first: smallest id (the wrap) */
	struct mptcp_subflow_context *sf, *next = NULL, *first = NULL;
	__u32 next_id = ~0U, first_id = ~0U;
	__u64 next_limit = ~0ULL, first_limit = ~0ULL;	/* bytes each may take (spill budget) */
	__u32 last = st ? st->last_subflow_id : 0;
	__u32 quantum = rr_quantum ?: MS_SEND_BURST, burst;
	__u64 backlog = ms_backlog(msk), limit;
	bool backups, waiting = false;
	struct ms_scan sc;

	if (!ms_scan_all(msk, &sc, false))
		return ms_commit_one(msk, st, kind, NULL, 0);
	backups = ms_is_backup(sc.best);	/* no primary is active */

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		__u32 id = sf->subflow_id;
		struct ms_path p = {};
		__u64 limit = ~0ULL;

		if (!mptcp_subflow_active(sf) || ms_is_backup(sf) != backups ||
		    !ms_path_of(sf, &p))
			continue;
		if (ms_rr_bounded(sf, &p, &sc))
			limit = ms_spill_budget(&sc.best_p, &p, backlog);
		if (!bpf_sk_stream_memory_free(sf) || p.unsent >= quantum || limit < p.mss) {
			waiting = true;
			continue;
		}
		if (id > last && id < next_id) {
			next_id = id;
			next = sf;
			next_limit = limit;
		}
		if (id < first_id) {
			first_id = id;
			first = sf;
			first_limit = limit;
		}
	}

	sf = next ?: first;
	if (!sf && waiting) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	/* a bounded subflow gets at most what it delivers in time */
	limit = next ? next_limit : first_limit;
	burst = ms_burst(msk, quantum);
	if (limit < burst)
		burst = (__u32)limit;
	return ms_commit_one(msk, st, kind, sf, burst);
}

/*
 * Redundant: every active non-backup subflow (every active backup one if there is no active
 * primary). The copies only help if every path gets each burst, so while any of those
 * subflows is active but has no send-buffer room the decision waits (-EAGAIN) instead of
 * sending on the others alone; a path that stops answering leaves the set once the kernel
 * marks it stale.
 */
MS_POLICY int ms_pick_redundant(struct mptcp_sock *msk, struct ms_conn_state *st,
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

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

/* Stall bounds' floors (ms_stall_bound_us, sched_model.h). The single-path policies move
 * data off a stalled subflow, so theirs covers delayed ACKs and timer jitter with room to
 * spare: a false alarm there re-sends data. Redundant only stops waiting for a stalled
 * subflow (the copies are on the other paths already), so it may give up sooner. */
#define MS_STALL_FLOOR_US 100000ULL
/* Redundant's floor is one RTT plus this: a subflow that had nothing in flight and sent one
 * segment hears of it after an RTT and the receiver's delayed ACK (40 ms). */
#define MS_RED_STALL_ALLOW_US 50000ULL
/* A repair is asked for only when the connection made no progress for about an RTO (its
 * retransmit timer fired): that is evidence of its own, so the stall test may be sooner. */
#ifndef MS_REPAIR_STALL_FLOOR_US
#define MS_REPAIR_STALL_FLOOR_US MS_STALL_FLOOR_US
#endif
/* A repair also re-sends what a live subflow holds when it would arrive more than four of
 * the best subflow's RTTs, at least this long, after what the best one holds (ms_path_lags):
 * a degraded path. 0: off. */
#ifndef MS_REPAIR_LAG_SLACK_US
#define MS_REPAIR_LAG_SLACK_US 100000ULL
#endif

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
	struct mptcp_subflow_context *idle;	/* one with nothing in flight or queued, and room */
	struct ms_path best_p, roomy_p;
	__u64 best_t, roomy_t;
	bool stalled;	/* an active subflow of the set was passed over: it stopped */
	bool live;	/* best is not a stalled subflow */
	struct ms_path worst_p;	/* the live subflow whose held data arrives last */
	__u64 worst_hold;
};

static __always_inline void ms_scan_take(struct ms_scan *s, struct mptcp_subflow_context *sf,
					 const struct ms_path *p, bool idle_ok)
{
	__u64 t = ms_path_arrival_ns(p, p->mss);
	bool room = bpf_sk_stream_memory_free(sf);

	if (t < s->best_t) {
		s->best_t = t;
		s->best = sf;
		s->best_p = *p;
	}
	if (t < s->roomy_t && room) {
		s->roomy_t = t;
		s->roomy = sf;
		s->roomy_p = *p;
	}
	if (!s->idle && idle_ok && room && ms_path_idle(p))
		s->idle = sf;
	t = ms_path_hold_ns(p);
	if (t > s->worst_hold) {
		s->worst_hold = t;
		s->worst_p = *p;
	}
}

/* One pass over the active subflows of a set: the primaries, the backups, or all. With
 * @stall_floor_us (0: none), subflows that stopped (ms_path_stalled with that floor) are
 * passed over, and noted. */
enum ms_scan_set { MS_SCAN_PRIMARIES, MS_SCAN_BACKUPS, MS_SCAN_ALL };

static __always_inline void ms_scan_pass(struct mptcp_sock *msk, struct ms_scan *out,
					 enum ms_scan_set set, __u64 stall_floor_us)
{
	struct mptcp_subflow_context *sf;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!mptcp_subflow_active(sf) ||
		    (set != MS_SCAN_ALL && ms_is_backup(sf) != (set == MS_SCAN_BACKUPS)) ||
		    !ms_path_of(sf, &p))
			continue;
		if (stall_floor_us && ms_path_stalled(&p, stall_floor_us)) {
			out->stalled = true;
			continue;
		}
		/* a repair goes to an idle backup only when no primary is live */
		ms_scan_take(out, sf, &p, set != MS_SCAN_ALL || !ms_is_backup(sf));
	}
}

/* The live primaries' scan, else the live backups' (@backups_any: every active subflow
 * counts as a primary). A primary that stopped is unavailable like an inactive one, so
 * backups take over as soon as every primary has stopped. Only when every active subflow
 * has stopped do they all count again (out->live false): there is nowhere better to send.
 * False: nothing is active. */
static __always_inline bool ms_scan_all(struct mptcp_sock *msk, struct ms_scan *out,
					bool backups_any, __u64 stall_floor_us)
{
	enum ms_scan_set first = backups_any ? MS_SCAN_ALL : MS_SCAN_PRIMARIES;

	out->best = out->roomy = out->idle = NULL;
	out->best_t = out->roomy_t = ~0ULL;
	out->stalled = false;
	out->worst_hold = 0;
	ms_scan_pass(msk, out, first, stall_floor_us);
	if (!out->best && !backups_any)
		ms_scan_pass(msk, out, MS_SCAN_BACKUPS, stall_floor_us);
	out->live = out->best != NULL;
	if (!out->best) {
		ms_scan_pass(msk, out, first, 0);
		if (!out->best && !backups_any)
			ms_scan_pass(msk, out, MS_SCAN_BACKUPS, 0);
	}
	if (out->stalled)
		ms_count(MS_CNT_STALLED);
	return out->best != NULL;
}

/*
 * Repair (get_retrans of the policies built on ms_pick_arrival). The core asks when the
 * connection-level retransmit timer fired: nothing was acknowledged at the MPTCP level for
 * about an RTO. If a subflow has stopped (data in flight, nothing delivered for its stall
 * bound), the data it holds will not arrive: re-send it at once on the live subflow where
 * it arrives first (a backup if every primary stopped), or wait for room there. The same
 * when what a live subflow holds would arrive far later than what the best one holds
 * (ms_path_lags: a degraded path still delivers, so it never stalls). Otherwise
 * every subflow holding data is still delivering, TCP will repair its own losses, and a
 * copy would only add load: re-send only on a subflow with nothing in flight or queued (as
 * the kernel's default does), else decline. If every subflow stopped, the earliest one with
 * room takes it.
 */
static __always_inline int ms_repair(struct mptcp_sock *msk, struct ms_conn_state *st,
				     enum ms_decision kind, bool backups_any)
{
	struct ms_scan sc;
	struct mptcp_subflow_context *sf;
	bool stuck;

	if (!ms_scan_all(msk, &sc, backups_any, MS_REPAIR_STALL_FLOOR_US))
		return ms_commit_one(msk, st, kind, NULL, 0);
	/* stopped, or so far behind (a degraded path) that its data arrives much later */
	stuck = sc.stalled || (MS_REPAIR_LAG_SLACK_US &&
			       ms_path_lags(&sc.worst_p, &sc.best_p, MS_REPAIR_LAG_SLACK_US));
	sf = sc.live && !stuck ? sc.idle : sc.roomy;
	if (!sf) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	if (sc.live && stuck)
		ms_count(MS_CNT_REINJECTED);
	return ms_commit_one(msk, st, kind, sf, ms_burst(msk, MS_SEND_BURST));
}

/* Send-buffer room kept free in a live subflow while another one has stopped with data in
 * flight: the repair of that data (ms_repair, when the retransmit timer fires) can only go
 * out on a subflow with room - the core drops a retransmission's marks on a full one and
 * waits for the next timeout - and new data sent meanwhile reaches the application only
 * after the repair anyway. */
#ifndef MS_REPAIR_RESERVE
#define MS_REPAIR_RESERVE MS_SEND_BURST
#endif

/* With MS_REPAIR_QUEUE_CAP, also at most this many bytes queued unsent in that subflow
 * meanwhile: a repair re-sent there waits behind them. 0: no cap. */
#ifndef MS_REPAIR_QUEUE_CAP
#define MS_REPAIR_QUEUE_CAP 0
#endif

/* @burst for @sf (its model @p), at most what leaves MS_REPAIR_RESERVE of its send buffer
 * free and keeps its unsent queue within MS_REPAIR_QUEUE_CAP; 0: none. */
static __always_inline __u32 ms_repair_room(struct mptcp_subflow_context *sf,
					    const struct ms_path *p, __u32 burst)
{
	struct sock *ssk = bpf_mptcp_subflow_tcp_sock(sf);
	__s64 free;

	if (MS_REPAIR_QUEUE_CAP) {
		free = (__s64)MS_REPAIR_QUEUE_CAP - p->unsent;
		if (free < (__s64)burst)
			burst = free > 0 ? (__u32)free : 0;
	}
	if (!MS_REPAIR_RESERVE)
		return burst;
	if (!ssk)
		return 0;
	free = (__s64)ssk->sk_sndbuf - ssk->sk_wmem_queued - MS_REPAIR_RESERVE;
	if (free < (__s64)burst)
		burst = free > 0 ? (__u32)free : 0;
	return burst;
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
 * the eligible set only while no non-backup subflow is active (@backups_any: any active
 * subflow, for repairs). With @blest_lambda (BLEST's lambda in percent; 0: off) a burst on
 * a subflow other than the best must also pass BLEST's send-window test
 * (ms_blest_slow_ok), else the decision waits. A subflow that stopped (ms_path_stalled:
 * data in flight, nothing delivered for twice its RTT, at least 100 ms, at most its RTO)
 * counts as unavailable until it delivers again. Retransmissions (@kind) are repairs:
 * ms_repair.
 */
MS_POLICY int ms_pick_arrival(struct mptcp_sock *msk, struct ms_conn_state *st,
				      enum ms_decision kind, bool backups_any, __u32 blest_lambda)
{
	struct ms_scan sc;
	__u32 burst = ms_burst(msk, MS_SEND_BURST);
	__u64 budget, room;

	if (kind == MS_DECISION_RETRANS)
		return ms_repair(msk, st, kind, backups_any);
	if (!ms_scan_all(msk, &sc, backups_any, MS_STALL_FLOOR_US))
		return ms_commit_one(msk, st, kind, NULL, 0);
	if (!sc.roomy)
		goto wait;
	if (sc.stalled && sc.live) {
		burst = ms_repair_room(sc.roomy, &sc.roomy_p, burst);
		if (!burst)
			goto wait;
	}
	if (sc.roomy == sc.best)
		return ms_commit_one(msk, st, kind, sc.best, burst);
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

	if (!ms_scan_all(msk, &sc, false, MS_STALL_FLOOR_US))
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
 * Redundant. The set: every active non-backup subflow that is live (not stalled: data in
 * flight and nothing delivered for twice its RTT, at least its RTT + MS_RED_STALL_ALLOW_US,
 * at most its RTO); if none is, the live backups; if none is live, every active primary
 * (else backup) as before, since there is nowhere better. The lead is the member whose
 * unsent queue leaves first; a member too far behind it (ms_path_behind: its queue leaves
 * more than four of the lead's RTTs, at least 100 ms, later) leaves the set too. The
 * copies only help if every member gets each burst, so while a member has no send-buffer
 * room the decision waits (-EAGAIN); stalled and far-behind subflows are neither waited
 * for nor marked: copies go only to the paths that keep up, and a subflow rejoins once it
 * delivers again and its queue has caught up.
 */
enum ms_red_set { MS_RED_LIVE_PRIMARY, MS_RED_LIVE_BACKUP, MS_RED_PRIMARY, MS_RED_BACKUP };

#define MS_RED_SLACK_MIN_US 100000ULL

static __always_inline bool ms_red_stalled(const struct ms_path *p)
{
	return ms_path_stalled(p, p->srtt_us + MS_RED_STALL_ALLOW_US);
}

static __always_inline bool ms_red_member(struct mptcp_subflow_context *sf, struct ms_path *p,
					  enum ms_red_set set)
{
	bool backup = ms_is_backup(sf);

	if (!mptcp_subflow_active(sf) || !ms_path_of(sf, p))
		return false;
	if (backup != (set == MS_RED_LIVE_BACKUP || set == MS_RED_BACKUP))
		return false;
	return set >= MS_RED_PRIMARY || !ms_red_stalled(p);
}

MS_POLICY int ms_pick_redundant(struct mptcp_sock *msk, struct ms_conn_state *st,
					enum ms_decision kind)
{
	struct mptcp_subflow_context *sf;
	struct ms_path lead = {};
	__u64 lead_t = ~0ULL;
	/* flags: counts never converge in the verifier's eyes */
	bool live_primary = false, live_backup = false, primary = false;
	bool full = false, marked = false, behind = false, stalled = false;
	enum ms_red_set set;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!mptcp_subflow_active(sf) || !ms_path_of(sf, &p))
			continue;
		if (ms_red_stalled(&p)) {
			stalled = true;
			if (!ms_is_backup(sf))
				primary = true;
		} else if (ms_is_backup(sf)) {
			live_backup = true;
		} else {
			live_primary = primary = true;
		}
	}
	set = live_primary ? MS_RED_LIVE_PRIMARY : live_backup ? MS_RED_LIVE_BACKUP :
	      primary ? MS_RED_PRIMARY : MS_RED_BACKUP;
	if (stalled)
		ms_count(MS_CNT_STALLED);

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};
		__u64 t;

		if (!ms_red_member(sf, &p, set))
			continue;
		t = ms_path_send_delay_ns(&p, 0);
		if (t < lead_t) {
			lead_t = t;
			lead = p;
		}
	}
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!ms_red_member(sf, &p, set))
			continue;
		if (ms_path_behind(&p, &lead, MS_RED_SLACK_MIN_US)) {
			behind = true;
			continue;
		}
		if (!bpf_sk_stream_memory_free(sf))
			full = true;
	}
	if (behind)
		ms_count(MS_CNT_RED_BEHIND);
	if (full) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!ms_red_member(sf, &p, set) || !bpf_sk_stream_memory_free(sf) ||
		    ms_path_behind(&p, &lead, MS_RED_SLACK_MIN_US))
			continue;
		ms_choose(msk, st, sf, kind);
		marked = true;
	}
	if (!marked) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	if (set == MS_RED_LIVE_BACKUP || set == MS_RED_BACKUP)
		ms_count(MS_CNT_BACKUP_USED);
	msk->snd_burst = ms_burst(msk, MS_SEND_BURST);
	return 0;
}

#endif /* MPTCP_SCHED_POLICIES_BPF_H */

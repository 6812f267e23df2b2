/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scheduling policies, written once and used by the schedulers in schedulers/ (and by
 * any scheduler that wants them, or dispatches between them). Each returns 0 after marking
 * at least one subflow that can send, or -EAGAIN after marking none; it never marks a
 * subflow that ms_can_send() rejects. They record their choices through the stats API
 * (stats.bpf.h), so a scheduler that calls them includes stats_impl.bpf.h once. This header
 * defines no map and no global: a policy's tunables (round-robin's quantum, BLEST's lambda)
 * are parameters, and the scheduler that calls it owns the `const volatile` globals
 * (MS_TUNABLE, sched_abi.h) it passes. The policies (ms_pick_*) are static noinline
 * subprograms (global ones with MS_POLICIES_GLOBAL, below): an object holds only those it
 * calls (and reads only their tunables), and the arithmetic they share
 * (include/mptcp_sched/sched_model.h) is global functions the verifier checks once each,
 * which keeps a scheduler that dispatches between all policies (ms_rules) quick to load.
 * Every policy's send decision but round-robin's starts with ms_pick_first: while a
 * connection has only its first subflow there is nothing to choose, and the decision costs
 * a few field reads.
 */
#ifndef MPTCP_SCHED_POLICIES_BPF_H
#define MPTCP_SCHED_POLICIES_BPF_H

#include "mptcp_sched.bpf.h"

#include <mptcp_sched/sched_model.h>

/* A policy: a subprogram of its own, kept only by the objects that call it. A scheduler
 * that dispatches between policies from several call sites (ms_rules) defines
 * MS_POLICIES_GLOBAL before including this header: the policies are then global functions,
 * which the verifier checks once each with any arguments, instead of once per call site
 * with that site's constants (the five sites of ms_rules exceeded the verifier's
 * 1,000,000-instruction budget). @msk is trusted (__arg_trusted) and @st may be NULL. */
#ifdef MS_POLICIES_GLOBAL
#define MS_POLICY __noinline
#else
#define MS_POLICY static __noinline __attribute__((unused))
#endif

/* Defaults of the policies' tunables. Round-robin's quantum: bytes the core may push on
 * one subflow before the turn passes. BLEST's lambda in percent: > 100 is more careful
 * with the slower subflow (waits for the fastest more often), < 100 uses it more readily. */
#define MS_RR_QUANTUM_DEFAULT MS_SEND_BURST
#define MS_BLEST_LAMBDA_PCT_DEFAULT 100
/* Interactive's tail: data segments at the end of what the application wrote that are also
 * sent on a second subflow: the last (usually short) one and the whole one before it. */
#define MS_INTERACTIVE_TAIL_SEGS_DEFAULT 2

/* Bytes the MPTCP-level send window (the receiver's buffer) still lets out. */
static __always_inline __u64 ms_wnd_room(struct mptcp_sock *msk)
{
	__s64 room = (__s64)(mptcp_wnd_end(msk) - msk->snd_nxt);

	return room > 0 ? (__u64)room : 0;
}

/* The burst a decision hands out: up to @max bytes, bounded by the MPTCP-level send window
 * (what the default scheduler gives). */
static __always_inline __u32 ms_burst(struct mptcp_sock *msk, __u32 max)
{
	__u64 room = ms_wnd_room(msk);

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
/* A repair also re-sends what a live subflow holds when the subflow is degraded (its RTT
 * more than six times its minimum and 100 ms above it) and what it holds would arrive
 * more than four of the best subflow's RTTs, at least this long, after what the best one
 * holds (ms_path_lags). 0: off. */
#ifndef MS_REPAIR_LAG_SLACK_US
#define MS_REPAIR_LAG_SLACK_US 100000ULL
#endif

/* Now, in the clock of the subflows' delivered_mstamp: tcp_clock_us(), ktime_get_ns() /
 * 1000, the clock of bpf_ktime_get_ns(). Read once per decision. */
static __always_inline __u64 ms_now_us(void)
{
	return bpf_ktime_get_ns() / 1000;
}

/* The decision model's view of a subflow (include/mptcp_sched/sched_model.h) at @now_us
 * (ms_now_us). Field reads only: no helper or kfunc call per subflow. */
static __always_inline bool ms_path_of(struct mptcp_subflow_context *sf, struct ms_path *p,
				       __u64 now_us)
{
	struct sock *ssk = ms_ssk(sf);
	struct tcp_sock *tp;
	__u64 delivered_us;
	__s64 free;

	if (!ssk)
		return false;
	tp = bpf_core_cast(ssk, struct tcp_sock);
	free = (__s64)ssk->sk_sndbuf - ssk->sk_wmem_queued;
	p->sndbuf_free = free > 0 ? (__u32)free : 0;	/* sk_sndbuf is an int */
	p->srtt_us = tp->srtt_us >> 3;
	p->cwnd = tp->snd_cwnd;
	p->mss = tp->mss_cache;
	p->packets_out = tp->packets_out;
	p->unsent = tp->write_seq - tp->snd_nxt;
	p->rttvar_us = tp->rttvar_us;
	/* ~0U until the first RTT sample */
	p->min_rtt_us = tp->rtt_min.s[0].v == ~0U ? 0 : tp->rtt_min.s[0].v;
	/* TCP also sets delivered_mstamp when a subflow starts sending after being idle, so a
	 * subflow that just got data is not mistaken for one that stopped. */
	delivered_us = tp->delivered_mstamp;
	p->since_delivery_us = now_us > delivered_us ? now_us - delivered_us : 0;
	return true;
}

/* @id took a send decision's burst: the round-robin position; a turn ends with any send
 * decision (ms_pick_rr lets one go on afterwards). A repair (@kind) is no one's turn. */
static __always_inline void ms_set_last(struct ms_conn_state *st, enum ms_decision kind,
					__u32 id)
{
	if (!st || kind == MS_DECISION_RETRANS)
		return;
	st->last_subflow_id = id;
	st->turn_bytes = ~0U;
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
	ms_set_last(st, kind, sf->subflow_id);
	msk->snd_burst = burst;
	ms_choose(msk, st, sf, kind);
	return 0;
}

/* Subflows the path manager added besides the first, counted from the moment it starts
 * making one until it is closed (mptcp_pm_data.extra_subflows; `subflows` before Linux
 * 6.18); ~0U when the kernel has neither. */
static __always_inline __u32 ms_extra_subflows(struct mptcp_sock *msk)
{
	if (bpf_core_field_exists(msk->pm.extra_subflows))
		return msk->pm.extra_subflows;
	if (bpf_core_field_exists(msk->pm.subflows))
		return msk->pm.subflows;
	return ~0U;
}

/* ms_pick_first's "decide in full". */
#define MS_MORE 1

/*
 * A connection with only its first subflow - its path manager added none - leaves nothing
 * to choose: a send decision then skips the scan and the model (most short connections
 * end before a second subflow joins, and a decision is cheapest when it reads least). The
 * first subflow takes a burst if it can send, which is what the earliest-arrival,
 * interactive and redundant policies decide with one subflow (round-robin keeps its
 * quantum and does not use this). MS_MORE: the connection may have more subflows, the first
 * cannot send (the full decision then waits or finds another, whatever the path manager's
 * count says), or this is a repair (ms_repair's rules apply to one subflow too).
 */
static __always_inline int ms_pick_first(struct mptcp_sock *msk, struct ms_conn_state *st,
					 enum ms_decision kind)
{
	struct mptcp_subflow_context *sf;

	if (kind == MS_DECISION_RETRANS || ms_extra_subflows(msk))
		return MS_MORE;
	sf = bpf_mptcp_subflow_ctx(msk->first);
	if (!sf)
		return MS_MORE;
	if (!ms_can_send(sf))
		return MS_MORE;
	return ms_commit_one(msk, st, kind, sf, ms_burst(msk, MS_SEND_BURST));
}

/* Bytes the application has written that no subflow has taken yet. */
static __always_inline __u64 ms_backlog(struct mptcp_sock *msk)
{
	__s64 b = (__s64)(msk->write_seq - msk->snd_nxt);

	return b > 0 ? (__u64)b : 0;
}

/* Fold @sf's latest TCP rate sample (in kB/s, bytes per ms; at most 2^32 - 1 kB/s, 34
 * Tbit/s) into the windowed maximum kept in @st (ms_rate_replaces) and leave that in @p's
 * rate_kBps (@p as ms_path_of filled it, at @now_us). Without @st: no measured rate (0).
 * Returns the sample (0: none). */
static __always_inline __u32 ms_rate_track(struct ms_conn_state *st,
					  struct mptcp_subflow_context *sf, struct ms_path *p,
					  __u64 now_us)
{
	struct tcp_sock *tp = ms_tcp(sf);
	struct ms_rate_slot *slot;
	__u32 id = sf->subflow_id, sample = 0;

	/* @st may be NULL: keep the compiler from taking the slot's address (which the
	 * verifier refuses on a pointer not yet checked) before the check, out of the loop */
	barrier_var(st);
	if (!st || !tp) {
		p->rate_kBps = 0;
		return 0;
	}
	if (tp->rate_interval_us) {
		__u64 kBps = (__u64)tp->rate_delivered * p->mss * 1000 / tp->rate_interval_us;

		sample = kBps > 0xffffffffULL ? 0xffffffffU : (__u32)kBps;
	}
	slot = &st->rate[id % MS_RATE_SLOTS];
	if (slot->subflow_id != id) {
		slot->subflow_id = id;
		slot->kBps = 0;
		slot->stamp_us = now_us;
	}
	/* a degraded path keeps the rate it had until it recovers: what ms_path_fell
	 * compares its samples with */
	if (ms_rate_replaces(slot->kBps, ms_path_degraded(p) ? 0 : now_us - slot->stamp_us,
			     sample, p->srtt_us)) {
		slot->kBps = sample;
		slot->stamp_us = now_us;
	}
	p->rate_kBps = slot->kBps;
	return sample;
}

/* One pass over the active subflows into @out (ms_scan_add, sched_model.h: the eligible
 * class, best, roomy, idle; worst too with MS_SCAN_WORST in @flags), as they are at
 * @now_us (ms_now_us). With @stall_floor_us (0: none), subflows that stopped
 * (ms_path_stalled with that floor) are eligible only when every active one has, and an
 * inactive subflow that stopped holding data counts as a stop too (ms_scan_add_inactive).
 * With MS_SCAN_BY_QUEUE each subflow's measured rate is kept in @st (ms_rate_track; may
 * be NULL: none) and the scan ranks by arrival with the bottleneck's queue at that rate;
 * without, no rate is read or kept (nothing would use it) and the scan ranks by the
 * smoothed-RTT model. With MS_SCAN_DEMOTE (and MS_SCAN_BY_QUEUE: the rate samples)
 * primaries that fell (ms_path_fell) rank after the backups.
 * False: nothing is active. */
static __always_inline bool ms_scan_all(struct mptcp_sock *msk, struct ms_conn_state *st,
					struct ms_scan *out, __u64 stall_floor_us, __u32 flags,
					__u64 now_us)
{
	struct mptcp_subflow_context *sf;

	ms_scan_init(out);
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};
		__u32 sample = 0, fell = 0;
		struct tcp_sock *tp;

		if (!ms_path_of(sf, &p, now_us))
			continue;
		if (flags & MS_SCAN_BY_QUEUE)
			sample = ms_rate_track(st, sf, &p, now_us);
		if (!mptcp_subflow_active(sf)) {
			ms_scan_add_inactive(out, &p, stall_floor_us);
			continue;
		}
		if (flags & MS_SCAN_DEMOTE) {
			tp = ms_tcp(sf);
			if (tp && ms_path_fell(&p, tp->rack.rtt_us, sample))
				fell = MS_SCAN_FELL;
		}
		ms_scan_add(out, &p, sf->subflow_id,
			    (ms_is_backup(sf) ? MS_SCAN_BACKUP : 0) |
			    (bpf_sk_stream_memory_free(sf) ? MS_SCAN_ROOM : 0) | flags | fell,
			    stall_floor_us);
	}
	if (out->stalled)
		ms_count(MS_CNT_STALLED);
	return ms_scan_found(out);
}

/* Commit a decision for the active subflow whose id is @id (found by a scan); none such
 * any more: no decision. */
static __always_inline int ms_commit_id(struct mptcp_sock *msk, struct ms_conn_state *st,
					enum ms_decision kind, __u32 id, __u32 burst)
{
	struct mptcp_subflow_context *sf;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (sf->subflow_id == id && mptcp_subflow_active(sf))
			return ms_commit_one(msk, st, kind, sf, burst);
	}
	return ms_commit_one(msk, st, kind, NULL, 0);
}

/* Mark the active subflows with ids @id and @id2 that can send, for a burst of @burst
 * bytes: the core sends it on the first and the same bytes again on the other, which
 * @copy_cnt (a counter) counts. */
static __always_inline int ms_commit_two(struct mptcp_sock *msk, struct ms_conn_state *st,
					 enum ms_decision kind, __u32 id, __u32 id2, __u32 burst,
					 enum ms_counter copy_cnt)
{
	struct mptcp_subflow_context *sf;
	/* flags, not a count: counts never converge in the verifier's eyes */
	bool marked = false, copied = false, backup = false;
	__u32 first = 0;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if ((sf->subflow_id != id && sf->subflow_id != id2) || !ms_can_send(sf))
			continue;
		ms_choose(msk, st, sf, kind);
		if (ms_is_backup(sf))
			backup = true;
		if (marked)
			copied = true;
		else
			first = sf->subflow_id;
		marked = true;
	}
	if (!marked)
		return ms_commit_one(msk, st, kind, NULL, 0);
	/* as ms_commit_one: a decision that used a backup, the subflow that took the burst */
	if (backup)
		ms_count(MS_CNT_BACKUP_USED);
	ms_set_last(st, kind, first);
	msk->snd_burst = burst;
	if (copied)
		ms_count(copy_cnt);
	return 0;
}

/*
 * Repair (get_retrans of the policies built on ms_pick_arrival). The core asks when the
 * connection-level retransmit timer fired: nothing was acknowledged at the MPTCP level for
 * about an RTO. If a subflow has stopped (data in flight, nothing delivered for its stall
 * bound), the data it holds will not arrive: re-send it at once on the live subflow with
 * send-buffer room where it arrives first (a backup only if every primary stopped), or wait
 * while none has room. The same when what a live subflow holds would arrive far later than
 * what the best one holds (ms_path_lags: a degraded path still delivers, so it never
 * stalls). Otherwise every
 * subflow holding data is still delivering, TCP will repair its own losses, and a copy
 * would only add load: re-send only on a subflow with nothing in flight or queued (as the
 * kernel's default does), else decline. If every subflow stopped, the earliest one with
 * room takes it.
 */
static __always_inline int ms_repair(struct mptcp_sock *msk, struct ms_conn_state *st,
				     enum ms_decision kind, struct ms_scan *sc)
{
	bool live, stuck, use_idle;

	if (!ms_scan_all(msk, st, sc, MS_REPAIR_STALL_FLOOR_US,
			 MS_SCAN_WORST | MS_SCAN_BY_QUEUE | MS_SCAN_DEMOTE, ms_now_us()))
		return ms_commit_one(msk, st, kind, NULL, 0);
	live = ms_scan_live(sc);
	/* stopped, or so far behind (a degraded path) that its data arrives much later */
	stuck = sc->stopped || (MS_REPAIR_LAG_SLACK_US &&
			       ms_path_lags(&sc->worst_p, &sc->best_p, MS_REPAIR_LAG_SLACK_US));
	use_idle = live && !stuck;
	if (use_idle ? !ms_scan_has_idle(sc) : !ms_scan_has_roomy(sc)) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	if (live && stuck)
		ms_count(MS_CNT_REINJECTED);
	return ms_commit_id(msk, st, kind, use_idle ? sc->idle_id : sc->roomy_id,
			    ms_burst(msk, MS_SEND_BURST));
}

/* Send-buffer room kept free in a live subflow while another one has stopped with data in
 * flight: the repair of that data (ms_repair) can only go out on a subflow with room - the
 * core drops a retransmission's marks on a full one and waits for the next timeout - and
 * new data sent meanwhile reaches the application only after the repair anyway. */
#ifndef MS_REPAIR_RESERVE
#define MS_REPAIR_RESERVE MS_SEND_BURST
#endif

/*
 * A send decision's scan (@sc, at @now_us) found a subflow stopped beside a live one: what
 * it holds will not arrive, and the receiver delivers nothing past it. Ask the core to
 * run the repair (get_retrans: ms_repair, which re-sends it on a live subflow) now,
 * instead of when the connection's retransmit timer fires - an RTO (at least 200 ms)
 * after its last progress, which is most of the gap an application sees when a path
 * dies. Once per stop, known by when the stopped subflow last delivered (the one that
 * stopped last, with several): later decisions see the same stop and leave the repair to
 * the timer, as without the kfunc. For a stalled (still active) subflow, only once a live
 * subflow has MS_REPAIR_RESERVE of send-buffer room (the repair goes out only where there
 * is room; a repair run without it would decline and leave the data to the timer): until
 * then the decisions keep that room back (ms_repair_room) and ask later. For an inactive
 * one no room is kept back (it may be inactive for good), so it asks at once. Needs @st
 * (where that is remembered) and a kernel with bpf_mptcp_sched_retrans_in (vmtest patch
 * 0008); without either, repairs wait for the timer. MS_ASK_REPAIR 0 turns it off (to
 * measure what it brings).
 * Before that, where the kernel has bpf_mptcp_subflow_set_stale (vmtest patch 0009), the
 * stopped subflows with a window in flight are declared stale instead (ms_mark_stale): a
 * repair run re-sends only what the live subflows' send buffers take at that moment and
 * leaves the rest to the next retransmit period, a second gap as long as the first; the
 * core's re-injection of a stale subflow's data goes on as the buffers drain (a blackholed
 * busy path: 0.54-0.73x the default's longest gap instead of 0.71-0.97x,
 * docs/bench/resilience/README.md, "stale"). MS_SET_STALE 0 turns that off.
 */
#ifndef MS_ASK_REPAIR
#define MS_ASK_REPAIR 1
#endif
#ifndef MS_SET_STALE
#define MS_SET_STALE 1
#endif

/* Segments a stopped subflow must still have out, neither acknowledged nor SACKed, to be
 * declared stale: with SACK any one of them arriving counts as a delivery, and the
 * receiver acknowledges every second one, so a whole window's ACKs silent for the stall
 * bound is a dead path, not loss. A lossy path stalls with a small window out: after
 * TCP's timeout cut it, or when the two or three ACKs of a short flight are lost (2% loss
 * both ways on two 20 Mbit/s paths declared a healthy subflow stale in some rounds with
 * 4: docs/bench/resilience/README.md, "stale"). Segments TCP marked lost still count:
 * the stall bound is at most TCP's own timeout (ms_stall_bound_us), so on a dead path
 * the timeout may mark the whole window lost just before a decision sees the stop (one
 * round in six with a second VM busy beside it). */
#ifndef MS_STALE_MIN_SEGS
#define MS_STALE_MIN_SEGS 16
#endif

/* Declares every subflow that stopped (ms_path_stalled with the send decisions' floor,
 * active or not) with at least MS_STALE_MIN_SEGS out stale
 * (bpf_mptcp_subflow_set_stale): the core re-injects the connection's unacknowledged data
 * on the other subflows through its send path, which goes on as their send buffers drain.
 * Those declared, bits MS_SF_BIT (0: none). */
static __always_inline __u32 ms_mark_stale(struct mptcp_sock *msk, __u64 now_us)
{
	struct mptcp_subflow_context *sf;
	__u32 marked = 0;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct tcp_sock *tp = ms_tcp(sf);
		struct ms_path p = {};

		if (!tp || !ms_path_of(sf, &p, now_us) || !p.srtt_us ||
		    !ms_path_stalled(&p, MS_STALL_FLOOR_US) ||
		    (__s32)(tp->packets_out - tp->sacked_out) < MS_STALE_MIN_SEGS)
			continue;
		if (!bpf_mptcp_subflow_set_stale(msk, sf))
			marked |= MS_SF_BIT(sf->subflow_id);
	}
	return marked;
}

static __always_inline void ms_ask_repair(struct mptcp_sock *msk, struct ms_conn_state *st,
					  const struct ms_scan *sc, __u64 now_us)
{
	__u64 stopped_at;
	__u32 marked;

	if (!MS_ASK_REPAIR || !sc->stopped || !ms_scan_live(sc) || !st)
		return;
	stopped_at = now_us - sc->stall_age_us;
	if (st->repair_asked_us == stopped_at)
		return;
	marked = MS_SET_STALE && bpf_ksym_exists(bpf_mptcp_subflow_set_stale) ?
			 ms_mark_stale(msk, now_us) : 0;
	if (marked) {
		st->repair_asked_us = stopped_at;
		/* all it held was re-injected: if it comes back degraded, that is done */
		st->lag_staled |= marked;
		ms_count(MS_CNT_STALE_SET);
		return;
	}
	if (!bpf_ksym_exists(bpf_mptcp_sched_retrans_in))
		return;
	if (sc->stalled && (!ms_scan_has_roomy(sc) ||
			    sc->roomy_p.sndbuf_free < MS_REPAIR_RESERVE))
		return;
	if (bpf_mptcp_sched_retrans_in(msk, 0))
		return;		/* nothing to re-send, closed, or one asked already */
	st->repair_asked_us = stopped_at;
	ms_count(MS_CNT_REPAIR_ASKED);
}

/* The scan found a primary that fell (ms_path_fell; ms_scan_add with MS_SCAN_DEMOTE)
 * while a healthy subflow is live, and what it holds would arrive far later than what
 * the best one holds (ms_hold_lags with the repairs' slack): the receiver waits for it.
 * Where the kernel has bpf_mptcp_subflow_set_stale it is declared stale, so the core
 * re-injects the connection's unacknowledged data on the live subflows at once (it
 * becomes active again with its next ACK, but ranks after the backups while it stays
 * degraded). Once until it
 * is seen live and healthy again (@st remembers it, MS_CNT_LAG_STALE counts it; a stop
 * declared stale by ms_ask_repair counts as that once): later re-injections would only
 * copy what the healthy subflows hold in flight - declared again at every ACK it
 * delivered, a degraded path beside a backup had 70-165% of the payload sent twice - and
 * the repairs' lag test (ms_repair) still re-sends what it holds afterwards. */
static __always_inline void ms_leave_degraded(struct mptcp_sock *msk, struct ms_conn_state *st,
					      const struct ms_scan *sc)
{
	struct mptcp_subflow_context *sf;
	__u32 bit = MS_SF_BIT(sc->lag_id);
	int err;

	if (!st)
		return;
	st->lag_staled &= ~sc->healthy;		/* forget those live and healthy again */
	if (!MS_SET_STALE || !MS_REPAIR_LAG_SLACK_US || !sc->lag_hold || (st->lag_staled & bit) ||
	    !ms_scan_live(sc) || (sc->degraded & MS_SF_BIT(sc->best_id)) ||
	    !bpf_ksym_exists(bpf_mptcp_subflow_set_stale) ||
	    !ms_hold_lags(sc->lag_hold, &sc->best_p, MS_REPAIR_LAG_SLACK_US))
		return;
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if ((__u8)sf->subflow_id != sc->lag_id)
			continue;
		err = bpf_mptcp_subflow_set_stale(msk, sf);
		if (!err)
			ms_count(MS_CNT_LAG_STALE);
		if (!err || err == -EALREADY)
			st->lag_staled |= bit;
		break;
	}
}

/* A send decision's scan (ms_scan_all with the single-path policies' stall floor and
 * @flags, at @now_us) and, when it finds a stop, the early repair (ms_ask_repair), or a
 * degraded subflow far behind, the stale mark (ms_leave_degraded). False: nothing is
 * active. */
static __always_inline bool ms_scan_send(struct mptcp_sock *msk, struct ms_conn_state *st,
					 struct ms_scan *sc, __u32 flags, __u64 now_us)
{
	if (!ms_scan_all(msk, st, sc, MS_STALL_FLOOR_US, flags, now_us))
		return false;
	ms_ask_repair(msk, st, sc, now_us);
	ms_leave_degraded(msk, st, sc);
	return true;
}

/* With MS_REPAIR_QUEUE_CAP, also at most this many bytes queued unsent in that subflow
 * meanwhile: a repair re-sent there waits behind them. 0: no cap. */
#ifndef MS_REPAIR_QUEUE_CAP
#define MS_REPAIR_QUEUE_CAP 0
#endif

/* @burst for a subflow (its model @p), at most what leaves MS_REPAIR_RESERVE of its send
 * buffer free and keeps its unsent queue within MS_REPAIR_QUEUE_CAP; 0: none. */
static __always_inline __u32 ms_repair_room(const struct ms_path *p, __u32 burst)
{
	__s64 free;

	if (MS_REPAIR_QUEUE_CAP) {
		free = (__s64)MS_REPAIR_QUEUE_CAP - p->unsent;
		if (free < (__s64)burst)
			burst = free > 0 ? (__u32)free : 0;
	}
	if (!MS_REPAIR_RESERVE)
		return burst;
	free = (__s64)p->sndbuf_free - MS_REPAIR_RESERVE;
	if (free < (__s64)burst)
		burst = free > 0 ? (__u32)free : 0;
	return burst;
}

/*
 * Commit a send decision's burst to the subflow with id @id (ms_commit_id), and when the
 * scan found a primary that fell (ms_path_fell) and is idle with room (MS_SCAN_DEMOTE:
 * it ranks after the backups and takes no new data of its own), the same bytes on it too
 * (MS_CNT_PROBED): without data its smoothed RTT would stay where the degradation left
 * it, and the path would never rank as healthy again once it recovers. A copy, not new
 * data: the receiver never waits for it. One burst per round trip of the degraded path
 * at most (it is idle again only once that burst is acknowledged).
 */
static __always_inline int ms_commit_probe(struct mptcp_sock *msk, struct ms_conn_state *st,
					   enum ms_decision kind, const struct ms_scan *sc,
					   __u32 id, __u32 burst)
{
	if (!sc->probe || sc->probe == id + 1)
		return ms_commit_id(msk, st, kind, id, burst);
	return ms_commit_two(msk, st, kind, id, sc->probe - 1U, burst, MS_CNT_PROBED);
}

/* ms_pick_arrival's decision for new data once @sc holds the scan, with bursts of at most
 * @burst_cap bytes (ms_pick_interactive keeps a message's tail for a decision of its own).
 * One struct ms_scan per policy, passed down: nesting policies would stack two of them and
 * pass the verifier's 512-byte stack limit. */
static __always_inline int ms_arrival_send(struct mptcp_sock *msk, struct ms_conn_state *st,
					   enum ms_decision kind, __u32 blest_lambda,
					   struct ms_scan *sc, __u32 burst_cap)
{
	__u32 burst = burst_cap < MS_SEND_BURST ? burst_cap : MS_SEND_BURST;
	__u64 room = ms_wnd_room(msk), backlog, budget;

	if (room < burst)	/* as ms_burst */
		burst = (__u32)room;
	if (!ms_scan_has_roomy(sc))
		goto wait;
	if (sc->stalled && ms_scan_live(sc)) {
		burst = ms_repair_room(&sc->roomy_p, burst);
		if (!burst)
			goto wait;
	}
	if (sc->roomy_class == MS_CLASS_PRIMARY &&
	    sc->roomy_p.unsent >= ms_unsent_cap(&sc->roomy_p, sc->deepest_rtt_us,
						2 * MS_SEND_BURST))
		goto wait;
	if (sc->roomy_id == sc->best_id)
		return ms_commit_probe(msk, st, kind, sc, sc->best_id, burst);
	backlog = ms_backlog(msk);
	budget = ms_spill_budget(&sc->best_p, &sc->roomy_p, backlog, room >= backlog);
	if (budget < sc->roomy_p.mss)
		goto wait;
	if (budget < burst)
		burst = (__u32)budget;
	if (blest_lambda && !ms_blest_slow_ok(&sc->best_p, &sc->roomy_p, room, burst, blest_lambda)) {
		ms_count(MS_CNT_BLEST_WAITED);
		return -EAGAIN;
	}
	return ms_commit_probe(msk, st, kind, sc, sc->roomy_id, burst);
wait:
	ms_count(MS_CNT_WAITED);
	return -EAGAIN;
}

/*
 * Earliest arrival first (min-RTT with queues). The next burst goes to the active
 * non-backup subflow where a segment handed over now arrives first: half its smoothed RTT
 * plus the time its queued bytes need at its delivery rate (sched_model.h), with a full
 * burst. If that subflow's send buffer is full, another subflow takes a burst only if it
 * would deliver it before the best one could have delivered its queue - plus the
 * connection's backlog while the receiver's window limits (an application that keeps
 * writing refills it) - and only as many bytes as fit in that time (ms_spill_budget): a
 * slow path never holds more than it can deliver before the fast one could. Otherwise
 * the decision waits (-EAGAIN; the core asks again on the next ack). Backup subflows are
 * the eligible set only while no non-backup subflow is active and live, for repairs too.
 * A subflow that already holds ms_unsent_cap unsent takes nothing more (the decision
 * waits): what sits in its write queue is committed to it, and a repair waits behind it.
 * A subflow that shows a standing queue (its smoothed RTT, or the bytes it has in flight
 * at its measured rate: ms_path_queued) ranks by its measured rate instead
 * (ms_path_queue_arrival_ns), and so counts in that budget unless the receiver's window
 * limits.
 * With @blest_lambda (BLEST's lambda in percent; 0: off) a burst on a subflow other than
 * the best must also pass BLEST's send-window test (ms_blest_slow_ok), else the decision
 * waits. A subflow that stopped (ms_path_stalled: data in flight, nothing delivered for
 * twice its RTT, at least 100 ms, at most its RTO) counts as unavailable until it
 * delivers again. Retransmissions (@kind) are repairs: ms_repair.
 */
MS_POLICY int ms_pick_arrival(struct mptcp_sock *msk __arg_trusted, struct ms_conn_state *st,
			      enum ms_decision kind, __u32 blest_lambda)
{
	struct ms_scan sc;
	int ret = ms_pick_first(msk, st, kind);

	if (ret != MS_MORE)
		return ret;
	if (kind == MS_DECISION_RETRANS)
		return ms_repair(msk, st, kind, &sc);
	if (!ms_scan_send(msk, st, &sc, MS_SCAN_BY_QUEUE | MS_SCAN_DEMOTE, ms_now_us()))
		return ms_commit_one(msk, st, kind, NULL, 0);
	return ms_arrival_send(msk, st, kind, blest_lambda, &sc, MS_SEND_BURST);
}

/*
 * Round-robin over the subflows, in subflow-id order, one quantum per turn: the next
 * subflow is the one with the smallest id above the last one used, wrapping to the
 * smallest id. A turn is a quantum of bytes, not a decision: when the application had
 * written less than the burst (the backlog, not the window or a bound, cut it short), the
 * same subflow goes on with the rest of its quantum at the next decision, so writes of
 * about a quantum do not hand one subflow every write's body and the next one the few
 * bytes left over. A subflow takes its turn only while it can send, holds less than one
 * quantum unsent from its earlier turns. A subflow more than twice as slow (srtt) as the
 * one where a segment arrives first - or any other subflow while the receiver's window is
 * smaller than the connection's backlog - must also deliver at least a segment before that
 * best subflow could deliver the backlog (as much of it as the window lets out), and then
 * gets at most what it delivers in that time (the bound ms_minrtt spills by;
 * ms_rr_limit): a quantum on a slow path must not hold a small window that the fast one
 * could have used. While the window limits, its turn must also leave the best one the
 * room it fills until the turn's data ack is back (ms_wnd_hold_ok), or it misses the
 * turn. An idle subflow (nothing in flight or queued) always takes its turn: otherwise a
 * path whose only RTT sample is stale and high would never be used again to correct it.
 * A path that does not keep up misses turns, so on unequal paths each one's share follows
 * its capacity and no path builds a queue that the receiver must wait for.
 * When no subflow qualifies the decision waits for acks. Backup subflows take turns only
 * while no non-backup subflow is active and delivering (the scan's eligible class); within
 * that set a stopped subflow is not skipped, it just fails to keep up and misses its
 * turns. @rr_quantum: bytes per turn (0: MS_SEND_BURST). The position is
 * st->last_subflow_id: without state (NULL @st) every turn starts over at the smallest id.
 */
MS_POLICY int ms_pick_rr(struct mptcp_sock *msk __arg_trusted, struct ms_conn_state *st,
			 enum ms_decision kind, __u32 rr_quantum)
{
	struct mptcp_subflow_context *sf;
	__u32 last = st ? st->last_subflow_id : 0;
	__u32 quantum = rr_quantum ?: MS_SEND_BURST, burst, id;
	/* bytes of @last's turn given so far: less than a quantum, it goes on (the ids from
	 * @last up are tried first) */
	__u32 used = st ? st->turn_bytes : ~0U;
	__u32 from = last && used < quantum ? last - 1 : last;
	/* what the best subflow could be busy with: the backlog, as far as the window lets */
	__u64 backlog = ms_backlog(msk), limit, room = ms_wnd_room(msk);
	__u64 waiting_bytes = room < backlog ? room : backlog;
	__u32 wnd_flag = waiting_bytes < backlog ? MS_RR_WND_LIMITED : 0;
	bool waiting = false, goes_on;
	struct ms_rr_pick pick;
	struct ms_scan sc;
	__u64 now_us;
	int ret;

	now_us = ms_now_us();
	/* ranked by smoothed RTTs: the turn limits (ms_rr_limit) take the best for the fast
	 * path, and ranked by queue the best turned to the deep path whenever the fast one
	 * queued (50 + 50 Mbit/s 4 + 100 ms, one BDP: 0.83x against 0.99x;
	 * docs/bench/sweep/README.md) */
	if (!ms_scan_send(msk, st, &sc, 0, now_us))
		return ms_commit_one(msk, st, kind, NULL, 0);

	ms_rr_init(&pick);
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		id = sf->subflow_id;
		if (!mptcp_subflow_active(sf) || !ms_scan_eligible(&sc, ms_is_backup(sf)) ||
		    !ms_path_of(sf, &p, now_us))
			continue;
		limit = ms_rr_limit(&p, &sc.best_p, wnd_flag | (id == sc.best_id ? MS_RR_BEST : 0),
				    waiting_bytes, quantum);
		if (!bpf_sk_stream_memory_free(sf) || p.unsent >= quantum || limit < p.mss) {
			waiting = true;
			continue;
		}
		ms_rr_add(&pick, id, from, limit);
	}

	id = ms_rr_choice(&pick, &limit);
	if (id == ~0U && waiting) {
		ms_count(MS_CNT_WAITED);
		return -EAGAIN;
	}
	goes_on = id == last && used < quantum;
	/* a bounded subflow gets at most what it delivers in time */
	burst = ms_burst(msk, goes_on ? quantum - used : quantum);
	if (limit < burst)
		burst = (__u32)limit;
	ret = ms_commit_id(msk, st, kind, id, burst);
	if (!ret && st && backlog < burst)
		st->turn_bytes = (goes_on ? used : 0) + (__u32)backlog;
	return ret;
}

/* Payload bytes in a full data segment of a subflow whose MSS is @mss: the MSS less the
 * MPTCP DSS option every data segment carries (a 64-bit mapping, and a 32- or 64-bit data
 * ack as the peer uses: 24 or 28 bytes aligned, a checksum included). */
static __always_inline __u32 ms_data_seg(struct mptcp_sock *msk, __u32 mss)
{
	__u32 opt = msk->use_64bit_ack ? 28 : 24;

	return mss > opt + 64 ? mss - opt : (mss ?: 1400);
}

/*
 * Interactive. Data goes where it arrives first, as ms_pick_arrival places it, except the
 * tail of what the application has written: once only its last @tail_segs data segments
 * (ms_tail_bytes: the last one may be short) are left to send, they go on the subflow
 * where they arrive first and the same bytes on the runner-up (the second-earliest
 * subflow with room of the same set: never a backup while a primary is live). The body's
 * bursts stop short of the tail, on whole segments, so each message's tail is decided on
 * its own and cutting it off adds no short segment. A loss in the body is found by the
 * segments after it (SACK, RACK) within about an RTT; a lost tail has nothing after it and
 * waits for a probe or an RTO (two RTTs to hundreds of ms): that is what the copy covers,
 * for @tail_segs segments of each message written. 0: no copies (ms_pick_arrival).
 * Repairs as ms_pick_arrival.
 */
MS_POLICY int ms_pick_interactive(struct mptcp_sock *msk __arg_trusted, struct ms_conn_state *st,
				  enum ms_decision kind, __u32 tail_segs)
{
	__u64 backlog = ms_backlog(msk), tail;
	struct ms_scan sc;
	__u32 burst, seg, cap;
	int ret = ms_pick_first(msk, st, kind);

	if (ret != MS_MORE)
		return ret;
	if (kind == MS_DECISION_RETRANS)
		return ms_repair(msk, st, kind, &sc);
	if (!ms_scan_send(msk, st, &sc, MS_SCAN_BY_QUEUE | MS_SCAN_DEMOTE, ms_now_us()))
		return ms_commit_one(msk, st, kind, NULL, 0);
	seg = ms_data_seg(msk, sc.best_p.mss);
	tail = ms_tail_bytes(backlog, seg, tail_segs);
	if (!tail)
		return ms_arrival_send(msk, st, kind, 0, &sc, MS_SEND_BURST);
	/* the body: stop short of the tail, in bursts of whole segments */
	cap = seg < MS_SEND_BURST ? MS_SEND_BURST - MS_SEND_BURST % seg : MS_SEND_BURST;
	if (backlog > tail)
		return ms_arrival_send(msk, st, kind, 0, &sc,
				       backlog - tail < cap ? (__u32)(backlog - tail) : cap);
	/* Only the tail is left. Its best subflow is full, or has no runner-up: as
	 * ms_pick_arrival (which may spill to another or wait). */
	burst = ms_burst(msk, (__u32)backlog);
	if (!burst || !ms_scan_has_roomy(&sc) || sc.roomy_id != sc.best_id ||
	    !ms_scan_has_second(&sc))
		return ms_arrival_send(msk, st, kind, 0, &sc, MS_SEND_BURST);
	return ms_commit_two(msk, st, kind, sc.best_id, sc.second_id, burst, MS_CNT_TAIL_COPIED);
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
					  enum ms_red_set set, __u64 now_us)
{
	bool backup = ms_is_backup(sf);

	if (!mptcp_subflow_active(sf) || !ms_path_of(sf, p, now_us))
		return false;
	if (backup != (set == MS_RED_LIVE_BACKUP || set == MS_RED_BACKUP))
		return false;
	return set >= MS_RED_PRIMARY || !ms_red_stalled(p);
}

MS_POLICY int ms_pick_redundant(struct mptcp_sock *msk __arg_trusted, struct ms_conn_state *st,
					enum ms_decision kind)
{
	struct mptcp_subflow_context *sf;
	struct ms_path lead = {};
	__u64 lead_t = ~0ULL;
	/* flags: counts never converge in the verifier's eyes */
	bool live_primary = false, live_backup = false, primary = false;
	bool full = false, marked = false, behind = false, stalled = false;
	enum ms_red_set set;
	int ret = ms_pick_first(msk, st, kind);
	__u64 now_us;

	if (ret != MS_MORE)
		return ret;
	now_us = ms_now_us();
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!mptcp_subflow_active(sf) || !ms_path_of(sf, &p, now_us))
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

		if (!ms_red_member(sf, &p, set, now_us))
			continue;
		t = ms_path_send_delay_ns(&p, 0);
		if (t < lead_t) {
			lead_t = t;
			lead = p;
		}
	}
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct ms_path p = {};

		if (!ms_red_member(sf, &p, set, now_us))
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

		if (!ms_red_member(sf, &p, set, now_us) || !bpf_sk_stream_memory_free(sf) ||
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arithmetic of the schedulers' decisions, as pure functions over plain numbers:
 * included by the BPF schedulers (mptcp_sched/bpf/policies.bpf.h fills struct ms_path from a subflow)
 * and by the C++ unit tests, which check the decisions on hand-made paths. Integer
 * arithmetic only (BPF has no floating point); every division guards its divisor.
 *
 * The model of one subflow ("path") at decision time:
 *   - a new byte handed to it now leaves the sender after the bytes already queued in it
 *     and not yet sent, minus what its congestion window still lets out at once;
 *   - bytes leave at its delivery rate, cwnd * mss per srtt (what the window lets through
 *     per round trip);
 *   - it then reaches the receiver half a round trip later.
 * arrival = send delay + srtt / 2 is the time a burst handed to the subflow now would take
 * to arrive. Giving each burst to the subflow where it arrives first keeps consecutive
 * bytes arriving in order, which is both lowest latency and least reordering.
 */
#ifndef MPTCP_SCHED_SCHED_MODEL_H
#define MPTCP_SCHED_SCHED_MODEL_H

#ifdef __bpf__
/* Global functions: the verifier checks each once, on its own, rather than at every call
 * site inside the schedulers' subflow loops (which made loading slow); their pointer
 * arguments are never NULL. */
#define MS_MODEL_FN __noinline
#define MS_NONNULL __arg_nonnull
#else
#include <linux/types.h>
#define MS_MODEL_FN static inline
#define MS_NONNULL
#endif

#define MS_NSEC_PER_USEC 1000ULL
#define MS_USEC_PER_SEC 1000000ULL

struct ms_path {
	__u32 srtt_us;		/* smoothed RTT in us (0: no sample yet) */
	__u32 cwnd;		/* congestion window, segments */
	__u32 mss;		/* bytes per segment */
	__u32 packets_out;	/* segments in flight */
	__u32 unsent;		/* bytes queued in the subflow, not yet sent */
	__u32 rttvar_us;	/* TCP's RTT variance term (rttvar_us): RTO = srtt + rttvar */
	__u64 since_delivery_us;	/* us since an ACK or SACK last delivered data on it, or
				 * since it began sending after being idle (tcp delivered_mstamp) */
};

/* Delivery rate in bytes per second: one congestion window per round trip; 0 = unknown
 * (no RTT sample yet), otherwise at least 1. */
MS_MODEL_FN __u64 ms_path_rate(const struct ms_path *p MS_NONNULL)
{
	__u64 window = (__u64)p->cwnd * p->mss, rate;

	if (!p->srtt_us)
		return 0;
	if (window > ~0ULL / MS_USEC_PER_SEC)	/* keep the product in 64 bits */
		rate = window / p->srtt_us * MS_USEC_PER_SEC;
	else
		rate = window * MS_USEC_PER_SEC / p->srtt_us;
	return rate ? rate : 1;
}

/* ns until a burst of @burst bytes handed over now would have left the sender completely. */
MS_MODEL_FN __u64 ms_path_send_delay_ns(const struct ms_path *p MS_NONNULL, __u32 burst)
{
	__u64 window = (__u64)p->cwnd * p->mss, inflight = (__u64)p->packets_out * p->mss;
	__u64 free_now = window > inflight ? window - inflight : 0;
	__u64 backlog = (__u64)p->unsent + burst;
	__u64 rate = ms_path_rate(p);

	if (backlog <= free_now || !rate)	/* !rate: no RTT sample, probe it first */
		return 0;
	/* backlog < 2^33 (u32 unsent + u32 burst), so the product stays below 2^63 */
	return (backlog - free_now) * (MS_NSEC_PER_USEC * MS_USEC_PER_SEC) / rate;
}

/* ns until the last byte of a @burst handed over now arrives at the receiver. */
MS_MODEL_FN __u64 ms_path_arrival_ns(const struct ms_path *p MS_NONNULL, __u32 burst)
{
	return ms_path_send_delay_ns(p, burst) + (__u64)p->srtt_us * MS_NSEC_PER_USEC / 2;
}

/* Bytes @p delivers in @ns at its delivery rate. */
MS_MODEL_FN __u64 ms_path_bytes_in(const struct ms_path *p MS_NONNULL, __u64 ns)
{
	__u64 us = ns / MS_NSEC_PER_USEC, rate = ms_path_rate(p);

	/* us * rate stays in 64 bits for intervals up to 16 s at rates up to 1 TB/s */
	if (us > 16 * MS_USEC_PER_SEC)
		us = 16 * MS_USEC_PER_SEC;
	if (rate > (1ULL << 40))
		rate = 1ULL << 40;
	return us * rate / MS_USEC_PER_SEC;
}

/*
 * How many bytes @cand may take so that they all arrive before @best - the subflow where
 * the next segment arrives first, but whose send buffer is full - could have delivered what
 * is waiting for it: its own queue plus the connection's @backlog (bytes written by the
 * application and not yet handed to any subflow). The backlog is what makes a second path
 * worth using: if the best path alone will be busy with it for longer than @cand needs to
 * deliver a burst, the burst on @cand arrives earlier than it would have on @best. It is
 * also the bound that keeps @cand from holding bytes the receiver would wait for. ECF
 * (Lim et al., CoNEXT 2017) asks the same question in round trips. 0: do not use @cand.
 */
MS_MODEL_FN __u64 ms_spill_budget(const struct ms_path *best MS_NONNULL, const struct ms_path *cand MS_NONNULL,
				  __u64 backlog)
{
	__u64 best_done, cand_start;

	if (backlog > 0xffffffffULL)
		backlog = 0xffffffffULL;
	best_done = ms_path_arrival_ns(best, (__u32)backlog);
	cand_start = ms_path_arrival_ns(cand, 0);
	if (best_done <= cand_start)
		return 0;
	return ms_path_bytes_in(cand, best_done - cand_start);
}

/*
 * BLEST's test (Ferlin, Alay, Mehani, Boreli: "BLEST: Blocking Estimation-based MPTCP
 * Scheduler for Heterogeneous Networks", IFIP Networking 2016), in arrival-time form:
 * a burst on the slower subflow @slow occupies the connection's send window until it
 * arrives; meanwhile the fastest subflow @fast would send
 *     X = lambda * (bytes @fast delivers during @slow's arrival time)
 * (the paper: MSS_f * (CWND_f + (rtt_s/rtt_f - 1) / 2) * rtt_s/rtt_f, the window @fast
 * sends per RTT, growing by one segment per RTT, over rtt_s/rtt_f of its RTTs). If X does
 * not fit in the window left after the burst, using @slow would block @fast (head-of-line
 * blocking at the receiver): better to wait for @fast. @wnd_room is the MPTCP-level send
 * window left (wnd_end - snd_nxt), @lambda_pct the paper's lambda in percent.
 * Returns true when @slow may take the burst.
 */
MS_MODEL_FN bool ms_blest_slow_ok(const struct ms_path *fast MS_NONNULL, const struct ms_path *slow MS_NONNULL,
				  __u64 wnd_room, __u32 burst, __u32 lambda_pct)
{
	__u64 t_slow = ms_path_arrival_ns(slow, burst);
	__u64 x, growth = 0;

	x = ms_path_bytes_in(fast, t_slow);
	/* cwnd growth in congestion avoidance: +1 segment per fast RTT over those RTTs */
	if (fast->srtt_us) {
		__u64 rtts = t_slow / ((__u64)fast->srtt_us * MS_NSEC_PER_USEC);

		if (rtts > 64)
			rtts = 64;
		if (rtts)
			growth = (__u64)fast->mss * rtts * (rtts - 1) / 2;
	}
	x = (x + growth) * lambda_pct / 100;
	return wnd_room > burst && x <= wnd_room - burst;
}

/*
 * Failure detection. A subflow with data in flight on which nothing has been delivered (no
 * ACK or SACK of new data) for longer than its stall bound has stopped: a blackholed path,
 * an interface gone. The bound is twice its smoothed RTT - on a working path with data in
 * flight an ACK comes back within about one RTT, delayed ACKs and a loss repaired by fast
 * retransmit or the tail-loss probe included - but at least @floor_us (delayed ACKs of a
 * single segment, scheduling jitter, paths whose RTT sample is tiny) and at most the
 * subflow's RTO (srtt + rttvar, before backoff): by then TCP itself has declared the flight
 * lost. Loss and a deep queue on a working path do not trigger it: ACKs and SACKs keep
 * delivering meanwhile.
 */
MS_MODEL_FN __u64 ms_stall_bound_us(const struct ms_path *p MS_NONNULL, __u64 floor_us)
{
	__u64 bound = 2ULL * p->srtt_us, rto = (__u64)p->srtt_us + p->rttvar_us;

	if (bound < floor_us)
		bound = floor_us;
	if (p->srtt_us && rto < bound)
		bound = rto;
	return bound;
}

MS_MODEL_FN bool ms_path_stalled(const struct ms_path *p MS_NONNULL, __u64 floor_us)
{
	return p->packets_out && p->since_delivery_us > ms_stall_bound_us(p, floor_us);
}

#endif /* MPTCP_SCHED_SCHED_MODEL_H */

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
/* A few comparisons that a decision makes for every subflow: inlined, as a global call
 * costs more than they do (docs/bench/cost/README.md, "Where a decision's time goes"). */
#define MS_MODEL_INLINE static __always_inline
#else
#include <linux/types.h>
#define MS_MODEL_FN static inline
#define MS_NONNULL
#define MS_MODEL_INLINE static inline
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
	__u32 min_rtt_us;	/* the lowest RTT sample of the last minutes (TCP's rtt_min; 0: none) */
	__u32 rate_kBps;	/* its measured delivery rate in kB/s (1000 bytes): the windowed
				 * maximum of TCP's rate samples (ms_rate_replaces); 0: none */
	__u32 sndbuf_free;	/* bytes its send buffer can still take (sk_sndbuf - queued) */
	__u64 since_delivery_us;	/* us since an ACK or SACK last delivered data on it, or
				 * since it began sending after being idle (tcp delivered_mstamp) */
};

/* Delivery rate in bytes per second: one congestion window per round trip, but never more
 * than the path's measured rate (rate_kBps, where kept): a window per smoothed RTT runs
 * ahead of a path whose window grew faster than its RTT followed, or whose smoothed RTT
 * dipped for a sample while its bottleneck still held a queue - at 75 + 25 Mbit/s,
 * 4 + 100 ms it read 58 Mbit/s on the 25 Mbit/s path, which was then handed 1.2 MB it
 * delivered half a second later, and the fast path idled behind it
 * (docs/bench/sweep/README.md). 0 = unknown (no RTT sample yet), otherwise at least 1. */
MS_MODEL_FN __u64 ms_path_rate(const struct ms_path *p MS_NONNULL)
{
	__u64 window = (__u64)p->cwnd * p->mss, rate;

	if (!p->srtt_us)
		return 0;
	if (window > ~0ULL / MS_USEC_PER_SEC)	/* keep the product in 64 bits */
		rate = window / p->srtt_us * MS_USEC_PER_SEC;
	else
		rate = window * MS_USEC_PER_SEC / p->srtt_us;
	if (p->rate_kBps && rate > (__u64)p->rate_kBps * 1000)
		rate = (__u64)p->rate_kBps * 1000;
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

/*
 * The measured delivery rate is a windowed maximum of TCP's rate samples (tcp_rate.c:
 * segments delivered over the interval they took, one sample per ACK), as BBR keeps its
 * bottleneck bandwidth: a sample replaces the kept maximum when it is at least as high, or
 * when the maximum is older than MS_RATE_WINDOW_RTTS smoothed RTTs (at least
 * MS_RATE_WINDOW_MIN_US). A path given less than it could carry samples what it was given,
 * so the maximum keeps what it delivered when it was busy; one whose capacity fell forgets
 * the old rate within the window. Whether @sample replaces @max, kept @age_us ago.
 */
#define MS_RATE_WINDOW_RTTS 10
#define MS_RATE_WINDOW_MIN_US 200000ULL

static inline bool ms_rate_replaces(__u32 max, __u64 age_us, __u32 sample, __u32 srtt_us)
{
	__u64 window = (__u64)MS_RATE_WINDOW_RTTS * srtt_us;

	if (window < MS_RATE_WINDOW_MIN_US)
		window = MS_RATE_WINDOW_MIN_US;
	return sample && (sample >= max || age_us > window);
}

/*
 * Arrival with the bottleneck's queue counted. ms_path_arrival_ns's only queue signal is
 * the smoothed RTT, a round trip late, and its rate (a window per smoothed RTT) runs ahead
 * of the path while the window grows faster than the RTT follows: at 50 + 50 Mbit/s,
 * 4 + 20 ms RTT with a one-BDP receive window the 4 ms path held the whole window (srtt
 * 20 ms: its own queue) while the idle 20 ms path ranked behind it by a stale srtt; at
 * 90 + 10 Mbit/s a 10 Mbit/s path read 18-20 Mbit/s and took bursts that arrived a round
 * trip later than estimated, which the receiver waited for (docs/bench/sweep/README.md).
 * Here a path's bottleneck holds what the path was given (in flight and unsent, plus
 * @burst) beyond one bandwidth-delay product at its measured rate (rate_kBps) and lowest
 * RTT; the burst's last byte waits for that to drain, then half the lowest RTT. That moves
 * with every byte handed over.
 *
 * Only for a path with data in flight that shows a standing queue (a bottleneck queue of
 * one BDP doubles the RTT): its smoothed RTT is more than MS_QUEUE_RTT_X times its lowest,
 * or it has more than MS_QUEUE_RTT_X bandwidth-delay products (at its measured rate and
 * lowest RTT) in flight. Not every path: a path the window starves samples a rate below
 * its capacity, and under load an RTT sits above its lowest by processing delay alone, so
 * the held bytes over that rate would read as a queue that is not there, and an idle path
 * would rank at half its lowest RTT beside a busy one at half its smoothed RTT (with the
 * model for every path, 75 + 25 and 90 + 10 Mbit/s at 4 + 4 ms moved 11-15% of the bytes
 * to the slower path, for 0.71-0.98x of the goodput that ranking by srtt had). Not the
 * smoothed RTT alone: it shows the queue a round trip late, and a deep path in slow start
 * doubles what it holds every round trip - at 75 + 25 Mbit/s, 4 + 100 ms it went from 0.4
 * to 1.3 MB in flight in 0.3 s at a smoothed RTT of 104-204 ms, ranked first at half of
 * that, and the transfer waited for it (with both tests and ms_spill_budget's, 90 + 10
 * Mbit/s 4 + 100 ms went from 0.91x to 0.99x the default: docs/bench/sweep/README.md).
 * Otherwise, and without a rate sample or a lowest RTT, ms_path_arrival_ns.
 */
#define MS_QUEUE_RTT_X 2

static inline bool ms_path_queued(const struct ms_path *p)
{
	/* kB/s * us / 1000 = bytes; a product of two u32 fits in 64 bits */
	__u64 bdp = (__u64)p->rate_kBps * p->min_rtt_us / 1000;

	return p->rate_kBps && p->min_rtt_us && p->packets_out &&
	       (p->srtt_us > (__u64)MS_QUEUE_RTT_X * p->min_rtt_us ||
		(__u64)p->packets_out * p->mss > MS_QUEUE_RTT_X * bdp);
}

MS_MODEL_FN __u64 ms_path_queue_arrival_ns(const struct ms_path *p MS_NONNULL, __u32 burst)
{
	__u64 held = (__u64)p->packets_out * p->mss + p->unsent + burst;
	__u64 pipe_ns = (__u64)p->min_rtt_us * MS_NSEC_PER_USEC, drain_ns;

	if (!ms_path_queued(p))
		return ms_path_arrival_ns(p, burst);
	/* held < 2^34: the product stays below 2^54 */
	if (held > (1ULL << 34))
		held = 1ULL << 34;
	drain_ns = held * MS_USEC_PER_SEC / p->rate_kBps;	/* ns = bytes / (kB/s) * 1e6 */
	return (drain_ns > pipe_ns ? drain_ns - pipe_ns : 0) + pipe_ns / 2;
}

/* Bytes delivered in @ns at @rate bytes per second. */
static inline __u64 ms_bytes_at(__u64 ns, __u64 rate)
{
	__u64 us = ns / MS_NSEC_PER_USEC;

	/* us * rate stays in 64 bits for intervals up to 16 s at rates up to 1 TB/s */
	if (us > 16 * MS_USEC_PER_SEC)
		us = 16 * MS_USEC_PER_SEC;
	if (rate > (1ULL << 40))
		rate = 1ULL << 40;
	return us * rate / MS_USEC_PER_SEC;
}

/* Bytes @p delivers in @ns at its delivery rate. */
MS_MODEL_FN __u64 ms_path_bytes_in(const struct ms_path *p MS_NONNULL, __u64 ns)
{
	return ms_bytes_at(ns, ms_path_rate(p));
}

/* Bytes @p delivers in @ns: at its measured rate where ms_path_queue_arrival_ns drains
 * by it, else ms_path_bytes_in. */
MS_MODEL_FN __u64 ms_path_queue_bytes_in(const struct ms_path *p MS_NONNULL, __u64 ns)
{
	if (!ms_path_queued(p))
		return ms_path_bytes_in(p, ns);
	return ms_bytes_at(ns, (__u64)p->rate_kBps * 1000);
}

/*
 * How many bytes @cand may take so that they all arrive before @best - the subflow where
 * the next segment arrives first, but whose send buffer is full - could have delivered what
 * is waiting for it: its own queue plus the connection's @backlog (bytes written by the
 * application and not yet handed to any subflow). The backlog is what makes a second path
 * worth using: if the best path alone will be busy with it for longer than @cand needs to
 * deliver a burst, the burst on @cand arrives earlier than it would have on @best. It is
 * also the bound that keeps @cand from holding bytes the receiver would wait for. ECF
 * (Lim et al., CoNEXT 2017) asks the same question in round trips.
 *
 * With @by_queue (the caller's word that the receiver's window does not limit) both paths'
 * times and @cand's bytes count their bottleneck queues at the measured rate where a path
 * shows one (ms_path_queued, ms_path_queue_arrival_ns): at 90 + 10 Mbit/s, 4 + 4 ms with
 * an autotuned buffer that took minrtt from 0.95-1.00x to 1.01-1.07x the default in two
 * runs. And then only what @best already holds counts, not the backlog: an application
 * that keeps writing refills the backlog, so the backlog let a deep path fill until its
 * queue took as long as the fast path's whole send buffer (at 75 + 25 Mbit/s, 4 + 100 ms:
 * 1.3-1.5 MB in flight, srtt 400-500 ms, where the default keeps ~600 kB and 190 ms), and
 * the end of every transfer - and any loss on that path - waited for it (0.95x the
 * default there over 29 rounds, 0.99x without it over 22). Not while the
 * window limits: there the fast path's samples read what the window let it carry
 * (75 + 25 Mbit/s 4 + 4 ms, one-BDP buffer: 1.36x with the queue model against 1.45x), and
 * the backlog it cannot send is what the second path is for (docs/bench/sweep/README.md).
 * 0: do not use @cand.
 */
MS_MODEL_FN __u64 ms_spill_budget(const struct ms_path *best MS_NONNULL, const struct ms_path *cand MS_NONNULL,
				  __u64 backlog, __u32 by_queue)
{
	__u64 best_done, cand_start;

	if (backlog > 0xffffffffULL)
		backlog = 0xffffffffULL;
	if (!by_queue) {
		best_done = ms_path_arrival_ns(best, (__u32)backlog);
		cand_start = ms_path_arrival_ns(cand, 0);
		return best_done > cand_start ? ms_path_bytes_in(cand, best_done - cand_start) : 0;
	}
	best_done = ms_path_queue_arrival_ns(best, 0);
	cand_start = ms_path_queue_arrival_ns(cand, 0);
	return best_done > cand_start ? ms_path_queue_bytes_in(cand, best_done - cand_start) : 0;
}

/*
 * Bytes a subflow @p may hold unsent in its own write queue before a send decision waits
 * instead of handing it more: what it sends in the deepest live path's lowest RTT
 * (@deepest_rtt_us, so a fast path can still cover a deep one's round trip), at least
 * @floor (the caller's two bursts). Bytes in a subflow's write queue are committed to it:
 * when it stops, a repair of what it held goes out behind what the other subflows hold
 * unsent. On two 20 Mbit/s, 20 ms paths each subflow held ~520 kB unsent (210 ms) when one
 * died, and the repair waited behind it: with the cap the longest receive gap fell from
 * 0.73-0.83x to 0.67-0.71x the default's, a third less was re-sent and goodput rose from
 * 1.02-1.08x to 1.07-1.10x; at nine sweep points it stayed within the rounds' spread
 * (docs/bench/resilience/README.md, "recheck-18").
 */
MS_MODEL_FN __u64 ms_unsent_cap(const struct ms_path *p MS_NONNULL, __u32 deepest_rtt_us,
				__u64 floor)
{
	__u64 cap = ms_bytes_at((__u64)deepest_rtt_us * MS_NSEC_PER_USEC, ms_path_rate(p));

	return cap > floor ? cap : floor;
}

/* A path is degraded when its smoothed RTT is more than this many times the lowest RTT it
 * showed (TCP's rtt_min, a minimum over five minutes), and more than MS_DEGRADED_MIN_US
 * above it: its delay jumped, or its rate fell and a queue built up. A healthy path under
 * bulk load stays below: a bottleneck queue of one BDP doubles its RTT, two triple it, and
 * the smoothed RTT overshoots that while the window grows - at 4x, a healthy 10 Mbit/s
 * 100 ms path beside a 4 ms one passed the test in some rounds and re-sent up to 14% of a
 * transfer (docs/bench/sweep/README.md, "counters"). The absolute margin is for paths whose
 * lowest RTT is a few ms, where a queue of tens of ms is already many times it (a
 * 10 Mbit/s path at 4 ms with its bottleneck's queue full: ~40 ms); taking such a path for
 * degraded re-sent healthy data (ms_path_lags). */
#define MS_DEGRADED_RTT_X 6
#define MS_DEGRADED_MIN_US 100000ULL

static inline bool ms_rtt_degraded(const struct ms_path *p, __u32 rtt_us)
{
	return p->min_rtt_us && rtt_us > (__u64)MS_DEGRADED_RTT_X * p->min_rtt_us &&
	       rtt_us > p->min_rtt_us + MS_DEGRADED_MIN_US;
}

MS_MODEL_INLINE bool ms_path_degraded(const struct ms_path *p)
{
	return ms_rtt_degraded(p, p->srtt_us);
}

/*
 * "This path fell": degraded by its RTT - the smoothed one, or its latest sample
 * @rtt_sample_us (TCP's RACK RTT) if higher - and its latest delivery rate sample
 * (@rate_sample_kBps) below a quarter of its measured rate (rate_kBps, the windowed
 * maximum). What a send decision ranks after the backups (MS_SCAN_FELL). The RTT alone
 * does not say it: a primary whose own bulk transfer fills a deep bottleneck queue has
 * an RTT many times its lowest and still delivers at its full rate (rate-only shaping,
 * 20 Mbit/s with a 100-packet queue: with the RTT alone 39-61% of the bytes went to the
 * backup). The latest sample says it a few ACKs before the smoothed RTT (which moves an
 * eighth of the way per sample): a path back from its pause at 86 ms smoothed took 230 kB
 * more before the smoothed RTT read "degraded". But one late sample does not say it
 * alone: the smoothed RTT must also be above MS_FELL_SRTT_X times the lowest. A segment
 * repaired after a loss gives RACK a late sample while the rate samples of the recovery
 * are low (at 3% loss a healthy 20 Mbit/s path had a sample past 120 ms: vm_bench's
 * lossy check, interactive made a lag mark and a probe); a path that fell passes it
 * within a sample (20 -> 400 ms: 67 ms smoothed after the first).
 */
#define MS_FELL_SRTT_X 2

MS_MODEL_INLINE bool ms_path_fell(const struct ms_path *p, __u32 rtt_sample_us,
			      __u32 rate_sample_kBps)
{
	__u32 rtt = rtt_sample_us > p->srtt_us ? rtt_sample_us : p->srtt_us;

	return p->srtt_us > (__u64)MS_FELL_SRTT_X * p->min_rtt_us && ms_rtt_degraded(p, rtt) &&
	       p->rate_kBps && (__u64)rate_sample_kBps * 4 < p->rate_kBps;
}

/* Whether @x bytes fit in the send window @wnd_room once a burst of @burst bytes has
 * taken its share. */
static inline bool ms_wnd_fits(__u64 wnd_room, __u32 burst, __u64 x)
{
	return wnd_room > burst && x <= wnd_room - burst;
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
	return ms_wnd_fits(wnd_room, burst, x);
}

/*
 * Whether a burst of @burst bytes on @slow leaves the connection's window to @fast: the
 * burst takes its share of @wnd_room (the MPTCP-level send window left) from when it is
 * sent until its data ack is back at the sender - its arrival on @slow
 * (ms_path_arrival_ns) and the ack's way back, half a round trip - and meanwhile @fast
 * goes on sending at its rate. If that does not fit in the room
 * left after the burst, the window closes and the connection stops until the ack comes
 * (a timeline of 50 + 50 Mbit/s 4 + 100 ms with a one-BDP window: ~100 ms without
 * goodput after every such burst). BLEST's test (above) asks the same up to the burst's
 * arrival only; for the window the round trip counts.
 */
MS_MODEL_FN bool ms_wnd_hold_ok(const struct ms_path *fast MS_NONNULL, const struct ms_path *slow MS_NONNULL,
				__u64 wnd_room, __u32 burst)
{
	__u64 t = ms_path_arrival_ns(slow, burst) + (__u64)slow->srtt_us * MS_NSEC_PER_USEC / 2;

	return ms_wnd_fits(wnd_room, burst, ms_path_bytes_in(fast, t));
}

/*
 * Failure detection. A subflow with data in flight on which nothing has been delivered (no
 * ACK or SACK of new data) for longer than its stall bound has stopped: a blackholed path,
 * an interface gone, a path whose delay jumped far beyond what its RTT said. The bound is
 * twice its smoothed RTT - on a working path with data in flight an ACK comes back within
 * about one RTT, delayed ACKs and a loss repaired by fast retransmit or the tail-loss probe
 * included - but at least @floor_us (delayed ACKs of a single segment, scheduling jitter,
 * paths whose RTT sample is tiny) and at most the subflow's RTO (srtt + rttvar, before
 * backoff): by then TCP itself has declared the flight lost. Loss and jitter on a working
 * path do not trigger it: SACKs keep delivering while the losses are repaired.
 */
MS_MODEL_INLINE __u64 ms_stall_bound_us(const struct ms_path *p, __u64 floor_us)
{
	__u64 bound = 2ULL * p->srtt_us, rto = (__u64)p->srtt_us + p->rttvar_us;

	if (bound < floor_us)
		bound = floor_us;
	if (p->srtt_us && rto < bound)
		bound = rto;
	return bound;
}

MS_MODEL_INLINE bool ms_path_stalled(const struct ms_path *p, __u64 floor_us)
{
	return p->packets_out && p->since_delivery_us > ms_stall_bound_us(p, floor_us);
}

/*
 * Redundant's "too far behind to wait for": @p's unsent queue needs more time to leave the
 * sender than that of @lead (the member of the set with the shortest one) plus four of
 * @lead's smoothed RTTs (at least @slack_min_us): the copies it would carry arrive so long
 * after those on @lead that they no longer hide a loss there (@lead repairs one within
 * about an RTT, or an RTO), and waiting for @p's send buffer would pace every path at @p's
 * rate. The slack is wide on purpose: a member left out carries no copy of what is sent
 * meanwhile, so a passing imbalance between working paths must not count.
 */
MS_MODEL_FN bool ms_path_behind(const struct ms_path *p MS_NONNULL,
				const struct ms_path *lead MS_NONNULL, __u64 slack_min_us)
{
	__u64 slack = 4ULL * lead->srtt_us > slack_min_us ? 4ULL * lead->srtt_us : slack_min_us;

	return ms_path_send_delay_ns(p, 0) >
	       ms_path_send_delay_ns(lead, 0) + slack * MS_NSEC_PER_USEC;
}

/* ns until everything @p holds (in flight and unsent) has arrived, at its delivery rate. */
MS_MODEL_FN __u64 ms_path_hold_ns(const struct ms_path *p MS_NONNULL)
{
	__u64 held = (__u64)p->packets_out * p->mss + p->unsent, rate = ms_path_rate(p);

	if (!rate)
		return 0;
	/* held < 2^33 (u32 * u32 + u32 is not, so bound it: 16 GB is "forever") */
	if (held > (1ULL << 34))
		held = 1ULL << 34;
	return held * (MS_NSEC_PER_USEC * MS_USEC_PER_SEC) / rate +
	       (__u64)p->srtt_us * MS_NSEC_PER_USEC / 2;
}

/*
 * A repair's "the data there will come far too late": @p is degraded (ms_path_degraded) and
 * what it holds needs longer to arrive than what @best holds by more than four of @best's
 * RTTs (at least @slack_min_us). A path that degraded (its rate fell, its delay rose) still
 * delivers, so it never stalls, but the receiver waits for what it holds; re-sent on @best
 * it arrives sooner. A healthy path that is merely deeper than @best (100 ms beside 4 ms)
 * holds a window that arrives that much later by nature, and TCP delivers it: re-sending it
 * would only cost the fast path its capacity, so the test needs the RTT to say "degraded".
 */
MS_MODEL_FN bool ms_hold_lags(__u64 hold_ns, const struct ms_path *best MS_NONNULL,
			      __u64 slack_min_us)
{
	__u64 slack = 4ULL * best->srtt_us > slack_min_us ? 4ULL * best->srtt_us : slack_min_us;

	return hold_ns > ms_path_hold_ns(best) + slack * MS_NSEC_PER_USEC;
}

MS_MODEL_FN bool ms_path_lags(const struct ms_path *p MS_NONNULL,
			      const struct ms_path *best MS_NONNULL, __u64 slack_min_us)
{
	return ms_path_degraded(p) && ms_hold_lags(ms_path_hold_ns(p), best, slack_min_us);
}

/*
 * The earliest-arrival scan (ms_pick_arrival, ms_pick_interactive; ms_pick_rr takes its
 * set, primaries or backups, from it) over a connection's active subflows, one at a time.
 * Each subflow falls in a class, and only the lowest class present is eligible: live
 * primaries, else live backups (a backup carries data only while no primary is active and
 * delivering), else - with MS_SCAN_DEMOTE - primaries that fell, else - when every active
 * subflow has stopped - the stopped primaries, else the stopped backups: there is nowhere
 * better to send. Within the
 * eligible class the scan keeps the subflow where a segment handed over now arrives first
 * (best), the same among those with send-buffer room (roomy) and the runner-up to it
 * (second), the first idle one with room (idle: nothing in flight or queued), and, when
 * asked (MS_SCAN_WORST), the one whose held data arrives last (worst).
 *
 * Subflows are kept by id (subflow_id), never by pointer, and the accumulation is a global
 * function: in the BPF schedulers the loop over subflows then carries no state the
 * verifier must follow from one iteration to the next (it converges after two), where
 * pointers and path copies kept in the loop made it explore millions of states.
 */
enum ms_class {
	MS_CLASS_PRIMARY,		/* live: not stopped */
	MS_CLASS_BACKUP,
	MS_CLASS_DEGRADED,		/* a live primary that fell (MS_SCAN_DEMOTE) */
	MS_CLASS_STALLED_PRIMARY,	/* stopped (ms_path_stalled) */
	MS_CLASS_STALLED_BACKUP,
	MS_CLASS_NONE,			/* nothing found */
};

/* Bytes, not words: the scan lives on the BPF stack of every policy (512 bytes in all). */
struct ms_scan {
	__u8 best_class, roomy_class, idle_class, worst_class;	/* MS_CLASS_NONE: none */
	__u8 second_class;	/* the runner-up to roomy among those with room */
	__u8 stalled;		/* an active subflow has stopped, of any class: a stopped backup
				 * too holds data that needs repairing */
	__u8 stopped;		/* a subflow has stopped, active (stalled) or not: the data it
				 * holds needs repairing */
	/* With MS_SCAN_DEMOTE: live primaries ranked after the backups for being degraded
	 * (ms_scan_add) and those whose smoothed RTT is not degraded (healthy), bits
	 * MS_SF_BIT; of the degraded
	 * ones, the one that holds the most (lag_id: the subflow_id's low byte; its
	 * ms_path_hold_ns, lag_hold; 0: none holds anything) and the first one that is idle
	 * with send-buffer room (probe: its subflow_id + 1; 0: none). */
	__u8 degraded, healthy, lag_id, probe;
	__u32 best_id, roomy_id, idle_id, second_id;	/* subflow ids */
	__u32 deepest_rtt_us;	/* the highest min_rtt_us of the live non-backup subflows */
	__u64 stall_age_us;	/* with stopped: since_delivery_us of the one that stopped last */
	__u64 best_t, roomy_t, second_t;	/* their arrival times, ns */
	__u64 worst_hold;	/* ms_path_hold_ns of worst */
	__u64 lag_hold;
	struct ms_path best_p, roomy_p, worst_p;
};

/* A subflow's bit in the scan's and the connection's masks of subflows (8 bits: MPTCP
 * allows 8 subflows at a time; ids that collide share a bit). */
#define MS_SF_BIT(id) (1U << ((id) & 7))

MS_MODEL_FN int ms_scan_init(struct ms_scan *s MS_NONNULL)
{
	__builtin_memset(s, 0, sizeof(*s));
	s->best_class = s->roomy_class = s->idle_class = s->worst_class = MS_CLASS_NONE;
	s->second_class = MS_CLASS_NONE;
	s->best_t = s->roomy_t = s->second_t = ~0ULL;
	return 0;
}

/* Nothing in flight and nothing queued. */
static inline bool ms_path_idle(const struct ms_path *p)
{
	return !p->packets_out && !p->unsent;
}

/* Does (@cls, @t) come before (@have_cls, @have_t): a lower class, or the same one sooner? */
static inline bool ms_scan_before(__u32 cls, __u64 t, __u32 have_cls, __u64 have_t)
{
	return cls < have_cls || (cls == have_cls && t < have_t);
}

/* A subflow that stopped (@p), active or not: its data needs repairing. */
static inline void ms_scan_note_stop(struct ms_scan *s, const struct ms_path *p)
{
	if (!s->stopped || p->since_delivery_us < s->stall_age_us)
		s->stall_age_us = p->since_delivery_us;
	s->stopped = 1;
}

/* A subflow that is not active (it cannot send: its interface went down and TCP cut its
 * MSS to nothing, the kernel marked it stale, it is closing) is no candidate, but if it
 * stopped with data in flight (ms_path_stalled with @stall_floor_us) that data needs
 * repairing as much as a live one's: it is a stop (stopped), though not `stalled` - it
 * takes no class and live subflows keep no room back for it (a stale subflow stays so
 * for good). One that never had an RTT sample is not a stop: a join whose SYN is in
 * flight (it has delivered nothing yet, ever). */
MS_MODEL_FN int ms_scan_add_inactive(struct ms_scan *s MS_NONNULL,
				     const struct ms_path *p MS_NONNULL, __u64 stall_floor_us)
{
	if (stall_floor_us && p->srtt_us && ms_path_stalled(p, stall_floor_us))
		ms_scan_note_stop(s, p);
	return 0;
}

/* ms_scan_add's @flags */
#define MS_SCAN_BACKUP 1U	/* the subflow is a backup */
#define MS_SCAN_ROOM 2U		/* its send buffer has room */
#define MS_SCAN_WORST 4U	/* keep the worst (what a repair needs; a send decision does not
				 * pay for ms_path_hold_ns) */
#define MS_SCAN_BY_QUEUE 8U	/* rank by ms_path_queue_arrival_ns (the subflow's measured
				 * rate is in @p) */
#define MS_SCAN_DEMOTE 16U	/* a primary that fell ranks after the backups ... */
#define MS_SCAN_FELL 32U	/* ... and this one fell (ms_path_fell) */

/* A live primary that ms_scan_add ranks after the backups (@p, @id; @room: its send buffer
 * has room): noted for the send decision's lag test and probe (struct ms_scan). */
static inline void ms_scan_note_degraded(struct ms_scan *s, const struct ms_path *p,
					 __u32 id, bool room)
{
	__u64 hold = ms_path_idle(p) ? 0 : ms_path_hold_ns(p);

	s->degraded |= MS_SF_BIT(id);
	if (hold > s->lag_hold) {
		s->lag_hold = hold;
		s->lag_id = (__u8)id;
	}
	if (room && ms_path_idle(p) && !s->probe && id < 0xff)
		s->probe = (__u8)(id + 1);
}

/* Adds an active subflow: its model @p, @id and @flags. With @stall_floor_us (0: no stall
 * test) a subflow that stopped (ms_path_stalled with that floor) falls in a stalled
 * class. With MS_SCAN_DEMOTE a live primary that fell (MS_SCAN_FELL, ms_path_fell: its
 * RTT jumped to many times its lowest and its rate fell) ranks after the live backups: it
 * takes new data only while no healthy primary or backup is live. It still delivers, so
 * it never stalls, but what it is handed arrives seconds later and the receiver waits for
 * it: at 1 Mbit/s and 400 ms RTT beside a 20 Mbit/s path it held ~350 kB (2.8 s), and
 * minrtt's longest receive gap was 1-1.9 s against the default's 0.3 s; with a backup, a
 * primary that came back so degraded took all new data while the backup idled. Ranked
 * with the backups by arrival instead, it still won against a busy backup for a while:
 * its measured rate is a windowed maximum that keeps the rate it had
 * (docs/bench/resilience/README.md, "degrade"). The worst subflow (for repairs) is found
 * by the class before that, so a repair still sees it lag (ms_path_lags). */
MS_MODEL_FN int ms_scan_add(struct ms_scan *s MS_NONNULL, const struct ms_path *p MS_NONNULL,
			    __u32 id, __u32 flags, __u64 stall_floor_us)
{
	__u32 cls = flags & MS_SCAN_BACKUP ? MS_CLASS_BACKUP : MS_CLASS_PRIMARY;
	bool room = flags & MS_SCAN_ROOM;
	__u64 t = flags & MS_SCAN_BY_QUEUE ? ms_path_queue_arrival_ns(p, p->mss) :
					      ms_path_arrival_ns(p, p->mss);
	__u32 base;
	__u64 hold;

	if (stall_floor_us && ms_path_stalled(p, stall_floor_us)) {
		ms_scan_note_stop(s, p);
		s->stalled = 1;
		cls += MS_CLASS_STALLED_PRIMARY;
	}
	base = cls;
	if ((flags & MS_SCAN_DEMOTE) && cls == MS_CLASS_PRIMARY) {
		if (flags & MS_SCAN_FELL) {
			cls = MS_CLASS_DEGRADED;
			ms_scan_note_degraded(s, p, id, room);
		} else if (!ms_path_degraded(p)) {
			/* by the smoothed RTT, which does not flap with single samples: a
			 * path counted healthy between two samples that said "fell" was
			 * declared stale again each time (7 times in one VM run) */
			s->healthy |= MS_SF_BIT(id);
		}
	}
	if (cls == MS_CLASS_PRIMARY && p->min_rtt_us > s->deepest_rtt_us)
		s->deepest_rtt_us = p->min_rtt_us;
	if (ms_scan_before(cls, t, s->best_class, s->best_t)) {
		s->best_class = cls;
		s->best_id = id;
		s->best_t = t;
		s->best_p = *p;
	}
	if (room && ms_scan_before(cls, t, s->roomy_class, s->roomy_t)) {
		s->second_class = s->roomy_class;
		s->second_id = s->roomy_id;
		s->second_t = s->roomy_t;
		s->roomy_class = cls;
		s->roomy_id = id;
		s->roomy_t = t;
		s->roomy_p = *p;
	} else if (room && ms_scan_before(cls, t, s->second_class, s->second_t)) {
		s->second_class = cls;
		s->second_id = id;
		s->second_t = t;
	}
	if (room && ms_path_idle(p) && cls < s->idle_class) {
		s->idle_class = cls;
		s->idle_id = id;
	}
	if (!(flags & MS_SCAN_WORST))
		return 0;
	hold = ms_path_hold_ns(p);
	if (base < s->worst_class || (base == s->worst_class && hold > s->worst_hold)) {
		s->worst_class = base;
		s->worst_hold = hold;
		s->worst_p = *p;
	}
	return 0;
}

/* After the last ms_scan_add: something active was found; the best one is live (not
 * stopped); roomy and idle are of the eligible class (else there are none to use). */
MS_MODEL_FN bool ms_scan_found(const struct ms_scan *s MS_NONNULL)
{
	return s->best_class != MS_CLASS_NONE;
}

MS_MODEL_FN bool ms_scan_live(const struct ms_scan *s MS_NONNULL)
{
	return s->best_class <= MS_CLASS_DEGRADED;
}

MS_MODEL_FN bool ms_scan_has_roomy(const struct ms_scan *s MS_NONNULL)
{
	return s->roomy_class != MS_CLASS_NONE && s->roomy_class == s->best_class;
}

/* A second subflow with room of the eligible class, after roomy. */
MS_MODEL_FN bool ms_scan_has_second(const struct ms_scan *s MS_NONNULL)
{
	return s->second_class != MS_CLASS_NONE && s->second_class == s->best_class;
}

MS_MODEL_FN bool ms_scan_has_idle(const struct ms_scan *s MS_NONNULL)
{
	return s->idle_class != MS_CLASS_NONE && s->idle_class == s->best_class;
}

/* The eligible class is the backups' (stopped or not): no primary can be used. */
MS_MODEL_FN bool ms_scan_backups(const struct ms_scan *s MS_NONNULL)
{
	return s->best_class == MS_CLASS_BACKUP || s->best_class == MS_CLASS_STALLED_BACKUP;
}

/* Is a subflow of this @backup flag in the eligible class's set (its primaries or its
 * backups)? */
MS_MODEL_FN bool ms_scan_eligible(const struct ms_scan *s MS_NONNULL, bool backup)
{
	return ms_scan_found(s) && backup == ms_scan_backups(s);
}

/*
 * Round-robin's choice among the subflows that may take a turn (ms_pick_rr): the one with
 * the smallest id above @last (the subflow of the previous turn), else - the wrap - the
 * smallest id. @limit: the bytes it may take. Kept in a global function for the same
 * reason as the scan.
 */
struct ms_rr_pick {
	__u32 next_id, first_id;	/* ~0U: none */
	__u64 next_limit, first_limit;
};

MS_MODEL_FN int ms_rr_init(struct ms_rr_pick *r MS_NONNULL)
{
	r->next_id = r->first_id = ~0U;
	r->next_limit = r->first_limit = ~0ULL;
	return 0;
}

MS_MODEL_FN int ms_rr_add(struct ms_rr_pick *r MS_NONNULL, __u32 id, __u32 last, __u64 limit)
{
	if (id > last && id < r->next_id) {
		r->next_id = id;
		r->next_limit = limit;
	}
	if (id < r->first_id) {
		r->first_id = id;
		r->first_limit = limit;
	}
	return 0;
}

/* ms_rr_limit's @flags */
#define MS_RR_BEST 1U		/* the subflow is where a segment arrives first (the scan's best) */
#define MS_RR_WND_LIMITED 2U	/* the receiver's window holds back part of the backlog */

/*
 * The bytes round-robin lets subflow @p take in its turn (~0: a whole quantum). A subflow
 * other than the best (@best), not idle, and more than twice as slow (srtt) as the best,
 * or any such subflow while the receiver's window is smaller than the backlog, gets only
 * its spill budget for @waiting bytes (what the best one could be busy with: the backlog,
 * as far as the window lets out). Paths of similar delay keep their turns otherwise
 * (spilling by arrival time there would turn round-robin into min-RTT), but a window
 * smaller than what is waiting is shared by arrival, or one turn on a slow path could hold
 * all of it. While the window limits, a turn of up to @quantum bytes on such a subflow
 * must also leave the best one room for what it sends while the turn holds the window
 * (ms_wnd_hold_ok): the spill budget alone let a 100 ms path beside a 4 ms one take a
 * budget per turn, and each turn stopped the connection for about the deep path's RTT
 * (0.67-0.76x the default at one BDP; docs/bench/sweep/README.md). An idle subflow always
 * takes its turn, to refresh a stale RTT sample: a whole quantum with an open window, at
 * least a segment while the window limits.
 */
MS_MODEL_FN __u64 ms_rr_limit(const struct ms_path *p MS_NONNULL, const struct ms_path *best MS_NONNULL,
			      __u32 flags, __u64 waiting, __u32 quantum)
{
	__u64 budget;

	if (flags & MS_RR_BEST)
		return ~0ULL;
	if (!(flags & MS_RR_WND_LIMITED) &&
	    (ms_path_idle(p) || (__u64)p->srtt_us <= 2ULL * best->srtt_us))
		return ~0ULL;
	budget = ms_spill_budget(best, p, waiting, 0);
	if ((flags & MS_RR_WND_LIMITED) && budget >= p->mss &&
	    !ms_wnd_hold_ok(best, p, waiting, budget < quantum ? (__u32)budget : quantum))
		budget = 0;
	if (ms_path_idle(p) && budget < p->mss)
		return p->mss ? p->mss : 1;
	return budget;
}

/* The id chosen (~0U: none) and, in @limit, the bytes it may take. */
MS_MODEL_FN __u32 ms_rr_choice(const struct ms_rr_pick *r MS_NONNULL, __u64 *limit MS_NONNULL)
{
	bool next = r->next_id != ~0U;

	*limit = next ? r->next_limit : r->first_limit;
	return next ? r->next_id : r->first_id;
}

/*
 * Interactive's tail: the bytes at the end of a @backlog that leave in its last @segs
 * segments of @seg bytes each (the payload a data segment really carries: the subflow's
 * MSS less the MPTCP option). The body before it is then a whole number of segments, so
 * cutting the message there adds no short segment (which Nagle would hold for an ACK on
 * a sender without TCP_NODELAY). At most @backlog; 0 when @segs or @seg is 0.
 */
MS_MODEL_FN __u64 ms_tail_bytes(__u64 backlog, __u32 seg, __u32 segs)
{
	__u64 last, tail;

	if (!seg || !segs || !backlog)
		return 0;
	last = backlog % seg;
	tail = (last ? last : seg) + (__u64)(segs - 1) * seg;
	return tail < backlog ? tail : backlog;
}

#endif /* MPTCP_SCHED_SCHED_MODEL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * ms_blest - BLEST: blocking-estimation scheduler for heterogeneous paths.
 *
 * Design: S. Ferlin, O. Alay, O. Mehani, R. Boreli, "BLEST: Blocking Estimation-based
 * MPTCP Scheduler for Heterogeneous Networks", IFIP Networking 2016. On paths of unequal
 * delay a burst sent on the slower subflow holds its place in the connection's send window
 * (the receiver's buffer) until it arrives; if the fastest subflow, meanwhile, could have
 * sent more than the window has left, the fast path stalls behind the slow one
 * (head-of-line blocking) and using the slow path *lowered* the goodput. BLEST estimates
 * that amount before using the slow subflow and waits for the fast one when it would not
 * fit: X = lambda * MSS_f * (CWND_f + (RTT_s / RTT_f - 1) / 2) * RTT_s / RTT_f, compared
 * with the send window left after the burst.
 *
 * Policy: ms_minrtt's earliest-arrival choice (mptcp_sched/bpf/policies.bpf.h, ms_pick_arrival), then,
 * when that choice is not the lowest-RTT subflow, BLEST's test in arrival-time form
 * (ms_blest_slow_ok in include/mptcp_sched/sched_model.h: the fast subflow's delivery
 * rate over the slow one's arrival time, plus one segment of cwnd growth per fast RTT);
 * failing it, the burst goes to the fastest subflow or, if its send buffer is full, waits
 * for it. Where the receive buffer is large the test always passes and this is ms_minrtt;
 * where the receive buffer limits, it keeps the slow path from blocking the fast one.
 * Backup subflows carry data only while no non-backup subflow is active and delivering. Failure detection
 * and repairs are ms_minrtt's (a subflow that stopped delivering is unavailable; its data
 * is re-sent on a live one as soon as the stop is seen, ms_ask_repair).
 *
 * Tunables: `blest_lambda_pct` (default 100): the paper's lambda, the safety factor on X;
 * raise it to be more careful with the slower path (the paper adapts lambda at run time
 * from observed blocking; this version keeps it fixed, which is what makes it cheap).
 * `mptcp-sched load blest --blest_lambda_pct=120`.
 *
 * Assumes: srtt and cwnd describe the paths (the estimate is only as good as they are).
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow is active, or while the subflow it
 * chose (or the fastest one it fell back to) has no send-buffer room.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";
/* BLEST's lambda in percent (`mptcp-sched load blest --blest_lambda_pct=120`). */
MS_TUNABLE(__u32, blest_lambda_pct, MS_BLEST_LAMBDA_PCT_DEFAULT);

SEC("struct_ops")
int BPF_PROG(blest_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_BLEST);

	return ms_pick_arrival(msk, st, MS_DECISION_SEND, blest_lambda_pct);
}

SEC("struct_ops")
int BPF_PROG(blest_get_retrans, struct mptcp_sock *msk)
{
	/* Repairs are urgent and small: earliest arrival, no window test. */
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_BLEST);

	return ms_pick_arrival(msk, st, MS_DECISION_RETRANS, 0);
}

SEC("struct_ops")
void BPF_PROG(blest_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(blest_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops blest_ops = {
	.get_send	= (void *)blest_get_send,
	.get_retrans	= (void *)blest_get_retrans,
	.init		= (void *)blest_init,
	.release	= (void *)blest_release,
	.name		= "ms_blest",
};

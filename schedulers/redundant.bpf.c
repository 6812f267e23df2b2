// SPDX-License-Identifier: GPL-2.0
/*
 * ms_red - redundant scheduler.
 *
 * Policy: mark every active non-backup subflow that keeps up, so the same data goes out on
 * each of them and the receiver keeps the copy that arrives first: latency and loss
 * resilience bought with bandwidth. While a subflow of that set has no send-buffer room the
 * decision waits rather than send on the others alone (a copy missing from one path defeats
 * the purpose). Backup subflows are used (all of them) only when no non-backup subflow keeps
 * up.
 *
 * When a path is too far behind to wait for (mptcp_sched/bpf/policies.bpf.h,
 * ms_pick_redundant; the arithmetic is sched_model.h's, unit-tested): waiting for a path
 * that stopped would stop every path, although its copies are already on the others. A
 * subflow leaves the set - it is neither waited for nor sent new copies - when
 *   - it stalled: it has data in flight and nothing has been delivered on it (no ACK or
 *     SACK of new data, TCP's delivered_mstamp) for twice its smoothed RTT, at least its
 *     RTT + 50 ms (one segment's delayed ACK), at most its RTO (srtt + rttvar). A working
 *     path delivers about every RTT even while it repairs losses (SACKs), so this catches a
 *     blackhole, an interface gone down, or a delay jump, within about 70 ms on a 20 ms
 *     path; or
 *   - it is far behind: the bytes queued in it and not yet sent need longer to leave (at
 *     its rate, cwnd * mss per srtt) than those of the set's most advanced member (the
 *     lead, shortest such time) plus four of the lead's RTTs (at least 100 ms). Its copies
 *     would arrive too late to hide a loss on the lead, and waiting for its send buffer
 *     would pace every path at its rate: a path degraded to 1 Mbit/s, or one whose window
 *     collapsed after a timeout. The slack is wide because a member left out gets no copy
 *     of what is sent meanwhile: a passing imbalance between working paths (measured with a
 *     slack of one RTT: data then on one path only, and a 410 ms gap when that path died)
 *     must not count.
 * It rejoins as soon as neither holds (it delivers again and its queue has drained), so a
 * path that comes back carries copies again. If no subflow keeps up, every active one is
 * the set, as before this rule: there is nowhere better to send.
 *
 * Cost: with N subflows every byte is sent N times; a bulk sender's goodput is about that
 * of the slowest path that keeps up (one path's TCP goodput on equal paths), and the
 * network carries up to N times the payload. Use it for small, latency-sensitive flows,
 * not bulk transfers.
 *
 * Kernel requirement: the core must push the same data on each scheduled subflow. The
 * MPTCP development tree does, and so does the vmtest kernel (vmtest/kernel/0004); a
 * mainline core hands each scheduled subflow the *next* pending data instead, which turns
 * this into a spread over subflows, not redundancy (measured: 3% / 97% of the payload).
 *
 * Fails: with -EAGAIN, marking nothing, while a subflow of the set has no send-buffer
 * room, or when no subflow is active. Retransmissions use the same set.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(red_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_REDUNDANT);

	return ms_pick_redundant(msk, st, MS_DECISION_SEND);
}

SEC("struct_ops")
int BPF_PROG(red_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_REDUNDANT);

	return ms_pick_redundant(msk, st, MS_DECISION_RETRANS);
}

SEC("struct_ops")
void BPF_PROG(red_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(red_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops red_ops = {
	.get_send	= (void *)red_get_send,
	.get_retrans	= (void *)red_get_retrans,
	.init		= (void *)red_init,
	.release	= (void *)red_release,
	.name		= "ms_red",
};

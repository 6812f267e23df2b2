// SPDX-License-Identifier: GPL-2.0
/*
 * ms_red - redundant scheduler.
 *
 * Policy: mark every active non-backup subflow, so the same data goes out on each of them
 * and the receiver keeps the copy that arrives first: latency and loss resilience bought
 * with bandwidth. While any of them has no send-buffer room the decision waits rather than
 * send on the others alone (a copy missing from one path defeats the purpose); a path that
 * stops answering leaves the set when the kernel marks it stale. Backup subflows are used
 * (all of them) only when no non-backup subflow is active.
 *
 * Cost: with N subflows every byte is sent N times; the goodput is at most that of the
 * slowest marked path when the sender is bulk, and the network carries N times the payload.
 * Use it for small, latency-sensitive flows, not bulk transfers.
 *
 * Kernel requirement: the core must push the same data on each scheduled subflow. The
 * MPTCP development tree does, and so does the vmtest kernel (vmtest/kernel/0004); a
 * mainline core hands each scheduled subflow the *next* pending data instead, which turns
 * this into a spread over subflows, not redundancy (measured: 3% / 97% of the payload).
 *
 * Fails: with -EAGAIN, marking nothing, while an active subflow of the set has no
 * send-buffer room, or when no subflow is active.
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
void BPF_PROG(red_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops red_ops = {
	.get_send	= (void *)red_get_send,
	.get_retrans	= (void *)red_get_retrans,
	.release	= (void *)red_release,
	.name		= "ms_red",
};

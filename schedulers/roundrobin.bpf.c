// SPDX-License-Identifier: GPL-2.0
/*
 * ms_rr - round-robin scheduler.
 *
 * Policy: rotate over the subflows that can send, in subflow-id order, giving each a
 * quantum of bytes per turn (tunable `rr_quantum`, default one send burst of 65428 bytes;
 * `mptcp-sched load rr --rr_quantum=16384`); a turn the application's writes cut short
 * goes on at the next decision, so with small writes a subflow keeps its turn until it
 * has carried a quantum. The position is kept per connection in socket storage. A subflow
 * that still holds a quantum or more unsent from its earlier turns misses its turn, and
 * one more than twice as slow (srtt) as the fastest-arriving subflow - or any other one
 * while the receiver's window holds the backlog back - takes only what it can deliver
 * before that one could deliver the backlog, and while the window limits only if the
 * fastest one still finds room for what it sends until the turn's data is acknowledged
 * (mptcp_sched/bpf/policies.bpf.h, ms_pick_rr; sched_model.h, ms_rr_limit).
 * Backup subflows take turns only while no non-backup subflow is active and delivering.
 * Retransmissions go to the earliest-arrival subflow instead (as ms_minrtt): a rotation
 * there would only delay the repair.
 *
 * What it trades: on equal paths, an even byte split and traffic on every path all the
 * time (what people use it for: testing paths, spreading load). On unequal paths the turn
 * skipping makes each path's share follow its capacity, so the slow path no longer paces
 * the whole connection, but bytes still alternate between paths of different delay: the
 * receiver reorders more than with ms_minrtt. Where the receiver's window limits, a much
 * slower path misses most turns (it keeps one segment a turn while idle): the window, not
 * an even split, decides (see README "Built-in schedulers" for the measured ratios).
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow is active with send-buffer room; a
 * subflow without room is skipped, never marked (marking one made early round-robin
 * schedulers spin).
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

/* Round-robin's bytes per turn (`mptcp-sched load rr --rr_quantum=16384`). */
MS_TUNABLE(__u32, rr_quantum, MS_RR_QUANTUM_DEFAULT);

SEC("struct_ops")
int BPF_PROG(rr_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_RR);

	return ms_pick_rr(msk, st, MS_DECISION_SEND, rr_quantum);
}

SEC("struct_ops")
int BPF_PROG(rr_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_RR);

	return ms_pick_arrival(msk, st, MS_DECISION_RETRANS, 0);
}

SEC("struct_ops")
void BPF_PROG(rr_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(rr_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops rr_ops = {
	.get_send	= (void *)rr_get_send,
	.get_retrans	= (void *)rr_get_retrans,
	.init		= (void *)rr_init,
	.release	= (void *)rr_release,
	.name		= "ms_rr",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * ms_rr - round-robin scheduler.
 *
 * Policy: rotate over the subflows that can send, in subflow-id order, giving each a
 * quantum of bytes per turn (tunable `rr_quantum`, default one send burst of 65428 bytes;
 * `mptcp-sched load rr --rr_quantum=16384`). The position is kept per connection in socket
 * storage. Backup subflows take turns only when no non-backup subflow can send.
 * Retransmissions go to the lowest-RTT subflow instead: a rotation there would only delay
 * the repair.
 *
 * Assumes: paths of similar capacity. On unequal paths the split stays equal, so the slow
 * path bounds the connection (use ms_minrtt there).
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow is active with send-buffer room; a
 * subflow without room is skipped, never marked (marking one made early round-robin
 * schedulers spin).
 */
#include "policies.bpf.h"

SEC("struct_ops")
int BPF_PROG(rr_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_RR);

	return ms_pick_rr(msk, st, MS_DECISION_SEND);
}

SEC("struct_ops")
int BPF_PROG(rr_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_RR);

	return ms_pick_minrtt(msk, st, MS_DECISION_RETRANS, false);
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
	.release	= (void *)rr_release,
	.name		= "ms_rr",
};

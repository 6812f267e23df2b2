// SPDX-License-Identifier: GPL-2.0
/*
 * ms_minrtt - lowest-RTT-first scheduler (the project's default policy).
 *
 * Policy: send on the non-backup subflow with the lowest smoothed RTT among those that are
 * active and have send-buffer room; a subflow whose congestion window is full ranks after
 * every subflow with window room, so a saturated fast path spills onto the slower ones and
 * bulk transfers aggregate. Backup subflows carry data only when no non-backup subflow can
 * send at that moment (as the kernel's default does). Retransmissions use the same choice.
 *
 * Assumes: srtt is meaningful. A fresh subflow with no RTT sample yet ranks first, which
 * probes it once.
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow is active with send-buffer room;
 * the core then keeps the data pending and asks again when a subflow gets acked.
 */
#include "policies.bpf.h"

SEC("struct_ops")
int BPF_PROG(minrtt_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_MINRTT);

	return ms_pick_minrtt(msk, st, MS_DECISION_SEND, false);
}

SEC("struct_ops")
int BPF_PROG(minrtt_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_MINRTT);

	return ms_pick_minrtt(msk, st, MS_DECISION_RETRANS, false);
}

SEC("struct_ops")
void BPF_PROG(minrtt_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops minrtt_ops = {
	.get_send	= (void *)minrtt_get_send,
	.get_retrans	= (void *)minrtt_get_retrans,
	.release	= (void *)minrtt_release,
	.name		= "ms_minrtt",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * ms_bkup - backup-aware scheduler.
 *
 * Policy: earliest arrival among the non-backup subflows (as ms_minrtt). Backup subflows
 * carry data only when *every* non-backup subflow is unusable (closed, not yet joined, or
 * marked stale by the path manager after retransmission timeouts) - not merely busy: a
 * primary with a full send buffer makes the connection wait rather than leak data onto a
 * metered backup link. When a primary becomes active again, the next decision returns to
 * it. New data is placed exactly as ms_minrtt places it (which honours the backup flag the
 * same way); the difference is the repair: once the primary it would use has stopped
 * delivering (nothing acknowledged for about twice its RTT, at least 100 ms, at most its
 * RTO), a retransmission may use any active subflow, backups included, so data stuck on a
 * dying primary is re-sent on the backup before TCP marks the primary stale. A primary
 * that is merely busy or lossy keeps delivering, so its repairs stay on the primaries.
 *
 * Assumes: the path manager flags backup endpoints (`mptcp-sched path endpoint ... backup`
 * or the peer's MP_PRIO), and stale detection (net.mptcp.stale_loss_cnt) notices a dead
 * primary; failover time is bounded by that detection.
 *
 * Fails: with -EAGAIN, marking nothing, when no primary can send now and at least one is
 * still active, or when nothing at all can send.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(bkup_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_BACKUP);

	return ms_pick_arrival(msk, st, MS_DECISION_SEND, false, 0);
}

SEC("struct_ops")
int BPF_PROG(bkup_get_retrans, struct mptcp_sock *msk)
{
	/* Reinjection must be able to leave a dead primary (ms_scan_all). */
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_BACKUP);

	return ms_pick_arrival(msk, st, MS_DECISION_RETRANS, true, 0);
}

SEC("struct_ops")
void BPF_PROG(bkup_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops bkup_ops = {
	.get_send	= (void *)bkup_get_send,
	.get_retrans	= (void *)bkup_get_retrans,
	.release	= (void *)bkup_release,
	.name		= "ms_bkup",
};

// SPDX-License-Identifier: GPL-2.0
/*
 * ms_bkup - backup-aware scheduler.
 *
 * Policy: earliest arrival among the non-backup subflows (as ms_minrtt). Backup subflows
 * carry data only when *every* non-backup subflow is unusable (closed, not yet joined,
 * marked stale by the path manager after retransmission timeouts, or stopped: data in
 * flight and nothing delivered for twice its RTT, at least 100 ms, at most its RTO, as in
 * ms_minrtt), or fallen (its RTT more than six times its lowest and 100 ms above it, its
 * delivery rate below a quarter of what it was: it then ranks after the backups, as in
 * ms_minrtt) - not merely busy or deeply queued: a
 * primary with a full send buffer makes the connection wait rather than leak data onto a
 * metered backup link. When a primary becomes active again, the next decision returns to
 * it. Data - new and repaired - is placed exactly as ms_minrtt places it, which honours
 * the backup flag the same way: since both detect a primary that stopped delivering (stall
 * test above) and repair its data on the backup, the two are one policy. ms_bkup stays a
 * name of its own for configurations and rules that say "backup"; an earlier version let
 * repairs use a backup while a primary still delivered, which put data on an idle metered
 * link whenever the primary's queue was deep.
 *
 * Assumes: the path manager flags backup endpoints (`mptcp-sched path endpoint ... backup`
 * or the peer's MP_PRIO). A dead primary is noticed by the stall test (about 100 ms on a
 * 20 ms path), long before the kernel's stale marking (net.mptcp.stale_loss_cnt RTOs); the
 * repair then re-sends its unacknowledged data on the backup when the connection's
 * retransmit timer fires: while the backup is idle and the primary dead no send decision
 * runs to see the stop earlier (with other primaries busy, one does, and asks for the
 * repair at once: ms_ask_repair).
 *
 * Fails: with -EAGAIN, marking nothing, when no primary can send now and at least one is
 * still active and delivering, or when nothing at all can send.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(bkup_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_BACKUP);

	return ms_pick_arrival(msk, st, MS_DECISION_SEND, 0);
}

SEC("struct_ops")
int BPF_PROG(bkup_get_retrans, struct mptcp_sock *msk)
{
	/* as ms_minrtt: repairs leave a primary once it stopped delivering */
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_BACKUP);

	return ms_pick_arrival(msk, st, MS_DECISION_RETRANS, 0);
}

SEC("struct_ops")
void BPF_PROG(bkup_init, struct mptcp_sock *msk)
{
	ms_init(msk);
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
	.init		= (void *)bkup_init,
	.release	= (void *)bkup_release,
	.name		= "ms_bkup",
};

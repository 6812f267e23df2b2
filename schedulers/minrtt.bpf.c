// SPDX-License-Identifier: GPL-2.0
/*
 * ms_minrtt - lowest-latency-first scheduler (the project's default policy).
 *
 * Policy: each burst goes to the active non-backup subflow on which it would *arrive*
 * first: half its smoothed RTT plus the time the bytes already queued in it need at its
 * delivery rate (cwnd * mss per srtt, at most what it was measured to deliver), the
 * arithmetic of include/mptcp_sched/sched_model.h.
 * With empty queues that is the lowest-RTT path, so application-limited traffic stays on
 * the fastest path; a saturated fast path hands bursts to a slower one exactly when the
 * slower one would deliver them sooner, so bulk transfers aggregate and a slow path never
 * holds more than it can deliver before the fast one could deliver what it holds (and,
 * while the receiver's window limits, what waits for it). A smoothed RTT shows a queue a
 * round trip late, and a window per smoothed RTT runs ahead of a path whose window grows
 * faster than its RTT follows: a subflow with data in flight whose srtt is more than twice
 * its lowest, or which has more than two BDPs in flight (at its measured rate and lowest
 * RTT: the srtt lags in slow start), therefore ranks (and, unless the receiver's window
 * limits, counts in a slower path's allowance) by what its bottleneck holds beyond one BDP
 * at its measured rate (a windowed maximum of TCP's rate samples, kept per subflow in the
 * connection's state) and lowest RTT (ms_path_queue_arrival_ns), so the next bytes go to
 * a path without a standing queue and a deep path is not handed bursts it delivers a
 * round trip later than estimated. When the chosen subflow's send buffer is full the
 * decision waits (the core asks again on the next ack) rather than use a later-arriving
 * subflow: what arrives late makes the receiver hold everything behind it.
 * Backup subflows carry data only while no non-backup subflow is active (joined, not stale)
 * and delivering (not stopped, below): a busy primary is not a reason to touch a metered
 * backup link. A send decision on a connection with only its first subflow, which can send,
 * skips the scan (ms_pick_first).
 *
 * Failure detection (policies.bpf.h, ms_path_stalled in sched_model.h): a subflow with data
 * in flight on which nothing has been delivered (no ACK or SACK of new data) for twice its
 * smoothed RTT - at least 100 ms, at most its RTO (srtt + rttvar) - has stopped: it is
 * treated as unavailable (no new data; backups take over if every primary stopped) until it
 * delivers again, and while it holds data a live subflow keeps one burst of send-buffer
 * room free for the repair. Retransmissions are repairs. The send decision that first sees
 * a subflow stopped declares it stale when it still has a window in flight, so the core
 * re-injects all the connection's unacknowledged data on the live subflows (ms_ask_repair,
 * where the kernel offers bpf_mptcp_subflow_set_stale: vmtest patch 0009); otherwise it
 * asks the core to run the repair now (bpf_mptcp_sched_retrans_in: patch 0008) instead of
 * when the connection's retransmit timer fires, an RTO after its last progress. A repair
 * re-sends a stopped subflow's unacknowledged data on the live subflow with send-buffer
 * room where it arrives first, as it does when a subflow still delivers but what it holds
 * would arrive more than four RTTs of the best subflow (at least 100 ms) after what the
 * best one holds
 * and its RTT is more than six times its minimum and 100 ms above it (ms_path_lags: a
 * path whose rate fell or delay jumped; a healthy path that is merely deeper, or a shallow
 * one with its bottleneck's queue full, does not count: TCP delivers what it holds, and a
 * copy would take the fast path's capacity). Otherwise the subflows holding data are still
 * delivering and TCP repairs their losses, so only an idle subflow re-sends (as the
 * kernel's default does). The kernel's own
 * stale marking (net.mptcp.stale_loss_cnt retransmit timeouts) comes several RTOs later.
 *
 * Paths that fall (ms_scan_add with MS_SCAN_DEMOTE, ms_path_fell, ms_leave_degraded,
 * ms_commit_probe): a primary whose RTT (smoothed, or its latest sample) is more than six
 * times its lowest and 100 ms above it (its smoothed RTT past twice the lowest), and whose
 * latest delivery rate sample is below a quarter of its measured rate, ranks after the
 * backups, so it takes no new data while a healthy primary or a backup is live (a primary
 * whose own queue inflates its RTT keeps its rate, and its rank); what it holds is
 * re-injected once (declared stale, where the kernel allows it, unless a stop already
 * was) when it would arrive far behind the best subflow's data; and once it has drained, a burst sent elsewhere while it is idle is
 * copied onto it, so its RTT is measured again and it ranks as a primary once it
 * recovers.
 * Wi-Fi moving out of range (20 -> 1 Mbit/s, 400 ms RTT) beside a healthy path or a backup:
 * docs/bench/resilience/README.md, "degrade".
 *
 * Why not plain lowest srtt (this scheduler's first version): it ignored the queue a
 * subflow already holds, so a busy fast path spilled a send buffer's worth onto a slow one;
 * with 90 + 10 Mbit/s paths it reached 53 Mbit/s where the kernel's default reached 92.
 * The kernel's default ranks by queued bytes / pacing rate ("linger time"), which is the
 * same queue-drain idea without the path's delay; adding it is what keeps short flows on
 * the fast path.
 *
 * Assumes: srtt and cwnd describe the path. A fresh subflow with no RTT sample yet ranks
 * first, which probes it once.
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow is active, or while the chosen one
 * has no send-buffer room; the core keeps the data pending and asks again on the next ack.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(minrtt_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_MINRTT);

	return ms_pick_arrival(msk, st, MS_DECISION_SEND, 0);
}

SEC("struct_ops")
int BPF_PROG(minrtt_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_MINRTT);

	return ms_pick_arrival(msk, st, MS_DECISION_RETRANS, 0);
}

SEC("struct_ops")
void BPF_PROG(minrtt_init, struct mptcp_sock *msk)
{
	ms_init(msk);
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
	.init		= (void *)minrtt_init,
	.release	= (void *)minrtt_release,
	.name		= "ms_minrtt",
};

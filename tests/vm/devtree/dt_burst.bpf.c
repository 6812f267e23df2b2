// SPDX-License-Identifier: GPL-2.0
/* Look-alike of the development tree's "burst", a BPF port of the kernel's default policy:
 * get_send takes the active subflow whose queued bytes drain first at its pacing rate
 * (backups only when no other is active) and sets the send burst; get_retrans takes the
 * first active subflow with nothing outstanding at TCP level, after running the core's
 * stale check on the others (bpf_mptcp_subflow_queues_empty, mptcp_pm_subflow_chk_stale).
 * Registered without a link.
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

#define DT_SEND_BURST	65428

static __always_inline bool dt_write_queue_empty(struct sock *sk)
{
	const struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

	return tp ? tp->write_seq == tp->snd_nxt : true;
}

SEC("struct_ops")
void BPF_PROG(dt_burst_init, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
void BPF_PROG(dt_burst_release, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
int BPF_PROG(dt_burst_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow, *best = NULL, *best_backup = NULL;
	__u64 linger, best_linger = ~0ULL, best_backup_linger = ~0ULL;
	int nr_active = 0;
	__u64 burst, window;
	struct sock *ssk;

	/* Two plain variables, not an array indexed by the backup flag: the verifier keeps
	 * track of a pointer spilled to a fixed stack slot only. */
	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk) {
		bool backup = subflow->backup || subflow->request_bkup;
		__u64 pace;

		if (!mptcp_subflow_active(subflow))
			continue;
		ssk = bpf_mptcp_subflow_tcp_sock(subflow);
		if (!ssk)
			continue;
		nr_active += !backup;
		pace = subflow->avg_pacing_rate;
		if (!pace) {
			subflow->avg_pacing_rate = ssk->sk_pacing_rate;
			pace = subflow->avg_pacing_rate;
			if (!pace)
				continue;
		}
		linger = ((__u64)ssk->sk_wmem_queued << 32) / pace;
		if (backup && linger < best_backup_linger) {
			best_backup = subflow;
			best_backup_linger = linger;
		} else if (!backup && linger < best_linger) {
			best = subflow;
			best_linger = linger;
		}
	}
	mptcp_set_timeout((struct sock *)msk);

	subflow = nr_active ? best : best_backup;
	if (!subflow || !bpf_sk_stream_memory_free(subflow))
		return -1;

	window = mptcp_wnd_end(msk) - msk->snd_nxt;
	burst = window < DT_SEND_BURST ? window : DT_SEND_BURST;
	ssk = bpf_mptcp_subflow_tcp_sock(subflow);
	if (burst && ssk) {
		__u64 wmem = ssk->sk_wmem_queued;

		/* the pacing estimate, weighted by what is queued and what is added */
		subflow->avg_pacing_rate = (subflow->avg_pacing_rate * wmem +
					    ssk->sk_pacing_rate * burst) / (burst + wmem);
		msk->snd_burst = burst;
	}
	mptcp_subflow_set_scheduled(subflow, true);
	return 0;
}

SEC("struct_ops")
int BPF_PROG(dt_burst_get_retrans, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow, *pick = NULL, *backup = NULL;
	int min_stale = 0x7fffffff;

	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk) {
		struct sock *ssk = bpf_mptcp_subflow_tcp_sock(subflow);

		if (!ssk || !mptcp_subflow_active(subflow))
			continue;
		/* still data outstanding at TCP level: a candidate for the stale check */
		if (!bpf_mptcp_subflow_queues_empty(ssk) || !dt_write_queue_empty(ssk)) {
			mptcp_pm_subflow_chk_stale(msk, ssk);
			if (subflow->stale_count < min_stale)
				min_stale = subflow->stale_count;
			continue;
		}
		if (subflow->backup || subflow->request_bkup) {
			if (!backup)
				backup = subflow;
			continue;
		}
		if (!pick)
			pick = subflow;
	}
	if (!pick && min_stale > 1)
		pick = backup;
	if (!pick)
		return -1;
	mptcp_subflow_set_scheduled(pick, true);
	return 0;
}

SEC(".struct_ops")
struct mptcp_sched_ops burst = {
	.init		= (void *)dt_burst_init,
	.release	= (void *)dt_burst_release,
	.get_send	= (void *)dt_burst_get_send,
	.get_retrans	= (void *)dt_burst_get_retrans,
	.name		= "dt_burst",
};

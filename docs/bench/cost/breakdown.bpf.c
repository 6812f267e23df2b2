// SPDX-License-Identifier: GPL-2.0
/* Cost breakdown experiment: VARIANT selects how much of minrtt's decision runs. */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(x_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *sf;
#if VARIANT >= 1
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_MINRTT);
#else
	struct ms_conn_state *st = NULL;
#endif
#if VARIANT == 5 || VARIANT == 6
	{
		__u64 now_us = ms_now_us();
		bool acc = false;

		bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
			struct ms_path p = {};

			if (!mptcp_subflow_active(sf))
				continue;
			if (bpf_sk_stream_memory_free(sf))
				acc = true;
#if VARIANT == 6
			if (ms_path_of(sf, &p, now_us) && p.cwnd == 77)
				acc = false;
#endif
		}
		if (!acc && msk->snd_burst == 12345)
			return -EAGAIN;
	}
#elif VARIANT >= 3
	struct ms_scan sc;

	if (!ms_scan_all(msk, &sc, MS_STALL_FLOOR_US, false, ms_now_us()))
		return -EAGAIN;
#endif
#if VARIANT == 4
	return ms_commit_id(msk, st, MS_DECISION_SEND, sc.best_id, ms_burst(msk, MS_SEND_BURST));
#endif
	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (!ms_can_send(sf))
			continue;
#if VARIANT >= 2
		ms_choose(msk, st, sf, MS_DECISION_SEND);
#else
		(void)st;
		mptcp_subflow_set_scheduled(sf, true);
#endif
		return 0;
	}
	return -EAGAIN;
}

SEC("struct_ops")
void BPF_PROG(x_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(x_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops x_ops = {
	.get_send	= (void *)x_get_send,
	.init		= (void *)x_init,
	.release	= (void *)x_release,
	.name		= NAME,
};

// SPDX-License-Identifier: GPL-2.0
/* Positive fixture: writes exactly the two writable fields, so it must load. Schedules the
 * first subflow that can send. */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(okwr_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *sf;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (!ms_can_send(sf))
			continue;
		sf->avg_pacing_rate = sf->avg_pacing_rate;
		msk->snd_burst = 0;
		mptcp_subflow_set_scheduled(sf, true);
		return 0;
	}
	return -EAGAIN;
}

SEC(".struct_ops.link")
struct mptcp_sched_ops okwr_ops = {
	.get_send	= (void *)okwr_get_send,
	.name		= "ms_test_okwr",
};

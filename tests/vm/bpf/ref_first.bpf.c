// SPDX-License-Identifier: GPL-2.0
/* Reference for decision costs (bench --sched build/tests/bpf/ref_first.bpf.o): the least a
 * scheduler can do, the first subflow that can send, no state, no statistics. A built-in's
 * decision cost divided by this one's is meaningful even where absolute nanoseconds are
 * not (QEMU under TCG). */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(ref_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *sf;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		if (!ms_can_send(sf))
			continue;
		mptcp_subflow_set_scheduled(sf, true);
		return 0;
	}
	return -EAGAIN;
}

SEC(".struct_ops.link")
struct mptcp_sched_ops ref_first_ops = {
	.get_send	= (void *)ref_get_send,
	.name		= "ms_ref_first",
};

// SPDX-License-Identifier: GPL-2.0
/* Negative fixture: a scheduler without get_send, which registration must refuse. */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
void BPF_PROG(nosend_release, struct mptcp_sock *msk)
{
}

SEC(".struct_ops.link")
struct mptcp_sched_ops nosend_ops = {
	.release	= (void *)nosend_release,
	.name		= "ms_test_nosend",
};

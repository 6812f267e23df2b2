// SPDX-License-Identifier: GPL-2.0
/* Negative fixture: writes mptcp_sock.token, which the verifier must refuse. */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
int BPF_PROG(badwr_get_send, struct mptcp_sock *msk)
{
	msk->token = 42;
	return -EAGAIN;
}

SEC(".struct_ops.link")
struct mptcp_sched_ops badwr_ops = {
	.get_send	= (void *)badwr_get_send,
	.name		= "ms_test_badwr",
};

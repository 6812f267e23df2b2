// SPDX-License-Identifier: GPL-2.0
/* Look-alike of the development tree's "red": every subflow, registered without a link.
 * Like that tree's version it marks subflows that cannot send yet (an MP_JOIN subflow not
 * fully established): the core must drop those marks, never send on them nor WARN.
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
void BPF_PROG(dt_red_init, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
void BPF_PROG(dt_red_release, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
int BPF_PROG(dt_red_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow;

	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk)
		mptcp_subflow_set_scheduled(subflow, true);
	return 0;
}

SEC(".struct_ops")
struct mptcp_sched_ops red = {
	.init		= (void *)dt_red_init,
	.release	= (void *)dt_red_release,
	.get_send	= (void *)dt_red_get_send,
	.name		= "dt_red",
};

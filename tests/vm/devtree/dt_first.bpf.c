// SPDX-License-Identifier: GPL-2.0
/* Look-alike of the development tree's "first": everything on the connection's first
 * subflow, reached through msk->first (trusted-or-NULL), registered without a link
 * (SEC(".struct_ops")).
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
void BPF_PROG(dt_first_init, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
void BPF_PROG(dt_first_release, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
int BPF_PROG(dt_first_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow = bpf_mptcp_subflow_ctx(msk->first);

	if (!subflow)
		return -1;
	mptcp_subflow_set_scheduled(subflow, true);
	return 0;
}

SEC(".struct_ops")
struct mptcp_sched_ops first = {
	.init		= (void *)dt_first_init,
	.release	= (void *)dt_first_release,
	.get_send	= (void *)dt_first_get_send,
	.name		= "dt_first",
};

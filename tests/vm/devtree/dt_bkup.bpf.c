// SPDX-License-Identifier: GPL-2.0
/* Look-alike of the development tree's "bkup": the first subflow that is not a backup,
 * else the first one.
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

SEC("struct_ops")
void BPF_PROG(dt_bkup_init, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
void BPF_PROG(dt_bkup_release, struct mptcp_sock *msk)
{
}

SEC("struct_ops")
int BPF_PROG(dt_bkup_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow, *pick = NULL;

	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk) {
		if (!pick)
			pick = subflow;
		if (!subflow->backup && !subflow->request_bkup) {
			pick = subflow;
			break;
		}
	}
	if (!pick)
		return -1;
	mptcp_subflow_set_scheduled(pick, true);
	return 0;
}

SEC(".struct_ops.link")
struct mptcp_sched_ops bkup = {
	.init		= (void *)dt_bkup_init,
	.release	= (void *)dt_bkup_release,
	.get_send	= (void *)dt_bkup_get_send,
	.name		= "dt_bkup",
};

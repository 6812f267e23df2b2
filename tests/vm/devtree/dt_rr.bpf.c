// SPDX-License-Identifier: GPL-2.0
/* Look-alike of the development tree's "rr": the subflow after the last one used, kept in
 * socket storage, starting from msk->first. Like that tree's version it does not check
 * whether the subflow it picks can send (an MP_JOIN subflow may not be fully established
 * yet): the core must ignore such a mark, never send on it nor WARN.
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

struct dt_rr_state {
	struct sock *last_snd;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct dt_rr_state);
} dt_rr_storage SEC(".maps");

SEC("struct_ops")
void BPF_PROG(dt_rr_init, struct mptcp_sock *msk)
{
	struct dt_rr_state *st;

	st = bpf_sk_storage_get(&dt_rr_storage, msk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st)
		st->last_snd = NULL;
}

SEC("struct_ops")
void BPF_PROG(dt_rr_release, struct mptcp_sock *msk)
{
	bpf_sk_storage_delete(&dt_rr_storage, msk);
}

SEC("struct_ops")
int BPF_PROG(dt_rr_get_send, struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *subflow, *next;
	struct dt_rr_state *st;

	st = bpf_sk_storage_get(&dt_rr_storage, msk, 0, 0);
	if (!st)
		return -1;

	next = bpf_mptcp_subflow_ctx(msk->first);
	if (!next)
		return -1;
	if (!st->last_snd)
		goto out;

	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk) {
		if (bpf_mptcp_subflow_tcp_sock(subflow) == st->last_snd) {
			subflow = bpf_iter_mptcp_subflow_next(&___it);
			if (!subflow)
				break;
			next = subflow;
			break;
		}
	}

out:
	mptcp_subflow_set_scheduled(next, true);
	st->last_snd = bpf_mptcp_subflow_tcp_sock(next);
	return 0;
}

SEC(".struct_ops.link")
struct mptcp_sched_ops rr = {
	.init		= (void *)dt_rr_init,
	.release	= (void *)dt_rr_release,
	.get_send	= (void *)dt_rr_get_send,
	.name		= "dt_rr",
};

// SPDX-License-Identifier: GPL-2.0
/* The statistics reader's half in BPF: walks a scheduler's ms_conn_state socket storage
 * (struct ms_conn_state, sched_abi.h) and writes each connection's state, as is, to the
 * iterator's output, which `mptcp-sched stats` reads. Socket storage has no key to walk
 * from user space; an iterator visits live sockets only, so the cost of a read grows with
 * the connections that exist, not with any table size.
 */
#include <mptcp_sched/bpf/vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <mptcp_sched/sched_abi.h>

char _license[] SEC("license") = "GPL";

SEC("iter/bpf_sk_storage_map")
int ms_dump_conn_state(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct ms_conn_state *st = ctx->value;

	if (!ctx->sk || !st || !st->conn_id)
		return 0;
	bpf_seq_write(ctx->meta->seq, st, sizeof(*st));
	return 0;
}

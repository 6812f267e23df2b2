/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kfuncs of the BPF MPTCP scheduler interface (docs/KERNEL_ABI.md: the patched vmtest
 * kernel, the MPTCP development tree's export branch), plus the includes every scheduler
 * needs. Declarations only: including this header defines nothing in the object.
 */
#ifndef MPTCP_SCHED_KFUNCS_BPF_H
#define MPTCP_SCHED_KFUNCS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

extern void mptcp_subflow_set_scheduled(struct mptcp_subflow_context *subflow,
					bool scheduled) __ksym;
extern struct mptcp_subflow_context *bpf_mptcp_subflow_ctx(const struct sock *sk) __ksym;
extern struct sock *bpf_mptcp_subflow_tcp_sock(const struct mptcp_subflow_context *subflow) __ksym;
extern bool mptcp_subflow_active(struct mptcp_subflow_context *subflow) __ksym;
extern void mptcp_set_timeout(struct sock *sk) __ksym;
extern __u64 mptcp_wnd_end(const struct mptcp_sock *msk) __ksym;
extern bool bpf_sk_stream_memory_free(const struct mptcp_subflow_context *subflow) __ksym;
/* Open-coded iterator: bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) { ... } */
extern int bpf_iter_mptcp_subflow_new(struct bpf_iter_mptcp_subflow *it, struct sock *sk) __ksym;
extern struct mptcp_subflow_context *
bpf_iter_mptcp_subflow_next(struct bpf_iter_mptcp_subflow *it) __ksym;
extern void bpf_iter_mptcp_subflow_destroy(struct bpf_iter_mptcp_subflow *it) __ksym;
/* Optional (vmtest patch 0008; not in the development tree): run the connection's
 * retransmission (get_retrans) within @usecs instead of at its retransmit timeout. Weak:
 * NULL where the kernel lacks it, so test with bpf_ksym_exists() before calling. */
extern int bpf_mptcp_sched_retrans_in(struct mptcp_sock *msk, __u32 usecs) __ksym __weak;
/* Optional (vmtest patch 0009; not in the development tree): declare @subflow stale, as the
 * core does after net.mptcp.stale_loss_cnt retransmit periods without progress: it takes
 * no new data until it receives again, and the core re-injects the connection's
 * unacknowledged data on the other subflows. Weak, as above. */
extern int bpf_mptcp_subflow_set_stale(struct mptcp_sock *msk,
				       struct mptcp_subflow_context *subflow) __ksym __weak;

#endif /* MPTCP_SCHED_KFUNCS_BPF_H */

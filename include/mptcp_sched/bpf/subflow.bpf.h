/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Subflow predicates and the constants schedulers share. Declarations and static inline
 * functions only: including this header defines nothing in the object.
 */
#ifndef MPTCP_SCHED_SUBFLOW_BPF_H
#define MPTCP_SCHED_SUBFLOW_BPF_H

#include "kfuncs.bpf.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef EAGAIN
#define EAGAIN 11
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef EALREADY
#define EALREADY 114
#endif

/* MPTCP_SEND_BURST_SIZE: 64 KiB minus TCP/IPv6 headers and options, as the kernel uses. */
#define MS_SEND_BURST 65428

/* A subflow may be marked only if the core will really push on it: active (joined, not
 * stale, TCP state allows sending) and with room in its send buffer. Marking one that
 * cannot send makes the core spin on it (the round-robin hangs reported upstream). */
static __always_inline bool ms_can_send(struct mptcp_subflow_context *sf)
{
	return mptcp_subflow_active(sf) && bpf_sk_stream_memory_free(sf);
}

/* Backup if flagged locally or if the peer asked for it (MP_PRIO / MP_JOIN B bit), the
 * same test as the kernel's default scheduler. */
static __always_inline bool ms_is_backup(struct mptcp_subflow_context *sf)
{
	return BPF_CORE_READ_BITFIELD(sf, backup) || BPF_CORE_READ_BITFIELD(sf, request_bkup);
}

/* The subflow's TCP socket, NULL if it has none (yet). A plain field read, no call: to read
 * from, not to pass where a kfunc or helper wants a trusted socket (bpf_mptcp_subflow_tcp_sock
 * gives that one). */
static __always_inline struct sock *ms_ssk(struct mptcp_subflow_context *sf)
{
	return sf->tcp_sock;
}

/* The same socket's TCP fields, NULL if it has none: a read-only view (bpf_core_cast, which
 * the verifier turns into a register move), so reading a subflow's TCP state costs no
 * helper call. */
static __always_inline struct tcp_sock *ms_tcp(struct mptcp_subflow_context *sf)
{
	struct sock *ssk = ms_ssk(sf);

	return ssk ? bpf_core_cast(ssk, struct tcp_sock) : NULL;
}

#endif /* MPTCP_SCHED_SUBFLOW_BPF_H */

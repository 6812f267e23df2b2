// SPDX-License-Identifier: GPL-2.0
/*
 * mptcpify - make the TCP sockets of unmodified programs MPTCP (`mptcp-sched run`).
 *
 * Mainline Linux (>= 6.6) calls update_socket_protocol(family, type, protocol) in
 * socket() before the socket is created and lets an fmod_ret BPF program return another
 * protocol. This program returns IPPROTO_MPTCP for IPv4/IPv6 stream sockets asking for TCP
 * (protocol 0 or IPPROTO_TCP), but only for processes in the cgroup the loader names (or
 * below it), so nothing else on the machine changes. Because it acts in the kernel, it
 * also covers statically linked programs that an LD_PRELOAD wrapper cannot reach.
 *
 * The hook sees the type as the program passed it, SOCK_CLOEXEC and SOCK_NONBLOCK included
 * (Python, Go and most runtimes set SOCK_CLOEXEC), so only the type bits are compared.
 *
 * A peer without MPTCP is no problem: the connection falls back to TCP as usual.
 */
#include <mptcp_sched/bpf/vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_TYPE_MASK 0xf
#define IPPROTO_TCP 6
#define IPPROTO_MPTCP 262

char _license[] SEC("license") = "GPL";

/* Set by the loader before load: the cgroup v2 id and its level below the root. */
const volatile __u64 target_cgroup_id = 0;
const volatile __u32 target_cgroup_level = 0;

/* Sockets switched to MPTCP, for the loader's report. */
__u64 mptcpified;

SEC("fmod_ret/update_socket_protocol")
int BPF_PROG(mptcpify, int family, int type, int protocol)
{
	if ((family != AF_INET && family != AF_INET6) || (type & SOCK_TYPE_MASK) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return protocol;
	if (bpf_get_current_ancestor_cgroup_id(target_cgroup_level) != target_cgroup_id)
		return protocol;
	__sync_fetch_and_add(&mptcpified, 1);
	return IPPROTO_MPTCP;
}

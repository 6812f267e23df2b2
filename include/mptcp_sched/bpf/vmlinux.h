/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel types the schedulers use, declared by hand for CO-RE.
 *
 * Why not a full `bpftool btf dump ... format c` vmlinux.h: the BPF build would then depend
 * on the build machine's running kernel (whose BTF on a stock kernel lacks nothing we need,
 * but differs from machine to machine), or on a multi-megabyte generated file checked in.
 * Every struct here carries preserve_access_index, so each field access becomes a CO-RE
 * relocation that libbpf resolves by *name* against the running kernel's BTF at load time.
 * Only the fields we touch are declared; their local order and offsets do not matter. The
 * build is therefore deterministic and independent of the host kernel, and a field missing
 * from a target kernel fails the load with a libbpf message naming it.
 */
#ifndef MPTCP_SCHED_VMLINUX_H
#define MPTCP_SCHED_VMLINUX_H

#include <linux/types.h>
#include <linux/bpf.h>

#ifndef __bpf__
#error "mptcp_sched/bpf/vmlinux.h is for BPF programs only"
#endif

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct kernfs_node {
	u64 id;
};

struct cgroup {
	int level;
	struct kernfs_node *kn;
	struct cgroup *ancestors[];	/* all ancestors including itself, by level */
};

struct sock_cgroup_data {
	struct cgroup *cgroup;
};

struct sock {
	struct sock_common __sk_common;
	struct sock_cgroup_data sk_cgrp_data;
	int sk_sndbuf;
	int sk_wmem_queued;
	unsigned long sk_pacing_rate;
	u16 sk_protocol;
	u32 sk_mark;
};

struct minmax_sample {
	u32 t;
	u32 v;
};

struct minmax {
	struct minmax_sample s[3];
};

struct tcp_rack {
	u32 rtt_us;		/* the RTT of the latest-sent segment delivered, us (RACK) */
};

struct tcp_sock {
	u32 srtt_us;
	u32 snd_cwnd;
	u32 packets_out;
	u32 sacked_out;		/* of packets_out: SACKed */
	u32 mss_cache;
	u64 bytes_sent;
	u64 bytes_acked;
	u32 snd_wnd;
	u32 write_seq;
	u32 snd_nxt;
	u32 rttvar_us;
	struct minmax rtt_min;	/* windowed minimum RTT, us: s[0].v is the minimum */
	u64 delivered_mstamp;	/* tcp_clock_us() (CLOCK_MONOTONIC) of the latest delivery */
	u32 rate_delivered;	/* the latest rate sample: segments delivered ... */
	u32 rate_interval_us;	/* ... over this interval (0: no sample) */
	struct tcp_rack rack;
};

/* net/mptcp/protocol.h */
struct mptcp_pm_data {
	u8 extra_subflows;	/* subflows the path manager added besides the first */
	u8 subflows;		/* its name before Linux 6.18 */
};

struct mptcp_sock {
	u32 token;
	int snd_burst;
	u64 snd_nxt;
	u64 write_seq;
	u64 snd_una;
	struct sock *first;
	struct mptcp_pm_data pm;
	bool use_64bit_ack;	/* the peer's data acks are 64-bit: so are ours */
};

struct mptcp_subflow_context {
	u32 request_join : 1, fully_established : 1, backup : 1, request_bkup : 1;
	u8 stale;
	u32 subflow_id;
	unsigned long avg_pacing_rate;
	struct sock *tcp_sock;
	s16 local_id;
	u8 remote_id;
};

/* The context of a BPF iterator over a socket storage map (bpf/stats_iter.bpf.c). */
struct seq_file;
struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__bpf_sk_storage_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	struct sock *sk;
	void *value;
};

#pragma clang attribute pop

/* include/net/mptcp.h: the struct_ops type. libbpf maps members to the kernel's by name. */
#define MPTCP_SCHED_NAME_MAX 16

struct mptcp_sched_ops {
	int (*get_send)(struct mptcp_sock *msk);
	int (*get_retrans)(struct mptcp_sock *msk);
	char name[MPTCP_SCHED_NAME_MAX];
	void (*init)(struct mptcp_sock *msk);
	void (*release)(struct mptcp_sock *msk);
};


struct bpf_map;

/* Opaque iterator state, as the kernel declares it. */
struct bpf_iter_mptcp_subflow {
	__u64 __opaque[2];
} __attribute__((aligned(8)));

#endif /* MPTCP_SCHED_VMLINUX_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * ms_rules - per-connection policy selection by rules.
 *
 * Policy: at a connection's first scheduling decision, walk the rule table in order and
 * take the policy of the first rule that matches the connection (destination / source
 * port range, destination / source prefix, cgroup v2 of the socket's creator, socket
 * mark); no match means the default policy. The choice and the rule id are stored in the
 * connection's socket storage and every later decision goes straight to that policy
 * (min-RTT, round-robin, redundant, backup-aware, BLEST or interactive, the same code as the single-policy
 * schedulers, mptcp_sched/bpf/policies.bpf.h). The rules and the default live in the pinned maps
 * ms_rules and ms_rules_cfg, written by `mptcp-sched rule ...`.
 *
 * Why one dispatching struct_ops:
 *  - The kernel binds a connection's scheduler from net.mptcp.scheduler when the socket is
 *    created, before connect() or accept() says anything about addresses or ports; the
 *    sysctl is per netns, so switching it around socket() calls would race between
 *    processes and could not see ports at all.
 *  - No helper, kfunc or socket option changes msk->sched after creation, so a sockops or
 *    cgroup program cannot re-bind a connection to another registered scheduler without a
 *    new kernel interface, and a socket option would need modified applications.
 *  - One scheduler that holds every policy can decide per connection with what the first
 *    decision sees (the connection's addresses, mark and cgroup), using only the interface
 *    of KERNEL_ABI.md. The price: the rule walk once per connection, then one storage lookup
 *    and a switch per decision; and the policies' tunables (rr_quantum) are shared.
 *
 * Changes never disturb running connections: a connection's policy is fixed at its first
 * decision. The CLI writes a complete new table into the inactive half of ms_rules and then
 * flips ms_rules_cfg.active, so a concurrent match sees the old or the new list, not a mix.
 *
 * Addresses and ports are the connection's own, from the sender's side: on a client,
 * "dport 5001" matches connections to a server's port 5001; on a server, a connection
 * accepted on port 5001 has sport 5001. IPv4-mapped IPv6 addresses match IPv4 prefixes.
 *
 * Fails: as the chosen policy does (-EAGAIN when nothing can send).
 */
#define MS_POLICIES_GLOBAL	/* policies called from several sites: verified once each */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

/* Round-robin's bytes per turn (`mptcp-sched load rr --rr_quantum=16384`). */
MS_TUNABLE(__u32, rr_quantum, MS_RR_QUANTUM_DEFAULT);
MS_TUNABLE(__u32, blest_lambda_pct, MS_BLEST_LAMBDA_PCT_DEFAULT);
MS_TUNABLE(__u32, interactive_tail_segs, MS_INTERACTIVE_TAIL_SEGS_DEFAULT);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * MS_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ms_rule);
} MS_MAP_RULES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_rules_cfg);
} MS_MAP_RULES_CFG SEC(".maps");

/* What the rules are matched against, read once per connection. */
struct ms_match_ctx {
	__u8 daddr[16];
	__u8 saddr[16];
	__u64 cgroup;		/* struct cgroup * as a plain number, for probe reads; 0 = none */
	__u32 mark;
	__u32 cgroup_level;
	__u32 base;		/* first slot of the active table */
	__u32 count;
	__u32 hit_policy;
	__u32 hit_id;
	__u16 family;
	__u16 dport;
	__u16 sport;
};

static __always_inline bool ms_prefix_match(const struct ms_prefix *p, const __u8 *addr,
					    __u16 family)
{
	const __u32 *a = (const __u32 *)addr, *want = (const __u32 *)p->addr;
	const __u32 *mask = (const __u32 *)p->mask;

	if (p->family != family)
		return false;
	return (a[0] & mask[0]) == want[0] && (a[1] & mask[1]) == want[1] &&
	       (a[2] & mask[2]) == want[2] && (a[3] & mask[3]) == want[3];
}

/* Is the creator's cgroup @id at @level, or below it? Same test as cgroup_is_descendant():
 * the ancestor at the rule's level is the rule's cgroup. */
static __always_inline bool ms_cgroup_match(const struct ms_match_ctx *c, __u64 id, __u32 level)
{
	__u64 anc = 0, kn = 0, kn_id = 0;

	if (!c->cgroup || level > c->cgroup_level || level > MS_CGROUP_MAX_LEVEL)
		return false;
	if (bpf_probe_read_kernel(&anc, sizeof(anc), (void *)(c->cgroup +
				  bpf_core_field_offset(struct cgroup, ancestors) + level * 8)) ||
	    !anc)
		return false;
	if (bpf_probe_read_kernel(&kn, sizeof(kn),
				  (void *)(anc + bpf_core_field_offset(struct cgroup, kn))) || !kn)
		return false;
	if (bpf_probe_read_kernel(&kn_id, sizeof(kn_id),
				  (void *)(kn + bpf_core_field_offset(struct kernfs_node, id))))
		return false;
	return kn_id == id;
}

static long ms_match_one(__u32 i, struct ms_match_ctx *c)
{
	__u32 slot = c->base + i;
	struct ms_rule *r;

	if (i >= c->count)
		return 1;
	r = bpf_map_lookup_elem(&ms_rules, &slot);
	if (!r || !r->id)
		return 1;
	if ((r->match & MS_MATCH_DPORT) && (c->dport < r->dport_lo || c->dport > r->dport_hi))
		return 0;
	if ((r->match & MS_MATCH_SPORT) && (c->sport < r->sport_lo || c->sport > r->sport_hi))
		return 0;
	if ((r->match & MS_MATCH_MARK) && (c->mark & r->mark_mask) != r->mark)
		return 0;
	if ((r->match & MS_MATCH_DST) && !ms_prefix_match(&r->dst, c->daddr, c->family))
		return 0;
	if ((r->match & MS_MATCH_SRC) && !ms_prefix_match(&r->src, c->saddr, c->family))
		return 0;
	if ((r->match & MS_MATCH_CGROUP) && !ms_cgroup_match(c, r->cgroup_id, r->cgroup_level))
		return 0;
	c->hit_policy = r->policy;
	c->hit_id = r->id;
	return 1;
}

static const __u8 ms_v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* The connection's family and addresses; an IPv4-mapped IPv6 connection counts as IPv4. */
static __always_inline void ms_match_addrs(struct ms_match_ctx *c, struct sock *sk)
{
	c->family = sk->__sk_common.skc_family;
	if (c->family == AF_INET6) {
		BPF_CORE_READ_INTO(&c->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&c->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		if (!__builtin_memcmp(c->daddr, ms_v4mapped, 12)) {
			c->family = AF_INET;
			__builtin_memcpy(c->daddr, c->daddr + 12, 4);
			__builtin_memcpy(c->saddr, c->saddr + 12, 4);
			__builtin_memset(c->daddr + 4, 0, 12);
			__builtin_memset(c->saddr + 4, 0, 12);
		}
	} else {
		__be32 d = sk->__sk_common.skc_daddr, s = sk->__sk_common.skc_rcv_saddr;

		__builtin_memcpy(c->daddr, &d, 4);
		__builtin_memcpy(c->saddr, &s, 4);
	}
}

/* First decision of a connection: choose its policy. */
/* A subprogram of its own: its match context stays off the stack of the policy calls (the
 * verifier bounds the stack of a whole call chain at 512 bytes). */
static __noinline void ms_rules_decide(struct mptcp_sock *msk, struct ms_conn_state *st)
{
	struct sock *sk = (struct sock *)msk;
	struct ms_match_ctx c = {};
	struct ms_rules_cfg *cfg;
	__u32 zero = 0, active;
	__u64 cg = 0;

	st->decided = 1;
	cfg = bpf_map_lookup_elem(&ms_rules_cfg, &zero);
	if (!cfg)
		return;
	st->policy = cfg->default_policy < MS_POLICY_NR ? cfg->default_policy : MS_POLICY_MINRTT;
	active = cfg->active & 1;
	c.count = active ? cfg->count[1] : cfg->count[0];
	if (!c.count)
		return;
	c.base = active * MS_MAX_RULES;

	ms_match_addrs(&c, sk);
	c.dport = bpf_ntohs(sk->__sk_common.skc_dport);
	c.sport = sk->__sk_common.skc_num;
	c.mark = sk->sk_mark;
	if (!bpf_probe_read_kernel(&cg, sizeof(cg), &sk->sk_cgrp_data.cgroup) && cg) {
		int level = 0;

		bpf_probe_read_kernel(&level, sizeof(level),
				      (void *)(cg + bpf_core_field_offset(struct cgroup, level)));
		c.cgroup = cg;
		c.cgroup_level = level;
	}
	bpf_loop(MS_MAX_RULES, ms_match_one, &c, 0);
	if (c.hit_id && c.hit_policy < MS_POLICY_NR) {
		st->policy = c.hit_policy;
		st->rule_id = c.hit_id;
	}
}

static __always_inline int ms_rules_pick(struct mptcp_sock *msk, enum ms_decision kind)
{
	struct ms_conn_state *st = ms_begin(msk, kind, MS_POLICY_MINRTT);
	__u32 policy = MS_POLICY_MINRTT;

	if (st) {
		if (!st->decided) {
			__u64 t0 = bpf_ktime_get_ns();

			ms_rules_decide(msk, st);
			ms_count(MS_CNT_RULE_MATCHES);
			ms_count_n(MS_CNT_RULE_MATCH_NS, bpf_ktime_get_ns() - t0);
		}
		policy = st->policy;
	}
	switch (policy) {
	case MS_POLICY_RR:
		if (kind == MS_DECISION_RETRANS)	/* as ms_rr: repair on the earliest */
			return ms_pick_arrival(msk, st, kind, 0);
		return ms_pick_rr(msk, st, kind, rr_quantum);
	case MS_POLICY_REDUNDANT:
		return ms_pick_redundant(msk, st, kind);
	case MS_POLICY_INTERACTIVE:
		return ms_pick_interactive(msk, st, kind, interactive_tail_segs);
	case MS_POLICY_BLEST:
		return ms_pick_arrival(msk, st, kind, blest_lambda_pct);
	default:	/* minrtt, backup (the same policy: ms_bkup) */
		return ms_pick_arrival(msk, st, kind, 0);
	}
}

SEC("struct_ops")
int BPF_PROG(rules_get_send, struct mptcp_sock *msk)
{
	return ms_rules_pick(msk, MS_DECISION_SEND);
}

SEC("struct_ops")
int BPF_PROG(rules_get_retrans, struct mptcp_sock *msk)
{
	return ms_rules_pick(msk, MS_DECISION_RETRANS);
}

SEC("struct_ops")
void BPF_PROG(rules_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(rules_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops rules_ops = {
	.get_send	= (void *)rules_get_send,
	.get_retrans	= (void *)rules_get_retrans,
	.init		= (void *)rules_init,
	.release	= (void *)rules_release,
	.name		= "ms_rules",
};

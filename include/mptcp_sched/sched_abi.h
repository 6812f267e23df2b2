/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the BPF schedulers and the mptcp-sched library: the names under which
 * the schedulers register, the counters they keep and the rows of their statistics maps.
 * Included by both sides; only enums, constants and fixed-width structs live here. The C++
 * side static_asserts the struct sizes (src/sched/stats.cpp), so a change here that breaks the
 * layout fails the build instead of misreading maps.
 */
#ifndef MPTCP_SCHED_SCHED_ABI_H
#define MPTCP_SCHED_SCHED_ABI_H

#include <linux/types.h>

/* Every built-in scheduler registers as "ms_<short name>" so it never clashes with
 * schedulers from other sources; MPTCP_SCHED_NAME_MAX (16) bounds the whole name. */
#define MS_SCHED_PREFIX "ms_"

#define MS_STR_(x) #x
#define MS_STR(x) MS_STR_(x)

/*
 * Pins. `mptcp-sched load` pins each scheduler under MS_PIN_ROOT/<registered name>/ (the
 * root can be moved, MPTCP_SCHED_PIN_ROOT): its struct_ops link as MS_PIN_LINK (or, for a
 * SEC(".struct_ops") map without a link, that map as MS_PIN_OPS), its .rodata map as
 * MS_PIN_RODATA (the tunables it was loaded with), and each of the maps below that the
 * object has, under the map's own name. A BPF program names its maps with the MS_MAP_*
 * macros, so the name the loader pins and the reader opens is this one.
 */
#define MS_PIN_ROOT "/sys/fs/bpf/mptcp-sched"
#define MS_PIN_LINK "link"
#define MS_PIN_OPS "ops"
#define MS_PIN_RODATA "rodata"
#define MS_MAP_CONN_STATE ms_conn_state		/* struct ms_conn_state per connection */
#define MS_MAP_COUNTERS ms_counters		/* __u64 per enum ms_counter, per CPU */
#define MS_MAP_RULES ms_rules			/* struct ms_rule[2 * MS_MAX_RULES] (ms_rules) */
#define MS_MAP_RULES_CFG ms_rules_cfg		/* struct ms_rules_cfg at key 0 (ms_rules) */
#define MS_PIN_CONN_STATE MS_STR(MS_MAP_CONN_STATE)
#define MS_PIN_COUNTERS MS_STR(MS_MAP_COUNTERS)
#define MS_PIN_RULES MS_STR(MS_MAP_RULES)
#define MS_PIN_RULES_CFG MS_STR(MS_MAP_RULES_CFG)

/*
 * Tunables: a scheduler's tunables are its global `const volatile` integers (bool, enum,
 * __u8 .. __u64) that at least one of its programs reads. `mptcp-sched load NAME
 * --TUNABLE=VALUE` (and a config's "tunables") set them in .rodata before the load; the
 * verifier then sees constants. Name them in snake_case, prefixed with the policy they
 * belong to (rr_quantum, blest_lambda_pct); MS_TUNABLE defines one. Every scheduler that
 * keeps statistics has MS_TUNABLE_STATS_ENABLED (stats_impl.bpf.h).
 */
#define MS_TUNABLE_STATS_ENABLED "ms_stats_enabled"
#ifdef __bpf__
#define MS_TUNABLE(type, name, value) const volatile type name = (value)
#endif

/* Per-CPU counters, indexed by enum ms_counter, summed over CPUs by the reader. */
enum ms_counter {
	MS_CNT_GET_SEND = 0,	/* get_send calls */
	MS_CNT_GET_RETRANS,	/* get_retrans calls */
	MS_CNT_NO_SUBFLOW,	/* calls that found no subflow able to send (-EAGAIN) */
	MS_CNT_BACKUP_USED,	/* decisions that had to use a backup subflow */
	MS_CNT_CONN_NEW,	/* connections seen for the first time */
	MS_CNT_CONN_RELEASED,	/* connections released */
	MS_CNT_STATS_FULL,	/* decisions without connection state (socket storage could
				 * not be allocated): not in the statistics */
	MS_CNT_RULE_MATCHES,	/* connections matched against the rules (ms_rules) */
	MS_CNT_RULE_MATCH_NS,	/* total ns spent matching them (bpf_ktime_get_ns) */
	MS_CNT_WAITED,		/* decisions that waited for the preferred subflow's send
				 * buffer instead of using a later-arriving one */
	MS_CNT_BLEST_WAITED,	/* ms_blest: slower subflow refused, it would block the
				 * fastest one (the send window would not cover it) */
	MS_CNT_STALLED,		/* decisions that passed over a subflow that stopped: data in
				 * flight, nothing delivered for its stall bound */
	MS_CNT_REINJECTED,	/* repairs (get_retrans) that re-sent data held by a stopped
				 * subflow on a live one */
	MS_CNT_RED_BEHIND,	/* redundant decisions that left a subflow too far behind out
				 * of the set instead of waiting for it */
	MS_CNT_TAIL_COPIED,	/* ms_interactive: tails of what the application wrote sent on
				 * a second subflow as well */
	MS_CNT_REPAIR_ASKED,	/* send decisions that found a subflow stopped beside a live
				 * one and asked the core to repair now (ms_ask_repair), once
				 * per stop */
	MS_CNT_STALE_SET,	/* send decisions that declared a stopped subflow stale, so the
				 * core re-injects the connection's unacknowledged data on the
				 * live ones (bpf_mptcp_subflow_set_stale), once per stop */
	MS_CNT_LAG_STALE,	/* send decisions that declared a degraded subflow stale, its
				 * data arriving far behind the best one's (ms_leave_degraded),
				 * once while it stays degraded */
	MS_CNT_PROBED,		/* send bursts copied on a degraded, idle subflow to measure
				 * it again (ms_commit_probe) */
	MS_CNT_NR,
};

/* Kind of scheduling decision, for ms_stats_record(). */
enum ms_decision {
	MS_DECISION_SEND = 0,
	MS_DECISION_RETRANS = 1,
};

struct ms_endpoint {
	__u8 addr[16];		/* IPv4 in the first 4 bytes, network order */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 port;		/* host order */
};

/* One subflow's row in its connection's state (struct ms_conn_state). */
struct ms_subflow {
	struct ms_endpoint local;
	struct ms_endpoint remote;
	__u8 backup;		/* backup flag (local or requested by the peer) when last seen */
	__u8 reserved[7];
	__u64 chosen_send;	/* times marked by get_send */
	__u64 chosen_retrans;	/* times marked by get_retrans */
	__u64 bytes_sent;	/* TCP bytes_sent of the subflow at the latest decision */
	__u32 srtt_us;		/* smoothed RTT (tcp srtt_us >> 3) at the latest decision */
	__u32 cwnd;		/* congestion window (segments) at the latest decision */
	__u32 unsent;		/* bytes queued in the subflow but not yet sent (write_seq -
				 * snd_nxt) at the latest decision: bytes_sent + unsent is what
				 * the scheduler had handed to the subflow by then */
	__u32 subflow_id;	/* mptcp_subflow_context.subflow_id; 0 = a free row */
	__u64 last_tick;	/* jiffies (bpf_jiffies64) of the latest choice, 0 = never */
};

/* Rows per connection: MPTCP allows at most 8 subflows per connection at a time; when more
 * have existed, the row chosen least recently is reused (rows_reused counts it). */
#define MS_SUBFLOW_ROWS 8

/* A subflow's measured delivery rate (policy state, not a statistic): the windowed
 * maximum of TCP's rate samples (ms_rate_replaces, sched_model.h), kept for the scan's
 * queue arrival (ms_path_queue_arrival_ns). Slot subflow_id % MS_RATE_SLOTS;
 * a slot found holding another subflow's id starts over. */
struct ms_rate_slot {
	__u32 subflow_id;	/* 0 = free */
	__u32 kBps;		/* kB/s (1000 bytes) */
	__u64 stamp_us;		/* when it was sampled (ms_now_us clock) */
};

#define MS_RATE_SLOTS 8

/*
 * Everything a scheduler keeps for one connection, in the socket storage of the MPTCP
 * socket (map ms_conn_state): its policy state and its statistics. The kernel frees it
 * with the socket, so a decision and a release touch only this connection's own memory,
 * and statistics cover every connection however many there are. The reader walks the
 * map with a BPF iterator (bpf/stats_iter.bpf.c); a scheduler gets the map and the
 * recording from mptcp_sched/bpf/stats_impl.bpf.h.
 */
struct ms_conn_state {
	__u64 conn_id;		/* 0 until the first decision; then unique per scheduler */
	__u32 token;		/* MPTCP token of the connection */
	__u32 policy;		/* enum ms_policy, fixed at the first decision */
	__u32 rule_id;		/* rule that chose it (ms_rules), 0 = the default policy */
	__u32 decided;		/* policy and rule_id are set */
	__u32 last_subflow_id;	/* subflow that took the last send burst (round-robin position) */
	__u32 rows_reused;	/* rows given to a newer subflow (more than MS_SUBFLOW_ROWS) */
	__u32 turn_bytes;	/* bytes given to last_subflow_id in its round-robin turn,
				 * ~0: the turn is over */
	__u32 last_row;		/* index in sf[] of the latest choice: where recording looks
				 * first (a hint, checked against its subflow_id) */
	__u64 first_tick;	/* jiffies of the first decision */
	__u64 last_tick;	/* ... of the latest decision */
	__u64 repair_asked_us;	/* when the latest stop an early repair was asked for began
				 * (its subflow's last delivery, ms_now_us clock); 0: none */
	__u32 lag_staled;	/* degraded subflows declared stale (ms_leave_degraded), bits
				 * MS_SF_BIT (sched_model.h), until seen healthy again */
	__u32 reserved;		/* zero */
	struct ms_rate_slot rate[MS_RATE_SLOTS];
	struct ms_subflow sf[MS_SUBFLOW_ROWS];
};

/* The policies every scheduler is built from (mptcp_sched/bpf/policies.bpf.h). A single-policy
 * scheduler reports its own; ms_rules reports the one its rules chose. */
enum ms_policy {
	MS_POLICY_MINRTT = 0,
	MS_POLICY_RR,
	MS_POLICY_REDUNDANT,
	MS_POLICY_BACKUP,
	MS_POLICY_BLEST,
	MS_POLICY_INTERACTIVE,
	MS_POLICY_NR,
	/* A scheduler's own policy, none of the above (`mptcp-sched new`'s starter). */
	MS_POLICY_CUSTOM = 255,
};

/* ---- per-connection rules (schedulers/rules.bpf.c) ---- */

#define MS_MAX_RULES 64		/* rules per table */
#define MS_CGROUP_MAX_LEVEL 32	/* deepest cgroup a rule may name */

/* What a rule matches on: a rule matches when every field its bits name matches. */
enum ms_match {
	MS_MATCH_DPORT = 1 << 0,
	MS_MATCH_SPORT = 1 << 1,
	MS_MATCH_DST = 1 << 2,
	MS_MATCH_SRC = 1 << 3,
	MS_MATCH_CGROUP = 1 << 4,
	MS_MATCH_MARK = 1 << 5,
};

struct ms_prefix {
	__u8 addr[16];		/* already masked; IPv4 in the first 4 bytes */
	__u8 mask[16];
	__u16 family;		/* AF_INET or AF_INET6 */
	__u8 plen;
	__u8 reserved[5];
};

struct ms_rule {
	__u32 id;		/* stable, assigned by the CLI; never 0 in a used slot */
	__u32 policy;		/* enum ms_policy */
	__u32 match;		/* enum ms_match bits */
	__u32 mark;		/* (sk_mark & mark_mask) == mark */
	__u32 mark_mask;
	__u16 dport_lo, dport_hi;	/* inclusive, host order */
	__u16 sport_lo, sport_hi;
	__u32 cgroup_level;	/* depth below the cgroup2 root of cgroup_id */
	__u64 cgroup_id;	/* kernfs id (inode number) of the cgroup v2 directory */
	struct ms_prefix dst;
	struct ms_prefix src;
};

/*
 * The rules live in two tables of MS_MAX_RULES slots each (map ms_rules, slots
 * [table * MS_MAX_RULES, +count)). The CLI writes a complete new table into the inactive
 * half and then switches `active`, so a connection matching concurrently sees either the
 * old or the new list, never a mix. ms_rules_cfg holds this one struct at key 0.
 */
struct ms_rules_cfg {
	__u32 active;		/* 0 or 1 */
	__u32 count[2];		/* rules in each table */
	__u32 default_policy;	/* enum ms_policy for connections no rule matches */
	__u32 next_id;		/* next rule id the CLI hands out */
	__u32 generation;	/* bumped by every change */
};

#endif /* MPTCP_SCHED_SCHED_ABI_H */

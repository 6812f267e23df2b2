// SPDX-License-Identifier: GPL-2.0
/*
 * ms_inter - interactive: low latency for request/response and short flows on lossy paths.
 *
 * Why: on a path that loses packets, a lost segment in the middle of a message is found by
 * the segments after it (SACK, RACK) and re-sent within about one RTT; a lost *last*
 * segment has nothing after it, so the sender only learns of it from a tail-loss probe
 * (two RTTs) or a retransmission timeout (hundreds of ms, doubling). Those tails make the
 * 99th percentile of a request/response exchange. Sending every byte on every path
 * (ms_red) hides them at twice the bytes on the wire; Apple's "interactive" MPTCP service
 * type likewise spends a second path only where latency is at stake.
 *
 * Policy: ms_minrtt's earliest-arrival placement, failure detection and repairs
 * (mptcp_sched/bpf/policies.bpf.h, ms_pick_interactive on ms_pick_arrival), except the
 * tail of what the application has written: once only its last `interactive_tail_segs`
 * data segments (default 2: the last, usually short, one and the whole one before it) are
 * left to send, they go on the subflow where they arrive first and the same bytes on the
 * runner-up with send-buffer room. The bursts before the tail stop short of it on whole
 * segments, so every message written at once gets its own copied tail and no short
 * segment in its middle (which Nagle would hold on a sender without TCP_NODELAY). Two
 * segments, not one: with only the short last one copied, a lost last whole segment is
 * repaired only once that short one is acknowledged (an RTT), or after an RTO if the repair
 * is lost too (docs/bench/lossy: p99 0.92x minrtt's with one, 0.37x with two). Bulk
 * transfers, whose application keeps the send queue full, rarely reach a tail: they run as
 * ms_minrtt does. Backups carry data (copies included) only while no primary is live.
 *
 * Cost: up to two segments per message written on a second path: ~15% more bytes on the
 * wire for 10 kB answers, ~2% for 64 KiB ones, against 100% for ms_red.
 *
 * Tunables: `interactive_tail_segs` (0: never copy, i.e. ms_minrtt): `mptcp-sched load
 * interactive --interactive_tail_segs=3`.
 *
 * Assumes: the application writes a message with one or few send() calls (the tail is what
 * is left unsent when the queue drains), and the two paths lose packets independently. The
 * core must honour a burst to the byte (vmtest/kernel patch 0007): a core that sends whole
 * data fragments (up to 32 KiB) past the burst sends the tail with the body, and no copy
 * is made.
 *
 * Fails: as ms_minrtt (-EAGAIN when nothing can send, or while the subflow it chose has
 * no send-buffer room); with a single subflow, or a single one with room, no copy is made.
 */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
#include <mptcp_sched/bpf/stats_impl.bpf.h>
#include <mptcp_sched/bpf/policies.bpf.h>

char _license[] SEC("license") = "GPL";

/* Segments at the end of what the application wrote that are copied on a second path. */
MS_TUNABLE(__u32, interactive_tail_segs, MS_INTERACTIVE_TAIL_SEGS_DEFAULT);

SEC("struct_ops")
int BPF_PROG(inter_get_send, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_SEND, MS_POLICY_INTERACTIVE);

	return ms_pick_interactive(msk, st, MS_DECISION_SEND, interactive_tail_segs);
}

SEC("struct_ops")
int BPF_PROG(inter_get_retrans, struct mptcp_sock *msk)
{
	struct ms_conn_state *st = ms_begin(msk, MS_DECISION_RETRANS, MS_POLICY_INTERACTIVE);

	return ms_pick_interactive(msk, st, MS_DECISION_RETRANS, interactive_tail_segs);
}

SEC("struct_ops")
void BPF_PROG(inter_init, struct mptcp_sock *msk)
{
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(inter_release, struct mptcp_sock *msk)
{
	ms_release(msk);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops inter_ops = {
	.get_send	= (void *)inter_get_send,
	.get_retrans	= (void *)inter_get_retrans,
	.init		= (void *)inter_init,
	.release	= (void *)inter_release,
	.name		= "ms_inter",
};

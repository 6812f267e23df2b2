// SPDX-License-Identifier: GPL-2.0
/* A scheduler that does everything wrong, at random, on every call: it marks a random
 * subset of the subflows (ready or not, closed or not), returns a random value (0, a
 * negative errno, an out-of-range negative, a positive), sets a random send burst (0,
 * negative, tiny, huge), on retransmission runs the stale check on a random subflow, and,
 * where the kernel has them (our patches 0008 and 0009), asks for a retransmission at random
 * delays and declares random subflows stale (live ones too), from both decisions.
 * The core must keep every connection correct: data delivered byte-exact or the
 * connection reset cleanly, no WARNING, no stall.
 */
#include "dt_mptcp.h"

char _license[] SEC("license") = "GPL";

/* Ours, not the development tree's: weak, absent there. */
extern int bpf_mptcp_sched_retrans_in(struct mptcp_sock *msk, __u32 usecs) __ksym __weak;
extern int bpf_mptcp_subflow_set_stale(struct mptcp_sock *msk,
				       struct mptcp_subflow_context *subflow) __ksym __weak;

/* Calls, to show the test that the chaos ran, and stale marks the kernel took. */
__u64 dt_chaos_calls, dt_chaos_stale_set;

static const int rets[] = { 0, 0, 0, -11 /* EAGAIN */, -22, -4096, -100000, 1, 0x7fffffff,
			    -0x7fffffff - 1 };
static const int bursts[] = { 0, -1, -0x7fffffff - 1, 1, 1400, 65428, 0x7fffffff, -65428 };
static const __u32 delays[] = { 0, 1, 1000, 200000, 0xffffffff };

static __always_inline int dt_chaos(struct mptcp_sock *msk, bool retrans)
{
	struct mptcp_subflow_context *subflow;
	__u32 r = bpf_get_prandom_u32();

	__sync_fetch_and_add(&dt_chaos_calls, 1);
	bpf_for_each(mptcp_subflow, subflow, (struct sock *)msk) {
		__u32 coin = bpf_get_prandom_u32();

		if (coin & 1)
			mptcp_subflow_set_scheduled(subflow, true);
		else if (coin & 2)
			mptcp_subflow_set_scheduled(subflow, false);
		if (retrans && (coin & 4)) {
			struct sock *ssk = bpf_mptcp_subflow_tcp_sock(subflow);

			if (ssk)
				mptcp_pm_subflow_chk_stale(msk, ssk);
		}
		/* one decision in 64, per subflow: often enough to re-inject many times a
		 * second under bulk, rarely enough that the transfers finish */
		if ((coin & 0x3f0) == 0x3f0 && bpf_ksym_exists(bpf_mptcp_subflow_set_stale) &&
		    !bpf_mptcp_subflow_set_stale(msk, subflow))
			__sync_fetch_and_add(&dt_chaos_stale_set, 1);
	}
	if (r & 0x100)
		msk->snd_burst = bursts[(r >> 12) % (sizeof(bursts) / sizeof(bursts[0]))];
	if ((r & 0x200) && bpf_ksym_exists(bpf_mptcp_sched_retrans_in))
		bpf_mptcp_sched_retrans_in(msk, delays[(r >> 20) % (sizeof(delays) / sizeof(delays[0]))]);
	return rets[r % (sizeof(rets) / sizeof(rets[0]))];
}

SEC("struct_ops")
int BPF_PROG(dt_chaos_get_send, struct mptcp_sock *msk)
{
	return dt_chaos(msk, false);
}

SEC("struct_ops")
int BPF_PROG(dt_chaos_get_retrans, struct mptcp_sock *msk)
{
	return dt_chaos(msk, true);
}

SEC(".struct_ops.link")
struct mptcp_sched_ops chaos = {
	.get_send	= (void *)dt_chaos_get_send,
	.get_retrans	= (void *)dt_chaos_get_retrans,
	.name		= "dt_chaos",
};

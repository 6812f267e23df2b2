// SPDX-License-Identifier: GPL-2.0
// The per-connection state every scheduler built on mptcp_sched/bpf/stats_impl.bpf.h keeps in the
// socket storage of the MPTCP socket (struct ms_conn_state, sched_abi.h), read back.
#pragma once

#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

// Every connection state in the ms_conn_state map pinned at PIN, walked with a BPF
// iterator (bpf/stats_iter.bpf.c): only live connections are visited, so the cost grows
// with the connections that exist. Socket storage has no keys to walk from user space.
Result<std::vector<ms_conn_state>> read_conn_states(const std::string& pin);

}  // namespace mptcp_sched

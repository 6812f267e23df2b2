// SPDX-License-Identifier: GPL-2.0
// Per-connection, per-subflow scheduling statistics, read from the pinned maps of every
// loaded scheduler while traffic flows.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

struct SubflowStats {
    uint32_t subflow_id = 0;
    ms_subflow row{};
};

struct ConnStats {
    uint64_t conn_id = 0;
    ms_conn conn{};
    std::vector<SubflowStats> subflows;   // by subflow id
};

struct SchedulerStats {
    std::string name;
    std::array<uint64_t, MS_CNT_NR> counters{};   // summed over CPUs
    std::vector<ConnStats> conns;                 // by connection id
};

Result<std::vector<SchedulerStats>> read_stats();

std::string endpoint_str(const ms_endpoint& ep);
const char* counter_name(ms_counter c);
nlohmann::json stats_to_json(const std::vector<SchedulerStats>& all);
std::string render_stats(const std::vector<SchedulerStats>& all);

}  // namespace mptcp_sched

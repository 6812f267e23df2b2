// SPDX-License-Identifier: GPL-2.0
// Per-connection, per-subflow scheduling statistics, read from the pinned maps of every
// loaded scheduler while traffic flows.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

struct SubflowStats {
    uint32_t subflow_id = 0;
    ms_subflow row{};
};

struct ConnStats {
    uint64_t conn_id = 0;
    ms_conn_state state{};                // as the scheduler keeps it (token, policy, rows)
    std::vector<SubflowStats> subflows;   // its used rows, by subflow id
    uint64_t bytes_sent() const;          // over its subflows
};

struct SchedulerStats {
    std::string name;
    std::array<uint64_t, MS_CNT_NR> counters{};   // summed over CPUs
    std::vector<ConnStats> conns;                 // by connection id
};

// Which connections a reader wants: any subflow towards DPORT / from SPORT, the MPTCP token
// TOKEN; then the TOP by bytes sent (0 = all).
struct StatsFilter {
    std::optional<uint16_t> dport;
    std::optional<uint16_t> sport;
    std::optional<uint32_t> token;
    size_t top = 0;
};

Result<std::vector<SchedulerStats>> read_stats(const Paths& paths, const StatsFilter& filter = {});

// Only the counters (summed over CPUs) of the scheduler loaded by us under @name (its
// registered name): what the bench reads before and after each run. ENOENT: not loaded by
// us, or it keeps no statistics.
Result<std::array<uint64_t, MS_CNT_NR>> read_counters(const Paths& paths, const std::string& name);

// Keeps the connections FILTER asks for (pure; exposed for tests).
void apply_filter(std::vector<ConnStats>& conns, const StatsFilter& filter);

std::string endpoint_str(const ms_endpoint& ep);
const char* counter_name(ms_counter c);
nlohmann::json stats_to_json(const std::vector<SchedulerStats>& all);
std::string render_stats(const std::vector<SchedulerStats>& all);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched doctor`: the checks of the MPTCP set-up guides, run against the current
// network namespace, each failure or warning with the command that fixes it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/paths.h"

namespace mptcp_sched {

struct Check {
    enum Level { Ok, Info, Warn, Fail } level = Ok;
    std::string name;                 // short id, e.g. "limits"
    std::string message;
    std::vector<std::string> fixes;   // commands, in order
};

// @netns only shapes the fix commands (`ip -n NS ...`, `ip netns exec NS sysctl ...`).
std::vector<Check> run_doctor(const Paths& paths, const std::string& netns);
bool doctor_failed(const std::vector<Check>& checks);
std::string render_doctor(const std::vector<Check>& checks);
nlohmann::json doctor_json(const std::vector<Check>& checks);

}  // namespace mptcp_sched

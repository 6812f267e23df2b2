// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched list` and `schedulers`: every scheduler this binary, the kernel and our pins
// know of, and where each is selected; the built-in objects described.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched/schedulers.h"

namespace mptcp_sched {

struct SchedulerRow {
    std::string name;              // a built-in's short name, else the registered name
    std::string registered_name;   // the name the kernel knows (ms_rr)
    bool built_in = false;
    bool registered = false;       // in net.mptcp.available_schedulers
    bool loaded_by_us = false;     // pinned under Paths::pin_root
    std::string pin_dir;           // with loaded_by_us
    unsigned link_id = 0;          // with loaded_by_us; 0: registered without a link
    unsigned map_id = 0;           // with loaded_by_us: its struct_ops map
    std::optional<size_t> connections;    // its live connections, if it keeps statistics
    std::vector<std::string> selected_in; // "(current)" and the named netns selecting it
};

// Built-ins first, then other registered schedulers, then other pinned ones.
Result<std::vector<SchedulerRow>> scheduler_inventory(const Paths& paths);
nlohmann::json to_json(const SchedulerRow& r);

// A built-in scheduler with what its object declares (`mptcp-sched schedulers --json`).
nlohmann::json to_json(const BuiltinScheduler& s, const ObjectInfo& info);

}  // namespace mptcp_sched

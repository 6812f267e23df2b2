// SPDX-License-Identifier: GPL-2.0
// pathd: a userspace MPTCP path manager. It switches its network namespace to the
// userspace path manager, follows MPTCP events (connections, subflows, announced
// addresses) and link/address changes, opens and closes subflows by policy, and restores
// the path-manager setting it found when it stops.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mptcp_sched/result.h"

namespace mptcp_sched {

struct PathdOptions {
    bool fullmesh = false;                    // a subflow per local x remote address pair
    std::vector<std::string> backup_ifaces;   // fnmatch patterns: subflows from these are backup
    bool mobility = false;                    // follow interfaces and addresses going and coming
    std::optional<uint32_t> max_subflows;     // default: the netns's `subflows` limit
    bool json = false;                        // log lines as JSON objects
};

// Parses one --policy value: "fullmesh", "backup-iface=PATTERN", "mobility".
Result<void> pathd_add_policy(PathdOptions& o, const std::string& policy);

// Runs until @stop becomes true or a SIGTERM/SIGINT arrives, in the current netns.
// @log receives each log line (already formatted, text or JSON).
Result<void> run_pathd(const PathdOptions& o, const std::function<void(const std::string&)>& log);

}  // namespace mptcp_sched

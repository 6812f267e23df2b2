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

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/base/stop.h"

namespace mptcp_sched {

struct PathdOptions {
    bool fullmesh = false;                    // a subflow per local x remote address pair
    std::vector<std::string> backup_ifaces;   // fnmatch patterns: subflows from these are backup
    bool mobility = false;                    // follow interfaces and addresses going and coming
    std::optional<uint32_t> max_subflows;     // default: the netns's `subflows` limit
    bool json = false;                        // log lines as JSON objects
    // Receive buffer of the event sockets. Beyond it the kernel drops events; pathd then
    // re-reads connections, subflows and addresses by dump and goes on.
    int event_buffer = 8 << 20;
    // The log's file descriptor (-1: none). When its reader goes away (a pipe closed:
    // `pathd | head -1`) pathd stops, restoring the path manager, as it does when a log
    // line cannot be written.
    int log_fd = -1;
    // pathd runs until a stop is requested here (the CLI: SIGTERM, SIGINT, SIGHUP).
    StopToken stop;
    Paths paths;   // the path-manager sysctl under sysctl_root
};

// Each log line (already formatted, text or JSON); false when it could not be written.
using PathdLog = std::function<bool(const std::string&)>;

// Parses one --policy value: "fullmesh", "backup-iface=PATTERN", "mobility".
Result<void> pathd_add_policy(PathdOptions& o, const std::string& policy);

// Runs until PathdOptions::stop is requested, in the current netns. Before switching the
// path manager it records "set by pid N, previous value X" in its lock file
// (/run/mptcp-sched-pathd-<netns inode>.lock); a pathd that died without restoring (SIGKILL,
// a crash) is undone by the next start, which logs one line saying so.
Result<void> run_pathd(const PathdOptions& o, const PathdLog& log);

// `pathd --reset`: restores what a dead pathd left in the current netns and returns the
// one line that says what was done. Refuses while a live pathd holds the netns.
Result<std::string> reset_pathd(const Paths& paths);

}  // namespace mptcp_sched

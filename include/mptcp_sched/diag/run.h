// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched run`: run a command whose TCP sockets become MPTCP, through the mainline BPF
// hook on update_socket_protocol (fmod_ret, Linux >= 6.6), scoped to one cgroup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct RunOptions {
    std::string cgroup;              // existing cgroup v2 to use; "" = a fresh one, removed after
    std::vector<std::string> argv;   // the command
    bool all_processes = false;      // allows --cgroup / (every process on the machine)
};

struct RunResult {
    int status = 0;                  // the command's exit status (128 + signal if killed)
    uint64_t mptcpified = 0;         // sockets the hook switched to MPTCP
    std::string cgroup;              // where the command ran
    std::string cgroup_left;         // the fresh cgroup that could not be removed, and why
};

// Attaches the hook, runs the command in the cgroup, waits for it (forwarding SIGINT,
// SIGTERM and SIGHUP), then detaches and removes the cgroup it created.
Result<RunResult> run_with_mptcp(const RunOptions& o);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched run`: run a command whose TCP sockets become MPTCP, through the mainline BPF
// hook on update_socket_protocol (fmod_ret, Linux >= 6.6), scoped to one cgroup.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"
#include "mptcp_sched/base/stop.h"

namespace mptcp_sched {

struct RunOptions {
    std::string cgroup;              // existing cgroup v2 to use; "" = a fresh one, removed after
    std::vector<std::string> argv;   // the command
    bool all_processes = false;      // allows --cgroup / (every process on the machine)
    // Stop requests while the command runs: those another process sent to the caller alone
    // are passed on to the command (the terminal's Ctrl-C reaches it directly).
    StopToken stop;
};

struct RunResult {
    int status = 0;                  // the command's exit status (128 + signal if killed)
    uint64_t mptcpified = 0;         // sockets the hook switched to MPTCP
    std::string cgroup;              // where the command ran
    std::string cgroup_left;         // the fresh cgroup that could not be removed, and why
    std::string start_error;         // why the command could not be started (status 126/127)
};

// Attaches the hook, runs the command in the cgroup, waits for it (forwarding SIGINT,
// the stop requests of RunOptions::stop), then detaches and removes the cgroup it created.
Result<RunResult> run_with_mptcp(const RunOptions& o);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// Where the library looks on this machine: the bpffs directory of its pins, the sysctl
// tree, the named network namespaces. The library never reads the environment: the program
// that embeds it (the CLI: MPTCP_SCHED_PIN_ROOT, MPTCP_SCHED_SYSCTL_ROOT,
// MPTCP_SCHED_NETNS_DIR) chooses once, before the first call, with set_paths().
#pragma once

#include <string>

#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

struct Paths {
    std::string pin_root = MS_PIN_ROOT;   // one directory per loaded scheduler
    std::string sysctl_root = "/proc/sys";
    std::string netns_dir = "/run/netns";   // `ip netns` names
};

// The paths in use (the defaults until set_paths()). Not synchronised: set them before
// starting threads that call the library.
const Paths& paths();
void set_paths(Paths p);

}  // namespace mptcp_sched

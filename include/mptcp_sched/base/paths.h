// SPDX-License-Identifier: GPL-2.0
// Where the library looks on this machine: the bpffs directory of its pins, the sysctl
// tree, the named network namespaces. Every call that touches one of them is given a Paths
// (a parameter, or a member of the options it already takes); there is no process-wide
// setting, so two Paths can be used side by side. The library never reads the environment:
// the program that embeds it chooses (the CLI reads MPTCP_SCHED_PIN_ROOT,
// MPTCP_SCHED_SYSCTL_ROOT and MPTCP_SCHED_NETNS_DIR once, in main).
#pragma once

#include <string>

#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

struct Paths {
    std::string pin_root = MS_PIN_ROOT;   // one directory per loaded scheduler
    std::string sysctl_root = "/proc/sys";
    std::string netns_dir = "/run/netns";   // `ip netns` names
};

}  // namespace mptcp_sched

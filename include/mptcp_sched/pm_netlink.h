// SPDX-License-Identifier: GPL-2.0
// The MPTCP path-manager generic-netlink family ("mptcp_pm"), through libmnl. Works in the
// caller's network namespace (see NetnsScope).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mptcp_sched/result.h"

namespace mptcp_sched {

struct PmLimits {
    uint32_t subflows = 0;            // max additional subflows per connection
    uint32_t add_addr_accepted = 0;   // max ADD_ADDR accepted per connection
};

struct PmEndpoint {
    uint32_t id = 0;
    int family = 0;              // AF_INET / AF_INET6
    std::string addr;            // textual address
    uint16_t port = 0;           // 0 = none
    uint32_t flags = 0;          // MPTCP_PM_ADDR_FLAG_*
    int ifindex = 0;             // 0 = none
};

// "signal subflow backup fullmesh implicit" subset for FLAGS, in `ip mptcp` order.
std::vector<std::string> endpoint_flag_names(uint32_t flags);

Result<PmLimits> pm_get_limits();
Result<std::vector<PmEndpoint>> pm_list_endpoints();

}  // namespace mptcp_sched

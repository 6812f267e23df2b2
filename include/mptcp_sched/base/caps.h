// SPDX-License-Identifier: GPL-2.0
// The effective capabilities of this process: what loading BPF needs.
#pragma once

#include <cstdint>
#include <string>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct Privileges {
    uint32_t euid = 0;
    bool cap_net_admin = false;
    bool cap_sys_admin = false;
    bool cap_perfmon = false;
    bool cap_bpf = false;
    // Loading struct_ops needs CAP_BPF + CAP_NET_ADMIN (or CAP_SYS_ADMIN).
    bool can_load() const { return (cap_bpf || cap_sys_admin) && (cap_net_admin || cap_sys_admin); }
};

// Parses the CapEff line value of /proc/PID/status ("000001ffffffffff").
Result<Privileges> parse_cap_eff(const std::string& hex, uint32_t euid);
Result<Privileges> current_privileges();

}  // namespace mptcp_sched

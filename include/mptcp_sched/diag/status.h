// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched status`: what this kernel and network namespace offer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/sched/btf_probe.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/base/caps.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct NetnsStatus {
    std::string netns;                          // "" = the caller's
    std::optional<bool> mptcp_enabled;          // nullopt: no net.mptcp (no MPTCP)
    std::string scheduler;                      // net.mptcp.scheduler
    std::vector<std::string> available_schedulers;
    std::string path_manager;                   // net.mptcp.path_manager or from pm_type
    std::optional<PmLimits> limits;
    std::optional<size_t> endpoints;
    std::vector<std::string> errors;            // what could not be read, and why
};

struct KernelStatus {
    std::string release;
    NetnsStatus ns;
    std::optional<BpfSchedProbe> bpf;           // nullopt when BTF could not be read
    std::string bpf_error;
    bool bpffs_mounted = false;
    std::optional<bool> bpf_stats_enabled;
    Privileges privileges;

    bool bpf_sched_supported() const { return bpf && bpf->supported(); }
};

// Reads the namespace part inside NETNS ("" = current).
Result<NetnsStatus> collect_netns_status(const Paths& paths, const std::string& netns);
Result<KernelStatus> collect_status(const Paths& paths, const std::string& netns);

// Maps pm_type (older kernels) to a name: 0 kernel (in-kernel), 1 userspace.
std::string pm_type_name(long pm_type);

nlohmann::json to_json(const KernelStatus& st);
std::string render_status(const KernelStatus& st);

}  // namespace mptcp_sched

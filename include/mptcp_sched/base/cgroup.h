// SPDX-License-Identifier: GPL-2.0
// cgroup v2: where it is mounted, a directory's kernfs id and level, and back.
#pragma once

#include <cstdint>
#include <string>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// The deepest cgroup the BPF programs follow (MS_CGROUP_MAX_LEVEL in sched_abi.h).
inline constexpr uint32_t kCgroupMaxLevel = 32;

// Where cgroup v2 is mounted ("" = nowhere), from /proc/self/mountinfo.
std::string cgroup2_root();

// cgroup v2 directory -> (kernfs id, level below the root). CGROUP_ROOT is the cgroup2
// mount ("" = find it in /proc/self/mountinfo).
struct CgroupRef {
    uint64_t id = 0;
    uint32_t level = 0;
    std::string path;   // as shown to users: relative to the cgroup2 root, with a leading /
};
Result<CgroupRef> resolve_cgroup(const std::string& path, const std::string& cgroup_root = "");

// The cgroup directory with kernfs id @id, searched below @root down to @level ("" = not
// found), relative to @root with a leading /.
std::string cgroup_path_of(uint64_t id, uint32_t level, const std::string& root);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// The BPF filesystem that pins live on.
#pragma once

#include <linux/bpf.h>

#include <string>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// Whether DIR is (the root of) a mounted BPF filesystem.
bool is_bpffs(const std::string& dir);

// A pinned BPF map, opened, with what the kernel says of it.
struct PinnedMap {
    UniqueFd fd;
    struct bpf_map_info info {};
};

// "failed to open pinned map PATH: why" / "failed to inspect PATH: why".
Result<PinnedMap> open_pinned_map(const std::string& path);

}  // namespace mptcp_sched

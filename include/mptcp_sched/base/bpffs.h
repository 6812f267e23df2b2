// SPDX-License-Identifier: GPL-2.0
// The BPF filesystem that pins live on.
#pragma once

#include <string>

namespace mptcp_sched {

// Whether DIR is (the root of) a mounted BPF filesystem.
bool is_bpffs(const std::string& dir);

}  // namespace mptcp_sched

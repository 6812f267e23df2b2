// SPDX-License-Identifier: GPL-2.0
// sysctl access through Paths::sysctl_root (/proc/sys, which follows the caller's network
// namespace).
#pragma once

#include <string>
#include <vector>

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// "net.mptcp.scheduler" -> "<Paths::sysctl_root>/net/mptcp/scheduler".
std::string sysctl_path(const Paths& paths, const std::string& key);

// Value with surrounding whitespace removed. ENOENT when the key does not exist.
Result<std::string> read_sysctl(const Paths& paths, const std::string& key);
Result<void> write_sysctl(const Paths& paths, const std::string& key, const std::string& value);

// Whitespace-separated words, as in net.mptcp.available_schedulers.
std::vector<std::string> split_words(const std::string& s);

// Parses a non-negative integer sysctl value ("1\n" -> 1); error for anything else.
Result<long> parse_sysctl_int(const std::string& value);

}  // namespace mptcp_sched

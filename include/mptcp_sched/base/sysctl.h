// SPDX-License-Identifier: GPL-2.0
// sysctl access through /proc/sys (which follows the caller's network namespace).
#pragma once

#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// "net.mptcp.scheduler" -> "<root>/net/mptcp/scheduler"; root is /proc/sys unless the
// MPTCP_SCHED_SYSCTL_ROOT environment variable (tests) says otherwise.
std::string sysctl_path(const std::string& key);

// Value with surrounding whitespace removed. ENOENT when the key does not exist.
Result<std::string> read_sysctl(const std::string& key);
Result<void> write_sysctl(const std::string& key, const std::string& value);

// Whitespace-separated words, as in net.mptcp.available_schedulers.
std::vector<std::string> split_words(const std::string& s);

// Parses a non-negative integer sysctl value ("1\n" -> 1); error for anything else.
Result<long> parse_sysctl_int(const std::string& value);

}  // namespace mptcp_sched

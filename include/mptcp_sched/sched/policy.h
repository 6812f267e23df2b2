// SPDX-License-Identifier: GPL-2.0
// The names of the per-connection policies (enum ms_policy in sched_abi.h), for rules and
// stats alike.
#pragma once

#include <cstdint>
#include <string>

#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

// Policy names: minrtt, roundrobin (rr), redundant (red), backup (bkup), blest.
Result<ms_policy> parse_policy(const std::string& name);
const char* policy_name(uint32_t policy);

}  // namespace mptcp_sched

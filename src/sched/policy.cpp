// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/policy.h"

#include <vector>

namespace mptcp_sched {

namespace {

struct PolicyName {
    ms_policy policy;
    std::vector<std::string> names;   // first is canonical
};

const std::vector<PolicyName>& policy_names()
{
    static const std::vector<PolicyName> list = {
        {MS_POLICY_MINRTT, {"minrtt", "min-rtt"}},
        {MS_POLICY_RR, {"roundrobin", "rr", "round-robin"}},
        {MS_POLICY_REDUNDANT, {"redundant", "red"}},
        {MS_POLICY_BACKUP, {"backup", "bkup", "backup-aware"}},
        {MS_POLICY_BLEST, {"blest"}},
        {MS_POLICY_INTERACTIVE, {"interactive"}},
    };
    return list;
}

}  // namespace

Result<ms_policy> parse_policy(const std::string& name)
{
    std::string known;
    for (const auto& p : policy_names()) {
        for (const auto& n : p.names)
            if (n == name)
                return p.policy;
        known += (known.empty() ? "" : ", ") + p.names.front();
    }
    return fail_msg("unknown policy '" + name + "' (policies: " + known + ")", EINVAL);
}

const char* policy_name(uint32_t policy)
{
    for (const auto& p : policy_names())
        if (p.policy == policy)
            return p.names.front().c_str();
    return policy == MS_POLICY_CUSTOM ? "custom" : "?";
}

}  // namespace mptcp_sched

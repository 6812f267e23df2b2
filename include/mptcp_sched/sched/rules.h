// SPDX-License-Identifier: GPL-2.0
// Per-connection rules of the ms_rules scheduler (schedulers/rules.bpf.c): parsing what the
// user types into struct ms_rule, and reading / replacing the rule table in the pinned
// maps. The maps are the only copy of the rules; they live as long as ms_rules is loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/cgroup.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched/policy.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

// What `rule add` is given; empty strings are "not matched on".
struct RuleSpec {
    std::string policy;
    std::string dport, sport;   // "5001" or "5000-5010"
    std::string dst, src;       // "10.0.0.0/8", "2001:db8::/32", or a single address
    std::string cgroup;         // cgroup v2 directory: absolute, or relative to the mount
    std::string mark;           // "0x10" or "0x10/0xff"
};

// Parsers for the pieces, exposed for tests; errors read "invalid ...: why".
Result<std::pair<uint16_t, uint16_t>> parse_port_range(const std::string& what,
                                                       const std::string& s);
Result<ms_prefix> parse_prefix(const std::string& what, const std::string& s);
Result<std::pair<uint32_t, uint32_t>> parse_mark(const std::string& s);


// Everything but the id: a rule as it will be stored. Rejects a rule that matches nothing.
Result<ms_rule> build_rule(const RuleSpec& spec, const std::string& cgroup_root = "");

// Same match fields (policy and id ignored).
bool same_match(const ms_rule& a, const ms_rule& b);

// "dport 5001 dst 10.0.1.0/24 -> redundant"; cgroups by id unless a path is known.
std::string describe_match(const ms_rule& r);
nlohmann::json rule_to_json(const ms_rule& r);

struct RuleTable {
    std::vector<ms_rule> rules;   // in match order
    uint32_t default_policy = MS_POLICY_MINRTT;
    uint32_t generation = 0;
};

// The table of the ms_rules scheduler loaded under Paths::pin_root; an error naming
// `mptcp-sched load rules` when it is not loaded.
Result<RuleTable> read_rules(const Paths& paths);

// The lock that serialises rule changes with loading and unloading ms_rules (held while the
// returned descriptor is open): /run/mptcp-sched-rules.lock.
Result<UniqueFd> take_rules_lock();

// Changes; each one is atomic for connections matching concurrently and serialised with
// other mptcp-sched processes by a lock file.
Result<ms_rule> add_rule(const Paths& paths, ms_rule rule,
                         std::optional<uint32_t> before_id = std::nullopt);
Result<std::vector<ms_rule>> delete_rules(const Paths& paths, const std::vector<uint32_t>& ids);
Result<size_t> flush_rules(const Paths& paths);
Result<void> set_default_policy(const Paths& paths, ms_policy p);
// The whole table and the default policy in one switch (a connection matching concurrently
// sees the old or the new table); the rules get fresh ids, returned in order.
Result<std::vector<ms_rule>> replace_rules(const Paths& paths, std::vector<ms_rule> rules,
                                           ms_policy default_policy);

// The table as `rule list --json` shows it: default policy, generation, limit, rules.
nlohmann::json to_json(const RuleTable& t);

}  // namespace mptcp_sched

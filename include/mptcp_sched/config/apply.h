// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched apply FILE`: a declarative configuration (schedulers to load with their
// tunables, rules, and per network namespace the selected scheduler, MPTCP limits and
// endpoints) that the system is made to match. In four steps, each its own function:
//   parse_config   text -> Config, strictly (unknown keys, wrong types: EINVAL)
//   resolve        Config -> State (what the system must look like: registered names,
//                  every tunable's value with the object's defaults, rules as stored)
//   gather         State -> State (what it looks like now, for what the config manages)
//   diff           (desired, current) -> actions; pure, unit-tested
//   execute        actions -> the changes made, in order; stops at the first failure
// A part of the config that is absent is not managed: apply leaves it as it is.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/sched/rules.h"
#include "mptcp_sched/sched_abi.h"

namespace mptcp_sched {

// ---- the file, as written ----
struct SchedulerConfig {
    std::string load;                              // built-in name/alias or path to a .bpf.o
    std::map<std::string, uint64_t> tunables;
};

struct EndpointConfig {
    std::string addr;
    std::vector<std::string> flags;   // signal, subflow, backup, fullmesh
    std::string dev;                  // "" = none
    uint32_t id = 0;                  // 0 = the kernel chooses (not compared)
    uint16_t port = 0;
};

struct NetnsConfig {
    std::string name;                                     // "" = where apply runs
    std::optional<std::string> scheduler;
    std::optional<uint32_t> subflows, add_addr_accepted;  // "limits"
    std::optional<std::vector<EndpointConfig>> endpoints;
};

struct RulesConfig {
    std::string default_policy = "minrtt";
    std::vector<RuleSpec> rules;
};

struct Config {
    std::optional<std::vector<SchedulerConfig>> schedulers;   // exactly these are loaded by us
    std::optional<RulesConfig> rules;
    std::vector<NetnsConfig> netns;
};

// Errors (EINVAL) read "WHAT: .netns[0].limits.subflows: expected an unsigned integer".
Result<Config> parse_config(const std::string& text, const std::string& what);

// ---- a state of the system: desired (resolve) or current (gather) ----
struct SchedulerState {
    std::string name;                              // registered name
    std::string source;                            // what `load` is given
    std::map<std::string, uint64_t> tunables;      // every tunable (desired: with defaults)
    bool tunables_known = true;                    // current: false without a rodata pin
};

struct EndpointState {
    std::string addr;
    uint32_t flags = 0;    // MPTCP_PM_ADDR_FLAG_* (signal, subflow, backup, fullmesh)
    int ifindex = 0;
    std::string dev;       // for messages and for adding
    uint16_t port = 0;
    uint32_t id = 0;       // current: the kernel's; desired: 0 = any
};

struct NetnsState {
    std::string name;
    std::optional<std::string> scheduler;             // net.mptcp.scheduler
    std::vector<std::string> available;               // current: available_schedulers
    std::optional<uint32_t> subflows, add_addr_accepted;
    std::optional<std::vector<EndpointState>> endpoints;
};

struct RulesState {
    uint32_t default_policy = MS_POLICY_MINRTT;
    std::vector<ms_rule> rules;   // in match order; ids are not compared
};

struct State {
    std::optional<std::vector<SchedulerState>> schedulers;
    std::optional<RulesState> rules;   // current: nullopt when ms_rules is not loaded
    std::vector<NetnsState> netns;
};

// Config -> desired state. Reads the scheduler objects (defaults of their tunables) and the
// named namespaces' interfaces; changes nothing. Errors for what can never apply (unknown
// scheduler or tunable, bad rule, unknown interface) are EINVAL.
Result<State> resolve(const Paths& paths, const Config& c);

// The current state of what @desired manages.
Result<State> gather(const Paths& paths, const State& desired);

// ---- what to do ----
struct Action {
    enum Kind {
        kUnload,      // name
        kLoad,        // sched
        kRules,       // rules (whole table and default)
        kSelect,      // netns, name
        kLimits,      // netns, subflows / add_addr_accepted
        kDelEndpoint, // netns, endpoint (by id)
        kAddEndpoint, // netns, endpoint
    };
    explicit Action(Kind k) : kind(k) {}
    Kind kind;
    std::string netns;
    std::string name;
    SchedulerState sched;
    RulesState rules;
    std::optional<uint32_t> subflows, add_addr_accepted;
    EndpointState endpoint;
    std::string describe() const;   // "load ms_rr (roundrobin) rr_quantum=16384"
};

// What makes @current match @desired, in the order it must run: unloads, loads, rules, then
// per namespace selection, limits, endpoint removals, endpoint additions. Empty when they
// match. Refuses (EINVAL) a desired state that cannot hold: rules without the rules
// scheduler, a selection of a scheduler that will not be registered.
Result<std::vector<Action>> diff(const State& desired, const State& current);

// Runs @actions in order; returns those done. On a failure, the error says which change
// failed and how many were made before it.
Result<std::vector<Action>> execute(const Paths& paths, const std::vector<Action>& actions);

nlohmann::json to_json(const Action& a);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// diff: what makes the current state match the desired one. Pure: no system call, no I/O.
#include <linux/mptcp.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "mptcp_sched/config/apply.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/sched/policy.h"

namespace mptcp_sched {

namespace {

constexpr const char* kRulesSched = "ms_rules";

// Flags an endpoint is given (the kernel adds "implicit" by itself to endpoints it makes).
constexpr uint32_t kEndpointFlags = MPTCP_PM_ADDR_FLAG_SIGNAL | MPTCP_PM_ADDR_FLAG_SUBFLOW |
                                    MPTCP_PM_ADDR_FLAG_BACKUP | MPTCP_PM_ADDR_FLAG_FULLMESH;

std::string where(const std::string& netns)
{
    return netns.empty() ? "the current netns" : "netns " + netns;
}

std::string tunables_text(const std::map<std::string, uint64_t>& t)
{
    std::string out;
    for (const auto& [k, v] : t)
        out += " " + k + "=" + std::to_string(v);
    return out;
}

// Why @cur does not run with @want's tunables ("" = it does).
std::string tunables_differ(const SchedulerState& want, const SchedulerState& cur)
{
    if (!cur.tunables_known)
        return "its tunables are unknown (loaded without a rodata pin)";
    std::string why;
    for (const auto& [k, v] : want.tunables) {
        auto it = cur.tunables.find(k);
        if (it == cur.tunables.end())
            why += (why.empty() ? "" : ", ") + k + " missing";
        else if (it->second != v)
            why += (why.empty() ? "" : ", ") + k + " " + std::to_string(it->second) + " -> " +
                   std::to_string(v);
    }
    return why;
}

bool same_rules(const RulesState& a, const RulesState& b)
{
    if (a.default_policy != b.default_policy || a.rules.size() != b.rules.size())
        return false;
    for (size_t i = 0; i < a.rules.size(); i++)
        if (a.rules[i].policy != b.rules[i].policy || !same_match(a.rules[i], b.rules[i]))
            return false;
    return true;
}

bool same_endpoint(const EndpointState& want, const EndpointState& cur)
{
    return want.addr == cur.addr && (want.flags & kEndpointFlags) == (cur.flags & kEndpointFlags) &&
           want.ifindex == cur.ifindex && want.port == cur.port && (!want.id || want.id == cur.id);
}

const NetnsState* find_netns(const State& s, const std::string& name)
{
    for (const auto& n : s.netns)
        if (n.name == name)
            return &n;
    return nullptr;
}

}  // namespace

std::string Action::describe() const
{
    switch (kind) {
    case kUnload:
        return "unload " + name + (sched.source.empty() ? "" : " (" + sched.source + ")");
    case kLoad:
        return "load " + sched.name + " (" + sched.source + ")" + tunables_text(sched.tunables);
    case kRules: {
        std::string out = "rules: default " + std::string(policy_name(rules.default_policy)) +
                          ", " + std::to_string(rules.rules.size()) + " rule(s)";
        for (const auto& r : rules.rules)
            out += "; " + describe_match(r);
        return out;
    }
    case kSelect:
        return "select " + name + " in " + where(netns);
    case kLimits: {
        std::string out = "limits in " + where(netns) + ":";
        if (subflows)
            out += " subflows " + std::to_string(*subflows);
        if (add_addr_accepted)
            out += " add_addr_accepted " + std::to_string(*add_addr_accepted);
        return out;
    }
    case kDelEndpoint:
    case kAddEndpoint: {
        std::string flags;
        for (const auto& f : endpoint_flag_names(endpoint.flags & kEndpointFlags))
            flags += " " + f;
        return std::string(kind == kAddEndpoint ? "add" : "remove") + " endpoint " +
               endpoint.addr + (endpoint.port ? " port " + std::to_string(endpoint.port) : "") +
               (endpoint.dev.empty() ? "" : " dev " + endpoint.dev) + flags +
               (kind == kDelEndpoint ? " (id " + std::to_string(endpoint.id) + ")" : "") +
               " in " + where(netns);
    }
    }
    return "?";
}

nlohmann::json to_json(const Action& a)
{
    static const char* const kinds[] = {"unload", "load", "rules", "select",
                                        "limits", "remove-endpoint", "add-endpoint"};
    nlohmann::json j = {{"action", kinds[a.kind]}, {"description", a.describe()}};
    if (a.kind == Action::kSelect || a.kind == Action::kLimits ||
        a.kind == Action::kDelEndpoint || a.kind == Action::kAddEndpoint)
        j["netns"] = a.netns;
    if (a.kind == Action::kLoad) {
        j["scheduler"] = a.sched.name;
        j["tunables"] = a.sched.tunables;
    }
    if (a.kind == Action::kUnload || a.kind == Action::kSelect)
        j["scheduler"] = a.name;
    return j;
}

Result<std::vector<Action>> diff(const State& desired, const State& current)
{
    std::vector<Action> out;
    // Registered once the schedulers' actions are done (nullopt: not managed, as now).
    std::vector<std::string> loaded_after;
    bool rules_fresh = false;   // ms_rules (re)loaded: its table starts empty

    if (desired.schedulers) {
        const auto& cur = current.schedulers ? *current.schedulers : std::vector<SchedulerState>{};
        std::vector<Action> unloads, loads;
        for (const auto& c : cur) {
            auto want = std::find_if(desired.schedulers->begin(), desired.schedulers->end(),
                                     [&](const SchedulerState& d) { return d.name == c.name; });
            if (want == desired.schedulers->end()) {
                Action a{Action::kUnload};
                a.name = c.name;
                unloads.push_back(a);
            }
        }
        for (const auto& d : *desired.schedulers) {
            loaded_after.push_back(d.name);
            auto have = std::find_if(cur.begin(), cur.end(),
                                     [&](const SchedulerState& c) { return c.name == d.name; });
            if (have != cur.end() && tunables_differ(d, *have).empty())
                continue;
            if (have != cur.end()) {
                Action a{Action::kUnload};
                a.name = d.name;
                a.sched.source = "to reload: " + tunables_differ(d, *have);
                unloads.push_back(a);
            }
            Action a{Action::kLoad};
            a.sched = d;
            loads.push_back(a);
            if (d.name == kRulesSched)
                rules_fresh = true;
        }
        out.insert(out.end(), unloads.begin(), unloads.end());
        out.insert(out.end(), loads.begin(), loads.end());
    } else if (current.schedulers) {
        for (const auto& c : *current.schedulers)
            loaded_after.push_back(c.name);
    }

    if (desired.rules) {
        if (std::find(loaded_after.begin(), loaded_after.end(), kRulesSched) == loaded_after.end())
            return fail_msg("failed to apply the rules: they live in the rules scheduler, which "
                            "is not loaded (add {\"load\": \"rules\"} to \"schedulers\")", EINVAL);
        const RulesState empty;
        const RulesState& have = rules_fresh || !current.rules ? empty : *current.rules;
        if (!same_rules(*desired.rules, have)) {
            Action a{Action::kRules};
            a.rules = *desired.rules;
            out.push_back(a);
        }
    }

    for (const auto& want : desired.netns) {
        const NetnsState* have = find_netns(current, want.name);
        NetnsState none;
        none.name = want.name;
        if (!have)
            have = &none;
        if (want.scheduler) {
            const std::string& s = *want.scheduler;
            auto in = [&](const std::vector<std::string>& v) {
                return std::find(v.begin(), v.end(), s) != v.end();
            };
            // Registered afterwards: one of ours that stays or is loaded, or someone else's
            // (the kernel's "default", ...) that is registered now.
            std::vector<std::string> ours_now;
            if (current.schedulers)
                for (const auto& c : *current.schedulers)
                    ours_now.push_back(c.name);
            if (!in(loaded_after) && !(in(have->available) && !in(ours_now)))
                return fail_msg("failed to select " + s + " in " + where(want.name) +
                                    ": it will not be registered (load it in \"schedulers\")",
                                EINVAL);
            if (have->scheduler != want.scheduler) {
                Action a{Action::kSelect};
                a.netns = want.name;
                a.name = s;
                out.push_back(a);
            }
        }
        if ((want.subflows && want.subflows != have->subflows) ||
            (want.add_addr_accepted && want.add_addr_accepted != have->add_addr_accepted)) {
            Action a{Action::kLimits};
            a.netns = want.name;
            a.subflows = want.subflows;
            a.add_addr_accepted = want.add_addr_accepted;
            out.push_back(a);
        }
        if (want.endpoints) {
            const auto& cur = have->endpoints ? *have->endpoints : std::vector<EndpointState>{};
            std::vector<Action> adds;
            for (const auto& c : cur) {
                if (c.flags & MPTCP_PM_ADDR_FLAG_IMPLICIT)
                    continue;   // the kernel's own, for a peer-announced address
                auto w = std::find_if(want.endpoints->begin(), want.endpoints->end(),
                                      [&](const EndpointState& e) { return same_endpoint(e, c); });
                if (w == want.endpoints->end()) {
                    Action a{Action::kDelEndpoint};
                    a.netns = want.name;
                    a.endpoint = c;
                    out.push_back(a);
                }
            }
            for (const auto& w : *want.endpoints) {
                auto c = std::find_if(cur.begin(), cur.end(), [&](const EndpointState& e) {
                    return !(e.flags & MPTCP_PM_ADDR_FLAG_IMPLICIT) && same_endpoint(w, e);
                });
                if (c == cur.end()) {
                    Action a{Action::kAddEndpoint};
                    a.netns = want.name;
                    a.endpoint = w;
                    adds.push_back(a);
                }
            }
            out.insert(out.end(), adds.begin(), adds.end());
        }
    }
    return out;
}

}  // namespace mptcp_sched

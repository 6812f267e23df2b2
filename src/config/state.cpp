// SPDX-License-Identifier: GPL-2.0
// resolve (the config -> the state it asks for) and gather (the state the system is in).
#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <net/if.h>

#include <algorithm>

#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/base/text.h"
#include "mptcp_sched/config/apply.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/policy.h"
#include "mptcp_sched/sched/rules.h"

namespace mptcp_sched {

namespace {

std::string where(const std::string& netns)
{
    return netns.empty() ? "the current netns" : "netns " + netns;
}

std::unexpected<Error> invalid(const std::string& what, const Error& e)
{
    return fail_msg("invalid configuration: " + what + ": " + e.message, EINVAL);
}

Result<SchedulerState> resolve_scheduler(const SchedulerConfig& c)
{
    auto p = preview_load(c.load);
    if (!p)
        return invalid("scheduler \"" + printable(c.load) + "\"", p.error());
    SchedulerState s;
    s.name = p->name;
    s.source = c.load;
    for (const auto& [k, v] : c.tunables) {
        auto it = p->tunables.find(k);
        if (it == p->tunables.end()) {
            std::string known;
            for (const auto& [n, d] : p->tunables)
                known += (known.empty() ? "" : ", ") + n;
            return fail_msg("invalid configuration: scheduler \"" + printable(c.load) +
                                "\" has no tunable \"" + printable(k) + "\" (" +
                                (known.empty() ? "it has none" : "tunables: " + known) + ")",
                            EINVAL);
        }
        const size_t bits = 8 * p->tunable_sizes[k];
        if (bits < 64 && v >> bits)
            return fail_msg("invalid configuration: " + k + "=" + std::to_string(v) +
                                " is out of range for a " + std::to_string(bits) + "-bit tunable",
                            ERANGE);
        it->second = v;
    }
    s.tunables = p->tunables;
    return s;
}

// An endpoint as the kernel will list it: flags as bits, interface as its index in @netns.
Result<EndpointState> resolve_endpoint(const EndpointConfig& c, const std::string& netns)
{
    EndpointState e;
    unsigned char buf[16];
    if (inet_pton(AF_INET, c.addr.c_str(), buf) != 1 && inet_pton(AF_INET6, c.addr.c_str(), buf) != 1)
        return fail_msg("invalid configuration: endpoint address '" + printable(c.addr) +
                            "' in " + where(netns) + " is not an IPv4 or IPv6 address", EINVAL);
    e.addr = c.addr;
    for (const auto& f : c.flags) {
        auto bit = endpoint_flag(f);
        if (!bit || *bit == MPTCP_PM_ADDR_FLAG_IMPLICIT)
            return fail_msg("invalid configuration: endpoint " + c.addr + ": unknown flag '" +
                                printable(f) + "' (flags: signal, subflow, backup, fullmesh)",
                            EINVAL);
        e.flags |= *bit;
    }
    e.dev = c.dev;
    e.port = c.port;
    e.id = c.id;
    if (!c.dev.empty()) {
        e.ifindex = static_cast<int>(if_nametoindex(c.dev.c_str()));
        if (!e.ifindex)
            return fail_msg("invalid configuration: endpoint " + c.addr + ": no interface '" +
                                printable(c.dev) + "' in " + where(netns), EINVAL);
    }
    return e;
}

}  // namespace

Result<State> resolve(const Paths& paths, const Config& c)
{
    State s;
    if (c.schedulers) {
        s.schedulers.emplace();
        for (const auto& sc : *c.schedulers) {
            auto r = resolve_scheduler(sc);
            if (!r)
                return std::unexpected(r.error());
            for (const auto& other : *s.schedulers)
                if (other.name == r->name)
                    return fail_msg("invalid configuration: " + r->name + " is loaded twice (\"" +
                                        other.source + "\" and \"" + sc.load + "\")", EINVAL);
            s.schedulers->push_back(*r);
        }
    }
    if (c.rules) {
        RulesState r;
        auto def = parse_policy(c.rules->default_policy);
        if (!def)
            return invalid("rules.default", def.error());
        r.default_policy = *def;
        for (size_t i = 0; i < c.rules->rules.size(); i++) {
            auto rule = build_rule(c.rules->rules[i]);
            if (!rule)
                return invalid("rules.list[" + std::to_string(i) + "]", rule.error());
            r.rules.push_back(*rule);
        }
        s.rules = r;
    }
    for (const auto& n : c.netns) {
        NetnsState ns;
        ns.name = n.name;
        if (n.scheduler)
            ns.scheduler = registered_name(*n.scheduler);
        ns.subflows = n.subflows;
        ns.add_addr_accepted = n.add_addr_accepted;
        if (n.endpoints) {
            auto scope = NetnsScope::enter(paths, n.name);
            if (!scope)
                return std::unexpected(scope.error());
            ns.endpoints.emplace();
            for (const auto& e : *n.endpoints) {
                auto r = resolve_endpoint(e, n.name);
                if (!r)
                    return std::unexpected(r.error());
                ns.endpoints->push_back(*r);
            }
        }
        s.netns.push_back(std::move(ns));
    }
    return s;
}

Result<State> gather(const Paths& paths, const State& desired)
{
    State cur;
    auto loaded = list_loaded(paths);
    if (!loaded)
        return std::unexpected(loaded.error());
    cur.schedulers.emplace();
    bool rules_loaded = false;
    for (const auto& l : *loaded) {
        SchedulerState s;
        s.name = l.name;
        if (auto ro = loaded_rodata(l.pin_dir))
            s.tunables = *ro;
        else if (ro.error().code == ENOENT)
            s.tunables_known = false;
        else
            return std::unexpected(ro.error());
        rules_loaded |= l.name == "ms_rules";
        cur.schedulers->push_back(std::move(s));
    }
    if (desired.rules && rules_loaded) {
        auto t = read_rules(paths);
        if (!t)
            return std::unexpected(t.error());
        RulesState r;
        r.default_policy = t->default_policy;
        r.rules = t->rules;
        cur.rules = r;
    }
    for (const auto& want : desired.netns) {
        auto scope = NetnsScope::enter(paths, want.name);
        if (!scope)
            return std::unexpected(scope.error());
        NetnsState n;
        n.name = want.name;
        if (auto v = read_sysctl(paths, "net.mptcp.scheduler"); v && !split_words(*v).empty())
            n.scheduler = split_words(*v).front();
        n.available = registered_schedulers(paths);
        if (want.subflows || want.add_addr_accepted) {
            auto l = pm_get_limits();
            if (!l)
                return std::unexpected(l.error());
            n.subflows = l->subflows;
            n.add_addr_accepted = l->add_addr_accepted;
        }
        if (want.endpoints) {
            auto eps = pm_list_endpoints();
            if (!eps)
                return std::unexpected(eps.error());
            n.endpoints.emplace();
            for (const auto& e : *eps) {
                EndpointState s;
                s.addr = e.addr;
                s.flags = e.flags;
                s.ifindex = e.ifindex;
                char name[IF_NAMESIZE] = {};
                if (e.ifindex && if_indextoname(static_cast<unsigned>(e.ifindex), name))
                    s.dev = name;
                s.port = e.port;
                s.id = e.id;
                n.endpoints->push_back(s);
            }
        }
        cur.netns.push_back(std::move(n));
    }
    return cur;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/diag/doctor.h"
#include "mptcp_sched/base/text.h"

#include <linux/mptcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/path/path.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/path/rtnl.h"
#include "mptcp_sched/base/sysctl.h"

namespace mptcp_sched {

namespace {

struct Fix {
    std::string netns;
    std::string ip(const std::string& args) const
    {
        return (netns.empty() ? "ip " : "ip -n " + shell_quote(netns) + " ") + args;
    }
    std::string sysctl(const std::string& kv) const
    {
        return (netns.empty() ? "" : "ip netns exec " + shell_quote(netns) + " ") + "sysctl -w " +
               shell_quote(kv);
    }
};

void check_enabled(std::vector<Check>& out, const Paths& paths, const Fix& fix)
{
    auto v = read_sysctl(paths, "net.mptcp.enabled");
    if (!v) {
        out.push_back({Check::Fail, "enabled", "this kernel has no MPTCP (net.mptcp.enabled is "
                       "missing: CONFIG_MPTCP=y is needed, Linux >= 5.6)", {}});
        return;
    }
    if (*v == "1")
        out.push_back({Check::Ok, "enabled", "MPTCP is enabled (net.mptcp.enabled = 1)", {}});
    else
        out.push_back({Check::Fail, "enabled", "MPTCP is disabled: sockets asking for it get "
                       "an error or plain TCP", {fix.sysctl("net.mptcp.enabled=1")}});
}

void check_limits(std::vector<Check>& out, const Fix& fix, const PmLimits& lim,
                  const std::vector<PmEndpoint>& eps)
{
    size_t want = 0, signal = 0;
    for (const auto& e : eps) {
        want += (e.flags & MPTCP_PM_ADDR_FLAG_SUBFLOW) != 0;
        signal += (e.flags & MPTCP_PM_ADDR_FLAG_SIGNAL) != 0;
    }
    std::string state = "limits: subflows " + std::to_string(lim.subflows) +
                        ", add_addr_accepted " + std::to_string(lim.add_addr_accepted) + "; " +
                        std::to_string(eps.size()) + " endpoint(s)";
    if (eps.empty()) {
        // No fix line: it would need the user's addresses (fixes are runnable as printed).
        out.push_back({Check::Warn, "endpoints", state + ": connections stay on one path "
                       "unless the peer announces addresses; add one endpoint per extra "
                       "interface: mptcp-sched path endpoint add ADDR --dev IFACE subflow", {}});
        return;
    }
    const size_t need = std::max(want, signal ? size_t{1} : size_t{0});
    if (lim.subflows == 0 || lim.subflows < want) {
        out.push_back({Check::Fail, "limits",
                       state + ": " + std::to_string(want) + " endpoint(s) want subflows but "
                       "only " + std::to_string(lim.subflows) + " additional subflow(s) are "
                       "allowed per connection",
                       {fix.ip("mptcp limits set subflows " + std::to_string(std::max<size_t>(need, 1)) +
                               " add_addr_accepted " +
                               std::to_string(std::max<uint32_t>(lim.add_addr_accepted, 1)))}});
        return;
    }
    if (lim.add_addr_accepted == 0)
        out.push_back({Check::Warn, "limits", state + ": addresses announced by peers "
                       "(ADD_ADDR) are ignored",
                       {fix.ip("mptcp limits set subflows " + std::to_string(lim.subflows) +
                               " add_addr_accepted 1")}});
    else
        out.push_back({Check::Ok, "limits", state, {}});
}

void check_endpoints(std::vector<Check>& out, const Fix& fix, const std::vector<PmEndpoint>& eps,
                     const std::vector<Link>& links, const std::vector<IfAddr>& addrs)
{
    for (const auto& e : eps) {
        auto a = std::find_if(addrs.begin(), addrs.end(),
                              [&](const IfAddr& x) { return x.addr == e.addr; });
        if (a == addrs.end()) {
            out.push_back({Check::Fail, "endpoint", "endpoint " + e.addr + " (id " +
                           std::to_string(e.id) + ") is on no interface: a stale endpoint "
                           "(the address went away)",
                           {fix.ip("mptcp endpoint delete id " + std::to_string(e.id))}});
            continue;
        }
        const int ifindex = e.ifindex ? e.ifindex : a->ifindex;
        auto l = std::find_if(links.begin(), links.end(),
                              [&](const Link& x) { return x.ifindex == ifindex; });
        const std::string dev = if_name(ifindex, links);
        if (l == links.end() || !l->up)
            out.push_back({Check::Fail, "endpoint", "endpoint " + e.addr + ": interface " + dev +
                           " is down", {fix.ip("link set " + shell_quote(dev) + " up")}});
        else if (!l->lower_up)
            out.push_back({Check::Warn, "endpoint", "endpoint " + e.addr + ": interface " + dev +
                           " has no carrier", {}});
        else
            out.push_back({Check::Ok, "endpoint", "endpoint " + e.addr + " on " + dev + " is up", {}});
    }
}

void check_routes(std::vector<Check>& out, const Fix& fix, const std::vector<PmEndpoint>& eps,
                  const std::vector<IfAddr>& addrs)
{
    std::set<int> ifaces;
    for (const auto& e : eps)
        for (const auto& a : addrs)
            if (a.addr == e.addr)
                ifaces.insert(a.ifindex);
    if (ifaces.size() < 2) {
        if (!eps.empty())
            out.push_back({Check::Ok, "routes", "per-source routing: not needed (endpoints "
                           "on one interface)", {}});
        return;
    }
    auto plan = route_plan();
    if (!plan) {
        out.push_back({Check::Warn, "routes", plan.error().message, {}});
        return;
    }
    std::vector<std::string> fixes, missing;
    for (const auto& it : plan->items)
        if (!it.present) {
            missing.push_back(it.what + " " + it.desc);
            fixes.push_back(fix.ip(it.fix));
        }
    if (missing.empty()) {
        out.push_back({Check::Ok, "routes", "per-source routing: every endpoint has its rule "
                       "and table", {}});
        return;
    }
    std::string msg = "per-source routing incomplete, subflows may leave through the wrong "
                      "interface: missing ";
    for (size_t i = 0; i < missing.size(); i++)
        msg += (i ? "; " : "") + missing[i];
    out.push_back({Check::Fail, "routes", msg + " (or: mptcp-sched path routes apply)", fixes});
}

void check_rp_filter(std::vector<Check>& out, const Paths& paths, const Fix& fix,
                     const std::vector<PmEndpoint>& eps, const std::vector<Link>& links,
                     const std::vector<IfAddr>& addrs)
{
    auto all = read_sysctl(paths, "net.ipv4.conf.all.rp_filter");
    std::set<std::string> strict;
    for (const auto& e : eps) {
        if (e.family != AF_INET)
            continue;
        for (const auto& a : addrs) {
            if (a.addr != e.addr)
                continue;
            const std::string dev = if_name(a.ifindex, links);
            auto v = read_sysctl(paths, "net.ipv4.conf." + dev + ".rp_filter");
            if ((v && *v == "1") || (all && *all == "1"))
                strict.insert(dev);
        }
    }
    if (strict.empty()) {
        out.push_back({Check::Ok, "rp_filter", "no strict reverse-path filtering on endpoint "
                       "interfaces", {}});
        return;
    }
    std::vector<std::string> fixes;
    std::string devs;
    if (all && *all == "1")
        fixes.push_back(fix.sysctl("net.ipv4.conf.all.rp_filter=2"));
    for (const auto& d : strict) {
        fixes.push_back(fix.sysctl("net.ipv4.conf." + d + ".rp_filter=2"));
        devs += (devs.empty() ? "" : ", ") + d;
    }
    out.push_back({Check::Warn, "rp_filter", "strict reverse-path filtering (rp_filter=1) on " +
                   devs + " drops subflow packets that arrive on another interface than the "
                   "route back would use; loose mode (2) is safe", fixes});
}

void check_fallbacks(std::vector<Check>& out)
{
    auto mibs = mptcp_mibs();
    if (mibs.empty()) {
        out.push_back({Check::Info, "fallback", "no MPTcpExt counters in /proc/net/netstat", {}});
        return;
    }
    const auto fell = fallback_mibs(mibs);
    if (fell.empty()) {
        out.push_back({Check::Ok, "fallback", "no fallback to TCP counted (MPTcpExt *Fallback* "
                       "are 0)", {}});
        return;
    }
    std::string seen;
    for (const auto& [k, v] : fell)
        seen += (seen.empty() ? "" : ", ") + k + " " + std::to_string(v);
    std::string why = ". MPCapableFallbackSYNACK/ACK mean the peer or a middlebox stripped the "
                      "MPTCP options; check the peer's net.mptcp.enabled and firewalls on the path";
    if (fell.count("MPFallbackTokenInit"))
        why += "; MPFallbackTokenInit means the kernel's MPTCP token table was full (one slot "
               "of 4 connections per MB of RAM, at most 65536 slots, for the whole host): more "
               "memory, or fewer concurrent MPTCP connections";
    if (fell.count("Blackhole") || fell.count("MPCapableSYNTXDisabled"))
        why += "; Blackhole/MPCapableSYNTXDisabled mean MPTCP SYNs were lost and the kernel "
               "switched MPTCP off for new connections for net.mptcp.blackhole_timeout s";
    out.push_back({Check::Warn, "fallback", "connections fell back to plain TCP: " + seen + why, {}});
}

void check_scheduler(std::vector<Check>& out, const Paths& paths, const Fix& fix)
{
    auto sel = read_sysctl(paths, "net.mptcp.scheduler");
    if (!sel) {
        out.push_back({Check::Info, "scheduler", "kernel without net.mptcp.scheduler (< 6.6): "
                       "the built-in scheduler only", {}});
        return;
    }
    auto avail = read_sysctl(paths, "net.mptcp.available_schedulers");
    auto names = avail ? split_words(*avail) : std::vector<std::string>{};
    if (std::find(names.begin(), names.end(), *sel) != names.end()) {
        out.push_back({Check::Ok, "scheduler", "scheduler " + *sel + " is registered", {}});
        return;
    }
    out.push_back({Check::Fail, "scheduler", "net.mptcp.scheduler = " + *sel + " is not "
                   "registered (available: " + (avail ? *avail : "?") + "): new connections get "
                   "the kernel's default", {fix.sysctl("net.mptcp.scheduler=default"),
                                            "mptcp-sched load " + *sel + " --set"}});
}

}  // namespace

std::vector<Check> run_doctor(const Paths& paths, const std::string& netns)
{
    Fix fix{netns};
    std::vector<Check> out;
    check_enabled(out, paths, fix);
    if (out.back().level == Check::Fail && out.back().fixes.empty())
        return out;
    auto lim = pm_get_limits();
    auto eps = pm_list_endpoints();
    auto links = rt_links();
    auto addrs = rt_addrs();
    if (!lim || !eps || !links || !addrs) {
        out.push_back({Check::Fail, "netlink", (!lim ? lim.error().message
                                                : !eps ? eps.error().message
                                                : !links ? links.error().message
                                                         : addrs.error().message), {}});
        return out;
    }
    check_limits(out, fix, *lim, *eps);
    check_endpoints(out, fix, *eps, *links, *addrs);
    check_routes(out, fix, *eps, *addrs);
    check_rp_filter(out, paths, fix, *eps, *links, *addrs);
    check_fallbacks(out);
    check_scheduler(out, paths, fix);
    return out;
}

bool doctor_failed(const std::vector<Check>& checks)
{
    return std::any_of(checks.begin(), checks.end(),
                       [](const Check& c) { return c.level == Check::Fail; });
}

std::string render_doctor(const std::vector<Check>& checks)
{
    static const char* const tags[] = {"[ok]  ", "[info]", "[warn]", "[FAIL]"};
    std::string out;
    int fails = 0, warns = 0;
    for (const auto& c : checks) {
        out += std::string(tags[c.level]) + " " + printable(c.message) + "\n";
        for (const auto& f : c.fixes)
            out += "       fix: " + printable(f) + "\n";
        fails += c.level == Check::Fail;
        warns += c.level == Check::Warn;
    }
    out += fails ? std::to_string(fails) + " problem(s), " + std::to_string(warns) +
                       " warning(s): run the fix commands above, then `mptcp-sched doctor` again\n"
                 : "no problems" + (warns ? " (" + std::to_string(warns) + " warning(s))" : std::string()) + "\n";
    return out;
}

nlohmann::json doctor_json(const std::vector<Check>& checks)
{
    static const char* const levels[] = {"ok", "info", "warn", "fail"};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : checks)
        arr.push_back({{"check", c.name}, {"level", levels[c.level]}, {"message", c.message},
                       {"fixes", c.fixes}});
    return {{"ok", !doctor_failed(checks)}, {"checks", arr}};
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/diag/status.h"

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mptcp_sched/base/bpffs.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/sysctl.h"


namespace mptcp_sched {

std::string pm_type_name(long pm_type)
{
    switch (pm_type) {
    case 0: return "kernel";
    case 1: return "userspace";
    default: return "unknown(" + std::to_string(pm_type) + ")";
    }
}

Result<NetnsStatus> collect_netns_status(const Paths& paths, const std::string& netns)
{
    auto scope = NetnsScope::enter(paths, netns);
    if (!scope)
        return std::unexpected(scope.error());

    NetnsStatus ns;
    ns.netns = netns;
    auto enabled = read_sysctl(paths, "net.mptcp.enabled");
    if (!enabled) {
        ns.errors.push_back(enabled.error().code == ENOENT
                                ? "net.mptcp.enabled missing: kernel without MPTCP"
                                : enabled.error().message);
        return ns;
    }
    if (auto v = parse_sysctl_int(*enabled))
        ns.mptcp_enabled = *v != 0;
    else
        ns.errors.push_back("net.mptcp.enabled: " + v.error().message);

    if (auto s = read_sysctl(paths, "net.mptcp.scheduler"))
        ns.scheduler = *s;
    else
        ns.errors.push_back(s.error().message);
    if (auto s = read_sysctl(paths, "net.mptcp.available_schedulers"))
        ns.available_schedulers = split_words(*s);
    else
        ns.errors.push_back(s.error().message);

    // 6.15+ names the path manager; older kernels only have the numeric pm_type.
    if (auto pm = read_sysctl(paths, "net.mptcp.path_manager")) {
        ns.path_manager = *pm;
    } else if (auto t = read_sysctl(paths, "net.mptcp.pm_type")) {
        auto n = parse_sysctl_int(*t);
        ns.path_manager = n ? pm_type_name(*n) : "unknown";
    } else {
        ns.errors.push_back(t.error().message);
    }

    if (auto lim = pm_get_limits())
        ns.limits = *lim;
    else
        ns.errors.push_back(lim.error().message);
    if (auto eps = pm_list_endpoints())
        ns.endpoints = eps->size();
    else
        ns.errors.push_back(eps.error().message);
    return ns;
}

Result<KernelStatus> collect_status(const Paths& paths, const std::string& netns)
{
    KernelStatus st;
    struct utsname u {};
    if (uname(&u) == 0)
        st.release = u.release;

    auto ns = collect_netns_status(paths, netns);
    if (!ns)
        return std::unexpected(ns.error());
    st.ns = std::move(*ns);

    if (auto p = probe_running_kernel())
        st.bpf = std::move(*p);
    else
        st.bpf_error = p.error().message;

    st.bpffs_mounted = is_bpffs("/sys/fs/bpf");
    if (auto v = read_sysctl(paths, "kernel.bpf_stats_enabled"))
        if (auto n = parse_sysctl_int(*v))
            st.bpf_stats_enabled = *n != 0;
    if (auto p = current_privileges())
        st.privileges = *p;
    return st;
}

nlohmann::json to_json(const KernelStatus& st)
{
    using nlohmann::json;
    json j;
    j["kernel_release"] = st.release;

    json ns;
    ns["netns"] = st.ns.netns.empty() ? json(nullptr) : json(st.ns.netns);
    ns["mptcp_enabled"] = st.ns.mptcp_enabled ? json(*st.ns.mptcp_enabled) : json(nullptr);
    ns["scheduler"] = st.ns.scheduler;
    ns["available_schedulers"] = st.ns.available_schedulers;
    ns["path_manager"] = st.ns.path_manager;
    if (st.ns.limits)
        ns["limits"] = {{"subflows", st.ns.limits->subflows},
                        {"add_addr_accepted", st.ns.limits->add_addr_accepted}};
    else
        ns["limits"] = nullptr;
    ns["endpoints"] = st.ns.endpoints ? json(*st.ns.endpoints) : json(nullptr);
    ns["errors"] = st.ns.errors;
    j["netns"] = ns;

    json b;
    b["supported"] = st.bpf_sched_supported();
    if (st.bpf) {
        b["btf"] = st.bpf->btf_source;
        b["kfunc_tags"] = st.bpf->kfunc_tags;
        json items = json::array();
        for (const auto& it : st.bpf->items)
            items.push_back({{"name", it.name}, {"kind", it.kind}, {"present", it.present},
                             {"optional", it.optional}, {"detail", it.detail}});
        b["pieces"] = items;
        b["missing"] = st.bpf->missing();
        b["error"] = nullptr;
    } else {
        b["pieces"] = json::array();
        b["missing"] = json::array();
        b["error"] = st.bpf_error;
    }
    j["bpf_scheduler_interface"] = b;

    j["bpffs_mounted"] = st.bpffs_mounted;
    j["bpf_stats_enabled"] = st.bpf_stats_enabled ? json(*st.bpf_stats_enabled) : json(nullptr);
    j["privileges"] = {{"euid", st.privileges.euid},
                       {"cap_bpf", st.privileges.cap_bpf},
                       {"cap_net_admin", st.privileges.cap_net_admin},
                       {"cap_sys_admin", st.privileges.cap_sys_admin},
                       {"cap_perfmon", st.privileges.cap_perfmon},
                       {"can_load_schedulers", st.privileges.can_load()}};
    return j;
}

std::string render_status(const KernelStatus& st)
{
    std::ostringstream o;
    auto row = [&](const std::string& k, const std::string& v) {
        o << "  " << k << std::string(k.size() < 24 ? 24 - k.size() : 1, ' ') << v << "\n";
    };
    auto yesno = [](bool b) { return std::string(b ? "yes" : "no"); };

    o << "kernel " << st.release << "\n";
    o << "network namespace " << (st.ns.netns.empty() ? "(current)" : st.ns.netns) << "\n";
    row("mptcp", !st.ns.mptcp_enabled ? "unavailable"
                                     : (*st.ns.mptcp_enabled ? "enabled" : "disabled"));
    row("scheduler", st.ns.scheduler.empty() ? "-" : st.ns.scheduler);
    std::string avail;
    for (const auto& s : st.ns.available_schedulers)
        avail += (avail.empty() ? "" : " ") + s;
    row("available schedulers", avail.empty() ? "-" : avail);
    row("path manager", st.ns.path_manager.empty() ? "-" : st.ns.path_manager);
    row("limits", st.ns.limits ? "subflows " + std::to_string(st.ns.limits->subflows) +
                                     ", add_addr_accepted " +
                                     std::to_string(st.ns.limits->add_addr_accepted)
                               : "-");
    row("endpoints", st.ns.endpoints ? std::to_string(*st.ns.endpoints) : "-");
    for (const auto& e : st.ns.errors)
        row("warning", e);

    o << "BPF scheduler interface: "
      << (st.bpf_sched_supported() ? "supported" : "MISSING") << "\n";
    if (st.bpf) {
        for (const auto& it : st.bpf->items)
            o << "  [" << (it.present ? "ok" : it.optional ? "no" : "--") << "] " << it.kind << " " << it.name
              << ": " << it.detail << "\n";
        if (!st.bpf->kfunc_tags)
            o << "  (this BTF has no bpf_kfunc tags; kfuncs are recognised by name)\n";
    } else {
        o << "  " << st.bpf_error << "\n";
    }
    o << "BPF environment\n";
    row("bpffs /sys/fs/bpf", st.bpffs_mounted ? "mounted" : "not mounted (mount -t bpf bpf /sys/fs/bpf)");
    row("bpf_stats_enabled", st.bpf_stats_enabled ? yesno(*st.bpf_stats_enabled) : "-");
    row("privileges", "euid " + std::to_string(st.privileges.euid) + ", CAP_BPF " +
                          yesno(st.privileges.cap_bpf) + ", CAP_NET_ADMIN " +
                          yesno(st.privileges.cap_net_admin) + ", CAP_SYS_ADMIN " +
                          yesno(st.privileges.cap_sys_admin));
    if (!st.bpf_sched_supported()) {
        o << "\nBPF schedulers cannot run on this kernel";
        if (st.bpf && !st.bpf->missing().empty())
            o << ": missing " << st.bpf->missing().front()
              << (st.bpf->missing().size() > 1
                      ? " and " + std::to_string(st.bpf->missing().size() - 1) + " more"
                      : "");
        o << ". Use vmtest/run to try them on a kernel that has the interface.\n";
    }
    return o.str();
}

}  // namespace mptcp_sched

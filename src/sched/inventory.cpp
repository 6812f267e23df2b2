// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/inventory.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/sched/loader.h"

namespace mptcp_sched {

Result<std::vector<SchedulerRow>> scheduler_inventory(const Paths& paths)
{
    auto loaded = list_loaded(paths, true);
    if (!loaded)
        return std::unexpected(loaded.error());
    const auto registered = registered_schedulers(paths);

    // Selected scheduler per network namespace: ours, then every named one.
    std::vector<std::pair<std::string, std::string>> selected;
    if (auto cur = read_sysctl(paths, "net.mptcp.scheduler"))
        selected.emplace_back("", *cur);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(paths.netns_dir, ec)) {
        const std::string ns = e.path().filename().string();
        auto scope = NetnsScope::enter(paths, ns);
        if (!scope)
            continue;
        if (auto v = read_sysctl(paths, "net.mptcp.scheduler"))
            selected.emplace_back(ns, *v);
    }

    std::vector<std::string> names;
    for (const auto& b : builtin_schedulers())
        names.push_back(b.name);
    for (const auto& r : registered)
        if (std::find(names.begin(), names.end(), r) == names.end())
            names.push_back(r);
    for (const auto& l : *loaded)
        if (std::find(names.begin(), names.end(), l.name) == names.end())
            names.push_back(l.name);

    std::vector<SchedulerRow> rows;
    for (const auto& n : names) {
        SchedulerRow row;
        const BuiltinScheduler* b = find_builtin(n);
        row.name = b ? b->aliases.front() : n;
        row.registered_name = n;
        row.built_in = b != nullptr;
        row.registered = std::find(registered.begin(), registered.end(), n) != registered.end();
        for (const auto& l : *loaded)
            if (l.name == n) {
                row.loaded_by_us = true;
                row.pin_dir = l.pin_dir;
                row.link_id = l.link_id;
                row.map_id = l.map_id;
                row.connections = l.connections;
                break;
            }
        for (const auto& [ns, sel] : selected)
            if (sel == n)
                row.selected_in.push_back(ns.empty() ? "(current)" : ns);
        rows.push_back(std::move(row));
    }
    return rows;
}

nlohmann::json to_json(const SchedulerRow& r)
{
    return {{"name", r.name},
            {"registered_name", r.registered_name},
            {"built_in", r.built_in},
            {"registered", r.registered},
            {"loaded_by_us", r.loaded_by_us},
            {"pin_dir", r.loaded_by_us ? nlohmann::json(r.pin_dir) : nlohmann::json()},
            {"link_id", r.loaded_by_us ? nlohmann::json(r.link_id) : nlohmann::json()},
            {"map_id", r.loaded_by_us ? nlohmann::json(r.map_id) : nlohmann::json()},
            {"connections", r.connections ? nlohmann::json(*r.connections) : nlohmann::json()},
            {"selected_in", r.selected_in}};
}

nlohmann::json to_json(const BuiltinScheduler& s, const ObjectInfo& info)
{
    return {{"name", s.aliases.front()},
            {"aliases", s.aliases},
            {"registers_as", info.ops.empty() ? "" : info.ops.front().sched_name},
            {"source", s.source},
            {"summary", s.summary},
            {"object_bytes", s.object.size()},
            {"programs", info.programs},
            {"tunables", info.tunables}};
}

}  // namespace mptcp_sched

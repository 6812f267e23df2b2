// SPDX-License-Identifier: GPL-2.0
// The scheduler commands: schedulers (built in), load, unload, set, list.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/sched/inventory.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/schedulers.h"

namespace mptcp_sched::cli {

namespace {

struct SchedulersOpts {
    bool json = false;
};

int cmd_schedulers(const SchedulersOpts& o)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : builtin_schedulers()) {
        auto info = inspect_object(s.object, s.name);
        if (!info)
            return report(info.error());
        std::string registered = info->ops.empty() ? "" : info->ops.front().sched_name;
        if (o.json) {
            arr.push_back(to_json(s, *info));
            continue;
        }
        std::string aliases;
        for (size_t i = 1; i < s.aliases.size(); i++)
            aliases += (aliases.empty() ? "" : ", ") + s.aliases[i];
        std::string tunables;
        for (const auto& t : info->tunables)
            tunables += (tunables.empty() ? "" : ", ") + t;
        std::cout << s.aliases.front() << "  (registers as " << registered
                  << (aliases.empty() ? "" : "; also: " + aliases) << ")\n"
                  << "    " << s.summary << "\n"
                  << "    policy and failure behaviour: " << s.source << "\n"
                  << "    tunables: " << (tunables.empty() ? "-" : tunables) << "\n";
    }
    if (o.json)
        print_json(arr);
    return kOk;
}

struct LoadOpts {
    std::string what;
    bool set = false;
    std::string netns;
    std::vector<std::string> extras;   // --TUNABLE=VALUE
};

int cmd_load(const Paths& paths, const LoadOpts& o)
{
    LoadRequest req;
    req.paths = paths;
    req.what = o.what;
    req.select = o.set;
    req.netns = o.netns;
    for (const auto& e : o.extras) {
        auto eq = e.find('=');
        if (e.rfind("--", 0) != 0 || eq == std::string::npos || eq == 2) {
            std::cerr << "mptcp-sched: unexpected argument '" << e
                      << "' (tunables are given as --NAME=VALUE)\n";
            return kUsage;
        }
        req.tunables[e.substr(2, eq - 2)] = e.substr(eq + 1);
    }
    auto r = load_scheduler(req);
    if (!r)
        return report(r.error());
    std::cout << "loaded " << r->name << " (" << r->source << "), "
              << (r->link_id ? "link " + std::to_string(r->link_id)
                             : "struct_ops map " + std::to_string(r->map_id) + " (no link)")
              << ", pinned at " << r->pin_dir << "\n";
    if (r->selected)
        std::cout << "selected " << r->name << " for new connections in "
                  << (o.netns.empty() ? "the current netns" : "netns " + o.netns) << "\n";
    return kOk;
}

int cmd_unload(const Paths& paths, const std::string& name)
{
    auto r = unload_scheduler(paths, name);
    if (!r)
        return report(r.error());
    std::cout << "unloaded " << *r
              << " (connections already using it keep it until they close)\n";
    return kOk;
}

int cmd_set(const Paths& paths, const std::string& name, const std::string& netns)
{
    auto r = select_scheduler(paths, name, netns);
    if (!r)
        return report(r.error());
    std::cout << "net.mptcp.scheduler = " << *r << " in "
              << (netns.empty() ? "the current netns" : "netns " + netns) << "\n";
    return kOk;
}

int cmd_list(const Paths& paths, bool json_out)
{
    auto rows = scheduler_inventory(paths);
    if (!rows)
        return report(rows.error());
    if (json_out) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& r : *rows)
            arr.push_back(to_json(r));
        print_json(arr);
        return kOk;
    }
    bool stale_selection = false;
    std::printf("%-11s %-10s %-10s %-7s %-11s %s\n", "NAME", "KERNEL", "REGISTERED", "LOADED",
                "CONNECTIONS", "SELECTED IN");
    for (const auto& r : *rows) {
        std::string w;
        for (const auto& x : r.selected_in)
            w += (w.empty() ? "" : ", ") + x;
        if (!r.registered && !w.empty()) {
            w += " *";
            stale_selection = true;
        }
        std::printf("%-11s %-10s %-10s %-7s %-11s %s\n", r.built_in ? r.name.c_str() : "-",
                    r.registered_name.c_str(), r.registered ? "yes" : "no",
                    r.loaded_by_us ? "yes" : "no",
                    r.connections ? std::to_string(*r.connections).c_str() : "-",
                    w.empty() ? "-" : w.c_str());
    }
    if (stale_selection)
        std::cout << "* selected but not registered: new connections there use the kernel's "
                     "default scheduler\n";
    return kOk;
}

}  // namespace

void add_scheduler_commands(CLI::App& app, int& rc, const Paths& paths)
{
    static SchedulersOpts scheds;
    auto* sc = app.add_subcommand("schedulers", "List the BPF schedulers built into this binary");
    sc->add_flag("--json", scheds.json, "print JSON");
    sc->footer(
        "Examples:\n"
        "  mptcp-sched schedulers\n"
        "  mptcp-sched schedulers --json | jq '.[].registers_as'\n"
        "Each scheduler's policy, assumptions and failure behaviour are described at the\n"
        "top of its source file (schedulers/*.bpf.c).");

    static LoadOpts load;
    auto* ld = app.add_subcommand("load", "Load a BPF scheduler, register it and pin it");
    ld->add_option("scheduler", load.what,
                   "built-in name (minrtt, roundrobin, redundant, backup, rules) or path to a .bpf.o")
        ->required();
    ld->add_flag("--set", load.set, "also select it for new connections (net.mptcp.scheduler)");
    ld->add_option("--netns", load.netns, "with --set: the named network namespace to select in");
    ld->allow_extras();
    ld->footer(
        "Tunables: --NAME=VALUE sets a read-only global of the scheduler before loading\n"
        "(see `mptcp-sched schedulers` for each one's tunables).\n"
        "Examples:\n"
        "  mptcp-sched load roundrobin --set\n"
        "  mptcp-sched load rr --rr_quantum=16384 --set --netns client\n"
        "  mptcp-sched load ./my_sched.bpf.o\n"
        "The scheduler stays loaded after this command exits (its link is pinned under\n"
        "/sys/fs/bpf/mptcp-sched/NAME; an object without a link, SEC(\".struct_ops\"), has\n"
        "its struct_ops map pinned instead); a failed load leaves nothing behind.");

    static std::string unload_name;
    auto* ul = app.add_subcommand("unload", "Unregister a scheduler loaded by mptcp-sched");
    ul->add_option("scheduler", unload_name, "name (ms_rr) or short name (rr)")->required();
    ul->footer("Example:\n  mptcp-sched unload roundrobin\n"
               "Connections already using it keep it until they close.");

    static std::string set_name, set_netns;
    auto* se = app.add_subcommand("set", "Select the scheduler for new connections");
    se->add_option("scheduler", set_name, "registered name or short name")->required();
    se->add_option("--netns", set_netns, "named network namespace (default: current)");
    se->footer("Examples:\n  mptcp-sched set rr\n  mptcp-sched set default --netns client");

    static bool list_json = false;
    auto* ls = app.add_subcommand("list", "Built-in, registered and loaded schedulers, and "
                                          "where each is selected");
    ls->add_flag("--json", list_json, "print JSON");
    ls->footer("Example:\n  mptcp-sched list --json | jq '.[] | select(.registered)'");
    sc->callback([&rc] { rc = cmd_schedulers(scheds); });
    ld->callback([&rc, &paths, ld] {
        load.extras = ld->remaining();
        rc = cmd_load(paths, load);
    });
    ul->callback([&rc, &paths] { rc = cmd_unload(paths, unload_name); });
    se->callback([&rc, &paths] { rc = cmd_set(paths, set_name, set_netns); });
    ls->callback([&rc, &paths] { rc = cmd_list(paths, list_json); });
}

}  // namespace mptcp_sched::cli

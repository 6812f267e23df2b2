// SPDX-License-Identifier: GPL-2.0
// mptcp-sched: the command line. Parses into plain option structs, calls the library, and
// turns errors into one line on stderr plus an exit code. Nothing below this file throws
// into the user's face.
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "mptcp_sched/btf_probe.h"
#include "mptcp_sched/loader.h"
#include "mptcp_sched/netns.h"
#include "mptcp_sched/schedulers.h"
#include "mptcp_sched/stats.h"
#include "mptcp_sched/status.h"
#include "mptcp_sched/sysctl.h"

using namespace mptcp_sched;

namespace {

// Exit codes, documented in README.md and `mptcp-sched --help`.
enum Exit {
    kOk = 0,
    kError = 1,
    kUsage = 2,
    kUnsupportedKernel = 3,
};

bool g_verbose = false;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    // libbpf explains failures at length; we report them ourselves in one line and show
    // libbpf's own words only with -v.
    if (!g_verbose)
        return 0;
    (void)level;
    return std::vfprintf(stderr, fmt, args);
}

int report(const Error& e)
{
    std::cerr << "mptcp-sched: " << e.message << "\n";
    return kError;
}

struct StatusOpts {
    bool json = false;
    std::string netns;
    std::string btf;
};

int cmd_status(const StatusOpts& o)
{
    auto st = collect_status(o.netns);
    if (!st)
        return report(st.error());
    if (!o.btf.empty()) {
        auto p = probe_btf_file(o.btf);
        if (!p)
            return report(p.error());
        st->bpf = std::move(*p);
        st->bpf_error.clear();
    }
    if (o.json)
        std::cout << to_json(*st).dump(2) << "\n";
    else
        std::cout << render_status(*st);
    return st->bpf_sched_supported() ? kOk : kUnsupportedKernel;
}

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
            arr.push_back({{"name", s.aliases.front()},
                           {"aliases", s.aliases},
                           {"registers_as", registered},
                           {"source", s.source},
                           {"summary", s.summary},
                           {"object_bytes", s.object.size()},
                           {"programs", info->programs},
                           {"tunables", info->tunables}});
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
        std::cout << arr.dump(2) << "\n";
    return kOk;
}

struct LoadOpts {
    std::string what;
    bool set = false;
    std::string netns;
    std::vector<std::string> extras;   // --TUNABLE=VALUE
};

int cmd_load(const LoadOpts& o)
{
    LoadRequest req;
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
    std::cout << "loaded " << r->name << " (" << r->source << "), link " << r->link_id
              << ", pinned at " << r->pin_dir << "\n";
    if (r->selected)
        std::cout << "selected " << r->name << " for new connections in "
                  << (o.netns.empty() ? "the current netns" : "netns " + o.netns) << "\n";
    return kOk;
}

int cmd_unload(const std::string& name)
{
    auto r = unload_scheduler(name);
    if (!r)
        return report(r.error());
    std::cout << "unloaded " << *r
              << " (connections already using it keep it until they close)\n";
    return kOk;
}

int cmd_set(const std::string& name, const std::string& netns)
{
    auto r = select_scheduler(name, netns);
    if (!r)
        return report(r.error());
    std::cout << "net.mptcp.scheduler = " << *r << " in "
              << (netns.empty() ? "the current netns" : "netns " + netns) << "\n";
    return kOk;
}

int cmd_list(bool json_out)
{
    auto loaded = list_loaded();
    if (!loaded)
        return report(loaded.error());
    const auto registered = registered_schedulers();

    // Selected scheduler per network namespace: ours, then every named one.
    std::vector<std::pair<std::string, std::string>> selected;
    if (auto cur = read_sysctl("net.mptcp.scheduler"))
        selected.emplace_back("", *cur);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(netns_dir(), ec)) {
        const std::string ns = e.path().filename().string();
        auto scope = NetnsScope::enter(ns);
        if (!scope)
            continue;
        if (auto v = read_sysctl("net.mptcp.scheduler"))
            selected.emplace_back(ns, *v);
    }

    auto loaded_row = [&](const std::string& name) -> const LoadedScheduler* {
        for (const auto& l : *loaded)
            if (l.name == name)
                return &l;
        return nullptr;
    };
    auto selected_in = [&](const std::string& name) {
        std::vector<std::string> where;
        for (const auto& [ns, sel] : selected)
            if (sel == name)
                where.push_back(ns.empty() ? "(current)" : ns);
        return where;
    };
    bool stale_selection = false;

    nlohmann::json arr = nlohmann::json::array();
    std::vector<std::string> names;
    for (const auto& b : builtin_schedulers())
        names.push_back(b.name);
    for (const auto& r : registered)
        if (std::find(names.begin(), names.end(), r) == names.end())
            names.push_back(r);
    for (const auto& l : *loaded)
        if (std::find(names.begin(), names.end(), l.name) == names.end())
            names.push_back(l.name);

    if (!json_out)
        std::printf("%-11s %-10s %-10s %-7s %-11s %s\n", "NAME", "KERNEL", "REGISTERED",
                    "LOADED", "CONNECTIONS", "SELECTED IN");
    for (const auto& n : names) {
        const BuiltinScheduler* b = find_builtin(n);
        const LoadedScheduler* l = loaded_row(n);
        const bool reg = std::find(registered.begin(), registered.end(), n) != registered.end();
        const auto where = selected_in(n);
        if (json_out) {
            nlohmann::json row = {{"name", b ? b->aliases.front() : n},
                                  {"registered_name", n},
                                  {"built_in", b != nullptr},
                                  {"registered", reg},
                                  {"loaded_by_us", l != nullptr},
                                  {"pin_dir", l ? nlohmann::json(l->pin_dir) : nlohmann::json()},
                                  {"connections", l && l->connections
                                                      ? nlohmann::json(*l->connections)
                                                      : nlohmann::json()},
                                  {"selected_in", where}};
            arr.push_back(row);
            continue;
        }
        std::string w;
        for (const auto& x : where)
            w += (w.empty() ? "" : ", ") + x;
        if (!reg && !w.empty()) {
            w += " *";
            stale_selection = true;
        }
        std::printf("%-11s %-10s %-10s %-7s %-11s %s\n", b ? b->aliases.front().c_str() : "-",
                    n.c_str(), reg ? "yes" : "no", l ? "yes" : "no",
                    l && l->connections ? std::to_string(*l->connections).c_str() : "-",
                    w.empty() ? "-" : w.c_str());
    }
    if (json_out)
        std::cout << arr.dump(2) << "\n";
    else if (stale_selection)
        std::cout << "* selected but not registered: new connections there use the kernel's "
                     "default scheduler\n";
    return kOk;
}

int cmd_stats(bool json_out, double watch)
{
    for (;;) {
        auto st = read_stats();
        if (!st)
            return report(st.error());
        if (json_out)
            std::cout << stats_to_json(*st).dump(watch > 0 ? -1 : 2) << std::endl;
        else
            std::cout << (watch > 0 ? "\033[H\033[2J" : "") << render_stats(*st) << std::flush;
        if (watch <= 0)
            return kOk;
        std::this_thread::sleep_for(std::chrono::duration<double>(watch));
    }
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"mptcp-sched: Multipath TCP packet schedulers and path policy through BPF"};
    app.require_subcommand(1);
    app.add_flag("-v,--verbose", g_verbose, "show libbpf's own diagnostics");
    app.footer(
        "Exit codes: 0 success (status: BPF scheduler interface present), 1 error,\n"
        "            2 bad usage, 3 status: kernel lacks the BPF scheduler interface.\n"
        "Run `mptcp-sched COMMAND --help` for a command's options and examples.");

    StatusOpts status;
    auto* s = app.add_subcommand("status", "Report MPTCP and BPF scheduler support of this kernel");
    s->add_flag("--json", status.json, "print JSON instead of a table");
    s->add_option("--netns", status.netns, "read sysctls, limits and endpoints in this named "
                                           "network namespace (ip netns)");
    s->add_option("--btf", status.btf, "probe this BTF file (raw or ELF) instead of "
                                       "/sys/kernel/btf/vmlinux")
        ->check(CLI::ExistingFile);
    s->footer(
        "Examples:\n"
        "  mptcp-sched status                 # table for the current netns\n"
        "  mptcp-sched status --json | jq .bpf_scheduler_interface.missing\n"
        "  mptcp-sched status --netns client  # MPTCP settings inside netns 'client'\n"
        "Exit code 3 means the kernel cannot run BPF schedulers; the table names\n"
        "each missing piece (struct_ops type, kfuncs).");

    SchedulersOpts scheds;
    auto* sc = app.add_subcommand("schedulers", "List the BPF schedulers built into this binary");
    sc->add_flag("--json", scheds.json, "print JSON");
    sc->footer(
        "Examples:\n"
        "  mptcp-sched schedulers\n"
        "  mptcp-sched schedulers --json | jq '.[].registers_as'\n"
        "Each scheduler's policy, assumptions and failure behaviour are described at the\n"
        "top of its source file (schedulers/*.bpf.c).");

    LoadOpts load;
    auto* ld = app.add_subcommand("load", "Load a BPF scheduler, register it and pin it");
    ld->add_option("scheduler", load.what,
                   "built-in name (minrtt, roundrobin, redundant, backup) or path to a .bpf.o")
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
        "/sys/fs/bpf/mptcp-sched/NAME); a failed load leaves nothing behind.");

    std::string unload_name;
    auto* ul = app.add_subcommand("unload", "Unregister a scheduler loaded by mptcp-sched");
    ul->add_option("scheduler", unload_name, "name (ms_rr) or short name (rr)")->required();
    ul->footer("Example:\n  mptcp-sched unload roundrobin\n"
               "Connections already using it keep it until they close.");

    std::string set_name, set_netns;
    auto* se = app.add_subcommand("set", "Select the scheduler for new connections");
    se->add_option("scheduler", set_name, "registered name or short name")->required();
    se->add_option("--netns", set_netns, "named network namespace (default: current)");
    se->footer("Examples:\n  mptcp-sched set rr\n  mptcp-sched set default --netns client");

    bool list_json = false;
    auto* ls = app.add_subcommand("list", "Built-in, registered and loaded schedulers, and "
                                          "where each is selected");
    ls->add_flag("--json", list_json, "print JSON");
    ls->footer("Example:\n  mptcp-sched list --json | jq '.[] | select(.registered)'");

    bool stats_json = false;
    double stats_watch = 0;
    auto* st = app.add_subcommand("stats", "Per-connection, per-subflow scheduling statistics");
    st->add_flag("--json", stats_json, "print JSON (one document per refresh with --watch)");
    st->add_option("--watch", stats_watch, "refresh every SECS seconds until interrupted")
        ->check(CLI::PositiveNumber);
    st->footer("Examples:\n  mptcp-sched stats\n  mptcp-sched stats --watch 1\n"
               "  mptcp-sched stats --json | jq '.[].connections[].subflows'");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)   // --help, --help-all
            return app.exit(e);
        std::cerr << "mptcp-sched: " << e.what() << "\n"
                  << "Run with --help for usage.\n";
        return kUsage;
    }
    libbpf_set_print(libbpf_print);

    if (s->parsed())
        return cmd_status(status);
    if (sc->parsed())
        return cmd_schedulers(scheds);
    if (ld->parsed()) {
        load.extras = ld->remaining();
        return cmd_load(load);
    }
    if (ul->parsed())
        return cmd_unload(unload_name);
    if (se->parsed())
        return cmd_set(set_name, set_netns);
    if (ls->parsed())
        return cmd_list(list_json);
    if (st->parsed())
        return cmd_stats(stats_json, stats_watch);
    return kUsage;
}

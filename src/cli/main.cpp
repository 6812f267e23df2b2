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

#include "cli.h"
#include "mptcp_sched/btf_probe.h"
#include "mptcp_sched/loader.h"
#include "mptcp_sched/netns.h"
#include "mptcp_sched/rules.h"
#include "mptcp_sched/schedulers.h"
#include "mptcp_sched/stats.h"
#include "mptcp_sched/status.h"
#include "mptcp_sched/sysctl.h"
#include "mptcp_sched/text.h"

#include <csignal>
#include <exception>
#include <unistd.h>

using namespace mptcp_sched;
using namespace mptcp_sched::cli;

namespace {

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    // libbpf explains failures at length; we report them ourselves in one line and show
    // libbpf's own words only with -v.
    if (!g_verbose)
        return 0;
    (void)level;
    return std::vfprintf(stderr, fmt, args);
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
        std::cout << to_json(*st).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
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
        std::cout << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
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
    auto loaded = list_loaded(true);
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
                                  {"link_id", l ? nlohmann::json(l->link_id) : nlohmann::json()},
                                  {"map_id", l ? nlohmann::json(l->map_id) : nlohmann::json()},
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
        std::cout << arr.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else if (stale_selection)
        std::cout << "* selected but not registered: new connections there use the kernel's "
                     "default scheduler\n";
    return kOk;
}

int cmd_stats(bool json_out, double watch, const StatsFilter& filter)
{
    for (;;) {
        auto st = read_stats(filter);
        if (!st)
            return report(st.error());
        if (json_out)
            std::cout << stats_to_json(*st).dump(watch > 0 ? -1 : 2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        else
            std::cout << (watch > 0 ? "\033[H\033[2J" : "") << render_stats(*st) << std::flush;
        // SIGPIPE no longer ends us: a reader that went away (`stats --watch 1 | head`)
        // has to end the loop here.
        if (!std::cout)
            return report(Error::msg("failed to write the statistics: standard output is closed", EPIPE));
        if (watch <= 0)
            return kOk;
        std::this_thread::sleep_for(std::chrono::duration<double>(watch));
    }
}

struct RuleOpts {
    RuleSpec spec;
    std::optional<uint32_t> before;
    std::vector<uint32_t> ids;
    bool json = false;
};

std::string rule_line(const ms_rule& r)
{
    return "rule " + std::to_string(r.id) + ": " + describe_match(r) + " -> " +
           policy_name(r.policy);
}

int cmd_rule_add(const RuleOpts& o)
{
    auto rule = build_rule(o.spec);
    if (!rule)
        return report(rule.error());
    auto added = add_rule(*rule, o.before);
    if (!added)
        return report(added.error());
    if (o.json)
        std::cout << rule_to_json(*added).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else
        std::cout << "added " << rule_line(*added) << " (applies to new connections)\n";
    return kOk;
}

int cmd_rule_del(const RuleOpts& o)
{
    auto gone = delete_rules(o.ids);
    if (!gone)
        return report(gone.error());
    for (const auto& r : *gone)
        std::cout << "deleted " << rule_line(r) << "\n";
    return kOk;
}

int cmd_rule_list(const RuleOpts& o)
{
    auto t = read_rules();
    if (!t)
        return report(t.error());
    if (o.json) {
        nlohmann::json rules = nlohmann::json::array();
        for (const auto& r : t->rules)
            rules.push_back(rule_to_json(r));
        std::cout << nlohmann::json{{"default_policy", policy_name(t->default_policy)},
                                    {"generation", t->generation},
                                    {"max_rules", MS_MAX_RULES},
                                    {"rules", rules}}
                         .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
        return kOk;
    }
    std::printf("%-4s %-11s %s\n", "ID", "POLICY", "MATCH (first match wins, top to bottom)");
    for (const auto& r : t->rules)
        std::printf("%-4u %-11s %s\n", r.id, policy_name(r.policy), describe_match(r).c_str());
    std::printf("%-4s %-11s %s\n", "-", policy_name(t->default_policy),
                "every other connection (rule default)");
    return kOk;
}

int cmd_rule_flush()
{
    auto n = flush_rules();
    if (!n)
        return report(n.error());
    std::cout << "deleted " << *n << " rule(s)\n";
    return kOk;
}

int cmd_rule_default(const std::string& name)
{
    auto p = parse_policy(name);
    if (!p)
        return report(p.error());
    if (auto ok = set_default_policy(*p); !ok)
        return report(ok.error());
    std::cout << "default policy: " << policy_name(*p) << " (for new connections no rule "
              << "matches)\n";
    return kOk;
}

}  // namespace

namespace {

// Whatever escapes: one line and exit 1, never an abort with a core dump.
[[noreturn]] void on_terminate()
{
    std::string why = "unknown error";
    if (auto e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            why = x.what();
        } catch (...) {
        }
    }
    const std::string line = "mptcp-sched: failed to complete the command: " + printable(why) + "\n";
    (void)!::write(2, line.data(), line.size());
    ::_exit(kError);
}

int run_cli(int argc, char** argv);

void on_sigpipe(int) {}

}  // namespace

int main(int argc, char** argv)
{
    std::set_terminate(on_terminate);
    // A closed stdout (`mptcp-sched ... | head -1`) must be an error the command sees
    // (EPIPE), not a death that skips its clean-up (pathd restoring the path manager).
    // A handler rather than SIG_IGN: exec resets handlers, so the commands `run` and
    // `bench` start get the default SIGPIPE back, as programs expect.
    struct sigaction sa {};
    sa.sa_handler = on_sigpipe;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPIPE, &sa, nullptr);
    try {
        return run_cli(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mptcp-sched: failed to complete the command: " << printable(e.what()) << "\n";
    } catch (...) {
        std::cerr << "mptcp-sched: failed to complete the command: unknown error\n";
    }
    return kError;
}

namespace {

int run_cli(int argc, char** argv)
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
        ->check(kFinite & CLI::PositiveNumber);
    StatsFilter stats_filter;
    std::string stats_token;
    st->add_option("--dport", stats_filter.dport, "only connections with a subflow towards PORT")
        ->check(CLI::Range(1, 65535));
    st->add_option("--sport", stats_filter.sport,
                   "only connections with a subflow from local PORT (a server's port)")
        ->check(CLI::Range(1, 65535));
    st->add_option("--conn", stats_token, "only the connection with this MPTCP token (hex, as shown)")
        ->check([](const std::string& v) {
            return v.size() >= 1 && v.size() <= 8 &&
                           v.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
                       ? std::string()
                       : std::string("a token is 1-8 hex digits, e.g. 3f2a9c01");
        });
    st->add_option("--top", stats_filter.top, "only the N connections that sent the most bytes")
        ->check(CLI::PositiveNumber);
    st->footer("Examples:\n  mptcp-sched stats\n  mptcp-sched stats --watch 1\n"
               "  mptcp-sched stats --top 10 --sport 443   # a server's busiest connections\n"
               "  mptcp-sched stats --json | jq '.[].connections[].subflows'");

    RuleOpts rule;
    std::string rule_default;
    auto* ru = app.add_subcommand("rule", "Per-connection policy rules of the rules scheduler");
    ru->require_subcommand(1);
    ru->footer(
        "The rules scheduler (`mptcp-sched load rules --set`) gives each new connection the\n"
        "policy of the first rule it matches, else the default policy; the choice is made at\n"
        "the connection's first scheduling decision and kept for its life, so rule changes\n"
        "apply to new connections only. Ports and addresses are seen from the sending side.\n"
        "Examples:\n"
        "  mptcp-sched load rules --set\n"
        "  mptcp-sched rule add redundant --dport 5001\n"
        "  mptcp-sched rule add rr --dport 6000-6010 --dst 10.0.0.0/8\n"
        "  mptcp-sched rule add backup --cgroup /system.slice/backup.service\n"
        "  mptcp-sched rule add redundant --mark 0x10/0xf0 --before 1\n"
        "  mptcp-sched rule list\n"
        "  mptcp-sched rule default minrtt\n"
        "  mptcp-sched rule del 2");
    auto* ra = ru->add_subcommand("add", "Add a rule (at the end, or before rule ID)");
    ra->add_option("policy", rule.spec.policy, "minrtt, roundrobin (rr), redundant, backup")
        ->required();
    ra->add_option("--dport", rule.spec.dport, "destination port or range LOW-HIGH");
    ra->add_option("--sport", rule.spec.sport, "source port or range LOW-HIGH");
    ra->add_option("--dst", rule.spec.dst, "destination prefix, IPv4 or IPv6 (ADDR[/LEN])");
    ra->add_option("--src", rule.spec.src, "source prefix, IPv4 or IPv6 (ADDR[/LEN])");
    ra->add_option("--cgroup", rule.spec.cgroup,
                   "cgroup v2 directory of the creating process, or one above it");
    ra->add_option("--mark", rule.spec.mark, "socket mark MARK[/MASK] (SO_MARK)");
    ra->add_option("--before", rule.before, "insert before rule ID (default: at the end)");
    ra->add_flag("--json", rule.json, "print the added rule as JSON");
    ra->footer("All the matches given must hold. At most " + std::to_string(MS_MAX_RULES) +
               " rules; a rule matching exactly what another matches is refused.");
    auto* rd = ru->add_subcommand("del", "Delete rules by id");
    rd->add_option("id", rule.ids, "rule id(s), from `mptcp-sched rule list`")->required();
    auto* rl = ru->add_subcommand("list", "Show the rules in match order and the default");
    rl->add_flag("--json", rule.json, "print JSON");
    auto* rf = ru->add_subcommand("flush", "Delete every rule (the default policy stays)");
    auto* rdef = ru->add_subcommand("default", "Set the policy for connections no rule matches");
    rdef->add_option("policy", rule_default, "minrtt, roundrobin (rr), redundant, backup")
        ->required();

    int module_rc = -1;   // set by the callbacks of the command modules
    add_path_commands(app, module_rc);
    add_everyday_commands(app, module_rc);
    add_bench_command(app, module_rc);
    add_trace_command(app, module_rc);
    libbpf_set_print(libbpf_print);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)   // --help, --help-all
            return app.exit(e);
        std::cerr << "mptcp-sched: " << e.what() << "\n"
                  << "Run with --help for usage.\n";
        return kUsage;
    }
    if (module_rc >= 0)
        return module_rc;

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
    if (st->parsed()) {
        if (!stats_token.empty())
            stats_filter.token = static_cast<uint32_t>(std::stoul(stats_token, nullptr, 16));
        return cmd_stats(stats_json, stats_watch, stats_filter);
    }
    if (ra->parsed())
        return cmd_rule_add(rule);
    if (rd->parsed())
        return cmd_rule_del(rule);
    if (rl->parsed())
        return cmd_rule_list(rule);
    if (rf->parsed())
        return cmd_rule_flush();
    if (rdef->parsed())
        return cmd_rule_default(rule_default);
    return kUsage;
}

}  // namespace

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched path ...`: endpoints, limits, per-source routes, and the pathd daemon.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "signals.h"
#include "mptcp_sched/path/path.h"
#include "mptcp_sched/path/pathd.h"

namespace mptcp_sched::cli {

namespace {

struct PathOpts {
    std::string netns;
    bool json = false;
    EndpointSpec ep;
    std::string target;                 // id or address
    std::vector<std::string> words;     // flags
    std::optional<uint32_t> subflows, add_addr;
    uint32_t table_base = 100;
    PathdOptions pathd;
};

std::string ip_prefix(const std::string& netns)
{
    return netns.empty() ? "ip " : "ip -n " + netns + " ";
}

int endpoint_list(const PathOpts& o)
{
    auto eps = pm_list_endpoints();
    if (!eps)
        return report(eps.error());
    auto links = rt_links();
    if (!links)
        return report(links.error());
    if (o.json)
        print_json(endpoints_json(*eps, *links));
    else
        std::cout << render_endpoints_ip(*eps, *links);
    return kOk;
}

int show_one(const PmEndpoint& e, const std::string& verb)
{
    auto links = rt_links();
    std::cout << verb << " " << render_endpoints_ip({e}, links ? *links : std::vector<Link>{});
    return kOk;
}

int limits_show(const PathOpts& o, const PmLimits& l)
{
    if (o.json)
        print_json(to_json(l));
    else
        std::cout << render_limits_ip(l);
    return kOk;
}

int routes_check(const PathOpts& o)
{
    auto plan = route_plan(o.table_base);
    if (!plan)
        return report(plan.error());
    if (o.json) {
        print_json(to_json(*plan, ip_prefix(o.netns)));
        return plan->complete() ? kOk : kError;
    }
    for (const auto& it : plan->items) {
        std::cout << (it.present ? "ok      " : "MISSING ") << it.endpoint << " (" << it.dev
                  << "): " << it.what << " " << it.desc << "\n";
        if (!it.present)
            std::cout << "        fix: " << ip_prefix(o.netns) << it.fix << "\n";
    }
    for (const auto& p : plan->problems)
        std::cout << "PROBLEM " << p << "\n";
    if (plan->items.empty() && plan->problems.empty())
        std::cout << "no endpoints: nothing to route (mptcp-sched path endpoint add ...)\n";
    if (!plan->complete())
        std::cout << (plan->problems.empty()
                          ? "incomplete: `mptcp-sched path routes apply` creates what is missing\n"
                          : "incomplete\n");
    return plan->complete() ? kOk : kError;
}

int routes_apply(const PathOpts& o)
{
    auto done = route_apply(o.table_base);
    if (!done)
        return report(done.error());
    for (const auto& it : *done)
        std::cout << "added " << it.what << " " << it.desc << "\n";
    if (done->empty())
        std::cout << "nothing to do: every endpoint has its per-source rule and routes\n";
    auto plan = route_plan(o.table_base);
    if (plan && !plan->problems.empty()) {
        for (const auto& p : plan->problems)
            std::cerr << "mptcp-sched: " << p << "\n";
        return kError;
    }
    return kOk;
}

int routes_remove()
{
    auto gone = route_remove();
    if (!gone)
        return report(gone.error());
    for (const auto& g : *gone)
        std::cout << "removed " << g << "\n";
    if (gone->empty())
        std::cout << "nothing to remove: no rule or route made by mptcp-sched\n";
    return kOk;
}

void add_pathd_command(CLI::App& path, const Paths& paths, const std::string& netns,
                       PathdOptions& o, int& rc)
{
    static std::vector<std::string> policies;
    static bool reset = false;
    auto* d = path.add_subcommand("pathd", "Run a userspace path manager with policies "
                                           "(until SIGTERM)");
    d->add_option("--policy", policies,
                  "fullmesh | mobility | backup-iface=PATTERN (repeatable; required)");
    d->add_option("--max-subflows", o.max_subflows,
                  "additional subflows per connection (default: the netns's subflows limit)");
    d->add_flag("--json", o.json, "log one JSON object per line");
    d->add_option("--event-buffer", o.event_buffer,
                  "receive buffer of the event sockets in bytes (default 8 MiB); beyond it "
                  "pathd re-reads the state")
        ->check(CLI::Range(16384, 256 << 20));
    d->add_flag("--reset", reset,
                "restore the path manager a killed pathd left switched, then exit");
    d->footer(
        "Switches net.mptcp.path_manager (pm_type on older kernels) to userspace, and back to\n"
        "what it found on SIGTERM/SIGINT, or when its output's reader goes away. A pathd\n"
        "killed without restoring (SIGKILL, a crash) is undone by the next start or by\n"
        "--reset (from the record in /run/mptcp-sched-pathd-*.lock). Policies:\n"
        "  fullmesh             a subflow from every local address to every peer address\n"
        "  mobility             interface/address down: remove its subflows; back: recreate\n"
        "  backup-iface=PATTERN subflows from matching interfaces (fnmatch) are backup\n"
        "Examples:\n"
        "  mptcp-sched path pathd --policy fullmesh --policy mobility\n"
        "  mptcp-sched path pathd --netns client --policy fullmesh --policy 'backup-iface=wwan*' --json");
    d->callback([&rc, &paths, &netns, &o] {
        if (reset) {
            if (!policies.empty()) {
                std::cerr << "mptcp-sched: pathd: --reset takes no --policy\n";
                rc = kUsage;
                return;
            }
            rc = in_netns(paths, netns, [&paths]() -> int {
                auto r = reset_pathd(paths);
                if (!r)
                    return report(r.error());
                std::cout << *r << "\n";
                return kOk;
            });
            return;
        }
        if (policies.empty()) {
            std::cerr << "mptcp-sched: pathd: give at least one --policy (or --reset)\n";
            rc = kUsage;
            return;
        }
        o.log_fd = STDOUT_FILENO;
        o.paths = paths;
        for (const auto& p : policies)
            if (auto ok = pathd_add_policy(o, p); !ok) {
                rc = report(ok.error());
                return;
            }
        rc = in_netns(paths, netns, [&o]() -> int {
            StopSignals stop({SIGTERM, SIGINT, SIGHUP});
            o.stop = stop.token();
            auto r = run_pathd(o, [](const std::string& line) {
                std::cout << line << std::endl;
                return static_cast<bool>(std::cout);
            });
            return r ? kOk : report(r.error());
        });
    });
}

}  // namespace

void add_path_commands(CLI::App& app, int& rc, const Paths& paths)
{
    static PathOpts o;
    auto* path = app.add_subcommand("path", "Path policy: MPTCP endpoints, limits, per-source "
                                            "routes and the pathd path manager");
    path->require_subcommand(1);
    path->fallthrough();
    path->add_option("--netns", o.netns, "named network namespace (default: current)");
    path->footer(
        "Everything here talks to the kernel over netlink (MPTCP generic netlink and\n"
        "rtnetlink); results match `ip mptcp endpoint show` and `ip mptcp limits show`.\n"
        "Examples:\n"
        "  mptcp-sched path endpoint add 192.168.2.10 --dev eth1 subflow\n"
        "  mptcp-sched path endpoint add 192.168.1.10 --dev eth0 signal backup\n"
        "  mptcp-sched path limits set --subflows 2 --add-addr-accepted 2\n"
        "  mptcp-sched path routes check     # per-source rules and tables, with fixes\n"
        "  mptcp-sched path routes apply     # create what is missing (idempotent)\n"
        "  mptcp-sched path pathd --policy fullmesh --policy backup-iface=wwan*");

    auto* ep = path->add_subcommand("endpoint", "MPTCP endpoints of the in-kernel path manager");
    ep->require_subcommand(1);
    ep->fallthrough();
    auto* add = ep->add_subcommand("add", "Add an endpoint: ADDRESS [FLAG...]");
    add->add_option("address", o.ep.addr, "a local IPv4 or IPv6 address")->required();
    add->add_option("flags", o.ep.flags, "signal, subflow, backup, fullmesh");
    add->add_option("--dev", o.ep.dev, "interface the address belongs to");
    add->add_option("--id", o.ep.id, "endpoint id 1-255 (default: the kernel picks)");
    add->add_option("--port", o.ep.port, "port to announce (with signal)");
    add->footer("signal: announce the address to peers (ADD_ADDR); subflow: open subflows from\n"
                "it; backup: subflows from it are backup; fullmesh: a subflow to every peer\n"
                "address. Example: mptcp-sched path endpoint add 10.0.2.1 --dev eth1 subflow");
    add->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto e = path_endpoint_add(o.ep);
            return e ? show_one(*e, "added") : report(e.error());
        });
    });
    auto* del = ep->add_subcommand("del", "Delete an endpoint by id or address");
    del->add_option("endpoint", o.target, "id or address")->required();
    del->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto e = path_endpoint_del(o.target);
            return e ? show_one(*e, "deleted") : report(e.error());
        });
    });
    auto* ls = ep->add_subcommand("list", "List endpoints (as `ip mptcp endpoint show`)");
    ls->add_flag("--json", o.json, "print JSON");
    ls->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int { return endpoint_list(o); });
    });
    auto* fl = ep->add_subcommand("flags", "Change flags: ENDPOINT [no]backup|[no]fullmesh ...");
    fl->add_option("endpoint", o.target, "id or address")->required();
    fl->add_option("flags", o.words, "backup, nobackup, fullmesh, nofullmesh")->required();
    fl->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto e = path_endpoint_flags(o.target, o.words);
            return e ? show_one(*e, "changed") : report(e.error());
        });
    });
    auto* fsh = ep->add_subcommand("flush", "Delete every endpoint");
    fsh->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto r = pm_flush_endpoints();
            return r ? kOk : report(r.error());
        });
    });

    auto* lim = path->add_subcommand("limits", "Subflow and ADD_ADDR limits per connection");
    lim->require_subcommand(1);
    lim->fallthrough();
    auto* lget = lim->add_subcommand("get", "Show the limits (as `ip mptcp limits show`)");
    lget->add_flag("--json", o.json, "print JSON");
    lget->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto l = pm_get_limits();
            return l ? limits_show(o, *l) : report(l.error());
        });
    });
    auto* lset = lim->add_subcommand("set", "Set one or both limits (0-8)");
    lset->add_option("--subflows", o.subflows, "additional subflows per connection");
    lset->add_option("--add-addr-accepted", o.add_addr, "ADD_ADDRs accepted per connection");
    lset->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto l = path_limits_set(o.subflows, o.add_addr);
            return l ? limits_show(o, *l) : report(l.error());
        });
    });

    auto* rt = path->add_subcommand("routes", "Per-source routing so each endpoint's subflows "
                                              "leave through its own interface");
    rt->require_subcommand(1);
    rt->fallthrough();
    rt->add_option("--table-base", o.table_base,
                   "routing table for an interface = BASE + ifindex (default 100)");
    rt->footer("For each endpoint: `ip rule from ADDR lookup TABLE`, and in TABLE the address's\n"
               "subnet route and the interface's default route (when the main table has one\n"
               "through it). What apply creates is tagged `proto 177`; remove deletes exactly\n"
               "that. check exits 1 while anything is missing.");
    auto* rc_check = rt->add_subcommand("check", "Report what is missing, with fix commands");
    rc_check->add_flag("--json", o.json, "print JSON");
    rc_check->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int { return routes_check(o); });
    });
    auto* rc_apply = rt->add_subcommand("apply", "Create what is missing (idempotent)");
    rc_apply->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int { return routes_apply(o); });
    });
    auto* rc_rm = rt->add_subcommand("remove", "Remove every rule and route apply created");
    rc_rm->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int { return routes_remove(); });
    });

    add_pathd_command(*path, paths, o.netns, o.pathd, rc);
}

}  // namespace mptcp_sched::cli

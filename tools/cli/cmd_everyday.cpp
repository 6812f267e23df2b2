// SPDX-License-Identifier: GPL-2.0
// The everyday commands: demo client/server, conns, doctor, run.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "signals.h"
#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/diag/demo.h"
#include "mptcp_sched/diag/doctor.h"
#include "mptcp_sched/diag/run.h"

namespace mptcp_sched::cli {

namespace {

struct EverydayOpts {
    std::string netns;
    bool json = false;
    DemoServerOptions server;
    std::string host;
    uint16_t port = 4242;
    bool tcp = false;
    int settle_ms = 1000;
    double hold_s = 0;
    RunOptions run;
};

}  // namespace

void add_everyday_commands(CLI::App& app, int& rc)
{
    static EverydayOpts o;

    // ---- demo ----
    auto* demo = app.add_subcommand("demo", "A small MPTCP client and server to try paths with");
    demo->require_subcommand(1);
    demo->fallthrough();
    demo->add_option("--netns", o.netns, "named network namespace (default: current)");
    demo->footer("Examples:\n"
                 "  mptcp-sched demo server --port 4242\n"
                 "  mptcp-sched demo client 192.168.1.10 --port 4242\n"
                 "  mptcp-sched demo server --tcp     # plain TCP: clients show the fallback");
    auto* srv = demo->add_subcommand("server", "Answer each connection with what it is: MPTCP "
                                               "or not, the client's address, the subflows");
    srv->add_option("--addr", o.server.addr, "address to listen on (default :: = IPv4 and IPv6)");
    srv->add_option("--port", o.server.port, "port (default 4242)");
    srv->add_flag("--tcp", o.server.tcp, "listen with plain TCP instead of MPTCP");
    srv->add_option("--count", o.server.count, "exit after N connections (default: never)");
    srv->callback([&rc] {
        rc = in_netns(o.netns, []() -> int {
            auto r = run_demo_server(o.server, [](const std::string& l) { std::cout << l << std::endl; });
            return r ? kOk : report(r.error());
        });
    });
    auto* cl = demo->add_subcommand("client", "Connect with MPTCP and show both ends' view");
    cl->add_option("host", o.host, "server name or address")->required();
    cl->add_option("--port", o.port, "port (default 4242)");
    cl->add_flag("--tcp", o.tcp, "connect with plain TCP instead of MPTCP");
    cl->add_option("--settle", o.settle_ms, "wait up to MS for extra subflows before asking "
                                            "(default 1000)");
    cl->add_option("--hold", o.hold_s, "keep the connection open for SECONDS after the answer "
                                       "(to look at it with `conns` or `ss -tiM`)")
        ->check(kFinite & CLI::Range(0.0, 86400.0));
    cl->add_flag("--json", o.json, "print JSON");
    cl->callback([&rc] {
        rc = in_netns(o.netns, []() -> int {
            auto r = run_demo_client(o.host, o.port, o.tcp, o.settle_ms);
            if (!r)
                return report(r.error());
            if (o.json) {
                nlohmann::json subs = nlohmann::json::array();
                for (const auto& s : r->local.subflows)
                    subs.push_back({{"local", s.local}, {"remote", s.remote}});
                std::cout << nlohmann::json{{"peer", r->peer},
                                            {"mptcp", r->local.mptcp},
                                            {"fallback", !r->local.mptcp && !o.tcp},
                                            {"why", r->local.why},
                                            {"subflows", subs},
                                            {"server", r->server},
                                            {"server_error", r->server_error}}
                                 .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
            } else {
                std::cout << render_demo_client(*r);
            }
            std::cout.flush();
            if (o.hold_s > 0)
                std::this_thread::sleep_for(std::chrono::duration<double>(o.hold_s));
            return r->server.is_null() ? kError : kOk;
        });
    });

    // ---- conns ----
    auto* cn = app.add_subcommand("conns", "MPTCP connections with their subflows");
    cn->add_option("--netns", o.netns, "named network namespace (default: current)");
    cn->add_flag("--json", o.json, "print JSON");
    cn->footer("Read from the kernel over sock_diag: per connection its token, fallback state\n"
               "and bytes; per subflow addresses, interface, address ids, backup flags (ours\n"
               "and the peer's), bytes and smoothed RTT. Subflow details need CAP_NET_ADMIN.\n"
               "Example: mptcp-sched conns --netns client --json | jq '.[].subflows | length'");
    cn->callback([&rc] {
        rc = in_netns(o.netns, []() -> int {
            auto c = list_connections();
            if (!c)
                return report(c.error());
            if (o.json)
                std::cout << conns_to_json(*c).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            else
                std::cout << render_conns(*c);
            return kOk;
        });
    });

    // ---- doctor ----
    auto* dr = app.add_subcommand("doctor", "Check an MPTCP set-up; print the command that "
                                            "fixes each problem");
    dr->add_option("--netns", o.netns, "named network namespace (default: current)");
    dr->add_flag("--json", o.json, "print JSON");
    dr->footer("Checks: MPTCP enabled; limits against endpoints; each endpoint's interface up\n"
               "and its per-source route (when endpoints span interfaces); rp_filter; fallback\n"
               "counters (MPTcpExt *Fallback*: peers or middleboxes stripping MPTCP); the\n"
               "selected scheduler is registered. Exit 1 while any check fails.");
    dr->callback([&rc] {
        rc = in_netns(o.netns, []() -> int {
            auto checks = run_doctor(o.netns);
            if (o.json)
                std::cout << doctor_json(checks).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            else
                std::cout << render_doctor(checks);
            return doctor_failed(checks) ? kError : kOk;
        });
    });

    // ---- run ----
    auto* rn = app.add_subcommand("run", "Run a command whose TCP sockets become MPTCP");
    rn->add_option("--cgroup", o.run.cgroup, "use this cgroup v2 (default: a fresh one, removed "
                                             "afterwards)");
    rn->add_option("--netns", o.netns, "run the command in this named network namespace");
    rn->add_flag("--all-processes", o.run.all_processes, "allow --cgroup / (every process on "
                                                         "the machine gets MPTCP sockets)");
    rn->add_option("command", o.run.argv, "the command and its arguments, after --")->required();
    rn->footer("Uses the mainline BPF hook on update_socket_protocol (fmod_ret, Linux >= 6.6):\n"
               "socket(AF_INET/AF_INET6, SOCK_STREAM, 0 or IPPROTO_TCP) made by processes in the\n"
               "cgroup returns an MPTCP socket; nothing outside the cgroup changes; statically\n"
               "linked programs work too. The hook is detached when the command ends; the exit\n"
               "status is the command's.\n"
               "Examples:\n"
               "  mptcp-sched run -- curl -o /dev/null http://192.168.1.10/big\n"
               "  mptcp-sched run --netns client -- python3 client.py");
    rn->callback([&rc] {
        rc = in_netns(o.netns, []() -> int {
            StopSignals stop({SIGINT, SIGTERM, SIGHUP});
            o.run.stop = stop.token();
            auto r = run_with_mptcp(o.run);
            if (!r)
                return report(r.error());
            if (!r->start_error.empty())
                std::cerr << "mptcp-sched: " << r->start_error << "\n";
            if (!r->cgroup_left.empty())
                std::cerr << "mptcp-sched: failed to remove the cgroup " << r->cgroup_left << "\n";
            if (g_verbose)
                std::cerr << "mptcp-sched: run: " << r->mptcpified << " socket(s) made MPTCP in "
                          << r->cgroup << "\n";
            return r->status;
        });
    });
}

}  // namespace mptcp_sched::cli

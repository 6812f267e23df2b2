// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched demo`: a small MPTCP client and server to try paths with.
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/diag/demo.h"

namespace mptcp_sched::cli {

namespace {

struct Opts {
    std::string netns;
    bool json = false;
    DemoServerOptions server;
    std::string host;
    uint16_t port = 4242;
    bool tcp = false;
    int settle_ms = 1000;
    double hold_s = 0;
};

}  // namespace

void add_demo_command(CLI::App& app, int& rc, const Paths& paths)
{
    static Opts o;
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
    srv->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
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
    cl->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto r = run_demo_client(o.host, o.port, o.tcp, o.settle_ms);
            if (!r)
                return report(r.error());
            if (o.json) {
                print_json(to_json(*r, o.tcp));
            } else {
                std::cout << render_demo_client(*r);
            }
            std::cout.flush();
            if (o.hold_s > 0)
                std::this_thread::sleep_for(std::chrono::duration<double>(o.hold_s));
            return r->server.is_null() ? kError : kOk;
        });
    });
}

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// Privileged tests on the running kernel, each in throwaway network namespaces.
// Needs root (CAP_SYS_ADMIN + CAP_NET_ADMIN) and iproute2.

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "host_util.h"
#include "mptcp_sched/sched/btf_probe.h"
#include "mptcp_sched/diag/status.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/path/rtnl.h"

using namespace mptcp_sched;
using nlohmann::json;

TEST_CASE("MPTCP disabled in one netns is reported there and enabled elsewhere", "[host]")
{
    require_root();
    Netns off("ms-off"), on("ms-on");
    must(off.exec("sysctl -qw net.mptcp.enabled=0"));

    auto a = collect_netns_status(Paths{}, off.name);
    REQUIRE(a);
    REQUIRE(a->mptcp_enabled.has_value());
    CHECK_FALSE(*a->mptcp_enabled);
    auto b = collect_netns_status(Paths{}, on.name);
    REQUIRE(b);
    REQUIRE(b->mptcp_enabled.has_value());
    CHECK(*b->mptcp_enabled);

    // The same through the CLI, as JSON.
    Run r = run(cli + " status --json --netns " + off.name);
    REQUIRE((r.rc == 0 || r.rc == 3));
    json j = json::parse(r.out);
    CHECK(j["netns"]["netns"] == off.name);
    CHECK(j["netns"]["mptcp_enabled"] == false);
    r = run(cli + " status --json --netns " + on.name);
    CHECK(json::parse(r.out)["netns"]["mptcp_enabled"] == true);
}

TEST_CASE("limits and endpoint count match what ip mptcp set", "[host]")
{
    require_root();
    Netns ns("ms-lim");
    must(ns.exec("ip link add ms0 type veth peer name ms1"));
    must(ns.exec("ip addr add 10.71.1.1/24 dev ms0"));
    must(ns.exec("ip addr add 10.71.2.1/24 dev ms0"));
    must(ns.exec("ip mptcp limits set subflows 3 add_addr_accepted 2"));
    must(ns.exec("ip mptcp endpoint add 10.71.1.1 dev ms0 subflow"));
    must(ns.exec("ip mptcp endpoint add 10.71.2.1 dev ms0 signal backup"));

    auto st = collect_netns_status(Paths{}, ns.name);
    REQUIRE(st);
    REQUIRE(st->limits);
    CHECK(st->limits->subflows == 3);
    CHECK(st->limits->add_addr_accepted == 2);
    REQUIRE(st->endpoints);
    CHECK(*st->endpoints == 2);

    // And the endpoint details agree with `ip mptcp endpoint show`.
    Run ip = run(ns.exec("ip mptcp endpoint show"));
    REQUIRE(ip.rc == 0);
    CHECK(ip.out.find("10.71.1.1 id 1 subflow dev ms0") != std::string::npos);
    CHECK(ip.out.find("10.71.2.1 id 2 signal backup dev ms0") != std::string::npos);
}

TEST_CASE("status on this kernel: verdict, exit code and JSON agree with the BTF probe", "[host]")
{
    require_root();
    Netns ns("ms-st");
    auto probe = probe_running_kernel();
    REQUIRE(probe);

    Run t = run(cli + " status --netns " + ns.name);
    Run j = run(cli + " status --json --netns " + ns.name);
    json doc = json::parse(j.out);
    CHECK(doc["netns"]["mptcp_enabled"] == true);
    CHECK(doc["netns"]["scheduler"] == "default");
    CHECK(doc["bpf_scheduler_interface"]["supported"] == probe->supported());
    CHECK(doc["bpf_scheduler_interface"]["missing"].size() == probe->missing().size());
    if (probe->supported()) {
        CHECK(t.rc == 0);
        CHECK(j.rc == 0);
        CHECK(t.out.find("BPF scheduler interface: supported") != std::string::npos);
    } else {
        CHECK(t.rc == 3);
        CHECK(j.rc == 3);
        CHECK(t.out.find("BPF scheduler interface: MISSING") != std::string::npos);
        CHECK(t.out.find("kernel lacks struct_ops mptcp_sched_ops") != std::string::npos);
    }
}

TEST_CASE("status errors and usage are one clear line with distinct exit codes", "[host]")
{
    require_root();
    Run r = run(cli + " status --netns no-such-netns-xyz");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: failed to enter netns 'no-such-netns-xyz': no such network "
                   "namespace (/run/netns/no-such-netns-xyz missing; see `ip netns list`)\n");
    CHECK(r.out.empty());

    r = run(cli + " status --bogus");
    CHECK(r.rc == 2);
    CHECK(r.err.find("--bogus") != std::string::npos);

    r = run(cli + " status --help");
    CHECK(r.rc == 0);
    CHECK(r.out.find("Examples:") != std::string::npos);

    r = run(cli);
    CHECK(r.rc == 2);
}

// main.cpp reads these once and passes them to every command (MPTCP_SCHED_PIN_ROOT: the
// pin tests).
TEST_CASE("the CLI takes the sysctl root and the netns directory from the environment", "[host]")
{
    const std::string dir = "/tmp/ms-host-env-" + std::to_string(getpid());
    std::filesystem::create_directories(dir + "/sys/net/mptcp");
    std::filesystem::create_directories(dir + "/ns");
    for (const auto& [key, value] : {std::pair{"enabled", "0"}, {"scheduler", "ms_fake"},
                                     {"available_schedulers", "ms_fake"}, {"pm_type", "0"}})
        std::ofstream(dir + "/sys/net/mptcp/" + key) << value << "\n";

    Run r = run("MPTCP_SCHED_SYSCTL_ROOT=" + dir + "/sys " + cli + " status --json");
    CHECK((r.rc == 0 || r.rc == 3));
    json j = json::parse(r.out);
    CHECK(j["netns"]["mptcp_enabled"] == false);
    CHECK(j["netns"]["scheduler"] == "ms_fake");

    r = run("MPTCP_SCHED_NETNS_DIR=" + dir + "/ns " + cli + " status --netns nowhere");
    CHECK(r.rc == 1);
    CHECK(r.err.find("(" + dir + "/ns/nowhere missing;") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("built-in schedulers are listed from the embedded objects", "[host]")
{
    Run r = run(cli + " schedulers --json");
    REQUIRE(r.rc == 0);
    json j = json::parse(r.out);
    REQUIRE(j.size() == 7);
    CHECK(j[1]["registers_as"] == "ms_rr");
    CHECK(j[1]["name"] == "roundrobin");
    CHECK(j[4]["registers_as"] == "ms_blest");
}

TEST_CASE("load refuses cleanly: bad names, bad objects, no privileges, no interface", "[host]")
{
    require_root();
    const std::string pins = "/tmp/ms-host-pins-" + std::to_string(getpid());
    const std::string env = "MPTCP_SCHED_PIN_ROOT=" + pins + " ";
    auto probe = probe_running_kernel();
    REQUIRE(probe);

    Run r = run(env + cli + " load nosuch");
    CHECK(r.rc == 1);
    CHECK(r.err.rfind("mptcp-sched: failed to load 'nosuch': unknown scheduler; built-in "
                      "ones are minrtt (ms_minrtt)", 0) == 0);
    CHECK(r.err.find("roundrobin (ms_rr)") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

    r = run(env + cli + " load /etc/hostname");
    CHECK(r.rc == 1);
    CHECK(r.err.find("not a valid BPF object") != std::string::npos);

    r = run(env + cli + " unload rr");
    CHECK(r.rc == 1);
    CHECK(r.err.find("failed to unload rr: not loaded by mptcp-sched") != std::string::npos);

    r = run(env + cli + " load rr --rr_quantum");
    CHECK(r.rc == 2);

    r = run(env + "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " + cli +
            " load rr");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: failed to load roundrobin: permission denied (needs root, or "
                   "CAP_BPF and CAP_NET_ADMIN)\n");

    if (!probe->supported()) {
        r = run(env + cli + " load rr --set");
        CHECK(r.rc == 1);
        CHECK(r.err.find("failed to load roundrobin: kernel lacks the BPF scheduler interface "
                         "(missing bpf_struct_ops_mptcp_sched_ops") != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        // Nothing half-done: no pins, the sysctl untouched.
        CHECK_FALSE(std::filesystem::exists(pins));
        CHECK(run("sysctl -n net.mptcp.scheduler").out == "default\n");
    }
}

TEST_CASE("rt_set_link_up: down flushes the link's routes as `ip link set down` does, up restores the connected one", "[host]")
{
    host_test::Netns ns("ms-link");
    for (const std::string c : {"link add v0 type veth peer name v1", "addr add 10.9.0.1/24 dev v0",
                                "link set v0 up", "link set v1 up",
                                "route add 10.8.0.0/24 via 10.9.0.2 dev v0"})
        host_test::must("ip -n " + ns.name + " " + c);
    auto routes = [&] { return host_test::run("ip -n " + ns.name + " -4 route show").out; };
    auto scope = NetnsScope::enter(Paths{}, ns.name);
    REQUIRE(scope);
    auto is_up = [] {
        auto links = rt_links();
        REQUIRE(links);
        auto l = find_link("v0", *links);
        REQUIRE(l);
        return l->up;
    };
    REQUIRE(is_up());
    REQUIRE(rt_set_link_up("v0", false));
    CHECK_FALSE(is_up());
    CHECK(routes().find("10.8.0.0/24") == std::string::npos);
    CHECK(routes().find("10.9.0.0/24") == std::string::npos);
    REQUIRE(rt_set_link_up("v0", false));   // already down: no change, no error
    REQUIRE(rt_set_link_up("v0", true));
    CHECK(is_up());
    CHECK(routes().find("10.9.0.0/24 dev v0") != std::string::npos);
    CHECK(routes().find("10.8.0.0/24") == std::string::npos);   // gateway routes stay gone
    // ... and can be added back at once (the bench's restore of a link-down path)
    Route back;
    back.family = AF_INET;
    back.gateway = "10.9.0.2";
    back.oif = find_link("v0", *rt_links())->ifindex;
    back.table = 100;
    REQUIRE(rt_add_route(back));
    CHECK(host_test::run("ip -n " + ns.name + " -4 route show table 100").out.find("default via 10.9.0.2 dev v0") !=
          std::string::npos);
    auto bad = rt_set_link_up("nosuch0", false);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.rfind("failed to set link nosuch0 down: ", 0) == 0);
    CHECK(bad.error().message.find('\n') == std::string::npos);
    CHECK_FALSE(rt_set_link_up(std::string(20, 'x'), true));
}

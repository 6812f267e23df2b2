// SPDX-License-Identifier: GPL-2.0
// Hostile input on the host kernel, in throwaway network namespaces.
#include <catch2/catch_test_macros.hpp>
#include <algorithm>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>

#include "host_util.h"

namespace fs = std::filesystem;

namespace {

bool one_line(const Run& r, const std::string& want, int rc = 1)
{
    INFO("rc " << r.rc << " stderr: " << r.err);
    return r.rc == rc && std::count(r.err.begin(), r.err.end(), '\n') == 1 &&
           r.err.find(want) != std::string::npos;
}

}  // namespace

TEST_CASE("path routes refuses a table base that reaches the kernel's tables", "[host][hardening]")
{
    require_root();
    Netns ns("ms-tbl");
    must("ip -n " + ns.name + " link add a0 type veth peer name b0");
    must("ip -n " + ns.name + " addr add 10.9.1.1/24 dev a0");
    must("ip -n " + ns.name + " link set a0 up");
    must("ip -n " + ns.name + " link set b0 up");
    must("ip -n " + ns.name + " route add default via 10.9.1.2 dev a0");
    must("ip -n " + ns.name + " mptcp endpoint add 10.9.1.1 dev a0 subflow");
    const std::string before = run("ip -n " + ns.name + " route show table all").out;
    // a0 has ifindex 2 or 3 in a fresh netns: 252 + that is main or local.
    for (const char* base : {"252", "251", "4294967295", "4294967294"}) {
        INFO("base " << base);
        Run r = run(ns.exec(cli + " path routes apply --table-base " + base));
        CHECK(one_line(r, "failed to plan routes: --table-base"));
    }
    CHECK(run("ip -n " + ns.name + " route show table all").out == before);
    CHECK(run("ip -n " + ns.name + " rule show").out.find("10.9.1.1") == std::string::npos);
    // The default base still works.
    Run ok = run(ns.exec(cli + " path routes apply"));
    INFO(ok.err);
    CHECK(ok.rc == 0);
}

TEST_CASE("bench never replaces someone else's namespace, runs alone, cleans up a killed run",
          "[host][hardening][bench]")
{
    require_root();
    fs::remove("/run/mptcp-sched-bench.json");
    SECTION("a user's namespace named like the bench's")
    {
        run("ip netns del ms-bench-cli");
        must("ip netns add ms-bench-cli");
        Run r = run(cli + " bench equal");
        CHECK(one_line(r, "network namespace ms-bench-cli exists and is not the bench's"));
        CHECK(fs::exists("/run/netns/ms-bench-cli"));
        run("ip netns del ms-bench-cli");
    }
    SECTION("a second bench")
    {
        UniqueFdForTest lock(::open("/run/mptcp-sched-bench.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        REQUIRE(::flock(lock.fd, LOCK_EX | LOCK_NB) == 0);
        CHECK(one_line(run(cli + " bench equal"), "another bench"));
        CHECK(one_line(run(cli + " bench --cleanup"), "a bench is running"));
    }
    SECTION("--cleanup undoes what a killed run recorded, and only that")
    {
        const std::string stats = run("sysctl -n kernel.bpf_stats_enabled").out;
        run("ip netns del ms-bench-srv");
        must("ip netns add ms-bench-srv");
        must("ip netns add ms-keep-" + std::to_string(getpid()));
        must("sysctl -qw kernel.bpf_stats_enabled=1");
        {
            std::ofstream rec("/run/mptcp-sched-bench.json");
            rec << R"({"pid": 999999999, "netns": ["ms-bench-cli", "ms-bench-rtr", "ms-bench-srv"],)"
                << R"( "loaded": ["ms_rr"], "bpf_stats_enabled_was": "0"})" << "\n";
        }
        // A bench refuses to start over the leftovers.
        CHECK(one_line(run(cli + " bench equal"), "bench --cleanup"));
        Run c = run(cli + " bench --cleanup");
        INFO(c.err);
        CHECK(c.rc == 0);
        CHECK(c.out.find("removed network namespace ms-bench-srv") != std::string::npos);
        CHECK(c.out.find("kernel.bpf_stats_enabled back to 0") != std::string::npos);
        CHECK_FALSE(fs::exists("/run/netns/ms-bench-srv"));
        CHECK(fs::exists("/run/netns/ms-keep-" + std::to_string(getpid())));
        CHECK(run("sysctl -n kernel.bpf_stats_enabled").out == "0\n");
        CHECK_FALSE(fs::exists("/run/mptcp-sched-bench.json"));
        Run again = run(cli + " bench --cleanup");
        CHECK(again.out == "nothing to clean up: no bench left anything behind\n");
        run("ip netns del ms-keep-" + std::to_string(getpid()));
        run("sysctl -qw kernel.bpf_stats_enabled=" + stats);
    }
}

TEST_CASE("bench --replot writes only inside --out and reports a bad file in one line",
          "[host][hardening][bench]")
{
    const std::string dir = "/tmp/ms-replot-" + std::to_string(getpid());
    fs::create_directories(dir + "/out/a/b");
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir + "/" + name) << text;
        return dir + "/" + name;
    };
    const std::string esc = write("esc.json", R"({"scenarios":[{"scenario":{"name":"../../x"}}]})");
    Run r = run(cli + " bench --replot " + esc + " --out " + dir + "/out/a/b");
    CHECK(one_line(r, "is not a plain name"));
    CHECK_FALSE(fs::exists(dir + "/out/x.svg"));
    for (const std::string& doc : std::vector<std::string>{R"({"scenarios":[{"scenario":{"name":"ok"}}]})",
                                  R"({"scenarios":[{"scenario":{"name":"ok","events":[]}}]})",
                                  R"({"scenarios":5})", R"([1,2])", R"({"scenarios":[7]})"}) {
        INFO(doc);
        Run m = run(cli + " bench --replot " + write("m.json", doc) + " --out " + dir + "/out");
        CHECK(one_line(m, "failed to replot"));
    }
    fs::remove_all(dir);
}

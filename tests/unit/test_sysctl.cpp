// SPDX-License-Identifier: GPL-2.0
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mptcp_sched/diag/status.h"
#include "mptcp_sched/base/sysctl.h"

using namespace mptcp_sched;
namespace fs = std::filesystem;

namespace {
// A fake /proc/sys tree in a temporary directory, and the Paths that point there (the CLI
// takes Paths::sysctl_root from MPTCP_SCHED_SYSCTL_ROOT).
struct FakeSysctl {
    fs::path root = fs::temp_directory_path() / ("ms-sysctl-" + std::to_string(getpid()));
    Paths paths;
    FakeSysctl()
    {
        fs::create_directories(root / "net/mptcp");
        paths.sysctl_root = root.string();
    }
    ~FakeSysctl() { fs::remove_all(root); }
    void set(const std::string& rel, const std::string& v) { std::ofstream(root / rel) << v; }
};
}  // namespace

TEST_CASE("sysctl keys map to paths under the sysctl root", "[sysctl]")
{
    const Paths defaults;
    CHECK(sysctl_path(defaults, "net.mptcp.scheduler") == "/proc/sys/net/mptcp/scheduler");
    CHECK(sysctl_path(defaults, "kernel.bpf_stats_enabled") == "/proc/sys/kernel/bpf_stats_enabled");
    Paths moved;
    moved.sysctl_root = "/tmp/fake";
    CHECK(sysctl_path(moved, "net.mptcp.scheduler") == "/tmp/fake/net/mptcp/scheduler");
}

TEST_CASE("sysctl values are read trimmed, missing keys give ENOENT", "[sysctl]")
{
    FakeSysctl f;
    f.set("net/mptcp/scheduler", "default\n");
    f.set("net/mptcp/available_schedulers", "default ms_rr  ms_minrtt\n");
    CHECK(read_sysctl(f.paths, "net.mptcp.scheduler").value() == "default");
    CHECK(split_words(read_sysctl(f.paths, "net.mptcp.available_schedulers").value()) ==
          std::vector<std::string>{"default", "ms_rr", "ms_minrtt"});
    auto missing = read_sysctl(f.paths, "net.mptcp.nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ENOENT);
    CHECK(missing.error().message.find("failed to read sysctl net.mptcp.nope") == 0);
}

TEST_CASE("integer sysctls parse strictly", "[sysctl]")
{
    CHECK(parse_sysctl_int("1\n").value() == 1);
    CHECK(parse_sysctl_int(" 0 ").value() == 0);
    CHECK_FALSE(parse_sysctl_int(""));
    CHECK_FALSE(parse_sysctl_int("-1"));
    CHECK_FALSE(parse_sysctl_int("1x"));
    CHECK_FALSE(parse_sysctl_int("99999999999999999999999"));
}

TEST_CASE("split_words handles empty and spaced lists", "[sysctl]")
{
    CHECK(split_words("").empty());
    CHECK(split_words("  \n").empty());
    CHECK(split_words("a\tb\nc") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("path manager names from pm_type", "[sysctl]")
{
    CHECK(pm_type_name(0) == "kernel");
    CHECK(pm_type_name(1) == "userspace");
    CHECK(pm_type_name(7) == "unknown(7)");
}

TEST_CASE("netns status from a fake sysctl tree: disabled MPTCP and pm_type fallback", "[sysctl]")
{
    FakeSysctl f;
    f.set("net/mptcp/enabled", "0\n");
    f.set("net/mptcp/scheduler", "default\n");
    f.set("net/mptcp/available_schedulers", "default\n");
    f.set("net/mptcp/pm_type", "1\n");
    auto ns = collect_netns_status(f.paths, "");
    REQUIRE(ns);
    REQUIRE(ns->mptcp_enabled.has_value());
    CHECK_FALSE(*ns->mptcp_enabled);
    CHECK(ns->scheduler == "default");
    CHECK(ns->path_manager == "userspace");
}

TEST_CASE("netns status without net.mptcp reports the kernel lacks MPTCP", "[sysctl]")
{
    FakeSysctl f;
    fs::remove_all(f.root / "net/mptcp");
    auto ns = collect_netns_status(f.paths, "");
    REQUIRE(ns);
    CHECK_FALSE(ns->mptcp_enabled.has_value());
    REQUIRE_FALSE(ns->errors.empty());
    CHECK(ns->errors.front().find("kernel without MPTCP") != std::string::npos);
}

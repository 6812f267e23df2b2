// SPDX-License-Identifier: GPL-2.0
// Paths are per call: two of them used side by side in one process each see their own
// sysctl tree, named-netns directory and pin root. A process-wide setting would make the
// second of each pair answer like the first.
#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>

#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/diag/status.h"
#include "mptcp_sched/sched/loader.h"

using namespace mptcp_sched;
namespace fs = std::filesystem;

namespace {

// A temporary directory, and Paths whose three roots are inside it.
struct Place {
    fs::path dir;
    Paths paths;
    explicit Place(const std::string& name)
        : dir(fs::temp_directory_path() / ("ms-paths-" + std::to_string(getpid()) + "-" + name))
    {
        fs::create_directories(dir / "sys/net/mptcp");
        fs::create_directories(dir / "netns");
        paths.sysctl_root = (dir / "sys").string();
        paths.netns_dir = (dir / "netns").string();
        paths.pin_root = (dir / "pins").string();
    }
    ~Place() { fs::remove_all(dir); }
    void sysctl(const std::string& rel, const std::string& v)
    {
        std::ofstream(dir / "sys" / rel) << v;
    }
};

}  // namespace

TEST_CASE("two Paths side by side read and write their own sysctl trees", "[paths]")
{
    Place a("a"), b("b");
    a.sysctl("net/mptcp/enabled", "1\n");
    a.sysctl("net/mptcp/scheduler", "ms_rr\n");
    b.sysctl("net/mptcp/enabled", "0\n");
    b.sysctl("net/mptcp/scheduler", "ms_minrtt\n");
    CHECK(read_sysctl(a.paths, "net.mptcp.scheduler").value() == "ms_rr");
    CHECK(read_sysctl(b.paths, "net.mptcp.scheduler").value() == "ms_minrtt");
    CHECK(read_sysctl(a.paths, "net.mptcp.scheduler").value() == "ms_rr");

    REQUIRE(write_sysctl(b.paths, "net.mptcp.scheduler", "default"));
    CHECK(read_sysctl(b.paths, "net.mptcp.scheduler").value() == "default");
    CHECK(read_sysctl(a.paths, "net.mptcp.scheduler").value() == "ms_rr");

    // And the calls built on them: status of the same (current) netns through each.
    auto sa = collect_netns_status(a.paths, "");
    auto sb = collect_netns_status(b.paths, "");
    REQUIRE(sa);
    REQUIRE(sb);
    REQUIRE(sa->mptcp_enabled.has_value());
    REQUIRE(sb->mptcp_enabled.has_value());
    CHECK(*sa->mptcp_enabled);
    CHECK_FALSE(*sb->mptcp_enabled);
    CHECK(sa->scheduler == "ms_rr");
    CHECK(sb->scheduler == "default");
}

TEST_CASE("two Paths side by side look for named netns in their own directories", "[paths]")
{
    Place a("a"), b("b");
    auto in_a = NetnsScope::enter(a.paths, "client");
    auto in_b = NetnsScope::enter(b.paths, "client");
    REQUIRE_FALSE(in_a);
    REQUIRE_FALSE(in_b);
    CHECK(in_a.error().code == ENOENT);
    CHECK(in_a.error().message.find("(" + a.paths.netns_dir + "/client missing") !=
          std::string::npos);
    CHECK(in_b.error().message.find("(" + b.paths.netns_dir + "/client missing") !=
          std::string::npos);
}

TEST_CASE("two Paths side by side use their own pin roots", "[paths]")
{
    Place a("a");
    Paths relative = a.paths;
    relative.pin_root = "relative/pins";
    // A missing root is nothing loaded; a relative one is refused, naming it.
    auto none = list_loaded(a.paths);
    REQUIRE(none);
    CHECK(none->empty());
    auto refused = list_loaded(relative);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == EINVAL);
    CHECK(refused.error().message.find("relative/pins") != std::string::npos);
    CHECK(checked_pin_root(a.paths, false).error().message ==
          "the pin root " + a.paths.pin_root + " does not exist");
}

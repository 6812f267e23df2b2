// SPDX-License-Identifier: GPL-2.0
// The embedded scheduler objects: compiled, skeleton-generated, linked, and what they
// declare matches the registry.
#include <catch2/catch_test_macros.hpp>
#include <set>

#include "mptcp_sched/sched_abi.h"
#include "mptcp_sched/sched/schedulers.h"

using namespace mptcp_sched;

TEST_CASE("every built-in scheduler object opens and registers its ms_ name", "[schedulers]")
{
    std::set<std::string> names;
    REQUIRE(builtin_schedulers().size() == 7);
    for (const auto& s : builtin_schedulers()) {
        INFO(s.name);
        REQUIRE(s.object.size() > 1000);
        auto info = inspect_object(s.object, s.name);
        REQUIRE(info);
        REQUIRE(info->ops.size() == 1);
        CHECK(info->ops[0].map == s.ops_map);
        CHECK(info->ops[0].sched_name == s.name);
        CHECK(s.name.rfind(MS_SCHED_PREFIX, 0) == 0);
        CHECK(s.name.size() < 16);   // MPTCP_SCHED_NAME_MAX including the NUL
        CHECK(names.insert(s.name).second);
        // Every scheduler implements get_send, get_retrans, init (its connection state is
        // made with the socket, not in a decision) and release.
        CHECK(info->programs.size() == 4);
        CHECK(std::set<std::string>(info->tunables.begin(), info->tunables.end())
                  .count("ms_stats_enabled") == 1);
    }
}

TEST_CASE("short names and registered names resolve", "[schedulers]")
{
    REQUIRE(find_builtin("roundrobin"));
    CHECK(find_builtin("roundrobin")->name == "ms_rr");
    CHECK(find_builtin("rr")->name == "ms_rr");
    CHECK(find_builtin("ms_rr")->name == "ms_rr");
    CHECK(find_builtin("minrtt")->name == "ms_minrtt");
    CHECK(find_builtin("redundant")->name == "ms_red");
    CHECK(find_builtin("backup")->name == "ms_bkup");
    CHECK(find_builtin("rules")->name == "ms_rules");
    CHECK(find_builtin("blest")->name == "ms_blest");
    CHECK(find_builtin("RoundRobin") == nullptr);
    CHECK(find_builtin("default") == nullptr);
    CHECK(builtin_names_for_humans().find("roundrobin (ms_rr)") != std::string::npos);
}

TEST_CASE("round-robin exposes its quantum as a tunable", "[schedulers]")
{
    auto info = inspect_object(find_builtin("rr")->object, "rr");
    REQUIRE(info);
    std::set<std::string> t(info->tunables.begin(), info->tunables.end());
    CHECK(t.count("rr_quantum") == 1);
}

TEST_CASE("BLEST exposes its lambda as a tunable", "[schedulers]")
{
    auto info = inspect_object(find_builtin("blest")->object, "blest");
    REQUIRE(info);
    std::set<std::string> t(info->tunables.begin(), info->tunables.end());
    CHECK(t.count("blest_lambda_pct") == 1);
}

TEST_CASE("a malformed object is rejected with a clear error", "[schedulers]")
{
    const char junk[] = "\x7f" "ELF this is not an object";
    auto info = inspect_object(std::as_bytes(std::span(junk)), "junk.bpf.o");
    REQUIRE_FALSE(info);
    CHECK(info.error().message.find("failed to open BPF object junk.bpf.o") == 0);
}

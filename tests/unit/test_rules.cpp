// SPDX-License-Identifier: GPL-2.0
// Rule parsing for the rules scheduler: what users type becomes struct ms_rule, and bad
// input is refused with a message that says why.
#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mptcp_sched/sched/rules.h"
#include "mptcp_sched/sched/schedulers.h"

using namespace mptcp_sched;

TEST_CASE("policies by name and alias", "[rules]")
{
    CHECK(parse_policy("redundant").value() == MS_POLICY_REDUNDANT);
    CHECK(parse_policy("rr").value() == MS_POLICY_RR);
    CHECK(parse_policy("roundrobin").value() == MS_POLICY_RR);
    CHECK(parse_policy("backup").value() == MS_POLICY_BACKUP);
    CHECK(parse_policy("minrtt").value() == MS_POLICY_MINRTT);
    auto bad = parse_policy("fastest");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message ==
          "unknown policy 'fastest' (policies: minrtt, roundrobin, redundant, backup, blest, "
          "interactive)");
    CHECK(std::string(policy_name(MS_POLICY_RR)) == "roundrobin");
}

TEST_CASE("port ranges", "[rules]")
{
    CHECK(parse_port_range("destination port", "5001").value() == std::pair<uint16_t, uint16_t>(5001, 5001));
    CHECK(parse_port_range("destination port", "5000-5010").value() == std::pair<uint16_t, uint16_t>(5000, 5010));
    CHECK(parse_port_range("destination port", "65535").value().second == 65535);
    for (const char* bad : {"0", "65536", "70000", "-1", "10-5", "abc", "", "5001-", "0x10", "1-65536"}) {
        INFO(bad);
        auto r = parse_port_range("destination port", bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.rfind(std::string("invalid destination port '") + bad + "'", 0) == 0);
    }
    CHECK(parse_port_range("destination port", "70000").error().message ==
          "invalid destination port '70000': ports are 1-65535");
}

TEST_CASE("prefixes, IPv4 and IPv6", "[rules]")
{
    auto p = parse_prefix("destination prefix", "10.0.1.0/24");
    REQUIRE(p);
    CHECK(p->family == AF_INET);
    CHECK(p->plen == 24);
    CHECK(p->mask[0] == 0xff);
    CHECK(p->mask[2] == 0xff);
    CHECK(p->mask[3] == 0);
    CHECK(p->mask[4] == 0);   // IPv4 lives in the first 4 bytes only

    auto host = parse_prefix("destination prefix", "10.0.1.2");
    REQUIRE(host);
    CHECK(host->plen == 32);

    auto v6 = parse_prefix("source prefix", "2001:db8::/33");
    REQUIRE(v6);
    CHECK(v6->family == AF_INET6);
    CHECK(v6->mask[3] == 0xff);
    CHECK(v6->mask[4] == 0x80);
    CHECK(v6->mask[5] == 0);

    CHECK(parse_prefix("destination prefix", "10.0.1.1/24").error().message ==
          "invalid destination prefix '10.0.1.1/24': host bits are set (did you mean "
          "10.0.1.0/24?)");
    CHECK(parse_prefix("destination prefix", "10.0.0.0/33").error().message ==
          "invalid destination prefix '10.0.0.0/33': the prefix length is above 32");
    CHECK(parse_prefix("destination prefix", "::/129").error().message ==
          "invalid destination prefix '::/129': the prefix length is above 128");
    CHECK(parse_prefix("destination prefix", "10.0.0/8").error().message ==
          "invalid destination prefix '10.0.0/8': not an IPv4 or IPv6 address");
    CHECK_FALSE(parse_prefix("destination prefix", "10.0.0.0/x"));
}

TEST_CASE("marks", "[rules]")
{
    CHECK(parse_mark("0x10").value() == std::pair<uint32_t, uint32_t>(0x10, 0xffffffff));
    CHECK(parse_mark("16/0xf0").value() == std::pair<uint32_t, uint32_t>(0x10, 0xf0));
    CHECK_FALSE(parse_mark("0x1/0xf0"));   // bits outside the mask could never match
    CHECK_FALSE(parse_mark("0x10/0"));
    CHECK_FALSE(parse_mark("mark"));
    CHECK_FALSE(parse_mark("0x100000000"));
}

TEST_CASE("a rule needs a match; prefixes of mixed families are refused", "[rules]")
{
    RuleSpec s;
    s.policy = "rr";
    auto r = build_rule(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("it matches nothing") != std::string::npos);

    s.dport = "5000-5001";
    s.dst = "10.0.0.0/8";
    r = build_rule(s);
    REQUIRE(r);
    CHECK(r->match == (MS_MATCH_DPORT | MS_MATCH_DST));
    CHECK(r->policy == MS_POLICY_RR);
    CHECK(describe_match(*r) == "dport 5000-5001 dst 10.0.0.0/8");

    s.src = "fd00::/8";
    CHECK_FALSE(build_rule(s));
}

TEST_CASE("same_match ignores id and policy only", "[rules]")
{
    RuleSpec a;
    a.policy = "rr";
    a.dport = "5001";
    RuleSpec b = a;
    b.policy = "redundant";
    auto ra = build_rule(a), rb = build_rule(b);
    REQUIRE(ra);
    REQUIRE(rb);
    rb->id = 7;
    CHECK(same_match(*ra, *rb));
    b.dport = "5002";
    CHECK_FALSE(same_match(*ra, *build_rule(b)));
}

TEST_CASE("cgroups resolve to their kernfs id and level", "[rules]")
{
    // A directory tree stands in for the cgroup2 root: the filesystem check must refuse it.
    auto tmp = std::filesystem::temp_directory_path() / ("ms-cg-" + std::to_string(getpid()));
    std::filesystem::create_directories(tmp / "a" / "b");
    auto r = resolve_cgroup("/a/b", tmp.string());
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("is not on a cgroup v2 filesystem") != std::string::npos);
    auto missing = resolve_cgroup("/nope", tmp.string());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("no such cgroup directory") != std::string::npos);
    std::filesystem::remove_all(tmp);
}

TEST_CASE("the rules object's maps have the layout of sched_abi.h", "[rules]")
{
    const BuiltinScheduler* b = find_builtin("rules");
    REQUIRE(b);
    struct bpf_object* obj = bpf_object__open_mem(b->object.data(), b->object.size(), nullptr);
    REQUIRE(obj);
    struct bpf_map* rules = bpf_object__find_map_by_name(obj, "ms_rules");
    struct bpf_map* cfg = bpf_object__find_map_by_name(obj, "ms_rules_cfg");
    REQUIRE(rules);
    REQUIRE(cfg);
    CHECK(bpf_map__value_size(rules) == sizeof(ms_rule));
    CHECK(bpf_map__max_entries(rules) == 2 * MS_MAX_RULES);
    CHECK(bpf_map__value_size(cfg) == sizeof(ms_rules_cfg));
    bpf_object__close(obj);
}

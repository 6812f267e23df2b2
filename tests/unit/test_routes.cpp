// SPDX-License-Identifier: GPL-2.0
// Per-source route planning from hand-made inputs (no netlink).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "mptcp_sched/path/path.h"

using namespace mptcp_sched;
using Catch::Matchers::ContainsSubstring;

namespace {

PmEndpoint ep(uint32_t id, const std::string& addr, int family = AF_INET, int ifindex = 0)
{
    PmEndpoint e;
    e.id = id;
    e.family = family;
    e.addr = addr;
    e.ifindex = ifindex;
    return e;
}

// eth1 (ifindex 3) holds 10.0.2.1/24 with a default route through it in main.
RouteInputs one_iface()
{
    RouteInputs in;
    in.endpoints = {ep(2, "10.0.2.1")};
    in.links = {{1, "lo", true, true}, {3, "eth1", true, true}};
    in.addrs = {{3, AF_INET, "10.0.2.1", 24}};
    Route def;
    def.family = AF_INET;
    def.gateway = "10.0.2.254";
    def.oif = 3;
    def.table = RT_TABLE_MAIN;
    in.routes = {def};
    return in;
}

}  // namespace

TEST_CASE("routes: an endpoint gets a rule, its subnet and the default route in its table")
{
    auto plan = route_plan(one_iface(), 100);
    REQUIRE(plan);
    CHECK(plan->problems.empty());
    REQUIRE(plan->items.size() == 3);
    const auto& rule = plan->items[0];
    CHECK(rule.what == "rule");
    CHECK(rule.desc == "from 10.0.2.1 lookup 103");
    CHECK(rule.fix == "rule add from 10.0.2.1 table 103 pref 10000");
    CHECK(rule.rule.table == 103);
    CHECK(rule.rule.src_len == 32);
    CHECK(rule.rule.protocol == kRtProtoMptcpSched);
    CHECK_FALSE(rule.present);
    CHECK(plan->items[1].desc == "10.0.2.0/24 dev eth1 table 103");
    CHECK(plan->items[1].route.dst == "10.0.2.0");
    CHECK(plan->items[1].route.scope == RT_SCOPE_LINK);
    CHECK(plan->items[2].desc == "default via 10.0.2.254 dev eth1 table 103");
    CHECK(plan->items[2].fix == "route add default via 10.0.2.254 dev eth1 table 103");
    CHECK_FALSE(plan->complete());
    CHECK(route_missing(*plan).size() == 3);
    const auto j = to_json(*plan, "ip -n ns ");
    CHECK(j["items"][0]["fix"] == "ip -n ns rule add from 10.0.2.1 table 103 pref 10000");
    CHECK(j["complete"] == false);
}

TEST_CASE("routes: what exists is present, a rule of the admin's own picks the table")
{
    auto in = one_iface();
    RouteRule own;
    own.family = AF_INET;
    own.src = "10.0.2.1";
    own.src_len = 32;
    own.table = 7;
    in.rules = {own};
    Route subnet;
    subnet.family = AF_INET;
    subnet.dst = "10.0.2.0";
    subnet.dst_len = 24;
    subnet.oif = 3;
    subnet.table = 7;
    Route def = in.routes[0];
    def.table = 7;
    in.routes.push_back(subnet);
    in.routes.push_back(def);
    auto plan = route_plan(in, 100);
    REQUIRE(plan);
    REQUIRE(plan->items.size() == 3);
    CHECK(plan->items[0].desc == "from 10.0.2.1 lookup 7");
    for (const auto& it : plan->items)
        CHECK(it.present);
    CHECK(plan->complete());
    CHECK(route_missing(*plan).empty());
    // The same route through another interface, or in another table, is not it.
    in.routes[1].oif = 4;
    in.routes[2].table = 8;
    plan = route_plan(in, 100);
    REQUIRE(plan);
    CHECK_FALSE(plan->items[1].present);
    CHECK_FALSE(plan->items[2].present);
}

TEST_CASE("routes: stale, misplaced and link-local endpoints")
{
    auto in = one_iface();
    in.endpoints = {ep(4, "10.0.7.1"), ep(5, "10.0.2.1", AF_INET, 9), ep(6, "fe80::1", AF_INET6)};
    auto plan = route_plan(in, 100);
    REQUIRE(plan);
    CHECK(plan->items.empty());
    REQUIRE(plan->problems.size() == 2);
    CHECK_THAT(plan->problems[0], ContainsSubstring("endpoint 10.0.7.1: no interface has this "
                                                    "address"));
    CHECK_THAT(plan->problems[0], ContainsSubstring("path endpoint del 4"));
    CHECK_THAT(plan->problems[1], ContainsSubstring("configured on if9 but the address is on eth1"));
    CHECK_FALSE(plan->complete());
    in.endpoints.clear();
    plan = route_plan(in, 100);
    REQUIRE(plan);
    CHECK(plan->complete());   // nothing to route is complete
}

TEST_CASE("routes: IPv6, host-length prefixes and no default route")
{
    RouteInputs in;
    in.endpoints = {ep(1, "fd00::1", AF_INET6), ep(2, "10.0.3.1")};
    in.links = {{2, "wlan 0", true, true}};
    // The interface's address in another spelling is the same address.
    in.addrs = {{2, AF_INET6, "fd00:0:0::1", 64}, {2, AF_INET, "10.0.3.1", 32}};
    auto plan = route_plan(in, 1000);
    REQUIRE(plan);
    REQUIRE(plan->items.size() == 3);
    CHECK(plan->items[0].fix == "-6 rule add from fd00::1 table 1002 pref 10000");
    CHECK(plan->items[0].rule.src_len == 128);
    CHECK(plan->items[1].desc == "fd00::/64 dev wlan 0 table 1002");
    CHECK(plan->items[1].fix == "route add fd00::/64 dev 'wlan 0' table 1002");
    // A /32 needs no subnet route; no default route in main: none in the table either.
    CHECK(plan->items[2].what == "rule");
}

TEST_CASE("routes: two endpoints on one interface share its routes, created once")
{
    auto in = one_iface();
    in.endpoints.push_back(ep(3, "10.0.2.2"));
    in.addrs.push_back({3, AF_INET, "10.0.2.2", 24});
    auto plan = route_plan(in, 100);
    REQUIRE(plan);
    CHECK(plan->items.size() == 6);
    const auto todo = route_missing(*plan);
    REQUIRE(todo.size() == 4);
    CHECK(todo[0].desc == "from 10.0.2.1 lookup 103");
    CHECK(todo[3].desc == "from 10.0.2.2 lookup 103");
}

TEST_CASE("routes: a table base that lands on a reserved table or wraps is refused")
{
    auto in = one_iface();   // ifindex 3
    for (uint32_t base : {251u, 250u, 252u, 4294967293u}) {
        INFO(base);
        auto plan = route_plan(in, base);
        REQUIRE_FALSE(plan);
        CHECK(plan.error().code == EINVAL);
        CHECK_THAT(plan.error().message, ContainsSubstring("--table-base " + std::to_string(base)));
    }
    CHECK_THAT(route_plan(in, 251).error().message, ContainsSubstring("table 254, which the kernel "
                                                                      "reserves (main)"));
    CHECK_THAT(route_plan(in, 4294967293u).error().message, ContainsSubstring("wrap around"));
    CHECK(route_plan(in, 4294967292u));
    CHECK(route_table_for(0, 3).value() == 3);
    CHECK_FALSE(route_table_for(100, 0));
    // Only endpoints that get planned check it.
    in.endpoints.clear();
    CHECK(route_plan(in, 251));
}

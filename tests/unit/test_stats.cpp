// SPDX-License-Identifier: GPL-2.0
// The statistics filters (--dport, --sport, --conn, --top) on hand-made connections.
#include <catch2/catch_test_macros.hpp>

#include "mptcp_sched/sched/stats.h"

using namespace mptcp_sched;

namespace {

ConnStats conn(uint64_t id, uint32_t token, uint16_t lport, uint16_t rport,
               std::initializer_list<uint64_t> bytes)
{
    ConnStats c;
    c.conn_id = id;
    c.state.conn_id = id;
    c.state.token = token;
    uint32_t sid = 1;
    for (uint64_t b : bytes) {
        SubflowStats s;
        s.subflow_id = sid++;
        s.row.local.port = lport;
        s.row.remote.port = rport;
        s.row.bytes_sent = b;
        c.subflows.push_back(s);
    }
    return c;
}

std::vector<uint64_t> ids(const std::vector<ConnStats>& v)
{
    std::vector<uint64_t> out;
    for (const auto& c : v)
        out.push_back(c.conn_id);
    return out;
}

}  // namespace

TEST_CASE("stats filters keep what they name", "[unit][stats]")
{
    const std::vector<ConnStats> all = {
        conn(1, 0xaa, 40000, 443, {100, 50}),
        conn(2, 0xbb, 443, 51000, {5000}),
        conn(3, 0xcc, 40001, 80, {10, 10, 10}),
        conn(4, 0xdd, 443, 51001, {700, 800}),
    };
    auto run = [&](StatsFilter f) {
        auto v = all;
        apply_filter(v, f);
        return ids(v);
    };
    CHECK(run({}) == std::vector<uint64_t>{1, 2, 3, 4});
    CHECK(run({.dport = 443}) == std::vector<uint64_t>{1});
    CHECK(run({.sport = 443}) == std::vector<uint64_t>{2, 4});
    CHECK(run({.token = 0xcc}) == std::vector<uint64_t>{3});
    CHECK(run({.token = 0x99}).empty());
    // --top: the most bytes over all subflows first; ties keep their order.
    CHECK(run({.top = 2}) == std::vector<uint64_t>{2, 4});
    CHECK(run({.sport = 443, .top = 1}) == std::vector<uint64_t>{2});
    CHECK(run({.top = 10}) == std::vector<uint64_t>{1, 2, 3, 4});
    CHECK(all[3].bytes_sent() == 1500);
}

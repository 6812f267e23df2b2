// SPDX-License-Identifier: GPL-2.0
// The bench's scenario format, statistics and chart (no kernel needed).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fstream>
#include <sstream>

#include "mptcp_sched/bench.h"

using namespace mptcp_sched;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {
std::string parse_error(const json& j)
{
    auto r = parse_scenario(j);
    REQUIRE_FALSE(r);
    return r.error().message;
}
json two_paths() { return json::parse(R"({"name": "t", "paths": [{"rate_mbit": 10}, {"rtt_ms": 40}]})"); }
}  // namespace

TEST_CASE("bench: a user scenario parses with defaults and round-trips")
{
    auto j = two_paths();
    j["workload"] = {{"type", "rr"}, {"requests", 50}, {"response_bytes", 2000}};
    j["events"] = json::array({{{"at_s", 2}, {"path", 1}, {"action", "down"}}});
    auto s = parse_scenario(j);
    REQUIRE(s);
    CHECK(s->paths.size() == 2);
    CHECK(s->paths[0].rate_mbit == 10);
    CHECK(s->paths[1].rtt_ms == 40);
    CHECK(s->workload.kind == BenchWorkload::RequestResponse);
    CHECK(s->workload.requests == 50);
    CHECK(s->workload.request_bytes == 100);
    CHECK(s->events.size() == 1);
    CHECK(s->events[0].down);
    auto again = parse_scenario(scenario_to_json(*s));
    REQUIRE(again);
    CHECK(scenario_to_json(*again) == scenario_to_json(*s));
}

TEST_CASE("bench: every built-in scenario round-trips through the file format")
{
    CHECK(builtin_scenarios().size() == 7);
    for (const auto& s : builtin_scenarios()) {
        auto r = parse_scenario(scenario_to_json(s));
        REQUIRE(r);
        CHECK(scenario_to_json(*r) == scenario_to_json(s));
    }
}

TEST_CASE("bench: bad scenarios name the field")
{
    CHECK_THAT(parse_error(json::parse(R"({"paths": [{}]})")), ContainsSubstring("'name'"));
    auto j = two_paths();
    j["paths"][0]["loss_pct"] = 150;
    CHECK_THAT(parse_error(j), ContainsSubstring("'loss_pct' = 150 is out of range (0-100)"));
    j = two_paths();
    j["paths"][1]["bandwidth"] = 5;
    CHECK_THAT(parse_error(j), ContainsSubstring("path 1: unknown field 'bandwidth'"));
    j = two_paths();
    j["paths"][0]["backup"] = true;
    CHECK_THAT(parse_error(j), ContainsSubstring("path 0 carries the initial subflow"));
    j = two_paths();
    j["workload"] = {{"type", "rate"}};
    CHECK_THAT(parse_error(j), ContainsSubstring("type 'rate' needs 'rate_mbit'"));
    j = two_paths();
    j["events"] = json::array({{{"at_s", 1}, {"path", 3}, {"action", "down"}}});
    CHECK_THAT(parse_error(j), ContainsSubstring("path 3 does not exist"));
    j = two_paths();
    j["name"] = "a b";
    CHECK_THAT(parse_error(j), ContainsSubstring("letters, digits"));
    CHECK_THAT(resolve_scenarios("no-such-scenario").error().message,
               ContainsSubstring("neither a built-in (equal, hetero-rtt"));
}

TEST_CASE("bench: median and spread")
{
    auto s = spread_of({3, 1, 2});
    CHECK(s.median == 2);
    CHECK(s.min == 1);
    CHECK(s.max == 3);
    CHECK(spread_of({4, 1, 3, 2}).median == 2.5);
    CHECK(spread_of({}).n == 0);
}

TEST_CASE("bench: the chart shows every scheduler, the baselines and the single-path sum")
{
    auto fig = [](double m) { return json{{"median", m}, {"min", m - 1}, {"max", m + 1}, {"n", 3}}; };
    json sj = {{"scenario", scenario_to_json(builtin_scenarios()[0])},
               {"single_path", json::array({{{"path", 0}, {"goodput_mbit", fig(47)}},
                                            {{"path", 1}, {"goodput_mbit", fig(46)}}})},
               {"schedulers", {{"default", {{"goodput_mbit", fig(90)}}},
                               {"roundrobin", {{"goodput_mbit", fig(91.5)}}}}},
               {"sum_single_path_mbit", 93.0}};
    std::string svg = bench_chart_svg(sj);
    CHECK_THAT(svg, ContainsSubstring("<svg"));
    CHECK_THAT(svg, ContainsSubstring(">roundrobin</text>"));
    CHECK_THAT(svg, ContainsSubstring(">TCP path 1</text>"));
    CHECK_THAT(svg, ContainsSubstring(">91.5</text>"));
    CHECK_THAT(svg, ContainsSubstring("sum of single paths 93.0"));
    CHECK_THAT(svg, ContainsSubstring("goodput (Mbit/s)"));
}

TEST_CASE("bench: the scenario example in README.md is valid")
{
    std::ifstream f(SOURCE_DIR "/README.md");
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string text = ss.str();
    const auto start = text.find("```json\n");
    REQUIRE(start != std::string::npos);
    const auto end = text.find("```", start + 8);
    auto s = parse_scenario(json::parse(text.substr(start + 8, end - start - 8)));
    REQUIRE(s);
    CHECK(s->paths.size() == 2);
    CHECK(s->paths[1].backup);
    CHECK(s->events.size() == 1);
}

TEST_CASE("bench: targets are judged from the medians")
{
    auto fig = [](double m) { return json{{"median", m}, {"min", m}, {"max", m}, {"n", 3}}; };
    json failover = {{"scenario", {{"name", "failover"}}},
                     {"scheduler_order", {"default", "minrtt"}},
                     {"schedulers", {{"default", {{"runs_ok", 3}, {"max_gap_ms", fig(400)}}},
                                     {"minrtt", {{"runs_ok", 3}, {"max_gap_ms", fig(1200)}}}}}};
    json lossy = {{"scenario", {{"name", "lossy"}}}, {"best_single_path_p99_ms", 30.0},
                  {"schedulers", {{"redundant", {{"runs_ok", 3}, {"p99_ms", fig(29)}}}}}};
    auto t = bench_targets(json{{"scenarios", {failover, lossy}}});
    REQUIRE(t.size() == 3);
    CHECK(t[0]["target"] == "failover: default longest receive gap <= 1.0 s");
    CHECK(t[0]["met"] == true);
    CHECK(t[1]["met"] == false);
    CHECK(t[1]["measured"] == "1200 ms");
    CHECK(t[2]["met"] == true);
    CHECK_THAT(render_bench_targets(t), ContainsSubstring("NOT MET  failover: minrtt"));
}

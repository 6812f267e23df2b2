// SPDX-License-Identifier: GPL-2.0
// The bench's scenario format, statistics and chart (no kernel needed).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <sstream>

#include "mptcp_sched/bench/bench.h"

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
    CHECK(builtin_scenarios().size() == 12);
    for (const auto& s : builtin_scenarios()) {
        auto r = parse_scenario(scenario_to_json(s));
        REQUIRE(r);
        CHECK(scenario_to_json(*r) == scenario_to_json(s));
    }
}

TEST_CASE("bench: a churn scenario: a 1 kB echo by default, counts and clients as given")
{
    auto j = two_paths();
    j["workload"] = {{"type", "churn"}, {"connections", 500}, {"concurrency", 4}};
    auto s = parse_scenario(j);
    REQUIRE(s);
    CHECK(s->workload.kind == BenchWorkload::Churn);
    CHECK(s->workload.connections == 500);
    CHECK(s->workload.concurrency == 4);
    CHECK(s->workload.request_bytes == 1000);
    CHECK(s->workload.response_bytes == 1000);
    CHECK(scenario_to_json(*s)["workload"]["type"] == "churn");
    j["workload"]["concurrency"] = 0;
    CHECK_THAT(parse_error(j), ContainsSubstring("concurrency"));
}

TEST_CASE("bench: churn targets compare connections/s with the default and decision cost with the reference")
{
    auto figs = [](double cps, double ns) {
        return json{{"runs_ok", 3}, {"conns_per_s", {{"median", cps}, {"min", cps}, {"max", cps}, {"n", 3}}},
                    {"decision_ns", {{"median", ns}, {"min", ns}, {"max", ns}, {"n", 3}}},
                    {"path_share_pct", json::array()}, {"errors", json::array()}};
    };
    json sc = {{"default", figs(700, 0)}, {"minrtt", figs(650, 150)}, {"rules", figs(500, 250)},
               {"ms_ref_first", figs(720, 100)}};
    for (auto& [n, f] : sc.items())
        f["vs_default"] = f["conns_per_s"]["median"].get<double>() / 700;
    json results = {{"scenarios", json::array({{{"scenario", {{"name", "churn"}, {"description", "d"},
                                                              {"workload", {{"type", "churn"}}},
                                                              {"events", json::array()}}},
                                                {"schedulers", sc},
                                                {"scheduler_order", {"default", "minrtt", "rules", "ms_ref_first"}},
                                                {"single_path", json::array()}}})}};
    std::map<std::string, bool> met;
    for (const auto& t : bench_targets(results))
        met[t["target"].get<std::string>()] = t["met"];
    CHECK(met.at("churn: minrtt connections/s >= 0.9x the default's"));
    CHECK_FALSE(met.at("churn: rules connections/s >= 0.9x the default's"));
    CHECK(met.at("churn: minrtt decision cost <= 2x the trivial reference's"));
    CHECK_FALSE(met.at("churn: rules decision cost <= 2x the trivial reference's"));
    const std::string table = render_bench_table(results);
    CHECK_THAT(table, ContainsSubstring("connections/s"));
    CHECK_THAT(table, ContainsSubstring("0.93x"));
}

TEST_CASE("bench: a many scenario: 10000 idle connections by default beside one bulk transfer")
{
    auto j = two_paths();
    j["workload"] = {{"type", "many"}, {"seconds", 4}};
    auto s = parse_scenario(j);
    REQUIRE(s);
    CHECK(s->workload.kind == BenchWorkload::Many);
    CHECK(s->workload.connections == 10000);
    CHECK(s->workload.seconds == 4);
    const json w = scenario_to_json(*s)["workload"];
    CHECK(w["type"] == "many");
    CHECK(w["connections"] == 10000);
    j["workload"]["connections"] = 2.5;
    CHECK_THAT(parse_error(j), ContainsSubstring("connections"));
    auto builtin = resolve_scenarios("many");
    REQUIRE(builtin);
    CHECK(builtin->at(0).workload.kind == BenchWorkload::Many);
    CHECK(builtin->at(0).workload.connections == 10000);
}

TEST_CASE("bench: many and churn targets: goodput beside idle connections, reading time, memory, states left")
{
    auto sp = [](double v) { return json{{"median", v}, {"min", v}, {"max", v}, {"n", 3}}; };
    auto figs = [&](double gp, double read_ms, double optmem) {
        json f = {{"runs_ok", 3}, {"goodput_mbit", sp(gp)}, {"path_share_pct", json::array()},
                  {"errors", json::array()}, {"optmem_per_conn", sp(optmem)},
                  {"idle_connections", sp(10000)}, {"vs_default", gp / 70}};
        if (read_ms >= 0)
            f["stats_read_ms"] = sp(read_ms);
        return f;
    };
    json many = {{"default", figs(70, -1, 0)}, {"minrtt", figs(69, 240, 1096)},
                 {"roundrobin", figs(60, 1500, 4096)}};
    auto churn_f = [&](double left) {
        return json{{"runs_ok", 3}, {"conns_per_s", sp(700)}, {"vs_default", 1.0},
                    {"states_left", sp(left)}, {"path_share_pct", json::array()},
                    {"errors", json::array()}};
    };
    json churn = {{"default", churn_f(-1)}, {"minrtt", churn_f(0)}, {"rules", churn_f(3)}};
    churn["default"].erase("states_left");   // the kernel's default keeps no state of ours
    auto scenario = [](const char* name, const char* type, const json& sc) {
        json order = json::array();
        for (auto& [n, f] : sc.items())
            order.push_back(n);
        return json{{"scenario", {{"name", name}, {"description", "d"}, {"workload", {{"type", type}}},
                                  {"events", json::array()}}},
                    {"schedulers", sc}, {"scheduler_order", order}, {"single_path", json::array()}};
    };
    json results = {{"scenarios", {scenario("many", "many", many), scenario("churn", "churn", churn)}}};
    std::map<std::string, bool> met;
    for (const auto& t : bench_targets(results))
        met[t["target"].get<std::string>()] = t["met"];
    CHECK(met.at("many: minrtt bulk goodput beside the idle connections >= 0.95x the default's"));
    CHECK_FALSE(met.at("many: roundrobin bulk goodput beside the idle connections >= 0.95x the default's"));
    CHECK(met.at("many: minrtt statistics of every connection read in < 1 s"));
    CHECK_FALSE(met.at("many: roundrobin statistics of every connection read in < 1 s"));
    CHECK(met.at("many: minrtt keeps <= 2 KiB of socket storage per connection"));
    CHECK_FALSE(met.at("many: roundrobin keeps <= 2 KiB of socket storage per connection"));
    CHECK(met.count("many: default statistics of every connection read in < 1 s") == 0);
    CHECK(met.at("churn: minrtt keeps no state for closed connections"));
    CHECK_FALSE(met.at("churn: rules keeps no state for closed connections"));
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

TEST_CASE("bench: the sweep grid covers rate x RTT x buffer and names its points")
{
    const auto grid = sweep_scenarios(4);
    REQUIRE(grid.size() == 18);
    std::set<std::tuple<int, int, bool>> seen;
    for (const auto& s : grid) {
        INFO(s.name);
        auto p = sweep_point(s.name);
        REQUIRE(p);
        CHECK(seen.insert({p->rate_ratio, p->rtt_ratio, p->bdp_buffer}).second);
        REQUIRE(s.paths.size() == 2);
        CHECK(s.paths[0].rate_mbit + s.paths[1].rate_mbit == 100);
        CHECK(s.paths[0].rate_mbit / s.paths[1].rate_mbit == p->rate_ratio);
        CHECK(s.paths[1].rtt_ms / s.paths[0].rtt_ms == p->rtt_ratio);
        CHECK(s.paths[0].rtt_ms >= 2);
        CHECK(s.paths[0].rtt_ms <= 10);
        CHECK(s.workload.seconds == 4);
        // 1x BDP: sum of rate * RTT over both paths, in bytes
        const double bdp = (s.paths[0].rate_mbit * s.paths[0].rtt_ms +
                            s.paths[1].rate_mbit * s.paths[1].rtt_ms) * 125;
        if (p->bdp_buffer)
            CHECK(std::abs(static_cast<double>(s.rcvbuf_bytes) - bdp) < 2);
        else
            CHECK(s.rcvbuf_bytes == 0);
        auto back = parse_scenario(scenario_to_json(s));
        REQUIRE(back);
        CHECK(back->rcvbuf_bytes == s.rcvbuf_bytes);
    }
    CHECK_FALSE(sweep_point("sweep-r3-d5"));
    CHECK_FALSE(sweep_point("sweep-r3-d5-autox"));
    CHECK_FALSE(sweep_point("equal"));
    CHECK(parse_error(json{{"name", "x"}, {"paths", {{{"rate_mbit", 1}}}}, {"rcvbuf_bytes", 100}})
              .find("rcvbuf_bytes") != std::string::npos);
}

namespace {
// A results document of sweep points with the given default and blest goodputs.
json sweep_results(const std::vector<std::tuple<std::string, double, double, double>>& points)
{
    auto fig = [](double m) { return json{{"median", m}, {"min", m}, {"max", m}, {"n", 5}}; };
    json scen = json::array();
    for (const auto& [name, sum, def, blest] : points)
        scen.push_back({{"scenario", {{"name", name}}},
                        {"scheduler_order", {"default", "blest"}},
                        {"sum_single_path_mbit", sum},
                        {"schedulers", {{"default", {{"runs_ok", 5}, {"goodput_mbit", fig(def)},
                                                     {"ofo_per_mb", fig(10)}}},
                                        {"blest", {{"runs_ok", 5}, {"goodput_mbit", fig(blest)},
                                                   {"ofo_per_mb", fig(4)}}}}}});
    return {{"scenarios", scen}};
}
}  // namespace

TEST_CASE("bench: the sweep heatmap shows each point's ratio to default where it belongs")
{
    json r = sweep_results({{"sweep-r1-d1-auto", 95, 90, 90}, {"sweep-r9-d25-bdp", 95, 50, 60}});
    REQUIRE(sweep_schedulers(r) == std::vector<std::string>{"blest"});
    const std::string svg = sweep_heatmap_svg(r, "blest");
    CHECK_THAT(svg, ContainsSubstring("<svg"));
    CHECK_THAT(svg, ContainsSubstring(">1.00</text>"));
    CHECK_THAT(svg, ContainsSubstring(">1.20</text>"));
    CHECK_THAT(svg, ContainsSubstring("60.0 vs 50.0"));
    CHECK_THAT(svg, ContainsSubstring("receiver buffer 1x summed BDP"));
    CHECK(svg.find("nan") == std::string::npos);
    // 18 cells, two measured: the measured ones are coloured, the rest grey
    size_t cells = 0, grey = 0;
    for (size_t at = svg.find("stroke=\"#bbb\""); at != std::string::npos;
         at = svg.find("stroke=\"#bbb\"", at + 1))
        cells++;
    for (size_t at = svg.find("#f4f4f4"); at != std::string::npos; at = svg.find("#f4f4f4", at + 1))
        grey++;
    CHECK(cells == 18);
    CHECK(grey == 16);
    // not a sweep: nothing to draw
    CHECK(sweep_heatmap_svg(json{{"scenarios", json::array()}}, "blest").empty());
    const std::string table = render_sweep_table(r);
    CHECK_THAT(table, ContainsSubstring("rate 9:1, RTT 1:25, 1x BDP buffer"));
    CHECK_THAT(table, ContainsSubstring("60.0 (1.20)"));
}

TEST_CASE("bench: sweep targets separate buffer-limited points and count the misses")
{
    // buffer-limited (default 50 < 0.85 * 95): blest needs 1.10x; elsewhere 0.98x
    json r = sweep_results({{"sweep-r1-d1-auto", 95, 90, 89}, {"sweep-r9-d25-bdp", 95, 50, 56},
                            {"sweep-r3-d5-bdp", 95, 60, 62}});
    json t = bench_targets(r);
    auto find = [&](const std::string& needle) {
        for (const auto& x : t)
            if (x["target"].get<std::string>().find(needle) != std::string::npos)
                return x;
        FAIL("no target " << needle);
        return json();
    };
    json limited = find("where the buffer limits");
    CHECK(limited["met"] == false);   // 62/60 = 1.03 < 1.10
    CHECK_THAT(limited["measured"].get<std::string>(), ContainsSubstring("met at 1 of 2 points"));
    CHECK_THAT(limited["measured"].get<std::string>(), ContainsSubstring("RTT 1:5"));
    CHECK(find("elsewhere")["met"] == true);   // 89/90 = 0.989
    CHECK(find("out-of-order")["met"] == true);
}

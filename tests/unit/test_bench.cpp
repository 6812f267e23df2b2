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
    CHECK(s->events[0].action == BenchEvent::Down);
    auto again = parse_scenario(scenario_to_json(*s));
    REQUIRE(again);
    CHECK(scenario_to_json(*again) == scenario_to_json(*s));
}

TEST_CASE("bench: every built-in scenario round-trips through the file format")
{
    std::vector<std::string> names;
    for (const auto& s : builtin_scenarios())
        names.push_back(s.name);
    CHECK(names == std::vector<std::string>{
                       "equal", "hetero-rtt", "unequal-bw", "lossy-1-rr", "lossy-3-rr",
                       "lossy-1-short", "lossy-3-short", "lossy-fast-rr", "lossy-fast-short",
                       "unshaped", "app-limited", "backup-idle", "churn", "churn-parallel", "many",
                       "failover", "failover-link-down", "failover-flap", "failover-degrade",
                       "backup-failover", "backup-failover-link-down", "backup-failover-flap",
                       "backup-failover-degrade", "soak", "soak-rto1s"});
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
    CHECK_FALSE(met.count("churn: ms_ref_first connections/s >= 0.9x the default's"));   // a yardstick
    const std::string table = render_bench_table(results);
    CHECK_THAT(table, ContainsSubstring("connections/s"));
    CHECK_THAT(table, ContainsSubstring("0.93x"));
}

TEST_CASE("bench: many's figures count only when nearly every idle connection used MPTCP")
{
    auto figs = [](double idle) {
        auto sp = [](double v) { return json{{"median", v}, {"min", v}, {"max", v}, {"n", 1}}; };
        return json{{"runs_ok", 1}, {"goodput_mbit", sp(70)}, {"idle_connections", sp(idle)},
                    {"path_share_pct", json::array()}, {"errors", json::array()}};
    };
    json sc = {{"default", figs(10000)}, {"minrtt", figs(4300)}};   // 5700 fell back
    json results = {{"time_scale", 1.0},
                    {"scenarios", json::array({{{"scenario", {{"name", "many"}, {"description", "d"},
                                                              {"workload", {{"type", "many"}, {"connections", 10000}}},
                                                              {"events", json::array()}}},
                                                {"schedulers", sc},
                                                {"scheduler_order", {"default", "minrtt"}},
                                                {"single_path", json::array()}}})}};
    std::map<std::string, bool> met;
    for (const auto& t : bench_targets(results))
        met[t["target"].get<std::string>()] = t["met"];
    CHECK(met.at("many: default >= 99% of the idle connections use MPTCP"));
    CHECK_FALSE(met.at("many: minrtt >= 99% of the idle connections use MPTCP"));
    results["time_scale"] = 0.43;   // 4300 of round(10000 x 0.43)
    met.clear();
    for (const auto& t : bench_targets(results))
        met[t["target"].get<std::string>()] = t["met"];
    CHECK(met.at("many: minrtt >= 99% of the idle connections use MPTCP"));
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
    auto t = bench_targets(json{{"scenarios", {failover}}});
    REQUIRE(t.size() == 3);
    CHECK(t[0]["target"] == "failover: default longest receive gap <= 1.0 s");
    CHECK(t[0]["met"] == true);
    CHECK(t[1]["met"] == false);
    CHECK(t[1]["measured"] == "1200 ms");
    CHECK(t[2]["target"] == "failover: minrtt longest receive gap <= 0.6x the default's");
    CHECK(t[2]["met"] == false);
    CHECK(t[2]["measured"] == "3.00x (1200 vs 400 ms)");
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

TEST_CASE("bench: every event action parses, round-trips and keeps its parameters")
{
    auto j = two_paths();
    j["events"] = json::parse(R"([
        {"at_s": 1, "path": 0, "action": "down"},
        {"at_s": 1.5, "path": 0, "action": "up"},
        {"at_s": 2, "path": 1, "action": "link-down"},
        {"at_s": 2.5, "path": 1, "action": "up"},
        {"at_s": 3, "path": 0, "action": "flap", "every_s": 0.5, "for_s": 2, "via": "link-down"},
        {"at_s": 6, "path": 1, "action": "flap", "every_s": 1, "for_s": 1},
        {"at_s": 8, "path": 0, "action": "degrade", "rate_mbit": 5, "rtt_ms": 40},
        {"at_s": 9, "path": 1, "action": "degrade", "loss_pct": 2.5}])");
    auto s = parse_scenario(j);
    REQUIRE(s);
    REQUIRE(s->events.size() == 8);
    CHECK(s->events[2].action == BenchEvent::LinkDown);
    CHECK(s->events[4].action == BenchEvent::Flap);
    CHECK(s->events[4].every_s == 0.5);
    CHECK(s->events[4].for_s == 2);
    CHECK(s->events[4].via == BenchEvent::LinkDown);
    CHECK(s->events[5].via == BenchEvent::Down);   // the default
    CHECK(s->events[6].action == BenchEvent::Degrade);
    CHECK(*s->events[6].rate_mbit == 5);
    CHECK(*s->events[6].rtt_ms == 40);
    CHECK_FALSE(s->events[6].loss_pct);
    CHECK(*s->events[7].loss_pct == 2.5);
    CHECK_FALSE(s->events[7].rate_mbit);
    const json out = scenario_to_json(*s);
    CHECK(out["events"][2]["action"] == "link-down");
    CHECK(out["events"][4]["via"] == "link-down");
    CHECK_FALSE(out["events"][7].contains("rate_mbit"));
    auto again = parse_scenario(out);
    REQUIRE(again);
    CHECK(scenario_to_json(*again) == out);
}

TEST_CASE("bench: bad events are refused in one line naming the event and the field")
{
    auto err = [](const std::string& events) {
        auto j = two_paths();
        j["events"] = json::parse(events);
        const std::string m = parse_error(j);
        CHECK(m.find('\n') == std::string::npos);
        CHECK_THAT(m, ContainsSubstring("scenario 't' event "));
        return m;
    };
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "explode"}])"),
               ContainsSubstring("'action' must be one of down, up, link-down, flap, degrade"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0}])"), ContainsSubstring("'action' must be one of"));
    CHECK_THAT(err(R"([{"path": 0, "action": "down"}])"), ContainsSubstring("'at_s' is required"));
    CHECK_THAT(err(R"([{"at_s": 1, "action": "down"}])"), ContainsSubstring("'path' is required"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0.5, "action": "down"}])"),
               ContainsSubstring("'path' must be a whole number"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 2, "action": "link-down"}])"),
               ContainsSubstring("event 0: path 2 does not exist"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "down", "every_s": 1}])"),
               ContainsSubstring("unknown field 'every_s' for action 'down' (at_s, path, action)"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "for_s": 3}])"),
               ContainsSubstring("action 'flap' needs 'every_s'"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 1}])"),
               ContainsSubstring("action 'flap' needs 'for_s'"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 0, "for_s": 3}])"),
               ContainsSubstring("'every_s' = 0 is out of range (0.1-600)"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 2, "for_s": 1}])"),
               ContainsSubstring("'for_s' 1 is shorter than 'every_s' 2"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 1, "for_s": 2, "via": "degrade"}])"),
               ContainsSubstring("'via' must be \"down\" or \"link-down\""));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 1, "for_s": 2, "rtt_ms": 9}])"),
               ContainsSubstring("unknown field 'rtt_ms' for action 'flap' (at_s, path, action, every_s, for_s, via)"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "degrade"}])"),
               ContainsSubstring("action 'degrade' needs at least one of rate_mbit, rtt_ms, loss_pct"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "degrade", "rate_mbit": 0}])"),
               ContainsSubstring("'rate_mbit' = 0 is out of range"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "degrade", "loss_pct": "5"}])"),
               ContainsSubstring("'loss_pct' must be a number"));
    CHECK_THAT(err(R"([{"at_s": 1, "path": 0, "action": "degrade", "delay_ms": 40}])"),
               ContainsSubstring("unknown field 'delay_ms' for action 'degrade' (at_s, path, action, rate_mbit, rtt_ms, loss_pct)"));
    CHECK_THAT(err(R"([{"at_s": 2, "path": 0, "action": "down"}, {"at_s": 1, "path": 0, "action": "up"}])"),
               ContainsSubstring("event 1: at_s 1 is before the previous event's 2 (events must be in time order)"));
    CHECK_THAT(err(R"(["down"])"), ContainsSubstring("event 0: must be an object"));
}

TEST_CASE("bench: events expand into path changes in time order, with the shaping they leave")
{
    auto j = two_paths();   // path 0: 10 Mbit/s, path 1: 40 ms
    j["events"] = json::parse(R"([
        {"at_s": 1, "path": 0, "action": "flap", "every_s": 1, "for_s": 2.5},
        {"at_s": 1.5, "path": 1, "action": "degrade", "rate_mbit": 5},
        {"at_s": 2, "path": 1, "action": "degrade", "rtt_ms": 300},
        {"at_s": 5, "path": 1, "action": "link-down"},
        {"at_s": 6, "path": 1, "action": "up"}])");
    auto s = parse_scenario(j);
    REQUIRE(s);
    const auto c = expand_events(*s, 2);
    std::vector<std::tuple<double, size_t, PathChange::Op, std::string>> got;
    for (const auto& x : c)
        got.emplace_back(x.at_s, x.path, x.op, x.label);
    using P = PathChange;
    // the flap: down at 1, up at 2, down at 3, and up at its end (3.5) as it was down then;
    // ties keep the written order
    CHECK(got == decltype(got){{2, 0, P::Blackhole, "path 0 down"},
                               {3, 1, P::Reshape, "path 1 degraded to 5 Mbit/s"},
                               {4, 0, P::Restore, "path 0 up"},
                               {4, 1, P::Reshape, "path 1 degraded to 300 ms"},
                               {6, 0, P::Blackhole, "path 0 down"},
                               {7, 0, P::Restore, "path 0 up"},
                               {10, 1, P::LinkDown, "path 1 link down"},
                               {12, 1, P::Restore, "path 1 up"}});
    REQUIRE(c.size() == 8);
    // degrades accumulate; `up` goes back to the scenario's path
    CHECK(c[3].shape.rate_mbit == 5);
    CHECK(c[3].shape.rtt_ms == 300);
    CHECK(c[6].shape.rtt_ms == 300);
    CHECK(c[7].shape.rate_mbit == 0);
    CHECK(c[7].shape.rtt_ms == 40);
    // a flap ending as it comes up adds nothing: down 1, up 2, down 3, up 4 for 3.5 s
    j["events"] = json::parse(R"([{"at_s": 1, "path": 0, "action": "flap", "every_s": 1, "for_s": 3.5}])");
    s = parse_scenario(j);
    REQUIRE(s);
    CHECK(expand_events(*s, 1).size() == 4);
    CHECK(expand_events(*s, 1).back().at_s == 4);
    CHECK(c[0].shape.rate_mbit == 10);
}

TEST_CASE("bench: the failover built-ins run every failure kind on path 0")
{
    for (const std::string base : {"failover", "backup-failover"}) {
        INFO(base);
        auto find = [](const std::string& n) {
            auto r = resolve_scenarios(n);
            REQUIRE(r);
            REQUIRE(r->size() == 1);
            return r->front();
        };
        const auto down = find(base), link = find(base + "-link-down"), flap = find(base + "-flap"),
                   degrade = find(base + "-degrade");
        for (const auto* s : {&down, &link, &flap, &degrade}) {
            REQUIRE(s->events.size() == 1);
            CHECK(s->events[0].path == 0);
            CHECK(s->paths[1].backup == (base == "backup-failover"));
        }
        CHECK(down.events[0].action == BenchEvent::Down);
        CHECK(link.events[0].action == BenchEvent::LinkDown);
        CHECK(flap.events[0].action == BenchEvent::Flap);
        // the flap is over before the transfer ends
        CHECK(flap.events[0].at_s + flap.events[0].for_s < flap.workload.seconds);
        CHECK(degrade.events[0].action == BenchEvent::Degrade);
        CHECK(*degrade.events[0].rate_mbit < degrade.paths[0].rate_mbit);
    }
}

TEST_CASE("bench: the loss scenarios: both paths lossy at 1% and 3%, or only the faster one")
{
    auto fam = resolve_scenarios("lossy");
    REQUIRE(fam);
    REQUIRE(fam->size() == 6);
    for (const auto& s : *fam) {
        INFO(s.name);
        CHECK(s.workload.kind == BenchWorkload::RequestResponse);
        CHECK(s.workload.requests * s.workload.response_bytes >= 4u << 20);
        const bool fast = s.name.find("-fast-") != std::string::npos;
        if (fast) {
            CHECK(s.paths[0].rtt_ms < s.paths[1].rtt_ms);
            CHECK(s.paths[0].loss_pct > 0);
            CHECK(s.paths[1].loss_pct == 0);
        } else {
            CHECK(s.paths[0].loss_pct == s.paths[1].loss_pct);
            CHECK(s.paths[0].loss_pct == (s.name.find("-3-") != std::string::npos ? 3 : 1));
        }
        CHECK(s.workload.response_bytes == (s.name.ends_with("-short") ? 64u << 10 : 10000u));
    }
    // a family is only a prefix up to a '-'
    CHECK_FALSE(resolve_scenarios("loss"));
}

namespace {
json rr_figs(double p99, double wire)
{
    auto fig = [](double m) { return json{{"median", m}, {"min", m}, {"max", m}, {"n", 3}}; };
    return {{"runs_ok", 3}, {"p50_ms", fig(p99 / 3)}, {"p99_ms", fig(p99)}, {"p999_ms", fig(p99 * 2)},
            {"wire_per_payload", fig(wire)}, {"cpu_ns_per_kib", fig(10)},
            {"path_share_pct", json::array()}, {"errors", json::array()}};
}
json lossy_result(const std::string& name, const json& schedulers)
{
    std::vector<std::string> order;
    for (auto it = schedulers.begin(); it != schedulers.end(); ++it)
        order.push_back(it.key());
    return {{"scenario", {{"name", name}, {"description", "d"}, {"workload", {{"type", "rr"}}},
                          {"events", json::array()}}},
            {"schedulers", schedulers}, {"scheduler_order", order}, {"single_path", json::array()}};
}
std::map<std::string, std::pair<bool, std::string>> judged(const json& results)
{
    std::map<std::string, std::pair<bool, std::string>> out;
    for (const auto& t : bench_targets(results))
        out[t["target"].get<std::string>()] = {t["met"].get<bool>(), t["measured"].get<std::string>()};
    return out;
}
}  // namespace

TEST_CASE("bench: loss targets: redundant's p99 against minrtt's and the default's, interactive's with its overhead")
{
    json sc = {{"default", rr_figs(100, 1.02)}, {"minrtt", rr_figs(80, 1.03)},
               {"redundant", rr_figs(45, 2.0)}};
    auto t = judged(json{{"scenarios", {lossy_result("lossy-3-rr", sc)}}});
    CHECK(t.size() == 2);   // no interactive in the run: not judged
    CHECK_FALSE(t.at("lossy-3-rr: redundant p99 <= 0.5x minrtt's").first);   // 45 > 40
    CHECK(t.at("lossy-3-rr: redundant p99 <= 0.5x minrtt's").second == "0.56x (45.0 vs 80.0 ms)");
    CHECK(t.at("lossy-3-rr: redundant p99 <= 0.5x default's").first);        // 45 <= 50
    sc["interactive"] = rr_figs(48, 1.31);
    t = judged(json{{"scenarios", {lossy_result("lossy-fast-short", sc)}}});
    CHECK(t.size() == 4);
    CHECK(t.at("lossy-fast-short: interactive p99 <= 0.6x minrtt's").first);   // 48 <= 48
    CHECK_FALSE(t.at("lossy-fast-short: interactive <= 1.3 bytes on the wire per payload byte").first);
    CHECK(t.at("lossy-fast-short: interactive <= 1.3 bytes on the wire per payload byte").second == "1.31");
    // the table shows p99.9 and the bytes on the wire
    const std::string table = render_bench_table(json{{"scenarios", {lossy_result("lossy-fast-short", sc)}}});
    CHECK_THAT(table, ContainsSubstring("p99.9 ms"));
    CHECK_THAT(table, ContainsSubstring("wire/payload"));
    CHECK_THAT(table, ContainsSubstring("96.0 [96.0-96.0]"));   // interactive's p99.9
    CHECK_THAT(table, ContainsSubstring("1.31 [1.31-1.31]"));
}

TEST_CASE("bench: failover targets in every failure kind: absolute gap, 0.6x the default's, redundant <= 100 ms where a path dies")
{
    auto fig = [](double m) { return json{{"median", m}, {"min", m}, {"max", m}, {"n", 3}}; };
    auto sj = [&](const std::string& name) {
        return json{{"scenario", {{"name", name}}},
                    {"scheduler_order", {"default", "minrtt", "redundant"}},
                    {"schedulers", {{"default", {{"runs_ok", 3}, {"max_gap_ms", fig(500)}}},
                                    {"minrtt", {{"runs_ok", 3}, {"max_gap_ms", fig(290)}}},
                                    {"redundant", {{"runs_ok", 3}, {"max_gap_ms", fig(120)}}}}}};
    };
    auto t = judged(json{{"scenarios", {sj("backup-failover-flap"), sj("failover-degrade")}}});
    CHECK(t.at("backup-failover-flap: minrtt longest receive gap <= 0.6x the default's").first);
    CHECK(t.at("backup-failover-flap: minrtt longest receive gap <= 0.6x the default's").second ==
          "0.58x (290 vs 500 ms)");
    CHECK_FALSE(t.at("backup-failover-flap: redundant longest receive gap <= 100 ms").first);
    CHECK(t.at("backup-failover-flap: redundant longest receive gap <= 1.5 s").first);
    CHECK(t.at("failover-degrade: default longest receive gap <= 1.0 s").first);
    CHECK(t.count("failover-degrade: minrtt longest receive gap <= 0.6x the default's"));
    // a degraded path still delivers: redundant's 100 ms bound is for a path that dies
    CHECK_FALSE(t.count("failover-degrade: redundant longest receive gap <= 100 ms"));
    CHECK_FALSE(t.count("failover-degrade: redundant longest receive gap <= 0.6x the default's"));
    CHECK_FALSE(t.count("failover-degrade: default longest receive gap <= 0.6x the default's"));
    // not a failover built-in: no failover targets
    CHECK(judged(json{{"scenarios", {sj("myfailover")}}}).empty());
}

TEST_CASE("bench: soak: the paths take turns failing, one is always up; every scheduler's worst gap is judged")
{
    auto s = resolve_scenarios("soak");
    REQUIRE(s);
    REQUIRE(s->size() == 1);
    const auto changes = expand_events(s->front(), 1);
    // From 5 s on, at every moment exactly one of the two paths is down, until both come back.
    int down0 = 0, down1 = 0, both_down = 0, checked = 0;
    for (double t = 5.5; t < 595; t += 1) {
        bool d[2] = {false, false};
        for (const auto& c : changes)
            if (c.at_s <= t)
                d[c.path] = c.op == PathChange::Blackhole;
        down0 += d[0];
        down1 += d[1];
        both_down += d[0] && d[1];
        CHECK((d[0] || d[1]));
        checked++;
    }
    CHECK(both_down == 0);
    CHECK(down0 == checked / 2);
    CHECK(down1 == checked - checked / 2);
    CHECK(changes.back().at_s == 595);
    CHECK(s->front().workload.seconds == 600);

    auto gap = [](double worst) {
        auto f = json{{"median", worst / 2}, {"min", worst / 4}, {"max", worst}, {"n", 3}};
        return json{{"runs_ok", 3}, {"max_gap_ms", f}, {"path_share_pct", json::array()},
                    {"errors", json::array()}};
    };
    json sc = {{"default", gap(1500)}, {"redundant", gap(2600)}};
    auto t = judged(json{{"scenarios", {lossy_result("soak", sc)}}});
    CHECK(t.at("soak: default longest receive gap <= 2 s (worst run)").first);
    CHECK_FALSE(t.at("soak: redundant longest receive gap <= 2 s (worst run)").first);   // worst, not median

    // soak-rto1s: the same events, retransmit timers capped at 1 s at both ends, judged alike
    auto r = resolve_scenarios("soak-rto1s");
    REQUIRE(r);
    CHECK(r->front().rto_max_ms == 1000);
    CHECK(scenario_to_json(r->front())["events"] == scenario_to_json(s->front())["events"]);
    auto t2 = judged(json{{"scenarios", {lossy_result("soak-rto1s", sc)}}});
    CHECK(t2.at("soak-rto1s: default longest receive gap <= 2 s (worst run)").first);
    // the field: 0 or the sysctl's range
    CHECK(parse_error(json{{"name", "x"}, {"paths", {{{"rate_mbit", 1}}}}, {"rto_max_ms", 200}})
              .find("rto_max_ms") != std::string::npos);
    auto ok = parse_scenario(json{{"name", "x"}, {"paths", {{{"rate_mbit", 1}}}}, {"rto_max_ms", 2000}});
    REQUIRE(ok);
    CHECK(ok->rto_max_ms == 2000);
}

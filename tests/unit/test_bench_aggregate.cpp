// SPDX-License-Identifier: GPL-2.0
// The bench's aggregation: hand-made runs in, the results.json entries out (no runs).
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <set>

#include "mptcp_sched/bench/aggregate.h"

using namespace mptcp_sched;
using Catch::Approx;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {

RunFigures bulk(double goodput, std::vector<double> share = {})
{
    RunFigures r;
    r.ok = true;
    r.goodput_mbit = goodput;
    r.max_gap_ms = goodput / 10;
    r.cpu_ns_per_kib = 2 * goodput;
    r.path_share_pct = std::move(share);
    return r;
}

RunFigures failed(const std::string& why)
{
    RunFigures r;
    r.error = why;
    return r;
}

RunFigures with_cost(RunFigures r, uint64_t ns, uint64_t count)
{
    r.decision_ns_total = ns;
    r.decision_count = count;
    return r;
}

// Three paths, the third one a backup (no single-path baseline).
BenchScenario three_paths(const std::string& name = "t",
                          BenchWorkload::Kind kind = BenchWorkload::Bulk)
{
    BenchScenario s;
    s.name = name;
    s.description = "d";
    s.paths = {BenchPath{10}, BenchPath{0, 40}, BenchPath{0, 0, 0, 0, true}};
    s.workload.kind = kind;
    return s;
}

std::set<std::string> keys(const json& j)
{
    std::set<std::string> out;
    for (auto& [k, v] : j.items())
        out.insert(k);
    return out;
}

json spread(double median, double min, double max, size_t n)
{
    return {{"median", median}, {"min", min}, {"max", max}, {"n", n}};
}

}  // namespace

TEST_CASE("bench aggregation: medians over odd and even repeats, failed runs counted apart")
{
    const auto s = three_paths();
    ScenarioRuns runs;
    runs.single_path = {{bulk(40), bulk(50), bulk(45)}, {bulk(30), bulk(35), failed("boom")}, {}};
    runs.schedulers["default"] = {with_cost(bulk(70, {60, 40, 0}), 1000, 10),
                                  with_cost(bulk(80, {50, 50, 0}), 3000, 10)};
    runs.schedulers["minrtt"] = {bulk(60), bulk(90), bulk(75), bulk(81)};
    const auto r = aggregate_scenario(s, {"default", "minrtt"}, runs);

    REQUIRE(r.single_path.size() == 2);   // the backup path has no baseline
    CHECK(r.single_path[0].goodput_mbit.median == 45);
    CHECK(r.single_path[0].goodput_mbit.n == 3);
    CHECK(r.single_path[1].goodput_mbit.median == 32.5);
    CHECK(r.single_path[1].runs_ok == 2);
    CHECK(r.single_path[1].errors == std::vector<std::string>{"boom"});
    CHECK(r.sum_single_path_mbit == 77.5);
    CHECK(r.best_single_path_mbit == 45);
    CHECK_FALSE(r.best_single_path_p99_ms);

    const auto& d = r.schedulers.at("default");
    CHECK(d.goodput_mbit.median == 75);
    REQUIRE(d.decision_ns);
    CHECK(d.decision_ns->median == 200);   // 100 and 300 ns per call
    REQUIRE(d.efficiency_pct);
    CHECK(d.efficiency_pct->median == Approx(100 * 75 / 77.5));
    CHECK(d.efficiency_pct->min == Approx(100 * 70 / 77.5));
    CHECK(*d.vs_best_single_pct == Approx(100 * 75 / 45.0));
    CHECK(*d.vs_default == 1);
    REQUIRE(d.path_share_pct.size() == 3);
    CHECK(d.path_share_pct[0].median == 55);
    CHECK(d.path_share_pct[1].median == 45);

    const auto& m = r.schedulers.at("minrtt");
    CHECK(m.goodput_mbit.median == 78);   // (75 + 81) / 2
    CHECK(m.goodput_mbit.min == 60);
    CHECK(m.goodput_mbit.max == 90);
    CHECK(*m.vs_default == Approx(78 / 75.0));
    CHECK(m.has_decision);
    CHECK_FALSE(m.decision_ns);   // no get_send calls counted
}

TEST_CASE("bench aggregation: the results.json entries keep their shape")
{
    const auto s = three_paths();
    ScenarioRuns runs;
    runs.single_path = {{bulk(40)}, {bulk(30)}, {}};
    runs.schedulers["default"] = {with_cost(bulk(70, {70, 30, 0}), 500, 5)};
    runs.schedulers["minrtt"] = {bulk(63)};
    auto r = aggregate_scenario(s, {"default", "minrtt"}, runs);
    r.chart = "out/t.svg";
    const json j = to_json(r);
    CHECK(keys(j) == std::set<std::string>{"scenario", "single_path", "schedulers",
                                           "scheduler_order", "sum_single_path_mbit",
                                           "best_single_path_mbit", "chart"});
    CHECK(j["scenario"] == scenario_to_json(s));
    CHECK(j["scheduler_order"] == json{"default", "minrtt"});
    CHECK(j["single_path"][1] ==
          json{{"runs_ok", 1}, {"errors", json::array()}, {"goodput_mbit", spread(30, 30, 30, 1)},
               {"max_gap_ms", spread(3, 3, 3, 1)}, {"cpu_ns_per_kib", spread(60, 60, 60, 1)},
               {"path_share_pct", {spread(0, 0, 0, 0), spread(0, 0, 0, 0), spread(0, 0, 0, 0)}},
               {"path", 1}});
    CHECK(j["schedulers"]["default"] ==
          json{{"runs_ok", 1}, {"errors", json::array()}, {"goodput_mbit", spread(70, 70, 70, 1)},
               {"max_gap_ms", spread(7, 7, 7, 1)}, {"cpu_ns_per_kib", spread(140, 140, 140, 1)},
               {"path_share_pct", {spread(70, 70, 70, 1), spread(30, 30, 30, 1), spread(0, 0, 0, 1)}},
               {"decision_ns", spread(100, 100, 100, 1)},
               {"efficiency_pct", spread(100, 100, 100, 1)},
               {"vs_best_single_pct", 175.0}, {"vs_default", 1.0}});
    CHECK(j["schedulers"]["minrtt"]["decision_ns"].is_null());
    CHECK(j["schedulers"]["minrtt"]["vs_default"] == 0.9);
    // The receiver's drops, where its counters were read: a spread over those runs.
    runs.schedulers["minrtt"] = {bulk(63), bulk(60), bulk(61)};
    runs.schedulers["minrtt"][0].pruned_per_mb = 0;
    runs.schedulers["minrtt"][2].pruned_per_mb = 4.5;
    const json k = to_json(aggregate_scenario(s, {"default", "minrtt"}, runs));
    CHECK(k["schedulers"]["minrtt"]["rcv_pruned_per_mb"] == spread(2.25, 0, 4.5, 2));
    CHECK_FALSE(k["schedulers"]["default"].contains("rcv_pruned_per_mb"));
    // Bytes sent twice, where read: a spread over those runs, absent elsewhere.
    runs.schedulers["minrtt"][1].duplicate_pct = 3;
    runs.schedulers["minrtt"][2].duplicate_pct = 0.5;
    const json d = to_json(aggregate_scenario(s, {"default", "minrtt"}, runs));
    CHECK(d["schedulers"]["minrtt"]["duplicate_pct"] == spread(1.75, 0.5, 3, 2));
    CHECK_FALSE(d["schedulers"]["default"].contains("duplicate_pct"));
    // MPTcpExt counters that grew: over every run, 0 where one did not grow.
    runs.schedulers["minrtt"][0].mibs = {{"server OFOQueue", 10}, {"client MPJoinSynTx", 1}};
    runs.schedulers["minrtt"][1].mibs = {{"server OFOQueue", 30}};
    const json m = to_json(aggregate_scenario(s, {"default", "minrtt"}, runs));
    CHECK(m["schedulers"]["minrtt"]["mptcp_mibs"] ==
          json{{"server OFOQueue", spread(10, 0, 30, 3)}, {"client MPJoinSynTx", spread(0, 0, 1, 3)}});
    CHECK_FALSE(m["schedulers"]["default"].contains("mptcp_mibs"));
    CHECK_FALSE(j["single_path"][0].contains("decision_ns"));
    // The chart and the report read it as they read a results.json.
    CHECK_THAT(bench_chart_svg(j), ContainsSubstring(">minrtt</text>"));
}

TEST_CASE("bench aggregation: no default run, or a default without a figure, gives no ratios")
{
    const auto s = three_paths();
    ScenarioRuns runs;
    runs.single_path = {{bulk(40)}, {bulk(30)}, {}};
    runs.schedulers["minrtt"] = {bulk(63)};
    auto r = aggregate_scenario(s, {"minrtt"}, runs);
    CHECK_FALSE(r.schedulers.at("minrtt").vs_default);
    CHECK_FALSE(to_json(r)["schedulers"]["minrtt"].contains("vs_default"));

    runs.schedulers["default"] = {failed("no route"), failed("no route")};
    r = aggregate_scenario(s, {"default", "minrtt"}, runs);
    CHECK(r.schedulers.at("default").runs_ok == 0);
    CHECK(r.schedulers.at("default").errors.size() == 2);
    CHECK_FALSE(r.schedulers.at("minrtt").vs_default);
    // A scheduler in the order that made no run at all is there, with nothing measured.
    r = aggregate_scenario(s, {"minrtt", "blest"}, runs);
    CHECK(r.schedulers.at("blest").runs_ok == 0);
    CHECK(r.schedulers.at("blest").goodput_mbit.n == 0);

    // Every baseline failed: no efficiency (nothing to divide by).
    runs.single_path = {{failed("x")}, {failed("y")}, {}};
    r = aggregate_scenario(s, {"minrtt"}, runs);
    CHECK(r.sum_single_path_mbit == 0);
    CHECK_FALSE(r.schedulers.at("minrtt").efficiency_pct);
    CHECK_FALSE(r.schedulers.at("minrtt").vs_best_single_pct);
}

TEST_CASE("bench aggregation: request/response compares p99 with the best single path, no ratios")
{
    const auto s = three_paths("lossy", BenchWorkload::RequestResponse);
    auto rr = [](double p99) {
        RunFigures f;
        f.ok = true;
        f.p50_ms = p99 / 2;
        f.p99_ms = p99;
        return f;
    };
    ScenarioRuns runs;
    runs.single_path = {{rr(10), rr(20), rr(30)}, {rr(15), rr(16)}, {}};
    runs.schedulers["default"] = {rr(30)};
    runs.schedulers["redundant"] = {rr(14)};
    const auto r = aggregate_scenario(s, {"default", "redundant"}, runs);
    REQUIRE(r.best_single_path_p99_ms);
    CHECK(*r.best_single_path_p99_ms == 15.5);
    CHECK(r.sum_single_path_mbit == 0);
    CHECK_FALSE(r.schedulers.at("redundant").vs_default);
    CHECK_FALSE(r.schedulers.at("redundant").efficiency_pct);
    const json j = to_json(r);
    CHECK(j["best_single_path_p99_ms"] == 15.5);
    CHECK(keys(j["schedulers"]["redundant"]) ==
          std::set<std::string>{"runs_ok", "errors", "p50_ms", "p99_ms", "p999_ms",
                                "wire_per_payload", "cpu_ns_per_kib", "path_share_pct",
                                "decision_ns"});

    BenchResults all;
    all.kernel = "6.18";
    all.repeat = 3;
    CHECK_FALSE(to_json(all).contains("targets"));
    all.scenarios.push_back(r);
    const json doc = to_json(all);
    CHECK(keys(doc) == std::set<std::string>{"kernel", "repeat", "time_scale", "scenarios", "targets"});
    REQUIRE(doc["targets"].size() == 1);
    CHECK(doc["targets"][0]["target"] == "lossy: redundant p99 <= 0.5x default's");
    CHECK(doc["targets"][0]["met"] == true);
}

TEST_CASE("bench aggregation: churn compares connections/s with the default's")
{
    const auto s = three_paths("churn", BenchWorkload::Churn);
    auto churn = [](double cps) {
        RunFigures f;
        f.ok = true;
        f.conns_per_s = cps;
        f.p99_ms = 1000 / cps;
        return f;
    };
    ScenarioRuns runs;
    runs.single_path = {{churn(900)}, {churn(800)}, {}};
    runs.schedulers["default"] = {churn(100), churn(200)};
    runs.schedulers["rules"] = {churn(120), churn(140), churn(130)};
    const auto r = aggregate_scenario(s, {"default", "rules"}, runs);
    CHECK(r.schedulers.at("default").conns_per_s.median == 150);
    CHECK(*r.schedulers.at("rules").vs_default == Approx(130 / 150.0));
    CHECK(r.sum_single_path_mbit == 0);   // no goodput reference for churn
    CHECK_FALSE(r.schedulers.at("rules").efficiency_pct);
    const json j = to_json(r);
    CHECK(j["schedulers"]["rules"].contains("conns_per_s"));
    CHECK_FALSE(j["schedulers"]["rules"].contains("goodput_mbit"));
    CHECK_FALSE(j.contains("best_single_path_p99_ms"));
    BenchResults all;
    all.scenarios.push_back(r);
    bool judged = false;
    const json doc = to_json(all);
    for (const auto& t : doc["targets"])
        if (t["target"] == "churn: rules connections/s >= 0.9x the default's") {
            judged = true;
            CHECK(t["met"] == false);
        }
    CHECK(judged);
}

TEST_CASE("bench aggregation: a scheduler's own counters, medians over the runs that read them")
{
    const auto s = three_paths();
    ScenarioRuns runs;
    runs.single_path = {{bulk(40)}, {bulk(30)}, {}};
    auto counted = [](double goodput, uint64_t waited, uint64_t stalled) {
        RunFigures r = bulk(goodput);
        r.counters = {{"waited", waited}, {"stalled", stalled}, {"blest_waited", 0}};
        return r;
    };
    runs.schedulers["default"] = {bulk(70), bulk(72)};   // the kernel's: no counters
    runs.schedulers["minrtt"] = {counted(60, 10, 0), counted(61, 30, 0), counted(62, 20, 4),
                                 bulk(63)};              // the last run could not read them
    auto r = aggregate_scenario(s, {"default", "minrtt"}, runs);
    const auto& m = r.schedulers["minrtt"].counters;
    REQUIRE(m.size() == 3);
    CHECK(m.at("waited").median == 20);
    CHECK(m.at("waited").n == 3);
    CHECK(m.at("stalled").max == 4);
    CHECK(r.schedulers["default"].counters.empty());

    r.chart = "";
    const json j = to_json(r);
    CHECK(j["schedulers"]["minrtt"]["counters"]["waited"] == spread(20, 10, 30, 3));
    CHECK_FALSE(j["schedulers"]["default"].contains("counters"));
    // The report names the counters with a median above 0, under the scheduler's row.
    const std::string table = render_bench_table(json{{"scenarios", {j}}});
    CHECK_THAT(table, ContainsSubstring("counters per run (medians): waited 20\n"));
    CHECK_THAT(table, !ContainsSubstring("blest_waited"));
}

TEST_CASE("bench aggregation: the headline figure and the worse of two runs (--timeline worst)")
{
    BenchScenario s = three_paths();
    Headline h = headline_of(s);
    CHECK(std::string(h.key) == "goodput_mbit");
    CHECK_FALSE(h.lower_is_better);
    CHECK(worse_run(bulk(40), bulk(80), h));
    CHECK_FALSE(worse_run(bulk(80), bulk(40), h));
    CHECK_FALSE(worse_run(bulk(40), bulk(40), h));   // equals: the first one stays
    CHECK(worse_run(failed("x"), bulk(0.5), h));     // a failed run before any figure
    CHECK_FALSE(worse_run(bulk(0.5), failed("x"), h));
    CHECK_FALSE(worse_run(failed("x"), failed("y"), h));

    // a path fails during the run: the longest receive gap, higher is worse
    s.events.push_back(BenchEvent{});
    h = headline_of(s);
    CHECK(std::string(h.key) == "max_gap_ms");
    RunFigures a = bulk(80), b = bulk(80);
    a.max_gap_ms = 900;
    b.max_gap_ms = 300;
    CHECK(headline_value(a, h) == 900);
    CHECK(worse_run(a, b, h));   // same goodput, the longer gap
    CHECK_FALSE(worse_run(b, a, h));

    RunFigures p = bulk(1), q = bulk(1);
    p.p99_ms = 120;
    q.p99_ms = 40;
    h = headline_of(three_paths("rr", BenchWorkload::RequestResponse));
    CHECK(std::string(h.key) == "p99_ms");
    CHECK(worse_run(p, q, h));

    p.conns_per_s = 300;
    q.conns_per_s = 500;
    h = headline_of(three_paths("c", BenchWorkload::Churn));
    CHECK(std::string(h.key) == "conns_per_s");
    CHECK(worse_run(p, q, h));
    CHECK_FALSE(worse_run(q, p, h));
    // many and rate are about goodput
    CHECK(std::string(headline_of(three_paths("m", BenchWorkload::Many)).key) == "goodput_mbit");
}

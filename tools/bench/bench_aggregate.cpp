// SPDX-License-Identifier: GPL-2.0
// The runs of a scenario into its results (see aggregate.h); no I/O.
#include "mptcp_sched/bench/aggregate.h"

#include <algorithm>
#include <set>

namespace mptcp_sched {

using nlohmann::json;

namespace {

bool bulk_like(BenchWorkload::Kind k)
{
    return k != BenchWorkload::RequestResponse && k != BenchWorkload::Churn;
}

}  // namespace

Headline headline_of(const BenchScenario& s)
{
    if (!s.events.empty())
        return {"max_gap_ms", "longest receive gap (ms), lower is better", "ms", true,
                &RunFigures::max_gap_ms};
    if (s.workload.kind == BenchWorkload::RequestResponse)
        return {"p99_ms", "request/response p99 latency (ms), lower is better", "ms", true,
                &RunFigures::p99_ms};
    if (s.workload.kind == BenchWorkload::Churn)
        return {"conns_per_s", "short connections per second", "per s", false,
                &RunFigures::conns_per_s};
    return {"goodput_mbit", "goodput (Mbit/s)", "Mbit/s", false, &RunFigures::goodput_mbit};
}

double headline_value(const RunFigures& r, const Headline& h)
{
    return r.*h.value;
}

bool worse_run(const RunFigures& a, const RunFigures& b, const Headline& h)
{
    if (a.ok != b.ok)
        return !a.ok;
    if (!a.ok)
        return false;
    const double va = headline_value(a, h), vb = headline_value(b, h);
    return h.lower_is_better ? va > vb : va < vb;
}

BenchFigures summarize_runs(const std::vector<RunFigures>& runs, const BenchScenario& s,
                            bool scheduler)
{
    std::vector<double> gp, gap, p50, p99, p999, wire, cpu, cost_ns, ofo, pruned, cps, reinj;
    std::vector<double> left, idle, stats_ms, optmem, dup;   // where measured (>= 0)
    std::vector<std::vector<double>> share(s.paths.size());
    std::map<std::string, std::vector<double>> counters;
    BenchFigures f;
    f.kind = s.workload.kind;
    for (const auto& r : runs) {
        if (!r.ok) {
            f.errors.push_back(r.error);
            continue;
        }
        f.runs_ok++;
        gp.push_back(r.goodput_mbit);
        cps.push_back(r.conns_per_s);
        gap.push_back(r.max_gap_ms);
        p50.push_back(r.p50_ms);
        p99.push_back(r.p99_ms);
        p999.push_back(r.p999_ms);
        wire.push_back(r.wire_per_payload);
        cpu.push_back(r.cpu_ns_per_kib);
        if (r.ofo_per_mb >= 0)
            ofo.push_back(r.ofo_per_mb);
        if (r.pruned_per_mb >= 0)
            pruned.push_back(r.pruned_per_mb);
        if (r.reinject_pct >= 0)
            reinj.push_back(r.reinject_pct);
        for (auto [v, to] : {std::pair{r.states_left, &left}, {r.idle_connections, &idle},
                             {r.stats_read_ms, &stats_ms}, {r.optmem_per_conn, &optmem},
                             {r.duplicate_pct, &dup}})
            if (v >= 0)
                to->push_back(v);
        for (size_t i = 0; i < share.size() && i < r.path_share_pct.size(); i++)
            share[i].push_back(r.path_share_pct[i]);
        for (const auto& [name, v] : r.counters)
            counters[name].push_back(static_cast<double>(v));
        if (scheduler && r.decision_count)
            cost_ns.push_back(static_cast<double>(r.decision_ns_total) /
                              static_cast<double>(r.decision_count));
    }
    f.goodput_mbit = spread_of(gp);
    f.max_gap_ms = spread_of(gap);
    f.p50_ms = spread_of(p50);
    f.p99_ms = spread_of(p99);
    f.p999_ms = spread_of(p999);
    f.wire_per_payload = spread_of(wire);
    f.conns_per_s = spread_of(cps);
    f.cpu_ns_per_kib = spread_of(cpu);
    if (!ofo.empty())
        f.ofo_per_mb = spread_of(ofo);
    if (!pruned.empty())
        f.pruned_per_mb = spread_of(pruned);
    if (!reinj.empty())
        f.reinject_pct = spread_of(reinj);
    for (auto [v, to] : {std::pair{&left, &f.states_left}, {&idle, &f.idle_connections},
                         {&stats_ms, &f.stats_read_ms}, {&optmem, &f.optmem_per_conn},
                         {&dup, &f.duplicate_pct}})
        if (!v->empty())
            *to = spread_of(*v);
    for (const auto& v : share)
        f.path_share_pct.push_back(spread_of(v));
    f.has_decision = scheduler;
    if (!cost_ns.empty())
        f.decision_ns = spread_of(cost_ns);
    for (const auto& [name, v] : counters)
        f.counters[name] = spread_of(v);
    std::set<std::string> grew;
    for (const auto& r : runs)
        if (r.ok)
            for (const auto& [name, v] : r.mibs)
                grew.insert(name);
    for (const auto& name : grew) {
        std::vector<double> v;
        for (const auto& r : runs)
            if (r.ok)
                v.push_back(r.mibs.count(name) ? static_cast<double>(r.mibs.at(name)) : 0.0);
        f.mibs[name] = spread_of(v);
    }
    return f;
}

BenchScenarioResult aggregate_scenario(const BenchScenario& s,
                                       const std::vector<std::string>& schedulers,
                                       const ScenarioRuns& runs)
{
    static const std::vector<RunFigures> none;
    BenchScenarioResult out;
    out.scenario = s;
    out.scheduler_order = schedulers;
    const auto kind = s.workload.kind;
    double best_p99 = 0;   // 0: none yet (a p99 of 0 ms is no reference either)
    for (size_t i = 0; i < s.paths.size(); i++) {
        if (s.paths[i].backup)
            continue;
        BenchFigures b = summarize_runs(i < runs.single_path.size() ? runs.single_path[i] : none,
                                        s, false);
        b.path = i;
        if (kind == BenchWorkload::RequestResponse) {
            const double p = b.p99_ms.median;
            if (b.runs_ok && (best_p99 == 0 || p < best_p99))
                best_p99 = p;
        } else if (kind != BenchWorkload::Churn) {
            // churn: single-path TCP connections/s is the reference a reader compares with
            out.sum_single_path_mbit += b.goodput_mbit.median;
            out.best_single_path_mbit = std::max(out.best_single_path_mbit, b.goodput_mbit.median);
        }
        out.single_path.push_back(std::move(b));
    }
    if (best_p99 > 0)
        out.best_single_path_p99_ms = best_p99;
    for (const auto& sched : schedulers) {
        auto it = runs.schedulers.find(sched);
        const auto& rs = it != runs.schedulers.end() ? it->second : none;
        BenchFigures f = summarize_runs(rs, s, true);
        if (bulk_like(kind) && out.sum_single_path_mbit > 0) {
            std::vector<double> eff;
            for (const auto& r : rs)
                if (r.ok)
                    eff.push_back(100.0 * r.goodput_mbit / out.sum_single_path_mbit);
            f.efficiency_pct = spread_of(eff);
            f.vs_best_single_pct = 100.0 * f.goodput_mbit.median / out.best_single_path_mbit;
        }
        out.schedulers[sched] = std::move(f);
    }
    // Goodput (connections/s for churn) as a ratio to the kernel's default of the same run.
    if (auto d = out.schedulers.find("default");
        d != out.schedulers.end() && kind != BenchWorkload::RequestResponse) {
        const auto median = [&](const BenchFigures& f) {
            return kind == BenchWorkload::Churn ? f.conns_per_s.median : f.goodput_mbit.median;
        };
        const double ref = median(d->second);
        if (ref > 0)
            for (auto& [name, f] : out.schedulers)
                f.vs_default = median(f) / ref;
    }
    return out;
}

json to_json(const Spread& s)
{
    return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"n", s.n}};
}

json to_json(const BenchFigures& f)
{
    json j = {{"runs_ok", f.runs_ok}, {"errors", f.errors}};
    if (f.kind == BenchWorkload::Churn) {
        j["conns_per_s"] = to_json(f.conns_per_s);
        j["p50_ms"] = to_json(f.p50_ms);
        j["p99_ms"] = to_json(f.p99_ms);
    } else if (f.kind == BenchWorkload::RequestResponse) {
        j["p50_ms"] = to_json(f.p50_ms);
        j["p99_ms"] = to_json(f.p99_ms);
        j["p999_ms"] = to_json(f.p999_ms);
        j["wire_per_payload"] = to_json(f.wire_per_payload);
    } else {
        j["goodput_mbit"] = to_json(f.goodput_mbit);
        j["max_gap_ms"] = to_json(f.max_gap_ms);
    }
    j["cpu_ns_per_kib"] = to_json(f.cpu_ns_per_kib);
    if (f.ofo_per_mb)
        j["ofo_per_mb"] = to_json(*f.ofo_per_mb);
    if (f.pruned_per_mb)
        j["rcv_pruned_per_mb"] = to_json(*f.pruned_per_mb);
    if (f.reinject_pct)
        j["reinject_pct"] = to_json(*f.reinject_pct);
    for (auto [key, v] : {std::pair{"states_left", &f.states_left},
                          {"idle_connections", &f.idle_connections},
                          {"stats_read_ms", &f.stats_read_ms}, {"optmem_per_conn", &f.optmem_per_conn},
                          {"duplicate_pct", &f.duplicate_pct}})
        if (*v)
            j[key] = to_json(**v);
    json sh = json::array();
    for (const auto& v : f.path_share_pct)
        sh.push_back(to_json(v));
    j["path_share_pct"] = sh;
    if (f.has_decision)
        j["decision_ns"] = f.decision_ns ? to_json(*f.decision_ns) : json();
    if (!f.mibs.empty()) {
        json m = json::object();
        for (const auto& [name, v] : f.mibs)
            m[name] = to_json(v);
        j["mptcp_mibs"] = m;
    }
    if (!f.counters.empty()) {
        json c = json::object();
        for (const auto& [name, v] : f.counters)
            c[name] = to_json(v);
        j["counters"] = c;
    }
    if (f.efficiency_pct)
        j["efficiency_pct"] = to_json(*f.efficiency_pct);
    if (f.vs_best_single_pct)
        j["vs_best_single_pct"] = *f.vs_best_single_pct;
    if (f.vs_default)
        j["vs_default"] = *f.vs_default;
    if (f.path)
        j["path"] = *f.path;
    return j;
}

json to_json(const BenchScenarioResult& r)
{
    json sj = {{"scenario", scenario_to_json(r.scenario)}, {"single_path", json::array()},
               {"schedulers", json::object()}, {"scheduler_order", r.scheduler_order}};
    for (const auto& b : r.single_path)
        sj["single_path"].push_back(to_json(b));
    for (const auto& [name, f] : r.schedulers)
        sj["schedulers"][name] = to_json(f);
    sj["sum_single_path_mbit"] = r.sum_single_path_mbit;
    sj["best_single_path_mbit"] = r.best_single_path_mbit;
    if (r.best_single_path_p99_ms)
        sj["best_single_path_p99_ms"] = *r.best_single_path_p99_ms;
    if (!r.chart.empty())
        sj["chart"] = r.chart;
    return sj;
}

json to_json(const BenchResults& r)
{
    json j = {{"kernel", r.kernel}, {"repeat", r.repeat}, {"time_scale", r.time_scale},
              {"scenarios", json::array()}};
    for (const auto& s : r.scenarios)
        j["scenarios"].push_back(to_json(s));
    if (!r.scenarios.empty())
        j["targets"] = bench_targets(j);
    return j;
}

}  // namespace mptcp_sched

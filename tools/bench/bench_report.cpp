// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench` output: one SVG bar chart per scenario and the summary table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "mptcp_sched/bench/aggregate.h"
#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/base/svg.h"

namespace mptcp_sched {

using nlohmann::json;

namespace {

// What a scenario is about (headline_of); a scenario that no longer parses (a results.json
// from another version) is charted by goodput.
Headline chart_metric(const json& sj)
{
    auto s = parse_scenario(sj["scenario"]);
    return s ? headline_of(*s) : headline_of(BenchScenario{});
}

std::string fmt(double v, int prec = 1) { return svg_num(v, prec); }
std::string esc(const std::string& s) { return xml_escape(s); }

// Scheduler names in the order they were given (JSON objects sort their keys).
std::vector<std::string> scheduler_order(const json& sj)
{
    std::vector<std::string> names;
    if (sj.contains("scheduler_order"))
        for (const auto& n : sj["scheduler_order"])
            if (sj["schedulers"].contains(n.get<std::string>()))
                names.push_back(n);
    for (auto it = sj["schedulers"].begin(); it != sj["schedulers"].end(); ++it)
        if (std::find(names.begin(), names.end(), it.key()) == names.end())
            names.push_back(it.key());
    return names;
}

double fig(const json& f, const char* key, const char* which = "median")
{
    return f.contains(key) && f[key].is_object() ? f[key][which].get<double>() : 0.0;
}

}  // namespace

std::string bench_chart_svg(const json& sj)
{
    const Headline m = chart_metric(sj);
    struct Bar {
        std::string name;
        double med, lo, hi;
        bool baseline;
    };
    std::vector<Bar> bars;
    for (const auto& b : sj["single_path"])
        bars.push_back({"TCP path " + std::to_string(b["path"].get<int>()), fig(b, m.key),
                        fig(b, m.key, "min"), fig(b, m.key, "max"), true});
    for (const auto& name : scheduler_order(sj)) {
        const json& f = sj["schedulers"][name];
        bars.push_back({name, fig(f, m.key), fig(f, m.key, "min"), fig(f, m.key, "max"), false});
    }
    double top = 1;
    for (const auto& b : bars)
        top = std::max(top, b.hi);
    const double ref = m.key == std::string("goodput_mbit") ? sj.value("sum_single_path_mbit", 0.0) : 0;
    top = std::max(top, ref) * 1.15;
    // round ticks: a step of 1, 2 or 5 times a power of ten, four or five of them
    const double raw = top / 4, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag <= 1 ? mag : raw / mag <= 2 ? 2 * mag : raw / mag <= 5 ? 5 * mag : 10 * mag;
    const int ticks = static_cast<int>(std::ceil(top / step));
    top = step * ticks;

    const int W = 120 + 90 * static_cast<int>(bars.size()), H = 360, x0 = 70, y0 = 300, ph = 240;
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << x0 << "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">"
      << esc(sj["scenario"]["name"].get<std::string>()) << ": "
      << esc(sj["scenario"]["description"].get<std::string>()) << "</text>\n"
      << "<text x=\"" << x0 << "\" y=\"38\">" << m.label
      << "; bars: median, whiskers: min-max over repeats</text>\n";
    for (int t = 0; t <= ticks; t++) {
        const double v = step * t;
        const int y = y0 - static_cast<int>(ph * t / ticks);
        o << "<line x1=\"" << x0 << "\" x2=\"" << W - 20 << "\" y1=\"" << y << "\" y2=\"" << y
          << "\" stroke=\"#ddd\"/><text x=\"" << x0 - 6 << "\" y=\"" << y + 4
          << "\" text-anchor=\"end\">" << fmt(v, step < 1 ? 1 : 0) << "</text>\n";
    }
    auto ypos = [&](double v) { return y0 - ph * v / top; };
    for (size_t i = 0; i < bars.size(); i++) {
        const auto& b = bars[i];
        const double x = x0 + 20 + 90.0 * static_cast<double>(i);
        o << "<rect x=\"" << x << "\" y=\"" << ypos(b.med) << "\" width=\"60\" height=\""
          << y0 - ypos(b.med) << "\" fill=\"" << (b.baseline ? "#9e9e9e" : "#3f7fbf") << "\"/>\n"
          << "<line x1=\"" << x + 30 << "\" x2=\"" << x + 30 << "\" y1=\"" << ypos(b.lo)
          << "\" y2=\"" << ypos(b.hi) << "\" stroke=\"black\"/>\n"
          << "<text x=\"" << x + 30 << "\" y=\"" << ypos(b.hi) - 5 << "\" text-anchor=\"middle\">"
          << fmt(b.med) << "</text>\n"
          << "<text x=\"" << x + 30 << "\" y=\"" << y0 + 16 << "\" text-anchor=\"middle\">"
          << esc(b.name) << "</text>\n";
    }
    if (ref > 0)
        o << "<line x1=\"" << x0 << "\" x2=\"" << W - 20 << "\" y1=\"" << ypos(ref) << "\" y2=\""
          << ypos(ref) << "\" stroke=\"#c0392b\" stroke-dasharray=\"6,4\"/>\n"
          << "<text x=\"" << W - 20 << "\" y=\"" << ypos(ref) - 4
          << "\" text-anchor=\"end\" fill=\"#c0392b\">sum of single paths " << fmt(ref) << "</text>\n";
    o << "<line x1=\"" << x0 << "\" x2=\"" << W - 20 << "\" y1=\"" << y0 << "\" y2=\"" << y0
      << "\" stroke=\"black\"/>\n</svg>\n";
    return o.str();
}

std::string render_bench_table(const json& results)
{
    std::string out;
    char line[512];
    for (const auto& sj : results["scenarios"]) {
        const bool rr = sj["scenario"]["workload"]["type"] == "rr";
        const bool churn = sj["scenario"]["workload"]["type"] == "churn";
        out += sj["scenario"]["name"].get<std::string>() + ": " +
               sj["scenario"]["description"].get<std::string>() + "\n";
        if (churn)
            std::snprintf(line, sizeof(line), "  %-14s %20s %10s %16s %16s %14s\n", "",
                          "connections/s", "vs default", "p50 ms each", "p99 ms each", "decision ns");
        else if (rr)
            std::snprintf(line, sizeof(line), "  %-14s %16s %16s %16s %16s %12s %12s  %s\n", "",
                          "p50 ms", "p99 ms", "p99.9 ms", "wire/payload", "decision ns",
                          "cpu ns/KiB", "requests per path (%)");
        else
            std::snprintf(line, sizeof(line), "  %-14s %18s %16s %18s %16s %14s %12s  %s\n", "",
                          "goodput Mbit/s", "efficiency %", "max gap ms", "reinjected %",
                          "decision ns", "cpu ns/KiB", "bytes per path (% of payload)");
        out += line;
        auto row = [&](const std::string& name, const json& f) {
            auto sp = [&](const char* k, int prec = 1) {
                if (!f.contains(k) || !f[k].is_object() || f[k]["n"].get<size_t>() == 0)
                    return std::string("-");
                return fmt(fig(f, k), prec) + " [" + fmt(fig(f, k, "min"), prec) + "-" +
                       fmt(fig(f, k, "max"), prec) + "]";
            };
            std::string share;
            for (const auto& p : f["path_share_pct"])
                if (p["n"].get<size_t>() > 0)
                    share += (share.empty() ? "" : " / ") + fmt(p["median"].get<double>(), 0);
            if (share.empty())
                share = "-";
            const std::string cost = f.contains("decision_ns") && f["decision_ns"].is_object()
                                         ? fmt(fig(f, "decision_ns"), 0) : "-";
            if (churn)
                std::snprintf(line, sizeof(line), "  %-14s %20s %10s %16s %16s %14s\n",
                              name.c_str(), sp("conns_per_s").c_str(),
                              f.contains("vs_default") ? (fmt(f["vs_default"].get<double>(), 2) + "x").c_str() : "-",
                              sp("p50_ms").c_str(), sp("p99_ms").c_str(), cost.c_str());
            else if (rr)
                std::snprintf(line, sizeof(line), "  %-14s %16s %16s %16s %16s %12s %12s  %s\n",
                              name.c_str(), sp("p50_ms").c_str(), sp("p99_ms").c_str(),
                              sp("p999_ms").c_str(), sp("wire_per_payload", 2).c_str(), cost.c_str(),
                              fmt(fig(f, "cpu_ns_per_kib"), 0).c_str(), share.c_str());
            else
                std::snprintf(line, sizeof(line), "  %-14s %18s %16s %18s %16s %14s %12s  %s\n",
                              name.c_str(), sp("goodput_mbit").c_str(), sp("efficiency_pct").c_str(),
                              sp("max_gap_ms", 0).c_str(), sp("reinject_pct", 2).c_str(), cost.c_str(),
                              fmt(fig(f, "cpu_ns_per_kib"), 0).c_str(), share.c_str());
            out += line;
            std::string counted;   // the scheduler's counters with a median above 0
            if (f.contains("counters") && f["counters"].is_object())
                for (const auto& [k, v] : f["counters"].items())
                    if (v.is_object() && v["median"].get<double>() > 0)
                        counted += (counted.empty() ? "" : ", ") + k + " " +
                                   fmt(v["median"].get<double>(), 0);
            if (!counted.empty())
                out += "      counters per run (medians): " + counted + "\n";
            if (!f["errors"].empty())
                out += "      errors: " + f["errors"].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        };
        for (const auto& b : sj["single_path"])
            row("TCP path " + std::to_string(b["path"].get<int>()), b);
        for (const auto& name : scheduler_order(sj))
            row(name, sj["schedulers"][name]);
    }
    return out;
}

json sweep_targets(const json& results);   // below, with the rest of the sweep

json bench_targets(const json& results)
{
    json out = json::array();
    auto add = [&](const std::string& target, const std::string& measured, bool met) {
        out.push_back({{"target", target}, {"measured", measured}, {"met", met}});
    };
    for (const auto& sj : results["scenarios"]) {
        const std::string name = sj["scenario"]["name"];
        const json& sc = sj["schedulers"];
        if (sweep_point(name))
            continue;   // judged over the whole grid, below
        auto has = [&](const char* n) { return sc.contains(n) && sc[n]["runs_ok"].get<size_t>() > 0; };
        if (name == "equal")
            for (const char* n : {"minrtt", "roundrobin"})
                if (has(n)) {
                    const double e = fig(sc[n], "efficiency_pct");
                    add(std::string("equal: ") + n + " aggregation efficiency >= 95%", fmt(e) + "%", e >= 95);
                }
        if (name == "hetero-rtt" && has("minrtt")) {
            const double g = fig(sc["minrtt"], "goodput_mbit"), e = fig(sc["minrtt"], "efficiency_pct");
            const double best = sj["best_single_path_mbit"];
            add("hetero-rtt: minrtt >= the best single path", fmt(g) + " vs " + fmt(best) + " Mbit/s", g >= best);
            add("hetero-rtt: minrtt aggregation efficiency >= 85%", fmt(e) + "%", e >= 85);
        }
        auto in_family = [&](const std::string& base) {
            return name == base || name.rfind(base + "-", 0) == 0;
        };
        if (in_family("failover") || in_family("backup-failover")) {
            const double limit = in_family("failover") ? 1000 : 1500;
            const bool path_dies = name.find("-degrade") == std::string::npos;
            const double def = has("default") ? fig(sc["default"], "max_gap_ms") : 0;
            for (const auto& n : scheduler_order(sj)) {
                if (!has(n.c_str()))
                    continue;
                const double gap = fig(sc[n], "max_gap_ms");
                add(name + ": " + n + " longest receive gap <= " + fmt(limit / 1000) + " s",
                    fmt(gap, 0) + " ms", gap <= limit);
                // issue 14: redundant has the data on the other path already; the others
                // detect the failure faster than the kernel's default
                if (n == "redundant" && path_dies)
                    add(name + ": redundant longest receive gap <= 100 ms", fmt(gap, 0) + " ms",
                        gap <= 100);
                else if (n != "redundant" && n != "default" && def > 0)
                    add(name + ": " + n + " longest receive gap <= 0.6x the default's",
                        fmt(gap / def, 2) + "x (" + fmt(gap, 0) + " vs " + fmt(def, 0) + " ms)",
                        gap <= 0.6 * def);
            }
        }
        // issue 14 item 6: one path is always up, so no scheduler may leave the receiver
        // waiting for long, whichever path just failed
        if (name == "soak" || name == "soak-rto1s")
            for (const auto& n : scheduler_order(sj))
                if (has(n.c_str())) {
                    const double gap = fig(sc[n], "max_gap_ms", "max");
                    add(name + ": " + n + " longest receive gap <= 2 s (worst run)", fmt(gap, 0) + " ms",
                        gap <= 2000);
                }
        if (in_family("lossy")) {
            // p99 ratios to the reference's median p99 in the same run
            auto p99_vs = [&](const char* n, const char* ref, double at_most) {
                if (!has(n) || !has(ref) || fig(sc[ref], "p99_ms") <= 0)
                    return;
                const double p = fig(sc[n], "p99_ms"), r = fig(sc[ref], "p99_ms");
                add(name + ": " + n + " p99 <= " + fmt(at_most) + "x " + ref + "'s",
                    fmt(p / r, 2) + "x (" + fmt(p) + " vs " + fmt(r) + " ms)", p <= at_most * r);
            };
            p99_vs("redundant", "minrtt", 0.5);
            p99_vs("redundant", "default", 0.5);
            p99_vs("interactive", "minrtt", 0.6);
            if (has("interactive") && sc["interactive"].contains("wire_per_payload")) {
                const double w = fig(sc["interactive"], "wire_per_payload");
                add(name + ": interactive <= 1.3 bytes on the wire per payload byte", fmt(w, 2),
                    w <= 1.3);
            }
        }
        if (name == "app-limited")
            for (const char* n : {"minrtt", "blest"})
                if (has(n) && !sc[n]["path_share_pct"].empty()) {
                    const double share = sc[n]["path_share_pct"][0]["median"];
                    add(std::string("app-limited: ") + n + " keeps >= 98% on the fastest path",
                        fmt(share) + "%", share >= 98);
                }
        // Decision cost next to the trivial reference's (tests/vm/bpf/ref_first.bpf.c), where
        // it ran: the ratio holds under emulation, absolute nanoseconds do not.
        if (has("ms_ref_first") && sc["ms_ref_first"].contains("decision_ns") &&
            sc["ms_ref_first"]["decision_ns"].is_object()) {
            const double ref = fig(sc["ms_ref_first"], "decision_ns");
            for (const auto& n : scheduler_order(sj))
                if (n != "default" && n != "ms_ref_first" && has(n.c_str()) &&
                    sc[n].contains("decision_ns") && sc[n]["decision_ns"].is_object() && ref > 0) {
                    const double c = fig(sc[n], "decision_ns");
                    add(name + ": " + n + " decision cost <= 2x the trivial reference's",
                        fmt(c / ref, 2) + "x (" + fmt(c, 0) + " vs " + fmt(ref, 0) + " ns)",
                        c <= 2 * ref);
                }
        }
        // The trivial reference (ms_ref_first) is there for decision costs: not judged itself.
        if (name == "churn" || name == "churn-parallel")
            for (const auto& n : scheduler_order(sj))
                if (n != "default" && n != "ms_ref_first" && has(n.c_str()) &&
                    sc[n].contains("vs_default")) {
                    const double r = sc[n]["vs_default"];
                    add(name + ": " + n + " connections/s >= 0.9x the default's",
                        fmt(r, 2) + "x (" + fmt(fig(sc[n], "conns_per_s"), 0) + " vs " +
                            fmt(fig(sc["default"], "conns_per_s"), 0) + ")", r >= 0.9);
                }
        if (name.rfind("churn", 0) == 0)
            for (const auto& n : scheduler_order(sj))
                if (has(n.c_str()) && sc[n].contains("states_left")) {
                    const double left = fig(sc[n], "states_left", "max");
                    add(name + ": " + n + " keeps no state for closed connections",
                        fmt(left, 0) + " states left after the last close", left == 0);
                }
        if (name == "many")
            for (const auto& n : scheduler_order(sj)) {
                if (!has(n.c_str()))
                    continue;
                // The figures are those of MPTCP connections: nearly all must be.
                if (sc[n].contains("idle_connections")) {
                    const double want = std::max(
                        1.0, std::round(sj["scenario"]["workload"].value("connections", 0.0) *
                                        results.value("time_scale", 1.0)));
                    const double got = fig(sc[n], "idle_connections", "min");
                    add("many: " + n + " >= 99% of the idle connections use MPTCP",
                        fmt(got, 0) + " of " + fmt(want, 0) + " (the rest fell back to TCP)",
                        got >= 0.99 * want);
                }
                if (n == "default")
                    continue;
                if (n != "ms_ref_first" && sc[n].contains("vs_default")) {
                    const double r = sc[n]["vs_default"];
                    add("many: " + n + " bulk goodput beside the idle connections >= 0.95x the default's",
                        fmt(r, 2) + "x (" + fmt(fig(sc[n], "goodput_mbit")) + " vs " +
                            fmt(fig(sc["default"], "goodput_mbit")) + " Mbit/s)", r >= 0.95);
                }
                if (sc[n].contains("stats_read_ms")) {
                    const double ms = fig(sc[n], "stats_read_ms", "max");
                    const double conns = sc[n].contains("idle_connections")
                                             ? fig(sc[n], "idle_connections") : 0;
                    add("many: " + n + " statistics of every connection read in < 1 s",
                        fmt(ms, 0) + " ms for " + fmt(conns, 0) + " connections", ms < 1000);
                }
                if (sc[n].contains("optmem_per_conn") && sc["default"].contains("optmem_per_conn")) {
                    const double b = fig(sc[n], "optmem_per_conn") - fig(sc["default"], "optmem_per_conn");
                    add("many: " + n + " keeps <= 2 KiB of socket storage per connection",
                        fmt(b, 0) + " B more option memory per MPTCP socket than the default",
                        b <= 2048);
                }
            }
        if (name == "backup-idle")
            for (const auto& n : scheduler_order(sj))
                if (n != "redundant" && has(n.c_str()) && sc[n]["path_share_pct"].size() > 1) {
                    const double share = sc[n]["path_share_pct"][1]["median"];
                    add("backup-idle: " + n + " sends nothing on the backup while the primary is up",
                        fmt(share, 2) + "% of the payload", share < 0.5);
                }
        if (name == "unshaped") {
            const double base = has("default") ? fig(sc["default"], "goodput_mbit") : 0;
            for (const auto& n : scheduler_order(sj)) {
                if (n == "default" || !has(n.c_str()))
                    continue;
                if (sc[n].contains("decision_ns") && sc[n]["decision_ns"].is_object()) {
                    const double c = fig(sc[n], "decision_ns");
                    add("unshaped: " + n + " BPF decision cost <= 200 ns", fmt(c, 0) + " ns", c <= 200);
                }
                if (base > 0 && n != "redundant") {
                    const double g = fig(sc[n], "goodput_mbit");
                    add("unshaped: " + n + " throughput within 5% of default",
                        fmt(100 * g / base) + "% of default", g >= 0.95 * base);
                }
            }
        }
    }
    for (auto& t : sweep_targets(results))
        out.push_back(std::move(t));
    return out;
}

namespace {

// Sweep points of @results that have a default run, with their coordinates.
std::vector<std::pair<SweepPoint, const json*>> sweep_rows(const json& results)
{
    std::vector<std::pair<SweepPoint, const json*>> rows;
    for (const auto& sj : results["scenarios"]) {
        auto p = sweep_point(sj["scenario"]["name"].get<std::string>());
        const json& sc = sj["schedulers"];
        if (p && sc.contains("default") && sc["default"]["runs_ok"].get<size_t>() > 0)
            rows.emplace_back(*p, &sj);
    }
    return rows;
}

double vs_default(const json& sj, const std::string& sched)
{
    const json& sc = sj["schedulers"];
    if (!sc.contains(sched) || sc[sched]["runs_ok"].get<size_t>() == 0)
        return -1;
    const double ref = fig(sc["default"], "goodput_mbit");
    return ref > 0 ? fig(sc[sched], "goodput_mbit") / ref : -1;
}

// Where the receiver's buffer limits: the default reaches < 85% of the summed single paths.
bool buffer_limited(const json& sj)
{
    const double sum = sj.value("sum_single_path_mbit", 0.0);
    return sum > 0 && fig(sj["schedulers"]["default"], "goodput_mbit") < 0.85 * sum;
}

std::string point_label(const SweepPoint& p)
{
    return "rate " + std::to_string(p.rate_ratio) + ":1, RTT 1:" + std::to_string(p.rtt_ratio) +
           (p.bdp_buffer ? ", 1x BDP buffer" : ", auto buffer");
}

}  // namespace

std::vector<std::string> sweep_schedulers(const json& results)
{
    std::vector<std::string> out;
    for (const auto& [p, sj] : sweep_rows(results))
        for (const auto& n : scheduler_order(*sj))
            if (n != "default" && std::find(out.begin(), out.end(), n) == out.end())
                out.push_back(n);
    return out;
}

std::string sweep_heatmap_svg(const json& results, const std::string& sched)
{
    const auto rows = sweep_rows(results);
    if (rows.empty())
        return "";
    const int rates[] = {1, 3, 9}, rtts[] = {1, 5, 25};
    const int cell = 96, gx = 110, gy = 96, gap = 60, W = gx + 2 * 3 * cell + gap + 30, H = gy + 3 * cell + 90;
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"20\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" << esc(sched)
      << ": goodput / kernel default's, two paths, 100 Mbit/s in total, fast path 4 ms</text>\n"
      << "<text x=\"20\" y=\"42\">medians of the same run; cell text: ratio, goodput Mbit/s; "
         "green &gt;= 1.0, red below; blank: not measured</text>\n";
    for (int panel = 0; panel < 2; panel++) {
        const int px = gx + panel * (3 * cell + gap);
        o << "<text x=\"" << px + 3 * cell / 2 << "\" y=\"" << gy - 26
          << "\" text-anchor=\"middle\" font-weight=\"bold\">"
          << (panel ? "receiver buffer 1x summed BDP" : "receiver buffer: autotuning") << "</text>\n";
        for (int c = 0; c < 3; c++)
            o << "<text x=\"" << px + c * cell + cell / 2 << "\" y=\"" << gy - 8
              << "\" text-anchor=\"middle\">RTT 1:" << rtts[c] << "</text>\n";
        for (int r = 0; r < 3; r++) {
            if (panel == 0)
                o << "<text x=\"" << px - 8 << "\" y=\"" << gy + r * cell + cell / 2 + 4
                  << "\" text-anchor=\"end\">rate " << rates[r] << ":1</text>\n";
            for (int c = 0; c < 3; c++) {
                const json* sj = nullptr;
                for (const auto& [p, j] : rows)
                    if (p.rate_ratio == rates[r] && p.rtt_ratio == rtts[c] && p.bdp_buffer == (panel == 1))
                        sj = j;
                const double v = sj ? vs_default(*sj, sched) : -1;
                std::string color = "#f4f4f4";
                if (v >= 0) {
                    // diverging: 0.7 deep red .. 1.0 white .. 1.3 deep green
                    const double t = std::clamp((v - 1.0) / 0.3, -1.0, 1.0);
                    const int a = static_cast<int>(255 - 150 * std::fabs(t));
                    char b[16];
                    std::snprintf(b, sizeof(b), t >= 0 ? "#%02x%02x%02x" : "#%02x%02x%02x",
                                  t >= 0 ? a : 255, t >= 0 ? 255 - static_cast<int>(60 * t) : a,
                                  a);
                    color = b;
                }
                const int x = px + c * cell, y = gy + r * cell;
                o << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << cell - 2
                  << "\" height=\"" << cell - 2 << "\" fill=\"" << color << "\" stroke=\"#bbb\"/>\n";
                if (v >= 0)
                    o << "<text x=\"" << x + cell / 2 << "\" y=\"" << y + cell / 2 - 2
                      << "\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">"
                      << fmt(v, 2) << "</text>\n<text x=\"" << x + cell / 2 << "\" y=\""
                      << y + cell / 2 + 16 << "\" text-anchor=\"middle\">"
                      << fmt(fig(sj->at("schedulers").at(sched), "goodput_mbit")) << " vs "
                      << fmt(fig(sj->at("schedulers").at("default"), "goodput_mbit")) << "</text>\n";
            }
        }
    }
    o << "<text x=\"20\" y=\"" << H - 20 << "\">rows: fast:slow rate (50+50, 75+25, 90+10 "
         "Mbit/s); columns: fast:slow RTT (4 ms : 4, 20, 100 ms)</text>\n</svg>\n";
    return o.str();
}

std::string render_sweep_table(const json& results)
{
    const auto rows = sweep_rows(results);
    if (rows.empty())
        return "";
    const auto scheds = sweep_schedulers(results);
    std::string out = "sweep: goodput Mbit/s (ratio to default), out-of-order packets per MB at "
                      "the receiver\n";
    char line[256];
    std::snprintf(line, sizeof(line), "  %-36s %7s %9s", "point", "sum TCP", "default");
    out += line;
    for (const auto& n : scheds) {
        std::snprintf(line, sizeof(line), " %17s", n.c_str());
        out += line;
    }
    out += "\n";
    for (const auto& [p, sj] : rows) {
        const json& sc = (*sj)["schedulers"];
        std::snprintf(line, sizeof(line), "  %-36s %7s %9s", point_label(p).c_str(),
                      fmt(sj->value("sum_single_path_mbit", 0.0)).c_str(),
                      fmt(fig(sc["default"], "goodput_mbit")).c_str());
        out += line;
        for (const auto& n : scheds) {
            const double v = vs_default(*sj, n);
            const std::string cellv = v < 0 ? "-" : fmt(fig(sc[n], "goodput_mbit")) + " (" + fmt(v, 2) + ")";
            std::snprintf(line, sizeof(line), " %17s", cellv.c_str());
            out += line;
        }
        out += "\n";
        std::snprintf(line, sizeof(line), "  %-36s %7s %9s", "    out-of-order pkts/MB", "",
                      sc["default"].contains("ofo_per_mb") ? fmt(fig(sc["default"], "ofo_per_mb")).c_str() : "-");
        out += line;
        for (const auto& n : scheds) {
            std::snprintf(line, sizeof(line), " %17s",
                          sc.contains(n) && sc[n].contains("ofo_per_mb") ? fmt(fig(sc[n], "ofo_per_mb")).c_str() : "-");
            out += line;
        }
        out += "\n";
    }
    return out;
}

json sweep_targets(const json& results)
{
    json out = json::array();
    const auto rows = sweep_rows(results);
    if (rows.empty())
        return out;
    // One line per target: met at how many points, and the worst point.
    auto judge = [&](const std::string& sched, const std::string& what,
                     const std::function<std::pair<bool, double>(const json&)>& check,
                     const std::function<bool(const json&)>& applies) {
        size_t n = 0, met = 0;
        double worst = 1e18;
        std::string worst_at;
        for (const auto& [p, sj] : rows) {
            if (!applies(*sj) || vs_default(*sj, sched) < 0)
                continue;
            auto [ok, v] = check(*sj);
            n++;
            met += ok;
            if (v < worst) {
                worst = v;
                worst_at = point_label(p);
            }
        }
        if (n)
            out.push_back({{"target", "sweep: " + sched + " " + what},
                           {"measured", "met at " + std::to_string(met) + " of " + std::to_string(n) +
                                            " points; lowest " + fmt(worst, 2) + " (" + worst_at + ")"},
                           {"met", met == n}});
    };
    auto always = [](const json&) { return true; };
    auto ratio_at_least = [](const std::string& sched, double r) {
        return [sched, r](const json& sj) {
            const double v = vs_default(sj, sched);
            return std::pair{v >= r, v};
        };
    };
    judge("minrtt", ">= 0.97x default's goodput", ratio_at_least("minrtt", 0.97), always);
    judge("roundrobin", ">= 0.9x default's goodput", ratio_at_least("roundrobin", 0.9), always);
    judge("blest", ">= 1.10x default's goodput where the buffer limits (default < 85% of summed TCP)",
          ratio_at_least("blest", 1.10), buffer_limited);
    judge("blest", ">= 0.98x default's goodput elsewhere", ratio_at_least("blest", 0.98),
          [](const json& sj) { return !buffer_limited(sj); });
    judge("blest", "fewer out-of-order packets per MB than default (value: default / blest)",
          [](const json& sj) {
              const json& sc = sj["schedulers"];
              if (!sc["blest"].contains("ofo_per_mb") || !sc["default"].contains("ofo_per_mb"))
                  return std::pair{false, 0.0};
              const double b = fig(sc["blest"], "ofo_per_mb"), d = fig(sc["default"], "ofo_per_mb");
              return std::pair{b <= d, b > 0 ? d / b : (d > 0 ? 99.0 : 1.0)};
          },
          always);
    return out;
}

std::string render_bench_targets(const json& targets)
{
    if (targets.empty())
        return "";
    std::string out = "targets (medians; built-in scenarios):\n";
    for (const auto& t : targets)
        out += std::string(t["met"].get<bool>() ? "  met      " : "  NOT MET  ") +
               t["target"].get<std::string>() + ": " + t["measured"].get<std::string>() + "\n";
    return out;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench` output: one SVG bar chart per scenario and the summary table.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "mptcp_sched/bench.h"

namespace mptcp_sched {

using nlohmann::json;

namespace {

struct Metric {
    const char* key;      // figure in each scheduler's results
    const char* label;    // axis label
    bool lower_is_better;
};

// What a scenario is about: failover -> the receive gap; request/response -> p99 latency;
// otherwise goodput.
Metric chart_metric(const json& sj)
{
    if (!sj["scenario"]["events"].empty())
        return {"max_gap_ms", "longest receive gap (ms), lower is better", true};
    if (sj["scenario"]["workload"]["type"] == "rr")
        return {"p99_ms", "request/response p99 latency (ms), lower is better", true};
    return {"goodput_mbit", "goodput (Mbit/s)", false};
}

std::string fmt(double v, int prec = 1)
{
    char b[64];
    std::snprintf(b, sizeof(b), "%.*f", prec, v);
    return b;
}

std::string esc(const std::string& s)
{
    std::string o;
    for (char c : s)
        o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
    return o;
}

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
    const Metric m = chart_metric(sj);
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
        out += sj["scenario"]["name"].get<std::string>() + ": " +
               sj["scenario"]["description"].get<std::string>() + "\n";
        if (rr)
            std::snprintf(line, sizeof(line), "  %-14s %16s %16s %14s %12s  %s\n", "", "p50 ms",
                          "p99 ms", "decision ns", "cpu ns/KiB", "bytes per path (% of payload)");
        else
            std::snprintf(line, sizeof(line), "  %-14s %18s %16s %14s %14s %12s  %s\n", "",
                          "goodput Mbit/s", "efficiency %", "max gap ms", "decision ns",
                          "cpu ns/KiB", "bytes per path (% of payload)");
        out += line;
        auto row = [&](const std::string& name, const json& f) {
            auto sp = [&](const char* k) {
                if (!f.contains(k) || !f[k].is_object() || f[k]["n"].get<size_t>() == 0)
                    return std::string("-");
                return fmt(fig(f, k)) + " [" + fmt(fig(f, k, "min")) + "-" + fmt(fig(f, k, "max")) + "]";
            };
            std::string share;
            for (const auto& p : f["path_share_pct"])
                if (p["n"].get<size_t>() > 0)
                    share += (share.empty() ? "" : " / ") + fmt(p["median"].get<double>(), 0);
            if (share.empty())
                share = "-";
            const std::string cost = f.contains("decision_ns") && f["decision_ns"].is_object()
                                         ? fmt(fig(f, "decision_ns"), 0) : "-";
            if (rr)
                std::snprintf(line, sizeof(line), "  %-14s %16s %16s %14s %12s  %s\n", name.c_str(),
                              sp("p50_ms").c_str(), sp("p99_ms").c_str(), cost.c_str(),
                              fmt(fig(f, "cpu_ns_per_kib"), 0).c_str(), share.c_str());
            else
                std::snprintf(line, sizeof(line), "  %-14s %18s %16s %14s %14s %12s  %s\n",
                              name.c_str(), sp("goodput_mbit").c_str(), sp("efficiency_pct").c_str(),
                              fmt(fig(f, "max_gap_ms"), 0).c_str(), cost.c_str(),
                              fmt(fig(f, "cpu_ns_per_kib"), 0).c_str(), share.c_str());
            out += line;
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

json bench_targets(const json& results)
{
    json out = json::array();
    auto add = [&](const std::string& target, const std::string& measured, bool met) {
        out.push_back({{"target", target}, {"measured", measured}, {"met", met}});
    };
    for (const auto& sj : results["scenarios"]) {
        const std::string name = sj["scenario"]["name"];
        const json& sc = sj["schedulers"];
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
        if (name == "failover" || name == "backup-failover") {
            const double limit = name == "failover" ? 1000 : 1500;
            for (const auto& n : scheduler_order(sj))
                if (has(n.c_str())) {
                    const double gap = fig(sc[n], "max_gap_ms");
                    add(name + ": " + n + " longest receive gap <= " + fmt(limit / 1000) + " s",
                        fmt(gap, 0) + " ms", gap <= limit);
                }
        }
        if (name == "lossy" && has("redundant") && sj.contains("best_single_path_p99_ms")) {
            const double p = fig(sc["redundant"], "p99_ms"), best = sj["best_single_path_p99_ms"];
            add("lossy: redundant p99 <= the best single path's p99", fmt(p) + " vs " + fmt(best) + " ms",
                p <= best);
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

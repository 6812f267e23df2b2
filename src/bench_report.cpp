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
    for (auto it = sj["schedulers"].begin(); it != sj["schedulers"].end(); ++it)
        bars.push_back({it.key(), fig(*it, m.key), fig(*it, m.key, "min"), fig(*it, m.key, "max"),
                        false});
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
                out += "      errors: " + f["errors"].dump() + "\n";
        };
        for (const auto& b : sj["single_path"])
            row("TCP path " + std::to_string(b["path"].get<int>()), b);
        for (auto it = sj["schedulers"].begin(); it != sj["schedulers"].end(); ++it)
            row(it.key(), *it);
    }
    return out;
}

}  // namespace mptcp_sched

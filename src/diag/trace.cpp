// SPDX-License-Identifier: GPL-2.0
// Timelines: sampling (sock_diag through list_connections), the recorder thread, JSON, the
// series a chart draws, and the chart itself.
#include "mptcp_sched/diag/trace.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/svg.h"

namespace mptcp_sched {

using nlohmann::json;

namespace {

std::optional<uint16_t> port_of(const std::string& endpoint)
{
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos)
        return std::nullopt;
    char* end = nullptr;
    const unsigned long p = std::strtoul(endpoint.c_str() + colon + 1, &end, 10);
    if (end == endpoint.c_str() + colon + 1 || *end || p > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(p);
}

// "10.0.1.1:4242" -> "10.0.1.1", "[fd00::1]:80" -> "fd00::1"
std::string addr_of(const std::string& endpoint)
{
    auto colon = endpoint.rfind(':');
    std::string a = colon == std::string::npos ? endpoint : endpoint.substr(0, colon);
    if (a.size() >= 2 && a.front() == '[' && a.back() == ']')
        a = a.substr(1, a.size() - 2);
    return a;
}

std::string token_text(uint32_t token)
{
    char t[16];
    std::snprintf(t, sizeof(t), "%08x", token);
    return t;
}

std::string conn_key(const ConnInfo& c)
{
    return token_text(c.token) + "/" + c.local + "/" + c.remote;
}

std::string subflow_key(const ConnInfo& c, const SubflowInfo& s)
{
    return conn_key(c) + "/" + s.local + "/" + s.remote;
}

json opt_rate(std::optional<double> r)
{
    return r ? json(std::round(*r * 1000) / 1000) : json();
}

double mbit(uint64_t bytes_per_s)
{
    return std::round(static_cast<double>(bytes_per_s) * 8 / 1e3) / 1e3;
}

json subflow_json(const SubflowInfo& s, const SubflowInfo* prev, double dt)
{
    json j = {{"local", s.local}, {"remote", s.remote},
              {"dev", s.dev.empty() ? json() : json(s.dev)},
              {"local_id", s.local_id}, {"remote_id", s.remote_id},
              {"backup", s.backup_local || s.backup_remote},
              {"backup_local", s.backup_local}, {"backup_remote", s.backup_remote},
              {"state", s.state},
              {"bytes_sent", s.bytes_sent}, {"bytes_acked", s.bytes_acked},
              {"bytes_received", s.bytes_received}, {"bytes_retrans", s.bytes_retrans},
              {"in_flight_bytes", s.in_flight_bytes}, {"queued_bytes", s.queued_bytes},
              {"srtt_us", s.srtt_us}, {"rttvar_us", s.rttvar_us},
              {"cwnd", s.cwnd}, {"mss", s.mss},
              {"delivery_rate_mbit", mbit(s.delivery_rate)},
              {"pacing_rate_mbit", mbit(s.pacing_rate)}};
    if (prev)
        if (auto r = counter_rate_mbit(prev->bytes_sent, s.bytes_sent, dt))
            j["send_mbit"] = opt_rate(r);
    return j;
}

template <typename T>
T get_or(const json& j, const char* key, T dflt)
{
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? dflt : it->get<T>();
}

SubflowInfo subflow_from_json(const json& j)
{
    SubflowInfo s;
    s.local = j.at("local").get<std::string>();
    s.remote = j.at("remote").get<std::string>();
    s.dev = get_or<std::string>(j, "dev", "");
    s.local_id = get_or<uint8_t>(j, "local_id", 0);
    s.remote_id = get_or<uint8_t>(j, "remote_id", 0);
    s.backup_local = get_or<bool>(j, "backup_local", get_or<bool>(j, "backup", false));
    s.backup_remote = get_or<bool>(j, "backup_remote", false);
    s.state = get_or<std::string>(j, "state", "");
    s.bytes_sent = get_or<uint64_t>(j, "bytes_sent", 0);
    s.bytes_acked = get_or<uint64_t>(j, "bytes_acked", 0);
    s.bytes_received = get_or<uint64_t>(j, "bytes_received", 0);
    s.bytes_retrans = get_or<uint64_t>(j, "bytes_retrans", 0);
    s.in_flight_bytes = get_or<uint64_t>(j, "in_flight_bytes", 0);
    s.queued_bytes = get_or<uint64_t>(j, "queued_bytes", 0);
    s.srtt_us = get_or<uint32_t>(j, "srtt_us", 0);
    s.rttvar_us = get_or<uint32_t>(j, "rttvar_us", 0);
    s.cwnd = get_or<uint32_t>(j, "cwnd", 0);
    s.mss = get_or<uint32_t>(j, "mss", 0);
    s.delivery_rate = static_cast<uint64_t>(get_or<double>(j, "delivery_rate_mbit", 0) * 1e6 / 8);
    s.pacing_rate = static_cast<uint64_t>(get_or<double>(j, "pacing_rate_mbit", 0) * 1e6 / 8);
    return s;
}

const ConnInfo* find_conn(const TimelineSample* s, const std::string& key)
{
    if (!s)
        return nullptr;
    for (const auto& c : s->connections)
        if (conn_key(c) == key)
            return &c;
    return nullptr;
}

const SubflowInfo* find_subflow(const ConnInfo* c, const SubflowInfo& s)
{
    if (!c)
        return nullptr;
    for (const auto& p : c->subflows)
        if (p.local == s.local && p.remote == s.remote)
            return &p;
    return nullptr;
}

}  // namespace

bool TraceFilter::matches(const ConnInfo& c) const
{
    if (token && c.token != *token)
        return false;
    if (local_port && port_of(c.local) != local_port)
        return false;
    if (remote_port && port_of(c.remote) != remote_port)
        return false;
    return true;
}

std::optional<double> counter_rate_mbit(uint64_t prev, uint64_t cur, double dt_s)
{
    if (!(dt_s > 0) || !std::isfinite(dt_s) || cur < prev)
        return std::nullopt;
    return static_cast<double>(cur - prev) * 8 / 1e6 / dt_s;
}

json sample_to_json(const TimelineSample& s, const TimelineSample* prev)
{
    const double dt = prev ? s.t_s - prev->t_s : 0;
    json conns = json::array();
    for (const auto& c : s.connections) {
        const ConnInfo* pc = find_conn(prev, conn_key(c));
        json subs = json::array();
        for (const auto& sf : c.subflows)
            subs.push_back(subflow_json(sf, find_subflow(pc, sf), dt));
        json j = {{"token", token_text(c.token)}, {"local", c.local}, {"remote", c.remote},
                  {"state", c.state}, {"fallback", c.fallback},
                  {"bytes_sent", c.bytes_sent}, {"bytes_acked", c.bytes_acked},
                  {"bytes_received", c.bytes_received}, {"unacked_bytes", c.unacked_bytes}};
        if (pc)
            if (auto r = counter_rate_mbit(pc->bytes_acked, c.bytes_acked, dt))
                j["goodput_mbit"] = opt_rate(r);
        j["subflows"] = subs;
        conns.push_back(std::move(j));
    }
    return {{"t_s", std::round(s.t_s * 1e4) / 1e4}, {"connections", conns}};
}

json Timeline::to_json() const
{
    json marks_j = json::array();
    for (const auto& m : marks)
        marks_j.push_back({{"t_s", std::round(m.t_s * 1e4) / 1e4}, {"label", m.label}});
    json samples_j = json::array();
    for (size_t i = 0; i < samples.size(); i++)
        samples_j.push_back(sample_to_json(samples[i], i ? &samples[i - 1] : nullptr));
    json j = {{"netns", netns}, {"interval_s", interval_s}, {"marks", marks_j},
              {"samples", samples_j}};
    if (!error.empty())
        j["error"] = error;
    return j;
}

Result<Timeline> Timeline::from_json(const json& j)
{
    try {
        Timeline tl;
        tl.netns = get_or<std::string>(j, "netns", "");
        tl.interval_s = get_or<double>(j, "interval_s", 0);
        tl.error = get_or<std::string>(j, "error", "");
        for (const auto& m : j.value("marks", json::array()))
            tl.marks.push_back({m.at("t_s").get<double>(), m.at("label").get<std::string>()});
        for (const auto& sj : j.at("samples")) {
            TimelineSample s;
            s.t_s = sj.at("t_s").get<double>();
            for (const auto& cj : sj.at("connections")) {
                ConnInfo c;
                c.token = static_cast<uint32_t>(
                    std::stoul(cj.at("token").get<std::string>(), nullptr, 16));
                c.local = cj.at("local").get<std::string>();
                c.remote = cj.at("remote").get<std::string>();
                c.state = get_or<std::string>(cj, "state", "");
                c.fallback = get_or<bool>(cj, "fallback", false);
                c.bytes_sent = get_or<uint64_t>(cj, "bytes_sent", 0);
                c.bytes_acked = get_or<uint64_t>(cj, "bytes_acked", 0);
                c.bytes_received = get_or<uint64_t>(cj, "bytes_received", 0);
                c.unacked_bytes = get_or<uint64_t>(cj, "unacked_bytes", 0);
                for (const auto& fj : cj.at("subflows"))
                    c.subflows.push_back(subflow_from_json(fj));
                s.connections.push_back(std::move(c));
            }
            tl.samples.push_back(std::move(s));
        }
        return tl;
    } catch (const std::exception& e) {
        return fail_msg(std::string("failed to read the timeline: ") + e.what(), EINVAL);
    }
}

TimelineSeriesSet timeline_series(const Timeline& tl)
{
    TimelineSeriesSet set;
    const size_t n = tl.samples.size();
    for (const auto& s : tl.samples)
        set.t_s.push_back(s.t_s);

    // Keys in order of first appearance, so colours follow the order subflows were created.
    std::vector<std::string> conn_order, sub_order;
    std::map<std::string, std::pair<const ConnInfo*, const SubflowInfo*>> first;
    for (const auto& s : tl.samples)
        for (const auto& c : s.connections) {
            if (!first.count(conn_key(c))) {
                first[conn_key(c)] = {&c, nullptr};
                conn_order.push_back(conn_key(c));
            }
            for (const auto& sf : c.subflows)
                if (!first.count(subflow_key(c, sf))) {
                    first[subflow_key(c, sf)] = {&c, &sf};
                    sub_order.push_back(subflow_key(c, sf));
                }
        }
    const bool many_conns = conn_order.size() > 1;

    // Legend text: addresses without ports unless two subflows would read the same.
    std::map<std::string, std::string> label;
    std::map<std::string, int> seen;
    auto short_label = [&](const ConnInfo& c, const SubflowInfo& sf) {
        return (many_conns ? token_text(c.token) + " " : "") + addr_of(sf.local) + " → " +
               addr_of(sf.remote);
    };
    for (const auto& k : sub_order)
        seen[short_label(*first[k].first, *first[k].second)]++;
    for (const auto& k : sub_order) {
        const auto& [c, sf] = first[k];
        std::string l = short_label(*c, *sf);
        if (seen[l] > 1)
            l = (many_conns ? token_text(c->token) + " " : "") + sf->local + " → " + sf->remote;
        if (!sf->dev.empty())
            l += " (" + sf->dev + ")";
        if (sf->backup_local || sf->backup_remote)
            l += " backup";
        label[k] = l;
    }

    auto new_series = [&](std::vector<TimelineSeries>& v, const std::string& key,
                          const std::string& l, bool backup) {
        v.push_back({key, l, backup, std::vector<std::optional<double>>(n)});
    };
    for (const auto& k : sub_order) {
        const bool bk = first[k].second->backup_local || first[k].second->backup_remote;
        for (auto* v : {&set.send_mbit, &set.srtt_ms, &set.cwnd, &set.in_flight_bytes,
                        &set.queued_bytes})
            new_series(*v, k, label[k], bk);
    }
    for (const auto& k : conn_order) {
        const std::string prefix = many_conns ? token_text(first[k].first->token) + " " : "";
        new_series(set.goodput_mbit, k, prefix + "goodput (MPTCP data acked)", false);
        new_series(set.goodput_mbit, k + "/sent", prefix + "sent (MPTCP level)", false);
    }
    std::map<std::string, size_t> sub_index, conn_index;
    for (size_t i = 0; i < sub_order.size(); i++)
        sub_index[sub_order[i]] = i;
    for (size_t i = 0; i < conn_order.size(); i++)
        conn_index[conn_order[i]] = i;

    for (size_t i = 0; i < n; i++) {
        const TimelineSample& s = tl.samples[i];
        const TimelineSample* prev = i ? &tl.samples[i - 1] : nullptr;
        const double dt = prev ? s.t_s - prev->t_s : 0;
        for (const auto& c : s.connections) {
            const ConnInfo* pc = find_conn(prev, conn_key(c));
            const size_t ci = conn_index[conn_key(c)];
            if (pc) {
                set.goodput_mbit[2 * ci].values[i] = counter_rate_mbit(pc->bytes_acked, c.bytes_acked, dt);
                set.goodput_mbit[2 * ci + 1].values[i] = counter_rate_mbit(pc->bytes_sent, c.bytes_sent, dt);
            }
            for (const auto& sf : c.subflows) {
                const size_t si = sub_index[subflow_key(c, sf)];
                if (const SubflowInfo* ps = find_subflow(pc, sf))
                    set.send_mbit[si].values[i] = counter_rate_mbit(ps->bytes_sent, sf.bytes_sent, dt);
                set.srtt_ms[si].values[i] = sf.srtt_us / 1000.0;
                set.cwnd[si].values[i] = static_cast<double>(sf.cwnd);
                set.in_flight_bytes[si].values[i] = static_cast<double>(sf.in_flight_bytes);
                set.queued_bytes[si].values[i] = static_cast<double>(sf.queued_bytes);
            }
        }
    }
    return set;
}

// ---- the chart ------------------------------------------------------------------------

namespace {

std::string num(double v, int prec = 1) { return svg_num(v, prec); }
std::string esc(const std::string& s) { return xml_escape(s); }

// A round step (1, 2 or 5 times a power of ten) that cuts [0, top] into about @want parts.
double nice_step(double top, int want)
{
    if (!(top > 0) || !std::isfinite(top))
        return 1;
    const double raw = top / want, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

int decimals_for(double step)
{
    return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
}

const char* const kColours[] = {"#3f7fbf", "#e67e22", "#27ae60", "#8e44ad",
                                "#c0392b", "#16a085", "#d4ac0d", "#7f8c8d"};

struct Panel {
    std::string title;
    const std::vector<TimelineSeries>* series;
    double scale = 1;             // values are divided by this
    std::string unit;
    double floor = 1;             // the axis reaches at least this (before scaling)
};

// Bytes get the unit that keeps the axis labels short.
void byte_unit(Panel& p, double max)
{
    if (max >= 2e6) {
        p.scale = 1e6;
        p.unit = "MB";
    } else if (max >= 2e3) {
        p.scale = 1e3;
        p.unit = "kB";
    } else {
        p.unit = "bytes";
    }
}

double series_max(const std::vector<TimelineSeries>& v)
{
    double m = 0;
    for (const auto& s : v)
        for (const auto& x : s.values)
            if (x && std::isfinite(*x))
                m = std::max(m, *x);
    return m;
}

}  // namespace

std::string timeline_svg(const Timeline& tl, const std::string& title)
{
    const TimelineSeriesSet set = timeline_series(tl);
    std::vector<Panel> panels = {
        {"send rate per subflow (Mbit/s)", &set.send_mbit, 1, "Mbit/s"},
        {"receiver goodput (Mbit/s)", &set.goodput_mbit, 1, "Mbit/s"},
        {"smoothed RTT (ms)", &set.srtt_ms, 1, "ms"},
        {"congestion window (segments)", &set.cwnd, 1, "segments"},
        {"in flight", &set.in_flight_bytes, 1, ""},
        {"queued on the subflow, not yet sent", &set.queued_bytes, 1, ""},
    };
    // Each axis reaches at least a small round value, so an idle quantity sits on a readable
    // axis ("0-10 kB in flight") rather than 0-1 bytes.
    const double floor_of[] = {1, 1, 1, 10, 10e3, 10e3};
    for (size_t i = 0; i < panels.size(); i++)
        panels[i].floor = floor_of[i];
    for (size_t i = 4; i < 6; i++) {
        byte_unit(panels[i], std::max(panels[i].floor, series_max(*panels[i].series)));
        panels[i].title += " (" + panels[i].unit + ")";
    }

    // Time axis: from 0 to the last sample or mark, whichever is later.
    double tmax = tl.interval_s > 0 ? tl.interval_s : 1;
    for (double t : set.t_s)
        if (std::isfinite(t))
            tmax = std::max(tmax, t);
    for (const auto& m : tl.marks)
        if (std::isfinite(m.t_s))
            tmax = std::max(tmax, m.t_s);
    // The axis ends where the data does; ticks at round times up to there.
    const double tstep = nice_step(tmax, 9);

    const int W = 900, x0 = 74, x1 = W - 24, ph = 112, gap = 40;
    auto xpos = [&](double t) { return x0 + (x1 - x0) * t / tmax; };

    std::ostringstream o;
    std::ostringstream body;

    // Legend: one entry per subflow (colour), then goodput and sent; wraps at the right edge.
    int ly = 48;
    {
        double lx = x0;
        auto entry = [&](const std::string& text, const std::string& colour, const char* dash,
                         double width) {
            const double w = 30 + 6.6 * static_cast<double>(text.size()) + 18;
            if (lx + w > x1 && lx > x0) {
                lx = x0;
                ly += 18;
            }
            body << "<line x1=\"" << num(lx) << "\" x2=\"" << num(lx + 24) << "\" y1=\"" << ly - 4
                 << "\" y2=\"" << ly - 4 << "\" stroke=\"" << colour << "\" stroke-width=\""
                 << num(width) << "\"" << (*dash ? std::string(" stroke-dasharray=\"") + dash + "\"" : "")
                 << "/><text x=\"" << num(lx + 30) << "\" y=\"" << ly << "\">" << esc(text)
                 << "</text>\n";
            lx += w;
        };
        for (size_t i = 0; i < set.send_mbit.size(); i++)
            entry(set.send_mbit[i].label, kColours[i % 8], set.send_mbit[i].backup ? "6,3" : "", 2);
        for (size_t i = 0; i < set.goodput_mbit.size(); i++)
            entry(set.goodput_mbit[i].label, i % 2 ? "#999" : "#222", i % 2 ? "4,3" : "", 2);
        if (set.send_mbit.empty())
            body << "<text x=\"" << x0 << "\" y=\"" << ly << "\" fill=\"#c0392b\">"
                 << "no MPTCP connection was sampled</text>\n";
    }

    // Mark labels above the panels, in rows so that neighbours do not overlap.
    std::vector<TimelineMark> marks;
    for (const auto& m : tl.marks)
        if (std::isfinite(m.t_s))
            marks.push_back(m);
    std::stable_sort(marks.begin(), marks.end(),
                     [](const auto& a, const auto& b) { return a.t_s < b.t_s; });
    std::vector<double> row_end;
    std::vector<int> mark_row;
    for (const auto& m : marks) {
        const double x = xpos(m.t_s), w = 6.2 * static_cast<double>(m.label.size()) + 8;
        size_t r = 0;
        while (r < row_end.size() && row_end[r] > x - 4)
            r++;
        if (r == row_end.size()) {
            if (row_end.size() < 4)
                row_end.push_back(0);
            else
                r = row_end.size() - 1;   // too crowded: overlap in the last row
        }
        row_end[r] = x + w;
        mark_row.push_back(static_cast<int>(r));
    }
    const int marks_top = ly + 20;
    const int panels_top = marks_top + 14 * static_cast<int>(row_end.size()) + (marks.empty() ? 0 : 6) + 22;

    int y = panels_top;
    for (size_t p = 0; p < panels.size(); p++) {
        const Panel& pn = panels[p];
        const double vmax = std::max(series_max(*pn.series) * 1.05, pn.floor) / pn.scale;
        const double vstep = nice_step(vmax, 4);
        const int vticks = std::max(1, static_cast<int>(std::ceil(vmax / vstep - 1e-9)));
        const double vtop = vstep * vticks;
        const int ytop = y, ybot = y + ph;
        auto ypos = [&](double v) { return ybot - ph * v / vtop; };

        body << "<g class=\"panel\" data-quantity=\"" << esc(pn.title) << "\">\n"
             << "<text x=\"" << x0 << "\" y=\"" << ytop - 8 << "\" font-weight=\"bold\">"
             << esc(pn.title) << "</text>\n";
        for (int t = 0; t <= vticks; t++) {
            const double yy = ypos(vstep * t);
            body << "<line x1=\"" << x0 << "\" x2=\"" << x1 << "\" y1=\"" << num(yy) << "\" y2=\""
                 << num(yy) << "\" stroke=\"#e3e3e3\"/><text x=\"" << x0 - 6 << "\" y=\""
                 << num(yy + 4) << "\" text-anchor=\"end\">" << num(vstep * t, decimals_for(vstep))
                 << "</text>\n";
        }
        for (double t = 0; t <= tmax * (1 + 1e-9); t += tstep)
            body << "<line x1=\"" << num(xpos(t)) << "\" x2=\"" << num(xpos(t)) << "\" y1=\""
                 << ytop << "\" y2=\"" << ybot << "\" stroke=\"#f0f0f0\"/>\n";
        body << "<rect x=\"" << x0 << "\" y=\"" << ytop << "\" width=\"" << x1 - x0
             << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#999\"/>\n";

        const bool is_goodput = pn.series == &set.goodput_mbit;
        for (size_t si = 0; si < pn.series->size(); si++) {
            const TimelineSeries& s = (*pn.series)[si];
            const std::string colour = is_goodput ? (si % 2 ? "#999" : "#222") : kColours[si % 8];
            const char* dash = is_goodput ? (si % 2 ? "4,3" : "") : s.backup ? "6,3" : "";
            std::string d;
            std::vector<std::pair<double, double>> lone;
            for (size_t i = 0; i < s.values.size() && i < set.t_s.size(); i++) {
                const auto& v = s.values[i];
                if (!v || !std::isfinite(*v) || !std::isfinite(set.t_s[i]))
                    continue;
                const bool prev_ok = i > 0 && s.values[i - 1] && std::isfinite(*s.values[i - 1]);
                const bool next_ok = i + 1 < s.values.size() && s.values[i + 1] && std::isfinite(*s.values[i + 1]);
                const double px = xpos(set.t_s[i]), py = ypos(std::max(0.0, *v / pn.scale));
                if (!prev_ok && !next_ok)
                    lone.emplace_back(px, py);
                d += (prev_ok ? "L" : "M") + num(px) + "," + num(py);
            }
            if (!d.empty())
                body << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << colour
                     << "\" stroke-width=\"" << (is_goodput && si % 2 == 0 ? "2.2" : "1.6")
                     << "\" stroke-linejoin=\"round\""
                     << (*dash ? std::string(" stroke-dasharray=\"") + dash + "\"" : "") << "/>\n";
            for (const auto& [px, py] : lone)
                body << "<circle cx=\"" << num(px) << "\" cy=\"" << num(py) << "\" r=\"2\" fill=\""
                     << colour << "\"/>\n";
        }
        body << "</g>\n";
        y = ybot + gap;
    }
    const int plots_bottom = y - gap;

    // Time axis under the last panel.
    for (double t = 0; t <= tmax * (1 + 1e-9); t += tstep)
        body << "<text x=\"" << num(xpos(t)) << "\" y=\"" << plots_bottom + 16
             << "\" text-anchor=\"middle\">" << num(t, decimals_for(tstep)) << "</text>\n";
    body << "<text x=\"" << (x0 + x1) / 2 << "\" y=\"" << plots_bottom + 34
         << "\" text-anchor=\"middle\">time (s)</text>\n";

    // Marks: a labelled line through every panel.
    for (size_t i = 0; i < marks.size(); i++) {
        const double x = xpos(marks[i].t_s);
        const int ty = marks_top + 14 * mark_row[i];
        body << "<g class=\"mark\"><line x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\""
             << ty + 3 << "\" y2=\"" << plots_bottom << "\" stroke=\"#444\" stroke-width=\"1.2\""
             << " stroke-dasharray=\"5,3\"/><text x=\"" << num(x + 3) << "\" y=\"" << ty
             << "\" font-size=\"11\" fill=\"#222\">" << esc(marks[i].label) << "</text></g>\n";
    }

    const int H = plots_bottom + 60;
    std::string sub = tl.samples.size() >= 2
                          ? std::to_string(tl.samples.size()) + " samples every " +
                                num(tl.interval_s * 1000, 0) + " ms"
                          : std::to_string(tl.samples.size()) + " sample(s)";
    if (!tl.netns.empty())
        sub += ", netns " + tl.netns;
    if (!tl.error.empty())
        sub += "; stopped early: " + tl.error;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
      << "\" viewBox=\"0 0 " << W << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << x0 << "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">" << esc(title)
      << "</text>\n"
      << "<text x=\"" << x1 << "\" y=\"" << H - 8 << "\" text-anchor=\"end\" fill=\"#555\">" << esc(sub)
      << "</text>\n"
      << body.str() << "</svg>\n";
    return o.str();
}

// ---- durations ------------------------------------------------------------------------

Result<std::chrono::nanoseconds> parse_duration(const std::string& text)
{
    auto bad = [&] {
        return fail_msg("invalid duration '" + text + "': expected a number with an optional "
                        "unit, e.g. 250us, 100ms, 2s (the default unit), 1m", EINVAL);
    };
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
        return bad();
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(v) || v < 0)
        return bad();
    const std::string unit(end);
    double mult;
    if (unit.empty() || unit == "s")
        mult = 1e9;
    else if (unit == "ms")
        mult = 1e6;
    else if (unit == "us")
        mult = 1e3;
    else if (unit == "m" || unit == "min")
        mult = 60e9;
    else
        return bad();
    const double ns = v * mult;
    if (ns > 1e18)
        return bad();
    return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

// ---- sampling -------------------------------------------------------------------------

Result<TimelineSample> take_sample(const TraceFilter& f)
{
    auto conns = list_connections();
    if (!conns)
        return std::unexpected(conns.error());
    TimelineSample s;
    for (auto& c : *conns)
        if (f.matches(c))
            s.connections.push_back(std::move(c));
    return s;
}

TimelineRecorder::TimelineRecorder(TimelineOptions o) : opts_(std::move(o))
{
    tl_.netns = opts_.netns;
    tl_.interval_s = std::chrono::duration<double>(opts_.interval).count();
}

Result<std::unique_ptr<TimelineRecorder>> TimelineRecorder::start(TimelineOptions o)
{
    if (o.interval <= std::chrono::nanoseconds::zero())
        return fail_msg("failed to start the timeline: the interval must be positive", EINVAL);
    std::unique_ptr<TimelineRecorder> r(new TimelineRecorder(std::move(o)));
    std::promise<Result<void>> started;
    auto ready = started.get_future();
    r->t0_ = std::chrono::steady_clock::now();
    r->thread_ = std::thread([p = r.get(), &started] { p->run(&started); });
    auto res = ready.get();
    if (!res) {
        r->thread_.join();
        return std::unexpected(res.error());
    }
    return r;
}

void TimelineRecorder::run(std::promise<Result<void>>* started)
{
    // setns() applies to the calling thread only: the sampler enters the netns itself and
    // leaves every other thread of the process where it was.
    auto scope = NetnsScope::enter(opts_.paths, opts_.netns);
    if (!scope) {
        started->set_value(std::unexpected(scope.error()));
        return;
    }
    const TraceFilter& f = opts_.filter;
    auto sample = [&]() -> Result<TimelineSample> {
        const double t = elapsed_s();
        auto s = take_sample(f);
        if (!s)
            return s;
        s->t_s = t;
        if (f.only_new)
            std::erase_if(s->connections, [&](const ConnInfo& c) {
                return std::find(preexisting_.begin(), preexisting_.end(), c.token) !=
                       preexisting_.end();
            });
        return s;
    };
    auto keep = [&](TimelineSample&& s) {
        {
            std::lock_guard lk(mu_);
            tl_.samples.push_back(s);
        }
        if (opts_.on_sample)
            opts_.on_sample(s);
    };

    {
        const double t = elapsed_s();
        auto first = take_sample(f);
        if (!first) {
            started->set_value(std::unexpected(first.error()));
            return;
        }
        first->t_s = t;
        if (f.only_new) {
            for (const auto& c : first->connections)
                preexisting_.push_back(c.token);
            first->connections.clear();
        }
        keep(std::move(*first));
    }
    started->set_value({});   // @started is gone once start() returns

    const auto interval = opts_.interval;
    int64_t k = 1;
    for (;;) {
        const auto due = t0_ + k * interval;
        {
            std::unique_lock lk(mu_);
            if (cv_.wait_until(lk, due, [&] { return stopping_; }))
                return;
        }
        auto s = sample();
        if (!s) {
            std::lock_guard lk(mu_);
            tl_.error = s.error().message;
            return;
        }
        keep(std::move(*s));
        // The next slot after now: a slow dump skips slots rather than bunching samples.
        const auto late = std::chrono::steady_clock::now() - t0_;
        k = std::max<int64_t>(k + 1, late / interval + 1);
    }
}

double TimelineRecorder::elapsed_s() const
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

void TimelineRecorder::mark(const std::string& label)
{
    const double t = elapsed_s();
    std::lock_guard lk(mu_);
    if (!stopping_)
        tl_.marks.push_back({t, label});
}

Timeline TimelineRecorder::stop()
{
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
        thread_.join();
    std::lock_guard lk(mu_);
    Timeline out = std::move(tl_);
    tl_ = Timeline{};
    return out;
}

TimelineRecorder::~TimelineRecorder()
{
    (void)stop();
}

}  // namespace mptcp_sched

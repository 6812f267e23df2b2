// SPDX-License-Identifier: GPL-2.0
// Timelines without a kernel connection: rates from cumulative counters, the series a chart
// draws, the SVG's structure and scales, the JSON round trip, durations, filters, and the
// recorder's schedule and marks (in the current netns, where nothing needs to match).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <atomic>
#include <cmath>
#include <regex>
#include <thread>

#include "mptcp_sched/diag/trace.h"

using namespace mptcp_sched;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::WithinAbs;

namespace {

SubflowInfo sf(const std::string& local, uint64_t sent, uint32_t srtt_us, uint32_t cwnd,
               uint64_t in_flight, uint64_t queued, bool backup = false)
{
    SubflowInfo s;
    s.local = local;
    s.remote = "10.0.1.2:5201";
    s.state = "ESTAB";
    s.bytes_sent = sent;
    s.srtt_us = srtt_us;
    s.cwnd = cwnd;
    s.in_flight_bytes = in_flight;
    s.queued_bytes = queued;
    s.backup_local = backup;
    return s;
}

ConnInfo conn(uint64_t acked, std::vector<SubflowInfo> subs)
{
    ConnInfo c;
    c.token = 0x1a2b3c4d;
    c.local = "10.0.1.1:40000";
    c.remote = "10.0.1.2:5201";
    c.state = "ESTAB";
    c.bytes_acked = acked;
    c.bytes_sent = acked + 1000;
    c.subflows = std::move(subs);
    return c;
}

// Two subflows over 2 s at 0.5 s: the first at 40 Mbit/s (2.5 MB per 0.5 s), the second
// appears at t=1 and sends 10 Mbit/s; a path-down mark at 1.2 s.
Timeline hand_made()
{
    Timeline tl;
    tl.interval_s = 0.5;
    const uint64_t step1 = 2500000, step2 = 625000;
    for (int i = 0; i <= 4; i++) {
        TimelineSample s;
        s.t_s = 0.5 * i;
        std::vector<SubflowInfo> subs{sf("10.0.1.1:40000", step1 * i, 20000 + 1000 * i, 10 + 5 * i,
                                         150000, 1000000)};
        if (i >= 2)
            subs.push_back(sf("10.0.2.1:40001", step2 * (i - 2), 60000, 10, 60000, 3000000, true));
        s.connections.push_back(conn((step1 + (i >= 2 ? step2 : 0)) * i, subs));
        tl.samples.push_back(s);
    }
    tl.marks.push_back({1.2, "path 0 down"});
    tl.marks.push_back({1.25, "path 1 up"});
    return tl;
}

size_t count(const std::string& hay, const std::string& needle)
{
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
        n++;
    return n;
}

// The SVG text of the panel drawing @quantity.
std::string panel(const std::string& svg, const std::string& quantity)
{
    const auto start = svg.find("data-quantity=\"" + quantity + "\"");
    REQUIRE(start != std::string::npos);
    return svg.substr(start, svg.find("</g>", start) - start);
}

std::vector<double> tick_labels(const std::string& panel_svg)
{
    std::vector<double> v;
    std::regex re("text-anchor=\"end\">([0-9.]+)</text>");
    for (std::sregex_iterator it(panel_svg.begin(), panel_svg.end(), re), end; it != end; ++it)
        v.push_back(std::stod((*it)[1]));
    return v;
}

struct Box {
    double x, y, w, h;
};
Box panel_box(const std::string& panel_svg)
{
    std::smatch m;
    std::regex re("<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"([0-9.]+)\"");
    REQUIRE(std::regex_search(panel_svg, m, re));
    return {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4])};
}

// Every point of every <path> in @panel_svg.
std::vector<std::pair<double, double>> path_points(const std::string& panel_svg)
{
    std::vector<std::pair<double, double>> pts;
    std::regex re("[ML](-?[0-9.]+),(-?[0-9.]+)");
    for (std::sregex_iterator it(panel_svg.begin(), panel_svg.end(), re), end; it != end; ++it)
        pts.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
    return pts;
}

}  // namespace

TEST_CASE("trace: rates from cumulative counters")
{
    CHECK_THAT(*counter_rate_mbit(0, 1000000, 1.0), WithinAbs(8.0, 1e-9));
    CHECK_THAT(*counter_rate_mbit(5000, 5000 + 125000, 0.1), WithinAbs(10.0, 1e-9));
    CHECK(*counter_rate_mbit(7, 7, 0.1) == 0.0);
    CHECK_FALSE(counter_rate_mbit(0, 1000, 0.0));              // zero interval
    CHECK_FALSE(counter_rate_mbit(0, 1000, -0.1));             // clock went backwards
    CHECK_FALSE(counter_rate_mbit(0, 1000, std::nan("")));
    CHECK_FALSE(counter_rate_mbit(2000000, 1000, 0.1));        // counter reset
}

TEST_CASE("trace: series per subflow and connection, with resets and zero intervals")
{
    Timeline tl = hand_made();
    auto set = timeline_series(tl);
    REQUIRE(set.t_s.size() == 5);
    REQUIRE(set.send_mbit.size() == 2);
    REQUIRE(set.goodput_mbit.size() == 2);   // goodput and sent of the one connection
    CHECK_THAT(set.send_mbit[0].label, ContainsSubstring("10.0.1.1 → 10.0.1.2"));
    CHECK_THAT(set.send_mbit[1].label, ContainsSubstring("backup"));
    CHECK(set.send_mbit[1].backup);

    const auto& a = set.send_mbit[0].values;
    CHECK_FALSE(a[0]);                                  // no previous sample
    for (int i = 1; i <= 4; i++)
        CHECK_THAT(*a[i], WithinAbs(40.0, 1e-9));
    const auto& b = set.send_mbit[1].values;
    CHECK_FALSE(b[0]);
    CHECK_FALSE(b[1]);
    CHECK_FALSE(b[2]);                                  // first seen here
    CHECK_THAT(*b[3], WithinAbs(10.0, 1e-9));
    CHECK_THAT(*set.goodput_mbit[0].values[4], WithinAbs(50.0, 1e-9));
    CHECK_THAT(*set.srtt_ms[0].values[2], WithinAbs(22.0, 1e-9));
    CHECK(*set.cwnd[1].values[4] == 10);
    CHECK(*set.queued_bytes[1].values[3] == 3000000);
    CHECK_FALSE(set.queued_bytes[1].values[1]);         // absent subflow: no value, not 0

    // The first subflow's counter starts over (the same addresses reused by a new subflow)
    // and a sample lands at the same instant as the previous one.
    tl.samples[3].connections[0].subflows[0].bytes_sent = 1000;
    tl.samples[4].t_s = tl.samples[3].t_s;
    set = timeline_series(tl);
    CHECK_FALSE(set.send_mbit[0].values[3]);
    CHECK_FALSE(set.send_mbit[0].values[4]);
    CHECK_FALSE(set.goodput_mbit[0].values[4]);
    CHECK(*set.send_mbit[0].values[2] > 0);
}

TEST_CASE("trace: the chart has one panel per quantity, the marks, and sane scales")
{
    const std::string svg = timeline_svg(hand_made(), "failover: minrtt <run 1>");
    CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\"", 0) == 0);
    CHECK(svg.ends_with("</svg>\n"));
    CHECK_THAT(svg, ContainsSubstring("failover: minrtt &lt;run 1&gt;"));
    CHECK(count(svg, "<g class=\"panel\"") == 6);
    for (const char* q : {"send rate per subflow (Mbit/s)", "receiver goodput (Mbit/s)",
                          "smoothed RTT (ms)", "congestion window (segments)", "in flight (kB)",
                          "queued on the subflow, not yet sent (MB)"})
        CHECK(count(svg, std::string("data-quantity=\"") + q + "\"") == 1);
    CHECK(count(svg, "<g class=\"mark\"") == 2);
    CHECK_THAT(svg, ContainsSubstring(">path 0 down</text>"));
    CHECK_THAT(svg, ContainsSubstring(">path 1 up</text>"));
    // legend: both subflows, goodput
    CHECK_THAT(svg, ContainsSubstring("10.0.2.1 → 10.0.1.2 backup"));
    CHECK_THAT(svg, ContainsSubstring("goodput (MPTCP data acked)"));
    for (const char* bad : {"nan", "inf", "NaN", "-nan"})
        CHECK(svg.find(bad) == std::string::npos);

    // Send rates peak at 40 Mbit/s: the axis ends at a round value just above, with round
    // steps, and every point lies inside the panel.
    const std::string p = panel(svg, "send rate per subflow (Mbit/s)");
    auto ticks = tick_labels(p);
    REQUIRE(ticks.size() >= 3);
    CHECK(ticks.front() == 0);
    CHECK(ticks.back() >= 40);
    CHECK(ticks.back() <= 60);
    const double step = ticks[1] - ticks[0];
    const double mant = step / std::pow(10.0, std::floor(std::log10(step)));
    CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 5) < 1e-9));
    const Box box = panel_box(p);
    auto pts = path_points(p);
    REQUIRE(pts.size() >= 4 + 2);   // 4 rates of the first subflow, 2 of the second
    double top = 1e9;
    for (auto [x, y] : pts) {
        CHECK(x >= box.x - 0.05);
        CHECK(x <= box.x + box.w + 0.05);
        CHECK(y >= box.y - 0.05);
        CHECK(y <= box.y + box.h + 0.05);
        top = std::min(top, y);
    }
    // 40 on an axis to ticks.back(): the highest point sits at 40 / top of the height
    CHECK_THAT(box.y + box.h - top, WithinAbs(box.h * 40 / ticks.back(), 0.2));

    // srtt in ms: 20-60 ms
    auto rtt = tick_labels(panel(svg, "smoothed RTT (ms)"));
    CHECK(rtt.back() >= 60);
    CHECK(rtt.back() <= 100);
}

TEST_CASE("trace: the time axis covers marks after the last sample; empty timelines draw")
{
    Timeline tl = hand_made();
    tl.marks.push_back({7.5, "end of run"});
    const std::string svg = timeline_svg(tl, "t");
    // ticks every second up to 7, the axis ending at the last mark, on the right edge
    CHECK_THAT(svg, ContainsSubstring("text-anchor=\"middle\">7</text>"));
    CHECK(svg.find("text-anchor=\"middle\">8</text>") == std::string::npos);
    CHECK(count(svg, "<g class=\"mark\"") == 3);
    CHECK_THAT(svg, ContainsSubstring("<g class=\"mark\"><line x1=\"876.0\" x2=\"876.0\""));

    Timeline empty;
    empty.interval_s = 0.1;
    const std::string e = timeline_svg(empty, "nothing");
    CHECK(count(e, "<g class=\"panel\"") == 6);
    CHECK_THAT(e, ContainsSubstring("no MPTCP connection was sampled"));
    CHECK(e.find("nan") == std::string::npos);

    // degenerate input: interval 0, one sample, zero values, a NaN mark
    Timeline odd;
    TimelineSample s;
    s.connections.push_back(conn(0, {sf("10.0.1.1:1", 0, 0, 0, 0, 0)}));
    odd.samples.push_back(s);
    odd.marks.push_back({std::nan(""), "broken clock"});
    const std::string o = timeline_svg(odd, "odd");
    for (const char* bad : {"nan", "inf"})
        CHECK(o.find(bad) == std::string::npos);
    CHECK(count(o, "<g class=\"mark\"") == 0);
    CHECK(count(o, "<circle") >= 1);   // lone points are drawn as dots
}

TEST_CASE("trace: timelines round-trip through JSON; samples carry rates")
{
    Timeline tl = hand_made();
    tl.netns = "ms-bench-cli";
    auto j = tl.to_json();
    CHECK(j["samples"].size() == 5);
    CHECK(j["marks"][0]["label"] == "path 0 down");
    CHECK(j["samples"][0]["connections"][0]["token"] == "1a2b3c4d");
    CHECK_FALSE(j["samples"][0]["connections"][0]["subflows"][0].contains("send_mbit"));
    CHECK(j["samples"][1]["connections"][0]["subflows"][0]["send_mbit"] == 40.0);
    CHECK(j["samples"][4]["connections"][0]["goodput_mbit"] == 50.0);
    auto back = Timeline::from_json(j);
    REQUIRE(back);
    CHECK(back->to_json() == j);
    CHECK(back->samples[2].connections[0].subflows[1].backup_local);

    auto bad = Timeline::from_json(nlohmann::json{{"samples", 3}});
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, ContainsSubstring("failed to read the timeline"));
}

TEST_CASE("trace: durations")
{
    using namespace std::chrono;
    CHECK(*parse_duration("100ms") == milliseconds(100));
    CHECK(*parse_duration("0.5s") == milliseconds(500));
    CHECK(*parse_duration("2") == seconds(2));
    CHECK(*parse_duration("250us") == microseconds(250));
    CHECK(*parse_duration("1m") == minutes(1));
    for (const char* bad : {"", "abc", "-1s", "10xs", "nan", "inf", " 1s", "1 s"}) {
        auto r = parse_duration(bad);
        REQUIRE_FALSE(r);
        CHECK_THAT(r.error().message, ContainsSubstring("invalid duration"));
    }
}

TEST_CASE("trace: filters by token and ports, IPv6 included")
{
    ConnInfo c = conn(0, {});
    TraceFilter f;
    CHECK(f.matches(c));
    f.remote_port = 5201;
    CHECK(f.matches(c));
    f.local_port = 40000;
    CHECK(f.matches(c));
    f.token = 0x1a2b3c4d;
    CHECK(f.matches(c));
    f.token = 1;
    CHECK_FALSE(f.matches(c));
    TraceFilter g;
    g.remote_port = 80;
    CHECK_FALSE(g.matches(c));
    c.remote = "[fd00::1]:80";
    CHECK(g.matches(c));
}

TEST_CASE("trace: the recorder keeps its schedule, stamps marks, reports a bad netns")
{
    TimelineOptions nowhere;
    nowhere.netns = "ms-no-such-ns";
    auto bad = TimelineRecorder::start(nowhere);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, ContainsSubstring("no such network namespace"));

    std::atomic<int> n{0};
    TimelineOptions o;
    o.interval = std::chrono::milliseconds(20);
    o.filter.only_new = true;
    o.filter.remote_port = 1;   // nothing here connects to port 1
    o.on_sample = [&](const TimelineSample&) { n++; };
    auto rec = TimelineRecorder::start(o);
    if (!rec)
        SKIP("sock_diag of MPTCP sockets unavailable here: " << rec.error().message);
    CHECK(n >= 1);   // the first sample is taken before start() returns
    (*rec)->mark("begin");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (n < 6 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    (*rec)->mark("end");
    Timeline tl = (*rec)->stop();
    CHECK(tl.error.empty());
    REQUIRE(tl.samples.size() >= 6);
    CHECK_THAT(tl.interval_s, WithinAbs(0.02, 1e-12));
    for (size_t i = 1; i < tl.samples.size(); i++) {
        const double dt = tl.samples[i].t_s - tl.samples[i - 1].t_s;
        CHECK(dt > 0);
        // a fixed schedule: sample i fills slot i or a later one, never an earlier one
        CHECK(tl.samples[i].t_s >= 0.02 * static_cast<double>(i) - 1e-6);
        CHECK(tl.samples[i].connections.empty());
    }
    REQUIRE(tl.marks.size() == 2);
    CHECK(tl.marks[0].label == "begin");
    CHECK(tl.marks[0].t_s <= tl.marks[1].t_s);
    CHECK(tl.marks[1].t_s <= (*rec)->elapsed_s());
    CHECK((*rec)->stop().samples.empty());   // a second stop has nothing left
}

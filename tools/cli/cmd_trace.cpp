// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched trace`: a live connection's subflows sampled every interval (a table or JSON
// lines), and its timeline chart at the end. The library samples on its own thread; this
// file owns the signals (Ctrl-C ends the trace cleanly) and the text.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>

#include "cli.h"
#include "signals.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/diag/trace.h"

namespace mptcp_sched::cli {

namespace {

struct TraceOpts {
    std::string netns;
    std::string interval = "100ms";
    std::string duration;          // "" = until Ctrl-C or the connection ends
    std::string wait = "0";
    std::string token;
    int dport = 0, sport = 0;
    bool json = false;
    std::string svg, out_json, title;
    std::string replot;            // a timeline JSON to draw instead of tracing
};

std::string describe_filter(const TraceOpts& o)
{
    std::string d;
    if (!o.token.empty())
        d += " token " + o.token;
    if (o.dport)
        d += " dport " + std::to_string(o.dport);
    if (o.sport)
        d += " sport " + std::to_string(o.sport);
    return d;
}

// The live table: one line per connection per sample; a legend of subflows whenever the
// set of subflows changes.
class Table {
public:
    void print(const TimelineSample& s)
    {
        std::string layout;
        for (const auto& c : s.connections) {
            layout += std::to_string(c.token) + c.local + c.remote + ";";
            for (const auto& sf : c.subflows)
                layout += sf.local + sf.remote + (sf.backup_local || sf.backup_remote ? "b" : "") + ",";
        }
        if (layout != layout_) {
            legend(s);
            layout_ = layout;
        }
        for (const auto& c : s.connections)
            row(s, c);
        std::fflush(stdout);
        prev_ = s;
        has_prev_ = true;
    }

private:
    const ConnInfo* prev_conn(const ConnInfo& c) const
    {
        if (!has_prev_)
            return nullptr;
        for (const auto& p : prev_.connections)
            if (p.token == c.token && p.local == c.local && p.remote == c.remote)
                return &p;
        return nullptr;
    }

    void legend(const TimelineSample& s)
    {
        for (const auto& c : s.connections) {
            std::printf("# %.2f s: connection %08x %s -> %s %s, %zu subflow(s)\n", s.t_s,
                        c.token, c.local.c_str(), c.remote.c_str(), c.state.c_str(),
                        c.subflows.size());
            for (size_t i = 0; i < c.subflows.size(); i++) {
                const auto& sf = c.subflows[i];
                std::printf("#   [%zu] %s -> %s%s%s, ids %u/%u%s\n", i + 1, sf.local.c_str(),
                            sf.remote.c_str(), sf.dev.empty() ? "" : " dev ", sf.dev.c_str(),
                            sf.local_id, sf.remote_id,
                            sf.backup_local || sf.backup_remote ? ", backup" : "");
            }
        }
        size_t most = 0;
        for (const auto& c : s.connections)
            most = std::max(most, c.subflows.size());
        std::printf("%8s %-8s %8s", "time s", "token", "goodput");
        for (size_t i = 0; i < most; i++)
            std::printf(" | [%zu] %6s %7s %5s %8s %8s", i + 1, "Mbit/s", "srtt ms", "cwnd",
                        "infl kB", "queue kB");
        std::printf("\n");
    }

    void row(const TimelineSample& s, const ConnInfo& c)
    {
        const ConnInfo* pc = prev_conn(c);
        const double dt = pc ? s.t_s - prev_.t_s : 0;
        auto rate = [&](uint64_t before, uint64_t now) {
            char b[32];
            auto r = pc ? counter_rate_mbit(before, now, dt) : std::nullopt;
            if (r)
                std::snprintf(b, sizeof(b), "%.1f", *r);
            else
                std::snprintf(b, sizeof(b), "-");
            return std::string(b);
        };
        std::printf("%8.2f %08x %8s", s.t_s, c.token,
                    rate(pc ? pc->bytes_acked : 0, c.bytes_acked).c_str());
        for (size_t i = 0; i < c.subflows.size(); i++) {
            const auto& sf = c.subflows[i];
            const SubflowInfo* ps = nullptr;
            if (pc)
                for (const auto& p : pc->subflows)
                    if (p.local == sf.local && p.remote == sf.remote)
                        ps = &p;
            const std::string r = ps ? rate(ps->bytes_sent, sf.bytes_sent) : "-";
            std::printf(" |     %6s %7.1f %5u %8.1f %8.1f", r.c_str(), sf.srtt_us / 1000.0,
                        sf.cwnd, static_cast<double>(sf.in_flight_bytes) / 1000.0,
                        static_cast<double>(sf.queued_bytes) / 1000.0);
        }
        std::printf("\n");
    }

    std::string layout_;
    TimelineSample prev_;
    bool has_prev_ = false;
};

int usage_error(const std::string& what)
{
    std::cerr << "mptcp-sched: trace: " << what << "\n";
    return kUsage;
}

std::string chart_title(const TraceOpts& o)
{
    if (!o.title.empty())
        return o.title;
    return "mptcp-sched trace" + (o.netns.empty() ? "" : " (netns " + o.netns + ")") +
           describe_filter(o);
}

int write_svg(const TraceOpts& o, const Timeline& tl)
{
    std::ofstream f(o.svg);
    f << timeline_svg(tl, chart_title(o));
    f.close();
    if (!f)
        return report(Error::sys(errno, "failed to write the chart to " + o.svg));
    return kOk;
}

int cmd_replot(const TraceOpts& o)
{
    if (o.svg.empty())
        return usage_error("--replot needs --svg FILE to draw into");
    std::ifstream f(o.replot);
    if (!f)
        return report(Error::sys(errno, "failed to read the timeline " + o.replot));
    auto j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_discarded())
        return report(Error::msg("failed to read the timeline " + o.replot + ": not JSON"));
    auto tl = Timeline::from_json(j);
    if (!tl) {
        // name the file in the library's "failed to read the timeline: <reason>"
        std::string m = tl.error().message;
        const std::string head = "failed to read the timeline";
        if (m.rfind(head, 0) == 0)
            m = head + " " + o.replot + m.substr(head.size());
        return report(Error::msg(m));
    }
    return write_svg(o, *tl);
}

int cmd_trace(const Paths& paths, const TraceOpts& o)
{
    using namespace std::chrono;
    if (!o.replot.empty())
        return cmd_replot(o);
    auto interval = parse_duration(o.interval);
    if (!interval)
        return usage_error("--interval: " + interval.error().message);
    if (*interval < milliseconds(10))
        return usage_error("--interval " + o.interval + " is too short: at least 10ms (each "
                           "sample is a sock_diag dump of every TCP socket)");
    std::optional<nanoseconds> duration;
    if (!o.duration.empty()) {
        auto d = parse_duration(o.duration);
        if (!d)
            return usage_error("--duration: " + d.error().message);
        if (*d <= nanoseconds::zero())
            return usage_error("--duration must be positive");
        duration = *d;
    }
    auto wait = parse_duration(o.wait);
    if (!wait)
        return usage_error("--wait: " + wait.error().message);

    TimelineOptions to;
    to.netns = o.netns;
    to.paths = paths;
    to.interval = *interval;
    if (!o.token.empty()) {
        char* end = nullptr;
        const unsigned long long t = std::strtoull(o.token.c_str(), &end, 16);
        if (end == o.token.c_str() || *end || t > 0xffffffffull)
            return usage_error("invalid --token '" + o.token + "': expected the hex token "
                               "`mptcp-sched conns` prints, e.g. 1a2b3c4d");
        to.filter.token = static_cast<uint32_t>(t);
    }
    if (o.dport)
        to.filter.remote_port = static_cast<uint16_t>(o.dport);
    if (o.sport)
        to.filter.local_port = static_cast<uint16_t>(o.sport);

    std::atomic<bool> matched{false}, ended{false};
    Table table;
    const bool json_lines = o.json;
    TimelineSample prev;
    bool has_prev = false;
    to.on_sample = [&](const TimelineSample& s) {
        if (s.connections.empty()) {
            if (matched)
                ended = true;
            return;
        }
        matched = true;
        if (json_lines) {
            std::printf("%s\n", dump_json(sample_to_json(s, has_prev ? &prev : nullptr)).c_str());
            std::fflush(stdout);
        } else {
            table.print(s);
        }
        prev = s;
        has_prev = true;
    };

    StopSignals signals({SIGINT, SIGTERM});
    auto rec = TimelineRecorder::start(std::move(to));
    if (!rec)
        return report(rec.error());
    const auto t0 = steady_clock::now();
    std::string why_end;
    for (;;) {
        const auto now = steady_clock::now();
        if (!matched && now - t0 >= *wait) {
            (*rec)->stop();
            const std::string where = o.netns.empty() ? "this netns" : "netns " + o.netns;
            const std::string f = describe_filter(o);
            return report(Error::msg(
                "failed to trace MPTCP connections: " +
                (f.empty() ? "no MPTCP connection in " + where
                           : "no MPTCP connection in " + where + " matches" + f) +
                (*wait > nanoseconds::zero() ? " (waited " + o.wait + ")" : "") +
                "; `mptcp-sched conns" + (o.netns.empty() ? "" : " --netns " + o.netns) +
                "` lists them"));
        }
        if (duration && now - t0 >= *duration) {
            why_end = "duration reached";
            break;
        }
        if (ended) {
            why_end = "the connection closed";
            break;
        }
        long ms = 50;
        if (duration)
            ms = std::clamp<long>(duration_cast<milliseconds>(*duration - (now - t0)).count() + 1, 1, 50);
        if (signals.wait(ms)) {
            why_end = "interrupted";
            break;
        }
    }
    Timeline tl = (*rec)->stop();
    if (!json_lines)
        std::printf("# %s: %zu samples\n", why_end.c_str(), tl.samples.size());
    std::fflush(stdout);

    if (!o.out_json.empty()) {
        std::ofstream f(o.out_json);
        f << dump_json(tl.to_json(), 1) << "\n";
        f.close();
        if (!f)
            return report(Error::sys(errno, "failed to write the timeline to " + o.out_json));
    }
    if (!o.svg.empty())
        if (int r = write_svg(o, tl); r != kOk)
            return r;
    if (!tl.error.empty())
        return report(Error::msg(tl.error));
    return kOk;
}

}  // namespace

void add_trace_command(CLI::App& app, int& rc, const Paths& paths)
{
    static TraceOpts o;
    auto* t = app.add_subcommand("trace", "Sample a live MPTCP connection's subflows over time "
                                          "(send rate, srtt, cwnd, in flight, queued, goodput)");
    t->add_option("--netns", o.netns, "named network namespace (default: current)")
        ->type_name("NAME");
    t->add_option("--interval", o.interval, "time between samples, e.g. 100ms, 0.5s "
                                            "(default 100ms, at least 10ms)")
        ->type_name("DURATION");
    t->add_option("--duration", o.duration, "stop after this long, e.g. 10s (default: when "
                                            "the connection closes, or Ctrl-C)")
        ->type_name("DURATION");
    t->add_option("--wait", o.wait, "wait up to this long for a matching connection to "
                                    "appear (default 0: it must exist now)")
        ->type_name("DURATION");
    t->add_option("--token", o.token, "only the connection with this token (hex, as "
                                      "`conns` prints it)")
        ->type_name("HEX");
    t->add_option("--dport", o.dport, "only connections to this peer port (1-65535)")
        ->type_name("PORT")
        ->check(CLI::Range(1, 65535).description(""));
    t->add_option("--sport", o.sport, "only connections from this local port (a server's "
                                      "listening port)")
        ->type_name("PORT")
        ->check(CLI::Range(1, 65535).description(""));
    t->add_flag("--json", o.json, "print one JSON object per sample and line (JSONL) instead "
                                  "of the table");
    t->add_option("--svg", o.svg, "write the timeline chart to FILE at the end")
        ->type_name("FILE");
    t->add_option("--out-json", o.out_json, "write the whole timeline (every sample) as one "
                                            "JSON document to FILE at the end")
        ->type_name("FILE");
    t->add_option("--title", o.title, "the chart's title (default: the command's filter)")
        ->type_name("TEXT");
    t->add_option("--replot", o.replot, "draw the chart (--svg) of an earlier --out-json "
                                        "timeline instead of tracing")
        ->type_name("FILE");
    t->footer(
        "Reads sock_diag every interval (needs CAP_NET_ADMIN for the subflow details). Per\n"
        "subflow: send rate (Mbit/s, from bytes_sent), smoothed RTT, congestion window\n"
        "(segments), bytes in flight ((unacked - sacked - lost + retrans) x mss) and bytes\n"
        "queued on the subflow but not yet sent (tcpi_notsent_bytes); per connection: the\n"
        "receiver's in-order goodput (MPTCP-level bytes_acked). The table shows rates over\n"
        "the last interval; the subflows are listed (# lines) whenever they change. The trace\n"
        "ends with --duration, when every traced connection has closed, or on Ctrl-C; the\n"
        "files are written then.\n"
        "Examples:\n"
        "  mptcp-sched trace                                  # the connections here, live\n"
        "  mptcp-sched trace --netns client --dport 5201 --svg run.svg --out-json run.json\n"
        "  mptcp-sched trace --interval 20ms --duration 5s --token 1a2b3c4d\n"
        "  mptcp-sched trace --wait 10s --dport 5201 --json | jq -c '.connections[].goodput_mbit'\n"
        "  mptcp-sched trace --replot run.json --svg run.svg --title 'minrtt, 2 paths'");
    t->callback([&rc, &paths] { rc = cmd_trace(paths, o); });
}

}  // namespace mptcp_sched::cli

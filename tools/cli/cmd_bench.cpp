// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench`: scheduler comparisons on emulated paths.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "cli.h"
#include "signals.h"
#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/base/text.h"

namespace mptcp_sched::cli {

namespace {

// --replot: charts and table of an earlier results.json. Every name comes from the file, so
// each chart must land in --out under a plain name, and every write is checked.
int replot_results(const std::string& file, const std::string& out_dir)
{
    auto text = read_regular_file(file, 64u << 20, "failed to read " + printable(file));
    if (!text)
        return report(text.error());
    auto parsed = parse_json(*text, printable(file));
    if (!parsed)
        return report(parsed.error());
    nlohmann::json& r = *parsed;
    // as a bench run does: --out is made if missing (one level, as `mkdir` would)
    if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return report(Error::msg("failed to create " + printable(out_dir) + ": " +
                                 std::strerror(errno)));
    try {
        if (!r.is_object() || !r.contains("scenarios") || !r["scenarios"].is_array())
            throw std::invalid_argument("no 'scenarios' array");
        for (auto& sj : r["scenarios"]) {
            const std::string name = sj.at("scenario").at("name").get<std::string>();
            const bool plain = !name.empty() && name.size() <= 64 &&
                               std::all_of(name.begin(), name.end(), [](char c) {
                                   return std::isalnum(static_cast<unsigned char>(c)) ||
                                          c == '-' || c == '_';
                               });
            if (!plain)
                throw std::invalid_argument("scenario name '" + printable(name) +
                                            "' is not a plain name (letters, digits, - and _)");
            const std::string chart = out_dir + "/" + name + ".svg";
            if (auto w = write_file(chart, bench_chart_svg(sj), "failed to write " + chart); !w)
                return report(w.error());
            sj["chart"] = chart;
        }
        for (const auto& sched : sweep_schedulers(r)) {
            const std::string hm = out_dir + "/sweep-" + sched + ".svg";
            if (auto w = write_file(hm, sweep_heatmap_svg(r, sched), "failed to write " + hm); !w)
                return report(w.error());
        }
        std::cout << render_bench_table(r) << render_sweep_table(r)
                  << render_bench_targets(bench_targets(r));
    } catch (const std::exception& e) {
        return report(Error::msg("failed to replot " + printable(file) +
                                 ": not a bench results file: " + printable(e.what())));
    }
    return kOk;
}

// --timeline=MODE (a bare --timeline: worst)
const std::map<std::string, BenchOptions::Timelines> kTimelineModes = {
    {"worst", BenchOptions::Timelines::Worst},
    {"first", BenchOptions::Timelines::First},
    {"all", BenchOptions::Timelines::All}};

}  // namespace

void add_bench_command(CLI::App& app, int& rc, const Paths& paths)
{
    static BenchOptions o;
    static std::vector<std::string> names;
    static std::vector<std::string> scheds;
    static bool list = false, json_out = false, sweep = false;
    static std::string replot, timeline;
    static bool cleanup = false;
    auto* b = app.add_subcommand("bench", "Compare schedulers on emulated multi-path topologies");
    b->add_option("scenario", names, "built-in scenario names, families (lossy: every "
                                     "lossy-* built-in) or JSON scenario files");
    b->add_option("--sched", scheds, "schedulers to compare, 'default' is the kernel's own, "
                                     "FILE.bpf.o an object of your own "
                                     "(default: default minrtt roundrobin blest redundant backup)")
        ->delimiter(',');
    b->add_option("--repeat", o.repeat, "runs per scheduler; medians and min-max are reported "
                                        "(default 3)")->check(CLI::Range(1, 50));
    b->add_option("--out", o.out_dir, "directory for results.json and one SVG chart per "
                                      "scenario (default bench-results)");
    b->add_option("--time-scale", o.time_scale, "multiply workload durations, request and "
                                                "connection counts and event times "
                                                "(quick looks: 0.5)")->check(kFinite & CLI::Range(0.1, 10.0));
    b->add_flag("--list", list, "print the named scenarios (default: the built-ins) as JSON "
                                "and exit: a starting point for your own, or a check of a file");
    b->add_option("--replot", replot, "redraw the charts and the table of an earlier run's "
                                      "results.json (into --out) without running anything");
    b->add_flag("--sweep", sweep, "add the sweep grid: rate ratio {1,3,9} x RTT ratio "
                                  "{1,5,25} x receiver buffer {auto, 1x BDP}, 18 two-path "
                                  "points; heatmaps sweep-<scheduler>.svg (default schedulers: "
                                  "default minrtt roundrobin blest)");
    b->add_flag("--timeline{worst}", timeline,
                "record every run every 100 ms (per subflow: send rate, srtt, cwnd, in flight, "
                "queued; receiver goodput; events marked) and keep each scheduler's worst round "
                "by the scenario's figure (goodput; longest gap when paths fail; p99 for "
                "request/response) in OUT/timelines/<scenario>-<scheduler>.svg and .json; "
                "--timeline=first keeps round 1, --timeline=all every round "
                "(<scenario>-<scheduler>-<round>)")
        ->check(CLI::IsMember(kTimelineModes));
    b->add_flag("--json", json_out, "print the results document instead of the table");
    b->add_flag("--cleanup", cleanup, "undo what a killed bench left behind (its network "
                                      "namespaces, the schedulers it loaded, "
                                      "kernel.bpf_stats_enabled) and exit");
    b->footer(
        "Builds client, router and server network namespaces with one veth pair per path on\n"
        "each side, shapes each path in the router with netem (rate, RTT, jitter, loss, a\n"
        "queue of two bandwidth-delay products), and per scenario measures single-path TCP\n"
        "on each path and every scheduler, interleaved, --repeat times. Reports goodput,\n"
        "aggregation efficiency (goodput / sum of the single-path goodputs of the same run),\n"
        "bytes per path, longest receive gap, request p50/p99/p99.9 and bytes on the wire\n"
        "per payload byte, BPF decision cost (run_time_ns / run_cnt of get_send) and sender\n"
        "CPU per KiB. Events break a path mid-run: down (blackhole), link-down (the client's\n"
        "interface), flap, degrade. Needs netem and the BPF scheduler interface: run it in\n"
        "the VM. Progress goes to stderr.\n"
        "Examples:\n"
        "  vmtest/run -- build/mptcp-sched bench equal hetero-rtt\n"
        "  vmtest/run -- build/mptcp-sched bench failover --sched default,minrtt --repeat 5\n"
        "  vmtest/run --timeout 5400 -- build/mptcp-sched bench --sweep --repeat 5 --out docs/bench\n"
        "  vmtest/run -- build/mptcp-sched bench --sweep --repeat 1 --time-scale 0.4   # a quick look\n"
        "  build/mptcp-sched bench --list > mine.json   # edit; check: bench --list mine.json");
    b->callback([&rc, &paths] {
        if (cleanup) {
            auto done = bench_cleanup(paths);
            if (!done) {
                rc = report(done.error());
                return;
            }
            for (const auto& d : *done)
                std::cout << d << "\n";
            if (done->empty())
                std::cout << "nothing to clean up: no bench left anything behind\n";
            rc = kOk;
            return;
        }
        if (!replot.empty()) {
            rc = replot_results(replot, o.out_dir);
            return;
        }
        if (names.empty() && !list && !sweep) {
            std::cerr << "mptcp-sched: bench: name at least one scenario (see --list) or --sweep\n";
            rc = kUsage;
            return;
        }
        o.timeline = timeline.empty() ? BenchOptions::Timelines::None : kTimelineModes.at(timeline);
        o.scenarios.clear();
        for (const auto& n : names) {
            auto s = resolve_scenarios(n);
            if (!s) {
                // --timeline takes its mode after '=' only: "--timeline all" names a scenario
                const bool mode = kTimelineModes.count(n) > 0;
                rc = report(mode ? Error::msg(s.error().message + "; for a timeline mode write "
                                              "--timeline=" + n)
                                 : s.error());
                return;
            }
            o.scenarios.insert(o.scenarios.end(), s->begin(), s->end());
        }
        if (sweep) {
            auto grid = sweep_scenarios();
            o.scenarios.insert(o.scenarios.end(), grid.begin(), grid.end());
            if (scheds.empty())
                scheds = {"default", "minrtt", "roundrobin", "blest"};
        }
        if (list) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& s : o.scenarios.empty() ? builtin_scenarios() : o.scenarios)
                arr.push_back(scenario_to_json(s));
            print_json(arr);
            rc = kOk;
            return;
        }
        if (!scheds.empty())
            o.schedulers = scheds;
        if (g_verbose)
            o.on_command = [](const std::string& cmd) { std::cerr << "+ " << cmd << "\n"; };
        StopSignals stop({SIGINT, SIGTERM});
        o.stop = stop.token();
        o.paths = paths;
        auto r = run_bench(o, [](const std::string& l) { std::cerr << "bench: " << l << std::endl; });
        if (!r) {
            rc = report(r.error());
            return;
        }
        if (json_out)
            std::cout << dump_json(*r, 2) << "\n";
        else
            std::cout << render_bench_table(*r) << render_sweep_table(*r)
                      << render_bench_targets((*r)["targets"])
                      << "results: " << o.out_dir << "/results.json\n";
        rc = kOk;
    });
}

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench`: scheduler comparisons on emulated paths.
#include <fstream>

#include "cli.h"
#include "mptcp_sched/bench.h"

namespace mptcp_sched::cli {

void add_bench_command(CLI::App& app, int& rc)
{
    static BenchOptions o;
    static std::vector<std::string> names;
    static std::vector<std::string> scheds;
    static bool list = false, json_out = false, sweep = false;
    static std::string replot;
    auto* b = app.add_subcommand("bench", "Compare schedulers on emulated multi-path topologies");
    b->add_option("scenario", names, "built-in scenario names or JSON scenario files");
    b->add_option("--sched", scheds, "schedulers to compare, 'default' is the kernel's own "
                                     "(default: default minrtt roundrobin blest redundant backup)")
        ->delimiter(',');
    b->add_option("--repeat", o.repeat, "runs per scheduler; medians and min-max are reported "
                                        "(default 3)")->check(CLI::Range(1, 50));
    b->add_option("--out", o.out_dir, "directory for results.json and one SVG chart per "
                                      "scenario (default bench-results)");
    b->add_option("--time-scale", o.time_scale, "multiply workload durations and event times "
                                                "(quick looks: 0.5)")->check(CLI::Range(0.1, 10.0));
    b->add_flag("--list", list, "print the named scenarios (default: the built-ins) as JSON "
                                "and exit: a starting point for your own, or a check of a file");
    b->add_option("--replot", replot, "redraw the charts and the table of an earlier run's "
                                      "results.json (into --out) without running anything");
    b->add_flag("--sweep", sweep, "add the sweep grid: rate ratio {1,3,9} x RTT ratio "
                                  "{1,5,25} x receiver buffer {auto, 1x BDP}, 18 two-path "
                                  "points; heatmaps sweep-<scheduler>.svg (default schedulers: "
                                  "default minrtt roundrobin blest)");
    b->add_flag("--timeline", o.timeline, "record each scheduler's first run every 100 ms (per "
                                          "subflow: send rate, srtt, cwnd, in flight, queued; "
                                          "receiver goodput; events marked) into "
                                          "OUT/timelines/<scenario>-<scheduler>.svg and .json");
    b->add_flag("--json", json_out, "print the results document instead of the table");
    b->footer(
        "Builds client, router and server network namespaces with one veth pair per path on\n"
        "each side, shapes each path in the router with netem (rate, RTT, jitter, loss, a\n"
        "queue of two bandwidth-delay products), and per scenario measures single-path TCP\n"
        "on each path and every scheduler, interleaved, --repeat times. Reports goodput,\n"
        "aggregation efficiency (goodput / sum of the single-path goodputs of the same run),\n"
        "bytes per path, longest receive gap, request p50/p99, BPF decision cost\n"
        "(run_time_ns / run_cnt of get_send) and sender CPU per KiB. Needs netem and the BPF\n"
        "scheduler interface: run it in the VM. Progress goes to stderr.\n"
        "Examples:\n"
        "  vmtest/run -- build/mptcp-sched bench equal hetero-rtt\n"
        "  vmtest/run -- build/mptcp-sched bench failover --sched default,minrtt --repeat 5\n"
        "  vmtest/run --timeout 5400 -- build/mptcp-sched bench --sweep --repeat 5 --out docs/bench\n"
        "  vmtest/run -- build/mptcp-sched bench --sweep --repeat 1 --time-scale 0.4   # a quick look\n"
        "  build/mptcp-sched bench --list > mine.json   # edit; check: bench --list mine.json");
    b->callback([&rc] {
        if (!replot.empty()) {
            std::ifstream f(replot);
            nlohmann::json r;
            try {
                r = nlohmann::json::parse(f);
                for (auto& sj : r.at("scenarios")) {
                    const std::string chart = o.out_dir + "/" + sj.at("scenario").at("name").get<std::string>() + ".svg";
                    std::ofstream(chart) << bench_chart_svg(sj);
                    sj["chart"] = chart;
                }
                for (const auto& sched : sweep_schedulers(r))
                    std::ofstream(o.out_dir + "/sweep-" + sched + ".svg") << sweep_heatmap_svg(r, sched);
                std::cout << render_bench_table(r) << render_sweep_table(r)
                          << render_bench_targets(bench_targets(r));
            } catch (const std::exception& e) {
                rc = report(Error::msg(replot + ": not a bench results file: " + e.what()));
                return;
            }
            rc = kOk;
            return;
        }
        if (names.empty() && !list && !sweep) {
            std::cerr << "mptcp-sched: bench: name at least one scenario (see --list) or --sweep\n";
            rc = kUsage;
            return;
        }
        o.scenarios.clear();
        for (const auto& n : names) {
            auto s = resolve_scenarios(n);
            if (!s) {
                rc = report(s.error());
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
            std::cout << arr.dump(2) << "\n";
            rc = kOk;
            return;
        }
        if (!scheds.empty())
            o.schedulers = scheds;
        if (g_verbose)
            setenv("MPTCP_SCHED_BENCH_VERBOSE", "1", 1);
        auto r = run_bench(o, [](const std::string& l) { std::cerr << "bench: " << l << std::endl; });
        if (!r) {
            rc = report(r.error());
            return;
        }
        if (json_out)
            std::cout << r->dump(2) << "\n";
        else
            std::cout << render_bench_table(*r) << render_sweep_table(*r)
                      << render_bench_targets((*r)["targets"])
                      << "results: " << o.out_dir << "/results.json\n";
        rc = kOk;
    });
}

}  // namespace mptcp_sched::cli

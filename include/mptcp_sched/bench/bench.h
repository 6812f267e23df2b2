// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench`: emulated multi-path topologies (client, router, server network
// namespaces; netem shaping in the router), workloads run once per scheduler and against
// single-path TCP baselines measured in the same run, figures as JSON and SVG charts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/base/stop.h"

namespace mptcp_sched {

struct BenchPath {
    double rate_mbit = 0;     // 0 = unshaped
    double rtt_ms = 0;        // split evenly over both directions
    double jitter_ms = 0;     // on the data direction
    double loss_pct = 0;      // both directions
    bool backup = false;      // its MPTCP endpoint carries the backup flag
};

// Something that happens to a path during a scheduler's run (single-path baselines run
// undisturbed). After every run each path touched is restored, whatever happened.
struct BenchEvent {
    enum Action {
        Down,       // blackhole: the router drops everything on the path (netem loss 100%)
        Up,         // the path as the scenario defines it again: shaping, interface, routes
        LinkDown,   // the client's interface of the path administratively down (as when
                    // Wi-Fi disappears: the kernel flushes its routes); `up` brings it back
        Flap,       // fails (as `via`) and comes back every every_s seconds, for for_s
        Degrade,    // rate, RTT and/or loss of the path changed (netem), e.g. Wi-Fi moving away
    } action = Down;
    double at_s = 0;
    size_t path = 0;
    double every_s = 0, for_s = 0;        // flap
    Action via = Down;                    // flap: Down or LinkDown
    std::optional<double> rate_mbit, rtt_ms, loss_pct;   // degrade: the new values; unset: kept
};
// "down", "up", "link-down", "flap", "degrade".
const char* event_action_name(BenchEvent::Action a);

// What the events do to the paths, in time order (flaps expanded into their downs and ups),
// each change with the shaping it leaves on its path: a degrade's new values apply to what
// the path has then, `up` goes back to the scenario's path. Times are the events' times
// multiplied by @scale.
struct PathChange {
    enum Op { Blackhole, LinkDown, Reshape, Restore } op = Restore;
    double at_s = 0;
    size_t path = 0;
    BenchPath shape;   // Blackhole and Reshape: the shaping to apply (Blackhole drops all)
    std::string label; // for timelines: "path 0 down", "path 1 degraded to 5 Mbit/s, 40 ms"
};

struct BenchWorkload {
    enum Kind { Bulk, Rate, RequestResponse, Churn, Many } kind = Bulk;
    double seconds = 6;        // bulk, rate and many (its bulk transfer)
    double rate_mbit = 0;      // rate: the application's sending rate
    int requests = 200;        // request/response (--time-scale multiplies it, as churn's)
    size_t request_bytes = 100;     // request/response and churn
    size_t response_bytes = 10000;
    int connections = 1000;    // churn: short connections (connect, one exchange, close);
                               // many: idle connections held open during one bulk transfer
    int concurrency = 1;       // churn: clients at a time, each one connection after another
};

struct BenchScenario {
    std::string name;
    std::string description;
    std::vector<BenchPath> paths;
    BenchWorkload workload;
    std::vector<BenchEvent> events;
    uint64_t rcvbuf_bytes = 0;   // receiver's buffer: tcp_rmem max in the server netns;
                                 // 0 = the kernel's (autotuning up to 6 MiB)
    uint32_t rto_max_ms = 0;     // net.ipv4.tcp_rto_max_ms at both ends (Linux 6.15+): the
                                 // longest a subflow's retransmit timer backs off; 0 = the
                                 // kernel's (120 s)
};

std::vector<PathChange> expand_events(const BenchScenario& s, double scale);

// Parses one scenario (the JSON format in README "Benchmarks"); errors name the field.
Result<BenchScenario> parse_scenario(const nlohmann::json& j);
nlohmann::json scenario_to_json(const BenchScenario& s);
// equal, hetero-rtt, unequal-bw, the loss scenarios lossy-{1,3,fast}-{rr,short}, unshaped,
// app-limited, backup-idle, churn, churn-parallel, many, and failover and backup-failover in
// every failure kind (<name>, <name>-link-down, <name>-flap, <name>-degrade), soak (the
// two paths take turns failing every 5 s for 10 minutes) and soak-rto1s (the same with the
// retransmit timers capped at 1 s).
const std::vector<BenchScenario>& builtin_scenarios();
// The sweep grid (`bench --sweep`): two paths of 100 Mbit/s in total, the fast one at
// 4 ms RTT, rate ratio {1, 3, 9} x RTT ratio {1, 5, 25} x receiver buffer {the kernel's
// autotuning, 1x the summed bandwidth-delay product}; named sweep-r<rate>-d<rtt>-<auto|bdp>.
std::vector<BenchScenario> sweep_scenarios(double seconds = 6);
struct SweepPoint {
    int rate_ratio = 0, rtt_ratio = 0;
    bool bdp_buffer = false;
};
// The grid coordinates of a sweep scenario, from its name; nullopt for any other name.
std::optional<SweepPoint> sweep_point(const std::string& scenario_name);
// A built-in name, a family of built-ins (NAME: those named NAME-..., e.g. lossy), a sweep
// point, or a path to a JSON file holding one scenario or an array of them.
Result<std::vector<BenchScenario>> resolve_scenarios(const std::string& what);

struct BenchOptions {
    std::vector<BenchScenario> scenarios;
    std::vector<std::string> schedulers{"default", "minrtt", "roundrobin", "blest", "redundant", "backup"};
    int repeat = 3;
    std::string out_dir = "bench-results";
    double time_scale = 1.0;   // multiplies workload durations, rr and churn counts and event
                               // times (quick runs)
    // Which runs of each scheduler leave a timeline (sampled every 100 ms; every run is
    // recorded unless None): First and Worst write OUT_DIR/timelines/<scenario>-<scheduler>
    // .{svg,json}, Worst rewriting them whenever a round goes worse by the scenario's
    // headline figure (aggregate.h); All writes <scenario>-<scheduler>-<round>.{svg,json}.
    enum class Timelines { None, First, Worst, All } timeline = Timelines::None;
    // Set: each set-up command (ip, tc, ...) is passed here before it runs (the CLI's -v).
    std::function<void(const std::string&)> on_command;
    // Once a stop is requested, the current run ends early, the bench cleans up and fails
    // with EINTR ("interrupted; ...").
    StopToken stop;
    Paths paths;   // the pins it loads, the sysctls it sets, its network namespaces
};

// Median and spread of one figure over the repeats.
struct Spread {
    double median = 0, min = 0, max = 0;
    size_t n = 0;
};
Spread spread_of(std::vector<double> v);

// Runs everything; progress lines go to @progress. Returns the results document, also
// written to OUT_DIR/results.json, with one OUT_DIR/<scenario>.svg chart per scenario.
Result<nlohmann::json> run_bench(const BenchOptions& o,
                                 const std::function<void(const std::string&)>& progress);

// The chart of one scenario's results (a results.json "scenarios" entry) as SVG.
std::string bench_chart_svg(const nlohmann::json& scenario_result);
// The summary table printed at the end (and in the closing notes).
std::string render_bench_table(const nlohmann::json& results);
// The targets, evaluated on the built-in scenarios present in @results:
// [{target, measured, met}]; and their text form.
nlohmann::json bench_targets(const nlohmann::json& results);
std::string render_bench_targets(const nlohmann::json& targets);
// The sweep's results: one heatmap per scheduler (goodput ratio to the kernel's default over
// the grid) and a table of every point; empty when @results holds no sweep scenario or no
// default runs.
std::string sweep_heatmap_svg(const nlohmann::json& results, const std::string& scheduler);
std::string render_sweep_table(const nlohmann::json& results);
// The schedulers (other than default) that appear in the sweep scenarios of @results.
std::vector<std::string> sweep_schedulers(const nlohmann::json& results);

// One bench at a time, and a record of what it changed (src/bench_guard.cpp). take()
// refuses while another bench runs, while a killed one's record is left, or when one of
// @netns exists (someone else's).
class BenchGuard {
public:
    static Result<BenchGuard> take(const Paths& paths, const std::vector<std::string>& netns);
    BenchGuard(BenchGuard&& o) noexcept
        : lock_(std::move(o.lock_)), state_(std::move(o.state_)), active_(std::exchange(o.active_, false)) {}
    BenchGuard& operator=(BenchGuard&&) = delete;
    ~BenchGuard();
    Result<void> loaded(const std::string& scheduler);
    Result<void> bpf_stats_was(const std::string& value);

private:
    BenchGuard() = default;
    Result<void> save();
    UniqueFd lock_;
    nlohmann::json state_;
    bool active_ = false;
};

// `bench --cleanup`: undoes what a killed bench left (its namespaces, the schedulers it
// loaded, kernel.bpf_stats_enabled) from its record; returns what it did.
Result<std::vector<std::string>> bench_cleanup(const Paths& paths);

}  // namespace mptcp_sched

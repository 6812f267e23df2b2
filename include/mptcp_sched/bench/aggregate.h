// SPDX-License-Identifier: GPL-2.0
// The bench's arithmetic, apart from its runs: what one run measured, and how the runs of a
// scenario become its results (medians and spreads over the repeats, efficiency against the
// single-path baselines, ratios to the kernel's default, the targets' verdicts), as plain
// structs whose to_json() is the results.json format (README "Benchmarks").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mptcp_sched/bench/bench.h"

namespace mptcp_sched {

// What one run (a scheduler's, or single-path TCP's on one path) measured.
struct RunFigures {
    bool ok = false;
    std::string error;
    double goodput_mbit = 0;
    double max_gap_ms = 0;
    double max_gap_at_s = -1;             // bulk: when the longest gap began, s after the first byte
    double p50_ms = 0, p99_ms = 0, p999_ms = 0;
    // request/response: TCP payload bytes both ends sent (retransmissions and copies on
    // other subflows included) per byte of requests and responses
    double wire_per_payload = 0;
    double cpu_ns_per_kib = 0;
    double conns_per_s = 0;               // churn
    double states_left = -1;              // churn: connection states left after all closed
    double idle_connections = -1;         // many: idle MPTCP connections during the transfer
    double stats_read_ms = -1;            // many: reading every connection's state (stats)
    double optmem_per_conn = -1;          // many: option memory per MPTCP socket (BPF storage)
    double ofo_per_mb = -1;               // packets the receiver queued out of order per MB
    // packets the receiver's MPTCP level dropped for want of memory after its subflow had
    // acknowledged them (MPTcpExtRcvPruned), per MB: each waits for the sender's MPTCP-level
    // retransmit timer
    double pruned_per_mb = -1;
    // MPTCP runs: the MPTcpExt counters of either end that grew during the run ("client
    // MPJoinSynTx", "server OFOQueue", ...), by how much
    std::map<std::string, uint64_t> mibs;
    // bulk and rate over MPTCP: bytes the sender re-sent at the MPTCP level (reinjections
    // after the retransmit timer or a stale subflow, mptcpi_bytes_retrans), % of the payload
    double reinject_pct = -1;
    // bulk over MPTCP: bytes the connection put on its subflows more than once, % of the
    // payload: TCP's first transmissions over its subflows (bytes sent less TCP's own
    // retransmissions) less the payload, once all is acknowledged. Counts what
    // reinject_pct does and also what the core re-injects through its send path when a
    // subflow goes stale (which mptcpi_bytes_retrans does not), and redundant copies; a
    // subflow closed before the end is not counted
    double duplicate_pct = -1;
    uint64_t payload = 0;                 // bytes the receiver got
    std::vector<double> path_share_pct;   // bytes sent per path, % of the payload
    bool mptcp = false;
    size_t subflows = 0;
    // The struct_ops get_send programs over the run (run_time_ns, run_cnt deltas); a
    // count of 0: no decision measured.
    uint64_t decision_ns_total = 0, decision_count = 0;
    // The scheduler's own counters over the run (enum ms_counter by counter_name: waited,
    // stalled, reinjected...): empty for the kernel's default and schedulers without our
    // statistics.
    std::map<std::string, uint64_t> counters;
};

// The runs of one scenario, as the bench made them.
struct ScenarioRuns {
    std::vector<std::vector<RunFigures>> single_path;          // by path; backup paths: none
    std::map<std::string, std::vector<RunFigures>> schedulers;
};

// One set of runs summarised over the repeats (failed runs count in errors only).
struct BenchFigures {
    BenchWorkload::Kind kind = BenchWorkload::Bulk;   // which figures apply
    size_t runs_ok = 0;
    std::vector<std::string> errors;
    Spread goodput_mbit, max_gap_ms;       // bulk and rate
    Spread p50_ms, p99_ms;                 // request/response and churn
    Spread p999_ms, wire_per_payload;      // request/response
    Spread conns_per_s;                    // churn
    Spread cpu_ns_per_kib;
    std::optional<Spread> ofo_per_mb;      // when the receiver's counter was readable
    std::optional<Spread> pruned_per_mb;   // the same
    // MPTCP runs: each MPTcpExt counter that grew in any run, over every run (0 where it
    // did not)
    std::map<std::string, Spread> mibs;
    std::optional<Spread> reinject_pct;    // bulk and rate over MPTCP, when readable
    // Where measured (runs with a value >= 0): churn's states left after close; many's
    // idle connections, time to read every connection's state, option memory per socket;
    // bulk's duplicate_pct.
    std::optional<Spread> states_left, idle_connections, stats_read_ms, optmem_per_conn,
        duplicate_pct;
    std::vector<Spread> path_share_pct;    // one per path of the scenario
    // Schedulers only: the decision cost per get_send call (nullopt: none measured).
    bool has_decision = false;
    std::optional<Spread> decision_ns;
    // Schedulers with our statistics: each counter over the runs that read it.
    std::map<std::string, Spread> counters;
    // Schedulers, bulk and rate, with a single-path sum: goodput as % of that sum, and the
    // median as % of the best single path.
    std::optional<Spread> efficiency_pct;
    std::optional<double> vs_best_single_pct;
    // Schedulers, when the default ran with a positive median: goodput (connections/s for
    // churn) over the default's; not for request/response.
    std::optional<double> vs_default;
    std::optional<size_t> path;            // single-path baselines: the path
};

struct BenchScenarioResult {
    BenchScenario scenario;
    std::vector<std::string> scheduler_order;
    std::vector<BenchFigures> single_path;              // non-backup paths, in order
    std::map<std::string, BenchFigures> schedulers;
    double sum_single_path_mbit = 0, best_single_path_mbit = 0;   // bulk and rate
    std::optional<double> best_single_path_p99_ms;                // request/response
    std::string chart;                                            // "": none written
};

struct BenchResults {
    std::string kernel;
    int repeat = 0;
    double time_scale = 1;
    std::vector<BenchScenarioResult> scenarios;
};

BenchFigures summarize_runs(const std::vector<RunFigures>& runs, const BenchScenario& s,
                            bool scheduler);
// The results of scenario @s from its runs; @schedulers in the order the runs were made.
BenchScenarioResult aggregate_scenario(const BenchScenario& s,
                                       const std::vector<std::string>& schedulers,
                                       const ScenarioRuns& runs);

// The figure a scenario is about: what its chart shows and what `bench --timeline`
// ranks rounds by. The longest receive gap when paths change during the run, the p99
// latency for request/response, connections/s for churn, goodput otherwise.
struct Headline {
    const char* key;      // the figure's name in results.json
    const char* label;    // for axes and titles
    const char* unit;     // "ms", "Mbit/s", "per s"
    bool lower_is_better;
    double RunFigures::*value;   // the figure in one run
};
Headline headline_of(const BenchScenario& s);
double headline_value(const RunFigures& r, const Headline& h);
// Whether run @a went worse than run @b by @h: a failed run is worse than one that
// measured; between two failed runs, or two equal figures, neither is.
bool worse_run(const RunFigures& a, const RunFigures& b, const Headline& h);

nlohmann::json to_json(const Spread& s);
nlohmann::json to_json(const BenchFigures& f);
nlohmann::json to_json(const BenchScenarioResult& r);
// With "targets" (bench_targets) once there is a scenario.
nlohmann::json to_json(const BenchResults& r);

}  // namespace mptcp_sched

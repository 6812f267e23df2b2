// SPDX-License-Identifier: GPL-2.0
// Timelines: MPTCP connections and their subflows sampled over time from sock_diag (the
// same dump as `conns`, with the congestion state of each subflow), event marks ("path 0
// down") stamped on the same clock, and one SVG that shows why a scheduler lost: per
// subflow send rate, srtt, cwnd, bytes in flight and queued, and the receiver's goodput.
//
// The bench records one run like this (its client netns holds exactly one MPTCP
// connection per run; connections of earlier runs still closing are ignored):
//
//   TimelineOptions o;
//   o.netns = "ms-bench-cli";
//   o.interval = std::chrono::milliseconds(100);
//   o.filter.only_new = true;            // just the connection the run is about to make
//   auto rec = TimelineRecorder::start(o);         // Result: bad netns, no permission
//   ... (*rec)->mark("path 0 down");               // from any thread, stamped now
//   Timeline tl = (*rec)->stop();
//   write tl.to_json() and timeline_svg(tl, "failover: minrtt, run 1")
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// Which connections a sample keeps; every field given must hold.
struct TraceFilter {
    std::optional<uint32_t> token;        // MPTCP token (as `conns` prints it, hex)
    std::optional<uint16_t> local_port;   // the MPTCP socket's own port
    std::optional<uint16_t> remote_port;  // the peer's port (a client's "dport")
    // Skip connections already present when recording starts (by token): a recorder
    // started just before a transfer then sees only that transfer's connection.
    bool only_new = false;

    bool matches(const ConnInfo& c) const;
};

struct TimelineSample {
    double t_s = 0;                       // seconds since the recorder started
    std::vector<ConnInfo> connections;    // those the filter kept, each with its subflows
};

struct TimelineMark {
    double t_s = 0;
    std::string label;                    // e.g. "path 0 down"
};

struct Timeline {
    std::string netns;                    // "" = the recorder's caller's netns
    double interval_s = 0;
    std::vector<TimelineSample> samples;
    std::vector<TimelineMark> marks;
    // Set when sampling failed after a successful start (the samples before it are kept).
    std::string error;

    // {"netns", "interval_s", "error"?, "marks": [{t_s, label}],
    //  "samples": [sample_to_json(sample, previous sample)]}
    nlohmann::json to_json() const;
    // The inverse of to_json (derived figures are recomputed, not read).
    static Result<Timeline> from_json(const nlohmann::json& j);
};

// One sample as JSON: {"t_s", "connections": [{"token", "local", "remote", "state",
// "bytes_sent", "bytes_acked", "bytes_received", "unacked_bytes", "goodput_mbit"?,
// "subflows": [{"local", "remote", "dev", "local_id", "remote_id", "backup", "state",
// "bytes_sent", "bytes_acked", "bytes_retrans", "in_flight_bytes", "queued_bytes",
// "srtt_us", "rttvar_us", "cwnd", "mss", "delivery_rate_mbit", "pacing_rate_mbit",
// "send_mbit"?}]}]}. The "?" rates (over the interval since @prev, matched by token and
// subflow addresses) are present only when @prev has the same connection or subflow and the
// counter did not go backwards. This is also the line format of `trace --json`.
nlohmann::json sample_to_json(const TimelineSample& s, const TimelineSample* prev = nullptr);

// Mbit/s of a cumulative byte counter between two readings @dt_s seconds apart; nothing when
// the interval is not positive or the counter went backwards (a reset: the connection or
// subflow was replaced by another with the same addresses).
std::optional<double> counter_rate_mbit(uint64_t prev, uint64_t cur, double dt_s);

// One line of a chart: a value per sample (nothing where the connection or subflow was
// absent, or a rate could not be computed).
struct TimelineSeries {
    std::string key;                      // token/local/remote: stable over the timeline
    std::string label;                    // for the legend
    bool backup = false;
    std::vector<std::optional<double>> values;   // one per Timeline::samples entry
};

// What the chart draws, derived from a timeline's samples: per subflow send rate (Mbit/s,
// from bytes_sent), srtt (ms), cwnd (segments), in flight and queued (bytes); per
// connection the receiver's goodput (Mbit/s, from the MPTCP-level bytes_acked).
struct TimelineSeriesSet {
    std::vector<double> t_s;
    std::vector<TimelineSeries> send_mbit, srtt_ms, cwnd, in_flight_bytes, queued_bytes;
    std::vector<TimelineSeries> goodput_mbit;
};
TimelineSeriesSet timeline_series(const Timeline& tl);

// One SVG (about 900 px wide): a panel per quantity of TimelineSeriesSet over a shared time
// axis, a legend, and each mark as a labelled vertical line through every panel.
std::string timeline_svg(const Timeline& tl, const std::string& title);

// "100ms", "0.5s", "2" (seconds), "250us", "1m": for intervals and durations on the command
// line. Errors name the text and the accepted forms.
Result<std::chrono::nanoseconds> parse_duration(const std::string& text);

// The MPTCP connections of the current netns that @f keeps (no only_new bookkeeping).
Result<TimelineSample> take_sample(const TraceFilter& f);

struct TimelineOptions {
    std::string netns;                    // named netns to sample in; "" = the caller's
    Paths paths;                          // where named netns are (netns_dir)
    std::chrono::nanoseconds interval = std::chrono::milliseconds(100);
    TraceFilter filter;
    // Called on the recorder's thread after each sample (the first one before start()
    // returns); keep it short, it delays the next sample.
    std::function<void(const TimelineSample&)> on_sample;
};

// Samples on its own thread (which enters the netns itself) every interval, on a fixed
// schedule: an overrun skips slots instead of drifting.
class TimelineRecorder {
public:
    // Fails when the netns cannot be entered or the first sample cannot be taken (e.g. no
    // CAP_NET_ADMIN for sock_diag's MPTCP details). The first sample is taken before start()
    // returns.
    static Result<std::unique_ptr<TimelineRecorder>> start(TimelineOptions o);
    ~TimelineRecorder();   // stops, discarding the timeline
    TimelineRecorder(const TimelineRecorder&) = delete;
    TimelineRecorder& operator=(const TimelineRecorder&) = delete;

    // Records an event at the current time; safe from any thread, also after stop().
    void mark(const std::string& label);
    // Seconds since start, on the clock of the samples and marks.
    double elapsed_s() const;
    // Ends sampling (waits for a sample in progress) and returns everything recorded.
    // Later calls return an empty timeline.
    Timeline stop();

private:
    explicit TimelineRecorder(TimelineOptions o);
    void run(std::promise<Result<void>>* started);

    TimelineOptions opts_;
    std::chrono::steady_clock::time_point t0_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    Timeline tl_;
    std::vector<uint32_t> preexisting_;   // tokens present at start (only_new)
    std::thread thread_;
};

}  // namespace mptcp_sched

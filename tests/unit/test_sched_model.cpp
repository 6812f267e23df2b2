// SPDX-License-Identifier: GPL-2.0
// The schedulers' decision arithmetic (include/mptcp_sched/sched_model.h), the same
// functions the BPF programs run, on hand-made paths.
#include <catch2/catch_test_macros.hpp>

#include "mptcp_sched/sched_model.h"

namespace {

// A path with @rate_mbit of capacity at @rtt_ms, its window exactly one BDP, @unsent bytes
// queued and @busy: window full (bulk) or empty (idle).
ms_path path(double rate_mbit, double rtt_ms, uint32_t unsent, bool busy)
{
    ms_path p{};
    p.srtt_us = static_cast<uint32_t>(rtt_ms * 1000);
    p.min_rtt_us = p.srtt_us;   // healthy: the RTT it always had
    p.mss = 1448;
    p.cwnd = static_cast<uint32_t>(rate_mbit * 1e6 / 8 * rtt_ms / 1000 / p.mss);
    if (p.cwnd < 2)
        p.cwnd = 2;
    p.packets_out = busy ? p.cwnd : 0;
    p.unsent = unsent;
    return p;
}

constexpr uint32_t kBurst = 65428;

}  // namespace

TEST_CASE("delivery rate is one window per round trip", "[model]")
{
    ms_path p = path(80, 10, 0, true);   // 80 Mbit/s = 10 MB/s
    CHECK(ms_path_rate(&p) > 9'500'000);
    CHECK(ms_path_rate(&p) < 10'100'000);
    ms_path none{};
    CHECK(ms_path_rate(&none) == 0);
    CHECK(ms_path_send_delay_ns(&none, kBurst) == 0);   // no sample: probe it
}

TEST_CASE("delivery rate: never more than the path was measured to deliver", "[model]")
{
    // 75 + 25 Mbit/s, 4 + 100 ms: the 25 Mbit/s path (3.125 MB/s) with cwnd 732 and a
    // smoothed RTT dipped to 146 ms reads 7.26 MB/s (58 Mbit/s) by its window ...
    ms_path deep = path(25, 100, 0, true);
    deep.cwnd = 732;
    deep.srtt_us = 146'000;
    CHECK(ms_path_rate(&deep) > 7'000'000);
    // ... its measured rate caps that, and with it what it is given and when it delivers.
    const uint64_t t_window = ms_path_arrival_ns(&deep, 1'000'000);
    deep.rate_kBps = 3'125;
    CHECK(ms_path_rate(&deep) == 3'125'000);
    CHECK(ms_path_arrival_ns(&deep, 1'000'000) > t_window);
    CHECK(ms_path_bytes_in(&deep, 100'000'000) == 312'500);   // 100 ms at 3.125 MB/s
    // A measured rate above the window's changes nothing: the window limits what it sends.
    deep.srtt_us = 400'000;
    const uint64_t by_window = ms_path_rate(&deep);
    CHECK(by_window < 3'125'000);
    deep.rate_kBps = 0;
    CHECK(ms_path_rate(&deep) == by_window);
}

TEST_CASE("an idle path sends at once; a busy one after its queue drains", "[model]")
{
    ms_path idle = path(50, 10, 0, false);
    CHECK(ms_path_send_delay_ns(&idle, 16384) == 0);          // fits in the free window
    CHECK(ms_path_arrival_ns(&idle, 16384) == 5'000'000);     // half the RTT
    ms_path busy = path(50, 10, 625'000, true);               // 100 ms of backlog
    const uint64_t d = ms_path_send_delay_ns(&busy, kBurst);
    CHECK(d > 100'000'000);
    CHECK(d < 115'000'000);
}

TEST_CASE("idle paths: the lowest RTT arrives first (app-limited traffic stays on it)", "[model]")
{
    ms_path fast = path(10, 10, 0, false), slow = path(100, 60, 0, false);
    CHECK(ms_path_arrival_ns(&fast, 16384) < ms_path_arrival_ns(&slow, 16384));
}

TEST_CASE("a saturated fast path hands over only once the slow one delivers sooner", "[model]")
{
    // 90 Mbit/s at 2 ms and 10 Mbit/s at 50 ms: a 64 KiB burst needs 52 ms to leave the
    // slow path and 25 ms more to arrive, so the fast path must hold more than ~70 ms of
    // backlog before the slow one wins.
    ms_path slow = path(10, 50, 0, true);
    ms_path fast_short = path(90, 2, 400'000, true);    // ~36 ms of backlog
    ms_path fast_long = path(90, 2, 900'000, true);     // ~80 ms of backlog
    CHECK(ms_path_arrival_ns(&fast_short, kBurst) < ms_path_arrival_ns(&slow, kBurst));
    CHECK(ms_path_arrival_ns(&fast_long, kBurst) > ms_path_arrival_ns(&slow, kBurst));
    // ... and the slow path then takes no more than it can deliver before the fast one:
    // with a burst already queued on it, the same fast backlog keeps the next burst.
    ms_path slow_loaded = path(10, 50, kBurst, true);
    CHECK(ms_path_arrival_ns(&fast_long, kBurst) < ms_path_arrival_ns(&slow_loaded, kBurst));
}

TEST_CASE("BLEST: the slow path is used only when the window covers the fast one meanwhile",
          "[model]")
{
    ms_path fast = path(50, 10, 0, true), slow = path(50, 100, 0, true);
    // While a burst travels 50 ms on the slow path the fast one moves ~0.3 MB.
    CHECK_FALSE(ms_blest_slow_ok(&fast, &slow, 200'000, kBurst, 100));   // small window: wait
    CHECK(ms_blest_slow_ok(&fast, &slow, 4'000'000, kBurst, 100));       // large: use it
    // lambda scales the estimate: a window that just fits at 100% does not at 200%.
    uint64_t room = 0;
    for (room = kBurst; room < 4'000'000; room += 4096)
        if (ms_blest_slow_ok(&fast, &slow, room, kBurst, 100))
            break;
    REQUIRE(room < 4'000'000);
    CHECK(ms_blest_slow_ok(&fast, &slow, room, kBurst, 100));
    CHECK_FALSE(ms_blest_slow_ok(&fast, &slow, room, kBurst, 200));
    CHECK(ms_blest_slow_ok(&fast, &slow, room, kBurst, 50));
    // No room at all (window exhausted) never fits, whatever lambda.
    CHECK_FALSE(ms_blest_slow_ok(&fast, &slow, kBurst, kBurst, 1));
}

TEST_CASE("the arithmetic does not overflow on extreme values", "[model]")
{
    ms_path huge{};
    huge.srtt_us = 1;
    huge.cwnd = 0xffffffff;
    huge.mss = 65535;
    huge.unsent = 0xffffffff;
    const uint64_t r = ms_path_rate(&huge);
    CHECK(r > 0);
    ms_path slowest{};
    slowest.srtt_us = 0xffffffff;
    slowest.cwnd = 1;
    slowest.mss = 1;
    slowest.packets_out = 1;
    slowest.unsent = 0xffffffff;
    // 4 GB at 0 B/s-ish: the delay is large but finite and ordered.
    CHECK(ms_path_send_delay_ns(&slowest, kBurst) > 1'000'000'000ull);
    CHECK(ms_path_bytes_in(&huge, ~0ull) > 0);
}

TEST_CASE("spill: a second path is used only for what the best one cannot deliver sooner",
          "[model]")
{
    // 50 Mbit/s at 10 ms (full: 180 kB queued) and an idle 50 Mbit/s at 100 ms.
    ms_path fast = path(50, 10, 180'000, true), slow = path(50, 100, 0, false);
    // Nothing else waiting: the fast path's queue is done in ~34 ms, before a segment on
    // the slow path could arrive (50 ms): no spill.
    CHECK(ms_spill_budget(&fast, &slow, 0, 0) == 0);
    // 600 kB more waiting: the fast path needs ~130 ms, so the slow one may take what it
    // delivers in the ~80 ms left: ~500 kB at 6.25 MB/s, and not more.
    const uint64_t b = ms_spill_budget(&fast, &slow, 600'000, 0);
    CHECK(b > 400'000);
    CHECK(b < 560'000);
    // What the slow path already holds counts against it.
    ms_path slow_loaded = path(50, 100, 400'000, true);
    CHECK(ms_spill_budget(&fast, &slow_loaded, 600'000, 0) < b / 2);
    // An unmeasured path (no RTT yet) may take up to what the best one needs anyway.
    ms_path fresh{};
    fresh.mss = 1448;
    CHECK(ms_spill_budget(&fast, &fresh, 600'000, 0) == 0);   // no rate: no estimate of bytes
}

TEST_CASE("stall: no delivery for twice the RTT, within [floor, RTO], with data in flight",
          "[model]")
{
    ms_path p = path(20, 20, 0, true);   // 20 ms RTT, window full
    p.rttvar_us = 200'000;               // TCP keeps rttvar at least rto_min (200 ms)
    // 2 x 20 ms is below the floor: the floor rules.
    CHECK(ms_stall_bound_us(&p, 100'000) == 100'000);
    CHECK(ms_stall_bound_us(&p, 10'000) == 40'000);
    p.since_delivery_us = 90'000;
    CHECK_FALSE(ms_path_stalled(&p, 100'000));
    p.since_delivery_us = 120'000;
    CHECK(ms_path_stalled(&p, 100'000));
    // Nothing in flight: an idle path has not stopped, however long ago it last delivered.
    p.packets_out = 0;
    CHECK_FALSE(ms_path_stalled(&p, 100'000));
    // A long path: twice its RTT, capped by its RTO (srtt + rttvar).
    ms_path lng = path(20, 400, 0, true);
    lng.rttvar_us = 200'000;
    CHECK(ms_stall_bound_us(&lng, 100'000) == 600'000);
    lng.since_delivery_us = 500'000;
    CHECK_FALSE(ms_path_stalled(&lng, 100'000));
    lng.since_delivery_us = 700'000;
    CHECK(ms_path_stalled(&lng, 100'000));
    // No RTT sample yet: the floor alone.
    ms_path fresh{};
    fresh.packets_out = 1;
    fresh.since_delivery_us = 150'000;
    CHECK(ms_stall_bound_us(&fresh, 100'000) == 100'000);
    CHECK(ms_path_stalled(&fresh, 100'000));
}

TEST_CASE("behind: a queue that leaves more than four of the lead's RTTs later", "[model]")
{
    // Two 20 Mbit/s 20 ms paths with similar queues: both keep up.
    ms_path a = path(20, 20, 60'000, true), b = path(20, 20, 80'000, true);
    CHECK_FALSE(ms_path_behind(&b, &a, 20'000));
    CHECK_FALSE(ms_path_behind(&a, &a, 20'000));
    // A passing imbalance (~60 ms more to drain) is not "behind" either: the slack is four
    // of the lead's RTTs (80 ms); ~140 ms more is.
    ms_path c = path(20, 20, 210'000, true), d = path(20, 20, 400'000, true);
    CHECK_FALSE(ms_path_behind(&c, &a, 20'000));
    CHECK(ms_path_behind(&d, &a, 20'000));
    CHECK_FALSE(ms_path_behind(&d, &a, 200'000));   // ... unless the floor is wider
    // Degraded to 1 Mbit/s with 100 kB queued: ~0.8 s behind.
    ms_path slow = path(1, 400, 100'000, true);
    CHECK(ms_path_behind(&slow, &a, 20'000));
    // A blackholed path after its RTO: cwnd 1, its queue will not leave for seconds.
    ms_path dead = path(20, 20, 100'000, true);
    dead.cwnd = 1;
    dead.packets_out = 30;
    CHECK(ms_path_behind(&dead, &a, 20'000));
    // The slack follows the lead's RTT: a long-RTT lead tolerates more.
    ms_path lead = path(20, 200, 0, false), other = path(20, 200, 300'000, true);
    CHECK_FALSE(ms_path_behind(&other, &lead, 20'000));
}

TEST_CASE("lags: a degraded path's held data arrives far later than the best path's", "[model]")
{
    // Two working 20 Mbit/s 20 ms paths, windows full, similar queues: neither lags.
    ms_path a = path(20, 20, 60'000, true), b = path(20, 20, 100'000, true);
    CHECK_FALSE(ms_path_lags(&b, &a, 100'000));
    CHECK_FALSE(ms_path_lags(&a, &b, 100'000));
    // Path 0 after "1 Mbit/s, 400 ms": its window (from 20 Mbit/s) is still in flight and
    // its RTT sample has grown: what it holds needs about a second.
    ms_path slow = path(20, 20, 100'000, true);
    slow.srtt_us = 300'000;
    CHECK(ms_path_hold_ns(&slow) > 500'000'000ull);
    CHECK(ms_path_lags(&slow, &a, 100'000));
    // Nothing held, no sample: no estimate, never "lagging".
    ms_path none{};
    CHECK(ms_path_hold_ns(&none) == 0);
    CHECK_FALSE(ms_path_lags(&none, &a, 100'000));
    // A healthy deep path beside a fast one (50 Mbit/s at 100 ms, its queue in the bottleneck
    // at one BDP: srtt 150 ms; beside 50 Mbit/s at 4 ms): what it holds arrives ~200 ms after
    // the fast path's, by nature, and it delivers: not lagging.
    ms_path fast = path(50, 4, 0, true), deep = path(50, 100, 200'000, true);
    deep.srtt_us = 150'000;
    CHECK(ms_path_hold_ns(&deep) > ms_path_hold_ns(&fast) + 100'000'000ull);
    CHECK_FALSE(ms_path_degraded(&deep));
    CHECK_FALSE(ms_path_lags(&deep, &fast, 100'000));
    // Its smoothed RTT overshooting to 450 ms while the window grows (a queue of two BDPs
    // and more; seen on the sweep's 100 ms path): still healthy, no re-send.
    deep.srtt_us = 450'000;
    CHECK_FALSE(ms_path_degraded(&deep));
    CHECK_FALSE(ms_path_lags(&deep, &fast, 100'000));
    // The same path after its delay jumped past six times its minimum: degraded, and it lags.
    deep.srtt_us = 600'000;
    CHECK_FALSE(ms_path_degraded(&deep));   // six times: not more than
    deep.srtt_us = 700'000;
    CHECK(ms_path_degraded(&deep));
    CHECK(ms_path_lags(&deep, &fast, 100'000));
    // A 10 Mbit/s path at 4 ms with its bottleneck's queue full (40 ms): ten times its
    // minimum but only 36 ms above it - healthy, not degraded; nor does it lag.
    ms_path shallow = path(10, 4, 100'000, true);
    shallow.srtt_us = 40'000;
    CHECK_FALSE(ms_path_degraded(&shallow));
    CHECK_FALSE(ms_path_lags(&shallow, &fast, 100'000));
    shallow.srtt_us = 150'000;   // 146 ms above: degraded
    CHECK(ms_path_degraded(&shallow));
    // No RTT sample yet (rtt_min unknown): never degraded.
    deep.min_rtt_us = 0;
    CHECK_FALSE(ms_path_degraded(&deep));
}

TEST_CASE("scan: live primaries first, then live backups, stopped ones only as a last resort",
          "[model]")
{
    constexpr uint64_t kFloor = 100'000;
    // as a repair's scan: the worst holder is kept
    constexpr uint32_t kRoom = MS_SCAN_ROOM | MS_SCAN_WORST;
    constexpr uint32_t kBackupRoom = MS_SCAN_BACKUP | kRoom;
    ms_path fast = path(50, 10, 0, true), slow = path(50, 100, 0, true);
    ms_path backup = path(50, 5, 0, false);   // the lowest RTT of all, and idle
    // TCP keeps rttvar at least rto_min (200 ms): the stall bound is then 2 x srtt, at least
    // the 100 ms floor, so a 10 ms path stops counting after 100 ms without a delivery.
    fast.rttvar_us = slow.rttvar_us = backup.rttvar_us = 200'000;
    ms_scan s;

    // A backup is not used while a primary is live, however much sooner it would deliver.
    ms_scan_init(&s);
    CHECK_FALSE(ms_scan_found(&s));
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    ms_scan_add(&s, &fast, 1, kRoom, kFloor);
    REQUIRE(ms_scan_found(&s));
    CHECK(ms_scan_live(&s));
    CHECK(s.best_id == 1);
    CHECK(ms_scan_has_roomy(&s));
    CHECK(s.roomy_id == 1);
    CHECK_FALSE(ms_scan_has_idle(&s));    // only the backup is idle, and it is not eligible
    CHECK_FALSE(ms_scan_backups(&s));
    CHECK(ms_scan_eligible(&s, false));
    CHECK_FALSE(ms_scan_eligible(&s, true));
    CHECK(s.worst_p.srtt_us == slow.srtt_us);   // the primaries' data that arrives last
    // worst is of the eligible class: a backup holding far more does not count.
    ms_path loaded_backup = path(50, 200, 4'000'000, true);
    loaded_backup.rttvar_us = 200'000;
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom, kFloor);
    ms_scan_add(&s, &loaded_backup, 3, kBackupRoom, kFloor);
    CHECK(s.worst_p.srtt_us == fast.srtt_us);
    // A send decision's scan (no MS_SCAN_WORST) does not keep it.
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, MS_SCAN_ROOM, kFloor);
    ms_scan_add(&s, &slow, 2, MS_SCAN_ROOM, kFloor);
    CHECK(s.best_id == 1);
    CHECK(s.worst_class == MS_CLASS_NONE);

    // The best primary's send buffer is full: roomy is the next primary, never the backup.
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, 0, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    CHECK(s.best_id == 1);
    CHECK(ms_scan_has_roomy(&s));
    CHECK(s.roomy_id == 2);
    // ... and with no primary with room, nothing is roomy: the decision waits.
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, 0, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    CHECK_FALSE(ms_scan_has_roomy(&s));

    // A primary that stopped (data in flight, nothing delivered for 150 ms > 100 ms): the
    // backup takes over, and the stop is noted.
    ms_path dead = fast;
    dead.since_delivery_us = 90'000;   // below the 100 ms floor: still live
    ms_scan_init(&s);
    ms_scan_add(&s, &dead, 1, kRoom, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    CHECK_FALSE(s.stalled);
    CHECK(s.best_id == 1);
    dead.since_delivery_us = 150'000;
    ms_scan_init(&s);
    ms_scan_add(&s, &dead, 1, kRoom, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    CHECK(s.stalled);
    CHECK(ms_scan_live(&s));
    CHECK(s.best_id == 3);
    CHECK(ms_scan_backups(&s));
    CHECK(ms_scan_has_idle(&s));
    CHECK(s.idle_id == 3);
    // Without the stall test (floor 0) the stopped primary is still the primary.
    ms_scan_init(&s);
    ms_scan_add(&s, &dead, 1, kRoom, 0);
    ms_scan_add(&s, &backup, 3, kBackupRoom, 0);
    CHECK(s.best_id == 1);
    CHECK_FALSE(s.stalled);

    // A live primary beside a stopped one: the live one is best, worst ignores the stopped
    // one, and the stop is noted (its data needs a repair).
    ms_scan_init(&s);
    ms_scan_add(&s, &dead, 1, kRoom, kFloor);
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    CHECK(s.best_id == 2);
    CHECK(s.stalled);
    CHECK(s.worst_p.srtt_us == slow.srtt_us);
    CHECK(ms_scan_live(&s));
    CHECK(s.stopped);
    CHECK(s.stall_age_us == 150'000);
    // Two stopped: the age is that of the one that stopped last (a new stop is a new one
    // to repair), whatever order they come in.
    ms_path dead2 = dead;
    dead2.since_delivery_us = 400'000;
    for (int order = 0; order < 2; order++) {
        ms_scan_init(&s);
        ms_scan_add(&s, order ? &dead : &dead2, 1, kRoom, kFloor);
        ms_scan_add(&s, order ? &dead2 : &dead, 4, kRoom, kFloor);
        ms_scan_add(&s, &slow, 2, kRoom, kFloor);
        CHECK(s.stall_age_us == 150'000);
    }
    // An inactive subflow (its interface went down) is no candidate, but one that stopped
    // holding data is a stop to repair; one still within its bound, or holding nothing
    // in flight, is not.
    ms_scan_init(&s);
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    ms_scan_add_inactive(&s, &dead, kFloor);
    CHECK(s.stopped);
    CHECK_FALSE(s.stalled);    // no class, no room kept back for it
    CHECK(s.stall_age_us == 150'000);
    CHECK(s.best_id == 2);
    CHECK(ms_scan_live(&s));
    ms_path recent = dead, empty = dead, joining{};
    recent.since_delivery_us = 90'000;
    empty.packets_out = 0;
    // a join whose SYN is out: one packet, no RTT sample, "delivered" never (the clock)
    joining.packets_out = 1;
    joining.mss = 1448;
    joining.since_delivery_us = 5'000'000'000ULL;
    ms_scan_init(&s);
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    ms_scan_add_inactive(&s, &recent, kFloor);
    ms_scan_add_inactive(&s, &empty, kFloor);
    ms_scan_add_inactive(&s, &joining, kFloor);
    ms_scan_add_inactive(&s, &dead, 0);
    CHECK_FALSE(s.stopped);

    // Every active subflow stopped: the stopped primaries count again, not live.
    ms_path dead_backup = backup;
    dead_backup.packets_out = 4;
    dead_backup.since_delivery_us = 150'000;
    ms_scan_init(&s);
    ms_scan_add(&s, &dead_backup, 3, kBackupRoom, kFloor);
    ms_scan_add(&s, &dead, 1, kRoom, kFloor);
    CHECK(s.best_id == 1);
    CHECK_FALSE(ms_scan_live(&s));
    CHECK(ms_scan_has_roomy(&s));
    // Only backups, all stopped: the backups' set.
    ms_scan_init(&s);
    ms_scan_add(&s, &dead_backup, 3, kBackupRoom, kFloor);
    CHECK(ms_scan_backups(&s));
    CHECK(ms_scan_eligible(&s, true));
    CHECK_FALSE(ms_scan_eligible(&s, false));
    // Equal arrival times: the first one added stays best.
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 7, kRoom, kFloor);
    ms_scan_add(&s, &fast, 8, kRoom, kFloor);
    CHECK(s.best_id == 7);
    // The runner-up with room, of the same class (interactive's copy): never the backup.
    CHECK(ms_scan_has_second(&s));
    CHECK(s.second_id == 8);
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom, kFloor);
    ms_scan_add(&s, &backup, 3, kBackupRoom, kFloor);
    CHECK_FALSE(ms_scan_has_second(&s));
    ms_scan_add(&s, &slow, 2, kRoom, kFloor);
    CHECK(ms_scan_has_second(&s));
    CHECK(s.second_id == 2);
}

TEST_CASE("fell: an RTT many times its lowest and a rate sample below a quarter of its rate",
          "[model]")
{
    // 20 Mbit/s at 20 ms, measured at 2500 kB/s.
    ms_path p = path(20, 20, 0, true);
    p.rate_kBps = 2500;
    CHECK_FALSE(ms_path_fell(&p, 20'000, 2500));
    // Its own bulk transfer filling a deep queue: RTT 200 ms, still delivering its rate.
    p.srtt_us = 200'000;
    CHECK(ms_path_degraded(&p));
    CHECK_FALSE(ms_path_fell(&p, 210'000, 2400));
    // Degraded to 1 Mbit/s, 400 ms: the rate sample falls to 125 kB/s.
    CHECK(ms_path_fell(&p, 400'000, 125));
    // Back from a pause with its smoothed RTT still low (86 ms: an eighth of the way per
    // sample) but its latest sample at the new 400 ms: fell already.
    p.srtt_us = 86'000;
    CHECK_FALSE(ms_path_degraded(&p));
    CHECK(ms_path_fell(&p, 400'000, 125));
    CHECK_FALSE(ms_path_fell(&p, 60'000, 125));   // a sample within bounds: not degraded
    // One late sample on a healthy path (a segment repaired after a loss, a recovery's low
    // rate samples): its smoothed RTT near its lowest says it did not fall.
    p.srtt_us = 25'000;
    CHECK_FALSE(ms_path_fell(&p, 130'000, 125));
    p.srtt_us = 40'000;   // twice the lowest: not more than
    CHECK_FALSE(ms_path_fell(&p, 400'000, 125));
    p.srtt_us = 67'000;   // 20 -> 400 ms, after its first sample
    CHECK(ms_path_fell(&p, 400'000, 125));
    p.srtt_us = 86'000;
    // No measured rate, or no lowest RTT: never.
    p.rate_kBps = 0;
    CHECK_FALSE(ms_path_fell(&p, 400'000, 125));
    p.rate_kBps = 2500;
    p.min_rtt_us = 0;
    CHECK_FALSE(ms_path_fell(&p, 400'000, 125));
}

TEST_CASE("scan with demotion: a primary that fell ranks after the backups, noted for lag and probe",
          "[model]")
{
    constexpr uint64_t kFloor = 100'000;
    constexpr uint32_t kDemote = MS_SCAN_ROOM | MS_SCAN_WORST | MS_SCAN_DEMOTE;
    constexpr uint32_t kFell = kDemote | MS_SCAN_FELL;
    // Path 0 after "1 Mbit/s, 400 ms": its window from 20 Mbit/s still out, RTT 20 -> 400 ms,
    // still delivering (an ACK 10 ms ago). Path 1 healthy, 20 Mbit/s at 20 ms.
    ms_path degraded = path(20, 20, 150'000, true), healthy = path(20, 20, 50'000, true);
    degraded.srtt_us = 400'000;
    degraded.since_delivery_us = 10'000;
    degraded.rttvar_us = healthy.rttvar_us = 200'000;
    REQUIRE(ms_path_degraded(&degraded));
    ms_scan s;

    // Without MS_SCAN_DEMOTE (round-robin) it stays a primary; nothing is noted.
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, MS_SCAN_ROOM | MS_SCAN_FELL, kFloor);
    CHECK(s.best_class == MS_CLASS_PRIMARY);
    CHECK(s.degraded == 0);
    CHECK(s.healthy == 0);
    // Degraded by its RTT but not fallen (its rate holds: a deep queue of its own): a
    // primary, though not counted healthy (its smoothed RTT says degraded).
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, kDemote, kFloor);
    CHECK(s.best_class == MS_CLASS_PRIMARY);
    CHECK(s.healthy == 0);
    CHECK(s.degraded == 0);

    // Beside a healthy primary it is not eligible for new data, even with the healthy one
    // full; it is the worst holder for a repair (its data arrives last) and it lags.
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, kFell, kFloor);
    ms_scan_add(&s, &healthy, 2, (kDemote & ~MS_SCAN_ROOM), kFloor);
    CHECK(s.best_class == MS_CLASS_PRIMARY);
    CHECK(s.best_id == 2);
    CHECK_FALSE(ms_scan_has_roomy(&s));   // the healthy one is full: wait, not the degraded
    CHECK(s.degraded == MS_SF_BIT(1));
    CHECK(s.healthy == MS_SF_BIT(2));
    CHECK(s.lag_id == 1);
    CHECK(s.lag_hold == ms_path_hold_ns(&degraded));
    CHECK(ms_hold_lags(s.lag_hold, &s.best_p, 100'000));
    CHECK(s.worst_p.srtt_us == degraded.srtt_us);
    CHECK(ms_path_lags(&s.worst_p, &s.best_p, 100'000));
    CHECK(s.probe == 0);   // it holds data: no probe

    // Beside a backup: the backup first, even a busy one that a kept rate of the fallen
    // path would rank behind it; with the backup's send buffer full, wait.
    ms_path backup = path(20, 20, 900'000, true);
    backup.rttvar_us = 200'000;
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, kFell, kFloor);
    ms_scan_add(&s, &backup, 3, kDemote | MS_SCAN_BACKUP, kFloor);
    CHECK(ms_scan_live(&s));
    CHECK(s.best_class == MS_CLASS_BACKUP);
    CHECK(s.best_id == 3);
    CHECK(s.roomy_id == 3);
    CHECK(ms_scan_backups(&s));
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, kFell, kFloor);
    ms_scan_add(&s, &backup, 3, (kDemote & ~MS_SCAN_ROOM) | MS_SCAN_BACKUP, kFloor);
    CHECK(s.best_id == 3);
    CHECK_FALSE(ms_scan_has_roomy(&s));

    // Alone it is still used: there is nowhere better.
    ms_scan_init(&s);
    ms_scan_add(&s, &degraded, 1, kFell, kFloor);
    CHECK(s.best_class == MS_CLASS_DEGRADED);
    CHECK(ms_scan_live(&s));
    CHECK_FALSE(ms_scan_backups(&s));
    CHECK(s.best_id == 1);
    CHECK(ms_scan_has_roomy(&s));

    // Once it has delivered what it held (idle, room), it is the probe: a copy measures it.
    ms_path drained = degraded;
    drained.packets_out = 0;
    drained.unsent = 0;
    ms_scan_init(&s);
    ms_scan_add(&s, &drained, 1, kFell, kFloor);
    ms_scan_add(&s, &healthy, 2, kDemote, kFloor);
    CHECK(s.best_id == 2);
    CHECK(s.probe == 1 + 1);
    CHECK(s.lag_hold == 0);   // it holds nothing: nothing lags
}

TEST_CASE("round-robin: the next id above the last turn's, else the smallest", "[model]")
{
    ms_rr_pick r;
    __u64 limit = 0;
    ms_rr_init(&r);
    CHECK(ms_rr_choice(&r, &limit) == ~0U);   // nobody may take a turn
    ms_rr_add(&r, 4, 2, 1000);
    ms_rr_add(&r, 1, 2, 2000);
    ms_rr_add(&r, 3, 2, 3000);
    CHECK(ms_rr_choice(&r, &limit) == 3);
    CHECK(limit == 3000);
    // After the highest id, the turn wraps to the smallest.
    ms_rr_init(&r);
    ms_rr_add(&r, 4, 4, 1000);
    ms_rr_add(&r, 2, 4, 2000);
    CHECK(ms_rr_choice(&r, &limit) == 2);
    CHECK(limit == 2000);
    // No state (last 0): the smallest id above 0.
    ms_rr_init(&r);
    ms_rr_add(&r, 5, 0, 1);
    ms_rr_add(&r, 2, 0, 1);
    CHECK(ms_rr_choice(&r, &limit) == 2);
}

TEST_CASE("interactive's tail: the last segments, so the body is whole segments", "[model]")
{
    // A 10 kB answer in 1424-byte data segments (MSS 1448 less the DSS option): 7 whole
    // segments and 32 bytes; the tail is the 32 bytes, not 1448 (which left an 8-byte
    // body runt and a 24-byte tail runt).
    CHECK(ms_tail_bytes(10000, 1424, 1) == 32);
    CHECK((10000 - ms_tail_bytes(10000, 1424, 1)) % 1424 == 0);
    // Two tail segments: the short one and the whole one before it.
    CHECK(ms_tail_bytes(10000, 1424, 2) == 32 + 1424);
    // A backlog of whole segments: the last whole segment.
    CHECK(ms_tail_bytes(3 * 1424, 1424, 1) == 1424);
    // Never more than the backlog; nothing without segments or a segment size.
    CHECK(ms_tail_bytes(1000, 1424, 3) == 1000);
    CHECK(ms_tail_bytes(5 * 1424, 1424, 9) == 5 * 1424);
    CHECK(ms_tail_bytes(10000, 1424, 0) == 0);
    CHECK(ms_tail_bytes(10000, 0, 1) == 0);
    CHECK(ms_tail_bytes(0, 1424, 1) == 0);
    CHECK(ms_tail_bytes(~0ULL, 1, ~0U) == 0xffffffffULL);   // segs x seg stays in 64 bits
}

TEST_CASE("round-robin's turn: whole for similar paths, bounded where a slow one would hold the window",
          "[model]")
{
    // 75 Mbit/s and 25 Mbit/s, both 4 ms RTT, both busy: similar delay, so with a window
    // that lets the backlog out each keeps a whole quantum per turn.
    ms_path fast = path(75, 4, 20'000, true), slow = path(25, 4, 20'000, true);
    CHECK(ms_rr_limit(&slow, &fast, 0, 4'000'000, kBurst) == ~0ULL);
    // A receiver's window of 40 kB (one BDP) holding back a 4 MB backlog: the slow path
    // takes only what it delivers before the fast one could deliver its queue and those
    // 40 kB, far less than a quantum.
    const uint64_t b = ms_rr_limit(&slow, &fast, MS_RR_WND_LIMITED, 40'000, kBurst);
    CHECK(b == ms_spill_budget(&fast, &slow, 40'000, 0));
    CHECK(b < kBurst);
    // The best subflow and an idle one always take their turn whole.
    CHECK(ms_rr_limit(&fast, &fast, MS_RR_BEST | MS_RR_WND_LIMITED, 40'000, kBurst) == ~0ULL);
    ms_path idle = path(25, 4, 0, false);
    CHECK(ms_rr_limit(&idle, &fast, 0, 40'000, kBurst) == ~0ULL);
    // ... but while the window limits, an idle one gets its budget, at least a segment.
    const uint64_t idle_lim = ms_rr_limit(&idle, &fast, MS_RR_WND_LIMITED, 40'000, kBurst);
    CHECK(idle_lim >= idle.mss);
    CHECK(idle_lim < kBurst);
    ms_path idle_deep = path(25, 100, 0, false);
    CHECK(ms_rr_limit(&idle_deep, &fast, MS_RR_WND_LIMITED, 1'000, kBurst) == idle_deep.mss);
    // More than twice as slow (srtt): bounded even with an open window.
    ms_path far = path(25, 100, 20'000, true);
    CHECK(ms_rr_limit(&far, &fast, 0, 40'000, kBurst) == ms_spill_budget(&fast, &far, 40'000, 0));
}

TEST_CASE("window hold: a burst on a slow path holds the window for its round trip", "[model]")
{
    // 50 + 50 Mbit/s at 4 + 100 ms: a 64 KiB burst on the deep path holds the window for
    // ~110 ms (its arrival and the ack's way back); the fast path sends ~690 kB meanwhile.
    ms_path fast = path(50, 4, 0, true), deep = path(50, 100, 0, true);
    CHECK_FALSE(ms_wnd_hold_ok(&fast, &deep, 650'000, kBurst));
    CHECK(ms_wnd_hold_ok(&fast, &deep, 2'000'000, kBurst));
    // BLEST's test counts only the arrival (~60 ms, ~370 kB): it lets the burst go into a
    // one-BDP window that then closes.
    CHECK(ms_blest_slow_ok(&fast, &deep, 650'000, kBurst, 100));
    // Two 4 ms paths: the fast one sends ~90 kB while a burst on the other is out (~15 ms).
    ms_path twin = path(50, 4, 0, true);
    CHECK(ms_wnd_hold_ok(&fast, &twin, 200'000, kBurst));
    // No room beyond the burst: never.
    CHECK_FALSE(ms_wnd_hold_ok(&fast, &twin, kBurst, kBurst));
}

TEST_CASE("round-robin's turn: while the window limits, a slower path's turn must leave the window to the best",
          "[model]")
{
    // 50 + 50 Mbit/s at 4 + 100 ms, the receiver's window one BDP (650 kB), 400 kB of it
    // free: the spill budget alone would give the 100 ms path a turn; it would hold the
    // window for its round trip, while the 4 ms path fills it. No turn.
    ms_path fast = path(50, 4, 0, true), deep = path(50, 100, 100'000, true);
    const uint64_t room = 400'000;
    REQUIRE(ms_spill_budget(&fast, &deep, room, 0) >= deep.mss);
    CHECK(ms_rr_limit(&deep, &fast, MS_RR_WND_LIMITED, room, kBurst) == 0);
    // Idle, it still gets a segment (its RTT sample stays fresh).
    ms_path deep_idle = path(50, 100, 0, false);
    CHECK(ms_rr_limit(&deep_idle, &fast, MS_RR_WND_LIMITED, room, kBurst) == deep_idle.mss);
    // Not window-limited (the backlog fits): the spill budget alone, as before.
    CHECK(ms_rr_limit(&deep, &fast, 0, room, kBurst) == ms_spill_budget(&fast, &deep, room, 0));
    // Two paths of equal delay with the window limiting: what the best path sends while a
    // turn on the other one is out fits in the room, so the turn is kept.
    ms_path twin = path(50, 4, 20'000, true);
    const uint64_t lim = ms_rr_limit(&twin, &fast, MS_RR_WND_LIMITED, room, kBurst);
    CHECK(lim == ms_spill_budget(&fast, &twin, room, 0));
    CHECK(lim >= twin.mss);
}

TEST_CASE("measured rate: a windowed maximum of the samples", "[model]")
{
    // A higher (or equal) sample replaces the maximum at once, a lower one does not ...
    CHECK(ms_rate_replaces(5'000, 0, 6'000, 20'000));
    CHECK(ms_rate_replaces(5'000, 0, 5'000, 20'000));
    CHECK_FALSE(ms_rate_replaces(5'000, 150'000, 1'000, 20'000));
    // ... until the maximum is older than ten smoothed RTTs, at least 200 ms.
    CHECK(ms_rate_replaces(5'000, 200'001, 1'000, 20'000));
    CHECK_FALSE(ms_rate_replaces(5'000, 900'000, 1'000, 100'000));
    CHECK(ms_rate_replaces(5'000, 1'000'001, 1'000, 100'000));
    // No sample (0) never replaces anything; the first one always does.
    CHECK_FALSE(ms_rate_replaces(5'000, 10'000'000, 0, 20'000));
    CHECK(ms_rate_replaces(0, 0, 1, 20'000));
}

TEST_CASE("queue arrival: what the bottleneck holds beyond the pipe, then half the lowest RTT",
          "[model]")
{
    // 50 Mbit/s (6.25 MB/s), lowest RTT 4 ms: a pipe of 25 kB. The congestion window grew
    // far above what is in flight, as when the receiver's window limits.
    ms_path p = path(50, 4, 0, false);
    p.cwnd = 1000;
    p.rate_kBps = 6'250;
    p.srtt_us = 19'000;   // a standing queue: more than twice the lowest RTT
    // 123 kB held (as the 4 ms path did at 50 + 50 Mbit/s 4 + 20 ms with a 1x BDP window):
    // (123 kB + this segment) / 6.25 MB/s - 4 ms + 2 ms, about 17.9 ms, whatever srtt says.
    p.packets_out = 85;
    uint64_t t = ms_path_queue_arrival_ns(&p, p.mss);
    CHECK(t > 17'800'000);
    CHECK(t < 18'000'000);
    // Unsent bytes in the subflow wait too, at the measured rate.
    p.unsent = 62'500;   // 10 ms more
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) - t == 10'000'000);
    // Within the pipe: no queue, half the lowest RTT.
    p.unsent = 0;
    p.packets_out = 10;   // 14.5 kB
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == 2'000'000);
    // A smoothed RTT up to twice the lowest with at most two pipes in flight (50 kB) does
    // not show a queue: the usual model ...
    p.srtt_us = 8'000;
    p.packets_out = 34;   // 49.2 kB
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == ms_path_arrival_ns(&p, p.mss));
    // ... but more than two pipes in flight do, whatever the smoothed RTT says yet (it
    // shows a queue a round trip late): the same arrival as with srtt 19 ms.
    p.packets_out = 35;   // 50.7 kB
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) != ms_path_arrival_ns(&p, p.mss));
    p.packets_out = 85;
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == t);
    // Nor does the stale smoothed RTT of a path with nothing in flight.
    p.srtt_us = 19'000;
    p.packets_out = 0;
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == ms_path_arrival_ns(&p, p.mss));
    // Without a measured rate or a lowest RTT, the same.
    p.packets_out = 85;
    p.rate_kBps = 0;
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == ms_path_arrival_ns(&p, p.mss));
    p.rate_kBps = 6'250;
    p.min_rtt_us = 0;
    CHECK(ms_path_queue_arrival_ns(&p, p.mss) == ms_path_arrival_ns(&p, p.mss));
}

TEST_CASE("spill by queue: a deep path's allowance counts its queue at its measured rate",
          "[model]")
{
    // 90 + 10 Mbit/s, 4 + 100 ms, autotuned (the sender's buffer limits): the 10 Mbit/s
    // path's window grew faster than its smoothed RTT followed (cwnd 296, srtt 250 ms: a
    // window per srtt reads 13.7 Mbit/s) while it holds 429 kB, 343 ms at its 1.25 MB/s.
    ms_path fast = path(90, 4, 0, false), deep = path(10, 100, 0, false);
    fast.cwnd = 250;
    fast.packets_out = 240;
    fast.srtt_us = 30'000;
    fast.unsent = 800'000;
    fast.rate_kBps = 11'250;
    deep.cwnd = 296;
    deep.packets_out = 296;
    deep.srtt_us = 250'000;   // more than twice its lowest (100 ms): a queue
    deep.rate_kBps = 1'250;
    const uint64_t backlog = 1'000'000;

    // The smoothed-RTT model (what the budget uses while the receiver's window limits)
    // hands the deep path bytes; counted by its queue it is 293 ms out and gets none ...
    CHECK(ms_spill_budget(&fast, &deep, backlog, 0) > 0);
    CHECK(ms_spill_budget(&fast, &deep, backlog, 1) == 0);
    // ... and a backlog does not change that (an application that keeps writing refills
    // it: counted, it let the deep path fill until its queue took as long as the fast
    // path's whole send buffer) ...
    CHECK(ms_spill_budget(&fast, &deep, 3'500'000, 1) == 0);
    // ... only the fast path's own queue taking longer does: then what the deep path
    // delivers in the difference, at its measured rate (1.25 kB per ms).
    fast.unsent = 3'500'000;
    const uint64_t best_done = ms_path_queue_arrival_ns(&fast, 0);
    const uint64_t deep_start = ms_path_queue_arrival_ns(&deep, 0);
    REQUIRE(best_done > deep_start);
    CHECK(ms_spill_budget(&fast, &deep, backlog, 1) ==
          (best_done - deep_start) / 1'000 * 1'250 / 1'000);
    CHECK(ms_spill_budget(&fast, &deep, 0, 1) == ms_spill_budget(&fast, &deep, backlog, 1));
    // A deep path with no sign of a queue (srtt up to twice its lowest, at most two BDPs -
    // 250 kB - in flight) keeps the usual model, and so does one without a measured rate
    // (roundrobin keeps none).
    deep.srtt_us = 190'000;
    deep.packets_out = 170;   // 246 kB
    CHECK(ms_spill_budget(&fast, &deep, backlog, 1) ==
          ms_path_bytes_in(&deep, best_done - ms_path_arrival_ns(&deep, 0)));
    deep.packets_out = 296;
    deep.srtt_us = 250'000;
    deep.rate_kBps = 0;
    CHECK(ms_spill_budget(&fast, &deep, backlog, 1) ==
          ms_path_bytes_in(&deep, best_done - ms_path_arrival_ns(&deep, 0)));
}

TEST_CASE("scan by queue: the marginal byte goes to the path without a queue",
          "[model]")
{
    // 50 + 50 Mbit/s, 4 + 20 ms with a one-BDP window: the 4 ms path holds 123 kB (srtt
    // 19 ms: its own queue), the 20 ms path idles with a stale srtt of 22.7 ms.
    ms_path fast = path(50, 4, 0, false), slow = path(50, 20, 0, false);
    fast.cwnd = slow.cwnd = 1000;
    fast.packets_out = 85;
    fast.srtt_us = 19'000;
    slow.srtt_us = 22'700;
    fast.rate_kBps = slow.rate_kBps = 6'250;
    constexpr uint32_t kRoom = MS_SCAN_ROOM;
    ms_scan s;

    // By the smoothed RTTs the fast path ranks first (9.5 against 11.35 ms) ...
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom, 0);
    ms_scan_add(&s, &slow, 2, kRoom, 0);
    CHECK(s.best_id == 1);
    // ... by queue, the idle one does (10 ms against ~17.9).
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom | MS_SCAN_BY_QUEUE, 0);
    ms_scan_add(&s, &slow, 2, kRoom | MS_SCAN_BY_QUEUE, 0);
    CHECK(s.best_id == 2);
    // Once the fast path holds no more than its pipe, it is first again.
    fast.packets_out = 15;
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom | MS_SCAN_BY_QUEUE, 0);
    ms_scan_add(&s, &slow, 2, kRoom | MS_SCAN_BY_QUEUE, 0);
    CHECK(s.best_id == 1);
    // Equal lowest RTTs, no queue (75 + 25 Mbit/s, 4 + 4 ms; the fast path at 5 ms with
    // what the window lets it hold, the idle slower one at a stale 8.5 ms): the measured
    // rates do not move the fast path's bytes, though they read low (60 of 75 Mbit/s: a
    // path the window starves samples what it lets through, 43 kB per 5 ms; in flight it
    // has less than two BDPs at that rate, 60 kB).
    fast = path(75, 4, 0, false);
    slow = path(25, 4, 0, false);
    fast.cwnd = slow.cwnd = 1000;
    fast.packets_out = 30;   // 43 kB
    fast.srtt_us = 5'000;
    slow.srtt_us = 8'500;    // stale
    fast.rate_kBps = 7'500;
    slow.rate_kBps = 1'250;
    ms_scan_init(&s);
    ms_scan_add(&s, &fast, 1, kRoom | MS_SCAN_BY_QUEUE, 0);
    ms_scan_add(&s, &slow, 2, kRoom | MS_SCAN_BY_QUEUE, 0);
    CHECK(s.best_id == 1);
}

TEST_CASE("unsent cap: what a subflow sends in the deepest live RTT, at least a floor",
          "[model]")
{
    constexpr uint64_t kFloor = 2 * kBurst;
    // 20 Mbit/s (2.5 MB/s) beside another 20 ms path: 50 kB in 20 ms, so the floor.
    ms_path p = path(20, 20, 0, true);
    CHECK(ms_unsent_cap(&p, 20'000, kFloor) == kFloor);
    // 90 Mbit/s at 4 ms beside a 100 ms path: a round trip of the deep path at its rate.
    ms_path fast = path(90, 4, 0, true);
    CHECK(ms_unsent_cap(&fast, 100'000, kFloor) == ms_bytes_at(100'000'000, ms_path_rate(&fast)));
    CHECK(ms_unsent_cap(&fast, 100'000, kFloor) > 1'000'000);
    // no RTT sample yet: the floor
    ms_path fresh{};
    CHECK(ms_unsent_cap(&fresh, 100'000, kFloor) == kFloor);

    // The scan keeps the deepest lowest RTT of the live primaries, not a backup's.
    constexpr uint64_t kStallFloor = 100'000;
    ms_path slow = path(10, 100, 0, true), backup = path(50, 300, 0, false);
    fast.rttvar_us = slow.rttvar_us = backup.rttvar_us = 200'000;
    ms_scan s;
    ms_scan_init(&s);
    CHECK(s.deepest_rtt_us == 0);
    ms_scan_add(&s, &fast, 1, MS_SCAN_ROOM, kStallFloor);
    CHECK(s.deepest_rtt_us == 4'000);
    ms_scan_add(&s, &backup, 3, MS_SCAN_ROOM | MS_SCAN_BACKUP, kStallFloor);
    CHECK(s.deepest_rtt_us == 4'000);
    ms_scan_add(&s, &slow, 2, MS_SCAN_ROOM, kStallFloor);
    CHECK(s.deepest_rtt_us == 100'000);
}

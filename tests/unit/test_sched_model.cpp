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
    CHECK(ms_spill_budget(&fast, &slow, 0) == 0);
    // 600 kB more waiting: the fast path needs ~130 ms, so the slow one may take what it
    // delivers in the ~80 ms left: ~500 kB at 6.25 MB/s, and not more.
    const uint64_t b = ms_spill_budget(&fast, &slow, 600'000);
    CHECK(b > 400'000);
    CHECK(b < 560'000);
    // What the slow path already holds counts against it.
    ms_path slow_loaded = path(50, 100, 400'000, true);
    CHECK(ms_spill_budget(&fast, &slow_loaded, 600'000) < b / 2);
    // An unmeasured path (no RTT yet) may take up to what the best one needs anyway.
    ms_path fresh{};
    fresh.mss = 1448;
    CHECK(ms_spill_budget(&fast, &fresh, 600'000) == 0);   // no rate: no estimate of bytes
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
    // A deep queue (600 ms RTT under bulk): twice its RTT, capped by its RTO.
    ms_path deep = path(20, 600, 0, true);
    deep.rttvar_us = 200'000;
    CHECK(ms_stall_bound_us(&deep, 100'000) == 800'000);
    deep.since_delivery_us = 700'000;
    CHECK_FALSE(ms_path_stalled(&deep, 100'000));
    deep.since_delivery_us = 900'000;
    CHECK(ms_path_stalled(&deep, 100'000));
    // No RTT sample yet: the floor alone.
    ms_path fresh{};
    fresh.packets_out = 1;
    fresh.since_delivery_us = 150'000;
    CHECK(ms_stall_bound_us(&fresh, 100'000) == 100'000);
    CHECK(ms_path_stalled(&fresh, 100'000));
}

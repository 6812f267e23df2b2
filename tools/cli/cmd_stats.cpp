// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched stats`: per-connection, per-subflow scheduling statistics.
#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/sched/stats.h"

namespace mptcp_sched::cli {

namespace {

int cmd_stats(bool json_out, double watch)
{
    for (;;) {
        auto st = read_stats();
        if (!st)
            return report(st.error());
        if (json_out)
            std::cout << stats_to_json(*st).dump(watch > 0 ? -1 : 2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        else
            std::cout << (watch > 0 ? "\033[H\033[2J" : "") << render_stats(*st) << std::flush;
        // SIGPIPE no longer ends us: a reader that went away (`stats --watch 1 | head`)
        // has to end the loop here.
        if (!std::cout)
            return report(Error::msg("failed to write the statistics: standard output is closed", EPIPE));
        if (watch <= 0)
            return kOk;
        std::this_thread::sleep_for(std::chrono::duration<double>(watch));
    }
}

}  // namespace

void add_stats_command(CLI::App& app, int& rc)
{
    static bool stats_json = false;
    static double stats_watch = 0;
    auto* st = app.add_subcommand("stats", "Per-connection, per-subflow scheduling statistics");
    st->add_flag("--json", stats_json, "print JSON (one document per refresh with --watch)");
    st->add_option("--watch", stats_watch, "refresh every SECS seconds until interrupted")
        ->check(kFinite & CLI::PositiveNumber);
    st->footer("Examples:\n  mptcp-sched stats\n  mptcp-sched stats --watch 1\n"
               "  mptcp-sched stats --json | jq '.[].connections[].subflows'");
    st->callback([&rc] { rc = cmd_stats(stats_json, stats_watch); });
}

}  // namespace mptcp_sched::cli

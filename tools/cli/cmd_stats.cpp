// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched stats`: per-connection, per-subflow scheduling statistics.
#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/sched/stats.h"

namespace mptcp_sched::cli {

namespace {

int cmd_stats(const Paths& paths, bool json_out, double watch, const StatsFilter& filter)
{
    for (;;) {
        auto st = read_stats(paths, filter);
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

void add_stats_command(CLI::App& app, int& rc, const Paths& paths)
{
    static bool stats_json = false;
    static double stats_watch = 0;
    auto* st = app.add_subcommand("stats", "Per-connection, per-subflow scheduling statistics");
    st->add_flag("--json", stats_json, "print JSON (one document per refresh with --watch)");
    st->add_option("--watch", stats_watch, "refresh every SECS seconds until interrupted")
        ->check(kFinite & CLI::PositiveNumber);
    static StatsFilter filter;
    static std::string token;
    st->add_option("--dport", filter.dport, "only connections with a subflow towards PORT")
        ->check(CLI::Range(1, 65535));
    st->add_option("--sport", filter.sport,
                   "only connections with a subflow from local PORT (a server's port)")
        ->check(CLI::Range(1, 65535));
    st->add_option("--conn", token, "only the connection with this MPTCP token (hex, as shown)")
        ->check([](const std::string& v) {
            return !v.empty() && v.size() <= 8 &&
                           v.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos
                       ? std::string()
                       : std::string("a token is 1-8 hex digits, e.g. 3f2a9c01");
        });
    st->add_option("--top", filter.top, "only the N connections that sent the most bytes")
        ->check(CLI::PositiveNumber);
    st->footer("Statistics live with each connection (socket storage of the MPTCP socket) and\n"
               "are read with a BPF iterator: every connection a scheduler runs is there.\n"
               "Examples:\n  mptcp-sched stats\n  mptcp-sched stats --watch 1\n"
               "  mptcp-sched stats --top 10 --sport 443   # a server's busiest connections\n"
               "  mptcp-sched stats --json | jq '.[].connections[].subflows'");
    st->callback([&rc, &paths] {
        if (!token.empty())
            filter.token = static_cast<uint32_t>(std::stoul(token, nullptr, 16));
        rc = cmd_stats(paths, stats_json, stats_watch, filter);
    });
}

}  // namespace mptcp_sched::cli

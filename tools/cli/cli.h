// SPDX-License-Identifier: GPL-2.0
// What the command modules of the CLI share: exit codes, error reporting and the hook each
// module uses to add its subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched::cli {

// Exit codes, documented in README.md and `mptcp-sched --help`.
enum Exit {
    kOk = 0,
    kError = 1,
    kUsage = 2,
    kUnsupportedKernel = 3,
};

// -v: show libbpf's own diagnostics and extra reports.
inline bool g_verbose = false;

// The options of a command that looks into one netns and can answer in JSON.
struct NetnsJsonOpts {
    std::string netns;
    bool json = false;
};

// A --json answer: indented, invalid UTF-8 replaced, one document on stdout.
inline void print_json(const nlohmann::json& j)
{
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

inline int report(const Error& e)
{
    std::cerr << "mptcp-sched: " << e.message << "\n";
    return kError;
}

// Refuses nan and inf, which CLI11's Range and PositiveNumber let through (every
// comparison with nan is false).
inline const CLI::Validator kFinite(
    [](std::string& s) -> std::string {
        try {
            size_t used = 0;
            const double v = std::stod(s, &used);
            if (used == s.size() && std::isfinite(v))
                return "";
        } catch (const std::exception&) {
        }
        return "'" + s + "' is not a finite number";
    },
    "FINITE");

// Runs @f inside netns @ns ("" = here); a failure to enter is reported like any error.
template <typename F>
int in_netns(const Paths& paths, const std::string& ns, F&& f)
{
    auto scope = NetnsScope::enter(paths, ns);
    if (!scope)
        return report(scope.error());
    return f();
}

// Each command module adds its subcommands to @app; a subcommand's callback stores its
// exit code in @rc and passes @paths (read from the environment once, in main.cpp, and
// alive until the command has run) to the library.
// main.cpp calls them in the order of --help; each lives in its cmd_<object>.cpp.
void add_status_command(CLI::App& app, int& rc, const Paths& paths);
void add_scheduler_commands(CLI::App& app, int& rc,
                            const Paths& paths);   // schedulers, load, unload, set, list
void add_stats_command(CLI::App& app, int& rc, const Paths& paths);
void add_rule_command(CLI::App& app, int& rc, const Paths& paths);
void add_path_commands(CLI::App& app, int& rc, const Paths& paths);
void add_demo_command(CLI::App& app, int& rc, const Paths& paths);
void add_conns_command(CLI::App& app, int& rc, const Paths& paths);
void add_doctor_command(CLI::App& app, int& rc, const Paths& paths);
void add_run_command(CLI::App& app, int& rc, const Paths& paths);
void add_bench_command(CLI::App& app, int& rc, const Paths& paths);
void add_trace_command(CLI::App& app, int& rc, const Paths& paths);
void add_new_command(CLI::App& app, int& rc, const Paths& paths);     // a starter scheduler (SDK)
void add_apply_command(CLI::App& app, int& rc, const Paths& paths);   // a declarative configuration

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// mptcp-sched: the command line's entry. Reads the environment once, owns SIGPIPE and the
// last-resort error line, and dispatches to the command modules (cmd_<object>.cpp), which
// parse into plain option structs, call the library and turn errors into one line on
// stderr plus an exit code. Nothing below this file throws into the user's face.
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "cli.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/text.h"

#include <csignal>
#include <exception>
#include <unistd.h>

using namespace mptcp_sched;
using namespace mptcp_sched::cli;

namespace {

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    // libbpf explains failures at length; we report them ourselves in one line and show
    // libbpf's own words only with -v.
    if (!g_verbose)
        return 0;
    (void)level;
    return std::vfprintf(stderr, fmt, args);
}

}  // namespace

namespace {

// Whatever escapes: one line and exit 1, never an abort with a core dump.
[[noreturn]] void on_terminate()
{
    std::string why = "unknown error";
    if (auto e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            why = x.what();
        } catch (...) {
        }
    }
    const std::string line = "mptcp-sched: failed to complete the command: " + printable(why) + "\n";
    (void)!::write(2, line.data(), line.size());
    ::_exit(kError);
}

int run_cli(int argc, char** argv, const Paths& paths);

void on_sigpipe(int) {}

// The environment is read here, once; every command passes these Paths to the library.
Paths paths_from_environment()
{
    Paths p;
    auto take = [](const char* var, std::string& into) {
        if (const char* v = std::getenv(var); v && *v)
            into = v;
    };
    take("MPTCP_SCHED_PIN_ROOT", p.pin_root);
    take("MPTCP_SCHED_SYSCTL_ROOT", p.sysctl_root);
    take("MPTCP_SCHED_NETNS_DIR", p.netns_dir);
    return p;
}

}  // namespace

int main(int argc, char** argv)
{
    std::set_terminate(on_terminate);
    const Paths paths = paths_from_environment();
    // A closed stdout (`mptcp-sched ... | head -1`) must be an error the command sees
    // (EPIPE), not a death that skips its clean-up (pathd restoring the path manager).
    // A handler rather than SIG_IGN: exec resets handlers, so the commands `run` and
    // `bench` start get the default SIGPIPE back, as programs expect.
    struct sigaction sa {};
    sa.sa_handler = on_sigpipe;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPIPE, &sa, nullptr);
    try {
        return run_cli(argc, argv, paths);
    } catch (const std::exception& e) {
        std::cerr << "mptcp-sched: failed to complete the command: " << printable(e.what()) << "\n";
    } catch (...) {
        std::cerr << "mptcp-sched: failed to complete the command: unknown error\n";
    }
    return kError;
}

namespace {

int run_cli(int argc, char** argv, const Paths& paths)
{
    CLI::App app{"mptcp-sched: Multipath TCP packet schedulers and path policy through BPF"};
    app.require_subcommand(1);
    app.add_flag("-v,--verbose", g_verbose, "show libbpf's own diagnostics");
    app.set_version_flag("--version", std::string(MPTCP_SCHED_VERSION));
    app.footer(
        "Exit codes: 0 success (status: BPF scheduler interface present), 1 error,\n"
        "            2 bad usage, 3 status: kernel lacks the BPF scheduler interface.\n"
        "Run `mptcp-sched COMMAND --help` for a command's options and examples.");

    int rc = -1;   // set by the callback of the command that ran
    // In this order in --help.
    for (auto add : {add_status_command, add_scheduler_commands, add_new_command,
                     add_stats_command, add_rule_command, add_apply_command, add_path_commands,
                     add_demo_command, add_conns_command, add_doctor_command, add_run_command,
                     add_bench_command, add_trace_command})
        add(app, rc, paths);
    libbpf_set_print(libbpf_print);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)   // --help, --help-all
            return app.exit(e);
        std::cerr << "mptcp-sched: " << e.what() << "\n"
                  << "Run with --help for usage.\n";
        return kUsage;
    }
    return rc >= 0 ? rc : kUsage;
}

}  // namespace

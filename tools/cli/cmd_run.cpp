// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched run`: a command whose TCP sockets become MPTCP.
#include "cli.h"
#include "signals.h"
#include "mptcp_sched/diag/run.h"

namespace mptcp_sched::cli {

namespace {

struct Opts {
    std::string netns;
    RunOptions run;
};

}  // namespace

void add_run_command(CLI::App& app, int& rc, const Paths& paths)
{
    static Opts o;
    auto* rn = app.add_subcommand("run", "Run a command whose TCP sockets become MPTCP");
    rn->add_option("--cgroup", o.run.cgroup, "use this cgroup v2 (default: a fresh one, removed "
                                             "afterwards)");
    rn->add_option("--netns", o.netns, "run the command in this named network namespace");
    rn->add_flag("--all-processes", o.run.all_processes, "allow --cgroup / (every process on "
                                                         "the machine gets MPTCP sockets)");
    rn->add_option("command", o.run.argv, "the command and its arguments, after --")->required();
    rn->footer("Uses the mainline BPF hook on update_socket_protocol (fmod_ret, Linux >= 6.6):\n"
               "socket(AF_INET/AF_INET6, SOCK_STREAM, 0 or IPPROTO_TCP) made by processes in the\n"
               "cgroup returns an MPTCP socket; nothing outside the cgroup changes; statically\n"
               "linked programs work too. The hook is detached when the command ends; the exit\n"
               "status is the command's.\n"
               "Examples:\n"
               "  mptcp-sched run -- curl -o /dev/null http://192.168.1.10/big\n"
               "  mptcp-sched run --netns client -- python3 client.py");
    rn->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            StopSignals stop({SIGINT, SIGTERM, SIGHUP});
            o.run.stop = stop.token();
            auto r = run_with_mptcp(o.run);
            if (!r)
                return report(r.error());
            if (!r->start_error.empty())
                std::cerr << "mptcp-sched: " << r->start_error << "\n";
            if (!r->cgroup_left.empty())
                std::cerr << "mptcp-sched: failed to remove the cgroup " << r->cgroup_left << "\n";
            if (g_verbose)
                std::cerr << "mptcp-sched: run: " << r->mptcpified << " socket(s) made MPTCP in "
                          << r->cgroup << "\n";
            return r->status;
        });
    });
}

}  // namespace mptcp_sched::cli

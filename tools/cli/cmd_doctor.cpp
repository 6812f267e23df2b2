// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched doctor`: checks of an MPTCP set-up, each with the command that fixes it.
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/diag/doctor.h"

namespace mptcp_sched::cli {

void add_doctor_command(CLI::App& app, int& rc, const Paths& paths)
{
    static NetnsJsonOpts o;
    auto* dr = app.add_subcommand("doctor", "Check an MPTCP set-up; print the command that "
                                            "fixes each problem");
    dr->add_option("--netns", o.netns, "named network namespace (default: current)");
    dr->add_flag("--json", o.json, "print JSON");
    dr->footer("Checks: MPTCP enabled; limits against endpoints; each endpoint's interface up\n"
               "and its per-source route (when endpoints span interfaces); rp_filter; fallback\n"
               "counters (MPTcpExt *Fallback*: peers or middleboxes stripping MPTCP); the\n"
               "selected scheduler is registered. Exit 1 while any check fails.");
    dr->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, [&paths]() -> int {
            auto checks = run_doctor(paths, o.netns);
            if (o.json)
                print_json(doctor_json(checks));
            else
                std::cout << render_doctor(checks);
            return doctor_failed(checks) ? kError : kOk;
        });
    });
}

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched status`: what this kernel and netns offer, as a table or JSON.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/diag/status.h"
#include "mptcp_sched/sched/btf_probe.h"

namespace mptcp_sched::cli {

namespace {

struct StatusOpts {
    bool json = false;
    std::string netns;
    std::string btf;
};

int cmd_status(const Paths& paths, const StatusOpts& o)
{
    auto st = collect_status(paths, o.netns);
    if (!st)
        return report(st.error());
    if (!o.btf.empty()) {
        auto p = probe_btf_file(o.btf);
        if (!p)
            return report(p.error());
        st->bpf = std::move(*p);
        st->bpf_error.clear();
    }
    if (o.json)
        print_json(to_json(*st));
    else
        std::cout << render_status(*st);
    return st->bpf_sched_supported() ? kOk : kUnsupportedKernel;
}

}  // namespace

void add_status_command(CLI::App& app, int& rc, const Paths& paths)
{
    static StatusOpts status;
    auto* s = app.add_subcommand("status", "Report MPTCP and BPF scheduler support of this kernel");
    s->add_flag("--json", status.json, "print JSON instead of a table");
    s->add_option("--netns", status.netns, "read sysctls, limits and endpoints in this named "
                                           "network namespace (ip netns)");
    s->add_option("--btf", status.btf, "probe this BTF file (raw or ELF) instead of "
                                       "/sys/kernel/btf/vmlinux")
        ->check(CLI::ExistingFile);
    s->footer(
        "Examples:\n"
        "  mptcp-sched status                 # table for the current netns\n"
        "  mptcp-sched status --json | jq .bpf_scheduler_interface.missing\n"
        "  mptcp-sched status --netns client  # MPTCP settings inside netns 'client'\n"
        "Exit code 3 means the kernel cannot run BPF schedulers; the table names\n"
        "each missing piece (struct_ops type, kfuncs).");
    s->callback([&rc, &paths] { rc = cmd_status(paths, status); });
}

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// mptcp-sched: the command line. Parses into plain option structs, calls the library, and
// turns errors into one line on stderr plus an exit code. Nothing below this file throws
// into the user's face.
#include <bpf/libbpf.h>

#include <CLI/CLI.hpp>
#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mptcp_sched/btf_probe.h"
#include "mptcp_sched/schedulers.h"
#include "mptcp_sched/status.h"

using namespace mptcp_sched;

namespace {

// Exit codes, documented in README.md and `mptcp-sched --help`.
enum Exit {
    kOk = 0,
    kError = 1,
    kUsage = 2,
    kUnsupportedKernel = 3,
};

bool g_verbose = false;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args)
{
    // libbpf explains failures at length; we report them ourselves in one line and show
    // libbpf's own words only with -v.
    if (!g_verbose)
        return 0;
    (void)level;
    return std::vfprintf(stderr, fmt, args);
}

int report(const Error& e)
{
    std::cerr << "mptcp-sched: " << e.message << "\n";
    return kError;
}

struct StatusOpts {
    bool json = false;
    std::string netns;
    std::string btf;
};

int cmd_status(const StatusOpts& o)
{
    auto st = collect_status(o.netns);
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
        std::cout << to_json(*st).dump(2) << "\n";
    else
        std::cout << render_status(*st);
    return st->bpf_sched_supported() ? kOk : kUnsupportedKernel;
}

struct SchedulersOpts {
    bool json = false;
};

int cmd_schedulers(const SchedulersOpts& o)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : builtin_schedulers()) {
        auto info = inspect_object(s.object, s.name);
        if (!info)
            return report(info.error());
        std::string registered = info->ops.empty() ? "" : info->ops.front().sched_name;
        if (o.json) {
            arr.push_back({{"name", s.aliases.front()},
                           {"aliases", s.aliases},
                           {"registers_as", registered},
                           {"source", s.source},
                           {"summary", s.summary},
                           {"object_bytes", s.object.size()},
                           {"programs", info->programs},
                           {"tunables", info->tunables}});
            continue;
        }
        std::string aliases;
        for (size_t i = 1; i < s.aliases.size(); i++)
            aliases += (aliases.empty() ? "" : ", ") + s.aliases[i];
        std::string tunables;
        for (const auto& t : info->tunables)
            tunables += (tunables.empty() ? "" : ", ") + t;
        std::cout << s.aliases.front() << "  (registers as " << registered
                  << (aliases.empty() ? "" : "; also: " + aliases) << ")\n"
                  << "    " << s.summary << "\n"
                  << "    policy and failure behaviour: " << s.source << "\n"
                  << "    tunables: " << (tunables.empty() ? "-" : tunables) << "\n";
    }
    if (o.json)
        std::cout << arr.dump(2) << "\n";
    return kOk;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"mptcp-sched: Multipath TCP packet schedulers and path policy through BPF"};
    app.require_subcommand(1);
    app.add_flag("-v,--verbose", g_verbose, "show libbpf's own diagnostics");
    app.footer(
        "Exit codes: 0 success (status: BPF scheduler interface present), 1 error,\n"
        "            2 bad usage, 3 status: kernel lacks the BPF scheduler interface.\n"
        "Run `mptcp-sched COMMAND --help` for a command's options and examples.");

    StatusOpts status;
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

    SchedulersOpts scheds;
    auto* sc = app.add_subcommand("schedulers", "List the BPF schedulers built into this binary");
    sc->add_flag("--json", scheds.json, "print JSON");
    sc->footer(
        "Examples:\n"
        "  mptcp-sched schedulers\n"
        "  mptcp-sched schedulers --json | jq '.[].registers_as'\n"
        "Each scheduler's policy, assumptions and failure behaviour are described at the\n"
        "top of its source file (schedulers/*.bpf.c).");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)   // --help, --help-all
            return app.exit(e);
        std::cerr << "mptcp-sched: " << e.what() << "\n"
                  << "Run with --help for usage.\n";
        return kUsage;
    }
    libbpf_set_print(libbpf_print);

    if (s->parsed())
        return cmd_status(status);
    if (sc->parsed())
        return cmd_schedulers(scheds);
    return kUsage;
}

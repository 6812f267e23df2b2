// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched new NAME [--dir D]`: a starter scheduler that builds against the installed SDK.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "mptcp_sched/sched/starter.h"

namespace mptcp_sched::cli {

namespace {

struct NewOpts {
    std::string name;
    std::string dir;   // "" = ./NAME
};

// The prefix this binary was installed under (PREFIX/bin/mptcp-sched): the SDK's headers
// are in PREFIX/include. A build tree's binary (build/mptcp-sched) finds the source tree's.
std::string own_prefix()
{
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        return "/usr/local";
    return exe.parent_path().parent_path().string();
}

int cmd_new(const NewOpts& o)
{
    if (auto ok = check_starter_name(o.name); !ok) {
        std::cerr << "mptcp-sched: " << ok.error().message << "\n";
        return kUsage;
    }
    const std::string prefix = own_prefix();
    auto files = starter_files(o.name, prefix);
    if (!files)
        return report(files.error());
    const std::string dir = o.dir.empty() ? o.name : o.dir;
    auto written = write_starter(dir, *files);
    if (!written)
        return report(written.error());
    for (const auto& p : *written)
        std::cout << "wrote " << p << "\n";
    const std::string sdk = prefix + "/include/mptcp_sched/bpf/mptcp_sched.bpf.h";
    if (::access(sdk.c_str(), R_OK) != 0)
        std::cout << "note: the BPF SDK is not installed at " << prefix
                  << "/include (install it, or run make MPTCP_SCHED_PREFIX=...)\n";
    std::cout << "build: make -C " << dir << "; load: mptcp-sched load " << dir << "/" << o.name
              << ".bpf.o --set\n";
    return kOk;
}

}  // namespace

void add_new_command(CLI::App& app, int& rc, const Paths&)
{
    static NewOpts o;
    auto* n = app.add_subcommand("new", "Write a starter scheduler NAME.bpf.c with its Makefile "
                                        "and CMakeLists.txt");
    n->add_option("name", o.name, "scheduler name: letters, digits and _, at most 15")->required();
    n->add_option("--dir", o.dir, "directory to write into (default: ./NAME; created if missing)");
    n->footer(
        "The starter is a complete, commented scheduler (lowest-RTT subflow with room, backups\n"
        "only when no primary is active) that keeps the statistics `mptcp-sched stats` shows.\n"
        "It builds against the installed SDK (PREFIX/include/mptcp_sched/bpf). Existing files\n"
        "are never overwritten.\n"
        "Examples:\n"
        "  mptcp-sched new my_sched && make -C my_sched\n"
        "  mptcp-sched load my_sched/my_sched.bpf.o --set\n"
        "  mptcp-sched new lowrtt --dir ~/src/lowrtt");
    n->callback([&rc] { rc = cmd_new(o); });
}

}  // namespace mptcp_sched::cli

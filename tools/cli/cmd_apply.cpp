// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched apply FILE [--dry-run] [--json]`: make the system match a declarative config.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/config/apply.h"

namespace mptcp_sched::cli {

namespace {

struct ApplyOpts {
    std::string file;
    bool dry_run = false;
    bool json = false;
};

// A configuration that can never apply is bad usage (exit 2), like a bad option.
int config_error(const Error& e)
{
    std::cerr << "mptcp-sched: " << e.message << "\n";
    return kUsage;
}

int cmd_apply(const Paths& paths, const ApplyOpts& o)
{
    auto text = read_regular_file(o.file, 4u << 20, "failed to read " + o.file);
    if (!text)
        return report(text.error());
    auto config = parse_config(*text, o.file);
    if (!config)
        return config_error(config.error());
    auto desired = resolve(paths, *config);
    if (!desired)
        return desired.error().code == EINVAL || desired.error().code == ERANGE
                   ? config_error(desired.error())
                   : report(desired.error());
    auto current = gather(paths, *desired);
    if (!current)
        return report(current.error());
    auto actions = diff(*desired, *current);
    if (!actions)
        return config_error(actions.error());
    std::vector<Action> done;
    int rc = kOk;
    Error failure;
    if (o.dry_run) {
        done = *actions;
    } else if (auto r = execute(paths, *actions)) {
        done = *r;
    } else {
        failure = r.error();
        rc = kError;
    }
    if (o.json) {
        nlohmann::json changes = nlohmann::json::array();
        for (const auto& a : done)
            changes.push_back(to_json(a));
        nlohmann::json j = {{"file", o.file}, {"dry_run", o.dry_run}, {"changes", changes}};
        if (rc != kOk)
            j["error"] = failure.message;
        print_json(j);
    } else {
        for (const auto& a : done)
            std::cout << (o.dry_run ? "would " : "") << a.describe() << "\n";
        if (done.empty() && rc == kOk)
            std::cout << "nothing changed\n";
        else if (o.dry_run)
            std::cout << done.size() << " change(s) needed (dry run: nothing changed)\n";
        else if (rc == kOk)
            std::cout << done.size() << " change(s) made\n";
    }
    if (rc != kOk)
        return report(failure);
    return kOk;
}

}  // namespace

void add_apply_command(CLI::App& app, int& rc, const Paths& paths)
{
    static ApplyOpts o;
    auto* a = app.add_subcommand("apply", "Make the system match a configuration file "
                                          "(schedulers, rules, selection, endpoints, limits)");
    a->add_option("file", o.file, "JSON configuration (e.g. /etc/mptcp-sched/config.json)")
        ->required();
    a->add_flag("--dry-run", o.dry_run, "print what would change, change nothing");
    a->add_flag("--json", o.json, "print the changes as JSON");
    a->footer(
        "The file (every key optional; a part that is absent is left as it is):\n"
        "  {\"schedulers\": [{\"load\": \"roundrobin\", \"tunables\": {\"rr_quantum\": 16384}},\n"
        "                  {\"load\": \"rules\"}, {\"load\": \"/etc/mptcp-sched/my.bpf.o\"}],\n"
        "   \"rules\": {\"default\": \"minrtt\", \"list\": [{\"policy\": \"redundant\", \"dport\": 5001}]},\n"
        "   \"netns\": [{\"scheduler\": \"rules\", \"limits\": {\"subflows\": 2, \"add_addr_accepted\": 2},\n"
        "              \"endpoints\": [{\"addr\": \"10.0.2.1\", \"dev\": \"eth1\", \"flags\": [\"subflow\"]}]},\n"
        "             {\"name\": \"client\", \"scheduler\": \"minrtt\"}]}\n"
        "\"schedulers\" lists exactly the schedulers mptcp-sched keeps loaded (others it loaded\n"
        "are unloaded; a changed tunable reloads); \"rules\" is the whole rule table; a netns\n"
        "entry without \"name\" is the current one, and its \"endpoints\" are all its endpoints.\n"
        "Each change is printed; a second apply of the same file prints \"nothing changed\".\n"
        "Exit codes: 0 done, 1 a change failed (the ones before it are made), 2 invalid file.\n"
        "At boot: systemctl enable mptcp-sched-apply.service (reads /etc/mptcp-sched/config.json).");
    a->callback([&rc, &paths] { rc = cmd_apply(paths, o); });
}

}  // namespace mptcp_sched::cli

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched rule`: the per-connection rules of the rules scheduler.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/sched/rules.h"

namespace mptcp_sched::cli {

namespace {

struct RuleOpts {
    RuleSpec spec;
    std::optional<uint32_t> before;
    std::vector<uint32_t> ids;
    bool json = false;
};

std::string rule_line(const ms_rule& r)
{
    return "rule " + std::to_string(r.id) + ": " + describe_match(r) + " -> " +
           policy_name(r.policy);
}

int cmd_rule_add(const Paths& paths, const RuleOpts& o)
{
    auto rule = build_rule(o.spec);
    if (!rule)
        return report(rule.error());
    auto added = add_rule(paths, *rule, o.before);
    if (!added)
        return report(added.error());
    if (o.json)
        print_json(rule_to_json(*added));
    else
        std::cout << "added " << rule_line(*added) << " (applies to new connections)\n";
    return kOk;
}

int cmd_rule_del(const Paths& paths, const RuleOpts& o)
{
    auto gone = delete_rules(paths, o.ids);
    if (!gone)
        return report(gone.error());
    for (const auto& r : *gone)
        std::cout << "deleted " << rule_line(r) << "\n";
    return kOk;
}

int cmd_rule_list(const Paths& paths, const RuleOpts& o)
{
    auto t = read_rules(paths);
    if (!t)
        return report(t.error());
    if (o.json) {
        print_json(to_json(*t));
        return kOk;
    }
    std::printf("%-4s %-11s %s\n", "ID", "POLICY", "MATCH (first match wins, top to bottom)");
    for (const auto& r : t->rules)
        std::printf("%-4u %-11s %s\n", r.id, policy_name(r.policy), describe_match(r).c_str());
    std::printf("%-4s %-11s %s\n", "-", policy_name(t->default_policy),
                "every other connection (rule default)");
    return kOk;
}

int cmd_rule_flush(const Paths& paths)
{
    auto n = flush_rules(paths);
    if (!n)
        return report(n.error());
    std::cout << "deleted " << *n << " rule(s)\n";
    return kOk;
}

int cmd_rule_default(const Paths& paths, const std::string& name)
{
    auto p = parse_policy(name);
    if (!p)
        return report(p.error());
    if (auto ok = set_default_policy(paths, *p); !ok)
        return report(ok.error());
    std::cout << "default policy: " << policy_name(*p) << " (for new connections no rule "
              << "matches)\n";
    return kOk;
}

}  // namespace

void add_rule_command(CLI::App& app, int& rc, const Paths& paths)
{
    static RuleOpts rule;
    static std::string rule_default;
    auto* ru = app.add_subcommand("rule", "Per-connection policy rules of the rules scheduler");
    ru->require_subcommand(1);
    ru->footer(
        "The rules scheduler (`mptcp-sched load rules --set`) gives each new connection the\n"
        "policy of the first rule it matches, else the default policy; the choice is made at\n"
        "the connection's first scheduling decision and kept for its life, so rule changes\n"
        "apply to new connections only. Ports and addresses are seen from the sending side.\n"
        "Examples:\n"
        "  mptcp-sched load rules --set\n"
        "  mptcp-sched rule add redundant --dport 5001\n"
        "  mptcp-sched rule add rr --dport 6000-6010 --dst 10.0.0.0/8\n"
        "  mptcp-sched rule add backup --cgroup /system.slice/backup.service\n"
        "  mptcp-sched rule add redundant --mark 0x10/0xf0 --before 1\n"
        "  mptcp-sched rule list\n"
        "  mptcp-sched rule default minrtt\n"
        "  mptcp-sched rule del 2");
    auto* ra = ru->add_subcommand("add", "Add a rule (at the end, or before rule ID)");
    ra->add_option("policy", rule.spec.policy, "minrtt, roundrobin (rr), redundant, backup")
        ->required();
    ra->add_option("--dport", rule.spec.dport, "destination port or range LOW-HIGH");
    ra->add_option("--sport", rule.spec.sport, "source port or range LOW-HIGH");
    ra->add_option("--dst", rule.spec.dst, "destination prefix, IPv4 or IPv6 (ADDR[/LEN])");
    ra->add_option("--src", rule.spec.src, "source prefix, IPv4 or IPv6 (ADDR[/LEN])");
    ra->add_option("--cgroup", rule.spec.cgroup,
                   "cgroup v2 directory of the creating process, or one above it");
    ra->add_option("--mark", rule.spec.mark, "socket mark MARK[/MASK] (SO_MARK)");
    ra->add_option("--before", rule.before, "insert before rule ID (default: at the end)");
    ra->add_flag("--json", rule.json, "print the added rule as JSON");
    ra->footer("All the matches given must hold. At most " + std::to_string(MS_MAX_RULES) +
               " rules; a rule matching exactly what another matches is refused.");
    auto* rd = ru->add_subcommand("del", "Delete rules by id");
    rd->add_option("id", rule.ids, "rule id(s), from `mptcp-sched rule list`")->required();
    auto* rl = ru->add_subcommand("list", "Show the rules in match order and the default");
    rl->add_flag("--json", rule.json, "print JSON");
    auto* rf = ru->add_subcommand("flush", "Delete every rule (the default policy stays)");
    auto* rdef = ru->add_subcommand("default", "Set the policy for connections no rule matches");
    rdef->add_option("policy", rule_default, "minrtt, roundrobin (rr), redundant, backup")
        ->required();
    ra->callback([&rc, &paths] { rc = cmd_rule_add(paths, rule); });
    rd->callback([&rc, &paths] { rc = cmd_rule_del(paths, rule); });
    rl->callback([&rc, &paths] { rc = cmd_rule_list(paths, rule); });
    rf->callback([&rc, &paths] { rc = cmd_rule_flush(paths); });
    rdef->callback([&rc, &paths] { rc = cmd_rule_default(paths, rule_default); });
}

}  // namespace mptcp_sched::cli

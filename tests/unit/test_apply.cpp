// SPDX-License-Identifier: GPL-2.0
// `apply`: the strict parser and the pure diff between a desired and a current state.
#include <linux/mptcp.h>

#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "mptcp_sched/config/apply.h"
#include "mptcp_sched/sched/rules.h"

using namespace mptcp_sched;

namespace {

std::string parse_error(const std::string& text)
{
    auto c = parse_config(text, "cfg.json");
    REQUIRE_FALSE(c);
    CHECK(c.error().code == EINVAL);
    CHECK(c.error().message.find('\n') == std::string::npos);
    return c.error().message;
}

SchedulerState sched(const std::string& name, std::map<std::string, uint64_t> t = {})
{
    SchedulerState s;
    s.name = name;
    s.source = name;
    s.tunables = std::move(t);
    return s;
}

std::vector<std::string> kinds(const std::vector<Action>& as)
{
    static const char* const k[] = {"unload", "load", "rules", "select", "limits", "del", "add"};
    std::vector<std::string> out;
    for (const auto& a : as)
        out.push_back(k[a.kind]);
    return out;
}

NetnsState netns(const std::string& name)
{
    NetnsState n;
    n.name = name;
    return n;
}

EndpointState ep(const std::string& addr, uint32_t flags, int ifindex, const std::string& dev,
                 uint32_t id = 0)
{
    EndpointState e;
    e.addr = addr;
    e.flags = flags;
    e.ifindex = ifindex;
    e.dev = dev;
    e.id = id;
    return e;
}

// The system after @actions, as the executor would leave it: the test's model of the kernel.
State after(State cur, const std::vector<Action>& actions)
{
    if (!cur.schedulers)
        cur.schedulers.emplace();
    for (const auto& a : actions) {
        auto& s = *cur.schedulers;
        NetnsState* n = nullptr;
        for (auto& x : cur.netns)
            if (x.name == a.netns)
                n = &x;
        if (!n && (a.kind >= Action::kSelect)) {
            cur.netns.push_back(netns(a.netns));
            n = &cur.netns.back();
        }
        switch (a.kind) {
        case Action::kUnload:
            std::erase_if(s, [&](const SchedulerState& x) { return x.name == a.name; });
            if (a.name == "ms_rules")
                cur.rules.reset();
            break;
        case Action::kLoad:
            s.push_back(a.sched);
            if (a.sched.name == "ms_rules")
                cur.rules = RulesState();
            break;
        case Action::kRules:
            cur.rules = a.rules;
            break;
        case Action::kSelect:
            n->scheduler = a.name;
            break;
        case Action::kLimits:
            if (a.subflows)
                n->subflows = a.subflows;
            if (a.add_addr_accepted)
                n->add_addr_accepted = a.add_addr_accepted;
            break;
        case Action::kDelEndpoint:
            std::erase_if(*n->endpoints, [&](const EndpointState& e) { return e.id == a.endpoint.id; });
            break;
        case Action::kAddEndpoint: {
            if (!n->endpoints)
                n->endpoints.emplace();
            EndpointState e = a.endpoint;
            e.id = e.id ? e.id : static_cast<uint32_t>(100 + n->endpoints->size());
            n->endpoints->push_back(e);
            break;
        }
        }
    }
    return cur;
}

ms_rule rule(const std::string& policy, const std::string& dport)
{
    RuleSpec s;
    s.policy = policy;
    s.dport = dport;
    auto r = build_rule(s);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("apply: a complete configuration parses", "[apply]")
{
    auto c = parse_config(R"({
        "schedulers": [{"load": "roundrobin", "tunables": {"rr_quantum": 16384, "ms_stats_enabled": false}},
                       {"load": "rules"}],
        "rules": {"default": "backup", "list": [{"policy": "redundant", "dport": 5001},
                                                 {"policy": "rr", "dst": "10.0.0.0/8", "mark": "0x10/0xf0"}]},
        "netns": [{"scheduler": "rules", "limits": {"subflows": 2, "add_addr_accepted": 1},
                   "endpoints": [{"addr": "10.0.2.1", "dev": "cli2", "flags": ["subflow", "backup"], "port": 0}]},
                  {"name": "client", "scheduler": "minrtt"}]})", "cfg.json");
    REQUIRE(c);
    REQUIRE(c->schedulers);
    REQUIRE(c->schedulers->size() == 2);
    CHECK((*c->schedulers)[0].tunables.at("rr_quantum") == 16384);
    CHECK((*c->schedulers)[0].tunables.at("ms_stats_enabled") == 0);
    REQUIRE(c->rules);
    CHECK(c->rules->default_policy == "backup");
    CHECK(c->rules->rules[0].dport == "5001");
    CHECK(c->rules->rules[1].mark == "0x10/0xf0");
    REQUIRE(c->netns.size() == 2);
    CHECK(c->netns[0].name.empty());
    CHECK(c->netns[0].subflows == 2u);
    CHECK(c->netns[0].endpoints->at(0).flags == std::vector<std::string>{"subflow", "backup"});
    CHECK(c->netns[1].name == "client");
    CHECK_FALSE(c->netns[1].endpoints);   // absent: not managed
    CHECK(parse_config("{}", "x") );
}

TEST_CASE("apply: unknown keys and wrong types are one-line errors with their path", "[apply]")
{
    CHECK(parse_error(R"({"schedulerz": []})").find("cfg.json: .: unknown key \"schedulerz\"") == 0);
    CHECK(parse_error(R"({"schedulers": {"load": "rr"}})") .find(".schedulers: expected an array") != std::string::npos);
    CHECK(parse_error(R"({"schedulers": [{"load": 5}]})").find(".schedulers[0].load: expected a string") != std::string::npos);
    CHECK(parse_error(R"({"schedulers": [{"tunables": {}}]})").find(".schedulers[0]: missing \"load\"") != std::string::npos);
    CHECK(parse_error(R"({"schedulers": [{"load": "rr", "tunables": {"rr_quantum": -1}}]})")
              .find(".schedulers[0].tunables.rr_quantum: expected an unsigned integer") != std::string::npos);
    CHECK(parse_error(R"({"schedulers": [{"load": "rr", "tunables": {"rr_quantum": "1"}}]})")
              .find("expected an unsigned integer") != std::string::npos);
    CHECK(parse_error(R"({"netns": [{"limits": {"subflows": 9}}]})")
              .find(".netns[0].limits.subflows: 9 is out of range (at most 8)") != std::string::npos);
    CHECK(parse_error(R"({"netns": [{"limits": {"subflow": 2}}]})")
              .find(".netns[0].limits: unknown key \"subflow\"") != std::string::npos);
    CHECK(parse_error(R"({"netns": [{"endpoints": [{"dev": "eth0"}]}]})")
              .find(".netns[0].endpoints[0]: missing \"addr\"") != std::string::npos);
    CHECK(parse_error(R"({"netns": [{"endpoints": [{"addr": "10.0.0.1", "flags": "subflow"}]}]})")
              .find(".netns[0].endpoints[0].flags: expected an array of strings") != std::string::npos);
    CHECK(parse_error(R"({"netns": [{"scheduler": "rr"}, {"scheduler": "rr"}]})")
              .find(".netns[1].name: the current namespace (no name) is given twice") != std::string::npos);
    CHECK(parse_error(R"({"rules": {"list": [{"dport": 1}]}})").find(".rules.list[0]: missing \"policy\"") != std::string::npos);
    CHECK(parse_error(R"({"rules": {"list": [{"policy": "rr", "sportt": 1}]}})").find("unknown key \"sportt\"") != std::string::npos);
    CHECK(parse_error("[1, 2]").find("expected an object") != std::string::npos);
    CHECK(parse_error("{\"netns\": ").find("cfg.json") == 0);
}

TEST_CASE("apply diff: loads what is missing, unloads what is not wanted, nothing when equal", "[apply]")
{
    State want, cur;
    want.schedulers = {sched("ms_rr", {{"rr_quantum", 16384}}), sched("ms_minrtt")};
    cur.schedulers = {sched("ms_red"), sched("ms_minrtt")};
    auto a = diff(want, cur);
    REQUIRE(a);
    CHECK(kinds(*a) == std::vector<std::string>{"unload", "load"});
    CHECK((*a)[0].name == "ms_red");
    CHECK((*a)[1].sched.name == "ms_rr");
    CHECK((*a)[1].describe() == "load ms_rr (ms_rr) rr_quantum=16384");
    auto again = diff(want, after(cur, *a));
    REQUIRE(again);
    CHECK(again->empty());
}

TEST_CASE("apply diff: a changed tunable reloads, an unknown one too", "[apply]")
{
    State want, cur;
    want.schedulers = {sched("ms_rr", {{"rr_quantum", 16384}, {"ms_stats_enabled", 1}})};
    // The current rodata holds more than the tunables (ms_v4mapped ...): ignored.
    cur.schedulers = {sched("ms_rr", {{"rr_quantum", 65428}, {"ms_stats_enabled", 1}, {"other", 7}})};
    auto a = diff(want, cur);
    REQUIRE(a);
    CHECK(kinds(*a) == std::vector<std::string>{"unload", "load"});
    CHECK((*a)[0].describe().find("rr_quantum 65428 -> 16384") != std::string::npos);
    CHECK(diff(want, after(cur, *a))->empty());

    cur.schedulers = {sched("ms_rr", {{"rr_quantum", 16384}, {"ms_stats_enabled", 1}})};
    CHECK(diff(want, cur)->empty());
    (*cur.schedulers)[0].tunables_known = false;
    CHECK(kinds(*diff(want, cur)) == std::vector<std::string>{"unload", "load"});
}

TEST_CASE("apply diff: schedulers not mentioned are left alone", "[apply]")
{
    State want, cur;
    cur.schedulers = {sched("ms_red")};
    NetnsState n = netns("");
    n.scheduler = "ms_red";
    want.netns = {n};
    NetnsState c = netns("");
    c.scheduler = "default";
    c.available = {"default", "ms_red"};
    cur.netns = {c};
    auto a = diff(want, cur);
    REQUIRE(a);
    CHECK(kinds(*a) == std::vector<std::string>{"select"});
    CHECK((*a)[0].describe() == "select ms_red in the current netns");
    CHECK(diff(want, after(cur, *a))->empty());
}

TEST_CASE("apply diff: selections must be registered afterwards", "[apply]")
{
    State want, cur;
    want.schedulers = std::vector<SchedulerState>{};   // unload all of ours
    cur.schedulers = {sched("ms_rr")};
    NetnsState n = netns("client");
    n.scheduler = "ms_rr";
    want.netns = {n};
    NetnsState c = netns("client");
    c.available = {"default", "ms_rr"};
    c.scheduler = "ms_rr";
    cur.netns = {c};
    auto a = diff(want, cur);
    REQUIRE_FALSE(a);
    CHECK(a.error().message.find("failed to select ms_rr in netns client: it will not be registered") == 0);
    // The kernel's own default is always fine.
    want.netns[0].scheduler = "default";
    auto b = diff(want, cur);
    REQUIRE(b);
    CHECK(kinds(*b) == std::vector<std::string>{"unload", "select"});
}

TEST_CASE("apply diff: rules need the rules scheduler and are replaced as a whole", "[apply]")
{
    State want, cur;
    RulesState r;
    r.default_policy = MS_POLICY_BACKUP;
    r.rules = {rule("redundant", "5001"), rule("rr", "5002")};
    want.rules = r;
    cur.schedulers = std::vector<SchedulerState>{};
    auto bad = diff(want, cur);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("rules scheduler, which is not loaded") != std::string::npos);

    want.schedulers = {sched("ms_rules")};
    auto a = diff(want, cur);
    REQUIRE(a);
    CHECK(kinds(*a) == std::vector<std::string>{"load", "rules"});
    State now = after(cur, *a);
    CHECK(diff(want, now)->empty());

    // Same rules with other ids are equal; another order is not.
    now.rules->rules[0].id = 41;
    CHECK(diff(want, now)->empty());
    std::swap(now.rules->rules[0], now.rules->rules[1]);
    CHECK(kinds(*diff(want, now)) == std::vector<std::string>{"rules"});
    std::swap(now.rules->rules[0], now.rules->rules[1]);
    now.rules->default_policy = MS_POLICY_MINRTT;
    CHECK(kinds(*diff(want, now)) == std::vector<std::string>{"rules"});

    // Reloading ms_rules (a tunable changed) empties its table: the rules follow the load.
    now.rules->default_policy = MS_POLICY_BACKUP;
    want.schedulers = {sched("ms_rules", {{"rr_quantum", 1000}})};
    CHECK(kinds(*diff(want, now)) == std::vector<std::string>{"unload", "load", "rules"});
}

TEST_CASE("apply diff: limits and endpoints of a namespace", "[apply]")
{
    State want, cur;
    NetnsState n = netns("ms-cli");
    n.subflows = 2;
    EndpointState keep = ep("10.0.2.1", MPTCP_PM_ADDR_FLAG_SUBFLOW, 3, "cli2");
    EndpointState add = ep("10.0.3.1", MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP, 4, "cli3");
    n.endpoints = std::vector<EndpointState>{keep, add};
    want.netns = {n};

    NetnsState c = netns("ms-cli");
    c.subflows = 0;
    c.add_addr_accepted = 4;
    EndpointState k = keep;
    k.id = 1;
    EndpointState stale = ep("10.0.9.1", MPTCP_PM_ADDR_FLAG_SIGNAL, 0, "", 2);
    EndpointState implicit = ep("10.0.1.2", MPTCP_PM_ADDR_FLAG_IMPLICIT, 0, "", 9);
    // Same address, another flag: removed and added again.
    EndpointState changed = add;
    changed.flags = MPTCP_PM_ADDR_FLAG_SUBFLOW;
    changed.id = 5;
    c.endpoints = std::vector<EndpointState>{k, stale, implicit, changed};
    cur.netns = {c};

    auto a = diff(want, cur);
    REQUIRE(a);
    CHECK(kinds(*a) == std::vector<std::string>{"limits", "del", "del", "add"});
    CHECK((*a)[0].describe() == "limits in netns ms-cli: subflows 2");   // add_addr_accepted not managed
    CHECK((*a)[1].endpoint.id == 2);
    CHECK((*a)[2].endpoint.id == 5);
    CHECK((*a)[3].describe() == "add endpoint 10.0.3.1 dev cli3 subflow backup in netns ms-cli");
    State now = after(cur, *a);
    auto again = diff(want, now);
    REQUIRE(again);
    CHECK(again->empty());
    // An id the config names must match.
    want.netns[0].endpoints->at(0).id = 7;
    CHECK(kinds(*diff(want, now)) == std::vector<std::string>{"del", "add"});
}

TEST_CASE("apply diff: actions come out as JSON", "[apply]")
{
    Action a{Action::kLoad};
    a.sched = sched("ms_rr", {{"rr_quantum", 1}});
    auto j = to_json(a);
    CHECK(j["action"] == "load");
    CHECK(j["scheduler"] == "ms_rr");
    CHECK(j["tunables"]["rr_quantum"] == 1);
}

TEST_CASE("apply resolve: a built-in's tunables are its defaults with the config's values", "[apply]")
{
    const Paths paths;
    Config c;
    c.schedulers = std::vector<SchedulerConfig>{{"rr", {{"rr_quantum", 16384}}}, {"minrtt", {}}};
    auto s = resolve(paths, c);
    REQUIRE(s);
    REQUIRE(s->schedulers->size() == 2);
    const auto& rr = (*s->schedulers)[0];
    CHECK(rr.name == "ms_rr");
    CHECK(rr.source == "rr");
    CHECK(rr.tunables == std::map<std::string, uint64_t>{{"ms_stats_enabled", 1}, {"rr_quantum", 16384}});
    CHECK((*s->schedulers)[1].tunables == std::map<std::string, uint64_t>{{"ms_stats_enabled", 1}});

    c.schedulers = std::vector<SchedulerConfig>{{"minrtt", {{"rr_quantum", 1}}}};
    auto bad = resolve(paths, c);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == EINVAL);
    CHECK(bad.error().message == "invalid configuration: scheduler \"minrtt\" has no tunable "
                                 "\"rr_quantum\" (tunables: ms_stats_enabled)");
    c.schedulers = std::vector<SchedulerConfig>{{"rr", {{"rr_quantum", 1ull << 32}}}};
    CHECK(resolve(paths, c).error().code == ERANGE);
    c.schedulers = std::vector<SchedulerConfig>{{"rr", {}}, {"roundrobin", {}}};
    CHECK(resolve(paths, c).error().message.find("ms_rr is loaded twice") != std::string::npos);
    c.schedulers = std::vector<SchedulerConfig>{{"nosuch", {}}};
    CHECK(resolve(paths, c).error().message.find("unknown scheduler") != std::string::npos);
}

// SPDX-License-Identifier: GPL-2.0
// pathd's policies as decisions: a hand-made state and an event in, the actions out (no
// netlink, no namespace).
#include <catch2/catch_test_macros.hpp>

#include <linux/mptcp_pm.h>
#include <sys/socket.h>

#include <algorithm>

#include "mptcp_sched/path/pathd_policy.h"

using namespace mptcp_sched;

namespace {

constexpr uint32_t kTok = 0x1234abcd;

// Client netns: cli1 (ifindex 2) 10.0.1.1, cli2 (ifindex 3) 10.0.2.1, plus loopback, a
// link-local address and an IPv6 one. One connection 10.0.1.1 -> 10.0.9.1:5000, established,
// whose peer announced 10.0.9.2 (id 1).
PathdState two_paths()
{
    PathdState s;
    s.links = {{1, "lo", true, true}, {2, "cli1", true, true}, {3, "cli2", true, true}};
    s.addrs = {{1, AF_INET, "127.0.0.1", 8},   {2, AF_INET, "10.0.1.1", 24},
               {2, AF_INET6, "fe80::1", 64},    {3, AF_INET, "10.0.2.1", 24},
               {3, AF_INET6, "fd00:2::1", 64}};
    s.kernel_limit = 8;
    PathdConn c;
    c.token = kTok;
    c.family = AF_INET;
    c.established = true;
    c.local0 = {"10.0.1.1", 40000};
    c.remote0 = {"10.0.9.1", 5000};
    c.remotes = {{0, c.remote0}, {1, {"10.0.9.2", 5000}}};
    c.subflows = {{c.local0, c.remote0}};
    s.conns[kTok] = c;
    return s;
}

PathdOptions policies(bool fullmesh, bool mobility, std::vector<std::string> backup = {})
{
    PathdOptions o;
    o.fullmesh = fullmesh;
    o.mobility = mobility;
    o.backup_ifaces = std::move(backup);
    return o;
}

PathdTrigger established(uint32_t token = kTok) { return {PathdTrigger::Established, token}; }

PathdTrigger link(PathdTrigger::Kind k, int ifindex)
{
    PathdTrigger t;
    t.kind = k;
    t.ifindex = ifindex;
    return t;
}

PmEvent pm_event(int type, uint32_t token = kTok)
{
    PmEvent ev;
    ev.type = type;
    ev.token = token;
    ev.family = AF_INET;
    return ev;
}

// A subflow event of kTok: local @l:@lport, remote @r:5000.
PmEvent subflow_event(int type, const std::string& l, uint16_t lport, const std::string& r)
{
    PmEvent ev = pm_event(type);
    ev.saddr = l;
    ev.sport = lport;
    ev.daddr = r;
    ev.dport = 5000;
    return ev;
}

PathdAction create(const std::string& l, const std::string& r, uint8_t id, int ifindex,
                   const std::string& why, bool backup = false, bool restore = false)
{
    PathdAction a;
    a.kind = PathdAction::CreateSubflow;
    a.token = kTok;
    a.family = AF_INET;
    a.local = {l, 0};
    a.remote = {r, 5000};
    a.local_id = id;
    a.ifindex = ifindex;
    a.backup = backup;
    a.restore = restore;
    a.why = why;
    return a;
}

PathdAction destroy(const PathdAddr& l, const PathdAddr& r)
{
    PathdAction a;
    a.kind = PathdAction::DestroySubflow;
    a.token = kTok;
    a.family = AF_INET;
    a.local = l;
    a.remote = r;
    a.why = "mobility";
    return a;
}

// Applies @acts as if the kernel accepted all of them.
void apply_ok(PathdState& s, const std::vector<PathdAction>& acts)
{
    for (const auto& a : acts)
        pathd_note(s, a, true);
}

void set_link(PathdState& s, int ifindex, bool up)
{
    for (auto& l : s.links)
        if (l.ifindex == ifindex)
            l.up = l.lower_up = up;
}

}  // namespace

// ---- fullmesh ----

TEST_CASE("pathd fullmesh: every usable local address of the family to every remote one")
{
    const auto s = two_paths();
    const auto acts = pathd_decide(s, policies(true, false), established());
    // 10.0.1.1 -> 10.0.9.1 is the initial subflow; lo, fe80:: and the IPv6 address are not
    // candidates for an IPv4 connection.
    const std::vector<PathdAction> want = {create("10.0.1.1", "10.0.9.2", 1, 2, "fullmesh"),
                                           create("10.0.2.1", "10.0.9.1", 2, 3, "fullmesh"),
                                           create("10.0.2.1", "10.0.9.2", 2, 3, "fullmesh")};
    CHECK(acts == want);
}

TEST_CASE("pathd fullmesh: at most max_subflows additional subflows, else the kernel limit")
{
    auto s = two_paths();
    auto o = policies(true, false);
    o.max_subflows = 1;
    auto acts = pathd_decide(s, o, established());
    REQUIRE(acts.size() == 1);
    CHECK(acts[0].remote.addr == "10.0.9.2");

    o.max_subflows.reset();
    s.kernel_limit = 2;
    CHECK(pathd_decide(s, o, established()).size() == 2);
    s.kernel_limit = 0;
    CHECK(pathd_decide(s, o, established()).empty());
}

TEST_CASE("pathd fullmesh: the server side and connections not yet established open nothing")
{
    auto s = two_paths();
    const auto o = policies(true, false);
    s.conns[kTok].server = true;
    CHECK(pathd_decide(s, o, established()).empty());
    s.conns[kTok].server = false;
    s.conns[kTok].established = false;
    CHECK(pathd_decide(s, o, {PathdTrigger::Announced, kTok}).empty());
    CHECK(pathd_decide(s, o, established(0x99)).empty());   // an unknown token
    CHECK(pathd_decide(s, policies(false, false), established()).empty());
}

TEST_CASE("pathd fullmesh: a duplicate event adds nothing to what is pending or established")
{
    auto s = two_paths();
    const auto o = policies(true, false);
    const auto first = pathd_decide(s, o, established());
    REQUIRE(first.size() == 3);
    apply_ok(s, first);
    CHECK(s.conns[kTok].pending.size() == 3);
    CHECK(pathd_decide(s, o, established()).empty());

    // The kernel's own duplicate: a second CREATED keeps what pathd knows and logs nothing.
    auto ev = pm_event(MPTCP_EVENT_CREATED);
    ev.saddr = "10.0.1.1";
    ev.daddr = "10.0.9.1";
    const auto t = pathd_track(s, ev);
    CHECK(t.log.is_null());
    CHECK_FALSE(t.trigger);
    CHECK(s.conns[kTok].pending.size() == 3);
    // A subflow pending and then established is not asked for again either.
    const auto sub = subflow_event(MPTCP_EVENT_SUB_ESTABLISHED, "10.0.2.1", 41000, "10.0.9.1");
    pathd_track(s, sub);
    pathd_track(s, sub);
    CHECK(s.conns[kTok].subflows.size() == 2);
    CHECK(s.conns[kTok].pending.size() == 2);
    CHECK(pathd_decide(s, o, established()).empty());
}

TEST_CASE("pathd fullmesh: an announced address is tracked, then reached from every local one")
{
    auto s = two_paths();
    s.conns[kTok].remotes.erase(1);
    auto ev = pm_event(MPTCP_EVENT_ANNOUNCED);
    ev.daddr = "10.0.9.3";
    ev.rem_id = 4;   // no port: the initial subflow's
    const auto t = pathd_track(s, ev);
    CHECK(t.log["event"] == "announced");
    CHECK(t.log["token"] == "1234abcd");
    CHECK(t.log["remote"] == "10.0.9.3:5000");
    REQUIRE(t.trigger);
    CHECK(t.trigger->kind == PathdTrigger::Announced);
    const auto acts = pathd_decide(s, policies(true, false), *t.trigger);
    const std::vector<PathdAction> want = {create("10.0.1.1", "10.0.9.3", 1, 2, "fullmesh"),
                                           create("10.0.2.1", "10.0.9.1", 2, 3, "fullmesh"),
                                           create("10.0.2.1", "10.0.9.3", 2, 3, "fullmesh")};
    CHECK(acts == want);
    // Without an address id there is nothing to track.
    ev.rem_id.reset();
    CHECK_FALSE(pathd_track(s, ev).trigger);
}

TEST_CASE("pathd fullmesh: a failed create takes no room, the next candidate gets it")
{
    auto s = two_paths();
    auto o = policies(true, false);
    o.max_subflows = 1;
    const auto acts = pathd_decide(s, o, established());
    REQUIRE(acts.size() == 1);
    // The address went away between the decision and the command: the kernel refuses.
    pathd_note(s, acts[0], false);
    CHECK(s.conns[kTok].pending.empty());
    CHECK(s.ids.at("10.0.1.1") == 1);   // the id stays taken
    PathdTried tried{pathd_tried_key(acts[0])};
    const auto more = pathd_refill(s, o, established(), kTok, tried);
    const std::vector<PathdAction> want = {create("10.0.2.1", "10.0.9.1", 2, 3, "fullmesh")};
    CHECK(more == want);
    apply_ok(s, more);
    CHECK(pathd_refill(s, o, established(), kTok, tried).empty());
}

// ---- backup-iface ----

TEST_CASE("pathd backup-iface: subflows from a matching interface ask for backup")
{
    const auto s = two_paths();
    const auto acts = pathd_decide(s, policies(true, false, {"cli2*"}), established());
    REQUIRE(acts.size() == 3);
    CHECK_FALSE(acts[0].backup);   // from cli1
    CHECK(acts[1].backup);
    CHECK(acts[2].backup);
    // The initial subflow is on cli1: it stays as it is.
    CHECK(std::none_of(acts.begin(), acts.end(),
                       [](const auto& a) { return a.kind == PathdAction::SetBackup; }));
}

TEST_CASE("pathd backup-iface: an initial subflow on a backup interface is set backup first")
{
    auto s = two_paths();
    auto& c = s.conns[kTok];
    c.local0 = {"10.0.2.1", 40000};
    c.subflows = {{c.local0, c.remote0}};
    const auto acts = pathd_decide(s, policies(false, false, {"cli2"}), established());
    REQUIRE(acts.size() == 1);
    CHECK(acts[0].kind == PathdAction::SetBackup);
    CHECK(acts[0].backup);
    CHECK(acts[0].local == PathdAddr{"10.0.2.1", 40000});
    CHECK(acts[0].remote == PathdAddr{"10.0.9.1", 5000});
    // Announcements do not touch the initial subflow again.
    CHECK(pathd_decide(s, policies(false, false, {"cli2"}), {PathdTrigger::Announced, kTok}).empty());
    // A server-side connection is the peer's to steer.
    c.server = true;
    CHECK(pathd_decide(s, policies(false, false, {"cli2"}), established()).empty());
}

TEST_CASE("pathd backup-iface: when the backup interface is the only one left, its flag stays")
{
    auto s = two_paths();
    auto& c = s.conns[kTok];
    c.subflows.push_back({{"10.0.2.1", 41000}, {"10.0.9.1", 5000}});
    const auto o = policies(false, true, {"cli2"});
    set_link(s, 2, false);
    const auto acts = pathd_decide(s, o, link(PathdTrigger::LinkDown, 2));
    // Only cli1's subflow goes; no MP_PRIO for the backup one: the kernel sends on backup
    // subflows when no other is usable.
    const std::vector<PathdAction> want = {destroy({"10.0.1.1", 40000}, {"10.0.9.1", 5000})};
    CHECK(acts == want);
    apply_ok(s, acts);
    pathd_track(s, subflow_event(MPTCP_EVENT_SUB_CLOSED, "10.0.1.1", 40000, "10.0.9.1"));
    // Coming back, the restored subflow from cli1 is a regular one.
    set_link(s, 2, true);
    const auto back = pathd_decide(s, o, link(PathdTrigger::LinkUp, 2));
    REQUIRE(back.size() == 1);
    CHECK(back[0] == create("10.0.1.1", "10.0.9.1", 1, 2, "mobility", false, true));
}

// ---- mobility ----

TEST_CASE("pathd mobility: a link going down destroys its subflows, coming back restores them")
{
    auto s = two_paths();
    auto& c = s.conns[kTok];
    c.subflows.push_back({{"10.0.1.1", 40001}, {"10.0.9.2", 5000}});
    c.subflows.push_back({{"10.0.2.1", 41000}, {"10.0.9.1", 5000}});
    const auto o = policies(false, true);
    set_link(s, 2, false);
    const auto down = pathd_decide(s, o, link(PathdTrigger::LinkDown, 2));
    const std::vector<PathdAction> want = {destroy({"10.0.1.1", 40000}, {"10.0.9.1", 5000}),
                                           destroy({"10.0.1.1", 40001}, {"10.0.9.2", 5000})};
    CHECK(down == want);
    apply_ok(s, down);
    CHECK(s.conns[kTok].lost.size() == 2);
    // The kernel closes them.
    for (const auto& a : down)
        pathd_track(s, subflow_event(MPTCP_EVENT_SUB_CLOSED, a.local.addr, a.local.port,
                                     a.remote.addr));
    CHECK(s.conns[kTok].subflows.size() == 1);
    // While cli1 is down, another interface's event restores nothing from it.
    CHECK(pathd_decide(s, o, {PathdTrigger::AddrAdded}).empty());
    set_link(s, 2, true);
    const auto up = pathd_decide(s, o, link(PathdTrigger::LinkUp, 2));
    const std::vector<PathdAction> back = {
        create("10.0.1.1", "10.0.9.1", 1, 2, "mobility", false, true),
        create("10.0.1.1", "10.0.9.2", 1, 2, "mobility", false, true)};
    CHECK(up == back);
    // Once established again they are no longer lost.
    apply_ok(s, up);
    pathd_track(s, subflow_event(MPTCP_EVENT_SUB_ESTABLISHED, "10.0.1.1", 40100, "10.0.9.1"));
    CHECK(s.conns[kTok].lost.size() == 1);
    CHECK(s.conns[kTok].pending.size() == 1);
}

TEST_CASE("pathd mobility: the interface of the only path going down destroys that subflow")
{
    auto s = two_paths();
    s.links.pop_back();   // no cli2
    s.addrs.pop_back();
    s.addrs.pop_back();
    const auto o = policies(true, true);
    set_link(s, 2, false);
    const auto acts = pathd_decide(s, o, link(PathdTrigger::LinkDown, 2));
    const std::vector<PathdAction> want = {destroy({"10.0.1.1", 40000}, {"10.0.9.1", 5000})};
    CHECK(acts == want);
    apply_ok(s, acts);
    // Nothing is usable: a later event on some other interface opens nothing.
    CHECK(pathd_decide(s, o, {PathdTrigger::AddrAdded}).empty());
}

TEST_CASE("pathd mobility: an address removed while its subflow is being created")
{
    auto s = two_paths();
    const auto o = policies(true, true);
    auto acts = pathd_decide(s, o, established());
    REQUIRE(acts.size() == 3);
    apply_ok(s, acts);   // 10.0.2.1's two creates are pending
    // 10.0.2.1 goes away before its subflows are established: nothing established to destroy.
    PathdTrigger gone;
    gone.kind = PathdTrigger::AddrRemoved;
    gone.addr = "10.0.2.1";
    gone.ifindex = 3;
    std::erase_if(s.addrs, [](const IfAddr& a) { return a.addr == "10.0.2.1"; });
    CHECK(pathd_decide(s, o, gone).empty());
    // The kernel gives up on them; a new address event opens nothing from the gone one.
    for (const char* r : {"10.0.9.1", "10.0.9.2"})
        pathd_track(s, subflow_event(MPTCP_EVENT_SUB_CLOSED, "10.0.2.1", 0, r));
    CHECK(s.conns[kTok].pending.size() == 1);
    CHECK(pathd_decide(s, o, {PathdTrigger::AddrAdded}).empty());
    // An established subflow from a removed address is destroyed.
    s.conns[kTok].subflows.push_back({{"10.0.1.1", 40001}, {"10.0.9.2", 5000}});
    gone.addr = "10.0.1.1";
    const std::vector<PathdAction> want = {destroy({"10.0.1.1", 40000}, {"10.0.9.1", 5000}),
                                           destroy({"10.0.1.1", 40001}, {"10.0.9.2", 5000})};
    CHECK(pathd_decide(s, o, gone) == want);
}

TEST_CASE("pathd mobility: only real changes of a link or address are triggers")
{
    const auto mob = policies(false, true);
    RtEvent down;
    down.kind = RtEvent::LinkChange;
    down.link = {2, "cli1", true, false};   // carrier lost
    auto t = pathd_rt_trigger(mob, down, true);
    REQUIRE(t);
    CHECK(t->kind == PathdTrigger::LinkDown);
    CHECK(t->ifindex == 2);
    // The same link-down again (a duplicate, or another flag changing): nothing.
    CHECK_FALSE(pathd_rt_trigger(mob, down, false));
    RtEvent up = down;
    up.link.lower_up = true;
    CHECK(pathd_rt_trigger(mob, up, false)->kind == PathdTrigger::LinkUp);
    CHECK_FALSE(pathd_rt_trigger(mob, up, true));
    RtEvent addr;
    addr.kind = RtEvent::AddrRemoved;
    addr.addr = {3, AF_INET, "10.0.2.1", 24};
    t = pathd_rt_trigger(mob, addr, true);
    REQUIRE(t);
    CHECK(t->kind == PathdTrigger::AddrRemoved);
    CHECK(t->addr == "10.0.2.1");
    addr.addr.addr = "fe80::1";
    CHECK_FALSE(pathd_rt_trigger(mob, addr, true));
    // Without mobility, pathd does not react to interfaces at all.
    CHECK_FALSE(pathd_rt_trigger(policies(true, false), down, true));
    auto s = two_paths();
    CHECK(pathd_decide(s, policies(true, false), link(PathdTrigger::LinkDown, 2)).empty());
}

// ---- after lost events ----

TEST_CASE("pathd resync: the dump replaces the connections, newly established ones get the policies")
{
    auto s = two_paths();
    s.conns[kTok].lost.insert({"10.0.9.9", "10.0.9.1"});
    ConnInfo known;
    known.token = kTok;
    known.local = "10.0.1.1:40000";
    known.remote = "10.0.9.1:5000";
    known.state = "ESTAB";
    SubflowInfo sf;
    sf.local = "10.0.1.1:40000";
    sf.remote = "10.0.9.1:5000";
    sf.state = "ESTAB";
    known.subflows = {sf};
    sf.local = "10.0.2.1:41000";
    sf.state = "SYN-SENT";
    known.subflows.push_back(sf);
    ConnInfo fresh;
    fresh.token = 0x77;
    fresh.local = "[::ffff:10.0.2.1]:42000";   // v4-mapped: an IPv4 connection
    fresh.remote = "[::ffff:10.0.9.1]:5000";
    fresh.state = "ESTAB";
    sf.local = "[::ffff:10.0.2.1]:42000";
    sf.remote = "[::ffff:10.0.9.1]:5000";
    sf.state = "ESTAB";
    fresh.subflows = {sf};
    ConnInfo fell_back = fresh;
    fell_back.token = 0x78;
    fell_back.fallback = true;
    const auto rb = pathd_rebuild(s, {known, fresh, fell_back});
    CHECK(rb.newly == std::set<uint32_t>{0x77});
    CHECK(rb.subflows == 2);
    REQUIRE(s.conns.size() == 2);
    CHECK(s.conns[kTok].remotes.size() == 2);   // the announced address is kept
    CHECK(s.conns[kTok].lost.size() == 1);
    CHECK(s.conns[kTok].pending == std::set<PathdAddrPair>{{"10.0.2.1", "10.0.9.1"}});
    CHECK(s.conns[0x77].family == AF_INET);
    CHECK(s.conns[0x77].local0 == PathdAddr{"10.0.2.1", 42000});

    PathdTrigger t;
    t.kind = PathdTrigger::Resync;
    t.newly = rb.newly;
    const auto acts = pathd_decide(s, policies(true, false, {"cli2"}), t);
    // In token order. 0x77: its initial subflow starts on cli2, so it is set backup, then
    // filled. kTok (known, not newly established): the two creates still missing (the
    // SYN-SENT one counts as pending; the lost path's address is not ours).
    REQUIRE(acts.size() == 4);
    CHECK(acts[0].token == 0x77);
    CHECK(acts[0].kind == PathdAction::SetBackup);
    CHECK(acts[0].local == PathdAddr{"10.0.2.1", 42000});
    CHECK(acts[1].token == 0x77);
    CHECK(acts[1].why == "resync");
    CHECK(acts[1].local.addr == "10.0.1.1");
    CHECK(acts[1].remote.addr == "10.0.9.1");
    CHECK(acts[2] == create("10.0.1.1", "10.0.9.2", 1, 2, "resync"));
    CHECK(acts[3] == create("10.0.2.1", "10.0.9.2", 2, 3, "resync", true));
    // The ids are shared across the connections (one per local address).
    CHECK(acts[1].local_id == acts[2].local_id);
}

TEST_CASE("pathd resync with mobility: subflows on interfaces that went down meanwhile go first")
{
    auto s = two_paths();
    s.conns[kTok].subflows.push_back({{"10.0.2.1", 41000}, {"10.0.9.1", 5000}});
    set_link(s, 3, false);
    PathdTrigger t;
    t.kind = PathdTrigger::Resync;
    const auto acts = pathd_decide(s, policies(true, true), t);
    REQUIRE(acts.size() == 2);
    CHECK(acts[0] == destroy({"10.0.2.1", 41000}, {"10.0.9.1", 5000}));
    CHECK(acts[1] == create("10.0.1.1", "10.0.9.2", 1, 2, "resync"));
}

TEST_CASE("pathd: the events it logs")
{
    PathdState s;
    auto ev = pm_event(MPTCP_EVENT_CREATED, 0xab);
    ev.saddr = "fd00::1";
    ev.sport = 1;
    ev.daddr = "fd00::2";
    ev.dport = 2;
    ev.family = AF_INET6;
    auto t = pathd_track(s, ev);
    CHECK(t.log == nlohmann::json{{"event", "created"}, {"token", "000000ab"},
                                  {"local", "[fd00::1]:1"}, {"remote", "[fd00::2]:2"},
                                  {"server_side", false}});
    CHECK(s.conns.at(0xab).subflows.size() == 1);
    t = pathd_track(s, pm_event(MPTCP_EVENT_ESTABLISHED, 0xab));
    CHECK(t.log["event"] == "established");
    CHECK(s.conns.at(0xab).established);
    CHECK(pathd_track(s, pm_event(MPTCP_EVENT_CLOSED, 0xab)).log["event"] == "closed");
    CHECK(s.conns.empty());
    // Closing or establishing what pathd never saw: nothing.
    CHECK(pathd_track(s, pm_event(MPTCP_EVENT_CLOSED, 0xab)).log.is_null());
    CHECK_FALSE(pathd_track(s, pm_event(MPTCP_EVENT_ESTABLISHED, 0xab)).trigger);
}

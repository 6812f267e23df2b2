// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/pathd_policy.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <linux/mptcp_pm.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <functional>

namespace mptcp_sched {

namespace {

// "10.0.1.1:5000" or "[fd00::1]:5000" (sock_diag's text) as family, address and port.
std::optional<std::pair<int, PathdAddr>> parse_endpoint_text(const std::string& t)
{
    const size_t colon = t.rfind(':');
    if (colon == std::string::npos)
        return std::nullopt;
    std::string addr = t.substr(0, colon);
    int family = AF_INET;
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
        addr = addr.substr(1, addr.size() - 2);
        family = AF_INET6;
        // A v4-mapped address: the kernel's events report such connections as IPv4.
        if (addr.rfind("::ffff:", 0) == 0 && addr.find('.') != std::string::npos) {
            addr = addr.substr(7);
            family = AF_INET;
        }
    }
    unsigned char buf[16];
    if (inet_pton(family, addr.c_str(), buf) != 1)
        return std::nullopt;
    try {
        const unsigned long port = std::stoul(t.substr(colon + 1));
        if (port > 65535)
            return std::nullopt;
        return std::make_pair(family, PathdAddr{addr, static_cast<uint16_t>(port)});
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool link_local(const std::string& addr) { return addr.rfind("fe80:", 0) == 0; }

bool backup_iface(const PathdState& s, const PathdOptions& o, const std::string& addr)
{
    const std::string dev = if_name(s.ifindex_of(addr), s.links);
    return std::any_of(o.backup_ifaces.begin(), o.backup_ifaces.end(), [&](const std::string& p) {
        return fnmatch(p.c_str(), dev.c_str(), 0) == 0;
    });
}

bool have(const PathdConn& c, const std::string& l, const std::string& r)
{
    return c.pending.count({l, r}) ||
           std::any_of(c.subflows.begin(), c.subflows.end(), [&](const PathdSubflow& s) {
               return s.local.addr == l && s.remote.addr == r;
           });
}

// What pathd_note does, on one connection and the ids (the decisions below simulate their
// own actions with it).
void note_conn(PathdConn& c, std::map<std::string, uint8_t>& ids, const PathdAction& a, bool ok)
{
    switch (a.kind) {
    case PathdAction::CreateSubflow:
        ids.emplace(a.local.addr, a.local_id);
        if (ok)
            c.pending.insert({a.local.addr, a.remote.addr});
        break;
    case PathdAction::DestroySubflow:
        c.lost.insert({a.local.addr, a.remote.addr});
        break;
    case PathdAction::SetBackup:
        break;
    }
}

// Decides for one connection with a working copy of it and of the ids, so that each action
// sees the ones before it as done.
class Planner {
public:
    Planner(const PathdState& s, const PathdOptions& o, std::vector<PathdAction>& out)
        : s_(s), o_(o), ids_(s.ids), out_(out)
    {
    }

    // backup-iface: the initial subflow, when it starts on a backup interface.
    void initial_backup(const PathdConn& c)
    {
        if (!backup_iface(s_, o_, c.local0.addr))
            return;
        PathdAction a;
        a.kind = PathdAction::SetBackup;
        a.token = c.token;
        a.family = c.family;
        a.local = c.local0;
        a.remote = c.remote0;
        a.backup = true;
        out_.push_back(a);
    }

    // mobility: destroys every subflow whose local address is @gone.
    void drop(const std::function<bool(const std::string&)>& gone)
    {
        for (const auto& [token, c] : s_.conns)
            for (const auto& sf : c.subflows)
                if (gone(sf.local.addr)) {
                    PathdAction a;
                    a.kind = PathdAction::DestroySubflow;
                    a.token = c.token;
                    a.family = c.family;
                    a.local = sf.local;
                    a.remote = sf.remote;
                    a.why = "mobility";
                    out_.push_back(a);
                    note_conn(work(c), ids_, a, true);
                }
    }

    // mobility's lost paths, then fullmesh, within the limit of additional subflows.
    void fill(const PathdConn& orig, const std::string& why, const PathdTried& tried = {})
    {
        PathdConn& c = work(orig);
        if (!c.established || c.server)
            return;
        const uint32_t limit = o_.max_subflows.value_or(s_.kernel_limit);
        const auto full = [&] { return c.subflows.size() + c.pending.size() > limit; };
        const std::set<PathdAddrPair> lost = c.lost;
        for (const auto& l : lost) {
            if (full())
                return;
            if (!s_.usable(s_.ifindex_of(l.first)) || have(c, l.first, l.second))
                continue;
            for (const auto& [id, r] : c.remotes)
                if (r.addr == l.second && !tried.count({true, l.first, r.addr, r.port}))
                    create(c, l.first, r, "mobility", true);
        }
        if (!o_.fullmesh)
            return;
        for (const auto& a : s_.addrs) {
            if (a.family != c.family || !s_.usable(a.ifindex) || link_local(a.addr))
                continue;
            for (const auto& [id, r] : c.remotes) {
                if (full())
                    return;
                if (!have(c, a.addr, r.addr) && !tried.count({false, a.addr, r.addr, r.port}))
                    create(c, a.addr, r, why, false);
            }
        }
    }

private:
    PathdConn& work(const PathdConn& c)
    {
        auto it = work_.find(c.token);
        if (it == work_.end())
            it = work_.emplace(c.token, c).first;
        return it->second;
    }

    uint8_t local_id(const std::string& addr) const
    {
        auto it = ids_.find(addr);
        if (it != ids_.end())
            return it->second;
        return static_cast<uint8_t>(std::min<size_t>(ids_.size() + 1, 255));
    }

    void create(PathdConn& c, const std::string& laddr, const PathdAddr& r, const std::string& why,
                bool restore)
    {
        PathdAction a;
        a.kind = PathdAction::CreateSubflow;
        a.token = c.token;
        a.family = c.family;
        a.local = {laddr, 0};
        a.remote = r;
        a.local_id = local_id(laddr);
        a.ifindex = s_.ifindex_of(laddr);
        a.backup = backup_iface(s_, o_, laddr);
        a.restore = restore;
        a.why = why;
        out_.push_back(a);
        note_conn(c, ids_, a, true);
    }

    const PathdState& s_;
    const PathdOptions& o_;
    std::map<std::string, uint8_t> ids_;
    std::map<uint32_t, PathdConn> work_;
    std::vector<PathdAction>& out_;
};

const char* fill_why(PathdTrigger::Kind k)
{
    switch (k) {
    case PathdTrigger::Established:
    case PathdTrigger::Announced:
        return "fullmesh";
    case PathdTrigger::Resync:
        return "resync";
    default:
        return "mobility";
    }
}

}  // namespace

int PathdState::ifindex_of(const std::string& addr) const
{
    for (const auto& a : addrs)
        if (a.addr == addr)
            return a.ifindex;
    return 0;
}

bool PathdState::usable(int ifindex) const
{
    for (const auto& l : links)
        if (l.ifindex == ifindex)
            return l.up && l.lower_up && l.name != "lo";
    return false;
}

nlohmann::json pathd_log_fields(const std::string& event, uint32_t token,
                                const nlohmann::json& extra)
{
    char t[16];
    std::snprintf(t, sizeof(t), "%08x", token);
    nlohmann::json j = {{"event", event}, {"token", t}};
    if (extra.is_object())
        j.update(extra);
    return j;
}

std::string pathd_addr_text(const PathdAddr& e)
{
    return (e.addr.find(':') != std::string::npos ? "[" + e.addr + "]" : e.addr) + ":" +
           std::to_string(e.port);
}

PathdTried::value_type pathd_tried_key(const PathdAction& a)
{
    return {a.restore, a.local.addr, a.remote.addr, a.remote.port};
}

PathdTracked pathd_track(PathdState& s, const PmEvent& ev)
{
    PathdTracked out;
    auto& conns = s.conns;
    switch (ev.type) {
    case MPTCP_EVENT_CREATED: {
        if (conns.count(ev.token))
            break;   // already known from a resync dump: keep its subflows
        PathdConn c;
        c.token = ev.token;
        c.family = ev.family;
        c.server = ev.server_side;
        c.local0 = {ev.saddr, ev.sport};
        c.remote0 = {ev.daddr, ev.dport};
        c.remotes[0] = c.remote0;
        c.subflows.push_back({c.local0, c.remote0});
        out.log = pathd_log_fields("created", ev.token,
                                   {{"local", pathd_addr_text(c.local0)},
                                    {"remote", pathd_addr_text(c.remote0)},
                                    {"server_side", c.server}});
        conns[ev.token] = std::move(c);
        break;
    }
    case MPTCP_EVENT_ESTABLISHED: {
        auto it = conns.find(ev.token);
        if (it == conns.end())
            break;
        it->second.established = true;
        out.log = pathd_log_fields("established", ev.token, {});
        out.trigger = PathdTrigger{PathdTrigger::Established, ev.token};
        break;
    }
    case MPTCP_EVENT_ANNOUNCED: {
        auto it = conns.find(ev.token);
        if (it == conns.end() || !ev.rem_id)
            break;
        PathdAddr r{ev.daddr, ev.dport ? ev.dport : it->second.remote0.port};
        it->second.remotes[*ev.rem_id] = r;
        out.log = pathd_log_fields("announced", ev.token,
                                   {{"remote", pathd_addr_text(r)}, {"remote_id", *ev.rem_id}});
        out.trigger = PathdTrigger{PathdTrigger::Announced, ev.token};
        break;
    }
    case MPTCP_EVENT_REMOVED: {
        auto it = conns.find(ev.token);
        if (it == conns.end() || !ev.rem_id)
            break;
        it->second.remotes.erase(*ev.rem_id);
        out.log = pathd_log_fields("removed", ev.token, {{"remote_id", *ev.rem_id}});
        break;
    }
    case MPTCP_EVENT_SUB_ESTABLISHED: {
        auto it = conns.find(ev.token);
        if (it == conns.end())
            break;
        PathdConn& c = it->second;
        PathdSubflow sf{{ev.saddr, ev.sport}, {ev.daddr, ev.dport}};
        c.pending.erase({ev.saddr, ev.daddr});
        c.lost.erase({ev.saddr, ev.daddr});
        if (std::none_of(c.subflows.begin(), c.subflows.end(), [&](const PathdSubflow& x) {
                return x.local == sf.local && x.remote == sf.remote;
            }))
            c.subflows.push_back(sf);
        out.log = pathd_log_fields("sub_established", ev.token,
                                   {{"local", pathd_addr_text(sf.local)},
                                    {"remote", pathd_addr_text(sf.remote)},
                                    {"backup", ev.backup}, {"subflows", c.subflows.size()}});
        break;
    }
    case MPTCP_EVENT_SUB_CLOSED: {
        auto it = conns.find(ev.token);
        if (it == conns.end())
            break;
        PathdConn& c = it->second;
        c.pending.erase({ev.saddr, ev.daddr});
        std::erase_if(c.subflows, [&](const PathdSubflow& x) {
            return x.local.addr == ev.saddr && x.local.port == ev.sport &&
                   x.remote.addr == ev.daddr;
        });
        out.log = pathd_log_fields("sub_closed", ev.token,
                                   {{"local", ev.saddr + ":" + std::to_string(ev.sport)},
                                    {"remote", ev.daddr + ":" + std::to_string(ev.dport)},
                                    {"error", ev.error},
                                    {"subflows", c.subflows.size()}});
        break;
    }
    case MPTCP_EVENT_SUB_PRIORITY:
        out.log = pathd_log_fields("sub_priority", ev.token,
                                   {{"local", ev.saddr}, {"remote", ev.daddr}, {"backup", ev.backup}});
        break;
    case MPTCP_EVENT_CLOSED:
        if (conns.erase(ev.token))
            out.log = pathd_log_fields("closed", ev.token, {});
        break;
    default:
        break;
    }
    return out;
}

std::optional<PathdTrigger> pathd_rt_trigger(const PathdOptions& o, const RtEvent& ev, bool was_up)
{
    if (!o.mobility)
        return std::nullopt;
    PathdTrigger t;
    if (ev.kind == RtEvent::LinkChange) {
        const bool up = ev.link.up && ev.link.lower_up;
        if (was_up == up)
            return std::nullopt;
        t.kind = up ? PathdTrigger::LinkUp : PathdTrigger::LinkDown;
        t.ifindex = ev.link.ifindex;
        return t;
    }
    if (link_local(ev.addr.addr))
        return std::nullopt;   // link-local addresses carry no subflows
    t.kind = ev.kind == RtEvent::AddrAdded ? PathdTrigger::AddrAdded : PathdTrigger::AddrRemoved;
    t.ifindex = ev.addr.ifindex;
    t.addr = ev.addr.addr;
    return t;
}

PathdRebuilt pathd_rebuild(PathdState& s, const std::vector<ConnInfo>& dump)
{
    PathdRebuilt out;
    std::map<uint32_t, PathdConn> fresh;
    for (const auto& ci : dump) {
        if (!ci.token || ci.fallback || (ci.state != "ESTAB" && ci.state != "SYN-SENT"))
            continue;
        auto l = parse_endpoint_text(ci.local);
        auto r = parse_endpoint_text(ci.remote);
        if (!l || !r)
            continue;
        PathdConn c;
        if (auto it = s.conns.find(ci.token); it != s.conns.end()) {
            c = it->second;   // keeps the announced addresses and what mobility lost
        } else {
            c.token = ci.token;
            c.family = l->first;
            c.server = ci.server_side;
            c.local0 = l->second;
            c.remote0 = r->second;
            c.remotes[0] = c.remote0;
        }
        if (!c.established && ci.state == "ESTAB")
            out.newly.insert(ci.token);
        c.established = ci.state == "ESTAB";
        c.subflows.clear();
        c.pending.clear();
        for (const auto& si : ci.subflows) {
            auto sl = parse_endpoint_text(si.local);
            auto sr = parse_endpoint_text(si.remote);
            if (!sl || !sr)
                continue;
            if (si.state == "SYN-SENT") {
                c.pending.insert({sl->second.addr, sr->second.addr});
                continue;
            }
            if (si.state != "ESTAB")
                continue;
            c.subflows.push_back({sl->second, sr->second});
            if (si.remote_id && !c.remotes.count(si.remote_id))
                c.remotes[si.remote_id] = sr->second;
            out.subflows++;
        }
        fresh[ci.token] = std::move(c);
    }
    s.conns = std::move(fresh);
    return out;
}

std::vector<PathdAction> pathd_decide(const PathdState& s, const PathdOptions& o,
                                      const PathdTrigger& t)
{
    std::vector<PathdAction> out;
    Planner p(s, o, out);
    const char* why = fill_why(t.kind);
    switch (t.kind) {
    case PathdTrigger::Established:
    case PathdTrigger::Announced: {
        auto it = s.conns.find(t.token);
        if (it == s.conns.end() || it->second.server)
            break;   // the client side opens subflows
        if (t.kind == PathdTrigger::Established)
            p.initial_backup(it->second);
        p.fill(it->second, why);
        break;
    }
    case PathdTrigger::LinkDown:
        if (o.mobility)
            p.drop([&](const std::string& a) { return s.ifindex_of(a) == t.ifindex; });
        break;
    case PathdTrigger::AddrRemoved:
        if (o.mobility)
            p.drop([&](const std::string& a) { return a == t.addr; });
        break;
    case PathdTrigger::LinkUp:
    case PathdTrigger::AddrAdded:
        if (o.mobility)
            for (const auto& [token, c] : s.conns)
                p.fill(c, why);
        break;
    case PathdTrigger::Resync:
        if (o.mobility)
            p.drop([&](const std::string& a) { return !s.usable(s.ifindex_of(a)); });
        for (const auto& [token, c] : s.conns) {
            if (!c.established || c.server)
                continue;
            if (t.newly.count(token))
                p.initial_backup(c);
            p.fill(c, why);
        }
        break;
    }
    return out;
}

std::vector<PathdAction> pathd_refill(const PathdState& s, const PathdOptions& o,
                                      const PathdTrigger& t, uint32_t token,
                                      const PathdTried& tried)
{
    std::vector<PathdAction> out;
    auto it = s.conns.find(token);
    if (it == s.conns.end())
        return out;
    Planner(s, o, out).fill(it->second, fill_why(t.kind), tried);
    return out;
}

void pathd_note(PathdState& s, const PathdAction& a, bool ok)
{
    auto it = s.conns.find(a.token);
    if (it != s.conns.end())
        note_conn(it->second, s.ids, a, ok);
    else if (a.kind == PathdAction::CreateSubflow)
        s.ids.emplace(a.local.addr, a.local_id);
}

}  // namespace mptcp_sched

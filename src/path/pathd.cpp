// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/pathd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/mptcp_pm.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/path/rtnl.h"
#include "mptcp_sched/base/sysctl.h"

namespace mptcp_sched {

namespace {

struct Endpoint {
    std::string addr;
    uint16_t port = 0;
    bool operator<(const Endpoint& o) const { return std::tie(addr, port) < std::tie(o.addr, o.port); }
    bool operator==(const Endpoint& o) const = default;
};

struct Subflow {
    Endpoint local, remote;
};

struct Conn {
    uint32_t token = 0;
    int family = 0;
    bool server = false;
    bool established = false;
    Endpoint local0, remote0;                  // the initial subflow
    std::map<uint8_t, Endpoint> remotes;       // by remote address id (0 = initial)
    std::vector<Subflow> subflows;             // established, including the initial one
    std::set<std::pair<std::string, std::string>> pending;   // (local, remote) being created
    std::set<std::pair<std::string, std::string>> lost;      // removed by mobility, to restore
};

// The path-manager sysctl of this kernel: path_manager (>= 6.15) or pm_type.
struct PmSetting {
    std::string key, value;
    bool userspace() const { return value == "userspace" || value == "1"; }
};

Result<PmSetting> read_pm_setting()
{
    if (auto v = read_sysctl("net.mptcp.path_manager"))
        return PmSetting{"net.mptcp.path_manager", *v};
    auto v = read_sysctl("net.mptcp.pm_type");
    if (!v)
        return fail_msg("failed to read the path manager setting: " + v.error().message,
                        v.error().code);
    return PmSetting{"net.mptcp.pm_type", *v};
}

// "10.0.1.1:5000" or "[fd00::1]:5000" (sock_diag's text) as family, address and port.
std::optional<std::pair<int, Endpoint>> parse_endpoint_text(const std::string& t)
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
        return std::make_pair(family, Endpoint{addr, static_cast<uint16_t>(port)});
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

class Pathd {
public:
    Pathd(const PathdOptions& o, const PathdLog& log, PmClient& pm) : o_(o), log_(log), pm_(pm)
    {
    }

    // False once a log line could not be written.
    bool log_ok() const { return log_ok_; }

    // After the kernel dropped events: what pathd knows is rebuilt from a dump of the
    // connections and subflows (sock_diag) and of the interfaces and addresses, then the
    // policies are applied again, as if every missed event had arrived. What no dump
    // shows is an ADD_ADDR that arrived in the gap and has no subflow yet: that address
    // stays unknown until the peer announces it again.
    Result<void> resync(const std::string& which)
    {
        if (auto r = refresh_interfaces(); !r)
            return r;
        auto now = list_connections();
        if (!now)
            return std::unexpected(now.error());
        std::map<uint32_t, Conn> fresh;
        std::set<uint32_t> newly;   // established without pathd having seen it happen
        size_t nsub = 0;
        for (const auto& ci : *now) {
            if (!ci.token || ci.fallback || (ci.state != "ESTAB" && ci.state != "SYN-SENT"))
                continue;
            auto l = parse_endpoint_text(ci.local);
            auto r = parse_endpoint_text(ci.remote);
            if (!l || !r)
                continue;
            Conn c;
            if (auto it = conns_.find(ci.token); it != conns_.end()) {
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
                newly.insert(ci.token);
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
                nsub++;
            }
            fresh[ci.token] = std::move(c);
        }
        conns_ = std::move(fresh);
        log_line({{"event", "resync"}, {"socket", which}, {"connections", conns_.size()},
                  {"subflows", nsub},
                  {"why", "the kernel dropped events (receive buffer full): state re-read"}});
        if (o_.mobility)
            drop_local([&](const std::string& a) { return !usable_ifindex(ifindex_of(a)); });
        for (auto& [token, c] : conns_) {
            if (c.established && !c.server) {
                if (newly.count(token))
                    mark_initial_backup(c);
                fill(c, "resync");
            }
        }
        return {};
    }

    Result<void> refresh_interfaces()
    {
        auto l = rt_links();
        if (!l)
            return std::unexpected(l.error());
        auto a = rt_addrs();
        if (!a)
            return std::unexpected(a.error());
        links_ = std::move(*l);
        addrs_ = std::move(*a);
        return {};
    }

    void on_pm(const PmEvent& ev)
    {
        switch (ev.type) {
        case MPTCP_EVENT_CREATED: {
            if (conns_.count(ev.token))
                return;   // already known from a resync dump: keep its subflows
            Conn c;
            c.token = ev.token;
            c.family = ev.family;
            c.server = ev.server_side;
            c.local0 = {ev.saddr, ev.sport};
            c.remote0 = {ev.daddr, ev.dport};
            c.remotes[0] = c.remote0;
            c.subflows.push_back({c.local0, c.remote0});
            conns_[ev.token] = c;
            say("created", ev.token, {{"local", text(c.local0)}, {"remote", text(c.remote0)},
                                      {"server_side", c.server}});
            break;
        }
        case MPTCP_EVENT_ESTABLISHED: {
            auto it = conns_.find(ev.token);
            if (it == conns_.end())
                return;
            it->second.established = true;
            say("established", ev.token, {});
            if (it->second.server)
                return;   // the client side opens subflows
            mark_initial_backup(it->second);
            fill(it->second, "fullmesh");
            break;
        }
        case MPTCP_EVENT_ANNOUNCED: {
            auto it = conns_.find(ev.token);
            if (it == conns_.end() || !ev.rem_id)
                return;
            Endpoint r{ev.daddr, ev.dport ? ev.dport : it->second.remote0.port};
            it->second.remotes[*ev.rem_id] = r;
            say("announced", ev.token, {{"remote", text(r)}, {"remote_id", *ev.rem_id}});
            if (!it->second.server)
                fill(it->second, "fullmesh");
            break;
        }
        case MPTCP_EVENT_REMOVED: {
            auto it = conns_.find(ev.token);
            if (it == conns_.end() || !ev.rem_id)
                return;
            it->second.remotes.erase(*ev.rem_id);
            say("removed", ev.token, {{"remote_id", *ev.rem_id}});
            break;
        }
        case MPTCP_EVENT_SUB_ESTABLISHED: {
            auto it = conns_.find(ev.token);
            if (it == conns_.end())
                return;
            Conn& c = it->second;
            Subflow s{{ev.saddr, ev.sport}, {ev.daddr, ev.dport}};
            c.pending.erase({ev.saddr, ev.daddr});
            c.lost.erase({ev.saddr, ev.daddr});
            if (std::none_of(c.subflows.begin(), c.subflows.end(), [&](const Subflow& x) {
                    return x.local == s.local && x.remote == s.remote;
                }))
                c.subflows.push_back(s);
            say("sub_established", ev.token, {{"local", text(s.local)}, {"remote", text(s.remote)},
                                              {"backup", ev.backup},
                                              {"subflows", c.subflows.size()}});
            break;
        }
        case MPTCP_EVENT_SUB_CLOSED: {
            auto it = conns_.find(ev.token);
            if (it == conns_.end())
                return;
            Conn& c = it->second;
            c.pending.erase({ev.saddr, ev.daddr});
            std::erase_if(c.subflows, [&](const Subflow& x) {
                return x.local.addr == ev.saddr && x.local.port == ev.sport &&
                       x.remote.addr == ev.daddr;
            });
            say("sub_closed", ev.token, {{"local", ev.saddr + ":" + std::to_string(ev.sport)},
                                         {"remote", ev.daddr + ":" + std::to_string(ev.dport)},
                                         {"error", ev.error},
                                         {"subflows", c.subflows.size()}});
            break;
        }
        case MPTCP_EVENT_SUB_PRIORITY:
            say("sub_priority", ev.token, {{"local", ev.saddr}, {"remote", ev.daddr},
                                           {"backup", ev.backup}});
            break;
        case MPTCP_EVENT_CLOSED:
            if (conns_.erase(ev.token))
                say("closed", ev.token, {});
            break;
        default:
            break;
        }
    }

    void on_rt(const RtEvent& ev)
    {
        const bool was_up = usable_ifindex(ev.kind == RtEvent::LinkChange ? ev.link.ifindex : ev.addr.ifindex);
        (void)refresh_interfaces();
        if (!o_.mobility)
            return;
        if (ev.kind == RtEvent::LinkChange) {
            const bool up = ev.link.up && ev.link.lower_up;
            if (was_up == up)
                return;
            log_line({{"event", up ? "link_up" : "link_down"}, {"dev", ev.link.name}});
            if (up)
                restore_all();
            else
                drop_local([&](const std::string& a) { return ifindex_of(a) == ev.link.ifindex; });
            return;
        }
        if (ev.addr.addr.rfind("fe80:", 0) == 0)
            return;   // link-local addresses carry no subflows
        log_line({{"event", ev.kind == RtEvent::AddrAdded ? "addr_added" : "addr_removed"},
                  {"address", ev.addr.addr}, {"dev", if_name(ev.addr.ifindex, links_)}});
        if (ev.kind == RtEvent::AddrAdded)
            restore_all();
        else
            drop_local([&](const std::string& a) { return a == ev.addr.addr; });
    }

private:
    static std::string text(const Endpoint& e)
    {
        return (e.addr.find(':') != std::string::npos ? "[" + e.addr + "]" : e.addr) + ":" +
               std::to_string(e.port);
    }

    void log_line(nlohmann::json j)
    {
        if (o_.json) {
            j["ts"] = std::chrono::duration<double>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
            if (!log_(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)))
                log_ok_ = false;
            return;
        }
        std::string line = j.value("event", "");
        for (auto& [k, v] : j.items())
            if (k != "event")
                line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        if (!log_(line))
            log_ok_ = false;
    }

    void say(const std::string& event, uint32_t token, nlohmann::json extra)
    {
        char t[16];
        std::snprintf(t, sizeof(t), "%08x", token);
        nlohmann::json j = {{"event", event}, {"token", t}};
        if (extra.is_object())
            j.update(extra);
        log_line(j);
    }

    int ifindex_of(const std::string& addr) const
    {
        for (const auto& a : addrs_)
            if (a.addr == addr)
                return a.ifindex;
        return 0;
    }

    bool usable_ifindex(int ifindex) const
    {
        for (const auto& l : links_)
            if (l.ifindex == ifindex)
                return l.up && l.lower_up && l.name != "lo";
        return false;
    }

    bool backup_iface(const std::string& addr) const
    {
        const std::string dev = if_name(ifindex_of(addr), links_);
        return std::any_of(o_.backup_ifaces.begin(), o_.backup_ifaces.end(),
                           [&](const std::string& p) { return fnmatch(p.c_str(), dev.c_str(), 0) == 0; });
    }

    // Local addresses subflows may start from: on usable interfaces, not link-local.
    std::vector<IfAddr> usable_addrs(int family) const
    {
        std::vector<IfAddr> out;
        for (const auto& a : addrs_)
            if (a.family == family && usable_ifindex(a.ifindex) &&
                a.addr.rfind("fe80:", 0) != 0)
                out.push_back(a);
        return out;
    }

    uint8_t local_id(const std::string& addr)
    {
        auto it = ids_.find(addr);
        if (it != ids_.end())
            return it->second;
        uint8_t id = static_cast<uint8_t>(std::min<size_t>(ids_.size() + 1, 255));
        ids_[addr] = id;
        return id;
    }

    uint32_t limit() const { return o_.max_subflows.value_or(limit_); }

    bool have(const Conn& c, const std::string& l, const std::string& r) const
    {
        return c.pending.count({l, r}) ||
               std::any_of(c.subflows.begin(), c.subflows.end(), [&](const Subflow& s) {
                   return s.local.addr == l && s.remote.addr == r;
               });
    }

    void create(Conn& c, const std::string& laddr, const Endpoint& r, const std::string& why)
    {
        const bool bk = backup_iface(laddr);
        PmSockAddr l{c.family, laddr, 0}, rem{c.family, r.addr, r.port};
        auto res = pm_.subflow_create(c.token, local_id(laddr), l, ifindex_of(laddr), rem, bk);
        if (!res) {
            say("subflow_create_failed", c.token, {{"local", laddr}, {"remote", text(r)},
                                                   {"error", res.error().message}});
            return;
        }
        c.pending.insert({laddr, r.addr});
        say("subflow_create", c.token, {{"local", laddr}, {"remote", text(r)}, {"why", why},
                                        {"backup", bk}});
    }

    // Opens the subflows the policies want, within the limit of additional subflows.
    void fill(Conn& c, const std::string& why)
    {
        if (!c.established || c.server)
            return;
        for (const auto& l : c.lost) {
            if (c.subflows.size() + c.pending.size() > limit())
                return;
            if (!usable_ifindex(ifindex_of(l.first)) || have(c, l.first, l.second))
                continue;
            for (const auto& [id, r] : c.remotes)
                if (r.addr == l.second)
                    create(c, l.first, r, "mobility");
        }
        if (!o_.fullmesh)
            return;
        for (const auto& a : usable_addrs(c.family))
            for (const auto& [id, r] : c.remotes) {
                if (c.subflows.size() + c.pending.size() > limit())
                    return;
                if (!have(c, a.addr, r.addr))
                    create(c, a.addr, r, why);
            }
    }

    void mark_initial_backup(Conn& c)
    {
        if (!backup_iface(c.local0.addr))
            return;
        auto r = pm_.subflow_set_backup(c.token, {c.family, c.local0.addr, c.local0.port},
                                       {c.family, c.remote0.addr, c.remote0.port}, true);
        say(r ? "subflow_backup" : "subflow_backup_failed", c.token,
            {{"local", text(c.local0)}, {"remote", text(c.remote0)},
             {"error", r ? "" : r.error().message}});
    }

    void drop_local(const std::function<bool(const std::string&)>& gone)
    {
        for (auto& [token, c] : conns_) {
            std::vector<Subflow> drop;
            for (const auto& s : c.subflows)
                if (gone(s.local.addr))
                    drop.push_back(s);
            for (const auto& s : drop) {
                auto r = pm_.subflow_destroy(c.token, {c.family, s.local.addr, s.local.port},
                                            {c.family, s.remote.addr, s.remote.port});
                c.lost.insert({s.local.addr, s.remote.addr});
                say(r ? "subflow_destroy" : "subflow_destroy_failed", c.token,
                    {{"local", text(s.local)}, {"remote", text(s.remote)}, {"why", "mobility"},
                     {"error", r ? "" : r.error().message}});
            }
        }
    }

    void restore_all()
    {
        for (auto& [token, c] : conns_)
            fill(c, "mobility");
    }

public:
    uint32_t limit_ = 8;

private:
    const PathdOptions& o_;
    PathdLog log_;
    PmClient& pm_;   // one request socket for the daemon's lifetime
    bool log_ok_ = true;
    std::vector<Link> links_;
    std::vector<IfAddr> addrs_;
    std::map<uint32_t, Conn> conns_;
    std::map<std::string, uint8_t> ids_;
};

// One pathd per netns: a lock file named after the netns inode, held with flock for the
// daemon's life (the kernel releases it however the process ends). The file also records
// what pathd changed, before it changes it:
//   pid N / netns_cookie C / sysctl KEY / previous VALUE
// so whoever takes the lock next can undo what a killed pathd left behind. Holding the
// lock is the proof that the pid in the record is gone; the netns cookie (unique per
// boot, never reused) tells a record of this netns from one of a deleted netns whose
// inode number came back.
struct Record {
    long pid = 0;
    uint64_t cookie = 0;
    std::string key, previous;
};

uint64_t netns_cookie()
{
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    uint64_t cookie = 0;
    socklen_t len = sizeof(cookie);
    if (!s || ::getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0)
        return 0;   // kernels before 5.14: the inode in the file name has to do
    return cookie;
}

std::string read_all(int fd)
{
    std::string text;
    char buf[512];
    off_t off = 0;
    ssize_t n;
    while (text.size() < 4096 && (n = ::pread(fd, buf, sizeof(buf), off)) > 0) {
        text.append(buf, static_cast<size_t>(n));
        off += n;
    }
    return text;
}

// Only values pathd itself could have found are restored: the record lives in root's /run,
// but a sysctl write from a file is still checked.
bool plausible(const Record& r)
{
    if (r.key != "net.mptcp.path_manager" && r.key != "net.mptcp.pm_type")
        return false;
    if (r.previous.empty() || r.previous.size() > 32 ||
        !std::all_of(r.previous.begin(), r.previous.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
        return false;
    return PmSetting{r.key, r.previous}.userspace() == false;
}

Record parse_record(const std::string& text)
{
    Record r;
    std::istringstream in(text);
    std::string k, v;
    while (in >> k >> v) {
        try {
            if (k == "pid")
                r.pid = std::stol(v);
            else if (k == "netns_cookie")
                r.cookie = std::stoull(v);
        } catch (const std::exception&) {
        }
        if (k == "sysctl")
            r.key = v;
        else if (k == "previous")
            r.previous = v;
    }
    // The first versions wrote the bare pid.
    if (!r.pid)
        try {
            r.pid = std::stol(text);
        } catch (const std::exception&) {
        }
    return r;
}

Result<void> write_record(int fd, const std::string& text)
{
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
        return fail_errno("failed to write the pathd record");
    return {};
}

std::string lock_path()
{
    struct stat st {};
    if (::stat("/proc/self/ns/net", &st) != 0)
        return "";
    return "/run/mptcp-sched-pathd-" + std::to_string(st.st_ino) + ".lock";
}

Result<UniqueFd> lock_netns()
{
    const std::string path = lock_path();
    if (path.empty())
        return fail_errno("failed to identify the network namespace");
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd)
        return fail_errno("failed to open " + path);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        const Record r = parse_record(read_all(fd.get()));
        return fail_msg("another mptcp-sched pathd" +
                            (r.pid > 0 ? " (pid " + std::to_string(r.pid) + ")" : "") +
                            " already manages this network namespace", EBUSY);
    }
    return fd;
}

// With the lock held: undoes what the recorded (dead) pathd left, clears the record.
// Returns the line saying what was done; nullopt when there was nothing to undo.
Result<std::optional<std::string>> recover(int fd)
{
    const Record r = parse_record(read_all(fd));
    std::optional<std::string> said;
    if (!r.key.empty() && plausible(r)) {
        const uint64_t here = netns_cookie();
        auto cur = read_sysctl(r.key);
        if ((!r.cookie || !here || r.cookie == here) && cur &&
            PmSetting{r.key, *cur}.userspace()) {
            if (auto w = write_sysctl(r.key, r.previous); !w)
                return fail_msg("failed to restore " + r.key + " = " + r.previous +
                                    " left by pathd pid " + std::to_string(r.pid) + ": " +
                                    w.error().message, w.error().code);
            said = "restored " + r.key + " = " + r.previous + " (pathd pid " +
                   std::to_string(r.pid) + " set " + *cur + " and ended without restoring it)";
        }
    }
    if (auto w = write_record(fd, ""); !w)
        return std::unexpected(w.error());
    return said;
}

}  // namespace

Result<void> pathd_add_policy(PathdOptions& o, const std::string& policy)
{
    if (policy == "fullmesh")
        o.fullmesh = true;
    else if (policy == "mobility")
        o.mobility = true;
    else if (policy.rfind("backup-iface=", 0) == 0 && policy.size() > 13)
        o.backup_ifaces.push_back(policy.substr(13));
    else
        return fail_msg("unknown policy '" + policy + "' (policies: fullmesh, mobility, "
                        "backup-iface=PATTERN)", EINVAL);
    return {};
}

Result<std::string> reset_pathd()
{
    auto lock = lock_netns();
    if (!lock) {
        if (lock.error().code == EBUSY)
            return fail_msg("failed to reset: " + lock.error().message +
                                " (stop it with SIGTERM: it restores the path manager itself)",
                            EBUSY);
        return std::unexpected(lock.error());
    }
    auto said = recover(lock->get());
    if (!said)
        return std::unexpected(said.error());
    if (*said)
        return **said;
    auto cur = read_pm_setting();
    return "nothing to restore: no pathd left its setting behind in this network namespace" +
           (cur ? " (" + cur->key + " is " + cur->value + ")" : std::string());
}

Result<void> run_pathd(const PathdOptions& o, const PathdLog& log)
{
    auto lock = lock_netns();
    if (!lock)
        return std::unexpected(lock.error());
    auto recovered = recover(lock->get());
    if (!recovered)
        return std::unexpected(recovered.error());
    if (*recovered)
        log(o.json ? nlohmann::json{{"event", "recovered"}, {"what", **recovered}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                   : **recovered);
    auto found = read_pm_setting();
    if (!found)
        return std::unexpected(found.error());
    if (found->userspace())
        return fail_msg("another userspace path manager holds this network namespace (" +
                            found->key + " is already " + found->value +
                            "; stop it, e.g. mptcpd, or set it back to kernel)", EBUSY);
    auto pm = PmEvents::open();
    if (!pm)
        return std::unexpected(pm.error());
    auto rt = RtEvents::open();
    if (!rt)
        return std::unexpected(rt.error());
    auto client = PmClient::open();
    if (!client)
        return std::unexpected(client.error());
    // A burst (thousands of short connections, or pathd stopped for a while) must not
    // overflow the default ~200 KiB; beyond this, resync() takes over.
    if (auto b = pm->set_receive_buffer(o.event_buffer); !b)
        return std::unexpected(b.error());
    if (auto b = rt->set_receive_buffer(o.event_buffer); !b)
        return std::unexpected(b.error());

    struct Restore {
        PmSetting found;
        int lock;
        bool armed = false;
        ~Restore()
        {
            // The record goes only once the setting is back: if the write fails, the next
            // start (or --reset) tries again.
            if (armed && write_sysctl(found.key, found.value))
                (void)write_record(lock, "");
        }
    } restore{*found, lock->get()};

    // The record first: a pathd killed between these two steps leaves a record of a
    // change that did not happen, which recover() recognises (the setting is not
    // userspace) and discards.
    std::ostringstream rec;
    rec << "pid " << getpid() << "\nnetns_cookie " << netns_cookie() << "\nsysctl "
        << found->key << "\nprevious " << found->value << "\n";
    if (auto w = write_record(lock->get(), rec.str()); !w)
        return std::unexpected(w.error());
    const std::string want = found->key == "net.mptcp.path_manager" ? "userspace" : "1";
    restore.armed = true;
    if (auto w = write_sysctl(found->key, want); !w)
        return fail_msg("failed to switch to the userspace path manager: " + w.error().message,
                        w.error().code);

    Pathd d(o, log, *client);
    if (auto l = client->get_limits())
        d.limit_ = l->subflows;
    if (auto r = d.refresh_interfaces(); !r)
        return std::unexpected(r.error());
    nlohmann::json start = {{"event", "started"}, {found->key, want}, {"was", found->value},
                            {"fullmesh", o.fullmesh}, {"mobility", o.mobility},
                            {"backup_ifaces", o.backup_ifaces},
                            {"max_subflows", o.max_subflows.value_or(d.limit_)}};
    const bool started = log(
        o.json ? start.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
               : "started: " + found->key + " = " + want + " (was " + found->value +
                     "), policies:" + (o.fullmesh ? " fullmesh" : "") +
                     (o.mobility ? " mobility" : "") +
                     [&] {
                         std::string s;
                         for (const auto& b : o.backup_ifaces)
                             s += " backup-iface=" + b;
                         return s;
                     }() +
                     ", at most " + std::to_string(o.max_subflows.value_or(d.limit_)) +
                     " additional subflows per connection");
    const auto log_gone = [&] {
        return fail_msg("pathd: failed to write its log (the reader of its output went "
                        "away); " + found->key + " back to " + found->value, EPIPE);
    };
    if (!started)
        return log_gone();

    // The log's descriptor is polled for nothing: poll still reports POLLERR when the
    // reading end of a pipe closes, so `pathd | head -1` ends here and not at the next
    // event's failed write.
    struct pollfd fds[4] = {{pm->fd(), POLLIN, 0}, {rt->fd(), POLLIN, 0},
                            {o.stop.fd(), POLLIN, 0}, {o.log_fd, 0, 0}};
    const nfds_t nfds = o.log_fd >= 0 ? 4 : 3;
    for (;;) {
        if (::poll(fds, nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            return fail_errno("pathd: poll failed");
        }
        if ((fds[2].revents & POLLIN) && o.stop.requested()) {
            const int sig = o.stop.signal();
            log(o.json ? nlohmann::json{{"event", "stopping"}, {"signal", strsignal(sig)},
                                        {"restored", found->key + " = " + found->value}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                       : std::string("stopping on ") + strsignal(sig) +
                             ": " + found->key + " back to " + found->value);
            return {};
        }
        if (nfds == 4 && (fds[3].revents & (POLLERR | POLLHUP | POLLNVAL)))
            return log_gone();
        if (fds[0].revents & POLLIN) {
            auto r = pm->read([&](const PmEvent& ev) { d.on_pm(ev); });
            if (!r && r.error().code != ENOBUFS)
                return std::unexpected(r.error());
            if (!r) {
                // What is still queued predates the loss; the dump supersedes it.
                pm->discard_pending();
                if (auto s = d.resync("mptcp_pm events"); !s)
                    return std::unexpected(s.error());
            }
        }
        if (fds[1].revents & POLLIN) {
            auto r = rt->read([&](const RtEvent& ev) { d.on_rt(ev); });
            if (!r && r.error().code != ENOBUFS)
                return std::unexpected(r.error());
            if (!r) {
                rt->discard_pending();
                if (auto s = d.resync("rtnetlink events"); !s)
                    return std::unexpected(s.error());
            }
        }
        if (!d.log_ok())
            return log_gone();
    }
}

}  // namespace mptcp_sched

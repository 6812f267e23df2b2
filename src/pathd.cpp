// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/pathd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/mptcp_pm.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mptcp_sched/fd.h"
#include "mptcp_sched/pm_netlink.h"
#include "mptcp_sched/rtnl.h"
#include "mptcp_sched/sysctl.h"

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

class Pathd {
public:
    Pathd(const PathdOptions& o, const std::function<void(const std::string&)>& log)
        : o_(o), log_(log)
    {
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
            log_(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            return;
        }
        std::string line = j.value("event", "");
        for (auto& [k, v] : j.items())
            if (k != "event")
                line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        log_(line);
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
        auto res = pm_subflow_create(c.token, local_id(laddr), l, ifindex_of(laddr), rem, bk);
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
        auto r = pm_subflow_set_backup(c.token, {c.family, c.local0.addr, c.local0.port},
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
                auto r = pm_subflow_destroy(c.token, {c.family, s.local.addr, s.local.port},
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
    std::function<void(const std::string&)> log_;
    std::vector<Link> links_;
    std::vector<IfAddr> addrs_;
    std::map<uint32_t, Conn> conns_;
    std::map<std::string, uint8_t> ids_;
};

// One pathd per netns: a lock file named after the netns inode.
Result<UniqueFd> lock_netns()
{
    struct stat st {};
    if (::stat("/proc/self/ns/net", &st) != 0)
        return fail_errno("failed to identify the network namespace");
    const std::string path = "/run/mptcp-sched-pathd-" + std::to_string(st.st_ino) + ".lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        return fail_errno("failed to open " + path);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        ssize_t n = ::pread(fd.get(), buf, sizeof(buf) - 1, 0);
        return fail_msg("another mptcp-sched pathd" +
                            (n > 0 ? " (pid " + std::string(buf, strcspn(buf, "\n")) + ")" : "") +
                            " already manages this network namespace", EBUSY);
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) == 0)
        (void)::pwrite(fd.get(), pid.data(), pid.size(), 0);
    return fd;
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

Result<void> run_pathd(const PathdOptions& o, const std::function<void(const std::string&)>& log)
{
    auto lock = lock_netns();
    if (!lock)
        return std::unexpected(lock.error());
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

    // Signals become readable events; the original mask is restored on return.
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, &old);
    UniqueFd sfd(signalfd(-1, &mask, SFD_CLOEXEC));
    struct Restore {
        PmSetting found;
        sigset_t old;
        ~Restore()
        {
            (void)write_sysctl(found.key, found.value);
            sigprocmask(SIG_SETMASK, &old, nullptr);
        }
    } restore{*found, old};

    const std::string want = found->key == "net.mptcp.path_manager" ? "userspace" : "1";
    if (auto w = write_sysctl(found->key, want); !w)
        return fail_msg("failed to switch to the userspace path manager: " + w.error().message,
                        w.error().code);

    Pathd d(o, log);
    if (auto l = pm_get_limits())
        d.limit_ = l->subflows;
    if (auto r = d.refresh_interfaces(); !r)
        return std::unexpected(r.error());
    nlohmann::json start = {{"event", "started"}, {found->key, want}, {"was", found->value},
                            {"fullmesh", o.fullmesh}, {"mobility", o.mobility},
                            {"backup_ifaces", o.backup_ifaces},
                            {"max_subflows", o.max_subflows.value_or(d.limit_)}};
    log(o.json ? start.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
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

    struct pollfd fds[3] = {{pm->fd(), POLLIN, 0}, {rt->fd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return fail_errno("pathd: poll failed");
        }
        if (fds[2].revents & POLLIN) {
            struct signalfd_siginfo si {};
            (void)::read(sfd.get(), &si, sizeof(si));
            log(o.json ? nlohmann::json{{"event", "stopping"}, {"signal", strsignal(static_cast<int>(si.ssi_signo))},
                                        {"restored", found->key + " = " + found->value}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                       : std::string("stopping on ") + strsignal(static_cast<int>(si.ssi_signo)) +
                             ": " + found->key + " back to " + found->value);
            return {};
        }
        if (fds[0].revents & POLLIN)
            if (auto r = pm->read([&](const PmEvent& ev) { d.on_pm(ev); }); !r)
                return std::unexpected(r.error());
        if (fds[1].revents & POLLIN)
            if (auto r = rt->read([&](const RtEvent& ev) { d.on_rt(ev); }); !r)
                return std::unexpected(r.error());
    }
}

}  // namespace mptcp_sched

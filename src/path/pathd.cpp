// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/pathd.h"

#include <fcntl.h>
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
#include "mptcp_sched/path/pathd_policy.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/path/rtnl.h"
#include "mptcp_sched/base/sysctl.h"

namespace mptcp_sched {

namespace {

// The path-manager sysctl of this kernel: path_manager (>= 6.15) or pm_type.
struct PmSetting {
    std::string key, value;
    bool userspace() const { return value == "userspace" || value == "1"; }
};

Result<PmSetting> read_pm_setting(const Paths& paths)
{
    if (auto v = read_sysctl(paths, "net.mptcp.path_manager"))
        return PmSetting{"net.mptcp.path_manager", *v};
    auto v = read_sysctl(paths, "net.mptcp.pm_type");
    if (!v)
        return fail_msg("failed to read the path manager setting: " + v.error().message,
                        v.error().code);
    return PmSetting{"net.mptcp.pm_type", *v};
}

// The executor: gathers the state (interface dumps, sock_diag after lost events), folds the
// events into it, asks the policies (pathd_policy.h) what to do and applies their actions
// through the one request socket, logging each outcome.
class Pathd {
public:
    Pathd(const PathdOptions& o, const PathdLog& log, PmClient& pm) : o_(o), log_(log), pm_(pm)
    {
    }

    // False once a log line could not be written.
    bool log_ok() const { return log_ok_; }

    void set_kernel_limit(uint32_t l) { st_.kernel_limit = l; }
    uint32_t kernel_limit() const { return st_.kernel_limit; }

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
        PathdRebuilt rb = pathd_rebuild(st_, *now);
        log_line({{"event", "resync"}, {"socket", which}, {"connections", st_.conns.size()},
                  {"subflows", rb.subflows},
                  {"why", "the kernel dropped events (receive buffer full): state re-read"}});
        PathdTrigger t;
        t.kind = PathdTrigger::Resync;
        t.newly = std::move(rb.newly);
        act(t);
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
        st_.links = std::move(*l);
        st_.addrs = std::move(*a);
        return {};
    }

    void on_pm(const PmEvent& ev)
    {
        PathdTracked t = pathd_track(st_, ev);
        if (!t.log.is_null())
            log_line(std::move(t.log));
        if (t.trigger)
            act(*t.trigger);
    }

    void on_rt(const RtEvent& ev)
    {
        const bool was_up = st_.usable(ev.kind == RtEvent::LinkChange ? ev.link.ifindex : ev.addr.ifindex);
        (void)refresh_interfaces();
        auto t = pathd_rt_trigger(o_, ev, was_up);
        if (!t)
            return;
        switch (t->kind) {
        case PathdTrigger::LinkUp:
        case PathdTrigger::LinkDown:
            log_line({{"event", t->kind == PathdTrigger::LinkUp ? "link_up" : "link_down"},
                      {"dev", ev.link.name}});
            break;
        default:
            log_line({{"event", t->kind == PathdTrigger::AddrAdded ? "addr_added" : "addr_removed"},
                      {"address", ev.addr.addr}, {"dev", if_name(ev.addr.ifindex, st_.links)}});
            break;
        }
        act(*t);
    }

private:
    // Applies what the policies decided on @t, in order. A create that fails takes no room:
    // once the connection's run of creates is through, the policies are asked again for it
    // without what failed, so later candidates get their turn (as if each had been tried
    // against the limit one by one).
    void act(const PathdTrigger& t)
    {
        std::vector<PathdAction> todo = pathd_decide(st_, o_, t);
        PathdTried tried;
        bool refill = false;
        for (size_t i = 0; i < todo.size(); i++) {
            const PathdAction a = todo[i];   // a copy: todo grows below
            const bool ok = execute(a);
            if (a.kind != PathdAction::CreateSubflow)
                continue;
            if (!ok) {
                tried.insert(pathd_tried_key(a));
                refill = true;
            }
            const bool run_ends = i + 1 == todo.size() ||
                                  todo[i + 1].kind != PathdAction::CreateSubflow ||
                                  todo[i + 1].token != a.token;
            if (refill && run_ends) {
                refill = false;
                auto more = pathd_refill(st_, o_, t, a.token, tried);
                todo.insert(todo.begin() + static_cast<std::ptrdiff_t>(i + 1), more.begin(),
                            more.end());
            }
        }
    }

    bool execute(const PathdAction& a)
    {
        const PmSockAddr l{a.family, a.local.addr, a.local.port};
        const PmSockAddr r{a.family, a.remote.addr, a.remote.port};
        const std::string lt = pathd_addr_text(a.local), rt = pathd_addr_text(a.remote);
        Result<void> res;
        switch (a.kind) {
        case PathdAction::CreateSubflow:
            res = pm_.subflow_create(a.token, a.local_id, l, a.ifindex, r, a.backup);
            pathd_note(st_, a, res.has_value());
            if (!res)
                say("subflow_create_failed", a.token, {{"local", a.local.addr}, {"remote", rt},
                                                       {"error", res.error().message}});
            else
                say("subflow_create", a.token, {{"local", a.local.addr}, {"remote", rt},
                                                {"why", a.why}, {"backup", a.backup}});
            break;
        case PathdAction::DestroySubflow:
            res = pm_.subflow_destroy(a.token, l, r);
            pathd_note(st_, a, res.has_value());
            say(res ? "subflow_destroy" : "subflow_destroy_failed", a.token,
                {{"local", lt}, {"remote", rt}, {"why", a.why},
                 {"error", res ? "" : res.error().message}});
            break;
        case PathdAction::SetBackup:
            res = pm_.subflow_set_backup(a.token, l, r, a.backup);
            pathd_note(st_, a, res.has_value());
            say(res ? "subflow_backup" : "subflow_backup_failed", a.token,
                {{"local", lt}, {"remote", rt}, {"error", res ? "" : res.error().message}});
            break;
        }
        return res.has_value();
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

    void say(const std::string& event, uint32_t token, const nlohmann::json& extra)
    {
        log_line(pathd_log_fields(event, token, extra));
    }

    const PathdOptions& o_;
    PathdLog log_;
    PmClient& pm_;   // one request socket (family resolved once) for the daemon's lifetime
    bool log_ok_ = true;
    PathdState st_;
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
Result<std::optional<std::string>> recover(const Paths& paths, int fd)
{
    const Record r = parse_record(read_all(fd));
    std::optional<std::string> said;
    if (!r.key.empty() && plausible(r)) {
        const uint64_t here = netns_cookie();
        auto cur = read_sysctl(paths, r.key);
        if ((!r.cookie || !here || r.cookie == here) && cur &&
            PmSetting{r.key, *cur}.userspace()) {
            if (auto w = write_sysctl(paths, r.key, r.previous); !w)
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

Result<std::string> reset_pathd(const Paths& paths)
{
    auto lock = lock_netns();
    if (!lock) {
        if (lock.error().code == EBUSY)
            return fail_msg("failed to reset: " + lock.error().message +
                                " (stop it with SIGTERM: it restores the path manager itself)",
                            EBUSY);
        return std::unexpected(lock.error());
    }
    auto said = recover(paths, lock->get());
    if (!said)
        return std::unexpected(said.error());
    if (*said)
        return **said;
    auto cur = read_pm_setting(paths);
    return "nothing to restore: no pathd left its setting behind in this network namespace" +
           (cur ? " (" + cur->key + " is " + cur->value + ")" : std::string());
}

Result<void> run_pathd(const PathdOptions& o, const PathdLog& log)
{
    auto lock = lock_netns();
    if (!lock)
        return std::unexpected(lock.error());
    auto recovered = recover(o.paths, lock->get());
    if (!recovered)
        return std::unexpected(recovered.error());
    if (*recovered)
        log(o.json ? nlohmann::json{{"event", "recovered"}, {"what", **recovered}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                   : **recovered);
    auto found = read_pm_setting(o.paths);
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
        const Paths& paths;
        PmSetting found;
        int lock;
        bool armed = false;
        ~Restore()
        {
            // The record goes only once the setting is back: if the write fails, the next
            // start (or --reset) tries again.
            if (armed && write_sysctl(paths, found.key, found.value))
                (void)write_record(lock, "");
        }
    } restore{o.paths, *found, lock->get()};

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
    if (auto w = write_sysctl(o.paths, found->key, want); !w)
        return fail_msg("failed to switch to the userspace path manager: " + w.error().message,
                        w.error().code);

    Pathd d(o, log, *client);
    if (auto l = client->get_limits())
        d.set_kernel_limit(l->subflows);
    if (auto r = d.refresh_interfaces(); !r)
        return std::unexpected(r.error());
    nlohmann::json start = {{"event", "started"}, {found->key, want}, {"was", found->value},
                            {"fullmesh", o.fullmesh}, {"mobility", o.mobility},
                            {"backup_ifaces", o.backup_ifaces},
                            {"max_subflows", o.max_subflows.value_or(d.kernel_limit())}};
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
                     ", at most " + std::to_string(o.max_subflows.value_or(d.kernel_limit())) +
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

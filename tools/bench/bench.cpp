// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench`: scenarios, the emulated topology, workloads and measurements.
//
// Topology, for N paths (i = 0..N-1):
//
//   ms-bench-cli  p<i> 10.<i+1>.1.1 --- c<i> 10.<i+1>.1.2  ms-bench-rtr  s<i> 10.<i+1>.2.2
//                                                   --- p<i> 10.<i+1>.2.1  ms-bench-srv
//
// The server's service address 10.99.0.1 sits on its loopback. The router picks the path by
// incoming interface (a rule per c<i>), so whatever source address a client subflow uses,
// it stays on its own path end to end; the server answers each client address through the
// path it belongs to. The client has a per-source rule per address and a `subflow`
// endpoint for paths 1..N-1 (`backup` when the scenario says so). A per-path table ends
// in an unreachable default (metric 4096), so that a path whose interface is down (its
// routes flushed) fails there instead of leaking into path 0's main-table default. Shaping
// is netem on the router: data direction s<i> (rate, half the RTT, jitter, loss, queue), reverse
// direction c<i> (rate, half the RTT, loss, queue); the queue limit is two
// bandwidth-delay products (at least 32 packets), since netem holds delayed packets too.
//
// Topology set-up runs `ip` and `tc` (iproute2), which a bench host has anyway; each
// command is shown with --verbose and a failing one stops the bench with its message.
#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/bench/aggregate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/mptcp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bpf/bpf.h>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/sched/conn_state.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/path/rtnl.h"
#include "mptcp_sched/sched/schedulers.h"
#include "mptcp_sched/sched/stats.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/diag/trace.h"
#include "mptcp_sched/base/svg.h"
#include "mptcp_sched/base/text.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

namespace mptcp_sched {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- topology -----------

namespace {

const char* kCli = "ms-bench-cli";
const char* kRtr = "ms-bench-rtr";
const char* kSrv = "ms-bench-srv";
const char* kServiceAddr = "10.99.0.1";
constexpr uint16_t kPort = 5201;
constexpr uint16_t kIdlePort = 5202;   // the many workload's idle connections
constexpr int kIdleAhead = 256;        // ... opened at most this far ahead of the accepts
// MPFallbackTokenInit: the kernel's MPTCP token table (one slot per MB of RAM, up to 65536
// slots, 4 tokens each; both ends' connections count when both run on this host) was full.
constexpr const char* kTokenTableHint =
    ": the kernel's MPTCP token table was full (one slot of 4 connections per MB of RAM; "
    "give the machine more memory, e.g. vmtest/run --mem)";

// BenchOptions::on_command of the running bench.
std::function<void(const std::string&)> g_on_command;
// BenchOptions::stop of the running bench: once requested, the current run ends early and
// the bench cleans up and stops.
StopToken g_stop;
bool interrupted() { return g_stop.requested(); }

// Runs argv; on failure the error carries the command and its stderr.
Result<void> run_cmd(const std::vector<std::string>& argv)
{
    std::string text;
    for (const auto& a : argv)
        text += (text.empty() ? "" : " ") + a;
    if (g_on_command)
        g_on_command(text);
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0)
        return fail_errno("failed to run " + text);
    pid_t pid = ::fork();
    if (pid < 0)
        return fail_errno("failed to run " + text);
    if (pid == 0) {
        g_stop.prepare_child();
        ::dup2(pipefd[1], 2);
        int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 1);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "cannot run %s: %s", args[0], std::strerror(errno));
        _exit(127);
    }
    ::close(pipefd[1]);
    std::string err;
    char buf[512];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof(buf))) > 0)
        err.append(buf, static_cast<size_t>(n));
    ::close(pipefd[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return {};
    while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
        err.pop_back();
    return fail_msg("bench set-up failed: `" + text + "`: " + (err.empty() ? "failed" : err), EIO);
}

Result<void> run_all(const std::vector<std::vector<std::string>>& cmds)
{
    for (const auto& c : cmds)
        if (auto r = run_cmd(c); !r)
            return r;
    return {};
}

std::vector<std::string> ipn(const char* ns, std::initializer_list<std::string> rest)
{
    std::vector<std::string> v{"ip", "-n", ns};
    v.insert(v.end(), rest);
    return v;
}

std::string num(double v)
{
    std::ostringstream o;
    o << v;
    return o.str();
}

std::string cli_addr(size_t i) { return "10." + std::to_string(i + 1) + ".1.1"; }

// The netem command for one direction of a path; @down drops everything.
std::vector<std::string> netem_cmd(const std::string& dev, const BenchPath& p, bool data_dir,
                                   bool down)
{
    std::vector<std::string> c{"tc", "-n", kRtr, "qdisc", "replace", "dev", dev, "root", "netem"};
    const double one_way = p.rtt_ms / 2;
    if (one_way > 0) {
        c.insert(c.end(), {"delay", num(one_way) + "ms"});
        if (data_dir && p.jitter_ms > 0)
            c.push_back(num(p.jitter_ms) + "ms");
    }
    if (p.rate_mbit > 0)
        c.insert(c.end(), {"rate", num(p.rate_mbit) + "mbit"});
    if (down)
        c.insert(c.end(), {"loss", "100%"});
    else if (p.loss_pct > 0)
        c.insert(c.end(), {"loss", num(p.loss_pct) + "%"});
    double bdp_pkts = p.rate_mbit > 0 ? p.rate_mbit * 1e6 / 8 * std::max(p.rtt_ms, 1.0) / 1000 / 1500 : 0;
    long limit = std::max<long>(32, static_cast<long>(std::ceil(2 * bdp_pkts)));
    if (p.rate_mbit <= 0)
        limit = 10000;
    c.insert(c.end(), {"limit", std::to_string(limit)});
    return c;
}

void topo_down(const Paths& paths)
{
    for (const char* ns : {kCli, kRtr, kSrv}) {
        std::string path = paths.netns_dir + "/" + ns;
        if (::access(path.c_str(), F_OK) == 0)
            (void)run_cmd({"ip", "netns", "del", ns});
    }
}

Result<void> topo_up(const Paths& paths, const BenchScenario& s)
{
    if (s.rto_max_ms && ::access(sysctl_path(paths, "net.ipv4.tcp_rto_max_ms").c_str(), F_OK) != 0)
        return fail_msg("scenario '" + s.name + "' sets net.ipv4.tcp_rto_max_ms, which this "
                        "kernel does not have (Linux 6.15 and later)", EOPNOTSUPP);
    topo_down(paths);
    std::vector<std::vector<std::string>> c;
    for (const char* ns : {kCli, kRtr, kSrv}) {
        c.push_back({"ip", "netns", "add", ns});
        c.push_back(ipn(ns, {"link", "set", "lo", "up"}));
        for (const char* k : {"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"})
            c.push_back({"ip", "netns", "exec", ns, "sysctl", "-qw", k});
    }
    c.push_back({"ip", "netns", "exec", kRtr, "sysctl", "-qw", "net.ipv4.ip_forward=1"});
    for (const char* ns : {kCli, kSrv}) {
        c.push_back({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.mptcp.enabled=1"});
        if (s.rto_max_ms)
            c.push_back({"ip", "netns", "exec", ns, "sysctl", "-qw",
                         "net.ipv4.tcp_rto_max_ms=" + std::to_string(s.rto_max_ms)});
        // many's 10,000 connections and their joins, then the next run's while the last
        // run's wait in TIME_WAIT: more than the default 28,232 ephemeral ports
        c.push_back({"ip", "netns", "exec", ns, "sysctl", "-qw",
                     "net.ipv4.ip_local_port_range=1024 65535"});
        c.push_back(ipn(ns, {"mptcp", "limits", "set", "subflows", "8", "add_addr_accepted", "8"}));
        c.push_back(ipn(ns, {"mptcp", "endpoint", "flush"}));
    }
    c.push_back(ipn(kSrv, {"addr", "add", std::string(kServiceAddr) + "/32", "dev", "lo"}));
    if (s.rcvbuf_bytes) {
        // The receiver's buffer: autotuning (TCP and MPTCP's own) stops at tcp_rmem max.
        const uint64_t def = std::min<uint64_t>(131072, s.rcvbuf_bytes);
        c.push_back({"ip", "netns", "exec", kSrv, "sysctl", "-qw",
                     "net.ipv4.tcp_rmem=4096 " + std::to_string(def) + " " +
                         std::to_string(s.rcvbuf_bytes)});
    }
    for (size_t i = 0; i < s.paths.size(); i++) {
        const std::string n = std::to_string(i), net = "10." + std::to_string(i + 1);
        const std::string table = std::to_string(100 + i);
        c.push_back({"ip", "link", "add", "p" + n, "netns", kCli, "type", "veth", "peer", "name",
                     "c" + n, "netns", kRtr});
        c.push_back({"ip", "link", "add", "s" + n, "netns", kRtr, "type", "veth", "peer", "name",
                     "p" + n, "netns", kSrv});
        c.push_back(ipn(kCli, {"addr", "add", net + ".1.1/24", "dev", "p" + n}));
        c.push_back(ipn(kRtr, {"addr", "add", net + ".1.2/24", "dev", "c" + n}));
        c.push_back(ipn(kRtr, {"addr", "add", net + ".2.2/24", "dev", "s" + n}));
        c.push_back(ipn(kSrv, {"addr", "add", net + ".2.1/24", "dev", "p" + n}));
        for (auto [ns, dev] : {std::pair{kCli, "p" + n}, {kRtr, "c" + n}, {kRtr, "s" + n},
                               {kSrv, "p" + n}})
            c.push_back(ipn(ns, {"link", "set", dev, "up"}));
        // client: per-source routing; the main table's default is path 0
        c.push_back(ipn(kCli, {"rule", "add", "from", net + ".1.1", "table", table}));
        c.push_back(ipn(kCli, {"route", "add", "default", "via", net + ".1.2", "dev", "p" + n,
                               "table", table}));
        c.push_back(ipn(kCli, {"route", "add", "unreachable", "default", "metric", "4096",
                               "table", table}));
        if (i == 0)
            c.push_back(ipn(kCli, {"route", "add", "default", "via", net + ".1.2", "dev", "p0"}));
        // router: what enters from c<i> leaves through s<i>
        c.push_back(ipn(kRtr, {"rule", "add", "iif", "c" + n, "table", table}));
        c.push_back(ipn(kRtr, {"route", "add", kServiceAddr, "via", net + ".2.1", "dev", "s" + n,
                               "table", table}));
        // server: each client subnet through its own path
        c.push_back(ipn(kSrv, {"route", "add", net + ".1.0/24", "via", net + ".2.2", "dev", "p" + n}));
        if (i > 0) {
            std::vector<std::string> ep = ipn(kCli, {"mptcp", "endpoint", "add", net + ".1.1", "dev",
                                                     "p" + n, "subflow"});
            if (s.paths[i].backup)
                ep.push_back("backup");
            c.push_back(ep);
        }
        c.push_back(netem_cmd("s" + n, s.paths[i], true, false));
        c.push_back(netem_cmd("c" + n, s.paths[i], false, false));
    }
    if (auto r = run_all(c); !r)
        return r;
    // An MPTCP SYN lost twice makes the kernel retry without MPTCP and, when that gets
    // through, take the path for a firewall that strips MPTCP ("blackhole", 6.12+): MPTCP
    // off for every new connection of the netns for an hour. The bench's paths have no
    // middlebox, so detection is off: a fallback costs its own run (measure() says so), not
    // every run after it.
    auto scope = NetnsScope::enter(paths, kCli);
    if (!scope)
        return std::unexpected(scope.error());
    if (::access(sysctl_path(paths, "net.mptcp.blackhole_timeout").c_str(), F_OK) == 0)
        return write_sysctl(paths, "net.mptcp.blackhole_timeout", "0");
    return {};
}

// The client's routes through path @i, as topo_up makes them: what a link set down loses.
Result<void> restore_routes(size_t i)
{
    const std::string dev = "p" + std::to_string(i);
    const int ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
    if (!ifindex)
        return fail_errno("failed to restore the routes of path " + std::to_string(i) +
                          ": no interface " + dev);
    Route r;
    r.family = AF_INET;
    r.gateway = "10." + std::to_string(i + 1) + ".1.2";
    r.oif = ifindex;
    std::vector<uint32_t> tables = {static_cast<uint32_t>(100 + i)};
    if (i == 0)
        tables.push_back(RT_TABLE_MAIN);
    for (uint32_t t : tables) {
        r.table = t;
        if (auto a = rt_add_route(r); !a && a.error().code != EEXIST)
            return a;
    }
    return {};
}

// One change of a path (expand_events), from the client netns (this thread's).
Result<void> apply_change(const PathChange& c)
{
    const std::string n = std::to_string(c.path);
    switch (c.op) {
    case PathChange::Blackhole:
    case PathChange::Reshape: {
        const bool drop = c.op == PathChange::Blackhole;
        return run_all({netem_cmd("s" + n, c.shape, true, drop), netem_cmd("c" + n, c.shape, false, drop)});
    }
    case PathChange::LinkDown:
        if (g_on_command)
            g_on_command("(rtnetlink) ip -n " + std::string(kCli) + " link set p" + n + " down");
        return rt_set_link_up("p" + n, false);
    case PathChange::Restore:
        if (auto r = run_all({netem_cmd("s" + n, c.shape, true, false),
                              netem_cmd("c" + n, c.shape, false, false)}); !r)
            return r;
        if (g_on_command)
            g_on_command("(rtnetlink) ip -n " + std::string(kCli) + " link set p" + n +
                         " up; its default routes back");
        if (auto r = rt_set_link_up("p" + n, true); !r)
            return r;
        return restore_routes(c.path);
    }
    return {};
}

// ---------------------------------------------------------------- server -------------

// Request header from the client: mode and, for request/response, the sizes.
struct Hello {
    uint32_t mode;            // 1 bulk, 2 request/response, 3 the same with a WireReport
    uint32_t request_bytes;
    uint32_t response_bytes;
    uint32_t pad;
};
// What the server reports after a request/response run (mode 3), once the client shut its
// side down: the TCP payload bytes its subflows sent, retransmissions included.
struct WireReport {
    uint64_t bytes_sent;
};
// What the server reports back after a bulk transfer.
struct BulkReport {
    uint64_t bytes;
    uint64_t first_ns, last_ns;   // first and last byte, server clock
    uint64_t max_gap_ns;          // longest time between two arrivals of data
    uint64_t max_gap_end_ns;      // when it ended, server clock
};

uint64_t now_ns()
{
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     Clock::now().time_since_epoch()).count());
}

// TCP payload bytes sent by the connection of @fd, retransmissions included (tcpi_bytes_sent
// counts every transmission): over its subflows, or the socket's own for plain TCP and
// fallback. A subflow already closed is no longer counted.
uint64_t wire_bytes_sent(int fd)
{
    const SocketMptcp st = socket_mptcp_state(fd);
    if (st.mptcp) {
        uint64_t n = 0;
        for (const auto& sf : st.subflows)
            n += sf.bytes_sent;
        return n;
    }
    auto ti = socket_tcp_info(fd);
    return ti ? ti->bytes_sent : 0;
}

void serve_one(int fd)
{
    Hello h{};
    if (!read_full(fd, &h, sizeof(h)))
        return;
    if (h.mode == 1) {
        std::vector<char> buf(256 << 10);
        BulkReport rep{};
        uint64_t last = 0;
        for (;;) {
            ssize_t r = ::read(fd, buf.data(), buf.size());
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            uint64_t t = now_ns();
            if (rep.bytes == 0)
                rep.first_ns = t;
            else if (t - last > rep.max_gap_ns) {
                rep.max_gap_ns = t - last;
                rep.max_gap_end_ns = t;
            }
            last = t;
            rep.bytes += static_cast<uint64_t>(r);
        }
        rep.last_ns = last;
        write_full(fd, &rep, sizeof(rep));
    } else if (h.mode == 2 || h.mode == 3) {
        // As a request/response server does: each answer leaves at once. Without it Nagle
        // holds an answer's short last segment while an earlier one is unacknowledged
        // (MPTCP sets it on every subflow, joined later or not).
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        std::vector<char> req(h.request_bytes), resp(h.response_bytes, 'r');
        bool ok = true;
        while (ok && read_full(fd, req.data(), req.size()))
            ok = write_full(fd, resp.data(), resp.size());
        if (ok && h.mode == 3) {
            const WireReport rep{wire_bytes_sent(fd)};
            write_full(fd, &rep, sizeof(rep));
        }
    }
}

// An MPTCP listener on the service address's @port in the server netns (@flags: more
// socket type flags), for @who in errors. Accepted sockets get the scheduler the netns has
// now: a listener is made for each run.
Result<UniqueFd> listen_service(const Paths& paths, uint16_t port, int flags, int backlog,
                                const std::string& who)
{
    auto scope = NetnsScope::enter(paths, kSrv);
    if (!scope)
        return std::unexpected(scope.error());
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, IPPROTO_MPTCP));
    if (!fd)
        return fail_errno("failed to create the MPTCP socket of " + who);
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, kServiceAddr, &sa.sin_addr);
    if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof(sa)) != 0 ||
        ::listen(fd.get(), backlog) != 0)
        return fail_errno("failed to listen for " + who);
    return fd;
}

// The server: MPTCP listener on the service address (plain TCP clients are accepted too),
// one thread per connection, until stop() shuts the listener down.
class Server {
public:
    Result<void> start(const Paths& paths)
    {
        auto fd = listen_service(paths, kPort, 0, 64, "the bench server");
        if (!fd)
            return std::unexpected(fd.error());
        listen_ = std::move(*fd);
        stop_ = false;
        thread_ = std::thread([this] { loop(); });
        return {};
    }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
        for (auto& w : workers_)
            w.thread.join();
        workers_.clear();
        listen_ = UniqueFd();
    }
    ~Server() { stop(); }

private:
    void loop()
    {
        while (!stop_) {
            struct pollfd p = {listen_.get(), POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0)
                continue;
            int c = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                return;
            }
            // Finished workers are joined as new ones come: a churn run makes thousands.
            std::erase_if(workers_, [](Worker& w) {
                if (!*w.done)
                    return false;
                w.thread.join();
                return true;
            });
            auto done = std::make_shared<std::atomic<bool>>(false);
            workers_.push_back({std::thread([c, done] {
                                    serve_one(c);
                                    ::close(c);
                                    *done = true;
                                }),
                                done});
        }
    }
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    UniqueFd listen_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::vector<Worker> workers_;
};

// ---------------------------------------------------------------- client -------------

// A connected client socket: MPTCP, or plain TCP from @src_addr for a baseline.
Result<UniqueFd> connect_client(bool mptcp, const std::string& src_addr, uint16_t port = kPort)
{
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, mptcp ? IPPROTO_MPTCP : IPPROTO_TCP));
    if (!fd)
        return fail_errno(mptcp ? "failed to create an MPTCP socket" : "failed to create a socket");
    if (!src_addr.empty()) {
        struct sockaddr_in src {};
        src.sin_family = AF_INET;
        inet_pton(AF_INET, src_addr.c_str(), &src.sin_addr);
        if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&src), sizeof(src)) != 0)
            return fail_errno("failed to bind to " + src_addr);
    }
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, kServiceAddr, &sa.sin_addr);
    struct timeval tv = {10, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof(sa)) != 0)
        return fail_errno("failed to connect to the bench server");
    return fd;
}

uint64_t thread_cpu_ns()
{
    struct rusage ru {};
    getrusage(RUSAGE_THREAD, &ru);
    return static_cast<uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           static_cast<uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

void record_subflows(int fd, size_t npaths, uint64_t payload, RunFigures& f)
{
    SocketMptcp st = socket_mptcp_state(fd);
    f.mptcp = st.mptcp;
    f.subflows = st.subflows.size();
    if (!st.mptcp)
        return;   // plain TCP (baselines): one path by construction
    f.path_share_pct.assign(npaths, 0.0);
    if (!payload)
        return;
    for (const auto& s : st.subflows)
        for (size_t i = 0; i < npaths; i++)
            if (s.local.rfind(cli_addr(i) + ":", 0) == 0)
                f.path_share_pct[i] += 100.0 * static_cast<double>(s.bytes_sent) /
                                       static_cast<double>(payload);
}

// Bulk or app-limited transfer for w.seconds; @src_addr set = single-path TCP baseline.
RunFigures run_bulk(const BenchWorkload& w, double seconds, size_t npaths, bool mptcp,
                    const std::string& src_addr)
{
    RunFigures f;
    auto fd = connect_client(mptcp, src_addr);
    if (!fd) {
        f.error = fd.error().message;
        return f;
    }
    Hello h{1, 0, 0, 0};
    std::vector<char> chunk(64 << 10, 'b');
    const uint64_t cpu0 = thread_cpu_ns();
    uint64_t sent = 0;
    bool ok = write_full(fd->get(), &h, sizeof(h));
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (ok && Clock::now() < end && !interrupted()) {
        size_t n = chunk.size();
        if (w.kind == BenchWorkload::Rate) {
            // keep to rate_mbit: send what the schedule allows, in 16 KiB pieces
            double due = w.rate_mbit * 1e6 / 8 *
                         std::chrono::duration<double>(Clock::now() - start).count();
            if (static_cast<double>(sent) >= due) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            n = std::min<size_t>(16 << 10, static_cast<size_t>(due - static_cast<double>(sent)) + 1);
        }
        ssize_t r = ::write(fd->get(), chunk.data(), n);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;   // EAGAIN: SO_SNDTIMEO passed with nothing sent; keep trying until the end
        if (r <= 0)
            ok = false;
        else
            sent += static_cast<uint64_t>(r);
    }
    const uint64_t cpu1 = thread_cpu_ns();
    record_subflows(fd->get(), npaths, sent, f);
    ::shutdown(fd->get(), SHUT_WR);
    BulkReport rep{};
    if (!ok) {
        f.error = std::string("sending failed: ") + std::strerror(errno);
        return f;
    }
    struct timeval tv = {30, 0};
    setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!read_full(fd->get(), &rep, sizeof(rep))) {
        f.error = "no report from the bench server";
        return f;
    }
    if (rep.bytes != sent) {
        f.error = "the server received " + std::to_string(rep.bytes) + " of " +
                  std::to_string(sent) + " bytes";
        return f;
    }
    const double dur = static_cast<double>(rep.last_ns - rep.first_ns) / 1e9;
    // Everything is acknowledged by now: what the connection re-sent at the MPTCP level.
    if (mptcp && rep.bytes) {
        struct mptcp_info mi {};
        socklen_t len = sizeof(mi);
        if (getsockopt(fd->get(), SOL_MPTCP, MPTCP_INFO, &mi, &len) == 0 &&
            len >= offsetof(struct mptcp_info, mptcpi_bytes_retrans) + sizeof(mi.mptcpi_bytes_retrans))
            f.reinject_pct = 100.0 * static_cast<double>(mi.mptcpi_bytes_retrans) /
                             static_cast<double>(rep.bytes);
        uint64_t first = 0;
        for (const auto& sf : socket_mptcp_state(fd->get()).subflows)
            first += sf.bytes_sent - std::min(sf.bytes_retrans, sf.bytes_sent);
        f.duplicate_pct = first > rep.bytes ? 100.0 * static_cast<double>(first - rep.bytes) /
                                                  static_cast<double>(rep.bytes)
                                            : 0;
    }
    f.goodput_mbit = dur > 0 ? static_cast<double>(rep.bytes) * 8 / dur / 1e6 : 0;
    f.payload = rep.bytes;
    f.max_gap_ms = static_cast<double>(rep.max_gap_ns) / 1e6;
    if (rep.max_gap_ns)
        f.max_gap_at_s = static_cast<double>(rep.max_gap_end_ns - rep.max_gap_ns - rep.first_ns) / 1e9;
    f.cpu_ns_per_kib = sent ? static_cast<double>(cpu1 - cpu0) * 1024 / static_cast<double>(sent) : 0;
    f.ok = true;
    return f;
}

// The @q quantile of sorted @v by nearest rank: the smallest value with at least q of the
// samples at or below it (p99.9 of 1000 samples is the second largest).
double nearest_rank(const std::vector<double>& v, double q)
{
    const size_t rank = static_cast<size_t>(std::ceil(static_cast<double>(v.size()) * q - 1e-9));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// REQUESTS (x @scale, at least 10) sequential requests on one connection; figures: latency
// percentiles, and the bytes both ends put on the wire per payload byte, the server's from
// its WireReport after the client shut its side down.
RunFigures run_rr(const BenchWorkload& w, double scale, size_t npaths, bool mptcp,
                  const std::string& src_addr)
{
    RunFigures f;
    auto fd = connect_client(mptcp, src_addr);
    if (!fd) {
        f.error = fd.error().message;
        return f;
    }
    const int requests = std::max(std::min(w.requests, 10), static_cast<int>(std::lround(w.requests * scale)));
    int one = 1;
    setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Hello h{3, static_cast<uint32_t>(w.request_bytes), static_cast<uint32_t>(w.response_bytes), 0};
    std::vector<char> req(w.request_bytes, 'q'), resp(w.response_bytes);
    if (!write_full(fd->get(), &h, sizeof(h))) {
        f.error = "sending failed";
        return f;
    }
    // Timing starts once every path has its subflow (at most 5 s: a lost MP_JOIN SYN is
    // re-sent after 1 s, then 3 s), else the first requests measure the join, not the policy.
    if (mptcp) {
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        while (socket_mptcp_state(fd->get()).subflows.size() < npaths && Clock::now() < deadline &&
               !interrupted())
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::vector<double> lat;
    const uint64_t cpu0 = thread_cpu_ns();
    for (int i = 0; i < requests && !interrupted(); i++) {
        auto t0 = Clock::now();
        if (!write_full(fd->get(), req.data(), req.size()) ||
            !read_full(fd->get(), resp.data(), resp.size())) {
            f.error = "request " + std::to_string(i) + " failed";
            return f;
        }
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    const uint64_t cpu1 = thread_cpu_ns();
    const uint64_t done = lat.size();
    record_subflows(fd->get(), npaths, done * w.request_bytes, f);
    const uint64_t client_wire = wire_bytes_sent(fd->get());
    f.payload = done * w.response_bytes;
    // CPU per KiB moved either way: the client sends the requests and reads the responses.
    const uint64_t moved = done * (w.request_bytes + w.response_bytes);
    if (lat.empty()) {
        f.error = "interrupted";
        return f;
    }
    ::shutdown(fd->get(), SHUT_WR);
    WireReport rep{};
    if (!read_full(fd->get(), &rep, sizeof(rep))) {
        f.error = "no wire report from the bench server";
        return f;
    }
    f.wire_per_payload = static_cast<double>(client_wire + rep.bytes_sent) / static_cast<double>(moved);
    std::sort(lat.begin(), lat.end());
    f.p50_ms = nearest_rank(lat, 0.5);
    f.p99_ms = nearest_rank(lat, 0.99);
    f.p999_ms = nearest_rank(lat, 0.999);
    f.cpu_ns_per_kib = static_cast<double>(cpu1 - cpu0) * 1024 / static_cast<double>(moved);
    f.ok = true;
    return f;
}

// The connection-state map (socket storage) of the scheduler selected in this thread's
// netns, if it keeps our statistics; empty for the kernel's default or a foreign one.
std::string current_state_pin(const Paths& paths)
{
    auto cur = read_sysctl(paths, "net.mptcp.scheduler");
    auto loaded = list_loaded(paths, false);
    if (!cur || !loaded)
        return "";
    for (const auto& l : *loaded)
        if (l.name == *cur && l.has_stats)
            return l.pin_dir + "/ms_conn_state";
    return "";
}

// After a churn run every connection is closed: the states its scheduler kept must go
// with them (a connection's state is deleted on release, or freed with its socket). Closed
// MPTCP sockets take a moment to be released (an orphaned one whose subflows still close
// waits up to TCP_TIMEWAIT_LEN, 60 s): wait up to 90 s for none to be left. -1 when
// the scheduler keeps no state or it cannot be read.
double states_left_after_close(const Paths& paths)
{
    const std::string pin = current_state_pin(paths);
    if (pin.empty())
        return -1;
    const auto deadline = Clock::now() + std::chrono::seconds(90);
    for (;;) {
        auto st = read_conn_states(pin);
        if (!st)
            return -1;
        if (st->empty() || Clock::now() > deadline || interrupted())
            return static_cast<double>(st->size());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// Churn: CONNECTIONS short connections (connect, one request/response, close) from
// CONCURRENCY clients at a time, each one connection after another. Figures: connections
// per second, and p50/p99 of one connection's whole life (connect to close) as p50_ms /
// p99_ms. @scale shrinks the count for quick runs.
RunFigures run_churn(const Paths& paths, const BenchWorkload& w, double scale, bool mptcp,
                     const std::string& src_addr)
{
    RunFigures f;
    const int total = std::max(1, static_cast<int>(std::lround(w.connections * scale)));
    const int clients = std::max(1, std::min(w.concurrency, total));
    const Hello h{2, static_cast<uint32_t>(w.request_bytes), static_cast<uint32_t>(w.response_bytes), 0};
    std::atomic<int> next{0};
    std::mutex mu;
    std::vector<double> lat;
    std::string error;
    auto client = [&] {
        std::vector<char> req(w.request_bytes, 'q'), resp(w.response_bytes);
        std::vector<double> mine;
        while (!interrupted() && next.fetch_add(1) < total) {
            const auto t0 = Clock::now();
            auto fd = connect_client(mptcp, src_addr);
            const bool ok = fd && write_full(fd->get(), &h, sizeof(h)) &&
                            write_full(fd->get(), req.data(), req.size()) &&
                            read_full(fd->get(), resp.data(), resp.size());
            if (!ok) {
                std::lock_guard<std::mutex> l(mu);
                if (error.empty())
                    error = fd ? "connection " + std::to_string(next.load()) + ": the exchange failed"
                               : fd.error().message;
                return;
            }
            fd->reset();   // the close is part of the connection's life
            mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
        std::lock_guard<std::mutex> l(mu);
        lat.insert(lat.end(), mine.begin(), mine.end());
    };
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < clients; i++)
        threads.emplace_back(client);
    for (auto& t : threads)
        t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    if (!error.empty()) {
        f.error = error;
        return f;
    }
    if (static_cast<int>(lat.size()) < total || secs <= 0) {
        f.error = "interrupted";
        return f;
    }
    std::sort(lat.begin(), lat.end());
    f.states_left = mptcp ? states_left_after_close(paths) : -1;   // baselines: plain TCP
    f.conns_per_s = total / secs;
    f.p50_ms = lat[lat.size() / 2];
    f.p99_ms = lat[std::min(lat.size() - 1, static_cast<size_t>(std::ceil(lat.size() * 0.99)) - 1)];
    f.payload = static_cast<uint64_t>(total) * w.response_bytes;
    f.mptcp = mptcp;
    f.ok = true;
    return f;
}

// The many workload's other end, in the server netns: accepts idle connections on
// kIdlePort and holds them, reading and dropping what they send, until each closes. One
// epoll thread, however many connections.
class IdleSink {
public:
    Result<void> start(const Paths& paths)
    {
        auto fd = listen_service(paths, kIdlePort, SOCK_NONBLOCK, 4096,
                                 "the idle connections' server");
        if (!fd)
            return std::unexpected(fd.error());
        listen_ = std::move(*fd);
        epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
        struct epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.fd = listen_.get();
        if (!epoll_ || ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_.get(), &ev) != 0)
            return fail_errno("failed to watch the idle connections (epoll)");
        thread_ = std::thread([this] { loop(); });
        return {};
    }
    size_t accepted() const { return accepted_; }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
        for (int fd : conns_)
            ::close(fd);
        conns_.clear();
        listen_ = UniqueFd();
    }
    ~IdleSink() { stop(); }

private:
    void loop()
    {
        std::vector<struct epoll_event> evs(256);
        char buf[4096];
        while (!stop_) {
            int n = ::epoll_wait(epoll_.get(), evs.data(), static_cast<int>(evs.size()), 100);
            for (int i = 0; i < n; i++) {
                const int fd = evs[static_cast<size_t>(i)].data.fd;
                if (fd == listen_.get()) {
                    int c;
                    while ((c = ::accept4(listen_.get(), nullptr, nullptr,
                                          SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
                        struct epoll_event ev {};
                        ev.events = EPOLLIN;
                        ev.data.fd = c;
                        ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c, &ev);
                        conns_.insert(c);
                        accepted_++;
                    }
                    continue;
                }
                ssize_t r;
                while ((r = ::read(fd, buf, sizeof(buf))) > 0) {
                }
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    ::close(fd);   // also leaves the epoll set
                    conns_.erase(fd);
                }
            }
        }
    }
    UniqueFd listen_, epoll_;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> accepted_{0};
    std::thread thread_;
    std::set<int> conns_;   // the loop thread's until stop() has joined it
};

// Raises the open-file limit to at least @n for the life of the scope (the many workload
// holds both ends of every idle connection in this process), back to what it was after.
class FileLimit {
public:
    static Result<std::unique_ptr<FileLimit>> raise_to(rlim_t n)
    {
        struct rlimit was {};
        if (::getrlimit(RLIMIT_NOFILE, &was) != 0)
            return fail_errno("failed to read the open-file limit");
        if (was.rlim_cur < n) {
            struct rlimit want = {n, std::max(n, was.rlim_max)};
            if (::setrlimit(RLIMIT_NOFILE, &want) != 0)
                return fail_errno("failed to raise the open-file limit to " + std::to_string(n) +
                                  " (fs.nr_open may be lower)");
        }
        return std::unique_ptr<FileLimit>(new FileLimit(was));
    }
    ~FileLimit() { ::setrlimit(RLIMIT_NOFILE, &was_); }

private:
    explicit FileLimit(struct rlimit was) : was_(was) {}
    struct rlimit was_;
};

// Many: CONNECTIONS idle MPTCP connections (each sends one byte, so its scheduler has
// decided once and keeps its state) stay open while one bulk transfer runs. Figures: the
// transfer's goodput and gap, how long reading every connection's state takes (what
// `mptcp-sched stats` does), and the MPTCP sockets' option memory per connection, where the
// kernel charges BPF socket storage. @scale shrinks the count and the transfer.
RunFigures run_many(const Paths& paths, const BenchWorkload& w, double scale, size_t npaths,
                    bool mptcp, const std::string& src_addr)
{
    RunFigures f;
    if (!mptcp)   // the single-path baseline is the transfer alone
        return run_bulk(w, w.seconds * scale, npaths, mptcp, src_addr);
    const int total = std::max(1, static_cast<int>(std::lround(w.connections * scale)));
    auto limit = FileLimit::raise_to(static_cast<rlim_t>(2 * total + 1024));
    if (!limit) {
        f.error = limit.error().message;
        return f;
    }
    IdleSink sink;
    if (auto r = sink.start(paths); !r) {
        f.error = r.error().message;
        return f;
    }
    std::vector<UniqueFd> idle(static_cast<size_t>(total));
    std::atomic<int> next{0}, opened{0};
    std::mutex mu;
    std::string error;
    auto opener = [&] {
        for (int i; !interrupted() && (i = next.fetch_add(1)) < total;) {
            // No further ahead of the server's accepts than its queue holds: a SYN dropped
            // on a full queue comes back without MPTCP, and the connection falls back.
            const auto wait_until = Clock::now() + std::chrono::seconds(30);
            while (opened - static_cast<int>(sink.accepted()) > kIdleAhead &&
                   Clock::now() < wait_until && !interrupted())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            auto fd = connect_client(true, "", kIdlePort);
            const char one = 'i';
            if (!fd || ::write(fd->get(), &one, 1) != 1) {
                std::lock_guard<std::mutex> l(mu);
                if (error.empty())
                    error = "idle connection " + std::to_string(i) + ": " +
                            (fd ? std::string(std::strerror(errno)) : fd.error().message);
                next = total;
                return;
            }
            idle[static_cast<size_t>(i)] = std::move(*fd);
            opened++;
        }
    };
    std::vector<std::thread> openers;
    for (int i = 0; i < 4; i++)
        openers.emplace_back(opener);
    for (auto& t : openers)
        t.join();
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (error.empty() && sink.accepted() < static_cast<size_t>(total) && Clock::now() < deadline &&
           !interrupted())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (error.empty() && sink.accepted() < static_cast<size_t>(total))
        error = "the server accepted " + std::to_string(sink.accepted()) + " of " +
                std::to_string(total) + " idle connections in 120 s";
    if (!error.empty() || interrupted()) {
        f.error = error.empty() ? "interrupted" : error;
        return f;
    }
    // Option memory of our side's idle MPTCP sockets (the default keeps none: the baseline).
    if (auto conns = list_connections()) {
        uint64_t sum = 0, n = 0;
        const std::string port = ":" + std::to_string(kIdlePort);
        for (const auto& c : *conns)
            if (!c.server_side && c.remote.ends_with(port)) {
                sum += c.optmem_bytes;
                n++;
            }
        if (n)
            f.optmem_per_conn = static_cast<double>(sum) / static_cast<double>(n);
    }
    if (const std::string pin = current_state_pin(paths); !pin.empty()) {
        const auto t0 = Clock::now();
        if (auto st = read_conn_states(pin); st)
            f.stats_read_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    }
    // Connections the kernel could not give an MPTCP token fall back to TCP: the figures
    // hold for those that use MPTCP (the report judges that nearly all do).
    const auto idle_mptcp = std::count_if(idle.begin(), idle.end(),
                                          [](const UniqueFd& fd) { return uses_mptcp(fd.get()); });
    RunFigures bulk = run_bulk(w, w.seconds * scale, npaths, mptcp, src_addr);
    bulk.idle_connections = static_cast<double>(idle_mptcp);
    bulk.stats_read_ms = f.stats_read_ms;
    bulk.optmem_per_conn = f.optmem_per_conn;
    idle.clear();
    sink.stop();
    return bulk;
}

// ---------------------------------------------------------------- decision cost ------

// Sums run_time_ns and run_cnt over the struct_ops get_send programs: with one scheduler
// in use per run, the delta over a run is that scheduler's cost. Programs are found by
// name, which the kernel keeps to 15 characters: a get_send program named longer (the
// reference's was ref_first_get_send) is not counted.
std::pair<uint64_t, uint64_t> get_send_stats()
{
    uint64_t ns = 0, cnt = 0;
    __u32 id = 0;
    while (bpf_prog_get_next_id(id, &id) == 0) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0)
            continue;
        struct bpf_prog_info info {};
        __u32 len = sizeof(info);
        if (bpf_prog_get_info_by_fd(fd, &info, &len) == 0 &&
            info.type == BPF_PROG_TYPE_STRUCT_OPS) {
            std::string name = info.name;
            if (name.size() > 8 && name.compare(name.size() - 8, 8, "get_send") == 0) {
                ns += info.run_time_ns;
                cnt += info.run_cnt;
            }
        }
        ::close(fd);
    }
    return {ns, cnt};
}

// ---------------------------------------------------------------- orchestration ------

// The MPTcpExt counters of @ns, read from this thread's own view of it; empty when
// unreadable.
std::map<std::string, uint64_t> mibs_of(const Paths& paths, const char* ns)
{
    auto scope = NetnsScope::enter(paths, ns);
    return scope ? mptcp_mibs() : std::map<std::string, uint64_t>{};
}

// Every MPTcpExt counter of both ends, named "client NAME" and "server NAME".
std::map<std::string, uint64_t> mibs_now(const Paths& paths)
{
    std::map<std::string, uint64_t> out;
    for (auto [ns, end] : {std::pair{kCli, "client "}, {kSrv, "server "}})
        for (const auto& [k, v] : mibs_of(paths, ns))
            out[end + k] = v;
    return out;
}

// The counters of @after that grew since @before, by how much.
std::map<std::string, uint64_t> mibs_grown(const std::map<std::string, uint64_t>& before,
                                           const std::map<std::string, uint64_t>& after)
{
    std::map<std::string, uint64_t> out;
    for (const auto& [k, v] : after) {
        const auto it = before.find(k);
        const uint64_t was = it == before.end() ? 0 : it->second;
        if (v > was)
            out[k] = v - was;
    }
    return out;
}

// The fallback counters among @grown (fallback_mibs), as "client MPCapableSYNTXDrop +3, ...";
// empty: none.
std::string fallbacks_in(const std::map<std::string, uint64_t>& grown)
{
    std::string out;
    for (const auto& [k, v] : grown) {
        const std::string name = k.substr(k.find(' ') + 1);
        if (!fallback_mibs({{name, v}}).empty())
            out += (out.empty() ? "" : ", ") + k + " +" + std::to_string(v);
    }
    return out;
}

// Plays a scenario's path changes at their times from a helper thread, which starts in the
// client netns of the thread that makes the player (rtnetlink and if_nametoindex act there),
// and marks them on @recorder. finish() (also run by the destructor, so a run that ends
// early leaves no path changed) stops what is not yet due and restores every path touched.
class EventPlayer {
public:
    EventPlayer(const BenchScenario& s, std::vector<PathChange> changes, TimelineRecorder* recorder)
        : changes_(std::move(changes))
    {
        for (const auto& c : changes_)
            if (std::none_of(restore_.begin(), restore_.end(),
                             [&](const PathChange& r) { return r.path == c.path; }))
                restore_.push_back({PathChange::Restore, 0, c.path, s.paths[c.path], ""});
        thread_ = std::thread([this, recorder] {
            const auto t0 = Clock::now();
            for (const auto& c : changes_) {
                while (!stop_ && Clock::now() - t0 < std::chrono::duration<double>(c.at_s))
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                if (stop_)
                    return;
                if (auto r = apply_change(c); !r && error_.empty())
                    error_ = "failed to apply '" + c.label + "': " + r.error().message;
                if (recorder)
                    recorder->mark(c.label);
            }
        });
    }
    EventPlayer(const EventPlayer&) = delete;
    EventPlayer& operator=(const EventPlayer&) = delete;
    ~EventPlayer() { (void)finish(); }

    // The first failure (of a change or a restore), "" if none.
    std::string finish()
    {
        if (!thread_.joinable())
            return error_;
        stop_ = true;
        thread_.join();
        for (const auto& r : restore_)
            if (auto a = apply_change(r); !a && error_.empty())
                error_ = "failed to restore path " + std::to_string(r.path) + ": " + a.error().message;
        return error_;
    }

private:
    std::vector<PathChange> changes_, restore_;
    std::atomic<bool> stop_{false};
    std::string error_;   // written by the thread until it is joined
    std::thread thread_;
};

// A run's timeline, or why there is none.
struct RunTimeline {
    std::optional<Timeline> timeline;
    std::string error;
};

// One measurement (a scheduler or a single-path baseline) in the client netns, with the
// scenario's events fired at their times from a helper thread. A non-null @record (MPTCP
// runs only) is given the run's connection sampled every 100 ms.
RunFigures measure(const Paths& paths, const BenchScenario& s, double scale, bool mptcp,
                   const std::string& src_addr, RunTimeline* record = nullptr)
{
    auto scope = NetnsScope::enter(paths, kCli);
    if (!scope) {
        RunFigures f;
        f.error = scope.error().message;
        return f;
    }
    // Events apply to the MPTCP runs; single-path baselines measure the undisturbed paths.
    const bool with_events = mptcp && !s.events.empty();
    std::unique_ptr<TimelineRecorder> recorder;
    if (mptcp && record) {
        TimelineOptions to;
        to.netns = kCli;
        to.paths = paths;
        to.interval = std::chrono::milliseconds(100);
        to.filter.only_new = true;
        to.filter.remote_port = kPort;
        auto r = TimelineRecorder::start(to);
        if (r)
            recorder = std::move(*r);
        else
            record->error = r.error().message;
    }
    std::optional<EventPlayer> events;
    if (with_events)
        events.emplace(s, expand_events(s, scale), recorder.get());
    const auto mibs0 = mibs_now(paths);
    RunFigures f = s.workload.kind == BenchWorkload::RequestResponse
                       ? run_rr(s.workload, scale, s.paths.size(), mptcp, src_addr)
                   : s.workload.kind == BenchWorkload::Churn
                       ? run_churn(paths, s.workload, scale, mptcp, src_addr)
                   : s.workload.kind == BenchWorkload::Many
                       ? run_many(paths, s.workload, scale, s.paths.size(), mptcp, src_addr)
                       : run_bulk(s.workload, s.workload.seconds * scale, s.paths.size(), mptcp,
                                  src_addr);
    if (events) {
        // events leave the topology changed: every path is restored for the next run, and a
        // change that failed makes this run's figures meaningless
        const std::string err = events->finish();
        if (!err.empty() && f.ok) {
            f.ok = false;
            f.error = err;
        }
    }
    const auto mibs1 = mibs_now(paths);
    const auto grown = mibs_grown(mibs0, mibs1);
    // An MPTCP run that fell back to plain TCP (its own connection, or any of a churn's)
    // measured TCP: an error, with the kernel's counters saying how. many's idle connections
    // are counted instead (idle_connections: those using MPTCP).
    if (mptcp && f.ok) {
        const std::string fell = fallbacks_in(grown);
        const bool many = s.workload.kind == BenchWorkload::Many;
        if (!f.mptcp || (!fell.empty() && !many)) {
            f.ok = false;
            f.error = std::string(f.mptcp ? "connections of this run" : "the connection") +
                      " fell back to plain TCP" + (fell.empty() ? "" : " (MPTcpExt " + fell + ")");
            if (fell.find("MPFallbackTokenInit") != std::string::npos)
                f.error += kTokenTableHint;
        }
    }
    if (recorder)
        record->timeline = recorder->stop();
    if (mptcp) {
        f.mibs = grown;
        // per MB of payload, where the receiver's counters were readable (OFOQueue: data
        // segments its MPTCP level queued out of order; RcvPruned: segments it dropped for
        // want of receive memory after the subflow had acknowledged them - the sender only
        // re-sends those at the MPTCP level, after its retransmit timer)
        const auto per_mb = [&](const char* name) {
            const std::string k = std::string("server ") + name;
            if (!mibs1.count(k) || !f.payload)
                return -1.0;
            return static_cast<double>(grown.count(k) ? grown.at(k) : 0) /
                   (static_cast<double>(f.payload) / 1e6);
        };
        f.ofo_per_mb = per_mb("OFOQueue");
        f.pruned_per_mb = per_mb("RcvPruned");
    }
    return f;
}

// Writes the timeline of @sched's newest run (the last of @runs) as --timeline asks: every
// run's under its round, the first round's, or the worst round's so far (rewritten when a
// later round goes worse). A timeline that could not be recorded leaves a chart and a JSON
// saying why; one that cannot be written costs the chart, not the run's figures: the
// returned text says why ("" when written or not kept).
std::string keep_timeline(const BenchOptions& o, const BenchScenario& s, const std::string& sched,
                          const std::vector<RunFigures>& runs, const RunTimeline& tl)
{
    const size_t round = runs.size() - 1;
    const Headline h = headline_of(s);
    if (o.timeline == BenchOptions::Timelines::Worst) {
        size_t worst = 0;
        for (size_t i = 1; i < runs.size(); i++)
            if (worse_run(runs[i], runs[worst], h))
                worst = i;
        if (worst != round)
            return "";
    }
    const bool all = o.timeline == BenchOptions::Timelines::All;
    const RunFigures& r = runs.back();
    const std::string dir = o.out_dir + "/timelines";
    const std::string name = s.name + "-" + sched + (all ? "-" + std::to_string(round + 1) : "");
    // names come from scenario files and objects' registered names: never a path
    if (!is_plain_file_name(name + ".json"))
        return "no timeline for " + printable(name) + ": not a plain file name";
    ::mkdir(dir.c_str(), 0755);
    const std::string base = dir + "/" + name;
    json about = {{"round", round + 1}, {"repeat", o.repeat},
                  {"kept", all ? "all" : o.timeline == BenchOptions::Timelines::First ? "first" : "worst"},
                  {"figure", h.key}};
    std::string title = s.name + ": " + sched + " (" + s.description + "), round " +
                        std::to_string(round + 1) + " of " + std::to_string(o.repeat);
    if (r.ok) {
        about["value"] = headline_value(r, h);
        if (r.max_gap_at_s >= 0)
            about["longest_gap_at_s"] = r.max_gap_at_s;
        title += ": " + svg_num(headline_value(r, h), 1) + " " + h.unit;
    } else {
        about["error"] = r.error;
        title += ": failed";
    }
    json j = tl.timeline ? tl.timeline->to_json() : json{{"error", tl.error}};
    j["bench"] = std::move(about);
    auto w = write_file(base + ".json", dump_json(j, 1) + "\n", "failed to write " + base + ".json");
    if (w)
        w = write_file(base + ".svg",
                       timeline_svg(tl.timeline.value_or(Timeline{}),
                                    tl.timeline ? title : title + " - no timeline: " + tl.error),
                       "failed to write " + base + ".svg");
    return w ? "" : w.error().message;
}

// The scheduler's counters after a run that began at @before. A connection is counted
// released when its socket is freed, which follows the close by a round trip or more
// (both ends' DATA_FINs; an orphaned socket waits for its subflows): wait a little for
// every connection the run made to be released, so that a run's conn_new and
// conn_released agree unless one really was not.
Result<std::array<uint64_t, MS_CNT_NR>> read_counters_settled(
    const Paths& paths, const std::string& name, const std::array<uint64_t, MS_CNT_NR>& before)
{
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    for (;;) {
        auto k = read_counters(paths, name);
        if (!k || (*k)[MS_CNT_CONN_RELEASED] - before[MS_CNT_CONN_RELEASED] >=
                      (*k)[MS_CNT_CONN_NEW] - before[MS_CNT_CONN_NEW] ||
            Clock::now() > deadline || interrupted())
            return k;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// One progress line for a finished run.
std::string outcome(const RunFigures& f, const BenchScenario& s)
{
    auto r1 = [](double v) { return num(std::round(v * 10) / 10); };
    if (!f.ok)
        return "    failed: " + f.error;
    if (s.workload.kind == BenchWorkload::RequestResponse)
        return "    p50 " + r1(f.p50_ms) + " ms, p99 " + r1(f.p99_ms) + " ms, p99.9 " +
               r1(f.p999_ms) + " ms, " + num(std::round(f.wire_per_payload * 100) / 100) +
               " bytes on the wire per payload byte";
    if (s.workload.kind == BenchWorkload::Churn)
        return "    " + r1(f.conns_per_s) + " connections/s, p99 " + r1(f.p99_ms) + " ms each" +
               (f.states_left >= 0 ? ", " + num(f.states_left) + " states left after close" : "");
    if (s.workload.kind == BenchWorkload::Many && f.idle_connections >= 0)
        return "    " + r1(f.goodput_mbit) + " Mbit/s beside " + num(f.idle_connections) +
               " idle MPTCP connections" +
               (f.stats_read_ms >= 0 ? ", states read in " + r1(f.stats_read_ms) + " ms" : "") +
               (f.optmem_per_conn >= 0 ? ", " + num(std::round(f.optmem_per_conn)) + " B optmem each" : "");
    return "    " + r1(f.goodput_mbit) + " Mbit/s, longest gap " + num(std::round(f.max_gap_ms)) + " ms" +
           (f.max_gap_at_s >= 0 ? " at " + num(std::round(f.max_gap_at_s * 100) / 100) + " s" : "") +
           (f.reinject_pct >= 0 ? ", reinjected " + num(std::round(f.reinject_pct * 100) / 100) + "%" : "") +
           (f.duplicate_pct >= 0 ? ", sent twice " + num(std::round(f.duplicate_pct * 100) / 100) + "%" : "") +
           (f.pruned_per_mb > 0 ? ", receiver dropped " + r1(f.pruned_per_mb) + " packets/MB" : "");
}

}  // namespace

Result<json> run_bench(const BenchOptions& o, const std::function<void(const std::string&)>& progress)
{
    if (::geteuid() != 0)
        return fail_msg("permission denied: bench creates network namespaces and loads BPF "
                        "schedulers (run it as root, in the VM: vmtest/run -- mptcp-sched bench ...)",
                        EPERM);
    g_on_command = o.on_command;
    struct CommandHookReset {
        ~CommandHookReset() { g_on_command = nullptr; }
    } command_hook_reset;
    // A scheduler is the kernel's default, a built-in, or an object file (FILE.bpf.o, e.g. a
    // trivial reference scheduler to compare decision costs with); object files are known
    // by their registered name from here on.
    std::vector<std::string> scheds = o.schedulers;
    auto is_object = [](const std::string& s) {
        return s.size() > 6 && s.compare(s.size() - 6, 6, ".bpf.o") == 0;
    };
    for (const auto& sched : scheds)
        if (sched != "default" && !find_builtin(sched) && !is_object(sched))
            return fail_msg("unknown scheduler '" + sched + "': use default, a built-in (" +
                            builtin_names_for_humans() + ") or an object file FILE.bpf.o", EINVAL);
    // The caller's stop token (the CLI's Ctrl-C, SIGTERM): a stop from here on ends in the
    // clean-up below, never half-way.
    g_stop = o.stop;
    struct StopReset {
        ~StopReset() { g_stop = StopToken(); }
    } stop_reset;

    auto guard = BenchGuard::take(o.paths, {kCli, kRtr, kSrv});
    if (!guard)
        return std::unexpected(guard.error());
    // netem is the first thing a kernel may lack: probe it on a throwaway device.
    topo_down(o.paths);
    if (auto r = run_all({{"ip", "netns", "add", kRtr},
                          ipn(kRtr, {"link", "add", "probe0", "type", "veth", "peer", "name", "probe1"}),
                          {"tc", "-n", kRtr, "qdisc", "add", "dev", "probe0", "root", "netem",
                           "delay", "1ms"}});
        !r) {
        topo_down(o.paths);
        return fail_msg("this kernel cannot emulate paths (netem): " + r.error().message +
                        "; run the bench in the VM: vmtest/run -- mptcp-sched bench ...", ENOTSUP);
    }
    topo_down(o.paths);

    // Load what is needed, remember what to unload; the sysctl is per netns and ours go away.
    std::vector<std::string> loaded_here;
    struct Unloader {
        const Paths& paths;
        std::vector<std::string>& names;
        ~Unloader()
        {
            for (const auto& n : names)
                (void)unload_scheduler(paths, n);
        }
    } unloader{o.paths, loaded_here};
    const auto registered = registered_schedulers(o.paths);
    for (auto& sched : scheds) {
        if (sched == "default")
            continue;
        const std::string reg = registered_name(sched);
        if (!is_object(sched) && std::find(registered.begin(), registered.end(), reg) != registered.end())
            continue;
        auto r = load_scheduler(LoadRequest{sched, {}, false, "", o.paths});
        if (!r)
            return std::unexpected(r.error());
        if (is_object(sched))
            sched = r->name;
        loaded_here.push_back(r->name);
        progress("loaded " + r->name);
        if (auto g = guard->loaded(r->name); !g)
            return std::unexpected(g.error());
        if (interrupted())
            return fail_msg("interrupted; schedulers the bench loaded unloaded", EINTR);
    }
    auto stats_was = read_sysctl(o.paths, "kernel.bpf_stats_enabled");
    if (stats_was)
        if (auto g = guard->bpf_stats_was(*stats_was); !g)
            return std::unexpected(g.error());
    (void)write_sysctl(o.paths, "kernel.bpf_stats_enabled", "1");
    struct StatsRestore {
        const Paths& paths;
        std::string v;
        ~StatsRestore()
        {
            if (!v.empty())
                (void)write_sysctl(paths, "kernel.bpf_stats_enabled", v);
        }
    } stats_restore{o.paths, stats_was ? *stats_was : ""};

    if (::mkdir(o.out_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno("failed to create " + o.out_dir);
    BenchResults results;
    results.repeat = o.repeat;
    results.time_scale = o.time_scale;
    {
        std::ifstream osr("/proc/sys/kernel/osrelease");
        std::getline(osr, results.kernel);
    }
    for (const auto& s : o.scenarios) {
        progress("scenario " + s.name + ": " + s.description);
        auto up = topo_up(o.paths, s);
        if (!up) {
            topo_down(o.paths);
            return std::unexpected(up.error());
        }
        Server server;
        if (auto r = server.start(o.paths); !r) {
            topo_down(o.paths);
            return std::unexpected(r.error());
        }
        // Runs interleave (baselines and schedulers in each round) so slow drift of a noisy
        // machine spreads over all of them instead of biasing one.
        ScenarioRuns runs;
        auto& base = runs.single_path;
        auto& per = runs.schedulers;
        base.resize(s.paths.size());
        for (int round = 0; round < o.repeat && !interrupted(); round++) {
            for (size_t i = 0; i < s.paths.size() && !interrupted(); i++) {
                if (s.paths[i].backup)
                    continue;
                progress("  round " + std::to_string(round + 1) + "/" + std::to_string(o.repeat) +
                         ": single-path TCP on path " + std::to_string(i));
                base[i].push_back(measure(o.paths, s, o.time_scale, false, cli_addr(i)));
                progress(outcome(base[i].back(), s));
            }
            for (const auto& sched : scheds) {
                if (interrupted())
                    break;
                progress("  round " + std::to_string(round + 1) + "/" + std::to_string(o.repeat) +
                         ": " + sched);
                for (const char* ns : {kCli, kSrv})
                    if (auto r = select_scheduler(o.paths, sched, ns); !r) {
                        topo_down(o.paths);
                        return std::unexpected(r.error());
                    }
                // An accepted MPTCP socket keeps its listener's scheduler, whatever the netns
                // says now: a listener per run, or the server's answers (rr) would all be
                // scheduled by the one selected when the scenario started.
                server.stop();
                if (auto r = server.start(o.paths); !r) {
                    topo_down(o.paths);
                    return std::unexpected(r.error());
                }
                auto c0 = get_send_stats();
                // the scheduler's own counters (none for the default, or without our stats)
                const std::string reg = sched == "default" ? "" : registered_name(sched);
                std::optional<std::array<uint64_t, MS_CNT_NR>> k0;
                if (!reg.empty())
                    if (auto k = read_counters(o.paths, reg))
                        k0 = *k;
                RunTimeline tl;
                const bool record = o.timeline == BenchOptions::Timelines::All ||
                                    o.timeline == BenchOptions::Timelines::Worst ||
                                    (o.timeline == BenchOptions::Timelines::First && round == 0);
                per[sched].push_back(measure(o.paths, s, o.time_scale, true, "",
                                             record ? &tl : nullptr));
                if (record)
                    if (auto why = keep_timeline(o, s, sched, per[sched], tl); !why.empty())
                        progress("    " + why);
                auto c1 = get_send_stats();
                per[sched].back().decision_ns_total = c1.first - c0.first;
                per[sched].back().decision_count = c1.second - c0.second;
                if (k0)
                    if (auto k1 = read_counters_settled(o.paths, reg, *k0);
                        k1 && std::equal(k0->begin(), k0->end(), k1->begin(), std::less_equal<>()))
                        for (uint32_t k = 0; k < MS_CNT_NR; k++)   // none went backwards
                            per[sched].back().counters[counter_name(static_cast<ms_counter>(k))] =
                                (*k1)[k] - (*k0)[k];
                progress(outcome(per[sched].back(), s));
            }
        }
        server.stop();
        topo_down(o.paths);
        if (interrupted())
            return fail_msg("interrupted; network namespaces removed, schedulers the bench "
                            "loaded unloaded; finished scenarios are in " + o.out_dir +
                            "/results.json", EINTR);
        BenchScenarioResult sr = aggregate_scenario(s, scheds, runs);
        const std::string chart = o.out_dir + "/" + s.name + ".svg";
        if (!is_plain_file_name(s.name + ".svg"))
            return fail_msg("failed to write a chart for scenario '" + s.name + "': not a plain "
                            "file name", EINVAL);
        if (auto w = write_file(chart, bench_chart_svg(to_json(sr)), "failed to write " + chart); !w)
            return std::unexpected(w.error());
        sr.chart = chart;
        results.scenarios.push_back(std::move(sr));
        const json rjson = to_json(results);
        if (sweep_point(s.name))
            for (const auto& sched : sweep_schedulers(rjson)) {
                const std::string hm = o.out_dir + "/sweep-" + sched + ".svg";
                if (auto w = write_file(hm, sweep_heatmap_svg(rjson, sched), "failed to write " + hm); !w)
                    return std::unexpected(w.error());
            }
        const std::string rj = o.out_dir + "/results.json";
        if (auto w = write_file(rj, dump_json(rjson, 2) + "\n", "failed to write " + rj); !w)
            return std::unexpected(w.error());
        progress("  wrote " + chart);
    }
    return to_json(results);
}

}  // namespace mptcp_sched

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

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
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
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/path/rtnl.h"
#include "mptcp_sched/sched/schedulers.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/diag/trace.h"

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

void topo_down()
{
    for (const char* ns : {kCli, kRtr, kSrv}) {
        std::string path = netns_dir() + "/" + ns;
        if (::access(path.c_str(), F_OK) == 0)
            (void)run_cmd({"ip", "netns", "del", ns});
    }
}

Result<void> topo_up(const BenchScenario& s)
{
    topo_down();
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
    return run_all(c);
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
            else
                rep.max_gap_ns = std::max(rep.max_gap_ns, t - last);
            last = t;
            rep.bytes += static_cast<uint64_t>(r);
        }
        rep.last_ns = last;
        write_full(fd, &rep, sizeof(rep));
    } else if (h.mode == 2 || h.mode == 3) {
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

// The server: MPTCP listener on the service address (plain TCP clients are accepted too),
// one thread per connection, until stop() shuts the listener down.
class Server {
public:
    Result<void> start()
    {
        auto scope = NetnsScope::enter(kSrv);
        if (!scope)
            return std::unexpected(scope.error());
        UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP));
        if (!fd)
            return fail_errno("failed to create the bench server's MPTCP socket");
        int one = 1;
        setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa {};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(kPort);
        inet_pton(AF_INET, kServiceAddr, &sa.sin_addr);
        if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof(sa)) != 0 ||
            ::listen(fd.get(), 64) != 0)
            return fail_errno("failed to listen on the bench server");
        listen_ = std::move(fd);
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

struct RunFigures {
    bool ok = false;
    std::string error;
    double goodput_mbit = 0;
    double max_gap_ms = 0;
    double p50_ms = 0, p99_ms = 0, p999_ms = 0;
    // request/response: TCP payload bytes both ends sent (retransmissions and copies on
    // other subflows included) per byte of requests and responses
    double wire_per_payload = 0;
    double cpu_ns_per_kib = 0;
    double conns_per_s = 0;               // churn
    double ofo_per_mb = -1;               // packets the receiver queued out of order per MB
    uint64_t payload = 0;                 // bytes the receiver got
    std::vector<double> path_share_pct;   // bytes sent per path, % of the payload
    bool mptcp = false;
    size_t subflows = 0;
};

// A connected client socket: MPTCP, or plain TCP from @src_addr for a baseline.
Result<UniqueFd> connect_client(bool mptcp, const std::string& src_addr)
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
    sa.sin_port = htons(kPort);
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
    f.goodput_mbit = dur > 0 ? static_cast<double>(rep.bytes) * 8 / dur / 1e6 : 0;
    f.payload = rep.bytes;
    f.max_gap_ms = static_cast<double>(rep.max_gap_ns) / 1e6;
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
    // let additional subflows join before timing
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
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

// Churn: CONNECTIONS short connections (connect, one request/response, close) from
// CONCURRENCY clients at a time, each one connection after another. Figures: connections
// per second, and p50/p99 of one connection's whole life (connect to close) as p50_ms /
// p99_ms. @scale shrinks the count for quick runs.
RunFigures run_churn(const BenchWorkload& w, double scale, bool mptcp, const std::string& src_addr)
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
    f.conns_per_s = total / secs;
    f.p50_ms = lat[lat.size() / 2];
    f.p99_ms = lat[std::min(lat.size() - 1, static_cast<size_t>(std::ceil(lat.size() * 0.99)) - 1)];
    f.payload = static_cast<uint64_t>(total) * w.response_bytes;
    f.mptcp = mptcp;
    f.ok = true;
    return f;
}

// ---------------------------------------------------------------- decision cost ------

// Sums run_time_ns and run_cnt over the struct_ops get_send programs: with one scheduler
// in use per run, the delta over a run is that scheduler's cost.
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

json spread_json(const std::vector<double>& v)
{
    Spread s = spread_of(v);
    return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"n", s.n}};
}

// MPTcpExtOFOQueue of the server netns: data segments the MPTCP receivers there had to
// queue out of order (waiting for an earlier one from another subflow). Read from this
// thread's own netns view; -1 when unreadable.
double server_ofo_count()
{
    auto scope = NetnsScope::enter(kSrv);
    if (!scope)
        return -1;
    std::ifstream f("/proc/thread-self/net/netstat");
    std::string names, values;
    while (std::getline(f, names) && std::getline(f, values)) {
        if (names.rfind("MPTcpExt:", 0) != 0)
            continue;
        std::istringstream n(names), v(values);
        std::string key, val;
        while (n >> key && v >> val)
            if (key == "OFOQueue")
                return std::stod(val);
    }
    return -1;
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

// One measurement (a scheduler or a single-path baseline) in the client netns, with the
// scenario's events fired at their times from a helper thread. A non-empty @timeline
// (a path without extension) records the run's connection every 100 ms into
// @timeline.json and draws @timeline.svg, titled @title.
RunFigures measure(const BenchScenario& s, double scale, bool mptcp, const std::string& src_addr,
                   const std::string& timeline = "", const std::string& title = "")
{
    auto scope = NetnsScope::enter(kCli);
    if (!scope) {
        RunFigures f;
        f.error = scope.error().message;
        return f;
    }
    // Events apply to the MPTCP runs; single-path baselines measure the undisturbed paths.
    const bool with_events = mptcp && !s.events.empty();
    std::unique_ptr<TimelineRecorder> recorder;
    std::string timeline_error;
    if (mptcp && !timeline.empty()) {
        TimelineOptions to;
        to.netns = kCli;
        to.interval = std::chrono::milliseconds(100);
        to.filter.only_new = true;
        to.filter.remote_port = kPort;
        auto r = TimelineRecorder::start(to);
        if (r)
            recorder = std::move(*r);
        else
            timeline_error = r.error().message;
    }
    std::optional<EventPlayer> events;
    if (with_events)
        events.emplace(s, expand_events(s, scale), recorder.get());
    const double ofo0 = server_ofo_count();
    RunFigures f = s.workload.kind == BenchWorkload::RequestResponse
                       ? run_rr(s.workload, scale, s.paths.size(), mptcp, src_addr)
                   : s.workload.kind == BenchWorkload::Churn
                       ? run_churn(s.workload, scale, mptcp, src_addr)
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
    const double ofo1 = server_ofo_count();
    if (recorder) {
        const Timeline tl = recorder->stop();
        // A timeline that cannot be written costs the chart, not the run's figures.
        (void)write_file(timeline + ".json", dump_json(tl.to_json(), 1) + "\n", timeline);
        (void)write_file(timeline + ".svg", timeline_svg(tl, title), timeline);
    }
    if (!timeline_error.empty())   // the run's figures stand; the file says why no chart
        (void)write_file(timeline + ".json", dump_json(json{{"error", timeline_error}}) + "\n",
                         timeline);
    if (mptcp && ofo0 >= 0 && ofo1 >= ofo0 && f.payload)
        f.ofo_per_mb = (ofo1 - ofo0) / (static_cast<double>(f.payload) / 1e6);
    return f;
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
        return "    " + r1(f.conns_per_s) + " connections/s, p99 " + r1(f.p99_ms) + " ms each";
    return "    " + r1(f.goodput_mbit) + " Mbit/s, longest gap " + num(std::round(f.max_gap_ms)) + " ms";
}

json figures_json(const std::vector<RunFigures>& runs, const BenchScenario& s,
                  const std::vector<std::pair<uint64_t, uint64_t>>* cost)
{
    std::vector<double> gp, gap, p50, p99, p999, wire, cpu, cost_ns, ofo, cps;
    std::vector<std::vector<double>> share(s.paths.size());
    json errors = json::array();
    size_t ok = 0;
    for (size_t k = 0; k < runs.size(); k++) {
        const auto& r = runs[k];
        if (!r.ok) {
            errors.push_back(r.error);
            continue;
        }
        ok++;
        gp.push_back(r.goodput_mbit);
        cps.push_back(r.conns_per_s);
        gap.push_back(r.max_gap_ms);
        p50.push_back(r.p50_ms);
        p99.push_back(r.p99_ms);
        p999.push_back(r.p999_ms);
        wire.push_back(r.wire_per_payload);
        cpu.push_back(r.cpu_ns_per_kib);
        if (r.ofo_per_mb >= 0)
            ofo.push_back(r.ofo_per_mb);
        for (size_t i = 0; i < share.size() && i < r.path_share_pct.size(); i++)
            share[i].push_back(r.path_share_pct[i]);
        if (cost && (*cost)[k].second)
            cost_ns.push_back(static_cast<double>((*cost)[k].first) / static_cast<double>((*cost)[k].second));
    }
    json j = {{"runs_ok", ok}, {"errors", errors}};
    if (s.workload.kind == BenchWorkload::Churn) {
        j["conns_per_s"] = spread_json(cps);
        j["p50_ms"] = spread_json(p50);
        j["p99_ms"] = spread_json(p99);
    } else if (s.workload.kind == BenchWorkload::RequestResponse) {
        j["p50_ms"] = spread_json(p50);
        j["p99_ms"] = spread_json(p99);
        j["p999_ms"] = spread_json(p999);
        j["wire_per_payload"] = spread_json(wire);
    } else {
        j["goodput_mbit"] = spread_json(gp);
        j["max_gap_ms"] = spread_json(gap);
    }
    j["cpu_ns_per_kib"] = spread_json(cpu);
    if (!ofo.empty())
        j["ofo_per_mb"] = spread_json(ofo);
    json sh = json::array();
    for (const auto& v : share)
        sh.push_back(spread_json(v));
    j["path_share_pct"] = sh;
    if (cost)
        j["decision_ns"] = cost_ns.empty() ? json() : spread_json(cost_ns);
    return j;
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

    auto guard = BenchGuard::take({kCli, kRtr, kSrv});
    if (!guard)
        return std::unexpected(guard.error());
    // netem is the first thing a kernel may lack: probe it on a throwaway device.
    topo_down();
    if (auto r = run_all({{"ip", "netns", "add", kRtr},
                          ipn(kRtr, {"link", "add", "probe0", "type", "veth", "peer", "name", "probe1"}),
                          {"tc", "-n", kRtr, "qdisc", "add", "dev", "probe0", "root", "netem",
                           "delay", "1ms"}});
        !r) {
        topo_down();
        return fail_msg("this kernel cannot emulate paths (netem): " + r.error().message +
                        "; run the bench in the VM: vmtest/run -- mptcp-sched bench ...", ENOTSUP);
    }
    topo_down();

    // Load what is needed, remember what to unload; the sysctl is per netns and ours go away.
    std::vector<std::string> loaded_here;
    struct Unloader {
        std::vector<std::string>& names;
        ~Unloader()
        {
            for (const auto& n : names)
                (void)unload_scheduler(n);
        }
    } unloader{loaded_here};
    const auto registered = registered_schedulers();
    for (auto& sched : scheds) {
        if (sched == "default")
            continue;
        const std::string reg = registered_name(sched);
        if (!is_object(sched) && std::find(registered.begin(), registered.end(), reg) != registered.end())
            continue;
        auto r = load_scheduler(LoadRequest{sched, {}, false, ""});
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
    auto stats_was = read_sysctl("kernel.bpf_stats_enabled");
    if (stats_was)
        if (auto g = guard->bpf_stats_was(*stats_was); !g)
            return std::unexpected(g.error());
    (void)write_sysctl("kernel.bpf_stats_enabled", "1");
    struct StatsRestore {
        std::string v;
        ~StatsRestore()
        {
            if (!v.empty())
                (void)write_sysctl("kernel.bpf_stats_enabled", v);
        }
    } stats_restore{stats_was ? *stats_was : ""};

    if (::mkdir(o.out_dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno("failed to create " + o.out_dir);
    json results = {{"kernel", ""}, {"repeat", o.repeat}, {"time_scale", o.time_scale},
                    {"scenarios", json::array()}};
    {
        std::ifstream osr("/proc/sys/kernel/osrelease");
        std::string rel;
        std::getline(osr, rel);
        results["kernel"] = rel;
    }
    for (const auto& s : o.scenarios) {
        progress("scenario " + s.name + ": " + s.description);
        auto up = topo_up(s);
        if (!up) {
            topo_down();
            return std::unexpected(up.error());
        }
        Server server;
        if (auto r = server.start(); !r) {
            topo_down();
            return std::unexpected(r.error());
        }
        json sj = {{"scenario", scenario_to_json(s)}, {"single_path", json::array()},
                   {"schedulers", json::object()}, {"scheduler_order", scheds}};
        // Runs interleave (baselines and schedulers in each round) so slow drift of a noisy
        // machine spreads over all of them instead of biasing one.
        std::vector<std::vector<RunFigures>> base(s.paths.size());
        std::map<std::string, std::vector<RunFigures>> per;
        std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> cost;
        for (int round = 0; round < o.repeat && !interrupted(); round++) {
            for (size_t i = 0; i < s.paths.size() && !interrupted(); i++) {
                if (s.paths[i].backup)
                    continue;
                progress("  round " + std::to_string(round + 1) + "/" + std::to_string(o.repeat) +
                         ": single-path TCP on path " + std::to_string(i));
                base[i].push_back(measure(s, o.time_scale, false, cli_addr(i)));
                progress(outcome(base[i].back(), s));
            }
            for (const auto& sched : scheds) {
                if (interrupted())
                    break;
                progress("  round " + std::to_string(round + 1) + "/" + std::to_string(o.repeat) +
                         ": " + sched);
                for (const char* ns : {kCli, kSrv})
                    if (auto r = select_scheduler(sched, ns); !r) {
                        topo_down();
                        return std::unexpected(r.error());
                    }
                // An accepted MPTCP socket keeps its listener's scheduler, whatever the netns
                // says now: a listener per run, or the server's answers (rr) would all be
                // scheduled by the one selected when the scenario started.
                server.stop();
                if (auto r = server.start(); !r) {
                    topo_down();
                    return std::unexpected(r.error());
                }
                auto c0 = get_send_stats();
                std::string timeline;
                if (o.timeline && round == 0) {
                    ::mkdir((o.out_dir + "/timelines").c_str(), 0755);
                    timeline = o.out_dir + "/timelines/" + s.name + "-" + sched;
                }
                per[sched].push_back(measure(s, o.time_scale, true, "", timeline,
                                             s.name + ": " + sched + " (" + s.description + ")"));
                auto c1 = get_send_stats();
                cost[sched].push_back({c1.first - c0.first, c1.second - c0.second});
                progress(outcome(per[sched].back(), s));
            }
        }
        server.stop();
        topo_down();
        if (interrupted())
            return fail_msg("interrupted; network namespaces removed, schedulers the bench "
                            "loaded unloaded; finished scenarios are in " + o.out_dir +
                            "/results.json", EINTR);
        double best_single = 0, sum_single = 0;
        double best_p99 = 0;
        for (size_t i = 0; i < s.paths.size(); i++) {
            if (s.paths[i].backup)
                continue;
            json b = figures_json(base[i], s, nullptr);
            b["path"] = i;
            if (s.workload.kind == BenchWorkload::Churn) {
                // single-path TCP connections/s: the reference a reader compares with
            } else if (s.workload.kind == BenchWorkload::RequestResponse) {
                double p = b["p99_ms"]["median"];
                if (b["runs_ok"].get<size_t>() && (best_p99 == 0 || p < best_p99))
                    best_p99 = p;
            } else {
                double g = b["goodput_mbit"]["median"];
                sum_single += g;
                best_single = std::max(best_single, g);
            }
            sj["single_path"].push_back(b);
        }
        for (const auto& sched : scheds) {
            json f = figures_json(per[sched], s, &cost[sched]);
            if (s.workload.kind != BenchWorkload::RequestResponse &&
                s.workload.kind != BenchWorkload::Churn && sum_single > 0) {
                std::vector<double> eff;
                for (const auto& r : per[sched])
                    if (r.ok)
                        eff.push_back(100.0 * r.goodput_mbit / sum_single);
                f["efficiency_pct"] = spread_json(eff);
                f["vs_best_single_pct"] = 100.0 * f["goodput_mbit"]["median"].get<double>() / best_single;
            }
            sj["schedulers"][sched] = f;
        }
        // Goodput (connections/s for churn) as a ratio to the kernel's default of the same
        // run, per scheduler.
        if (sj["schedulers"].contains("default") &&
            s.workload.kind != BenchWorkload::RequestResponse) {
            const char* key = s.workload.kind == BenchWorkload::Churn ? "conns_per_s" : "goodput_mbit";
            const double ref = sj["schedulers"]["default"][key]["median"];
            if (ref > 0)
                for (auto& [name, f] : sj["schedulers"].items())
                    f["vs_default"] = f[key]["median"].get<double>() / ref;
        }
        sj["sum_single_path_mbit"] = sum_single;
        sj["best_single_path_mbit"] = best_single;
        if (best_p99 > 0)
            sj["best_single_path_p99_ms"] = best_p99;
        const std::string chart = o.out_dir + "/" + s.name + ".svg";
        if (!is_plain_file_name(s.name + ".svg"))
            return fail_msg("failed to write a chart for scenario '" + s.name + "': not a plain "
                            "file name", EINVAL);
        if (auto w = write_file(chart, bench_chart_svg(sj), "failed to write " + chart); !w)
            return std::unexpected(w.error());
        sj["chart"] = chart;
        results["scenarios"].push_back(sj);
        results["targets"] = bench_targets(results);
        if (sweep_point(s.name))
            for (const auto& sched : sweep_schedulers(results)) {
                const std::string hm = o.out_dir + "/sweep-" + sched + ".svg";
                if (auto w = write_file(hm, sweep_heatmap_svg(results, sched), "failed to write " + hm); !w)
                    return std::unexpected(w.error());
            }
        const std::string rj = o.out_dir + "/results.json";
        if (auto w = write_file(rj, dump_json(results, 2) + "\n", "failed to write " + rj); !w)
            return std::unexpected(w.error());
        progress("  wrote " + chart);
    }
    return results;
}

}  // namespace mptcp_sched

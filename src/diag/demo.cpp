// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/diag/demo.h"

#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <cstring>
#include <thread>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/base/text.h"

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

namespace mptcp_sched {

namespace {

// The exchange: the server greets first (its data makes the connection fully established
// at the client, which is when the client's path manager adds subflows), the client waits
// for the subflows to settle, then asks, and the server answers with one JSON line.
constexpr const char* kGreeting = "mptcp-sched-demo 1 ready";
constexpr const char* kHello = "mptcp-sched-demo 1\n";

// A socket of @family for MPTCP (or TCP), with a message that says what to do when the
// kernel refuses MPTCP.
Result<UniqueFd> stream_socket(int family, bool tcp)
{
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, tcp ? IPPROTO_TCP : IPPROTO_MPTCP));
    if (fd)
        return fd;
    const int err = errno;
    if (!tcp && (err == EPROTONOSUPPORT || err == ENOPROTOOPT || err == EINVAL))
        return fail_msg("cannot create an MPTCP socket: " + std::string(std::strerror(err)) +
                        " (kernel without MPTCP, or net.mptcp.enabled = 0 in this network "
                        "namespace; `mptcp-sched doctor` says which; --tcp uses plain TCP)", err);
    return fail_errno("cannot create a socket", err);
}

std::string read_line(int fd, int timeout_ms)
{
    std::string line;
    char c;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (line.size() < 65536) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        deadline - std::chrono::steady_clock::now()).count());
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, left) <= 0)
            break;
        if (::read(fd, &c, 1) != 1)
            break;
        if (c == '\n')
            return line;
        line += c;
    }
    return line;
}

// MSG_NOSIGNAL: a peer that resets the connection must not kill us with SIGPIPE.
bool write_all(int fd, const std::string& s)
{
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

nlohmann::json subflows_json(const std::vector<SubflowInfo>& subs)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : subs)
        arr.push_back({{"local", s.local}, {"remote", s.remote}});
    return arr;
}

uint8_t subflow_count(int fd)
{
    struct mptcp_info info {};
    socklen_t len = sizeof(info);
    return getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) == 0 ? info.mptcpi_subflows : 0;
}

// One client: greeting, its request (at most 5 s), our answer.
void serve_client(UniqueFd c, struct sockaddr_storage peer,
                  const std::function<void(const std::string&)>& log, std::mutex& log_mu)
{
    struct timeval tv = {5, 0};
    setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    write_all(c.get(), std::string(kGreeting) + "\n");
    std::string req = read_line(c.get(), 5000);
    SocketMptcp st = socket_mptcp_state(c.get());
    nlohmann::json ans = {{"mptcp", st.mptcp},
                          {"why", st.mptcp ? "" : st.why},
                          {"client", sockaddr_text(&peer)},
                          {"subflows", subflows_json(st.subflows)},
                          {"request_ok", req + "\n" == kHello}};
    write_all(c.get(), dump_json(ans) + "\n");
    std::lock_guard<std::mutex> g(log_mu);
    log(sockaddr_text(&peer) + ": " + (st.mptcp ? "MPTCP, " + std::to_string(st.subflows.size()) +
                                                      " subflow(s)"
                                                : "plain TCP (" + st.why + ")"));
}

}  // namespace

Result<void> run_demo_server(const DemoServerOptions& o,
                             const std::function<void(const std::string&)>& log)
{
    const bool v6 = o.addr.find(':') != std::string::npos;
    auto fd = stream_socket(v6 ? AF_INET6 : AF_INET, o.tcp);
    if (!fd)
        return std::unexpected(fd.error());
    int one = 1;
    setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss {};
    socklen_t slen;
    if (v6) {
        auto* in6 = reinterpret_cast<struct sockaddr_in6*>(&ss);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(o.port);
        if (inet_pton(AF_INET6, o.addr.c_str(), &in6->sin6_addr) != 1)
            return fail_msg("invalid listen address '" + o.addr + "'", EINVAL);
        slen = sizeof(*in6);
    } else {
        auto* in = reinterpret_cast<struct sockaddr_in*>(&ss);
        in->sin_family = AF_INET;
        in->sin_port = htons(o.port);
        if (inet_pton(AF_INET, o.addr.c_str(), &in->sin_addr) != 1)
            return fail_msg("invalid listen address '" + o.addr + "'", EINVAL);
        slen = sizeof(*in);
    }
    if (::bind(fd->get(), reinterpret_cast<struct sockaddr*>(&ss), slen) != 0)
        return fail_errno("cannot listen on " + o.addr + " port " + std::to_string(o.port));
    if (::listen(fd->get(), 64) != 0)
        return fail_errno("cannot listen");
    log(std::string("listening on ") + (v6 ? "[" + o.addr + "]" : o.addr) + ":" +
        std::to_string(o.port) + (o.tcp ? " (plain TCP)" : " (MPTCP)"));
    // Each client in its own thread: a silent one waits out its own timeout, not everyone's.
    struct Worker {
        std::thread t;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Worker> workers;
    std::mutex log_mu;
    auto reap = [&](bool all) {
        std::erase_if(workers, [&](Worker& w) {
            if (!all && !w.done->load())
                return false;
            w.t.join();
            return true;
        });
    };
    constexpr size_t kMaxClients = 256;
    for (int served = 0; o.count == 0 || served < o.count;) {
        struct sockaddr_storage peer {};
        socklen_t plen = sizeof(peer);
        UniqueFd c(::accept4(fd->get(), reinterpret_cast<struct sockaddr*>(&peer), &plen,
                             SOCK_CLOEXEC));
        if (!c) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            reap(true);
            return fail_errno("accept failed");
        }
        reap(false);
        if (workers.size() >= kMaxClients)
            continue;   // closes it: too many clients at once
        served++;
        auto done = std::make_shared<std::atomic<bool>>(false);
        workers.push_back({std::thread([c = std::move(c), peer, &log, &log_mu, done]() mutable {
                               serve_client(std::move(c), peer, log, log_mu);
                               *done = true;
                           }),
                           done});
    }
    reap(true);
    return {};
}

Result<DemoClientResult> run_demo_client(const std::string& host, uint16_t port, bool tcp,
                                         int settle_ms)
{
    struct addrinfo hints {};
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo* res = nullptr;
    if (int e = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); e)
        return fail_msg("cannot resolve '" + host + "': " + gai_strerror(e), EINVAL);
    std::unique_ptr<struct addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
    Error last{ECONNREFUSED, "no address"};
    for (auto* ai = res; ai; ai = ai->ai_next) {
        auto fd = stream_socket(ai->ai_family, tcp);
        if (!fd)
            return std::unexpected(fd.error());
        if (::connect(fd->get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            last = Error::sys(errno, "cannot connect to " + sockaddr_text(ai->ai_addr));
            continue;
        }
        DemoClientResult r;
        r.peer = sockaddr_text(ai->ai_addr);
        if (read_line(fd->get(), 3000) != kGreeting) {
            r.server_error = "no greeting within 3 s: not an mptcp-sched demo server?";
            r.local = socket_mptcp_state(fd->get());
            r.conn = std::move(*fd);
            return r;
        }
        // Additional subflows join just after the handshake: wait until the count has not
        // changed for 200 ms (or settle_ms passed).
        const auto start = std::chrono::steady_clock::now();
        auto since = start;
        uint8_t n = subflow_count(fd->get());
        while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(settle_ms) &&
               std::chrono::steady_clock::now() - since < std::chrono::milliseconds(200)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            uint8_t m = subflow_count(fd->get());
            if (m != n) {
                n = m;
                since = std::chrono::steady_clock::now();
            }
        }
        if (!write_all(fd->get(), kHello)) {
            r.server_error = std::string("sending the request failed: ") + std::strerror(errno);
        } else {
            std::string line = read_line(fd->get(), 3000);
            if (line.empty()) {
                r.server_error = "no answer within 3 s";
            } else if (auto a = parse_demo_answer(line)) {
                r.server = std::move(*a);
            } else {
                r.server_error = a.error().message;
            }
        }
        r.local = socket_mptcp_state(fd->get());
        r.conn = std::move(*fd);
        return r;
    }
    return std::unexpected(last);
}

Result<nlohmann::json> parse_demo_answer(const std::string& line)
{
    const std::string what = "answer is not from an mptcp-sched demo server";
    auto j = parse_json(line, what, 8);
    if (!j)
        return std::unexpected(j.error());
    if (!j->is_object())
        return fail_msg(what + ": not a JSON object", EPROTO);
    auto need = [&](const char* key, bool (nlohmann::json::*is)() const noexcept,
                    const char* type) -> Result<void> {
        if (!j->contains(key))
            return fail_msg(what + ": no '" + key + "'", EPROTO);
        if (!((*j)[key].*is)())
            return fail_msg(what + ": '" + key + "' is not " + type, EPROTO);
        return {};
    };
    for (auto r : {need("mptcp", &nlohmann::json::is_boolean, "true or false"),
                   need("why", &nlohmann::json::is_string, "a string"),
                   need("client", &nlohmann::json::is_string, "a string"),
                   need("subflows", &nlohmann::json::is_array, "an array"),
                   need("request_ok", &nlohmann::json::is_boolean, "true or false")})
        if (!r)
            return std::unexpected(r.error());
    for (const auto& s : (*j)["subflows"])
        if (!s.is_object() || !s.contains("local") || !s.contains("remote") ||
            !s["local"].is_string() || !s["remote"].is_string())
            return fail_msg(what + ": a subflow is not {\"local\": ..., \"remote\": ...}", EPROTO);
    return std::move(*j);
}

std::string render_demo_client(const DemoClientResult& r)
{
    std::string out = "connected to " + r.peer + " ";
    if (r.local.mptcp) {
        out += "over MPTCP: " + std::to_string(r.local.subflows.size()) + " subflow(s)\n";
        for (const auto& s : r.local.subflows)
            out += "  subflow " + s.local + " -> " + s.remote + "\n";
    } else {
        out += "over plain TCP: " + r.local.why + "\n";
        if (r.local.why.rfind("fell back", 0) == 0)
            out += "  FALLBACK: this connection gets none of MPTCP's paths; check the server's "
                   "net.mptcp.enabled and that it opens IPPROTO_MPTCP sockets\n";
    }
    if (r.server.is_null()) {
        out += "server: " + r.server_error + "\n";
        return out;
    }
    out += "server says: ";
    // r.server passed parse_demo_answer: every key is there with its type.
    if (r.server["mptcp"].get<bool>())
        out += "MPTCP, " + std::to_string(r.server["subflows"].size()) + " subflow(s), ";
    else
        out += "plain TCP (" + printable(r.server["why"].get<std::string>()) + "), ";
    out += "it sees us as " + printable(r.server["client"].get<std::string>()) + "\n";
    return out;
}

nlohmann::json to_json(const DemoClientResult& r, bool asked_tcp)
{
    nlohmann::json subs = nlohmann::json::array();
    for (const auto& s : r.local.subflows)
        subs.push_back({{"local", s.local}, {"remote", s.remote}});
    return {{"peer", r.peer},
            {"mptcp", r.local.mptcp},
            {"fallback", !r.local.mptcp && !asked_tcp},
            {"why", r.local.why},
            {"subflows", subs},
            {"server", r.server},
            {"server_error", r.server_error}};
}

}  // namespace mptcp_sched

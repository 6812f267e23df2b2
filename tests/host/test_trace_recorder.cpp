// SPDX-License-Identifier: GPL-2.0
// The timeline recorder the way the bench uses it: started in a named client netns just
// before a transfer (only_new), marked from another thread, stopped after. Two netns joined
// by two veth pairs with a `subflow` endpoint; sockets made in this process.
#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/matchers/catch_matchers_string.hpp>
#include <thread>
#include <vector>

#include "host_util.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/diag/trace.h"

using namespace mptcp_sched;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr int kMptcp = 262;
constexpr uint16_t kPort = 5311;

ino_t my_netns()
{
    struct stat st {};
    stat("/proc/thread-self/ns/net", &st);
    return st.st_ino;
}

UniqueFd connect_in(const std::string& ns)
{
    auto scope = NetnsScope::enter(Paths{}, ns);
    REQUIRE(scope);
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, kMptcp));
    REQUIRE(fd);
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(kPort);
    inet_pton(AF_INET, "10.0.1.2", &sa.sin_addr);
    REQUIRE(::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof(sa)) == 0);
    return fd;
}

uint32_t token_of(int fd)
{
    struct mptcp_info info {};
    socklen_t len = sizeof(info);
    REQUIRE(getsockopt(fd, 284 /* SOL_MPTCP */, MPTCP_INFO, &info, &len) == 0);
    return info.mptcpi_token;
}

}  // namespace

TEST_CASE("timeline recorder in a named netns: only the new connection, both subflows, marks", "[host]")
{
    require_root();
    Netns cli("ms-trc"), srv("ms-trs");
    for (const Netns* n : {&cli, &srv}) {
        must(n->exec("sysctl -qw net.mptcp.enabled=1"));
        must("ip -n " + n->name + " mptcp limits set subflows 2 add_addr_accepted 2");
    }
    for (int i = 1; i <= 2; i++) {
        const std::string n = std::to_string(i);
        must("ip link add c" + n + " netns " + cli.name + " type veth peer name s" + n + " netns " + srv.name);
        must("ip -n " + cli.name + " addr add 10.0." + n + ".1/24 dev c" + n);
        must("ip -n " + srv.name + " addr add 10.0." + n + ".2/24 dev s" + n);
        must("ip -n " + cli.name + " link set c" + n + " up");
        must("ip -n " + srv.name + " link set s" + n + " up");
    }
    must("ip -n " + cli.name + " mptcp endpoint add 10.0.2.1 dev c2 subflow");

    // The server: accepts two connections and reads until each closes.
    UniqueFd lfd;
    {
        auto scope = NetnsScope::enter(Paths{}, srv.name);
        REQUIRE(scope);
        lfd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, kMptcp));
        REQUIRE(lfd);
        int one = 1;
        setsockopt(lfd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa {};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(kPort);
        REQUIRE(::bind(lfd.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof(sa)) == 0);
        REQUIRE(::listen(lfd.get(), 4) == 0);
    }
    std::vector<std::thread> readers;
    std::thread acceptor([&] {
        for (int i = 0; i < 2; i++) {
            int c = ::accept4(lfd.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0)
                return;
            readers.emplace_back([c] {
                std::vector<char> buf(1 << 16);
                while (::read(c, buf.data(), buf.size()) > 0) {
                }
                ::close(c);
            });
        }
    });

    const ino_t here = my_netns();
    UniqueFd old_conn = connect_in(cli.name);   // exists before recording: must not show up
    const uint32_t old_token = token_of(old_conn.get());

    std::atomic<int> seen_two{0};
    std::atomic<uint64_t> acked{0};
    TimelineOptions o;
    o.netns = cli.name;
    o.interval = std::chrono::milliseconds(50);
    o.filter.only_new = true;
    o.filter.remote_port = kPort;
    o.on_sample = [&](const TimelineSample& s) {
        for (const auto& c : s.connections) {
            if (c.subflows.size() == 2)
                seen_two++;
            acked = c.bytes_acked;
        }
    };
    auto rec = TimelineRecorder::start(o);
    REQUIRE(rec);
    CHECK(my_netns() == here);   // the sampler entered the netns, this thread did not

    std::atomic<bool> stop{false};
    UniqueFd conn = connect_in(cli.name);
    const uint32_t token = token_of(conn.get());
    std::thread sender([&] {
        // about 100 Mbit/s: 64 KiB every 5 ms
        std::vector<char> chunk(64 << 10, 'x');
        while (!stop) {
            if (::write(conn.get(), chunk.data(), chunk.size()) < 0)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    std::thread marker([&] { (*rec)->mark("sender started"); });
    marker.join();

    // Both subflows in several samples and 2 MB acknowledged, within a generous deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((seen_two < 5 || acked < 2000000) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    (*rec)->mark("sender stops");
    stop = true;
    sender.join();
    Timeline tl = (*rec)->stop();
    conn.reset();
    old_conn.reset();
    ::shutdown(lfd.get(), SHUT_RDWR);
    acceptor.join();
    for (auto& t : readers)
        t.join();

    INFO("samples " << tl.samples.size() << ", with two subflows " << seen_two << ", acked " << acked);
    CHECK(tl.error.empty());
    CHECK(tl.netns == cli.name);
    REQUIRE(seen_two >= 5);
    CHECK(acked >= 2000000);
    uint64_t last_acked = 0;
    size_t with_conn = 0;
    for (const auto& s : tl.samples) {
        REQUIRE(s.connections.size() <= 1);
        for (const auto& c : s.connections) {
            with_conn++;
            CHECK(c.token == token);
            CHECK(c.token != old_token);
            CHECK(c.bytes_acked >= last_acked);
            last_acked = c.bytes_acked;
            for (const auto& sf : c.subflows) {
                CHECK(sf.mss > 0);
                CHECK(sf.cwnd > 0);
            }
        }
    }
    CHECK(with_conn >= 5);
    REQUIRE(tl.marks.size() == 2);
    CHECK(tl.marks[0].label == "sender started");
    CHECK(tl.marks[0].t_s < tl.marks[1].t_s);
    CHECK(tl.marks[1].t_s <= tl.samples.back().t_s + 0.2);

    // The series see both subflows sending at some point and a positive goodput.
    auto set = timeline_series(tl);
    REQUIRE(set.send_mbit.size() == 2);
    double best_goodput = 0;
    for (const auto& v : set.goodput_mbit[0].values)
        if (v)
            best_goodput = std::max(best_goodput, *v);
    CHECK(best_goodput > 10);
    const std::string svg = timeline_svg(tl, "host recorder");
    CHECK_THAT(svg, ContainsSubstring(">sender started</text>"));
    CHECK_THAT(svg, ContainsSubstring("10.0.2.1 → 10.0.1.2 (c2)"));
}

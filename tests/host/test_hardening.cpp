// SPDX-License-Identifier: GPL-2.0
// Hostile input on the host kernel, in throwaway network namespaces.
#include <catch2/catch_test_macros.hpp>
#include <algorithm>
#include <filesystem>

#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>

#include "host_util.h"

namespace fs = std::filesystem;

namespace {

bool one_line(const Run& r, const std::string& want, int rc = 1)
{
    INFO("rc " << r.rc << " stderr: " << r.err);
    return r.rc == rc && std::count(r.err.begin(), r.err.end(), '\n') == 1 &&
           r.err.find(want) != std::string::npos;
}

}  // namespace

TEST_CASE("path routes refuses a table base that reaches the kernel's tables", "[host][hardening]")
{
    require_root();
    Netns ns("ms-tbl");
    must("ip -n " + ns.name + " link add a0 type veth peer name b0");
    must("ip -n " + ns.name + " addr add 10.9.1.1/24 dev a0");
    must("ip -n " + ns.name + " link set a0 up");
    must("ip -n " + ns.name + " link set b0 up");
    must("ip -n " + ns.name + " route add default via 10.9.1.2 dev a0");
    must("ip -n " + ns.name + " mptcp endpoint add 10.9.1.1 dev a0 subflow");
    const std::string before = run("ip -n " + ns.name + " route show table all").out;
    // a0 has ifindex 2 or 3 in a fresh netns: 252 + that is main or local.
    for (const char* base : {"252", "251", "4294967295", "4294967294"}) {
        INFO("base " << base);
        Run r = run(ns.exec(cli + " path routes apply --table-base " + base));
        CHECK(one_line(r, "failed to plan routes: --table-base"));
    }
    CHECK(run("ip -n " + ns.name + " route show table all").out == before);
    CHECK(run("ip -n " + ns.name + " rule show").out.find("10.9.1.1") == std::string::npos);
    // The default base still works.
    Run ok = run(ns.exec(cli + " path routes apply"));
    INFO(ok.err);
    CHECK(ok.rc == 0);
}

TEST_CASE("bench never replaces someone else's namespace, runs alone, cleans up a killed run",
          "[host][hardening][bench]")
{
    require_root();
    fs::remove("/run/mptcp-sched-bench.json");
    SECTION("a user's namespace named like the bench's")
    {
        run("ip netns del ms-bench-cli");
        must("ip netns add ms-bench-cli");
        Run r = run(cli + " bench equal");
        CHECK(one_line(r, "network namespace ms-bench-cli exists and is not the bench's"));
        CHECK(fs::exists("/run/netns/ms-bench-cli"));
        run("ip netns del ms-bench-cli");
    }
    SECTION("a second bench")
    {
        UniqueFdForTest lock(::open("/run/mptcp-sched-bench.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        REQUIRE(::flock(lock.fd, LOCK_EX | LOCK_NB) == 0);
        CHECK(one_line(run(cli + " bench equal"), "another bench"));
        CHECK(one_line(run(cli + " bench --cleanup"), "a bench is running"));
    }
    SECTION("--cleanup undoes what a killed run recorded, and only that")
    {
        const std::string stats = run("sysctl -n kernel.bpf_stats_enabled").out;
        run("ip netns del ms-bench-srv");
        must("ip netns add ms-bench-srv");
        must("ip netns add ms-keep-" + std::to_string(getpid()));
        must("sysctl -qw kernel.bpf_stats_enabled=1");
        {
            std::ofstream rec("/run/mptcp-sched-bench.json");
            rec << R"({"pid": 999999999, "netns": ["ms-bench-cli", "ms-bench-rtr", "ms-bench-srv"],)"
                << R"( "loaded": ["ms_rr"], "bpf_stats_enabled_was": "0"})" << "\n";
        }
        // A bench refuses to start over the leftovers.
        CHECK(one_line(run(cli + " bench equal"), "bench --cleanup"));
        Run c = run(cli + " bench --cleanup");
        INFO(c.err);
        CHECK(c.rc == 0);
        CHECK(c.out.find("removed network namespace ms-bench-srv") != std::string::npos);
        CHECK(c.out.find("kernel.bpf_stats_enabled back to 0") != std::string::npos);
        CHECK_FALSE(fs::exists("/run/netns/ms-bench-srv"));
        CHECK(fs::exists("/run/netns/ms-keep-" + std::to_string(getpid())));
        CHECK(run("sysctl -n kernel.bpf_stats_enabled").out == "0\n");
        CHECK_FALSE(fs::exists("/run/mptcp-sched-bench.json"));
        Run again = run(cli + " bench --cleanup");
        CHECK(again.out == "nothing to clean up: no bench left anything behind\n");
        run("ip netns del ms-keep-" + std::to_string(getpid()));
        run("sysctl -qw kernel.bpf_stats_enabled=" + stats);
    }
}

TEST_CASE("bench --replot writes only inside --out and reports a bad file in one line",
          "[host][hardening][bench]")
{
    const std::string dir = "/tmp/ms-replot-" + std::to_string(getpid());
    fs::create_directories(dir + "/out/a/b");
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir + "/" + name) << text;
        return dir + "/" + name;
    };
    const std::string esc = write("esc.json", R"({"scenarios":[{"scenario":{"name":"../../x"}}]})");
    Run r = run(cli + " bench --replot " + esc + " --out " + dir + "/out/a/b");
    CHECK(one_line(r, "is not a plain name"));
    CHECK_FALSE(fs::exists(dir + "/out/x.svg"));
    for (const std::string& doc : std::vector<std::string>{R"({"scenarios":[{"scenario":{"name":"ok"}}]})",
                                  R"({"scenarios":[{"scenario":{"name":"ok","events":[]}}]})",
                                  R"({"scenarios":5})", R"([1,2])", R"({"scenarios":[7]})"}) {
        INFO(doc);
        Run m = run(cli + " bench --replot " + write("m.json", doc) + " --out " + dir + "/out");
        CHECK(one_line(m, "failed to replot"));
    }
    // --out is made when missing, as a bench run does; a missing parent is one line
    const std::string empty = write("empty.json", R"({"scenarios":[]})");
    Run made = run(cli + " bench --replot " + empty + " --out " + dir + "/new");
    CHECK(made.rc == 0);
    CHECK(fs::is_directory(dir + "/new"));
    CHECK(one_line(run(cli + " bench --replot " + empty + " --out " + dir + "/no/such"),
                   "failed to create"));
    fs::remove_all(dir);
}

namespace {

// A listener on 127.0.0.1 that greets like a demo server and then sends @answer.
struct FakeDemoServer {
    int lfd = -1;
    uint16_t port = 0;
    std::thread t;
    explicit FakeDemoServer(std::string answer)
    {
        lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
        socklen_t l = sizeof(a);
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &l);
        port = ntohs(a.sin_port);
        REQUIRE(::listen(lfd, 4) == 0);
        t = std::thread([this, answer] {
            int c = ::accept(lfd, nullptr, nullptr);
            if (c < 0)
                return;
            const std::string g = "mptcp-sched-demo 1 ready\n";
            (void)!::send(c, g.data(), g.size(), MSG_NOSIGNAL);
            char buf[64];
            (void)!::recv(c, buf, sizeof(buf), 0);
            (void)!::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
            ::close(c);
        });
    }
    ~FakeDemoServer()
    {
        ::shutdown(lfd, SHUT_RDWR);
        t.join();
        ::close(lfd);
    }
};

}  // namespace

TEST_CASE("demo client: a server answer of the wrong shape is an error, not an abort", "[host][hardening][demo]")
{
    for (const std::string& ans : std::vector<std::string>{
             std::string(R"({"mptcp":"yes","why":"","client":"x","subflows":[],"request_ok":true})"),
             std::string(R"({"mptcp":true,"why":"","client":5,"subflows":[],"request_ok":true})"),
             std::string(R"({"mptcp":true,"why":"","client":"x","subflows":5,"request_ok":true})"),
             std::string(R"({"mptcp":true,"why":"","client":"x","subflows":[5],"request_ok":true})"),
             std::string(R"({"mptcp":false})"), std::string("[1]"), std::string(50000, '[')}) {
        INFO(ans.substr(0, 80));
        FakeDemoServer s(ans + "\n");
        Run r = run(cli + " demo client 127.0.0.1 --tcp --settle 0 --port " + std::to_string(s.port));
        CHECK(r.rc == 1);
        CHECK(r.out.find("answer is not from an mptcp-sched demo server") != std::string::npos);
    }
    FakeDemoServer ok(R"({"mptcp":false,"why":"x\u001b[2J","client":"c","subflows":[],"request_ok":true})" "\n");
    Run r = run(cli + " demo client 127.0.0.1 --tcp --settle 0 --port " + std::to_string(ok.port));
    CHECK(r.rc == 0);
    CHECK(r.out.find("plain TCP (x\\x1b[2J)") != std::string::npos);   // escaped, not executed
}

TEST_CASE("demo server: a resetting client does not kill it, a silent one stalls no one", "[host][hardening][demo]")
{
    require_root();
    Netns ns("ms-demo");
    const std::string out = "/tmp/ms-demo-srv-" + std::to_string(getpid());
    const pid_t srv = ::fork();
    REQUIRE(srv >= 0);
    if (srv == 0) {
        const std::string c = ns.exec(cli + " demo server --tcp --addr 127.0.0.1 --port 4299 --count 3 >" + out + " 2>&1");
        _exit(WEXITSTATUS(std::system(c.c_str())));
    }
    REQUIRE(wait_until(30, [&] { return run(ns.exec("ss -Hltn 'sport = :4299'")).out.find("4299") != std::string::npos; }));
    // 1: connects and resets at once (SO_LINGER 0), before the greeting is written.
    // 2: connects and says nothing, holding its connection open for 8 s.
    const std::string py =
        "import socket,struct,time\n"
        "a=socket.create_connection(('127.0.0.1',4299))\n"
        "a.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0)); a.close()\n"
        "b=socket.create_connection(('127.0.0.1',4299))\n"
        "open('" + out + ".port','w').write(str(b.getsockname()[1]))\n"
        "time.sleep(8)\n";
    std::ofstream(out + ".py") << py;
    const pid_t hostile = ::fork();
    if (hostile == 0) {
        const std::string c = ns.exec("python3 " + out + ".py");
        _exit(WEXITSTATUS(std::system(c.c_str())));
    }
    REQUIRE(wait_until(30, [&] { return !slurp(out + ".port").empty(); }));
    const std::string silent = "ss -Htn state established '( sport = :4299 and dport = :" +
                               slurp(out + ".port") + " )'";
    REQUIRE(wait_until(30, [&] { return !run(ns.exec(silent)).out.empty(); }));
    // 3: a real client gets its answer while the silent one is still connected: the
    // server has not yet given up on it (its 5 s request timeout), so it did not wait
    // for it. The time taken is a figure, not the assertion.
    const auto t0 = std::chrono::steady_clock::now();
    Run c = run(ns.exec(cli + " demo client 127.0.0.1 --tcp --settle 0 --port 4299"));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool silent_still_open = !run(ns.exec(silent)).out.empty();
    INFO(c.out << c.err);
    CHECK(c.rc == 0);
    CHECK(silent_still_open);
    WARN("demo client answered in " << took << " s beside a silent client");
    int st = 0;
    ::waitpid(hostile, &st, 0);
    REQUIRE(::waitpid(srv, &st, 0) == srv);
    INFO(slurp(out));
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);   // not killed by SIGPIPE (it would exit 141)
    std::remove(out.c_str());
    std::remove((out + ".py").c_str());
    std::remove((out + ".port").c_str());
}

TEST_CASE("a closed stdout is an error and neither a death nor a hang", "[host][hardening]")
{
    require_root();
    // The CLI handles SIGPIPE (pathd must restore on that path), so every loop that writes
    // has to notice the write failing: `stats --watch | head -1` ends, with exit 1.
    Run r = run("{ bash -c '" + cli + " stats --watch 0.05 --json 2>/tmp/ms-pipe.err | head -1 >/dev/null; "
                "echo ${PIPESTATUS[0]}' & p=$!; for i in $(seq 600); do kill -0 $p 2>/dev/null || break; "
                "sleep 0.05; done; if kill -0 $p 2>/dev/null; then pkill -P $p; echo hung; fi; wait $p; }");
    INFO(r.out << slurp("/tmp/ms-pipe.err"));
    CHECK(r.out == "1\n");
    CHECK(slurp("/tmp/ms-pipe.err").find("failed to write the statistics: standard output is closed") !=
          std::string::npos);
    // A handler, not SIG_IGN: exec resets handlers but keeps "ignored", so the commands
    // `run` and `bench` start get the default SIGPIPE back. SIGPIPE (13) is bit 12 of
    // SigCgt (caught) and must not be in SigIgn. The handler is installed after exec: wait
    // for it (10 s: a busy machine), not for the exec alone.
    Run m = run("bash -c '" + cli + " stats --watch 5 >/dev/null & p=$!; "
                "for i in $(seq 200); do [ \"$(readlink /proc/$p/exe)\" = \"" + cli + "\" ] && "
                "[ $(( 0x$(awk \"/^SigCgt:/ {print \\$2}\" /proc/$p/status) >> 12 & 1 )) = 1 ] && "
                "break; sleep 0.05; done; "
                "grep -E \"^Sig(Cgt|Ign):\" /proc/$p/status; kill $p'");
    INFO(m.out);
    auto mask = [&](const std::string& key) {
        const auto at = m.out.find(key);
        return at == std::string::npos ? ~0ull : std::stoull(m.out.substr(at + key.size()), nullptr, 16);
    };
    CHECK((mask("SigCgt:") >> 12 & 1) == 1);
    CHECK((mask("SigIgn:") >> 12 & 1) == 0);
}

TEST_CASE("smaller ones: libbpf's error strings, quoted fixes, finite numbers", "[host][hardening]")
{
    require_root();
    CHECK(one_line(run(cli + " status --btf /etc/passwd"),
                   "failed to read BTF from /etc/passwd: BPF object format invalid"));
    CHECK(one_line(run(cli + " status --btf /dev/zero"), "not a regular file"));
    const std::string nsname = "ms-q;touch ms-quoted-" + std::to_string(getpid());
    run("ip netns del '" + nsname + "'");
    must("ip netns add '" + nsname + "'");
    must("ip netns exec '" + nsname + "' sysctl -qw net.mptcp.enabled=0");
    Run d = run(cli + " doctor --netns '" + nsname + "'");
    const auto at = d.out.find("fix: ");
    REQUIRE(at != std::string::npos);
    const std::string fix = d.out.substr(at + 5, d.out.find('\n', at) - at - 5);
    INFO(fix);
    CHECK(run("sh -c " + std::string("\"") + fix + "\"").rc == 0);
    CHECK_FALSE(fs::exists("ms-quoted-" + std::to_string(getpid())));
    CHECK(run("ip netns exec '" + nsname + "' sysctl -n net.mptcp.enabled").out == "1\n");
    run("ip netns del '" + nsname + "'");
    for (const char* a : {"demo client 127.0.0.1 --hold nan", "stats --watch nan",
                          "bench equal --time-scale nan"}) {
        INFO(a);
        CHECK(run(cli + " " + a).rc == 2);
    }
}

TEST_CASE("run refuses the root cgroup unless --all-processes", "[host][hardening]")
{
    require_root();
    Run r = run(cli + " run --cgroup / -- true");
    CHECK(one_line(r, "failed to run with --cgroup /: that is the root cgroup"));
}

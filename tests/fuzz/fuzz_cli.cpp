// SPDX-License-Identifier: GPL-2.0
// Seeded, time-bounded fuzzing of the real binary (issue 15 item 6): mutated scenario files
// (`bench --list FILE`), rule arguments (`rule add ...`), BTF files (`status --btf FILE`)
// and demo server answers (parse_demo_answer in-process, and `demo client` against a fake
// server). Fails on any signal, hang or exit code outside 0/1/2/3, and saves the input.
//   fuzz_cli CLI FIXTURE_DIR [SECONDS] [SEED]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/diag/demo.h"
#include "mptcp_sched/base/json_util.h"

using namespace mptcp_sched;
using Clock = std::chrono::steady_clock;

namespace {

std::mt19937_64 rng;
std::string cli;
std::string work;
int failures = 0;
size_t runs = 0;

size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng) : 0; }

const char* const kTokens[] = {
    "5", "-1", "2.5", "1e308", "-0", "0", "4294967296", "\"\"", "\"x\\u00ff\"", "null",
    "true", "[]", "{}", "[5]", "{\"a\":1}", "\"../../x\"", "\"down\"", "\"rr\"", "1e-9",
    "[[[[[[[[[[]]]]]]]]]]", "\"\\u0000\"", "18446744073709551615",
};

// Byte- and token-level mutations of @s.
std::string mutate(std::string s)
{
    const int n = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < n; i++) {
        if (s.empty())
            s = "x";
        const size_t at = pick(s.size());
        switch (pick(7)) {
        case 0: s[at] = static_cast<char>(pick(256)); break;
        case 1: s.erase(at, 1 + pick(8)); break;
        case 2: s.insert(at, kTokens[pick(std::size(kTokens))]); break;
        case 3: {   // replace a value after a ':' with a token
            size_t c = s.find(':', at);
            if (c == std::string::npos)
                c = s.find(':');
            if (c != std::string::npos) {
                size_t e = s.find_first_of(",}]", c + 1);
                s.replace(c + 1, (e == std::string::npos ? s.size() : e) - c - 1,
                          kTokens[pick(std::size(kTokens))]);
            }
            break;
        }
        case 4: s.insert(at, std::string(1 + pick(3) * pick(30000), "[{"[pick(2)])); break;
        case 5: s.insert(at, s.substr(pick(s.size()), pick(64))); break;
        case 6: s[at] = "{}[]\":,"[pick(7)]; break;
        }
    }
    return s;
}

// Structure-aware: one value somewhere in the document replaced by a token, which is what
// finds type confusion ("description": 5, "events": [5]).
void replace_random_node(nlohmann::json& j, int depth = 0)
{
    if ((j.is_object() || j.is_array()) && !j.empty() && depth < 6 && pick(4)) {
        auto it = j.begin();
        std::advance(it, static_cast<long>(pick(j.size())));
        replace_random_node(*it, depth + 1);
        return;
    }
    j = nlohmann::json::parse(kTokens[pick(std::size(kTokens))]);
}

std::string mutate_json(const std::string& s)
{
    auto j = parse_json(s, "seed");
    if (!j || pick(3) == 0)
        return mutate(s);
    for (size_t i = 0, n = 1 + pick(2); i < n; i++)
        replace_random_node(*j);
    return dump_json(*j);
}

void save_failure(const std::string& what, const std::string& input)
{
    const std::string path = work + "/failure-" + std::to_string(failures) + ".txt";
    std::ofstream(path) << input;
    std::cerr << "FAIL: " << what << " (input saved in " << path << ")\n";
    failures++;
}

// Runs argv with stdio to /dev/null, killed after @timeout_s. Returns a description of a
// bad outcome, or "" when it exited 0-3.
std::string run_cli(const std::vector<std::string>& args, double timeout_s = 10,
                    const std::vector<std::string>& env = {})
{
    runs++;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        for (const auto& e : env)
            ::putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(cli.c_str()));
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(cli.c_str(), argv.data());
        _exit(127);
    }
    const auto end = Clock::now() + std::chrono::duration<double>(timeout_s);
    int st = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (Clock::now() > end) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &st, 0);
            return "hang (killed after " + std::to_string(timeout_s) + " s)";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (WIFSIGNALED(st))
        return std::string("signal ") + strsignal(WTERMSIG(st));
    if (WEXITSTATUS(st) > 3)
        return "exit code " + std::to_string(WEXITSTATUS(st));
    return "";
}

void fuzz_scenarios(Clock::time_point until)
{
    std::vector<std::string> seeds;
    for (const auto& s : builtin_scenarios())
        seeds.push_back(dump_json(scenario_to_json(s), pick(2) ? 2 : -1));
    seeds.push_back(dump_json(nlohmann::json::array({scenario_to_json(builtin_scenarios()[4]),
                                                      scenario_to_json(builtin_scenarios()[3])})));
    const std::string file = work + "/scenario.json";
    while (Clock::now() < until) {
        const std::string in = mutate_json(seeds[pick(seeds.size())]);
        std::ofstream(file, std::ios::trunc) << in;
        if (auto bad = run_cli({"bench", "--list", file}); !bad.empty())
            save_failure("bench --list: " + bad, in);
    }
}

void fuzz_rules(Clock::time_point until)
{
    const char* const opts[] = {"--dport", "--sport", "--dst", "--src", "--mark", "--cgroup", "--before"};
    const char* const vals[] = {"5001", "1-65535", "0", "65536", "10.0.0.0/8", "::/0", "fd00::1/129",
                                "0x10/0xf0", "0xffffffff", "/", "../..", "", "-", "1-", "x\xff",
                                "99999999999999999999", "1.2.3.4/33", "/sys/fs/cgroup/.."};
    const char* const pols[] = {"rr", "minrtt", "redundant", "backup", "nosuch", "", "RR"};
    // A pin root that does not exist: parsing runs fully, the table is never touched.
    const std::vector<std::string> env = {"MPTCP_SCHED_PIN_ROOT=" + work + "/no-pins"};
    while (Clock::now() < until) {
        std::vector<std::string> a = {"rule", pick(6) ? "add" : "del", pols[pick(std::size(pols))]};
        for (size_t i = 0, n = pick(4); i < n; i++) {
            a.push_back(opts[pick(std::size(opts))]);
            a.push_back(pick(3) ? std::string(vals[pick(std::size(vals))])
                                : mutate(vals[pick(std::size(vals))]));
        }
        if (auto bad = run_cli(a, 10, env); !bad.empty()) {
            std::string joined;
            for (const auto& x : a)
                joined += x + "\n";
            save_failure("rule: " + bad, joined);
        }
    }
}

void fuzz_btf(Clock::time_point until, const std::string& fixture)
{
    std::ifstream in(fixture, std::ios::binary);
    const std::string seed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (seed.empty()) {
        save_failure("no BTF fixture at " + fixture, "");
        return;
    }
    const std::string file = work + "/btf.o";
    while (Clock::now() < until) {
        std::string m = seed;
        for (size_t i = 0, n = 1 + pick(16); i < n; i++)
            m[pick(m.size())] = static_cast<char>(pick(256));
        if (!pick(8))
            m.resize(pick(m.size()));
        std::ofstream(file, std::ios::trunc | std::ios::binary) << m;
        if (auto bad = run_cli({"status", "--btf", file}); !bad.empty())
            save_failure("status --btf: " + bad, m);
    }
}

// A one-connection fake demo server on 127.0.0.1 answering @answer.
void fuzz_demo(Clock::time_point until)
{
    const std::string seed =
        R"({"mptcp":true,"why":"","client":"127.0.0.1:5","subflows":[{"local":"a","remote":"b"}],"request_ok":true})";
    // In-process: the parser alone, many inputs.
    for (int i = 0; i < 20000 && Clock::now() < until; i++) {
        const std::string in = mutate_json(seed);
        try {
            (void)parse_demo_answer(in);
        } catch (const std::exception& e) {
            save_failure(std::string("parse_demo_answer threw: ") + e.what(), in);
        }
    }
    // Through the binary.
    while (Clock::now() < until) {
        const std::string ans = mutate_json(seed) + "\n";
        int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t l = sizeof(a);
        if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(lfd, 1) != 0) {
            ::close(lfd);
            return;
        }
        ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &l);
        std::thread srv([&] {
            int c = ::accept(lfd, nullptr, nullptr);
            if (c < 0)
                return;
            const std::string g = "mptcp-sched-demo 1 ready\n";
            (void)!::send(c, g.data(), g.size(), MSG_NOSIGNAL);
            char buf[64];
            (void)!::recv(c, buf, sizeof(buf), 0);
            (void)!::send(c, ans.data(), ans.size(), MSG_NOSIGNAL);
            ::close(c);
        });
        auto bad = run_cli({"demo", "client", "127.0.0.1", "--tcp", "--settle", "0", "--port",
                            std::to_string(ntohs(a.sin_port))});
        ::shutdown(lfd, SHUT_RDWR);
        srv.join();
        ::close(lfd);
        if (!bad.empty())
            save_failure("demo client: " + bad, ans);
    }
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: fuzz_cli CLI FIXTURE_DIR [SECONDS] [SEED]\n";
        return 2;
    }
    cli = argv[1];
    const std::string fixtures = argv[2];
    const double seconds = argc > 3 ? std::stod(argv[3]) : 40;
    const uint64_t seed = argc > 4 ? std::stoull(argv[4]) : 15;
    rng.seed(seed);
    char tmpl[] = "/tmp/ms-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl))
        return 1;
    work = tmpl;
    ::signal(SIGPIPE, SIG_IGN);
    const auto start = Clock::now();
    auto slice = [&](int i) { return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds * i / 4)); };
    fuzz_scenarios(slice(1));
    fuzz_rules(slice(2));
    fuzz_btf(slice(3), fixtures + "/btf_full.o");
    fuzz_demo(slice(4));
    std::cout << "seed " << seed << ": " << runs << " runs of " << cli << ", " << failures
              << " failure(s)" << (failures ? " (inputs in " + work + ")" : "") << "\n";
    if (!failures)
        std::system(("rm -rf " + work).c_str());
    return failures ? 1 : 0;
}

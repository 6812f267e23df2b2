// SPDX-License-Identifier: GPL-2.0
// Helpers shared by the host tests: running commands, throwaway network namespaces.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace host_test {

struct Run {
    int rc;
    std::string out, err;
};

inline std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline Run run(const std::string& cmd)
{
    const std::string base = "/tmp/ms-host-" + std::to_string(getpid());
    const std::string full = cmd + " >" + base + ".out 2>" + base + ".err";
    const int st = std::system(full.c_str());
    Run r{WIFEXITED(st) ? WEXITSTATUS(st) : 128, slurp(base + ".out"), slurp(base + ".err")};
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    return r;
}

inline void must(const std::string& cmd)
{
    Run r = run(cmd);
    INFO(cmd << "\n" << r.err);
    REQUIRE(r.rc == 0);
}

// A named network namespace deleted at scope exit.
struct Netns {
    std::string name;
    explicit Netns(const std::string& n) : name(n + "-" + std::to_string(getpid()))
    {
        run("ip netns del " + name);
        must("ip netns add " + name);
        must("ip -n " + name + " link set lo up");
    }
    ~Netns() { run("ip netns del " + name); }
    std::string exec(const std::string& cmd) const { return "ip netns exec " + name + " " + cmd; }
};

inline void require_root()
{
    if (geteuid() != 0)
        FAIL("host tests need root: run `sudo ctest -L host`");
}

inline const std::string cli = CLI_PATH;

// Polls @cond every 20 ms until it holds or @seconds pass: tests wait for what they check,
// never for a fixed time.
template <typename F>
bool wait_until(double seconds, F&& cond)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

struct UniqueFdForTest {
    int fd;
    explicit UniqueFdForTest(int f) : fd(f) {}
    ~UniqueFdForTest()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

}  // namespace host_test

using namespace host_test;

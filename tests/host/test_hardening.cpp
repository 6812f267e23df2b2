// SPDX-License-Identifier: GPL-2.0
// Hostile input on the host kernel, in throwaway network namespaces.
#include <catch2/catch_test_macros.hpp>
#include <algorithm>
#include <filesystem>

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

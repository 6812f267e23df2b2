// SPDX-License-Identifier: GPL-2.0
// A program outside the project: built against the installed headers and static library
// only (tests/install/test_install.sh), it uses the library the way an embedder would.
#include <cstdio>
#include <string>

#include <mptcp_sched/base/caps.h>
#include <mptcp_sched/base/paths.h>
#include <mptcp_sched/base/result.h>
#include <mptcp_sched/base/stop.h>
#include <mptcp_sched/base/sysctl.h>
#include <mptcp_sched/sched/policy.h>

using namespace mptcp_sched;

int main()
{
    // Result<T> and an error in the project's words.
    auto bad = parse_cap_eff("xyz", 0);
    if (bad || bad.error().message.find("failed to parse capabilities") == std::string::npos) {
        std::fprintf(stderr, "consumer: parse_cap_eff accepted a bad mask\n");
        return 1;
    }
    auto caps = parse_cap_eff("000001ffffffffff", 0);
    if (!caps || !caps->can_load()) {
        std::fprintf(stderr, "consumer: parse_cap_eff lost capabilities\n");
        return 1;
    }
    // Paths are given with each call, not read from the environment or set process-wide.
    Paths p;
    p.sysctl_root = "/nonexistent-sysctl";
    if (sysctl_path(p, "net.mptcp.enabled") != "/nonexistent-sysctl/net/mptcp/enabled" ||
        read_sysctl(p, "net.mptcp.enabled") ||
        sysctl_path(Paths{}, "net.mptcp.enabled") != "/proc/sys/net/mptcp/enabled") {
        std::fprintf(stderr, "consumer: sysctl_root not honoured\n");
        return 1;
    }
    auto rr = parse_policy("rr");
    if (!rr || std::string(policy_name(*rr)) != "roundrobin" || StopToken().requested()) {
        std::fprintf(stderr, "consumer: policy names or stop token wrong\n");
        return 1;
    }
    std::printf("consumer: ok\n");
    return 0;
}

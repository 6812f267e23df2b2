// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/caps.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace mptcp_sched {

Result<Privileges> parse_cap_eff(const std::string& hex, uint32_t euid)
{
    if (hex.empty() || hex.size() > 16 || hex.find_first_not_of("0123456789abcdefABCDEF") !=
                                              std::string::npos)
        return fail_msg("failed to parse capabilities: '" + hex + "' is not a hex mask", EINVAL);
    const uint64_t caps = std::stoull(hex, nullptr, 16);
    auto has = [&](int bit) { return (caps >> bit) & 1; };
    Privileges p;
    p.euid = euid;
    p.cap_net_admin = has(12);
    p.cap_sys_admin = has(21);
    p.cap_perfmon = has(38);
    p.cap_bpf = has(39);
    return p;
}

Result<Privileges> current_privileges()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("CapEff:", 0) == 0) {
            std::istringstream ls(line.substr(7));
            std::string hex;
            ls >> hex;
            return parse_cap_eff(hex, geteuid());
        }
    return fail_msg("failed to read capabilities: no CapEff in /proc/self/status", ENOENT);
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched conns`: MPTCP connections with their subflows.
#include <nlohmann/json.hpp>

#include "cli.h"
#include "mptcp_sched/diag/conns.h"

namespace mptcp_sched::cli {

void add_conns_command(CLI::App& app, int& rc, const Paths& paths)
{
    static NetnsJsonOpts o;
    auto* cn = app.add_subcommand("conns", "MPTCP connections with their subflows");
    cn->add_option("--netns", o.netns, "named network namespace (default: current)");
    cn->add_flag("--json", o.json, "print JSON");
    cn->footer("Read from the kernel over sock_diag: per connection its token, fallback state\n"
               "and bytes; per subflow addresses, interface, address ids, backup flags (ours\n"
               "and the peer's), bytes and smoothed RTT. Subflow details need CAP_NET_ADMIN.\n"
               "Example: mptcp-sched conns --netns client --json | jq '.[].subflows | length'");
    cn->callback([&rc, &paths] {
        rc = in_netns(paths, o.netns, []() -> int {
            auto c = list_connections();
            if (!c)
                return report(c.error());
            if (o.json)
                print_json(conns_to_json(*c));
            else
                std::cout << render_conns(*c);
            return kOk;
        });
    });
}

}  // namespace mptcp_sched::cli

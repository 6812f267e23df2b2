// SPDX-License-Identifier: GPL-2.0
// execute: the actions of diff(), through the same library calls the CLI's commands use.
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/config/apply.h"
#include "mptcp_sched/path/path.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/rules.h"

namespace mptcp_sched {

namespace {

Result<void> run(const Paths& paths, const Action& a)
{
    switch (a.kind) {
    case Action::kUnload:
        if (auto r = unload_scheduler(paths, a.name); !r)
            return std::unexpected(r.error());
        return {};
    case Action::kLoad: {
        LoadRequest req;
        req.what = a.sched.source;
        req.paths = paths;
        for (const auto& [k, v] : a.sched.tunables)
            req.tunables[k] = std::to_string(v);
        if (auto r = load_scheduler(req); !r)
            return std::unexpected(r.error());
        return {};
    }
    case Action::kRules: {
        const auto def = static_cast<ms_policy>(a.rules.default_policy);
        if (auto r = replace_rules(paths, a.rules.rules, def); !r)
            return std::unexpected(r.error());
        return {};
    }
    case Action::kSelect:
        if (auto r = select_scheduler(paths, a.name, a.netns); !r)
            return std::unexpected(r.error());
        return {};
    default:
        break;
    }
    // The path actions run inside their namespace.
    auto scope = NetnsScope::enter(paths, a.netns);
    if (!scope)
        return std::unexpected(scope.error());
    switch (a.kind) {
    case Action::kLimits:
        if (auto r = path_limits_set(a.subflows, a.add_addr_accepted); !r)
            return std::unexpected(r.error());
        return {};
    case Action::kDelEndpoint:
        return pm_del_endpoint(a.endpoint.id);
    case Action::kAddEndpoint: {
        EndpointSpec spec;
        spec.addr = a.endpoint.addr;
        spec.flags = endpoint_flag_names(a.endpoint.flags);
        spec.dev = a.endpoint.dev;
        spec.id = a.endpoint.id;
        spec.port = a.endpoint.port;
        if (auto r = path_endpoint_add(spec); !r)
            return std::unexpected(r.error());
        return {};
    }
    default:
        return fail_msg("failed to apply: unknown action", EINVAL);
    }
}

}  // namespace

Result<std::vector<Action>> execute(const Paths& paths, const std::vector<Action>& actions)
{
    std::vector<Action> done;
    for (const auto& a : actions) {
        if (auto r = run(paths, a); !r)
            return fail_msg("failed to " + a.describe() + ": " + r.error().message + " (" +
                                std::to_string(done.size()) + " of " +
                                std::to_string(actions.size()) + " changes made before it)",
                            r.error().code);
        done.push_back(a);
    }
    return done;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// Path policy of the current network namespace: MPTCP endpoints and limits (validated
// against the interfaces and addresses that exist) and the per-source routing that makes
// each endpoint's subflows leave through its own interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/base/result.h"
#include "mptcp_sched/path/rtnl.h"

namespace mptcp_sched {

struct EndpointSpec {
    std::string addr;
    std::vector<std::string> flags;   // signal, subflow, backup, fullmesh
    std::string dev;                  // "" = none
    uint32_t id = 0;                  // 0 = kernel chooses
    uint16_t port = 0;
};

// Checks the spec against this netns (address syntax, the address is one of ours, the
// interface exists and holds it, flag names) and adds it.
Result<PmEndpoint> path_endpoint_add(const EndpointSpec& spec);
// By id ("3") or address ("10.0.2.1"); returns what was removed.
Result<PmEndpoint> path_endpoint_del(const std::string& id_or_addr);
// Words: backup, nobackup, fullmesh, nofullmesh.
Result<PmEndpoint> path_endpoint_flags(const std::string& id_or_addr,
                                       const std::vector<std::string>& words);

// The exact lines `ip mptcp endpoint show` / `ip mptcp limits show` print.
std::string render_endpoints_ip(const std::vector<PmEndpoint>& eps, const std::vector<Link>& links);
std::string render_limits_ip(const PmLimits& l);
nlohmann::json endpoints_json(const std::vector<PmEndpoint>& eps, const std::vector<Link>& links);

// Range-checked against kPmLimitMax before the kernel sees it.
Result<PmLimits> path_limits_set(std::optional<uint32_t> subflows,
                                 std::optional<uint32_t> add_addr_accepted);

// ---- per-source routing ----

struct RoutePlanItem {
    std::string endpoint;   // the endpoint's address
    std::string dev;
    std::string what;       // "rule" or "route"
    std::string desc;       // "from 10.0.2.1 lookup 102", "10.0.2.0/24 dev eth1 table 102"
    std::string fix;        // the `ip` command that creates it by hand
    bool present = false;
    RouteRule rule;         // what apply installs (what == "rule")
    Route route;            // (what == "route")
};

struct RoutePlan {
    std::vector<RoutePlanItem> items;
    std::vector<std::string> problems;   // endpoints that cannot be routed (no interface ...)
    bool complete() const;
};

// What route planning looks at, read from the current netns by route_gather().
struct RouteInputs {
    std::vector<PmEndpoint> endpoints;
    std::vector<Link> links;
    std::vector<IfAddr> addrs;
    std::vector<RouteRule> rules;     // both families
    std::vector<Route> routes;        // both families, all tables
};
Result<RouteInputs> route_gather();

// For each endpoint: a rule "from ADDR lookup TABLE" (TABLE = table_base + ifindex unless a
// rule from ADDR exists already) and, in that table, the endpoint's subnet route and the
// interface's default route (when the main table has one through it). Reads nothing: the
// plan of @in; fails only on a table base route_table_for refuses.
Result<RoutePlan> route_plan(const RouteInputs& in, uint32_t table_base = 100);
// route_plan of route_gather().
Result<RoutePlan> route_plan(uint32_t table_base = 100);
// What route_apply creates for @plan: the items not present, each description once (a rule
// and a route shared by two endpoints of one interface are created once).
std::vector<RoutePlanItem> route_missing(const RoutePlan& plan);
// The table for @ifindex under @table_base, refused when it wraps around u32 or lands on a
// table the kernel reserves (0 unspec, 253 default, 254 main, 255 local): routes written
// there would hijack the namespace's own routing.
Result<uint32_t> route_table_for(uint32_t table_base, int ifindex);
// Creates what the plan lacks (rules and routes tagged with kRtProtoMptcpSched); returns the
// items it created.
Result<std::vector<RoutePlanItem>> route_apply(uint32_t table_base = 100);
// Removes every rule and route tagged with kRtProtoMptcpSched; returns descriptions.
Result<std::vector<std::string>> route_remove();

// `path limits --json`.
nlohmann::json to_json(const PmLimits& l);
// `path routes check --json`; each item's fix is prefixed with @fix_prefix ("ip -n NS ").
nlohmann::json to_json(const RoutePlan& plan, const std::string& fix_prefix);

}  // namespace mptcp_sched

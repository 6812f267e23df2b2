// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/path.h"
#include "mptcp_sched/base/text.h"

#include <arpa/inet.h>
#include <linux/mptcp.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace mptcp_sched {

namespace {

constexpr uint32_t kRulePriority = 10000;   // after "local" (0), before "main" (32766)

int family_of(const std::string& addr)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr.c_str(), buf) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, addr.c_str(), buf) == 1)
        return AF_INET6;
    return 0;
}

// Canonical text, so "fd00:0::1" and "fd00::1" compare equal.
std::string canonical(const std::string& addr)
{
    int fam = family_of(addr);
    unsigned char buf[16];
    char out[INET6_ADDRSTRLEN];
    if (!fam || inet_pton(fam, addr.c_str(), buf) != 1 ||
        !inet_ntop(fam, buf, out, sizeof(out)))
        return addr;
    return out;
}

std::string network_of(const std::string& addr, int family, int plen)
{
    unsigned char buf[16] = {};
    inet_pton(family, addr.c_str(), buf);
    const int bytes = family == AF_INET ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int keep = std::clamp(plen - 8 * i, 0, 8);
        buf[i] &= static_cast<unsigned char>(0xff00 >> keep);
    }
    char out[INET6_ADDRSTRLEN];
    inet_ntop(family, buf, out, sizeof(out));
    return out;
}

bool is_link_local(const std::string& addr, int family)
{
    return family == AF_INET6 && canonical(addr).rfind("fe80:", 0) == 0;
}

struct NetState {
    std::vector<Link> links;
    std::vector<IfAddr> addrs;
};

Result<NetState> net_state()
{
    NetState s;
    auto l = rt_links();
    if (!l)
        return std::unexpected(l.error());
    auto a = rt_addrs();
    if (!a)
        return std::unexpected(a.error());
    s.links = std::move(*l);
    s.addrs = std::move(*a);
    return s;
}

const IfAddr* local_addr(const std::vector<IfAddr>& addrs, const std::string& addr)
{
    const std::string c = canonical(addr);
    for (const auto& a : addrs)
        if (canonical(a.addr) == c)
            return &a;
    return nullptr;
}

Result<PmEndpoint> find_endpoint(const std::string& id_or_addr)
{
    auto eps = pm_list_endpoints();
    if (!eps)
        return std::unexpected(eps.error());
    uint32_t id = 0;
    auto [p, ec] = std::from_chars(id_or_addr.data(), id_or_addr.data() + id_or_addr.size(), id);
    const bool by_id = ec == std::errc() && p == id_or_addr.data() + id_or_addr.size();
    std::vector<PmEndpoint> hits;
    for (const auto& e : *eps)
        if (by_id ? e.id == id : canonical(e.addr) == canonical(id_or_addr))
            hits.push_back(e);
    if (hits.empty())
        return fail_msg("no endpoint " + std::string(by_id ? "with id " : "") + id_or_addr +
                        " (see `mptcp-sched path endpoint list`)", ENOENT);
    if (hits.size() > 1)
        return fail_msg("address " + id_or_addr + " has " + std::to_string(hits.size()) +
                        " endpoints (different ports); give the id", EINVAL);
    return hits.front();
}

std::string fmt_prefix(const std::string& a, int len)
{
    return a.empty() ? "default" : a + "/" + std::to_string(len);
}

}  // namespace

Result<PmEndpoint> path_endpoint_add(const EndpointSpec& spec)
{
    PmEndpoint ep;
    ep.family = family_of(spec.addr);
    if (!ep.family)
        return fail_msg("invalid address '" + spec.addr + "': not an IPv4 or IPv6 address",
                        EINVAL);
    ep.addr = canonical(spec.addr);
    ep.id = spec.id;
    ep.port = spec.port;
    if (spec.id > 255)
        return fail_msg("invalid endpoint id " + std::to_string(spec.id) + ": ids are 1-255",
                        EINVAL);
    for (const auto& f : spec.flags) {
        auto bit = endpoint_flag(f);
        if (!bit || *bit == MPTCP_PM_ADDR_FLAG_IMPLICIT)
            return fail_msg("unknown endpoint flag '" + f + "' (flags: signal, subflow, "
                            "backup, fullmesh)", EINVAL);
        ep.flags |= *bit;
    }
    auto st = net_state();
    if (!st)
        return std::unexpected(st.error());
    const IfAddr* have = local_addr(st->addrs, ep.addr);
    if (!spec.dev.empty()) {
        auto link = find_link(spec.dev, st->links);
        if (!link)
            return fail_msg("failed to add endpoint " + ep.addr + ": no interface named '" +
                            spec.dev + "' in this network namespace", ENODEV);
        ep.ifindex = link->ifindex;
        if (have && have->ifindex != link->ifindex)
            return fail_msg("failed to add endpoint " + ep.addr + ": the address is on " +
                            if_name(have->ifindex, st->links) + ", not on " + spec.dev, EINVAL);
    }
    if (!have)
        return fail_msg("failed to add endpoint " + ep.addr + ": not an address of this host "
                        "(no interface in this network namespace has it; see `ip addr`)",
                        EADDRNOTAVAIL);
    return pm_add_endpoint(ep);
}

Result<PmEndpoint> path_endpoint_del(const std::string& id_or_addr)
{
    auto ep = find_endpoint(id_or_addr);
    if (!ep)
        return std::unexpected(ep.error());
    if (auto r = pm_del_endpoint(ep->id); !r)
        return std::unexpected(r.error());
    return ep;
}

Result<PmEndpoint> path_endpoint_flags(const std::string& id_or_addr,
                                       const std::vector<std::string>& words)
{
    auto ep = find_endpoint(id_or_addr);
    if (!ep)
        return std::unexpected(ep.error());
    if (words.empty())
        return fail_msg("no flags given (backup, nobackup, fullmesh, nofullmesh)", EINVAL);
    uint32_t flags = ep->flags;
    for (const auto& w : words) {
        const bool off = w.rfind("no", 0) == 0;
        const std::string name = off ? w.substr(2) : w;
        uint32_t bit = name == "backup" ? MPTCP_PM_ADDR_FLAG_BACKUP
                       : name == "fullmesh" ? MPTCP_PM_ADDR_FLAG_FULLMESH : 0;
        if (!bit)
            return fail_msg("cannot change flag '" + w + "': only backup, nobackup, fullmesh "
                            "and nofullmesh can change on an existing endpoint", EINVAL);
        flags = off ? flags & ~bit : flags | bit;
    }
    if (auto r = pm_set_endpoint_flags(ep->id, flags); !r)
        return std::unexpected(r.error());
    return find_endpoint(std::to_string(ep->id));
}

std::string render_endpoints_ip(const std::vector<PmEndpoint>& eps, const std::vector<Link>& links)
{
    std::string out;
    for (const auto& e : eps) {
        out += e.addr + " ";
        if (e.port)
            out += "port " + std::to_string(e.port) + " ";
        out += "id " + std::to_string(e.id) + " ";
        for (const auto& f : endpoint_flag_names(e.flags))
            out += f + " ";
        if (e.ifindex)
            out += "dev " + if_name(e.ifindex, links) + " ";
        out += "\n";
    }
    return out;
}

std::string render_limits_ip(const PmLimits& l)
{
    return "add_addr_accepted " + std::to_string(l.add_addr_accepted) + " subflows " +
           std::to_string(l.subflows) + " \n";
}

nlohmann::json endpoints_json(const std::vector<PmEndpoint>& eps, const std::vector<Link>& links)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : eps)
        arr.push_back({{"id", e.id},
                       {"address", e.addr},
                       {"port", e.port ? nlohmann::json(e.port) : nlohmann::json()},
                       {"flags", endpoint_flag_names(e.flags)},
                       {"dev", e.ifindex ? nlohmann::json(if_name(e.ifindex, links))
                                         : nlohmann::json()}});
    return arr;
}

Result<PmLimits> path_limits_set(std::optional<uint32_t> subflows,
                                 std::optional<uint32_t> add_addr_accepted)
{
    if (!subflows && !add_addr_accepted)
        return fail_msg("nothing to set (--subflows N and/or --add-addr-accepted N)", EINVAL);
    for (auto [name, v] : {std::pair{"subflows", subflows},
                           std::pair{"add_addr_accepted", add_addr_accepted}})
        if (v && *v > kPmLimitMax)
            return fail_msg("invalid limit " + std::string(name) + " " + std::to_string(*v) +
                            ": the kernel allows 0-" + std::to_string(kPmLimitMax), ERANGE);
    auto cur = pm_get_limits();
    if (!cur)
        return std::unexpected(cur.error());
    PmLimits l = *cur;
    if (subflows)
        l.subflows = *subflows;
    if (add_addr_accepted)
        l.add_addr_accepted = *add_addr_accepted;
    if (auto r = pm_set_limits(l); !r)
        return std::unexpected(r.error());
    return pm_get_limits();
}

// ---- per-source routing ----

bool RoutePlan::complete() const
{
    return problems.empty() &&
           std::all_of(items.begin(), items.end(), [](const auto& i) { return i.present; });
}

Result<uint32_t> route_table_for(uint32_t table_base, int ifindex)
{
    const uint64_t t = static_cast<uint64_t>(table_base) + static_cast<uint64_t>(ifindex);
    auto bad = [&](const std::string& why) {
        return fail_msg("failed to plan routes: --table-base " + std::to_string(table_base) +
                            " puts interface " + std::to_string(ifindex) + " in " + why +
                            "; choose a base such as 100", EINVAL);
    };
    if (ifindex <= 0 || t > UINT32_MAX)
        return bad("a table beyond 4294967295 (it would wrap around)");
    if (t == RT_TABLE_UNSPEC || t == RT_TABLE_DEFAULT || t == RT_TABLE_MAIN ||
        t == RT_TABLE_LOCAL)
        return bad("table " + std::to_string(t) + ", which the kernel reserves (" +
                   (t == RT_TABLE_LOCAL ? "local" : t == RT_TABLE_MAIN ? "main"
                                                  : t == RT_TABLE_DEFAULT ? "default" : "unspec") +
                   ")");
    return static_cast<uint32_t>(t);
}

Result<RouteInputs> route_gather()
{
    RouteInputs in;
    auto eps = pm_list_endpoints();
    if (!eps)
        return std::unexpected(eps.error());
    in.endpoints = std::move(*eps);
    auto st = net_state();
    if (!st)
        return std::unexpected(st.error());
    in.links = std::move(st->links);
    in.addrs = std::move(st->addrs);
    for (int fam : {AF_INET, AF_INET6}) {
        auto r = rt_rules(fam);
        if (!r)
            return std::unexpected(r.error());
        in.rules.insert(in.rules.end(), r->begin(), r->end());
        auto rt = rt_routes(fam);
        if (!rt)
            return std::unexpected(rt.error());
        in.routes.insert(in.routes.end(), rt->begin(), rt->end());
    }
    return in;
}

Result<RoutePlan> route_plan(uint32_t table_base)
{
    auto in = route_gather();
    if (!in)
        return std::unexpected(in.error());
    return route_plan(*in, table_base);
}

Result<RoutePlan> route_plan(const RouteInputs& in, uint32_t table_base)
{
    RoutePlan plan;
    const auto& rules = in.rules;
    const auto& routes = in.routes;
    for (const auto& ep : in.endpoints) {
        if (is_link_local(ep.addr, ep.family))
            continue;
        const IfAddr* a = local_addr(in.addrs, ep.addr);
        if (!a) {
            plan.problems.push_back("endpoint " + ep.addr + ": no interface has this address "
                                    "(stale endpoint? `mptcp-sched path endpoint del " +
                                    std::to_string(ep.id) + "`)");
            continue;
        }
        if (ep.ifindex && ep.ifindex != a->ifindex) {
            plan.problems.push_back("endpoint " + ep.addr + ": configured on " +
                                    if_name(ep.ifindex, in.links) + " but the address is on " +
                                    if_name(a->ifindex, in.links));
            continue;
        }
        const int ifindex = a->ifindex;
        const std::string dev = if_name(ifindex, in.links);
        const int full = ep.family == AF_INET ? 32 : 128;

        RoutePlanItem rule_item;
        rule_item.endpoint = ep.addr;
        rule_item.dev = dev;
        rule_item.what = "rule";
        auto base_table = route_table_for(table_base, ifindex);
        if (!base_table)
            return std::unexpected(base_table.error());
        uint32_t table = *base_table;
        for (const auto& r : rules)
            if (r.family == ep.family && r.src_len == full && canonical(r.src) == ep.addr) {
                table = r.table;
                rule_item.present = true;
                break;
            }
        rule_item.rule = RouteRule{ep.family, ep.addr, full, table, kRulePriority,
                                   kRtProtoMptcpSched};
        rule_item.desc = "from " + ep.addr + " lookup " + std::to_string(table);
        rule_item.fix = std::string(ep.family == AF_INET6 ? "-6 " : "") + "rule add from " +
                        ep.addr + " table " + std::to_string(table) + " pref " +
                        std::to_string(kRulePriority);
        plan.items.push_back(rule_item);

        auto in_table = [&](const std::string& dst, int len) {
            return std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
                return r.table == table && r.family == ep.family && r.dst_len == len &&
                       canonical(r.dst) == canonical(dst) && r.oif == ifindex;
            });
        };
        if (a->plen < full) {
            RoutePlanItem it;
            it.endpoint = ep.addr;
            it.dev = dev;
            it.what = "route";
            const std::string net = network_of(ep.addr, ep.family, a->plen);
            it.route = Route{ep.family, net, a->plen, "", ifindex, table, kRtProtoMptcpSched,
                             RT_SCOPE_LINK};
            it.desc = fmt_prefix(net, a->plen) + " dev " + dev + " table " + std::to_string(table);
            it.fix = "route add " + fmt_prefix(net, a->plen) + " dev " + shell_quote(dev) + " table " +
                     std::to_string(table);
            it.present = in_table(net, a->plen);
            plan.items.push_back(it);
        }
        for (const auto& r : routes) {
            if (r.table != RT_TABLE_MAIN || r.family != ep.family || !r.dst.empty() ||
                r.oif != ifindex || r.gateway.empty())
                continue;
            RoutePlanItem it;
            it.endpoint = ep.addr;
            it.dev = dev;
            it.what = "route";
            it.route = Route{ep.family, "", 0, r.gateway, ifindex, table, kRtProtoMptcpSched,
                             RT_SCOPE_UNIVERSE};
            it.desc = "default via " + r.gateway + " dev " + dev + " table " +
                      std::to_string(table);
            it.fix = "route add default via " + r.gateway + " dev " + shell_quote(dev) + " table " +
                     std::to_string(table);
            it.present = in_table("", 0);
            plan.items.push_back(it);
            break;
        }
    }
    return plan;
}

std::vector<RoutePlanItem> route_missing(const RoutePlan& plan)
{
    std::vector<RoutePlanItem> out;
    for (const auto& it : plan.items) {
        if (it.present)
            continue;
        // A rule and a route shared by two endpoints of one interface are created once.
        if (std::any_of(out.begin(), out.end(), [&](const auto& d) { return d.desc == it.desc; }))
            continue;
        out.push_back(it);
    }
    return out;
}

Result<std::vector<RoutePlanItem>> route_apply(uint32_t table_base)
{
    auto plan = route_plan(table_base);
    if (!plan)
        return std::unexpected(plan.error());
    std::vector<RoutePlanItem> done;
    for (const auto& it : route_missing(*plan)) {
        auto r = it.what == "rule" ? rt_add_rule(it.rule) : rt_add_route(it.route);
        if (!r && r.error().code != EEXIST)
            return fail_msg(r.error().message + " (created so far: " +
                                std::to_string(done.size()) + "; `mptcp-sched path routes "
                                "remove` undoes them)", r.error().code);
        done.push_back(it);
    }
    return done;
}

Result<std::vector<std::string>> route_remove()
{
    std::vector<std::string> gone;
    for (int fam : {AF_INET, AF_INET6}) {
        auto rules = rt_rules(fam);
        if (!rules)
            return std::unexpected(rules.error());
        for (const auto& r : *rules) {
            if (r.protocol != kRtProtoMptcpSched)
                continue;
            if (auto d = rt_del_rule(r); !d)
                return std::unexpected(d.error());
            gone.push_back("rule from " + fmt_prefix(r.src, r.src_len) + " lookup " +
                           std::to_string(r.table));
        }
        auto routes = rt_routes(fam);
        if (!routes)
            return std::unexpected(routes.error());
        for (const auto& r : *routes) {
            if (r.protocol != kRtProtoMptcpSched)
                continue;
            if (auto d = rt_del_route(r); !d)
                return std::unexpected(d.error());
            gone.push_back("route " + fmt_prefix(r.dst, r.dst_len) +
                           (r.gateway.empty() ? "" : " via " + r.gateway) + " table " +
                           std::to_string(r.table));
        }
    }
    return gone;
}

nlohmann::json to_json(const PmLimits& l)
{
    return {{"subflows", l.subflows}, {"add_addr_accepted", l.add_addr_accepted}};
}

nlohmann::json to_json(const RoutePlan& plan, const std::string& fix_prefix)
{
    nlohmann::json items = nlohmann::json::array();
    for (const auto& it : plan.items)
        items.push_back({{"endpoint", it.endpoint}, {"dev", it.dev}, {"kind", it.what},
                         {"what", it.desc}, {"present", it.present},
                         {"fix", fix_prefix + it.fix}});
    return {{"complete", plan.complete()}, {"items", items}, {"problems", plan.problems}};
}

}  // namespace mptcp_sched

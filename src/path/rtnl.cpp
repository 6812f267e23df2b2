// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/rtnl.h"

#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "mptcp_sched/base/text.h"

namespace mptcp_sched {

namespace {

std::string text_of(int family, const void* bytes)
{
    char t[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, bytes, t, sizeof(t));
    return t;
}

void put_addr(struct nlmsghdr* nlh, uint16_t type, int family, const std::string& addr)
{
    unsigned char buf[16] = {};
    inet_pton(family, addr.c_str(), buf);
    mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, buf);
}

Result<NlSocket> rtnl()
{
    return NlSocket::open(NETLINK_ROUTE);
}

Link parse_link(const struct nlmsghdr* nlh)
{
    const auto* ifi = static_cast<const struct ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    Link l;
    l.ifindex = ifi->ifi_index;
    l.up = ifi->ifi_flags & IFF_UP;
    l.lower_up = ifi->ifi_flags & IFF_LOWER_UP;
    for_each_attr(nlh, sizeof(*ifi), [&](const struct nlattr* a) {
        if (mnl_attr_get_type(a) == IFLA_IFNAME)
            l.name = mnl_attr_get_str(a);
    });
    return l;
}

IfAddr parse_addr(const struct nlmsghdr* nlh)
{
    const auto* ifa = static_cast<const struct ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    IfAddr a;
    a.ifindex = static_cast<int>(ifa->ifa_index);
    a.family = ifa->ifa_family;
    a.plen = ifa->ifa_prefixlen;
    std::string local, address;
    for_each_attr(nlh, sizeof(*ifa), [&](const struct nlattr* at) {
        if (mnl_attr_get_type(at) == IFA_LOCAL)
            local = text_of(a.family, mnl_attr_get_payload(at));
        else if (mnl_attr_get_type(at) == IFA_ADDRESS)
            address = text_of(a.family, mnl_attr_get_payload(at));
    });
    a.addr = local.empty() ? address : local;
    return a;
}

// Fills a rtmsg-based request for a rule (FIB rule messages share rtmsg's layout).
void build_rule(struct nlmsghdr* nlh, const RouteRule& r)
{
    auto* frh = static_cast<struct fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct fib_rule_hdr)));
    frh->family = static_cast<uint8_t>(r.family);
    frh->src_len = static_cast<uint8_t>(r.src_len);
    frh->action = FR_ACT_TO_TBL;
    frh->table = r.table < 256 ? static_cast<uint8_t>(r.table) : uint8_t{RT_TABLE_UNSPEC};
    if (!r.src.empty())
        put_addr(nlh, FRA_SRC, r.family, r.src);
    mnl_attr_put_u32(nlh, FRA_TABLE, r.table);
    if (r.priority)
        mnl_attr_put_u32(nlh, FRA_PRIORITY, r.priority);
    if (r.protocol)
        mnl_attr_put_u8(nlh, FRA_PROTOCOL, r.protocol);
}

void build_route(struct nlmsghdr* nlh, const Route& r)
{
    auto* rtm = static_cast<struct rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)));
    rtm->rtm_family = static_cast<uint8_t>(r.family);
    rtm->rtm_dst_len = static_cast<uint8_t>(r.dst_len);
    rtm->rtm_table = r.table < 256 ? static_cast<uint8_t>(r.table) : uint8_t{RT_TABLE_UNSPEC};
    rtm->rtm_protocol = r.protocol ? r.protocol : RTPROT_BOOT;
    rtm->rtm_scope = r.gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    rtm->rtm_type = RTN_UNICAST;
    if (!r.dst.empty())
        put_addr(nlh, RTA_DST, r.family, r.dst);
    if (!r.gateway.empty())
        put_addr(nlh, RTA_GATEWAY, r.family, r.gateway);
    if (r.oif)
        mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(r.oif));
    mnl_attr_put_u32(nlh, RTA_TABLE, r.table);
}

std::string prefix_text(const std::string& a, int len)
{
    return (a.empty() ? "default" : a + "/" + std::to_string(len));
}

}  // namespace

Result<std::vector<Link>> rt_links()
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    std::vector<Link> out;
    auto r = nl->request("failed to list network interfaces", RTM_GETLINK, NLM_F_DUMP,
        [](struct nlmsghdr* nlh) {
            auto* ifi = static_cast<struct ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)));
            ifi->ifi_family = AF_UNSPEC;
        },
        [&](const struct nlmsghdr* nlh) {
            if (nlh->nlmsg_type == RTM_NEWLINK)
                out.push_back(parse_link(nlh));
        });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

Result<std::vector<IfAddr>> rt_addrs()
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    std::vector<IfAddr> out;
    auto r = nl->request("failed to list addresses", RTM_GETADDR, NLM_F_DUMP,
        [](struct nlmsghdr* nlh) {
            auto* ifa = static_cast<struct ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifaddrmsg)));
            ifa->ifa_family = AF_UNSPEC;
        },
        [&](const struct nlmsghdr* nlh) {
            if (nlh->nlmsg_type == RTM_NEWADDR)
                out.push_back(parse_addr(nlh));
        });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

Result<std::vector<RouteRule>> rt_rules(int family)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    std::vector<RouteRule> out;
    auto r = nl->request("failed to list routing rules", RTM_GETRULE, NLM_F_DUMP,
        [&](struct nlmsghdr* nlh) {
            auto* frh = static_cast<struct fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct fib_rule_hdr)));
            frh->family = static_cast<uint8_t>(family);
        },
        [&](const struct nlmsghdr* nlh) {
            if (nlh->nlmsg_type != RTM_NEWRULE)
                return;
            const auto* frh = static_cast<const struct fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
            RouteRule rr;
            rr.family = frh->family;
            rr.src_len = frh->src_len;
            rr.table = frh->table;
            for_each_attr(nlh, sizeof(*frh), [&](const struct nlattr* a) {
                switch (mnl_attr_get_type(a)) {
                case FRA_SRC: rr.src = text_of(rr.family, mnl_attr_get_payload(a)); break;
                case FRA_TABLE: rr.table = mnl_attr_get_u32(a); break;
                case FRA_PRIORITY: rr.priority = mnl_attr_get_u32(a); break;
                case FRA_PROTOCOL: rr.protocol = mnl_attr_get_u8(a); break;
                }
            });
            out.push_back(rr);
        });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

Result<std::vector<Route>> rt_routes(int family)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    std::vector<Route> out;
    auto r = nl->request("failed to list routes", RTM_GETROUTE, NLM_F_DUMP,
        [&](struct nlmsghdr* nlh) {
            auto* rtm = static_cast<struct rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)));
            rtm->rtm_family = static_cast<uint8_t>(family);
        },
        [&](const struct nlmsghdr* nlh) {
            if (nlh->nlmsg_type != RTM_NEWROUTE)
                return;
            const auto* rtm = static_cast<const struct rtmsg*>(mnl_nlmsg_get_payload(nlh));
            if (rtm->rtm_type != RTN_UNICAST)
                return;
            Route rt;
            rt.family = rtm->rtm_family;
            rt.dst_len = rtm->rtm_dst_len;
            rt.table = rtm->rtm_table;
            rt.protocol = rtm->rtm_protocol;
            rt.scope = rtm->rtm_scope;
            for_each_attr(nlh, sizeof(*rtm), [&](const struct nlattr* a) {
                switch (mnl_attr_get_type(a)) {
                case RTA_DST: rt.dst = text_of(rt.family, mnl_attr_get_payload(a)); break;
                case RTA_GATEWAY: rt.gateway = text_of(rt.family, mnl_attr_get_payload(a)); break;
                case RTA_OIF: rt.oif = static_cast<int>(mnl_attr_get_u32(a)); break;
                case RTA_TABLE: rt.table = mnl_attr_get_u32(a); break;
                }
            });
            out.push_back(rt);
        });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

Result<void> rt_set_link_up(const std::string& name, bool up)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    if (name.empty() || name.size() >= IFNAMSIZ)
        return fail_msg("failed to set link '" + printable(name) + "' " + (up ? "up" : "down") +
                        ": not an interface name", EINVAL);
    return nl->request("failed to set link " + name + (up ? " up" : " down"), RTM_NEWLINK, 0,
                       [&](struct nlmsghdr* nlh) {
                           auto* ifi = static_cast<struct ifinfomsg*>(
                               mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)));
                           ifi->ifi_family = AF_UNSPEC;
                           ifi->ifi_change = IFF_UP;
                           ifi->ifi_flags = up ? IFF_UP : 0;
                           // ifi_index 0: the kernel finds the link by IFLA_IFNAME
                           mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
                       });
}

Result<void> rt_add_rule(const RouteRule& r)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    return nl->request("failed to add rule from " + prefix_text(r.src, r.src_len) + " table " +
                           std::to_string(r.table),
                       RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
                       [&](struct nlmsghdr* nlh) { build_rule(nlh, r); });
}

Result<void> rt_del_rule(const RouteRule& r)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    return nl->request("failed to delete rule from " + prefix_text(r.src, r.src_len) + " table " +
                           std::to_string(r.table),
                       RTM_DELRULE, 0, [&](struct nlmsghdr* nlh) { build_rule(nlh, r); });
}

Result<void> rt_add_route(const Route& r)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    return nl->request("failed to add route " + prefix_text(r.dst, r.dst_len) + " table " +
                           std::to_string(r.table),
                       RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
                       [&](struct nlmsghdr* nlh) { build_route(nlh, r); });
}

Result<void> rt_del_route(const Route& r)
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    return nl->request("failed to delete route " + prefix_text(r.dst, r.dst_len) + " table " +
                           std::to_string(r.table),
                       RTM_DELROUTE, 0, [&](struct nlmsghdr* nlh) { build_route(nlh, r); });
}

std::string if_name(int ifindex, const std::vector<Link>& links)
{
    for (const auto& l : links)
        if (l.ifindex == ifindex)
            return l.name;
    return ifindex ? "if" + std::to_string(ifindex) : "";
}

std::optional<Link> find_link(const std::string& name, const std::vector<Link>& links)
{
    for (const auto& l : links)
        if (l.name == name)
            return l;
    return std::nullopt;
}

Result<RtEvents> RtEvents::open()
{
    auto nl = rtnl();
    if (!nl)
        return std::unexpected(nl.error());
    for (unsigned g : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR})
        if (auto j = nl->join_group(g); !j)
            return std::unexpected(j.error());
    return RtEvents(std::move(*nl));
}

Result<void> RtEvents::read(const std::function<void(const RtEvent&)>& cb)
{
    return nl_.receive([&](const struct nlmsghdr* nlh) {
        RtEvent ev;
        switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
            ev.kind = RtEvent::LinkChange;
            ev.link = parse_link(nlh);
            if (nlh->nlmsg_type == RTM_DELLINK)
                ev.link.up = ev.link.lower_up = false;
            break;
        case RTM_NEWADDR:
            ev.kind = RtEvent::AddrAdded;
            ev.addr = parse_addr(nlh);
            break;
        case RTM_DELADDR:
            ev.kind = RtEvent::AddrRemoved;
            ev.addr = parse_addr(nlh);
            break;
        default:
            return;
        }
        cb(ev);
    });
}

}  // namespace mptcp_sched

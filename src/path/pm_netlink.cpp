// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/path/pm_netlink.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/mptcp_pm.h>
#include <sys/socket.h>

#include <cstring>

namespace mptcp_sched {

namespace {

const std::pair<uint32_t, const char*> kFlagNames[] = {
    {MPTCP_PM_ADDR_FLAG_SIGNAL, "signal"},     {MPTCP_PM_ADDR_FLAG_SUBFLOW, "subflow"},
    {MPTCP_PM_ADDR_FLAG_BACKUP, "backup"},     {MPTCP_PM_ADDR_FLAG_FULLMESH, "fullmesh"},
    {MPTCP_PM_ADDR_FLAG_IMPLICIT, "implicit"},
};

struct Pm {
    NlSocket nl;
    uint16_t family;

    Result<void> request(const std::string& what, uint8_t cmd, bool dump,
                         const std::function<void(struct nlmsghdr*)>& attrs,
                         const NlSocket::Callback& cb = {})
    {
        return nl.request(what, family, dump ? NLM_F_DUMP : 0,
            [&](struct nlmsghdr* nlh) {
                genl_put(nlh, cmd, MPTCP_PM_VER);
                if (attrs)
                    attrs(nlh);
            },
            cb);
    }
};

Result<Pm> open_pm()
{
    auto nl = NlSocket::open(NETLINK_GENERIC);
    if (!nl)
        return std::unexpected(nl.error());
    auto id = genl_family_id(*nl, MPTCP_PM_NAME);
    if (!id)
        return std::unexpected(id.error());
    return Pm{std::move(*nl), *id};
}

std::string addr_text(int family, const void* bytes)
{
    char text[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, bytes, text, sizeof(text));
    return text;
}

PmEndpoint parse_endpoint(const struct nlattr* nest)
{
    PmEndpoint ep;
    for_each_nested(nest, [&](const struct nlattr* a) {
        switch (mnl_attr_get_type(a)) {
        case MPTCP_PM_ADDR_ATTR_FAMILY: ep.family = mnl_attr_get_u16(a); break;
        case MPTCP_PM_ADDR_ATTR_ID: ep.id = mnl_attr_get_u8(a); break;
        case MPTCP_PM_ADDR_ATTR_ADDR4: ep.addr = addr_text(AF_INET, mnl_attr_get_payload(a)); break;
        case MPTCP_PM_ADDR_ATTR_ADDR6: ep.addr = addr_text(AF_INET6, mnl_attr_get_payload(a)); break;
        case MPTCP_PM_ADDR_ATTR_PORT: ep.port = mnl_attr_get_u16(a); break;
        case MPTCP_PM_ADDR_ATTR_FLAGS: ep.flags = mnl_attr_get_u32(a); break;
        case MPTCP_PM_ADDR_ATTR_IF_IDX: ep.ifindex = static_cast<int>(mnl_attr_get_u32(a)); break;
        }
    });
    return ep;
}

// A nested MPTCP_PM_ADDR_ATTR_* block. Address and port only when given.
void put_addr(struct nlmsghdr* nlh, uint16_t type, int family, const std::string& addr,
              uint16_t port, std::optional<uint8_t> id, std::optional<uint32_t> flags,
              int ifindex)
{
    struct nlattr* nest = mnl_attr_nest_start(nlh, type);
    if (family)
        mnl_attr_put_u16(nlh, MPTCP_PM_ADDR_ATTR_FAMILY, static_cast<uint16_t>(family));
    if (id)
        mnl_attr_put_u8(nlh, MPTCP_PM_ADDR_ATTR_ID, *id);
    if (!addr.empty()) {
        unsigned char buf[16] = {};
        inet_pton(family, addr.c_str(), buf);
        if (family == AF_INET)
            mnl_attr_put(nlh, MPTCP_PM_ADDR_ATTR_ADDR4, 4, buf);
        else
            mnl_attr_put(nlh, MPTCP_PM_ADDR_ATTR_ADDR6, 16, buf);
    }
    if (port)
        mnl_attr_put_u16(nlh, MPTCP_PM_ADDR_ATTR_PORT, port);
    if (flags)
        mnl_attr_put_u32(nlh, MPTCP_PM_ADDR_ATTR_FLAGS, *flags);
    if (ifindex)
        mnl_attr_put_u32(nlh, MPTCP_PM_ADDR_ATTR_IF_IDX, static_cast<uint32_t>(ifindex));
    mnl_attr_nest_end(nlh, nest);
}

}  // namespace

std::vector<std::string> endpoint_flag_names(uint32_t flags)
{
    std::vector<std::string> out;
    for (auto [bit, name] : kFlagNames)
        if (flags & bit)
            out.emplace_back(name);
    return out;
}

std::optional<uint32_t> endpoint_flag(const std::string& name)
{
    for (auto [bit, n] : kFlagNames)
        if (name == n)
            return bit;
    return std::nullopt;
}

Result<PmLimits> pm_get_limits()
{
    auto pm = PmClient::open();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->get_limits();
}

Result<void> pm_set_limits(const PmLimits& l)
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->request("failed to set MPTCP limits", MPTCP_PM_CMD_SET_LIMITS, false,
                       [&](struct nlmsghdr* nlh) {
                           mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_RCV_ADD_ADDRS, l.add_addr_accepted);
                           mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_SUBFLOWS, l.subflows);
                       });
}

Result<std::vector<PmEndpoint>> pm_list_endpoints()
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    std::vector<PmEndpoint> eps;
    auto r = pm->request("failed to list MPTCP endpoints", MPTCP_PM_CMD_GET_ADDR, true, {},
        [&](const struct nlmsghdr* nlh) {
            for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr* a) {
                if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_ADDR)
                    eps.push_back(parse_endpoint(a));
            });
        });
    if (!r)
        return std::unexpected(r.error());
    return eps;
}

Result<PmEndpoint> pm_add_endpoint(const PmEndpoint& ep)
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    auto r = pm->request("failed to add endpoint " + ep.addr, MPTCP_PM_CMD_ADD_ADDR, false,
        [&](struct nlmsghdr* nlh) {
            put_addr(nlh, MPTCP_PM_ATTR_ADDR, ep.family, ep.addr, ep.port,
                     ep.id ? std::optional<uint8_t>(static_cast<uint8_t>(ep.id)) : std::nullopt,
                     ep.flags, ep.ifindex);
        });
    if (!r)
        return std::unexpected(r.error());
    // The kernel does not return what it stored; find it (it normalises flags and ids).
    auto all = pm_list_endpoints();
    if (!all)
        return std::unexpected(all.error());
    for (const auto& e : *all)
        if (e.addr == ep.addr && e.port == ep.port && (!ep.id || e.id == ep.id))
            return e;
    return fail_msg("added endpoint " + ep.addr + " but cannot find it again", EIO);
}

Result<void> pm_del_endpoint(uint32_t id)
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->request("failed to delete endpoint id " + std::to_string(id),
                       MPTCP_PM_CMD_DEL_ADDR, false, [&](struct nlmsghdr* nlh) {
                           put_addr(nlh, MPTCP_PM_ATTR_ADDR, 0, "", 0,
                                    static_cast<uint8_t>(id), std::nullopt, 0);
                       });
}

Result<void> pm_flush_endpoints()
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->request("failed to flush endpoints", MPTCP_PM_CMD_FLUSH_ADDRS, false, {});
}

Result<void> pm_set_endpoint_flags(uint32_t id, uint32_t flags)
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->request("failed to change the flags of endpoint id " + std::to_string(id),
                       MPTCP_PM_CMD_SET_FLAGS, false, [&](struct nlmsghdr* nlh) {
                           put_addr(nlh, MPTCP_PM_ATTR_ADDR, 0, "", 0,
                                    static_cast<uint8_t>(id), flags, 0);
                       });
}

Result<PmClient> PmClient::open()
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    return PmClient(std::move(pm->nl), pm->family);
}

Result<void> PmClient::request(const std::string& what, uint8_t cmd, bool dump,
                               const std::function<void(struct nlmsghdr*)>& attrs,
                               const NlSocket::Callback& cb)
{
    return nl_.request(what, family_, dump ? NLM_F_DUMP : 0,
        [&](struct nlmsghdr* nlh) {
            genl_put(nlh, cmd, MPTCP_PM_VER);
            if (attrs)
                attrs(nlh);
        },
        cb);
}

Result<PmLimits> PmClient::get_limits()
{
    PmLimits lim;
    auto r = request("failed to get MPTCP limits", MPTCP_PM_CMD_GET_LIMITS, false, {},
        [&](const struct nlmsghdr* nlh) {
            for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr* a) {
                if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_SUBFLOWS)
                    lim.subflows = mnl_attr_get_u32(a);
                else if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_RCV_ADD_ADDRS)
                    lim.add_addr_accepted = mnl_attr_get_u32(a);
            });
        });
    if (!r)
        return std::unexpected(r.error());
    return lim;
}

Result<void> PmClient::subflow_create(uint32_t token, uint8_t local_id, const PmSockAddr& local,
                                      int ifindex, const PmSockAddr& remote, bool backup)
{
    return request("failed to create a subflow " + local.addr + " -> " + remote.addr,
                   MPTCP_PM_CMD_SUBFLOW_CREATE, false, [&](struct nlmsghdr* nlh) {
                       mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_TOKEN, token);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR, local.family, local.addr, local.port,
                                local_id, backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0u, ifindex);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR_REMOTE, remote.family, remote.addr,
                                remote.port, std::nullopt, std::nullopt, 0);
                   });
}

Result<void> PmClient::subflow_destroy(uint32_t token, const PmSockAddr& local,
                                       const PmSockAddr& remote)
{
    return request("failed to remove the subflow " + local.addr + " -> " + remote.addr,
                   MPTCP_PM_CMD_SUBFLOW_DESTROY, false, [&](struct nlmsghdr* nlh) {
                       mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_TOKEN, token);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR, local.family, local.addr, local.port,
                                std::nullopt, std::nullopt, 0);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR_REMOTE, remote.family, remote.addr,
                                remote.port, std::nullopt, std::nullopt, 0);
                   });
}

Result<void> PmClient::subflow_set_backup(uint32_t token, const PmSockAddr& local,
                                          const PmSockAddr& remote, bool backup)
{
    return request("failed to set the backup flag of " + local.addr + " -> " + remote.addr,
                   MPTCP_PM_CMD_SET_FLAGS, false, [&](struct nlmsghdr* nlh) {
                       mnl_attr_put_u32(nlh, MPTCP_PM_ATTR_TOKEN, token);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR, local.family, local.addr, local.port,
                                std::nullopt, backup ? MPTCP_PM_ADDR_FLAG_BACKUP : 0u, 0);
                       put_addr(nlh, MPTCP_PM_ATTR_ADDR_REMOTE, remote.family, remote.addr,
                                remote.port, std::nullopt, std::nullopt, 0);
                   });
}

Result<void> pm_subflow_create(uint32_t token, uint8_t local_id, const PmSockAddr& local,
                               int ifindex, const PmSockAddr& remote, bool backup)
{
    auto pm = PmClient::open();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->subflow_create(token, local_id, local, ifindex, remote, backup);
}

Result<void> pm_subflow_destroy(uint32_t token, const PmSockAddr& local, const PmSockAddr& remote)
{
    auto pm = PmClient::open();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->subflow_destroy(token, local, remote);
}

Result<void> pm_subflow_set_backup(uint32_t token, const PmSockAddr& local,
                                   const PmSockAddr& remote, bool backup)
{
    auto pm = PmClient::open();
    if (!pm)
        return std::unexpected(pm.error());
    return pm->subflow_set_backup(token, local, remote, backup);
}

const char* pm_event_name(int type)
{
    switch (type) {
    case MPTCP_EVENT_CREATED: return "created";
    case MPTCP_EVENT_ESTABLISHED: return "established";
    case MPTCP_EVENT_CLOSED: return "closed";
    case MPTCP_EVENT_ANNOUNCED: return "announced";
    case MPTCP_EVENT_REMOVED: return "removed";
    case MPTCP_EVENT_SUB_ESTABLISHED: return "sub_established";
    case MPTCP_EVENT_SUB_CLOSED: return "sub_closed";
    case MPTCP_EVENT_SUB_PRIORITY: return "sub_priority";
    case MPTCP_EVENT_LISTENER_CREATED: return "listener_created";
    case MPTCP_EVENT_LISTENER_CLOSED: return "listener_closed";
    }
    return "unknown";
}

Result<PmEvents> PmEvents::open()
{
    auto nl = NlSocket::open(NETLINK_GENERIC);
    if (!nl)
        return std::unexpected(nl.error());
    auto id = genl_family_id(*nl, MPTCP_PM_NAME);
    if (!id)
        return std::unexpected(id.error());
    auto grp = genl_mcast_group(*nl, MPTCP_PM_NAME, MPTCP_PM_EV_GRP_NAME);
    if (!grp)
        return std::unexpected(grp.error());
    if (auto j = nl->join_group(*grp); !j)
        return std::unexpected(j.error());
    return PmEvents(std::move(*nl), *id);
}

Result<void> PmEvents::read(const std::function<void(const PmEvent&)>& cb)
{
    return nl_.receive([&](const struct nlmsghdr* nlh) {
        if (nlh->nlmsg_type != family_)
            return;
        const auto* g = static_cast<const struct genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
        PmEvent ev;
        ev.type = g->cmd;
        for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr* a) {
            switch (mnl_attr_get_type(a)) {
            case MPTCP_ATTR_TOKEN: ev.token = mnl_attr_get_u32(a); break;
            case MPTCP_ATTR_FAMILY: ev.family = mnl_attr_get_u16(a); break;
            case MPTCP_ATTR_LOC_ID: ev.loc_id = mnl_attr_get_u8(a); break;
            case MPTCP_ATTR_REM_ID: ev.rem_id = mnl_attr_get_u8(a); break;
            case MPTCP_ATTR_SADDR4: ev.saddr = addr_text(AF_INET, mnl_attr_get_payload(a)); break;
            case MPTCP_ATTR_SADDR6: ev.saddr = addr_text(AF_INET6, mnl_attr_get_payload(a)); break;
            case MPTCP_ATTR_DADDR4: ev.daddr = addr_text(AF_INET, mnl_attr_get_payload(a)); break;
            case MPTCP_ATTR_DADDR6: ev.daddr = addr_text(AF_INET6, mnl_attr_get_payload(a)); break;
            case MPTCP_ATTR_SPORT: ev.sport = ntohs(mnl_attr_get_u16(a)); break;
            case MPTCP_ATTR_DPORT: ev.dport = ntohs(mnl_attr_get_u16(a)); break;
            case MPTCP_ATTR_BACKUP: ev.backup = mnl_attr_get_u8(a) != 0; break;
            case MPTCP_ATTR_IF_IDX: ev.ifindex = static_cast<int>(mnl_attr_get_u32(a)); break;
            case MPTCP_ATTR_ERROR: ev.error = static_cast<int>(mnl_attr_get_u8(a)); break;
            case MPTCP_ATTR_SERVER_SIDE: ev.server_side = mnl_attr_get_u8(a) != 0; break;
            }
        });
        cb(ev);
    });
}

}  // namespace mptcp_sched

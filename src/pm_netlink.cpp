// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/pm_netlink.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/mptcp_pm.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <vector>

namespace mptcp_sched {

std::vector<std::string> endpoint_flag_names(uint32_t flags)
{
    static const std::pair<uint32_t, const char*> names[] = {
        {MPTCP_PM_ADDR_FLAG_SIGNAL, "signal"},     {MPTCP_PM_ADDR_FLAG_SUBFLOW, "subflow"},
        {MPTCP_PM_ADDR_FLAG_BACKUP, "backup"},     {MPTCP_PM_ADDR_FLAG_FULLMESH, "fullmesh"},
        {MPTCP_PM_ADDR_FLAG_IMPLICIT, "implicit"},
    };
    std::vector<std::string> out;
    for (auto [bit, name] : names)
        if (flags & bit)
            out.emplace_back(name);
    return out;
}

namespace {

// libmnl's attribute loops are C macros doing void* arithmetic; these are their C++ form.
template <typename F>
void for_each_attr_in(const void* start, const void* end, F&& f)
{
    auto* a = static_cast<const struct nlattr*>(start);
    const char* tail = static_cast<const char*>(end);
    while (mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a)))) {
        f(a);
        a = mnl_attr_next(a);
    }
}

template <typename F>
void for_each_attr(const struct nlmsghdr* nlh, F&& f)
{
    for_each_attr_in(mnl_nlmsg_get_payload_offset(nlh, sizeof(struct genlmsghdr)),
                     mnl_nlmsg_get_payload_tail(nlh), f);
}

template <typename F>
void for_each_nested(const struct nlattr* nest, F&& f)
{
    const char* p = static_cast<const char*>(mnl_attr_get_payload(nest));
    for_each_attr_in(p, p + mnl_attr_get_payload_len(nest), f);
}

struct MnlDeleter {
    void operator()(struct mnl_socket* s) const { mnl_socket_close(s); }
};

// One generic-netlink request/response exchange at a time on a private socket.
class Genl {
public:
    using Callback = std::function<void(const struct nlmsghdr*)>;

    static Result<Genl> open()
    {
        std::unique_ptr<struct mnl_socket, MnlDeleter> nl(mnl_socket_open(NETLINK_GENERIC));
        if (!nl)
            return fail_errno("failed to open a generic netlink socket");
        if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
            return fail_errno("failed to bind a generic netlink socket");
        return Genl(std::move(nl));
    }

    Result<uint16_t> resolve(const char* family)
    {
        uint16_t id = 0;
        auto r = exchange(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, false,
            [&](struct nlmsghdr* nlh) { mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family); },
            [&](const struct nlmsghdr* nlh) {
                for_each_attr(nlh, [&](const struct nlattr* a) {
                    if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
                        id = mnl_attr_get_u16(a);
                });
            });
        if (!r) {
            if (r.error().code == ENOENT)
                return fail_msg(std::string("failed to find netlink family ") + family +
                                ": kernel without MPTCP (CONFIG_MPTCP)", ENOENT);
            return std::unexpected(r.error());
        }
        if (!id)
            return fail_msg(std::string("failed to resolve netlink family ") + family, EPROTO);
        return id;
    }

    Result<void> exchange(uint16_t type, uint8_t cmd, uint8_t version, bool dump,
                          const std::function<void(struct nlmsghdr*)>& build, const Callback& cb)
    {
        std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
        struct nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
        nlh->nlmsg_seq = ++seq_;
        auto* g = static_cast<struct genlmsghdr*>(
            mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr)));
        g->cmd = cmd;
        g->version = version;
        if (build)
            build(nlh);
        if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0)
            return fail_errno("failed to send a netlink request");

        const unsigned portid = mnl_socket_get_portid(nl_.get());
        struct Ctx {
            const Callback* cb;
        } ctx{&cb};
        auto trampoline = [](const struct nlmsghdr* m, void* data) -> int {
            (*static_cast<Ctx*>(data)->cb)(m);
            return MNL_CB_OK;
        };
        for (;;) {
            ssize_t n = mnl_socket_recvfrom(nl_.get(), buf.data(), buf.size());
            if (n < 0)
                return fail_errno("failed to receive a netlink reply");
            int ret = mnl_cb_run(buf.data(), n, seq_, portid, trampoline, &ctx);
            if (ret < 0)
                return fail_errno("netlink request failed");
            if (ret == MNL_CB_STOP)
                return {};
        }
    }

private:
    explicit Genl(std::unique_ptr<struct mnl_socket, MnlDeleter> nl) : nl_(std::move(nl)) {}
    std::unique_ptr<struct mnl_socket, MnlDeleter> nl_;
    unsigned seq_ = 0;
};

Result<std::pair<Genl, uint16_t>> open_pm()
{
    auto g = Genl::open();
    if (!g)
        return std::unexpected(g.error());
    auto id = g->resolve(MPTCP_PM_NAME);
    if (!id)
        return std::unexpected(id.error());
    return std::make_pair(std::move(*g), *id);
}

PmEndpoint parse_endpoint(const struct nlattr* nest)
{
    PmEndpoint ep;
    for_each_nested(nest, [&](const struct nlattr* a) {
        char text[INET6_ADDRSTRLEN] = "";
        switch (mnl_attr_get_type(a)) {
        case MPTCP_PM_ADDR_ATTR_FAMILY: ep.family = mnl_attr_get_u16(a); break;
        case MPTCP_PM_ADDR_ATTR_ID: ep.id = mnl_attr_get_u8(a); break;
        case MPTCP_PM_ADDR_ATTR_ADDR4:
            inet_ntop(AF_INET, mnl_attr_get_payload(a), text, sizeof(text));
            ep.addr = text;
            break;
        case MPTCP_PM_ADDR_ATTR_ADDR6:
            inet_ntop(AF_INET6, mnl_attr_get_payload(a), text, sizeof(text));
            ep.addr = text;
            break;
        case MPTCP_PM_ADDR_ATTR_PORT: ep.port = mnl_attr_get_u16(a); break;
        case MPTCP_PM_ADDR_ATTR_FLAGS: ep.flags = mnl_attr_get_u32(a); break;
        case MPTCP_PM_ADDR_ATTR_IF_IDX: ep.ifindex = static_cast<int>(mnl_attr_get_u32(a)); break;
        }
    });
    return ep;
}

}  // namespace

Result<PmLimits> pm_get_limits()
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    PmLimits lim;
    auto r = pm->first.exchange(pm->second, MPTCP_PM_CMD_GET_LIMITS, MPTCP_PM_VER, false, {},
        [&](const struct nlmsghdr* nlh) {
            for_each_attr(nlh, [&](const struct nlattr* a) {
                if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_SUBFLOWS)
                    lim.subflows = mnl_attr_get_u32(a);
                else if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_RCV_ADD_ADDRS)
                    lim.add_addr_accepted = mnl_attr_get_u32(a);
            });
        });
    if (!r)
        return fail(Error::sys(r.error().code, "failed to get MPTCP limits"));
    return lim;
}

Result<std::vector<PmEndpoint>> pm_list_endpoints()
{
    auto pm = open_pm();
    if (!pm)
        return std::unexpected(pm.error());
    std::vector<PmEndpoint> eps;
    auto r = pm->first.exchange(pm->second, MPTCP_PM_CMD_GET_ADDR, MPTCP_PM_VER, true, {},
        [&](const struct nlmsghdr* nlh) {
            for_each_attr(nlh, [&](const struct nlattr* a) {
                if (mnl_attr_get_type(a) == MPTCP_PM_ATTR_ADDR)
                    eps.push_back(parse_endpoint(a));
            });
        });
    if (!r)
        return fail(Error::sys(r.error().code, "failed to list MPTCP endpoints"));
    return eps;
}

}  // namespace mptcp_sched

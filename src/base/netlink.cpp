// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/netlink.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

namespace mptcp_sched {

namespace {

struct RunCtx {
    const NlSocket::Callback* cb;
    int error = 0;
    std::string extack;
    unsigned seq = 0;   // 0: any (multicast); otherwise only replies to this request
};

// A socket kept for many requests can still hold the tail of an earlier one (a dump cut
// short by an error): its messages carry an older sequence number and are skipped here
// rather than taken for this request's answer.
bool stale(const RunCtx* ctx, const struct nlmsghdr* nlh)
{
    return ctx->seq && nlh->nlmsg_seq != ctx->seq;
}

int on_data(const struct nlmsghdr* nlh, void* data)
{
    auto* ctx = static_cast<RunCtx*>(data);
    if (stale(ctx, nlh))
        return MNL_CB_OK;
    if (*ctx->cb)
        (*ctx->cb)(nlh);
    return MNL_CB_OK;
}

// NLMSG_ERROR: 0 is the ack; otherwise keep the errno and the kernel's extack message.
int on_error(const struct nlmsghdr* nlh, void* data)
{
    auto* ctx = static_cast<RunCtx*>(data);
    if (stale(ctx, nlh))
        return MNL_CB_OK;
    const auto* err = static_cast<const struct nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
        return MNL_CB_ERROR;
    if (err->error == 0)
        return MNL_CB_STOP;
    ctx->error = -err->error;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t off = sizeof(struct nlmsgerr);
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
            off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
        for_each_attr(nlh, off, [&](const struct nlattr* a) {
            if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
                ctx->extack = mnl_attr_get_str(a);
        });
    }
    errno = ctx->error;
    return MNL_CB_ERROR;
}

int on_done(const struct nlmsghdr* nlh, void* data)
{
    return stale(static_cast<RunCtx*>(data), nlh) ? MNL_CB_OK : MNL_CB_STOP;
}

}  // namespace

Result<NlSocket> NlSocket::open(int bus)
{
    std::unique_ptr<struct mnl_socket, Closer> nl(mnl_socket_open2(bus, SOCK_CLOEXEC));
    if (!nl)
        return fail_errno("failed to open a netlink socket");
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return fail_errno("failed to bind a netlink socket");
    int one = 1;
    mnl_socket_setsockopt(nl.get(), NETLINK_EXT_ACK, &one, sizeof(one));
    mnl_socket_setsockopt(nl.get(), NETLINK_CAP_ACK, &one, sizeof(one));
    return NlSocket(std::move(nl));
}

int NlSocket::fd() const
{
    return mnl_socket_get_fd(nl_.get());
}

Result<void> NlSocket::request(const std::string& what, uint16_t type, uint16_t flags,
                               const Build& build, const Callback& cb)
{
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    struct nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++seq_;
    if (build)
        build(nlh);
    if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0)
        return fail_errno(what);

    const unsigned portid = mnl_socket_get_portid(nl_.get());
    RunCtx ctx{&cb, 0, {}, seq_};
    mnl_cb_t ctl[NLMSG_MIN_TYPE] = {};
    ctl[NLMSG_ERROR] = on_error;
    ctl[NLMSG_DONE] = on_done;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl_.get(), buf.data(), buf.size());
        if (n < 0)
            return fail_errno(what);
        // Sequence numbers are checked per message in the callbacks (see stale()).
        int ret = mnl_cb_run2(buf.data(), static_cast<size_t>(n), 0, portid, on_data, &ctx,
                              ctl, NLMSG_MIN_TYPE);
        if (ret == MNL_CB_ERROR) {
            int err = ctx.error ? ctx.error : errno;
            return fail_msg(what + ": " + (ctx.extack.empty() ? std::strerror(err) : ctx.extack),
                            err);
        }
        if (ret == MNL_CB_STOP)
            return {};
    }
}

Result<void> NlSocket::join_group(unsigned group)
{
    int g = static_cast<int>(group);
    if (mnl_socket_setsockopt(nl_.get(), NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
        return fail_errno("failed to join netlink group " + std::to_string(group));
    return {};
}

Result<void> NlSocket::receive(const Callback& cb)
{
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    ssize_t n = mnl_socket_recvfrom(nl_.get(), buf.data(), buf.size());
    if (n < 0)
        return fail_errno("failed to receive netlink events");
    RunCtx ctx{&cb, 0, {}, 0};
    mnl_cb_run(buf.data(), static_cast<size_t>(n), 0, 0, on_data, &ctx);
    return {};
}

Result<int> NlSocket::set_receive_buffer(int bytes)
{
    const int fd = mnl_socket_get_fd(nl_.get());
    // SO_RCVBUFFORCE (CAP_NET_ADMIN) passes net.core.rmem_max; SO_RCVBUF is capped by it.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0)
        return fail_errno("failed to set the receive buffer of a netlink socket");
    int got = 0;
    socklen_t len = sizeof(got);
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
        return fail_errno("failed to read the receive buffer of a netlink socket");
    return got;
}

size_t NlSocket::discard_pending()
{
    const int fd = mnl_socket_get_fd(nl_.get());
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
    // At most twice what the buffer holds: events that keep coming while we drain are
    // newer than the dump that follows anyway, and a storm must not keep us here.
    int rcvbuf = 0;
    socklen_t len = sizeof(rcvbuf);
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) != 0 || rcvbuf <= 0)
        rcvbuf = 1 << 20;
    size_t dropped = 0, bytes = 0;
    while (bytes <= 2 * static_cast<size_t>(rcvbuf)) {
        ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n > 0) {
            dropped++;
            bytes += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == ENOBUFS))
            continue;
        break;
    }
    return dropped;
}

void genl_put(struct nlmsghdr* nlh, uint8_t cmd, uint8_t version)
{
    auto* g = static_cast<struct genlmsghdr*>(
        mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr)));
    g->cmd = cmd;
    g->version = version;
}

namespace {

// CTRL_CMD_GETFAMILY: the family id and its multicast groups (name -> id).
Result<std::pair<uint16_t, std::vector<std::pair<std::string, uint32_t>>>>
genl_family(NlSocket& nl, const std::string& family)
{
    uint16_t id = 0;
    std::vector<std::pair<std::string, uint32_t>> groups;
    auto r = nl.request("failed to find netlink family " + family, GENL_ID_CTRL, 0,
        [&](struct nlmsghdr* nlh) {
            genl_put(nlh, CTRL_CMD_GETFAMILY, 1);
            mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family.c_str());
        },
        [&](const struct nlmsghdr* nlh) {
            for_each_attr(nlh, sizeof(struct genlmsghdr), [&](const struct nlattr* a) {
                if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
                    id = mnl_attr_get_u16(a);
                if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
                    return;
                for_each_nested(a, [&](const struct nlattr* grp) {
                    std::string name;
                    uint32_t gid = 0;
                    for_each_nested(grp, [&](const struct nlattr* f) {
                        if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_NAME)
                            name = mnl_attr_get_str(f);
                        else if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_ID)
                            gid = mnl_attr_get_u32(f);
                    });
                    groups.emplace_back(name, gid);
                });
            });
        });
    if (!r) {
        if (r.error().code == ENOENT)
            return fail_msg("failed to find netlink family " + family +
                            ": kernel without MPTCP (CONFIG_MPTCP)", ENOENT);
        return std::unexpected(r.error());
    }
    if (!id)
        return fail_msg("failed to resolve netlink family " + family, EPROTO);
    return std::make_pair(id, groups);
}

}  // namespace

Result<uint16_t> genl_family_id(NlSocket& nl, const std::string& family)
{
    auto f = genl_family(nl, family);
    if (!f)
        return std::unexpected(f.error());
    return f->first;
}

Result<uint32_t> genl_mcast_group(NlSocket& nl, const std::string& family,
                                  const std::string& group)
{
    auto f = genl_family(nl, family);
    if (!f)
        return std::unexpected(f.error());
    for (const auto& [name, id] : f->second)
        if (name == group)
            return id;
    return fail_msg("netlink family " + family + " has no multicast group " + group, ENOENT);
}

}  // namespace mptcp_sched

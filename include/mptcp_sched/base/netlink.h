// SPDX-License-Identifier: GPL-2.0
// A thin layer over libmnl shared by the generic-netlink MPTCP path manager, rtnetlink
// (links, addresses, rules, routes) and sock_diag: request/response exchanges with the
// kernel's extended-ack message kept for errors, multicast subscriptions, and C++ forms of
// libmnl's attribute loops. Sockets work in the network namespace they were opened in.
#pragma once

#include <libmnl/libmnl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

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

// Attributes after a fixed header of @hdr_len bytes.
template <typename F>
void for_each_attr(const struct nlmsghdr* nlh, size_t hdr_len, F&& f)
{
    for_each_attr_in(mnl_nlmsg_get_payload_offset(nlh, hdr_len), mnl_nlmsg_get_payload_tail(nlh),
                     f);
}

template <typename F>
void for_each_nested(const struct nlattr* nest, F&& f)
{
    const char* p = static_cast<const char*>(mnl_attr_get_payload(nest));
    for_each_attr_in(p, p + mnl_attr_get_payload_len(nest), f);
}

class NlSocket {
public:
    using Build = std::function<void(struct nlmsghdr*)>;
    using Callback = std::function<void(const struct nlmsghdr*)>;

    // bus: NETLINK_ROUTE, NETLINK_GENERIC or NETLINK_SOCK_DIAG.
    static Result<NlSocket> open(int bus);

    // Sends one request (type, flags | NLM_F_REQUEST | NLM_F_ACK) that @build fills after
    // the netlink header, and hands every reply message to @cb until the ack or the end of
    // the dump. A kernel error becomes Error{errno, "<what>: <extack message or strerror>"}.
    Result<void> request(const std::string& what, uint16_t type, uint16_t flags,
                         const Build& build, const Callback& cb = {});

    Result<void> join_group(unsigned group);
    // Blocks for one batch of multicast messages and passes each to @cb. When the kernel
    // dropped messages because the receive buffer was full, fails once with code ENOBUFS
    // (what was still queued can be read after that).
    Result<void> receive(const Callback& cb);
    // Asks for a receive buffer of @bytes (beyond net.core.rmem_max when privileged);
    // returns what the kernel granted.
    Result<int> set_receive_buffer(int bytes);
    // Reads and throws away what is queued (at most twice the buffer), without blocking;
    // returns the batches dropped.
    size_t discard_pending();
    int fd() const;

private:
    struct Closer {
        void operator()(struct mnl_socket* s) const { mnl_socket_close(s); }
    };
    explicit NlSocket(std::unique_ptr<struct mnl_socket, Closer> s) : nl_(std::move(s)) {}
    std::unique_ptr<struct mnl_socket, Closer> nl_;
    unsigned seq_ = 0;
};

// Generic netlink: a family's id and the id of one of its multicast groups.
Result<uint16_t> genl_family_id(NlSocket& nl, const std::string& family);
Result<uint32_t> genl_mcast_group(NlSocket& nl, const std::string& family,
                                  const std::string& group);
// Puts a genlmsghdr for @cmd after the netlink header.
void genl_put(struct nlmsghdr* nlh, uint8_t cmd, uint8_t version);

}  // namespace mptcp_sched

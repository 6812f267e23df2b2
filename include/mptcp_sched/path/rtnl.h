// SPDX-License-Identifier: GPL-2.0
// rtnetlink: the links, addresses, policy-routing rules and routes of the current network
// namespace, read and changed through libmnl, plus a link/address event stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mptcp_sched/base/netlink.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct Link {
    int ifindex = 0;
    std::string name;
    bool up = false;        // administratively up (IFF_UP)
    bool lower_up = false;  // carrier (IFF_LOWER_UP)
};

struct IfAddr {
    int ifindex = 0;
    int family = 0;
    std::string addr;
    int plen = 0;
};

// A policy-routing rule; only the fields mptcp-sched reads or writes.
struct RouteRule {
    int family = 0;
    std::string src;        // "" = any
    int src_len = 0;
    uint32_t table = 0;
    uint32_t priority = 0;
    uint8_t protocol = 0;   // who installed it (RTPROT_*, or ours)
};

struct Route {
    int family = 0;
    std::string dst;        // "" = default
    int dst_len = 0;
    std::string gateway;    // "" = directly connected
    int oif = 0;
    uint32_t table = 0;
    uint8_t protocol = 0;
    uint8_t scope = 0;
};

// Rules and routes mptcp-sched installs carry this protocol number, so it can find and
// remove exactly what it created without a state file (`ip rule` shows "proto 177").
constexpr uint8_t kRtProtoMptcpSched = 177;

Result<std::vector<Link>> rt_links();
Result<std::vector<IfAddr>> rt_addrs();
Result<std::vector<RouteRule>> rt_rules(int family);
Result<std::vector<Route>> rt_routes(int family);   // all tables

// `ip link set dev NAME up|down`: the kernel flushes the routes through a link set down
// and brings back only its connected ones when it comes up.
Result<void> rt_set_link_up(const std::string& name, bool up);

Result<void> rt_add_rule(const RouteRule& r);
Result<void> rt_del_rule(const RouteRule& r);
Result<void> rt_add_route(const Route& r);
Result<void> rt_del_route(const Route& r);

std::string if_name(int ifindex, const std::vector<Link>& links);
std::optional<Link> find_link(const std::string& name, const std::vector<Link>& links);

// Link and address changes in the current netns.
struct RtEvent {
    enum Kind { LinkChange, AddrAdded, AddrRemoved } kind = LinkChange;
    Link link;      // LinkChange
    IfAddr addr;    // AddrAdded / AddrRemoved
};

class RtEvents {
public:
    static Result<RtEvents> open();
    int fd() const { return nl_.fd(); }
    // Fails with code ENOBUFS once after the kernel dropped events (the buffer was full).
    Result<void> read(const std::function<void(const RtEvent&)>& cb);
    // See NlSocket::set_receive_buffer and NlSocket::discard_pending.
    Result<int> set_receive_buffer(int bytes) { return nl_.set_receive_buffer(bytes); }
    size_t discard_pending() { return nl_.discard_pending(); }

private:
    explicit RtEvents(NlSocket nl) : nl_(std::move(nl)) {}
    NlSocket nl_;
};

}  // namespace mptcp_sched

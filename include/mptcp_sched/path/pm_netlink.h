// SPDX-License-Identifier: GPL-2.0
// The MPTCP path-manager generic-netlink family ("mptcp_pm"): endpoints and limits of the
// in-kernel path manager, the userspace path manager's per-connection commands, and its
// event stream. Works in the caller's network namespace (see NetnsScope).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mptcp_sched/base/netlink.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct PmLimits {
    uint32_t subflows = 0;            // max additional subflows per connection
    uint32_t add_addr_accepted = 0;   // max ADD_ADDR accepted per connection
};

// The kernel's ceiling for both limits (MPTCP_PM_ADDR_MAX).
constexpr uint32_t kPmLimitMax = 8;

struct PmEndpoint {
    uint32_t id = 0;
    int family = 0;              // AF_INET / AF_INET6
    std::string addr;            // textual address
    uint16_t port = 0;           // 0 = none
    uint32_t flags = 0;          // MPTCP_PM_ADDR_FLAG_*
    int ifindex = 0;             // 0 = none
};

// "signal subflow backup fullmesh implicit" subset for FLAGS, in `ip mptcp` order.
std::vector<std::string> endpoint_flag_names(uint32_t flags);
// The reverse, for one word; nullopt when unknown.
std::optional<uint32_t> endpoint_flag(const std::string& name);

// In-kernel path manager.
Result<PmLimits> pm_get_limits();
Result<void> pm_set_limits(const PmLimits& l);
Result<std::vector<PmEndpoint>> pm_list_endpoints();
// ep.id 0 lets the kernel choose; returns the endpoint as the kernel stored it.
Result<PmEndpoint> pm_add_endpoint(const PmEndpoint& ep);
Result<void> pm_del_endpoint(uint32_t id);
Result<void> pm_flush_endpoints();
// Only backup and fullmesh can change on an existing endpoint.
Result<void> pm_set_endpoint_flags(uint32_t id, uint32_t flags);

// ---- userspace path manager (net.mptcp.path_manager = userspace) ----

struct PmSockAddr {
    int family = 0;
    std::string addr;
    uint16_t port = 0;
};

// Creates a subflow of connection @token from @local (with local address id @local_id,
// optionally bound to @ifindex) to @remote, asking the peer to treat it as backup if
// @backup.
Result<void> pm_subflow_create(uint32_t token, uint8_t local_id, const PmSockAddr& local,
                               int ifindex, const PmSockAddr& remote, bool backup);
Result<void> pm_subflow_destroy(uint32_t token, const PmSockAddr& local,
                                const PmSockAddr& remote);
// MP_PRIO: mark the subflow local -> remote of @token backup or not.
Result<void> pm_subflow_set_backup(uint32_t token, const PmSockAddr& local,
                                   const PmSockAddr& remote, bool backup);

// The same commands over one socket whose family id is resolved once, for a daemon that
// sends many (the functions above open a socket and look the family up on every call).
class PmClient {
public:
    static Result<PmClient> open();
    Result<PmLimits> get_limits();
    Result<void> subflow_create(uint32_t token, uint8_t local_id, const PmSockAddr& local,
                                int ifindex, const PmSockAddr& remote, bool backup);
    Result<void> subflow_destroy(uint32_t token, const PmSockAddr& local,
                                 const PmSockAddr& remote);
    Result<void> subflow_set_backup(uint32_t token, const PmSockAddr& local,
                                    const PmSockAddr& remote, bool backup);
    int fd() const { return nl_.fd(); }

private:
    PmClient(NlSocket nl, uint16_t family) : nl_(std::move(nl)), family_(family) {}
    Result<void> request(const std::string& what, uint8_t cmd, bool dump,
                         const std::function<void(struct nlmsghdr*)>& attrs,
                         const NlSocket::Callback& cb = {});
    NlSocket nl_;
    uint16_t family_;
};

// ---- events ----

struct PmEvent {
    int type = 0;                  // MPTCP_EVENT_*
    uint32_t token = 0;
    int family = 0;
    std::optional<uint8_t> loc_id, rem_id;
    std::string saddr, daddr;
    uint16_t sport = 0, dport = 0;
    bool backup = false;
    int ifindex = 0;
    int error = 0;
    bool server_side = false;
};
const char* pm_event_name(int type);

// A socket subscribed to the mptcp_pm_events group of the current netns.
class PmEvents {
public:
    static Result<PmEvents> open();
    int fd() const { return nl_.fd(); }
    // Reads what is pending (blocks if nothing is) and passes each event to @cb. Fails
    // with code ENOBUFS once after the kernel dropped events (the buffer was full).
    Result<void> read(const std::function<void(const PmEvent&)>& cb);
    // See NlSocket::set_receive_buffer and NlSocket::discard_pending.
    Result<int> set_receive_buffer(int bytes) { return nl_.set_receive_buffer(bytes); }
    size_t discard_pending() { return nl_.discard_pending(); }

private:
    PmEvents(NlSocket nl, uint16_t family) : nl_(std::move(nl)), family_(family) {}
    NlSocket nl_;
    uint16_t family_;
};

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// MPTCP connections of the current network namespace with their subflows, read from the
// kernel over sock_diag (what `ss -tiM` shows spread over many lines), and the per-socket
// view an application has of its own connection (MPTCP_INFO / MPTCP_FULL_INFO).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct SubflowInfo {
    std::string local, remote;     // "addr:port", IPv6 in brackets
    std::string dev;               // bound interface, if any
    uint8_t local_id = 0, remote_id = 0;
    bool backup_local = false;     // we asked for backup (MP_JOIN B bit / MP_PRIO)
    bool backup_remote = false;    // the peer did
    bool fully_established = false;
    uint64_t bytes_sent = 0, bytes_acked = 0, bytes_received = 0;
    uint32_t srtt_us = 0;
    std::string state;
    // Congestion state (tcp_info), for timelines.
    uint64_t bytes_retrans = 0;
    uint32_t rttvar_us = 0;
    uint32_t cwnd = 0, mss = 0;           // segments; bytes per segment
    uint64_t in_flight_bytes = 0;         // (unacked - sacked - lost + retrans) x mss
    uint64_t queued_bytes = 0;            // written to the subflow, not yet sent (notsent)
    uint64_t delivery_rate = 0, pacing_rate = 0;   // bytes/s
};

struct ConnInfo {
    uint32_t token = 0;
    std::string local, remote;
    std::string state;
    bool fallback = false;          // fell back to plain TCP
    uint64_t bytes_sent = 0, bytes_received = 0, bytes_acked = 0;
    uint64_t unacked_bytes = 0;     // written by the application, not yet data-acked
    uint32_t subflows_reported = 0; // mptcpi_subflows (additional subflows)
    bool server_side = false;       // accepted from an MPTCP listener of this netns
    // The MPTCP socket's option memory (sk_omem_alloc): where the kernel charges BPF
    // socket storage, so a scheduler's per-connection state shows here.
    uint64_t optmem_bytes = 0;
    std::vector<SubflowInfo> subflows;
};

// Established-ish MPTCP connections (not listeners) of the current netns. Needs
// CAP_NET_ADMIN for the subflow details (the kernel hides MPTCP ULP info otherwise).
Result<std::vector<ConnInfo>> list_connections();

nlohmann::json conns_to_json(const std::vector<ConnInfo>& conns);
std::string render_conns(const std::vector<ConnInfo>& conns);

// What one socket knows about itself.
struct SocketMptcp {
    bool mptcp = false;             // the connection uses MPTCP (no fallback)
    std::string why;                // when not: plain TCP socket, or fallback
    std::vector<SubflowInfo> subflows;   // from MPTCP_FULL_INFO
};
SocketMptcp socket_mptcp_state(int fd);
// The connection on @fd uses MPTCP (an MPTCP socket that did not fall back).
bool uses_mptcp(int fd);
// TCP_INFO of a plain TCP socket (or an MPTCP one that fell back: the kernel answers for its
// one subflow) in SubflowInfo's congestion fields; fails for a connection using MPTCP.
Result<SubflowInfo> socket_tcp_info(int fd);

std::string sockaddr_text(const void* sa);

// The MPTcpExt counters of the calling thread's network namespace (/proc/net/netstat as
// this thread sees it: a NetnsScope applies); empty when unreadable.
std::map<std::string, uint64_t> mptcp_mibs();
// Those of @mibs, non-zero, that count connections which fell back to plain TCP or were
// sent without MPTCP (SYN retransmissions, blackhole detection).
std::map<std::string, uint64_t> fallback_mibs(const std::map<std::string, uint64_t>& mibs);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/diag/conns.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/mptcp_pm.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <nlohmann/json.hpp>

#include "mptcp_sched/base/netlink.h"
#include "mptcp_sched/path/rtnl.h"

#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

namespace mptcp_sched {

namespace {

const char* tcp_state_name(int s)
{
    static const char* const names[] = {"?",         "ESTAB",    "SYN-SENT", "SYN-RECV",
                                        "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN",
                                        "CLOSE-WAIT", "LAST-ACK", "LISTEN",   "CLOSING"};
    return s >= 0 && s < 12 ? names[s] : "?";
}

std::string endpoint_text(int family, const void* addr, uint16_t port_be)
{
    char t[INET6_ADDRSTRLEN] = "";
    inet_ntop(family, addr, t, sizeof(t));
    std::string a = family == AF_INET6 ? "[" + std::string(t) + "]" : t;
    return a + ":" + std::to_string(ntohs(port_be));
}

// Fields a shorter tcp_info (older kernel) lacks stay 0: callers copy into a zeroed struct.
void fill_from_tcp_info(SubflowInfo& s, const struct tcp_info& ti)
{
    s.bytes_sent = ti.tcpi_bytes_sent;
    s.bytes_acked = ti.tcpi_bytes_acked;
    s.bytes_received = ti.tcpi_bytes_received;
    s.bytes_retrans = ti.tcpi_bytes_retrans;
    s.srtt_us = ti.tcpi_rtt;
    s.rttvar_us = ti.tcpi_rttvar;
    s.cwnd = ti.tcpi_snd_cwnd;
    s.mss = ti.tcpi_snd_mss;
    // tcp_packets_in_flight(): what the congestion window is compared against.
    const int64_t pkts = int64_t{ti.tcpi_unacked} - ti.tcpi_sacked - ti.tcpi_lost + ti.tcpi_retrans;
    s.in_flight_bytes = pkts > 0 ? static_cast<uint64_t>(pkts) * ti.tcpi_snd_mss : 0;
    s.queued_bytes = ti.tcpi_notsent_bytes;
    s.delivery_rate = ti.tcpi_delivery_rate;
    s.pacing_rate = ti.tcpi_pacing_rate == ~uint64_t{0} ? 0 : ti.tcpi_pacing_rate;
}

struct DiagRow {
    const struct inet_diag_msg* msg;
    const struct nlmsghdr* nlh;
};

// The states `ss` lists by default: not LISTEN, SYN-RECV, TIME-WAIT or CLOSE (closed
// connections linger in those).
constexpr uint32_t kConnStates = 0xfff & ~((1u << 10) | (1u << 3) | (1u << 6) | (1u << 7));
constexpr uint32_t kListenStates = 1u << 10;

// One sock_diag dump of @protocol sockets of @family in @states (a bit per TCP state).
template <typename F>
Result<void> diag_dump(NlSocket& nl, int family, int protocol, F&& each,
                       uint32_t states = kConnStates)
{
    return nl.request("failed to list sockets (sock_diag)", SOCK_DIAG_BY_FAMILY, NLM_F_DUMP,
        [&](struct nlmsghdr* nlh) {
            auto* req = static_cast<struct inet_diag_req_v2*>(
                mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_req_v2)));
            req->sdiag_family = static_cast<uint8_t>(family);
            // sdiag_protocol is 8 bits: MPTCP (262) is asked for with an attribute.
            req->sdiag_protocol = protocol > 255 ? 0 : static_cast<uint8_t>(protocol);
            req->idiag_ext = (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_SKMEMINFO - 1));
            req->idiag_states = states;
            if (protocol > 255)
                mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, static_cast<uint32_t>(protocol));
        },
        [&](const struct nlmsghdr* nlh) {
            if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                return;
            each(static_cast<const struct inet_diag_msg*>(mnl_nlmsg_get_payload(nlh)), nlh);
        });
}

}  // namespace

std::string sockaddr_text(const void* sa)
{
    const auto* s = static_cast<const struct sockaddr*>(sa);
    if (s->sa_family == AF_INET) {
        const auto* in = static_cast<const struct sockaddr_in*>(sa);
        return endpoint_text(AF_INET, &in->sin_addr, in->sin_port);
    }
    if (s->sa_family == AF_INET6) {
        const auto* in6 = static_cast<const struct sockaddr_in6*>(sa);
        return endpoint_text(AF_INET6, &in6->sin6_addr, in6->sin6_port);
    }
    return "?";
}

Result<std::vector<ConnInfo>> list_connections()
{
    auto nl = NlSocket::open(NETLINK_SOCK_DIAG);
    if (!nl)
        return std::unexpected(nl.error());
    auto links = rt_links();
    std::map<uint32_t, ConnInfo> by_token;
    std::vector<std::pair<uint32_t, SubflowInfo>> subflows;
    // MPTCP listeners as (family, address bytes, port): a connection on a listener's port
    // and address (or wildcard) was accepted, not opened, here.
    std::vector<std::tuple<int, std::string, uint16_t>> listeners;
    auto addr_bytes = [](const struct inet_diag_msg* m, const uint32_t* a) {
        return std::string(reinterpret_cast<const char*>(a), m->idiag_family == AF_INET ? 4 : 16);
    };

    for (int family : {AF_INET, AF_INET6}) {
        auto r = diag_dump(*nl, family, IPPROTO_MPTCP,
            [&](const struct inet_diag_msg* m, const struct nlmsghdr*) {
                listeners.emplace_back(m->idiag_family, addr_bytes(m, m->id.idiag_src),
                                       m->id.idiag_sport);
            }, kListenStates);
        if (!r)
            return std::unexpected(r.error());
    }
    for (int family : {AF_INET, AF_INET6}) {
        auto r = diag_dump(*nl, family, IPPROTO_MPTCP,
            [&](const struct inet_diag_msg* m, const struct nlmsghdr* nlh) {
                ConnInfo c;
                c.local = endpoint_text(m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
                c.remote = endpoint_text(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
                c.state = tcp_state_name(m->idiag_state);
                const std::string src = addr_bytes(m, m->id.idiag_src);
                c.server_side = std::any_of(listeners.begin(), listeners.end(), [&](const auto& l) {
                    const auto& [fam, addr, port] = l;
                    return fam == m->idiag_family && port == m->id.idiag_sport &&
                           (addr == src || addr == std::string(addr.size(), '\0'));
                });
                for_each_attr(nlh, sizeof(*m), [&](const struct nlattr* a) {
                    if (mnl_attr_get_type(a) == INET_DIAG_SKMEMINFO &&
                        mnl_attr_get_payload_len(a) > SK_MEMINFO_OPTMEM * sizeof(uint32_t)) {
                        c.optmem_bytes = static_cast<const uint32_t*>(
                            mnl_attr_get_payload(a))[SK_MEMINFO_OPTMEM];
                        return;
                    }
                    if (mnl_attr_get_type(a) != INET_DIAG_INFO)
                        return;
                    struct mptcp_info info {};
                    std::memcpy(&info, mnl_attr_get_payload(a),
                                std::min<size_t>(sizeof(info), mnl_attr_get_payload_len(a)));
                    c.token = info.mptcpi_token;
                    c.fallback = info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK;
                    c.bytes_sent = info.mptcpi_bytes_sent;
                    c.bytes_received = info.mptcpi_bytes_received;
                    c.bytes_acked = info.mptcpi_bytes_acked;
                    c.unacked_bytes = info.mptcpi_write_seq > info.mptcpi_snd_una
                                          ? info.mptcpi_write_seq - info.mptcpi_snd_una : 0;
                    c.subflows_reported = info.mptcpi_subflows;
                });
                by_token[c.token] = c;
            });
        if (!r)
            return std::unexpected(r.error());
        r = diag_dump(*nl, family, IPPROTO_TCP,
            [&](const struct inet_diag_msg* m, const struct nlmsghdr* nlh) {
                SubflowInfo s;
                uint32_t token = 0;
                bool is_mptcp = false;
                s.local = endpoint_text(m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
                s.remote = endpoint_text(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
                s.state = tcp_state_name(m->idiag_state);
                if (m->id.idiag_if && links)
                    s.dev = if_name(static_cast<int>(m->id.idiag_if), *links);
                for_each_attr(nlh, sizeof(*m), [&](const struct nlattr* a) {
                    if (mnl_attr_get_type(a) == INET_DIAG_INFO) {
                        struct tcp_info ti {};
                        std::memcpy(&ti, mnl_attr_get_payload(a),
                                    std::min<size_t>(sizeof(ti), mnl_attr_get_payload_len(a)));
                        fill_from_tcp_info(s, ti);
                        return;
                    }
                    if (mnl_attr_get_type(a) != INET_DIAG_ULP_INFO)
                        return;
                    for_each_nested(a, [&](const struct nlattr* u) {
                        if (mnl_attr_get_type(u) == INET_ULP_INFO_NAME)
                            is_mptcp = std::strcmp(mnl_attr_get_str(u), "mptcp") == 0;
                        if (mnl_attr_get_type(u) != INET_ULP_INFO_MPTCP)
                            return;
                        for_each_nested(u, [&](const struct nlattr* f) {
                            switch (mnl_attr_get_type(f)) {
                            case MPTCP_SUBFLOW_ATTR_TOKEN_LOC: token = mnl_attr_get_u32(f); break;
                            case MPTCP_SUBFLOW_ATTR_ID_LOC: s.local_id = mnl_attr_get_u8(f); break;
                            case MPTCP_SUBFLOW_ATTR_ID_REM: s.remote_id = mnl_attr_get_u8(f); break;
                            case MPTCP_SUBFLOW_ATTR_FLAGS: {
                                uint32_t fl = mnl_attr_get_u32(f);
                                s.backup_local = fl & MPTCP_SUBFLOW_FLAG_BKUP_LOC;
                                s.backup_remote = fl & MPTCP_SUBFLOW_FLAG_BKUP_REM;
                                s.fully_established = fl & MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED;
                                break;
                            }
                            }
                        });
                    });
                });
                if (is_mptcp)
                    subflows.emplace_back(token, s);
            });
        if (!r)
            return std::unexpected(r.error());
    }
    for (auto& [token, s] : subflows) {
        auto it = by_token.find(token);
        if (it != by_token.end())
            it->second.subflows.push_back(std::move(s));
    }
    std::vector<ConnInfo> out;
    for (auto& [t, c] : by_token) {
        std::sort(c.subflows.begin(), c.subflows.end(), [](const auto& a, const auto& b) {
            return std::tie(a.local_id, a.remote_id, a.local) < std::tie(b.local_id, b.remote_id, b.local);
        });
        out.push_back(std::move(c));
    }
    return out;
}

nlohmann::json conns_to_json(const std::vector<ConnInfo>& conns)
{
    using nlohmann::json;
    json arr = json::array();
    for (const auto& c : conns) {
        json subs = json::array();
        for (const auto& s : c.subflows)
            subs.push_back({{"local", s.local}, {"remote", s.remote},
                            {"dev", s.dev.empty() ? json() : json(s.dev)},
                            {"local_id", s.local_id}, {"remote_id", s.remote_id},
                            {"backup", s.backup_local || s.backup_remote},
                            {"backup_local", s.backup_local}, {"backup_remote", s.backup_remote},
                            {"fully_established", s.fully_established}, {"state", s.state},
                            {"bytes_sent", s.bytes_sent}, {"bytes_acked", s.bytes_acked},
                            {"bytes_received", s.bytes_received}, {"srtt_us", s.srtt_us},
                            {"rttvar_us", s.rttvar_us}, {"cwnd", s.cwnd}, {"mss", s.mss},
                            {"in_flight_bytes", s.in_flight_bytes}, {"queued_bytes", s.queued_bytes},
                            {"bytes_retrans", s.bytes_retrans}});
        char token[16];
        std::snprintf(token, sizeof(token), "%08x", c.token);
        arr.push_back({{"token", token}, {"local", c.local}, {"remote", c.remote},
                       {"state", c.state}, {"fallback", c.fallback},
                       {"bytes_sent", c.bytes_sent}, {"bytes_received", c.bytes_received},
                       {"bytes_acked", c.bytes_acked}, {"optmem_bytes", c.optmem_bytes},
                       {"subflows", subs}});
    }
    return arr;
}

std::string render_conns(const std::vector<ConnInfo>& conns)
{
    if (conns.empty())
        return "no MPTCP connections\n";
    std::string out;
    char line[320];
    for (const auto& c : conns) {
        std::snprintf(line, sizeof(line), "%s %s -> %s  token %08x%s  sent %llu  received %llu\n",
                      c.state.c_str(), c.local.c_str(), c.remote.c_str(), c.token,
                      c.fallback ? "  FALLBACK to TCP" : "",
                      static_cast<unsigned long long>(c.bytes_sent),
                      static_cast<unsigned long long>(c.bytes_received));
        out += line;
        std::snprintf(line, sizeof(line), "  %-5s %-30s %-30s %-6s %-7s %12s %12s %9s\n", "ids",
                      "local", "remote", "dev", "backup", "bytes_sent", "bytes_recv", "srtt_us");
        out += line;
        for (const auto& s : c.subflows) {
            std::string ids = std::to_string(s.local_id) + "/" + std::to_string(s.remote_id);
            std::string bk = s.backup_local && s.backup_remote ? "both"
                             : s.backup_local                  ? "local"
                             : s.backup_remote                 ? "peer"
                                                               : "-";
            std::snprintf(line, sizeof(line), "  %-5s %-30s %-30s %-6s %-7s %12llu %12llu %9u\n",
                          ids.c_str(), s.local.c_str(), s.remote.c_str(),
                          s.dev.empty() ? "-" : s.dev.c_str(), bk.c_str(),
                          static_cast<unsigned long long>(s.bytes_sent),
                          static_cast<unsigned long long>(s.bytes_received), s.srtt_us);
            out += line;
        }
    }
    return out;
}

Result<SubflowInfo> socket_tcp_info(int fd)
{
    struct tcp_info ti {};
    socklen_t len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return fail_errno("failed to read the socket's TCP_INFO");
    SubflowInfo s;
    fill_from_tcp_info(s, ti);
    return s;
}

bool uses_mptcp(int fd)
{
    struct mptcp_info info {};
    socklen_t len = sizeof(info);
    return getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) == 0;
}

SocketMptcp socket_mptcp_state(int fd)
{
    SocketMptcp st;
    int proto = 0;
    socklen_t plen = sizeof(proto);
    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &plen);
    if (!uses_mptcp(fd)) {
        st.why = proto == IPPROTO_MPTCP ? "fell back to plain TCP (the peer, or a middlebox on "
                                          "the path, did not accept MPTCP)"
                                        : "plain TCP socket";
        return st;
    }
    st.mptcp = true;
    struct mptcp_subflow_info sfi[8] {};
    struct tcp_info tis[8] {};
    struct mptcp_full_info full {};
    full.size_tcpinfo_user = sizeof(struct tcp_info);
    full.size_sfinfo_user = sizeof(struct mptcp_subflow_info);
    full.size_arrays_user = 8;
    full.subflow_info = reinterpret_cast<uintptr_t>(sfi);
    full.tcp_info = reinterpret_cast<uintptr_t>(tis);
    socklen_t len = sizeof(full);
    if (getsockopt(fd, SOL_MPTCP, MPTCP_FULL_INFO, &full, &len) == 0) {
        for (uint32_t i = 0; i < std::min<uint32_t>(full.num_subflows, 8); i++) {
            SubflowInfo s;
            s.local = sockaddr_text(&sfi[i].addrs.ss_local);
            s.remote = sockaddr_text(&sfi[i].addrs.ss_remote);
            fill_from_tcp_info(s, tis[i]);
            st.subflows.push_back(s);
        }
    } else {
        // Linux < 6.10 has no MPTCP_FULL_INFO; MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO (5.16+)
        // list the same subflows in the same order (bookworm's 6.1 showed 0 subflows before).
        struct {
            struct mptcp_subflow_data d;
            struct mptcp_subflow_addrs a[8];
        } addrs{};
        struct {
            struct mptcp_subflow_data d;
            struct tcp_info t[8];
        } tcp{};
        addrs.d.size_subflow_data = sizeof(addrs.d);
        addrs.d.size_user = sizeof(addrs.a[0]);
        tcp.d.size_subflow_data = sizeof(tcp.d);
        tcp.d.size_user = sizeof(tcp.t[0]);
        socklen_t alen = sizeof(addrs), tlen = sizeof(tcp);
        if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &addrs, &alen) == 0) {
            const bool have_tcp = getsockopt(fd, SOL_MPTCP, MPTCP_TCPINFO, &tcp, &tlen) == 0;
            const uint32_t n = std::min<uint32_t>(addrs.d.num_subflows, 8);
            for (uint32_t i = 0; i < n; i++) {
                SubflowInfo s;
                s.local = sockaddr_text(&addrs.a[i].ss_local);
                s.remote = sockaddr_text(&addrs.a[i].ss_remote);
                if (have_tcp && i < tcp.d.num_subflows)
                    fill_from_tcp_info(s, tcp.t[i]);
                st.subflows.push_back(s);
            }
        }
    }
    return st;
}

std::map<std::string, uint64_t> mptcp_mibs()
{
    std::ifstream in("/proc/thread-self/net/netstat");
    std::string names, values;
    std::map<std::string, uint64_t> out;
    while (std::getline(in, names) && std::getline(in, values)) {
        if (names.rfind("MPTcpExt:", 0) != 0)
            continue;
        std::istringstream n(names), v(values);
        std::string key, val;
        n >> key;   // the "MPTcpExt:" prefix of both lines
        v >> val;
        while (n >> key && v >> val)
            out[key] = std::strtoull(val.c_str(), nullptr, 10);
    }
    return out;
}

std::map<std::string, uint64_t> fallback_mibs(const std::map<std::string, uint64_t>& mibs)
{
    std::map<std::string, uint64_t> out;
    for (const auto& [k, v] : mibs)
        // SchedFallback (vmtest kernel) is a scheduler's decision made by the default, not TCP
        if (v && ((k.find("Fallback") != std::string::npos && k != "SchedFallback") ||
                  k == "MPCapableSYNTXDrop" || k == "MPCapableSYNTXDisabled" || k == "Blackhole"))
            out[k] = v;
    return out;
}

}  // namespace mptcp_sched

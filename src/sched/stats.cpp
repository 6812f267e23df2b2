// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/stats.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/policy.h"

namespace mptcp_sched {

// The BPF side writes these structs; a layout change must fail here, not misread maps.
static_assert(sizeof(ms_endpoint) == 20);
static_assert(sizeof(ms_conn) == 32);
static_assert(sizeof(ms_subflow_key) == 16);
static_assert(sizeof(ms_subflow) == 96);
static_assert(offsetof(ms_subflow, chosen_send) == 48);
static_assert(MS_CNT_NR == 11);
static_assert(sizeof(ms_prefix) == 40);
static_assert(sizeof(ms_rule) == 120);
static_assert(offsetof(ms_rule, cgroup_id) == 32);
static_assert(sizeof(ms_rules_cfg) == 24);

const char* counter_name(ms_counter c)
{
    switch (c) {
    case MS_CNT_GET_SEND: return "get_send";
    case MS_CNT_GET_RETRANS: return "get_retrans";
    case MS_CNT_NO_SUBFLOW: return "no_subflow";
    case MS_CNT_BACKUP_USED: return "backup_used";
    case MS_CNT_CONN_NEW: return "conn_new";
    case MS_CNT_CONN_RELEASED: return "conn_released";
    case MS_CNT_STATS_FULL: return "stats_full";
    case MS_CNT_RULE_MATCHES: return "rule_matches";
    case MS_CNT_RULE_MATCH_NS: return "rule_match_ns";
    case MS_CNT_WAITED: return "waited";
    case MS_CNT_BLEST_WAITED: return "blest_waited";
    case MS_CNT_NR: break;
    }
    return "?";
}

std::string endpoint_str(const ms_endpoint& ep)
{
    char buf[INET6_ADDRSTRLEN] = "?";
    inet_ntop(ep.family == AF_INET6 ? AF_INET6 : AF_INET, ep.addr, buf, sizeof(buf));
    return ep.family == AF_INET6 ? "[" + std::string(buf) + "]:" + std::to_string(ep.port)
                                 : std::string(buf) + ":" + std::to_string(ep.port);
}

namespace {

Result<UniqueFd> open_pinned(const std::string& path)
{
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd)
        return fail_errno("failed to open pinned map " + path);
    return fd;
}

}  // namespace

Result<std::vector<SchedulerStats>> read_stats()
{
    auto loaded = list_loaded();
    if (!loaded)
        return std::unexpected(loaded.error());
    std::vector<SchedulerStats> out;
    const int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return fail_msg("failed to count possible CPUs", -ncpu);

    for (const auto& s : *loaded) {
        if (!s.connections)   // no ms_conns pin: a user scheduler without our stats maps
            continue;
        SchedulerStats st;
        st.name = s.name;

        auto counters = open_pinned(s.pin_dir + "/ms_counters");
        if (!counters)
            return std::unexpected(counters.error());
        std::vector<uint64_t> percpu(ncpu);
        for (uint32_t k = 0; k < MS_CNT_NR; k++) {
            if (bpf_map_lookup_elem(counters->get(), &k, percpu.data()) == 0)
                for (uint64_t v : percpu)
                    st.counters[k] += v;
        }

        auto conns = open_pinned(s.pin_dir + "/ms_conns");
        auto subs = open_pinned(s.pin_dir + "/ms_subflows");
        if (!conns)
            return std::unexpected(conns.error());
        if (!subs)
            return std::unexpected(subs.error());
        // Rows may appear or vanish while we walk (connections open and close); a key
        // whose lookup fails is simply skipped.
        std::map<uint64_t, ConnStats> by_id;
        uint64_t key = 0, next = 0;
        const uint64_t* prev = nullptr;
        while (bpf_map_get_next_key(conns->get(), prev, &next) == 0) {
            ConnStats c;
            c.conn_id = next;
            if (bpf_map_lookup_elem(conns->get(), &next, &c.conn) == 0)
                by_id[next] = c;
            key = next;
            prev = &key;
        }
        ms_subflow_key sk{}, snext{};
        const ms_subflow_key* sprev = nullptr;
        while (bpf_map_get_next_key(subs->get(), sprev, &snext) == 0) {
            SubflowStats row;
            row.subflow_id = snext.subflow_id;
            if (bpf_map_lookup_elem(subs->get(), &snext, &row.row) == 0) {
                auto it = by_id.find(snext.conn_id);
                if (it != by_id.end())
                    it->second.subflows.push_back(row);
            }
            sk = snext;
            sprev = &sk;
        }
        for (auto& [id, c] : by_id) {
            std::sort(c.subflows.begin(), c.subflows.end(),
                      [](const auto& a, const auto& b) { return a.subflow_id < b.subflow_id; });
            st.conns.push_back(std::move(c));
        }
        out.push_back(std::move(st));
    }
    return out;
}

nlohmann::json stats_to_json(const std::vector<SchedulerStats>& all)
{
    using nlohmann::json;
    json arr = json::array();
    for (const auto& s : all) {
        json counters = json::object();
        for (int k = 0; k < MS_CNT_NR; k++)
            counters[counter_name(static_cast<ms_counter>(k))] = s.counters[k];
        json conns = json::array();
        for (const auto& c : s.conns) {
            json subs = json::array();
            for (const auto& f : c.subflows)
                subs.push_back({{"subflow_id", f.subflow_id},
                                {"local", endpoint_str(f.row.local)},
                                {"remote", endpoint_str(f.row.remote)},
                                {"backup", f.row.backup != 0},
                                {"chosen_send", f.row.chosen_send},
                                {"chosen_retrans", f.row.chosen_retrans},
                                {"bytes_sent", f.row.bytes_sent},
                                {"unsent", f.row.unsent},
                                {"srtt_us", f.row.srtt_us},
                                {"cwnd", f.row.cwnd}});
            char token[16];
            std::snprintf(token, sizeof(token), "%08x", c.conn.token);
            conns.push_back({{"conn_id", c.conn_id},
                             {"token", token},
                             {"scheduler", s.name},
                             {"policy", policy_name(c.conn.policy)},
                             {"rule_id", c.conn.rule_id},
                             {"subflows", subs}});
        }
        arr.push_back({{"scheduler", s.name}, {"counters", counters}, {"connections", conns}});
    }
    return arr;
}

std::string render_stats(const std::vector<SchedulerStats>& all)
{
    std::ostringstream o;
    if (all.empty())
        return "no scheduler with statistics is loaded (mptcp-sched load NAME)\n";
    for (const auto& s : all) {
        o << s.name << ": " << s.conns.size() << " connection(s); get_send "
          << s.counters[MS_CNT_GET_SEND] << ", get_retrans " << s.counters[MS_CNT_GET_RETRANS]
          << ", nothing to send on " << s.counters[MS_CNT_NO_SUBFLOW] << ", backup used "
          << s.counters[MS_CNT_BACKUP_USED];
        if (uint64_t n = s.counters[MS_CNT_RULE_MATCHES])
            o << ", rules matched for " << n << " connection(s) in "
              << s.counters[MS_CNT_RULE_MATCH_NS] / n << " ns each";
        o << "\n";
        for (const auto& c : s.conns) {
            char token[16];
            std::snprintf(token, sizeof(token), "%08x", c.conn.token);
            o << "  conn " << c.conn_id << " token " << token << " policy "
              << policy_name(c.conn.policy)
              << (c.conn.rule_id ? " (rule " + std::to_string(c.conn.rule_id) + ")"
                                 : std::string(s.name == "ms_rules" ? " (default)" : ""))
              << "\n";
            char line[256];
            std::snprintf(line, sizeof(line),
                          "    %-4s %-24s %-24s %-3s %10s %8s %12s %10s %8s %5s\n", "id",
                          "local", "remote", "bk", "chosen", "retrans", "bytes_sent", "unsent",
                          "srtt_us", "cwnd");
            o << line;
            for (const auto& f : c.subflows) {
                std::snprintf(line, sizeof(line),
                              "    %-4u %-24s %-24s %-3s %10llu %8llu %12llu %10u %8u %5u\n",
                              f.subflow_id, endpoint_str(f.row.local).c_str(),
                              endpoint_str(f.row.remote).c_str(), f.row.backup ? "B" : "",
                              (unsigned long long)f.row.chosen_send,
                              (unsigned long long)f.row.chosen_retrans,
                              (unsigned long long)f.row.bytes_sent, f.row.unsent, f.row.srtt_us,
                              f.row.cwnd);
                o << line;
            }
        }
    }
    return o.str();
}

}  // namespace mptcp_sched

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

#include "mptcp_sched/base/bpffs.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/sched/conn_state.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/policy.h"

namespace mptcp_sched {

// The BPF side writes these structs; a layout change must fail here, not misread maps.
static_assert(sizeof(ms_endpoint) == 20);
static_assert(sizeof(ms_subflow) == 96);
static_assert(offsetof(ms_subflow, chosen_send) == 48);
static_assert(MS_CNT_NR == 19);
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
    case MS_CNT_STALLED: return "stalled";
    case MS_CNT_REINJECTED: return "reinjected";
    case MS_CNT_RED_BEHIND: return "red_behind";
    case MS_CNT_TAIL_COPIED: return "tail_copied";
    case MS_CNT_REPAIR_ASKED: return "repair_asked";
    case MS_CNT_STALE_SET: return "stale_set";
    case MS_CNT_LAG_STALE: return "lag_stale";
    case MS_CNT_PROBED: return "probed";
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

}  // namespace

uint64_t ConnStats::bytes_sent() const
{
    uint64_t n = 0;
    for (const auto& f : subflows)
        n += f.row.bytes_sent;
    return n;
}

void apply_filter(std::vector<ConnStats>& conns, const StatsFilter& f)
{
    std::erase_if(conns, [&](const ConnStats& c) {
        if (f.token && c.state.token != *f.token)
            return true;
        auto any = [&](auto pred) {
            return std::any_of(c.subflows.begin(), c.subflows.end(), pred);
        };
        if (f.dport && !any([&](const SubflowStats& s) { return s.row.remote.port == *f.dport; }))
            return true;
        if (f.sport && !any([&](const SubflowStats& s) { return s.row.local.port == *f.sport; }))
            return true;
        return false;
    });
    if (f.top && conns.size() > f.top) {
        std::stable_sort(conns.begin(), conns.end(), [](const ConnStats& a, const ConnStats& b) {
            return a.bytes_sent() > b.bytes_sent();
        });
        conns.resize(f.top);
    }
}

// The per-CPU counters pinned in @pin_dir, summed over CPUs.
static Result<std::array<uint64_t, MS_CNT_NR>> sum_counters(const std::string& pin_dir)
{
    const int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0)
        return fail_msg("failed to count possible CPUs", -ncpu);
    auto counters = open_pinned_map(pin_dir + "/" MS_PIN_COUNTERS);
    if (!counters)
        return std::unexpected(counters.error());
    std::array<uint64_t, MS_CNT_NR> sum{};
    std::vector<uint64_t> percpu(ncpu);
    for (uint32_t k = 0; k < MS_CNT_NR; k++) {
        if (bpf_map_lookup_elem(counters->fd.get(), &k, percpu.data()) == 0)
            for (uint64_t v : percpu)
                sum[k] += v;
    }
    return sum;
}

Result<std::array<uint64_t, MS_CNT_NR>> read_counters(const Paths& paths, const std::string& name)
{
    auto loaded = list_loaded(paths);
    if (!loaded)
        return std::unexpected(loaded.error());
    for (const auto& s : *loaded)
        if (s.name == name) {
            if (!s.has_stats)
                return fail_msg(name + " keeps no statistics", ENOENT);
            return sum_counters(s.pin_dir);
        }
    return fail_msg(name + " is not loaded by mptcp-sched", ENOENT);
}

Result<std::vector<SchedulerStats>> read_stats(const Paths& paths, const StatsFilter& filter)
{
    auto loaded = list_loaded(paths);
    if (!loaded)
        return std::unexpected(loaded.error());
    std::vector<SchedulerStats> out;
    for (const auto& s : *loaded) {
        if (!s.has_stats)   // no ms_conn_state pin: a user scheduler without our statistics
            continue;
        SchedulerStats st;
        st.name = s.name;
        auto counters = sum_counters(s.pin_dir);
        if (!counters)
            return std::unexpected(counters.error());
        st.counters = *counters;

        auto states = read_conn_states(s.pin_dir + "/" MS_PIN_CONN_STATE);
        if (!states)
            return std::unexpected(states.error());
        for (const auto& cs : *states) {
            ConnStats c;
            c.conn_id = cs.conn_id;
            c.state = cs;
            for (const auto& row : cs.sf)
                if (row.subflow_id)
                    c.subflows.push_back({row.subflow_id, row});
            std::sort(c.subflows.begin(), c.subflows.end(),
                      [](const auto& a, const auto& b) { return a.subflow_id < b.subflow_id; });
            st.conns.push_back(std::move(c));
        }
        std::sort(st.conns.begin(), st.conns.end(),
                  [](const auto& a, const auto& b) { return a.conn_id < b.conn_id; });
        apply_filter(st.conns, filter);
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
            std::snprintf(token, sizeof(token), "%08x", c.state.token);
            conns.push_back({{"conn_id", c.conn_id},
                             {"token", token},
                             {"scheduler", s.name},
                             {"policy", policy_name(c.state.policy)},
                             {"rule_id", c.state.rule_id},
                             {"rows_reused", c.state.rows_reused},
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
            std::snprintf(token, sizeof(token), "%08x", c.state.token);
            o << "  conn " << c.conn_id << " token " << token << " policy "
              << policy_name(c.state.policy)
              << (c.state.rule_id ? " (rule " + std::to_string(c.state.rule_id) + ")"
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

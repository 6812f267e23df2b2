// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched bench` scenarios: the JSON format, the built-ins, and the statistics over
// repeats.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/base/text.h"

namespace mptcp_sched {

using nlohmann::json;

namespace {

template <typename T>
Result<void> get_num(const json& j, const char* key, T& out, double lo, double hi,
                     const std::string& where)
{
    if (!j.contains(key))
        return {};
    if (!j[key].is_number())
        return fail_msg(where + ": '" + key + "' must be a number", EINVAL);
    double v = j[key].get<double>();
    if constexpr (std::is_integral_v<T>) {
        if (v != std::floor(v))
            return fail_msg(where + ": '" + key + "' must be a whole number", EINVAL);
    }
    if (!(v >= lo && v <= hi)) {
        std::ostringstream m;
        m << where << ": '" << key << "' = " << v << " is out of range (" << lo << "-" << hi << ")";
        return fail_msg(m.str(), EINVAL);
    }
    out = static_cast<T>(v);
    return {};
}

std::string num_text(double v)
{
    std::ostringstream m;
    m << v;
    return m.str();
}

BenchScenario make(std::string name, std::string desc, std::vector<BenchPath> paths,
                   BenchWorkload w = {}, std::vector<BenchEvent> ev = {})
{
    return BenchScenario{std::move(name), std::move(desc), std::move(paths), w, std::move(ev)};
}

}  // namespace

Result<BenchScenario> parse_scenario(const json& j)
{
    if (!j.is_object())
        return fail_msg("a scenario must be a JSON object", EINVAL);
    static const std::vector<std::string> known = {"name", "description", "paths", "workload",
                                                   "events", "rcvbuf_bytes"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end())
            return fail_msg("scenario: unknown field '" + printable(it.key()) + "' (fields: name, "
                            "description, paths, workload, events, rcvbuf_bytes)", EINVAL);
    BenchScenario s;
    if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty())
        return fail_msg("scenario: 'name' (a non-empty string) is required", EINVAL);
    s.name = j["name"];
    for (char c : s.name)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            return fail_msg("scenario '" + printable(s.name) + "': names use letters, digits, "
                            "- and _", EINVAL);
    if (s.name.size() > 64)
        return fail_msg("scenario '" + s.name.substr(0, 64) + "...': names are at most 64 "
                        "characters", EINVAL);
    const std::string where = "scenario '" + s.name + "'";
    if (j.contains("description")) {
        if (!j["description"].is_string())
            return fail_msg(where + ": 'description' must be a string", EINVAL);
        s.description = j["description"].get<std::string>();
    }
    if (!j.contains("paths") || !j["paths"].is_array() || j["paths"].size() < 1 ||
        j["paths"].size() > 4)
        return fail_msg(where + ": 'paths' must be an array of 1 to 4 paths", EINVAL);
    for (size_t i = 0; i < j["paths"].size(); i++) {
        const json& p = j["paths"][i];
        const std::string pw = where + " path " + std::to_string(i);
        if (!p.is_object())
            return fail_msg(pw + ": must be an object", EINVAL);
        for (auto it = p.begin(); it != p.end(); ++it)
            if (it.key() != "rate_mbit" && it.key() != "rtt_ms" && it.key() != "jitter_ms" &&
                it.key() != "loss_pct" && it.key() != "backup")
                return fail_msg(pw + ": unknown field '" + printable(it.key()) + "' (rate_mbit, rtt_ms, "
                                "jitter_ms, loss_pct, backup)", EINVAL);
        BenchPath bp;
        for (auto r : {get_num(p, "rate_mbit", bp.rate_mbit, 0, 10000, pw),
                       get_num(p, "rtt_ms", bp.rtt_ms, 0, 2000, pw),
                       get_num(p, "jitter_ms", bp.jitter_ms, 0, 1000, pw),
                       get_num(p, "loss_pct", bp.loss_pct, 0, 100, pw)})
            if (!r)
                return std::unexpected(r.error());
        if (p.contains("backup")) {
            if (!p["backup"].is_boolean())
                return fail_msg(pw + ": 'backup' must be true or false", EINVAL);
            bp.backup = p["backup"];
        }
        s.paths.push_back(bp);
    }
    if (auto r = get_num(j, "rcvbuf_bytes", s.rcvbuf_bytes, 0, 1 << 30, where); !r)
        return std::unexpected(r.error());
    if (s.rcvbuf_bytes && s.rcvbuf_bytes < 4096)
        return fail_msg(where + ": 'rcvbuf_bytes' must be 0 (the kernel's) or at least 4096",
                        EINVAL);
    if (s.paths[0].backup)
        return fail_msg(where + ": path 0 carries the initial subflow and cannot be backup",
                        EINVAL);
    if (j.contains("workload")) {
        const json& w = j["workload"];
        const std::string ww = where + " workload";
        if (!w.is_object())
            return fail_msg(ww + ": must be an object", EINVAL);
        for (auto it = w.begin(); it != w.end(); ++it)
            if (it.key() != "type" && it.key() != "seconds" && it.key() != "rate_mbit" &&
                it.key() != "requests" && it.key() != "request_bytes" &&
                it.key() != "response_bytes" && it.key() != "connections" &&
                it.key() != "concurrency")
                return fail_msg(ww + ": unknown field '" + printable(it.key()) + "' (type, "
                                "seconds, rate_mbit, requests, request_bytes, response_bytes, "
                                "connections, concurrency)", EINVAL);
        if (w.contains("type") && !w["type"].is_string())
            return fail_msg(ww + ": 'type' must be a string (bulk, rate, rr, churn, many)", EINVAL);
        std::string type = w.contains("type") ? w["type"].get<std::string>() : "bulk";
        if (type == "bulk")
            s.workload.kind = BenchWorkload::Bulk;
        else if (type == "rate")
            s.workload.kind = BenchWorkload::Rate;
        else if (type == "rr")
            s.workload.kind = BenchWorkload::RequestResponse;
        else if (type == "churn") {
            s.workload.kind = BenchWorkload::Churn;
            s.workload.request_bytes = s.workload.response_bytes = 1000;   // a 1 kB echo
        } else if (type == "many") {
            s.workload.kind = BenchWorkload::Many;
            s.workload.connections = 10000;
        } else
            return fail_msg(ww + ": unknown type '" + printable(type) + "' (bulk, rate, rr, churn, many)",
                            EINVAL);
        for (auto r : {get_num(w, "seconds", s.workload.seconds, 0.5, 600, ww),
                       get_num(w, "rate_mbit", s.workload.rate_mbit, 0.1, 10000, ww),
                       get_num(w, "requests", s.workload.requests, 1, 1000000, ww),
                       get_num(w, "request_bytes", s.workload.request_bytes, 1, 1 << 20, ww),
                       get_num(w, "response_bytes", s.workload.response_bytes, 1, 64 << 20, ww),
                       get_num(w, "connections", s.workload.connections, 1, 1000000, ww),
                       get_num(w, "concurrency", s.workload.concurrency, 1, 256, ww)})
            if (!r)
                return std::unexpected(r.error());
        if (s.workload.kind == BenchWorkload::Rate && s.workload.rate_mbit <= 0)
            return fail_msg(ww + ": type 'rate' needs 'rate_mbit'", EINVAL);
    }
    if (j.contains("events")) {
        if (!j["events"].is_array())
            return fail_msg(where + ": 'events' must be an array", EINVAL);
        for (const json& e : j["events"]) {
            BenchEvent ev;
            const std::string ew = where + " event " + std::to_string(s.events.size());
            if (!e.is_object())
                return fail_msg(ew + ": must be an object", EINVAL);
            for (auto it = e.begin(); it != e.end(); ++it)
                if (it.key() != "at_s" && it.key() != "path" && it.key() != "action")
                    return fail_msg(ew + ": unknown field '" + printable(it.key()) +
                                    "' (at_s, path, action)", EINVAL);
            if (auto r = get_num(e, "at_s", ev.at_s, 0, 600, ew); !r)
                return std::unexpected(r.error());
            if (auto r = get_num(e, "path", ev.path, 0, 3, ew); !r)
                return std::unexpected(r.error());
            if (ev.path >= s.paths.size())
                return fail_msg(ew + ": path " + std::to_string(ev.path) + " does not exist",
                                EINVAL);
            const bool str = e.contains("action") && e["action"].is_string();
            const std::string a = str ? e["action"].get<std::string>() : "";
            if (a != "down" && a != "up")
                return fail_msg(ew + ": 'action' must be \"down\" or \"up\"", EINVAL);
            ev.down = a == "down";
            if (!s.events.empty() && ev.at_s < s.events.back().at_s)
                return fail_msg(ew + ": at_s " + num_text(ev.at_s) + " is before the previous "
                                "event's " + num_text(s.events.back().at_s) +
                                " (events must be in time order)", EINVAL);
            s.events.push_back(ev);
        }
    }
    return s;
}

json scenario_to_json(const BenchScenario& s)
{
    json paths = json::array();
    for (const auto& p : s.paths)
        paths.push_back({{"rate_mbit", p.rate_mbit}, {"rtt_ms", p.rtt_ms},
                         {"jitter_ms", p.jitter_ms}, {"loss_pct", p.loss_pct},
                         {"backup", p.backup}});
    static const char* kinds[] = {"bulk", "rate", "rr", "churn", "many"};
    json w = {{"type", kinds[s.workload.kind]}};
    if (s.workload.kind == BenchWorkload::Churn) {
        w["connections"] = s.workload.connections;
        w["concurrency"] = s.workload.concurrency;
        w["request_bytes"] = s.workload.request_bytes;
        w["response_bytes"] = s.workload.response_bytes;
    } else if (s.workload.kind == BenchWorkload::RequestResponse) {
        w["requests"] = s.workload.requests;
        w["request_bytes"] = s.workload.request_bytes;
        w["response_bytes"] = s.workload.response_bytes;
    } else {
        w["seconds"] = s.workload.seconds;
        if (s.workload.kind == BenchWorkload::Many)
            w["connections"] = s.workload.connections;
        if (s.workload.kind == BenchWorkload::Rate)
            w["rate_mbit"] = s.workload.rate_mbit;
    }
    json ev = json::array();
    for (const auto& e : s.events)
        ev.push_back({{"at_s", e.at_s}, {"path", e.path}, {"action", e.down ? "down" : "up"}});
    json out = {{"name", s.name}, {"description", s.description}, {"paths", paths},
                {"workload", w}, {"events", ev}};
    if (s.rcvbuf_bytes)
        out["rcvbuf_bytes"] = s.rcvbuf_bytes;
    return out;
}

const std::vector<BenchScenario>& builtin_scenarios()
{
    static const std::vector<BenchScenario> all = [] {
        BenchWorkload bulk;
        BenchWorkload rr{BenchWorkload::RequestResponse, 0, 0, 300, 100, 10000};
        auto churn = [](int n, int c) {
            BenchWorkload w{BenchWorkload::Churn, 0, 0, 0, 1000, 1000};
            w.connections = n;
            w.concurrency = c;
            return w;
        };
        return std::vector<BenchScenario>{
            make("equal", "2 x 50 Mbit/s, 10 ms RTT each",
                 {{50, 10, 0, 0, false}, {50, 10, 0, 0, false}}, bulk),
            make("hetero-rtt", "2 x 50 Mbit/s, 10 ms and 100 ms RTT",
                 {{50, 10, 0, 0, false}, {50, 100, 0, 0, false}}, bulk),
            make("unequal-bw", "90 and 10 Mbit/s, 20 ms RTT each",
                 {{90, 20, 0, 0, false}, {10, 20, 0, 0, false}}, bulk),
            make("lossy", "2 x 20 Mbit/s, 20 ms RTT; 1% loss on path 1; request/response",
                 {{20, 20, 0, 0, false}, {20, 20, 0, 1, false}}, rr),
            make("failover", "2 x 20 Mbit/s, 20 ms RTT; path 0 fails at 3 s",
                 {{20, 20, 0, 0, false}, {20, 20, 0, 0, false}}, bulk, {{3, 0, true}}),
            make("backup-failover", "20 Mbit/s + 20 Mbit/s backup; path 0 fails at 3 s",
                 {{20, 20, 0, 0, false}, {20, 20, 0, 0, true}}, bulk, {{3, 0, true}}),
            make("unshaped", "2 unshaped veth paths: decision cost and throughput",
                 {{0, 0, 0, 0, false}, {0, 0, 0, 0, false}}, BenchWorkload{BenchWorkload::Bulk, 4}),
            make("app-limited", "5 Mbit/s application over 20 Mbit/s 10 ms + 20 Mbit/s 60 ms",
                 {{20, 10, 0, 0, false}, {20, 60, 0, 0, false}},
                 BenchWorkload{BenchWorkload::Rate, 6, 5}),
            make("backup-idle", "20 Mbit/s + 20 Mbit/s backup, both up: the backup stays idle",
                 {{20, 20, 0, 0, false}, {20, 20, 0, 0, true}}, bulk),
            make("churn", "1500 short connections one after another (connect, 1 kB echo, "
                 "close), 2 unshaped paths",
                 {{0, 0, 0, 0, false}, {0, 0, 0, 0, false}}, churn(1500, 1)),
            make("churn-parallel", "3000 short connections, 8 clients at a time, 2 unshaped paths",
                 {{0, 0, 0, 0, false}, {0, 0, 0, 0, false}}, churn(3000, 8)),
            make("many", "10000 idle connections open while one bulk transfer runs, 2 x 40 "
                 "Mbit/s, 10 ms RTT",
                 {{40, 10, 0, 0, false}, {40, 10, 0, 0, false}},
                 [] {
                     BenchWorkload w{BenchWorkload::Many, 8};
                     w.connections = 10000;
                     return w;
                 }()),
        };
    }();
    return all;
}

std::vector<BenchScenario> sweep_scenarios(double seconds)
{
    constexpr double kTotalMbit = 100, kFastRttMs = 4;
    std::vector<BenchScenario> out;
    for (bool bdp : {false, true})
        for (int rate_ratio : {1, 3, 9})
            for (int rtt_ratio : {1, 5, 25}) {
                const double fast = kTotalMbit * rate_ratio / (rate_ratio + 1);
                const double slow = kTotalMbit - fast, slow_rtt = kFastRttMs * rtt_ratio;
                BenchScenario s;
                s.name = "sweep-r" + std::to_string(rate_ratio) + "-d" + std::to_string(rtt_ratio) +
                         (bdp ? "-bdp" : "-auto");
                s.paths = {{fast, kFastRttMs, 0, 0, false}, {slow, slow_rtt, 0, 0, false}};
                s.workload.seconds = seconds;
                std::ostringstream d;
                d << fast << " Mbit/s " << kFastRttMs << " ms + " << slow << " Mbit/s " << slow_rtt
                  << " ms";
                if (bdp) {
                    // bytes in flight on both paths at full rate: rate * RTT, summed
                    s.rcvbuf_bytes = static_cast<uint64_t>((fast * kFastRttMs + slow * slow_rtt) *
                                                           1e6 / 8 / 1000);
                    d << "; receiver buffer " << s.rcvbuf_bytes / 1000 << " kB (1x BDP)";
                }
                s.description = d.str();
                out.push_back(std::move(s));
            }
    return out;
}

std::optional<SweepPoint> sweep_point(const std::string& name)
{
    SweepPoint p;
    char buf[8] = {};
    int used = 0;
    if (std::sscanf(name.c_str(), "sweep-r%d-d%d-%4[a-z]%n", &p.rate_ratio, &p.rtt_ratio, buf,
                    &used) != 3 || used != static_cast<int>(name.size()))
        return std::nullopt;
    const std::string b = buf;
    if (b != "auto" && b != "bdp")
        return std::nullopt;
    p.bdp_buffer = b == "bdp";
    return p;
}

Result<std::vector<BenchScenario>> resolve_scenarios(const std::string& what)
{
    for (const auto& s : builtin_scenarios())
        if (s.name == what)
            return std::vector<BenchScenario>{s};
    if (sweep_point(what))
        for (const auto& s : sweep_scenarios())
            if (s.name == what)
                return std::vector<BenchScenario>{s};
    std::error_code ec;
    if (!std::filesystem::exists(what, ec)) {
        std::string names;
        for (const auto& s : builtin_scenarios())
            names += (names.empty() ? "" : ", ") + s.name;
        return fail_msg("unknown scenario '" + printable(what) + "': neither a built-in (" +
                        names + ", or a sweep point such as sweep-r9-d25-bdp) nor a readable file",
                        ENOENT);
    }
    auto text = read_regular_file(what, 16u << 20, "failed to read scenario file " + printable(what));
    if (!text)
        return std::unexpected(text.error());
    auto parsed = parse_json(*text, printable(what));
    if (!parsed)
        return std::unexpected(parsed.error());
    const json& j = *parsed;
    std::vector<BenchScenario> out;
    for (const json& one : j.is_array() ? j : json::array({j})) {
        auto s = parse_scenario(one);
        if (!s)
            return fail_msg(printable(what) + ": " + s.error().message, EINVAL);
        out.push_back(std::move(*s));
    }
    return out;
}

Spread spread_of(std::vector<double> v)
{
    Spread s;
    s.n = v.size();
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    return s;
}

}  // namespace mptcp_sched

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

const char* const kActions = "down, up, link-down, flap, degrade";

std::optional<BenchEvent::Action> action_of(const std::string& a)
{
    for (auto k : {BenchEvent::Down, BenchEvent::Up, BenchEvent::LinkDown, BenchEvent::Flap,
                   BenchEvent::Degrade})
        if (a == event_action_name(k))
            return k;
    return std::nullopt;
}

// One event; @s holds the paths and the events before it.
Result<BenchEvent> parse_event(const json& e, const BenchScenario& s, const std::string& ew)
{
    BenchEvent ev;
    if (!e.is_object())
        return fail_msg(ew + ": must be an object", EINVAL);
    if (!e.contains("action") || !e["action"].is_string() ||
        !action_of(e["action"].get<std::string>()))
        return fail_msg(ew + ": 'action' must be one of " + kActions, EINVAL);
    ev.action = *action_of(e["action"].get<std::string>());
    // The fields each action takes; anything else is a mistake worth naming.
    std::vector<std::string> fields = {"at_s", "path", "action"};
    if (ev.action == BenchEvent::Flap)
        fields.insert(fields.end(), {"every_s", "for_s", "via"});
    if (ev.action == BenchEvent::Degrade)
        fields.insert(fields.end(), {"rate_mbit", "rtt_ms", "loss_pct"});
    std::string list;
    for (const auto& f : fields)
        list += (list.empty() ? "" : ", ") + f;
    for (auto it = e.begin(); it != e.end(); ++it)
        if (std::find(fields.begin(), fields.end(), it.key()) == fields.end())
            return fail_msg(ew + ": unknown field '" + printable(it.key()) + "' for action '" +
                            event_action_name(ev.action) + "' (" + list + ")", EINVAL);
    for (const char* req : {"at_s", "path"})
        if (!e.contains(req))
            return fail_msg(ew + ": '" + req + "' is required", EINVAL);
    if (auto r = get_num(e, "at_s", ev.at_s, 0, 600, ew); !r)
        return std::unexpected(r.error());
    if (auto r = get_num(e, "path", ev.path, 0, 3, ew); !r)
        return std::unexpected(r.error());
    if (ev.path >= s.paths.size())
        return fail_msg(ew + ": path " + std::to_string(ev.path) + " does not exist", EINVAL);
    if (ev.action == BenchEvent::Flap) {
        for (const char* req : {"every_s", "for_s"})
            if (!e.contains(req))
                return fail_msg(ew + ": action 'flap' needs '" + req + "'", EINVAL);
        if (auto r = get_num(e, "every_s", ev.every_s, 0.1, 600, ew); !r)
            return std::unexpected(r.error());
        if (auto r = get_num(e, "for_s", ev.for_s, 0.1, 600, ew); !r)
            return std::unexpected(r.error());
        if (ev.for_s < ev.every_s)
            return fail_msg(ew + ": 'for_s' " + num_text(ev.for_s) + " is shorter than 'every_s' " +
                            num_text(ev.every_s) + " (the path would never come back by itself)",
                            EINVAL);
        if (e.contains("via")) {
            const auto via = e["via"].is_string() ? action_of(e["via"].get<std::string>())
                                                  : std::nullopt;
            if (!via || (*via != BenchEvent::Down && *via != BenchEvent::LinkDown))
                return fail_msg(ew + ": 'via' must be \"down\" or \"link-down\"", EINVAL);
            ev.via = *via;
        }
    }
    if (ev.action == BenchEvent::Degrade) {
        auto opt = [&](const char* key, std::optional<double>& out, double lo,
                       double hi) -> Result<void> {
            if (!e.contains(key))
                return {};
            double v = 0;
            if (auto r = get_num(e, key, v, lo, hi, ew); !r)
                return r;
            out = v;
            return {};
        };
        for (auto r : {opt("rate_mbit", ev.rate_mbit, 0.01, 10000), opt("rtt_ms", ev.rtt_ms, 0, 2000),
                       opt("loss_pct", ev.loss_pct, 0, 100)})
            if (!r)
                return std::unexpected(r.error());
        if (!ev.rate_mbit && !ev.rtt_ms && !ev.loss_pct)
            return fail_msg(ew + ": action 'degrade' needs at least one of rate_mbit, rtt_ms, "
                            "loss_pct", EINVAL);
    }
    if (!s.events.empty() && ev.at_s < s.events.back().at_s)
        return fail_msg(ew + ": at_s " + num_text(ev.at_s) + " is before the previous "
                        "event's " + num_text(s.events.back().at_s) +
                        " (events must be in time order)", EINVAL);
    return ev;
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
                                                   "events", "rcvbuf_bytes", "rto_max_ms"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end())
            return fail_msg("scenario: unknown field '" + printable(it.key()) + "' (fields: name, "
                            "description, paths, workload, events, rcvbuf_bytes, rto_max_ms)",
                            EINVAL);
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
    if (auto r = get_num(j, "rto_max_ms", s.rto_max_ms, 0, 120000, where); !r)
        return std::unexpected(r.error());
    if (s.rto_max_ms && s.rto_max_ms < 1000)
        return fail_msg(where + ": 'rto_max_ms' must be 0 (the kernel's) or 1000-120000 "
                        "(the range of net.ipv4.tcp_rto_max_ms)", EINVAL);
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
            auto ev = parse_event(e, s, where + " event " + std::to_string(s.events.size()));
            if (!ev)
                return std::unexpected(ev.error());
            s.events.push_back(*ev);
        }
    }
    return s;
}

const char* event_action_name(BenchEvent::Action a)
{
    switch (a) {
    case BenchEvent::Down: return "down";
    case BenchEvent::Up: return "up";
    case BenchEvent::LinkDown: return "link-down";
    case BenchEvent::Flap: return "flap";
    case BenchEvent::Degrade: return "degrade";
    }
    return "?";
}

std::vector<PathChange> expand_events(const BenchScenario& s, double scale)
{
    // First what happens when (a flap overlaps what comes after it), then, in time order,
    // the shaping each change leaves.
    struct Raw {
        double at;
        size_t order;   // ties keep the written order
        const BenchEvent* ev;
        BenchEvent::Action act;
    };
    std::vector<Raw> raw;
    for (const auto& e : s.events) {
        if (e.action != BenchEvent::Flap) {
            raw.push_back({e.at_s, raw.size(), &e, e.action});
            continue;
        }
        // down for every_s, up for every_s, ...; up again once for_s has passed
        bool failed = false;
        for (int k = 0; e.at_s + k * e.every_s < e.at_s + e.for_s - 1e-9; k++) {
            failed = k % 2 == 0;
            raw.push_back({e.at_s + k * e.every_s, raw.size(), &e, failed ? e.via : BenchEvent::Up});
        }
        if (failed)
            raw.push_back({e.at_s + e.for_s, raw.size(), &e, BenchEvent::Up});
    }
    std::stable_sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.at < b.at; });
    std::vector<BenchPath> now = s.paths;
    std::vector<PathChange> out;
    for (const auto& r : raw) {
        PathChange c;
        c.at_s = r.at * scale;
        c.path = r.ev->path;
        const std::string p = "path " + std::to_string(c.path);
        BenchPath& cur = now[c.path];
        switch (r.act) {
        case BenchEvent::Down:
            c.op = PathChange::Blackhole;
            c.label = p + " down";
            break;
        case BenchEvent::LinkDown:
            c.op = PathChange::LinkDown;
            c.label = p + " link down";
            break;
        case BenchEvent::Degrade: {
            c.op = PathChange::Reshape;
            if (r.ev->rate_mbit)
                cur.rate_mbit = *r.ev->rate_mbit;
            if (r.ev->rtt_ms)
                cur.rtt_ms = *r.ev->rtt_ms;
            if (r.ev->loss_pct)
                cur.loss_pct = *r.ev->loss_pct;
            std::string what;
            if (r.ev->rate_mbit)
                what += num_text(cur.rate_mbit) + " Mbit/s";
            if (r.ev->rtt_ms)
                what += (what.empty() ? "" : ", ") + num_text(cur.rtt_ms) + " ms";
            if (r.ev->loss_pct)
                what += (what.empty() ? "" : ", ") + num_text(cur.loss_pct) + "% loss";
            c.label = p + " degraded to " + what;
            break;
        }
        case BenchEvent::Up:
        case BenchEvent::Flap:
            c.op = PathChange::Restore;
            cur = s.paths[c.path];
            c.label = p + " up";
            break;
        }
        c.shape = cur;
        out.push_back(c);
    }
    return out;
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
    for (const auto& e : s.events) {
        json one = {{"at_s", e.at_s}, {"path", e.path}, {"action", event_action_name(e.action)}};
        if (e.action == BenchEvent::Flap) {
            one["every_s"] = e.every_s;
            one["for_s"] = e.for_s;
            one["via"] = event_action_name(e.via);
        }
        if (e.rate_mbit)
            one["rate_mbit"] = *e.rate_mbit;
        if (e.rtt_ms)
            one["rtt_ms"] = *e.rtt_ms;
        if (e.loss_pct)
            one["loss_pct"] = *e.loss_pct;
        ev.push_back(one);
    }
    json out = {{"name", s.name}, {"description", s.description}, {"paths", paths},
                {"workload", w}, {"events", ev}};
    if (s.rcvbuf_bytes)
        out["rcvbuf_bytes"] = s.rcvbuf_bytes;
    if (s.rto_max_ms)
        out["rto_max_ms"] = s.rto_max_ms;
    return out;
}

const std::vector<BenchScenario>& builtin_scenarios()
{
    static const std::vector<BenchScenario> all = [] {
        BenchWorkload bulk;
        BenchWorkload rr{BenchWorkload::RequestResponse, 0, 0, 1000, 100, 10000};
        BenchWorkload short_flows{BenchWorkload::RequestResponse, 0, 0, 400, 100, 64 << 10};
        auto churn = [](int n, int c) {
            BenchWorkload w{BenchWorkload::Churn, 0, 0, 0, 1000, 1000};
            w.connections = n;
            w.concurrency = c;
            return w;
        };
        std::vector<BenchScenario> v{
            make("equal", "2 x 50 Mbit/s, 10 ms RTT each",
                 {{50, 10, 0, 0, false}, {50, 10, 0, 0, false}}, bulk),
            make("hetero-rtt", "2 x 50 Mbit/s, 10 ms and 100 ms RTT",
                 {{50, 10, 0, 0, false}, {50, 100, 0, 0, false}}, bulk),
            make("unequal-bw", "90 and 10 Mbit/s, 20 ms RTT each",
                 {{90, 20, 0, 0, false}, {10, 20, 0, 0, false}}, bulk),
            make("lossy-1-rr", "2 x 20 Mbit/s, 20 ms RTT, 1% loss on each path; 1000 "
                 "requests of 100 B, 10 kB answers", {{20, 20, 0, 1, false}, {20, 20, 0, 1, false}}, rr),
            make("lossy-3-rr", "2 x 20 Mbit/s, 20 ms RTT, 3% loss on each path; 1000 "
                 "requests of 100 B, 10 kB answers", {{20, 20, 0, 3, false}, {20, 20, 0, 3, false}}, rr),
            make("lossy-1-short", "2 x 20 Mbit/s, 20 ms RTT, 1% loss on each path; 400 short "
                 "flows of 64 KiB on one connection", {{20, 20, 0, 1, false}, {20, 20, 0, 1, false}},
                 short_flows),
            make("lossy-3-short", "2 x 20 Mbit/s, 20 ms RTT, 3% loss on each path; 400 short "
                 "flows of 64 KiB on one connection", {{20, 20, 0, 3, false}, {20, 20, 0, 3, false}},
                 short_flows),
            make("lossy-fast-rr", "20 Mbit/s 10 ms RTT with 3% loss + 20 Mbit/s 40 ms clean; "
                 "1000 requests of 100 B, 10 kB answers",
                 {{20, 10, 0, 3, false}, {20, 40, 0, 0, false}}, rr),
            make("lossy-fast-short", "20 Mbit/s 10 ms RTT with 3% loss + 20 Mbit/s 40 ms clean; "
                 "400 short flows of 64 KiB on one connection",
                 {{20, 10, 0, 3, false}, {20, 40, 0, 0, false}}, short_flows),
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
        // Both failover scenarios in every failure kind: path 0 fails at 3 s of 6 (the flap:
        // from 2 s, down 1 s and up 1 s, twice, of 8 s).
        for (const bool backup : {false, true}) {
            const std::string base = backup ? "backup-failover" : "failover";
            const std::string paths = backup ? "20 Mbit/s + 20 Mbit/s backup, 20 ms RTT"
                                             : "2 x 20 Mbit/s, 20 ms RTT";
            const std::vector<BenchPath> two = {{20, 20, 0, 0, false}, {20, 20, 0, 0, backup}};
            BenchEvent down, link, flap, degrade;
            down.at_s = link.at_s = degrade.at_s = 3;
            link.action = BenchEvent::LinkDown;
            flap.action = BenchEvent::Flap;
            flap.at_s = 2;
            flap.every_s = 1;
            flap.for_s = 4;
            degrade.action = BenchEvent::Degrade;
            degrade.rate_mbit = 1;
            degrade.rtt_ms = 400;
            v.push_back(make(base, paths + "; path 0 blackholed at 3 s", two, bulk, {down}));
            v.push_back(make(base + "-link-down", paths + "; the client's interface of path 0 "
                             "set down at 3 s", two, bulk, {link}));
            v.push_back(make(base + "-flap", paths + "; path 0 blackholed and back every 1 s "
                             "from 2 s to 6 s", two, BenchWorkload{BenchWorkload::Bulk, 8}, {flap}));
            v.push_back(make(base + "-degrade", paths + "; path 0 degrades to 1 Mbit/s, 400 ms "
                             "RTT at 3 s", two, bulk, {degrade}));
        }
        // Soak: the two paths take turns failing, 5 s each, for 10 minutes, so one of them is
        // always up: path 0 is blackholed during [5, 10), [15, 20), ..., path 1 during
        // [10, 15), [20, 25), ...; both are up again for the last 5 s.
        BenchEvent soak0, soak1;
        soak0.action = soak1.action = BenchEvent::Flap;
        soak1.path = 1;
        soak0.at_s = 5;
        soak1.at_s = 10;
        soak0.every_s = soak1.every_s = 5;
        soak0.for_s = 590;
        soak1.for_s = 585;
        v.push_back(make("soak", "2 x 20 Mbit/s, 20 ms RTT; the paths take turns failing "
                         "(blackholed) every 5 s for 10 minutes", {{20, 20, 0, 0, false},
                         {20, 20, 0, 0, false}}, BenchWorkload{BenchWorkload::Bulk, 600},
                         {soak0, soak1}));
        // The same with retransmit timers capped at 1 s: a path down for 5 s backs its
        // subflow's timer off to 3.2 s and beyond (up to 120 s), so when the path returns
        // the subflow may not try again before the path fails once more; no scheduler can
        // send on a subflow whose timer holds it back.
        BenchScenario capped = v.back();
        capped.name = "soak-rto1s";
        capped.description = "the soak with net.ipv4.tcp_rto_max_ms=1000 at both ends";
        capped.rto_max_ms = 1000;
        v.push_back(capped);
        return v;
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
    // A family: the built-ins named WHAT-... (lossy: every loss scenario).
    std::vector<BenchScenario> family;
    for (const auto& s : builtin_scenarios())
        if (s.name.rfind(what + "-", 0) == 0)
            family.push_back(s);
    if (!family.empty())
        return family;
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
                        names + ", a family such as lossy, or a sweep point such as "
                        "sweep-r9-d25-bdp) nor a readable file",
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

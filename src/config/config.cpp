// SPDX-License-Identifier: GPL-2.0
// parse_config: the configuration file, strictly. Every key is known, every value has the
// type it must have; the first problem is reported with its JSON path, in one line.
#include <nlohmann/json.hpp>

#include <set>

#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/base/text.h"
#include "mptcp_sched/config/apply.h"

namespace mptcp_sched {

namespace {

using nlohmann::json;

struct Bad {
    std::string path, why;
};

// Throws nothing: every check returns the first problem found.
struct Reader {
    std::optional<Bad> err;

    bool fail(const std::string& path, const std::string& why)
    {
        if (!err)
            err = Bad{path, why};
        return false;
    }
    bool object(const json& j, const std::string& path, const std::set<std::string>& keys)
    {
        if (!j.is_object())
            return fail(path, "expected an object");
        for (const auto& [k, v] : j.items())
            if (!keys.count(k)) {
                std::string known;
                for (const auto& x : keys)
                    known += (known.empty() ? "" : ", ") + x;
                return fail(path, "unknown key \"" + printable(k) + "\" (known: " + known + ")");
            }
        return true;
    }
    bool string(const json& j, const std::string& path, std::string& out)
    {
        if (!j.is_string())
            return fail(path, "expected a string");
        out = j.get<std::string>();
        return true;
    }
    bool uint(const json& j, const std::string& path, uint64_t max, uint64_t& out)
    {
        if (j.is_boolean()) {   // tunables may be bool
            out = j.get<bool>();
            return true;
        }
        if (!j.is_number_unsigned())
            return fail(path, "expected an unsigned integer");
        out = j.get<uint64_t>();
        if (out > max)
            return fail(path, std::to_string(out) + " is out of range (at most " +
                                  std::to_string(max) + ")");
        return true;
    }
    bool uint32(const json& j, const std::string& path, uint32_t max, uint32_t& out)
    {
        uint64_t v = 0;
        if (j.is_boolean())
            return fail(path, "expected an unsigned integer");
        if (!uint(j, path, max, v))
            return false;
        out = static_cast<uint32_t>(v);
        return true;
    }
    bool strings(const json& j, const std::string& path, std::vector<std::string>& out)
    {
        if (!j.is_array())
            return fail(path, "expected an array of strings");
        for (size_t i = 0; i < j.size(); i++) {
            std::string s;
            if (!string(j[i], path + "[" + std::to_string(i) + "]", s))
                return false;
            out.push_back(s);
        }
        return true;
    }
};

bool read_scheduler(Reader& r, const json& j, const std::string& p, SchedulerConfig& out)
{
    if (!r.object(j, p, {"load", "tunables"}))
        return false;
    if (!j.contains("load"))
        return r.fail(p, "missing \"load\" (a built-in name or the path of a .bpf.o)");
    if (!r.string(j["load"], p + ".load", out.load))
        return false;
    if (out.load.empty())
        return r.fail(p + ".load", "empty");
    if (j.contains("tunables")) {
        const json& t = j["tunables"];
        if (!t.is_object())
            return r.fail(p + ".tunables", "expected an object of NAME: unsigned integer or bool");
        for (const auto& [k, v] : t.items()) {
            uint64_t n = 0;
            if (!r.uint(v, p + ".tunables." + k, ~0ULL, n))
                return false;
            out.tunables[k] = n;
        }
    }
    return true;
}

bool read_rules(Reader& r, const json& j, const std::string& p, RulesConfig& out)
{
    if (!r.object(j, p, {"default", "list"}))
        return false;
    if (j.contains("default") && !r.string(j["default"], p + ".default", out.default_policy))
        return false;
    if (!j.contains("list"))
        return true;
    if (!j["list"].is_array())
        return r.fail(p + ".list", "expected an array of rules");
    for (size_t i = 0; i < j["list"].size(); i++) {
        const json& e = j["list"][i];
        const std::string q = p + ".list[" + std::to_string(i) + "]";
        if (!r.object(e, q, {"policy", "dport", "sport", "dst", "src", "cgroup", "mark"}))
            return false;
        RuleSpec s;
        if (!e.contains("policy"))
            return r.fail(q, "missing \"policy\"");
        std::pair<const char*, std::string*> fields[] = {
            {"policy", &s.policy}, {"dport", &s.dport}, {"sport", &s.sport}, {"dst", &s.dst},
            {"src", &s.src},       {"cgroup", &s.cgroup}, {"mark", &s.mark}};
        for (auto& [k, dst] : fields) {
            if (!e.contains(k))
                continue;
            // Ports may be written as numbers too.
            if ((std::string(k) == "dport" || std::string(k) == "sport") &&
                e[k].is_number_unsigned()) {
                *dst = std::to_string(e[k].get<uint64_t>());
                continue;
            }
            if (!r.string(e[k], q + "." + k, *dst))
                return false;
        }
        out.rules.push_back(s);
    }
    return true;
}

bool read_netns(Reader& r, const json& j, const std::string& p, NetnsConfig& out)
{
    if (!r.object(j, p, {"name", "scheduler", "limits", "endpoints"}))
        return false;
    if (j.contains("name") && !r.string(j["name"], p + ".name", out.name))
        return false;
    if (j.contains("scheduler")) {
        std::string s;
        if (!r.string(j["scheduler"], p + ".scheduler", s))
            return false;
        out.scheduler = s;
    }
    if (j.contains("limits")) {
        const json& l = j["limits"];
        if (!r.object(l, p + ".limits", {"subflows", "add_addr_accepted"}))
            return false;
        for (auto [k, dst] : {std::pair{"subflows", &out.subflows},
                              std::pair{"add_addr_accepted", &out.add_addr_accepted}}) {
            if (!l.contains(k))
                continue;
            uint32_t v = 0;
            if (!r.uint32(l[k], p + ".limits." + k, 8, v))
                return false;
            *dst = v;
        }
    }
    if (j.contains("endpoints")) {
        const json& es = j["endpoints"];
        if (!es.is_array())
            return r.fail(p + ".endpoints", "expected an array of endpoints");
        out.endpoints.emplace();
        for (size_t i = 0; i < es.size(); i++) {
            const std::string q = p + ".endpoints[" + std::to_string(i) + "]";
            const json& e = es[i];
            if (!r.object(e, q, {"addr", "flags", "dev", "id", "port"}))
                return false;
            EndpointConfig ep;
            if (!e.contains("addr"))
                return r.fail(q, "missing \"addr\"");
            if (!r.string(e["addr"], q + ".addr", ep.addr))
                return false;
            if (e.contains("flags") && !r.strings(e["flags"], q + ".flags", ep.flags))
                return false;
            if (e.contains("dev") && !r.string(e["dev"], q + ".dev", ep.dev))
                return false;
            uint32_t v = 0;
            if (e.contains("id")) {
                if (!r.uint32(e["id"], q + ".id", 255, v))
                    return false;
                ep.id = v;
            }
            if (e.contains("port")) {
                if (!r.uint32(e["port"], q + ".port", 65535, v))
                    return false;
                ep.port = static_cast<uint16_t>(v);
            }
            out.endpoints->push_back(ep);
        }
    }
    return true;
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& what)
{
    auto doc = parse_json(text, what);
    if (!doc)
        return fail_msg(doc.error().message, EINVAL);
    const json& j = *doc;
    Reader r;
    Config c;
    auto bad = [&]() {
        return fail_msg(what + ": " + (r.err->path.empty() ? "." : r.err->path) + ": " +
                            r.err->why, EINVAL);
    };
    if (!r.object(j, "", {"schedulers", "rules", "netns"}))
        return bad();
    if (j.contains("schedulers")) {
        if (!j["schedulers"].is_array()) {
            r.fail(".schedulers", "expected an array of {\"load\": ..., \"tunables\": {...}}");
            return bad();
        }
        c.schedulers.emplace();
        for (size_t i = 0; i < j["schedulers"].size(); i++) {
            SchedulerConfig s;
            if (!read_scheduler(r, j["schedulers"][i], ".schedulers[" + std::to_string(i) + "]", s))
                return bad();
            c.schedulers->push_back(s);
        }
    }
    if (j.contains("rules")) {
        RulesConfig rc;
        if (!read_rules(r, j["rules"], ".rules", rc))
            return bad();
        c.rules = rc;
    }
    if (j.contains("netns")) {
        if (!j["netns"].is_array()) {
            r.fail(".netns", "expected an array of namespaces");
            return bad();
        }
        std::set<std::string> seen;
        for (size_t i = 0; i < j["netns"].size(); i++) {
            NetnsConfig n;
            const std::string p = ".netns[" + std::to_string(i) + "]";
            if (!read_netns(r, j["netns"][i], p, n))
                return bad();
            if (!seen.insert(n.name).second) {
                r.fail(p + ".name", n.name.empty() ? "the current namespace (no name) is given twice"
                                                   : "\"" + printable(n.name) + "\" is given twice");
                return bad();
            }
            c.netns.push_back(n);
        }
    }
    return c;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/rules.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/sched/loader.h"

namespace fs = std::filesystem;

namespace mptcp_sched {

static_assert(MS_CGROUP_MAX_LEVEL == kCgroupMaxLevel);

namespace {

const char* const kLockFile = "/run/mptcp-sched-rules.lock";

bool parse_u32(const std::string& s, uint32_t& out)
{
    int base = 10;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        b += 2;
    }
    auto [p, ec] = std::from_chars(b, e, out, base);
    return ec == std::errc() && p == e && b != e;
}

std::string prefix_str(const ms_prefix& p)
{
    char buf[INET6_ADDRSTRLEN] = "?";
    inet_ntop(p.family, p.addr, buf, sizeof(buf));
    return std::string(buf) + "/" + std::to_string(p.plen);
}

std::string range_str(uint16_t lo, uint16_t hi)
{
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}

std::string hex(uint32_t v)
{
    char b[16];
    std::snprintf(b, sizeof(b), "0x%x", v);
    return b;
}

// ---- the pinned maps ----

struct RuleMaps {
    UniqueFd rules, cfg;
};

Result<RuleMaps> open_maps(const Paths& paths)
{
    auto root = checked_pin_root(paths, false);
    if (!root && root.error().code == ENOENT)
        return fail_msg("the rules scheduler is not loaded (`mptcp-sched load rules --set` "
                        "loads it and selects it for new connections)", ENOENT);
    if (!root)
        return std::unexpected(root.error());
    const std::string dir = *root + "/ms_rules";   // the scheduler's pin directory
    RuleMaps m;
    m.rules.reset(bpf_obj_get((dir + "/" MS_PIN_RULES).c_str()));
    if (!m.rules) {
        if (errno == ENOENT)
            return fail_msg("the rules scheduler is not loaded (`mptcp-sched load rules --set` "
                            "loads it and selects it for new connections)", ENOENT);
        return fail_errno("failed to open the rule table at " + dir + "/" MS_PIN_RULES);
    }
    m.cfg.reset(bpf_obj_get((dir + "/" MS_PIN_RULES_CFG).c_str()));
    if (!m.cfg)
        return fail_errno("failed to open " + dir + "/" MS_PIN_RULES_CFG);
    return m;
}

Result<ms_rules_cfg> read_cfg(const RuleMaps& m)
{
    ms_rules_cfg cfg{};
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(m.cfg.get(), &zero, &cfg))
        return fail_errno("failed to read the rule configuration");
    return cfg;
}

Result<RuleTable> read_table(const RuleMaps& m, ms_rules_cfg& cfg)
{
    auto c = read_cfg(m);
    if (!c)
        return std::unexpected(c.error());
    cfg = *c;
    RuleTable t;
    t.default_policy = cfg.default_policy;
    t.generation = cfg.generation;
    const uint32_t active = cfg.active & 1;
    const uint32_t n = std::min<uint32_t>(cfg.count[active], MS_MAX_RULES);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = active * MS_MAX_RULES + i;
        ms_rule r{};
        if (bpf_map_lookup_elem(m.rules.get(), &slot, &r))
            return fail_errno("failed to read rule slot " + std::to_string(slot));
        t.rules.push_back(r);
    }
    return t;
}

// Writes @rules into the inactive table, then switches to it in one update of the config.
Result<void> publish(const RuleMaps& m, ms_rules_cfg cfg, const std::vector<ms_rule>& rules)
{
    const uint32_t next = (cfg.active & 1) ^ 1;
    for (uint32_t i = 0; i < MS_MAX_RULES; i++) {
        uint32_t slot = next * MS_MAX_RULES + i;
        ms_rule r = i < rules.size() ? rules[i] : ms_rule{};
        if (bpf_map_update_elem(m.rules.get(), &slot, &r, BPF_ANY))
            return fail_errno("failed to write the rule table");
    }
    cfg.count[next] = static_cast<uint32_t>(rules.size());
    cfg.active = next;
    cfg.generation++;
    uint32_t zero = 0;
    if (bpf_map_update_elem(m.cfg.get(), &zero, &cfg, BPF_ANY))
        return fail_errno("failed to switch to the new rule table");
    return {};
}

// Read, change, publish, under the lock. @change edits the rules and config in place.
template <typename F>
auto modify(const Paths& paths, F&& change) -> std::invoke_result_t<F, RuleTable&, ms_rules_cfg&>
{
    using T = std::invoke_result_t<F, RuleTable&, ms_rules_cfg&>;
    // The lock first, then the maps: a reload of ms_rules (which takes the same lock) either
    // finished, and we open its new maps, or waits until we are done.
    auto lock = take_rules_lock();
    if (!lock)
        return std::unexpected(lock.error());
    auto maps = open_maps(paths);
    if (!maps)
        return std::unexpected(maps.error());
    ms_rules_cfg cfg{};
    auto table = read_table(*maps, cfg);
    if (!table)
        return std::unexpected(table.error());
    T out = change(*table, cfg);
    if (!out)
        return out;
    if (auto ok = publish(*maps, cfg, table->rules); !ok)
        return std::unexpected(ok.error());
    return out;
}

}  // namespace

Result<UniqueFd> take_rules_lock()
{
    UniqueFd fd(::open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd)
        return fail_errno(std::string("failed to open the lock file ") + kLockFile);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR)
            return fail_errno(std::string("failed to lock ") + kLockFile);
    return fd;
}

Result<std::pair<uint16_t, uint16_t>> parse_port_range(const std::string& what,
                                                       const std::string& s)
{
    auto dash = s.find('-');
    std::string a = s.substr(0, dash), b = dash == std::string::npos ? a : s.substr(dash + 1);
    uint32_t lo = 0, hi = 0;
    auto bad = [&](const std::string& why) {
        return fail_msg("invalid " + what + " '" + s + "': " + why, EINVAL);
    };
    if (!parse_u32(a, lo) || !parse_u32(b, hi) || a.rfind("0x", 0) == 0 || b.rfind("0x", 0) == 0)
        return bad("expected PORT or LOW-HIGH, decimal");
    if (lo < 1 || hi > 65535 || lo > 65535)
        return bad("ports are 1-65535");
    if (lo > hi)
        return bad("the range is empty (LOW > HIGH)");
    return std::pair<uint16_t, uint16_t>(lo, hi);
}

Result<ms_prefix> parse_prefix(const std::string& what, const std::string& s)
{
    ms_prefix p{};
    auto slash = s.find('/');
    std::string addr = s.substr(0, slash);
    auto bad = [&](const std::string& why) {
        return fail_msg("invalid " + what + " '" + s + "': " + why, EINVAL);
    };
    if (inet_pton(AF_INET, addr.c_str(), p.addr) == 1)
        p.family = AF_INET;
    else if (inet_pton(AF_INET6, addr.c_str(), p.addr) == 1)
        p.family = AF_INET6;
    else
        return bad("not an IPv4 or IPv6 address");
    const uint32_t max = p.family == AF_INET ? 32 : 128;
    uint32_t plen = max;
    if (slash != std::string::npos) {
        std::string l = s.substr(slash + 1);
        if (!parse_u32(l, plen) || l.rfind("0x", 0) == 0)
            return bad("the prefix length is not a number");
        if (plen > max)
            return bad("the prefix length is above " + std::to_string(max));
    }
    p.plen = static_cast<uint8_t>(plen);
    for (uint32_t bit = 0; bit < plen; bit++)
        p.mask[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    bool host_bits = false;
    for (int i = 0; i < 16; i++) {
        host_bits |= (p.addr[i] & ~p.mask[i]) != 0;
        p.addr[i] &= p.mask[i];
    }
    if (host_bits)
        return bad("host bits are set (did you mean " + prefix_str(p) + "?)");
    return p;
}

Result<std::pair<uint32_t, uint32_t>> parse_mark(const std::string& s)
{
    auto slash = s.find('/');
    uint32_t mark = 0, mask = 0xffffffff;
    if (!parse_u32(s.substr(0, slash), mark) ||
        (slash != std::string::npos && !parse_u32(s.substr(slash + 1), mask)))
        return fail_msg("invalid mark '" + s + "': expected MARK or MARK/MASK, 32-bit, "
                        "decimal or 0x hex", EINVAL);
    if (mask == 0)
        return fail_msg("invalid mark '" + s + "': a zero mask matches every socket", EINVAL);
    if (mark & ~mask)
        return fail_msg("invalid mark '" + s + "': the mark has bits outside the mask", EINVAL);
    return std::pair(mark, mask);
}

Result<ms_rule> build_rule(const RuleSpec& spec, const std::string& cgroup_root)
{
    ms_rule r{};
    auto pol = parse_policy(spec.policy);
    if (!pol)
        return std::unexpected(pol.error());
    r.policy = *pol;
    if (!spec.dport.empty()) {
        auto v = parse_port_range("destination port", spec.dport);
        if (!v)
            return std::unexpected(v.error());
        std::tie(r.dport_lo, r.dport_hi) = *v;
        r.match |= MS_MATCH_DPORT;
    }
    if (!spec.sport.empty()) {
        auto v = parse_port_range("source port", spec.sport);
        if (!v)
            return std::unexpected(v.error());
        std::tie(r.sport_lo, r.sport_hi) = *v;
        r.match |= MS_MATCH_SPORT;
    }
    if (!spec.dst.empty()) {
        auto v = parse_prefix("destination prefix", spec.dst);
        if (!v)
            return std::unexpected(v.error());
        r.dst = *v;
        r.match |= MS_MATCH_DST;
    }
    if (!spec.src.empty()) {
        auto v = parse_prefix("source prefix", spec.src);
        if (!v)
            return std::unexpected(v.error());
        r.src = *v;
        r.match |= MS_MATCH_SRC;
    }
    if (!spec.dst.empty() && !spec.src.empty() && r.dst.family != r.src.family)
        return fail_msg("invalid rule: the source and destination prefixes are of different "
                        "families, so it could never match", EINVAL);
    if (!spec.cgroup.empty()) {
        auto v = resolve_cgroup(spec.cgroup, cgroup_root);
        if (!v)
            return std::unexpected(v.error());
        r.cgroup_id = v->id;
        r.cgroup_level = v->level;
        r.match |= MS_MATCH_CGROUP;
    }
    if (!spec.mark.empty()) {
        auto v = parse_mark(spec.mark);
        if (!v)
            return std::unexpected(v.error());
        std::tie(r.mark, r.mark_mask) = *v;
        r.match |= MS_MATCH_MARK;
    }
    if (!r.match)
        return fail_msg("invalid rule: it matches nothing (give at least one of --dport, "
                        "--sport, --dst, --src, --cgroup, --mark; to change what applies to "
                        "every other connection use `mptcp-sched rule default POLICY`)", EINVAL);
    return r;
}

bool same_match(const ms_rule& a, const ms_rule& b)
{
    ms_rule x = a, y = b;
    x.id = y.id = 0;
    x.policy = y.policy = 0;
    return std::memcmp(&x, &y, sizeof(x)) == 0;
}

std::string describe_match(const ms_rule& r)
{
    std::string s;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    if (r.match & MS_MATCH_DPORT)
        add("dport " + range_str(r.dport_lo, r.dport_hi));
    if (r.match & MS_MATCH_SPORT)
        add("sport " + range_str(r.sport_lo, r.sport_hi));
    if (r.match & MS_MATCH_DST)
        add("dst " + prefix_str(r.dst));
    if (r.match & MS_MATCH_SRC)
        add("src " + prefix_str(r.src));
    if (r.match & MS_MATCH_CGROUP) {
        std::string p = cgroup_path_of(r.cgroup_id, r.cgroup_level, cgroup2_root());
        add("cgroup " + (p.empty() ? "id " + std::to_string(r.cgroup_id) + " (removed?)" : p));
    }
    if (r.match & MS_MATCH_MARK)
        add("mark " + hex(r.mark) + (r.mark_mask == 0xffffffff ? "" : "/" + hex(r.mark_mask)));
    return s;
}

nlohmann::json rule_to_json(const ms_rule& r)
{
    nlohmann::json j = {{"id", r.id}, {"policy", policy_name(r.policy)}};
    if (r.match & MS_MATCH_DPORT)
        j["dport"] = {r.dport_lo, r.dport_hi};
    if (r.match & MS_MATCH_SPORT)
        j["sport"] = {r.sport_lo, r.sport_hi};
    if (r.match & MS_MATCH_DST)
        j["dst"] = prefix_str(r.dst);
    if (r.match & MS_MATCH_SRC)
        j["src"] = prefix_str(r.src);
    if (r.match & MS_MATCH_CGROUP) {
        std::string p = cgroup_path_of(r.cgroup_id, r.cgroup_level, cgroup2_root());
        j["cgroup"] = {{"id", r.cgroup_id}, {"level", r.cgroup_level},
                       {"path", p.empty() ? nlohmann::json() : nlohmann::json(p)}};
    }
    if (r.match & MS_MATCH_MARK)
        j["mark"] = {{"value", r.mark}, {"mask", r.mark_mask}};
    j["match"] = describe_match(r);
    return j;
}

Result<RuleTable> read_rules(const Paths& paths)
{
    auto maps = open_maps(paths);
    if (!maps)
        return std::unexpected(maps.error());
    ms_rules_cfg cfg{};
    return read_table(*maps, cfg);
}

Result<ms_rule> add_rule(const Paths& paths, ms_rule rule, std::optional<uint32_t> before_id)
{
    return modify(paths, [&](RuleTable& t, ms_rules_cfg& cfg) -> Result<ms_rule> {
        for (const auto& r : t.rules)
            if (same_match(r, rule))
                return fail_msg("duplicate rule: rule " + std::to_string(r.id) +
                                " already matches " + describe_match(r) + " (-> " +
                                policy_name(r.policy) + ")", EEXIST);
        if (t.rules.size() >= MS_MAX_RULES)
            return fail_msg("the rule table is full (" + std::to_string(MS_MAX_RULES) +
                            " rules at most); delete one first", ENOSPC);
        auto pos = t.rules.end();
        if (before_id) {
            pos = std::find_if(t.rules.begin(), t.rules.end(),
                               [&](const ms_rule& r) { return r.id == *before_id; });
            if (pos == t.rules.end())
                return fail_msg("no rule " + std::to_string(*before_id) + " to insert before",
                                ENOENT);
        }
        rule.id = std::max<uint32_t>(cfg.next_id, 1);
        cfg.next_id = rule.id + 1;
        t.rules.insert(pos, rule);
        return rule;
    });
}

Result<std::vector<ms_rule>> delete_rules(const Paths& paths, const std::vector<uint32_t>& ids)
{
    return modify(paths, [&](RuleTable& t, ms_rules_cfg&) -> Result<std::vector<ms_rule>> {
        std::vector<ms_rule> gone;
        std::vector<uint32_t> unique;
        for (uint32_t id : ids)
            if (std::find(unique.begin(), unique.end(), id) == unique.end())
                unique.push_back(id);
        for (uint32_t id : unique) {
            auto it = std::find_if(t.rules.begin(), t.rules.end(),
                                   [&](const ms_rule& r) { return r.id == id; });
            if (it == t.rules.end())
                return fail_msg("no rule " + std::to_string(id) + " (`mptcp-sched rule list` "
                                "shows the ids); nothing was deleted", ENOENT);
            gone.push_back(*it);
            t.rules.erase(it);
        }
        return gone;
    });
}

Result<size_t> flush_rules(const Paths& paths)
{
    return modify(paths, [&](RuleTable& t, ms_rules_cfg&) -> Result<size_t> {
        size_t n = t.rules.size();
        t.rules.clear();
        return n;
    });
}

Result<std::vector<ms_rule>> replace_rules(const Paths& paths, std::vector<ms_rule> rules,
                                           ms_policy default_policy)
{
    for (size_t i = 0; i < rules.size(); i++)
        for (size_t j = 0; j < i; j++)
            if (same_match(rules[i], rules[j]))
                return fail_msg("duplicate rule: " + describe_match(rules[i]) +
                                " is matched twice", EEXIST);
    if (rules.size() > MS_MAX_RULES)
        return fail_msg("too many rules (" + std::to_string(rules.size()) + "; " +
                        std::to_string(MS_MAX_RULES) + " at most)", ENOSPC);
    return modify(paths, [&](RuleTable& t, ms_rules_cfg& cfg) -> Result<std::vector<ms_rule>> {
        for (auto& r : rules) {
            r.id = std::max<uint32_t>(cfg.next_id, 1);
            cfg.next_id = r.id + 1;
        }
        t.rules = rules;
        cfg.default_policy = default_policy;
        return rules;
    });
}

Result<void> set_default_policy(const Paths& paths, ms_policy p)
{
    return modify(paths, [&](RuleTable&, ms_rules_cfg& cfg) -> Result<void> {
        cfg.default_policy = p;
        return {};
    });
}

nlohmann::json to_json(const RuleTable& t)
{
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& r : t.rules)
        rules.push_back(rule_to_json(r));
    return {{"default_policy", policy_name(t.default_policy)},
            {"generation", t.generation},
            {"max_rules", MS_MAX_RULES},
            {"rules", rules}};
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// The rule table on the host kernel: the CLI against real BPF maps of the ms_rules layout,
// pinned on a private bpffs. Loading ms_rules itself needs the VM kernel (tests/vm); the
// table logic (ids, order, limits, duplicates, the double-buffered switch, the lock) does
// not, so it is tested here against the kernel's map implementation.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "host_util.h"
#include "mptcp_sched/sched_abi.h"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A bpffs with ms_rules/{ms_rules,ms_rules_cfg} as `mptcp-sched load rules` pins them.
struct RuleMapsFixture {
    std::string mnt = "/tmp/ms-rules-bpffs-" + std::to_string(getpid());
    std::string env;
    int rules = -1, cfg = -1;

    RuleMapsFixture()
    {
        require_root();
        fs::create_directories(mnt);
        REQUIRE(::mount("bpf", mnt.c_str(), "bpf", 0, nullptr) == 0);
        fs::create_directories(mnt + "/ms/ms_rules");
        rules = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_rules", 4, sizeof(ms_rule),
                               2 * MS_MAX_RULES, nullptr);
        cfg = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_rules_cfg", 4, sizeof(ms_rules_cfg), 1,
                             nullptr);
        REQUIRE(rules >= 0);
        REQUIRE(cfg >= 0);
        REQUIRE(bpf_obj_pin(rules, (mnt + "/ms/ms_rules/ms_rules").c_str()) == 0);
        REQUIRE(bpf_obj_pin(cfg, (mnt + "/ms/ms_rules/ms_rules_cfg").c_str()) == 0);
        env = "MPTCP_SCHED_PIN_ROOT=" + mnt + "/ms ";
    }
    ~RuleMapsFixture()
    {
        close(rules);
        close(cfg);
        ::umount(mnt.c_str());
        fs::remove(mnt);
    }
    ms_rules_cfg config() const
    {
        ms_rules_cfg c{};
        uint32_t zero = 0;
        bpf_map_lookup_elem(cfg, &zero, &c);
        return c;
    }
    ms_rule slot(uint32_t i) const
    {
        ms_rule r{};
        bpf_map_lookup_elem(rules, &i, &r);
        return r;
    }
    Run cli_run(const std::string& args) const { return run(env + cli + " " + args); }
    json list() const
    {
        Run r = cli_run("rule list --json");
        REQUIRE(r.rc == 0);
        return json::parse(r.out);
    }
};

std::vector<uint32_t> ids(const json& list)
{
    std::vector<uint32_t> v;
    for (const auto& r : list["rules"])
        v.push_back(r["id"]);
    return v;
}

}  // namespace

TEST_CASE("rules: add, list, delete with stable ids and first-match order", "[host][rules]")
{
    RuleMapsFixture f;
    Run r = f.cli_run("rule add redundant --dport 5001");
    REQUIRE(r.rc == 0);
    CHECK(r.out == "added rule 1: dport 5001 -> redundant (applies to new connections)\n");
    REQUIRE(f.cli_run("rule add rr --dport 5002").rc == 0);
    REQUIRE(f.cli_run("rule add backup --dst 10.0.0.0/8 --sport 1000-2000 --mark 0x10/0xf0").rc == 0);
    REQUIRE(f.cli_run("rule add minrtt --src fd00::/8 --before 2").rc == 0);

    json l = f.list();
    CHECK(ids(l) == std::vector<uint32_t>{1, 4, 2, 3});
    CHECK(l["default_policy"] == "minrtt");
    CHECK(l["max_rules"] == MS_MAX_RULES);
    CHECK(l["rules"][1]["match"] == "src fd00::/8");
    CHECK(l["rules"][3]["match"] == "sport 1000-2000 dst 10.0.0.0/8 mark 0x10/0xf0");
    CHECK(l["rules"][3]["policy"] == "backup");

    // Deleting keeps the other ids; new ids are never reused.
    r = f.cli_run("rule del 4");
    REQUIRE(r.rc == 0);
    CHECK(r.out == "deleted rule 4: src fd00::/8 -> minrtt\n");
    REQUIRE(f.cli_run("rule add rr --dport 6000").rc == 0);
    CHECK(ids(f.list()) == std::vector<uint32_t>{1, 2, 3, 5});

    r = f.cli_run("rule del 99");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: no rule 99 (`mptcp-sched rule list` shows the ids); nothing "
                   "was deleted\n");
    r = f.cli_run("rule del 1 99");   // all or nothing
    CHECK(r.rc == 1);
    CHECK(ids(f.list()) == std::vector<uint32_t>{1, 2, 3, 5});

    REQUIRE(f.cli_run("rule default redundant").rc == 0);
    CHECK(f.list()["default_policy"] == "redundant");
    r = f.cli_run("rule list");
    CHECK(r.out.find("-    redundant   every other connection") != std::string::npos);

    r = f.cli_run("rule flush");
    CHECK(r.out == "deleted 4 rule(s)\n");
    CHECK(f.list()["rules"].empty());
    CHECK(f.list()["default_policy"] == "redundant");
}

TEST_CASE("rules: duplicates and a full table are refused, naming the limit", "[host][rules]")
{
    RuleMapsFixture f;
    REQUIRE(f.cli_run("rule add redundant --dport 5001").rc == 0);
    Run r = f.cli_run("rule add rr --dport 5001");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: duplicate rule: rule 1 already matches dport 5001 (-> "
                   "redundant)\n");
    for (int p = 1; p < MS_MAX_RULES; p++)
        REQUIRE(f.cli_run("rule add rr --dport " + std::to_string(10000 + p)).rc == 0);
    CHECK(f.list()["rules"].size() == MS_MAX_RULES);
    r = f.cli_run("rule add rr --dport 9999");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: the rule table is full (64 rules at most); delete one first\n");
    CHECK(f.list()["rules"].size() == MS_MAX_RULES);
}

TEST_CASE("rules: every change writes the other table, then switches", "[host][rules]")
{
    RuleMapsFixture f;
    REQUIRE(f.cli_run("rule add redundant --dport 5001").rc == 0);
    ms_rules_cfg c1 = f.config();
    CHECK(c1.active == 1);
    CHECK(c1.count[1] == 1);
    CHECK(f.slot(MS_MAX_RULES).id == 1);

    REQUIRE(f.cli_run("rule add rr --dport 5002").rc == 0);
    ms_rules_cfg c2 = f.config();
    CHECK(c2.active == 0);
    CHECK(c2.count[0] == 2);
    CHECK(c2.generation == c1.generation + 1);
    // The table a concurrent matcher may still be reading is left as it was.
    CHECK(c2.count[1] == 1);
    CHECK(f.slot(MS_MAX_RULES).id == 1);
    CHECK(f.slot(MS_MAX_RULES + 1).id == 0);
    CHECK(f.slot(0).id == 1);
    CHECK(f.slot(1).id == 2);
    CHECK(f.slot(1).dport_lo == 5002);
}

TEST_CASE("rules: concurrent rule adds are serialised, none is lost", "[host][rules]")
{
    RuleMapsFixture f;
    std::string cmd = "for p in $(seq 7001 7024); do " + f.env + cli +
                      " rule add rr --dport $p >/dev/null & done; wait";
    must(cmd);
    json l = f.list();
    REQUIRE(l["rules"].size() == 24);
    auto v = ids(l);
    std::sort(v.begin(), v.end());
    for (uint32_t i = 0; i < 24; i++)
        CHECK(v[i] == i + 1);
}

TEST_CASE("rules: without the rules scheduler loaded, one line says how to load it", "[host][rules]")
{
    require_root();
    Run r = run("MPTCP_SCHED_PIN_ROOT=/tmp/ms-none-" + std::to_string(getpid()) + " " + cli +
                " rule list");
    CHECK(r.rc == 1);
    CHECK(r.err == "mptcp-sched: the rules scheduler is not loaded (`mptcp-sched load rules "
                   "--set` loads it and selects it for new connections)\n");
}

TEST_CASE("rules: del with a repeated id deletes it once", "[host][rules]")
{
    RuleMapsFixture f;
    REQUIRE(f.cli_run("rule add rr --dport 5001").rc == 0);
    REQUIRE(f.cli_run("rule add rr --dport 5002").rc == 0);
    Run r = f.cli_run("rule del 1 1");
    INFO(r.err);
    CHECK(r.rc == 0);
    CHECK(r.out == "deleted rule 1: dport 5001 -> roundrobin\n");
    CHECK(ids(f.list()) == std::vector<uint32_t>{2});
}

TEST_CASE("rules: a rule added during a reload lands in the new table", "[host][rules]")
{
    RuleMapsFixture f;
    // Hold the lock a reload holds (load/unload of ms_rules take it).
    UniqueFdForTest lock(::open("/run/mptcp-sched-rules.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(lock.fd >= 0);
    REQUIRE(::flock(lock.fd, LOCK_EX) == 0);
    const std::string out = "/tmp/ms-rules-reload-" + std::to_string(getpid());
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(lock.fd);
        const std::string c = f.env + cli + " rule add rr --dport 5001 >" + out + " 2>&1";
        _exit(WEXITSTATUS(std::system(c.c_str())));
    }
    // It blocks on the lock (a blocked flock shows as "->" in /proc/locks).
    REQUIRE(wait_until(30, [] { return slurp("/proc/locks").find("-> FLOCK") != std::string::npos; }));
    // The "reload": the old maps go, new ones are pinned in their place.
    REQUIRE(::unlink((f.mnt + "/ms/ms_rules/ms_rules").c_str()) == 0);
    REQUIRE(::unlink((f.mnt + "/ms/ms_rules/ms_rules_cfg").c_str()) == 0);
    const int old_rules = f.rules, old_cfg = f.cfg;
    f.rules = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_rules", 4, sizeof(ms_rule), 2 * MS_MAX_RULES, nullptr);
    f.cfg = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_rules_cfg", 4, sizeof(ms_rules_cfg), 1, nullptr);
    REQUIRE(bpf_obj_pin(f.rules, (f.mnt + "/ms/ms_rules/ms_rules").c_str()) == 0);
    REQUIRE(bpf_obj_pin(f.cfg, (f.mnt + "/ms/ms_rules/ms_rules_cfg").c_str()) == 0);
    ::flock(lock.fd, LOCK_UN);
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    INFO(slurp(out));
    std::remove(out.c_str());
    CHECK(WEXITSTATUS(st) == 0);
    // In the table that is loaded now, not in the one that went away.
    CHECK(f.config().count[f.config().active & 1] == 1);
    CHECK(f.list()["rules"].size() == 1);
    ms_rules_cfg oldc{};
    uint32_t zero = 0;
    bpf_map_lookup_elem(old_cfg, &zero, &oldc);
    CHECK(oldc.count[0] + oldc.count[1] == 0);
    close(old_rules);
    close(old_cfg);
}

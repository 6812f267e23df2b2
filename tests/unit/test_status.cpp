// SPDX-License-Identifier: GPL-2.0
#include <catch2/catch_test_macros.hpp>
#include <nlohmann/json.hpp>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/diag/status.h"

using namespace mptcp_sched;

TEST_CASE("capabilities parse from CapEff", "[status]")
{
    auto root = parse_cap_eff("000001ffffffffff", 0);
    REQUIRE(root);
    CHECK(root->cap_bpf);
    CHECK(root->cap_net_admin);
    CHECK(root->can_load());

    auto none = parse_cap_eff("0000000000000000", 1000);
    REQUIRE(none);
    CHECK_FALSE(none->cap_bpf);
    CHECK_FALSE(none->can_load());
    CHECK(none->euid == 1000);

    // CAP_BPF (39) + CAP_NET_ADMIN (12) only.
    auto bpf_only = parse_cap_eff("0000008000001000", 1000);
    REQUIRE(bpf_only);
    CHECK(bpf_only->cap_bpf);
    CHECK(bpf_only->cap_net_admin);
    CHECK_FALSE(bpf_only->cap_sys_admin);
    CHECK(bpf_only->can_load());

    CHECK_FALSE(parse_cap_eff("xyz", 0));
    CHECK_FALSE(parse_cap_eff("", 0));
}

static KernelStatus sample(bool supported)
{
    KernelStatus st;
    st.release = "7.3.4";
    st.ns.mptcp_enabled = true;
    st.ns.scheduler = "default";
    st.ns.available_schedulers = {"default", "ms_rr"};
    st.ns.path_manager = "kernel";
    st.ns.limits = PmLimits{2, 1};
    st.ns.endpoints = 3;
    BpfSchedProbe p;
    p.btf_source = "/sys/kernel/btf/vmlinux";
    p.items.push_back({kStructOpsValueType, "struct_ops", supported, "x"});
    p.items.push_back({"mptcp_wnd_end", "kfunc", true, "y"});
    st.bpf = p;
    return st;
}

TEST_CASE("status JSON has a stable shape", "[status][json]")
{
    auto j = to_json(sample(false));
    CHECK(j["kernel_release"] == "7.3.4");
    CHECK(j["netns"]["mptcp_enabled"] == true);
    CHECK(j["netns"]["netns"].is_null());
    CHECK(j["netns"]["scheduler"] == "default");
    CHECK(j["netns"]["available_schedulers"].size() == 2);
    CHECK(j["netns"]["limits"]["subflows"] == 2);
    CHECK(j["netns"]["limits"]["add_addr_accepted"] == 1);
    CHECK(j["netns"]["endpoints"] == 3);
    CHECK(j["bpf_scheduler_interface"]["supported"] == false);
    CHECK(j["bpf_scheduler_interface"]["missing"] ==
          nlohmann::json::array({kStructOpsValueType}));
    CHECK(j["bpf_scheduler_interface"]["pieces"].size() == 2);
    CHECK(j["bpf_scheduler_interface"]["pieces"][0]["kind"] == "struct_ops");
    CHECK(j["privileges"].contains("can_load_schedulers"));
    CHECK(j.contains("bpffs_mounted"));
    CHECK(j.contains("bpf_stats_enabled"));

    CHECK(to_json(sample(true))["bpf_scheduler_interface"]["supported"] == true);
}

TEST_CASE("status JSON marks unreadable parts null, not zero", "[status][json]")
{
    KernelStatus st;
    st.bpf_error = "failed to read BTF from /sys/kernel/btf/vmlinux: no such file";
    auto j = to_json(st);
    CHECK(j["netns"]["mptcp_enabled"].is_null());
    CHECK(j["netns"]["limits"].is_null());
    CHECK(j["netns"]["endpoints"].is_null());
    CHECK(j["bpf_scheduler_interface"]["supported"] == false);
    CHECK(j["bpf_scheduler_interface"]["error"] == st.bpf_error);
}

TEST_CASE("status table names the missing piece", "[status]")
{
    const std::string t = render_status(sample(false));
    CHECK(t.find("BPF scheduler interface: MISSING") != std::string::npos);
    CHECK(t.find("missing " + std::string(kStructOpsValueType)) != std::string::npos);
    CHECK(t.find("subflows 2, add_addr_accepted 1") != std::string::npos);
    CHECK(render_status(sample(true)).find("BPF scheduler interface: supported") !=
          std::string::npos);
}

TEST_CASE("fallback counters: the non-zero ones that mean plain TCP", "[status][doctor]")
{
    const std::map<std::string, uint64_t> mibs = {
        {"MPCapableSYNTX", 100},          {"MPCapableFallbackACK", 2},
        {"MPCapableFallbackSYNACK", 0},   {"MPCapableSYNTXDrop", 3},
        {"MPCapableSYNTXDisabled", 4},    {"Blackhole", 1},
        {"MPFallbackTokenInit", 5},       {"OFOQueue", 7},
        {"SchedFallback", 9}};   // a BPF scheduler's turn taken by the default: not TCP
    const auto f = fallback_mibs(mibs);
    CHECK(f == std::map<std::string, uint64_t>{{"MPCapableFallbackACK", 2},
                                               {"MPCapableSYNTXDrop", 3},
                                               {"MPCapableSYNTXDisabled", 4},
                                               {"Blackhole", 1},
                                               {"MPFallbackTokenInit", 5}});
    CHECK(fallback_mibs({}).empty());
}

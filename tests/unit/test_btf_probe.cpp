// SPDX-License-Identifier: GPL-2.0
#include <catch2/catch_test_macros.hpp>
#include <filesystem>

#include "mptcp_sched/sched/btf_probe.h"

using namespace mptcp_sched;

static const ProbeItem* item(const BpfSchedProbe& p, const std::string& name)
{
    for (const auto& it : p.items)
        if (it.name == name)
            return &it;
    return nullptr;
}

TEST_CASE("probe: a kernel with the full interface is supported", "[btf]")
{
    auto p = probe_btf_file(FIXTURE_DIR "/btf_full.o");
    REQUIRE(p);
    CHECK(p->kfunc_tags);
    CHECK(p->missing().empty());
    CHECK(p->supported());
    // struct_ops registration + ops type + iterator type + every kfunc, each reported.
    CHECK(p->items.size() == 3 + required_kfuncs().size() + optional_kfuncs().size());
    for (const auto& k : required_kfuncs()) {
        const ProbeItem* it = item(*p, k);
        REQUIRE(it);
        CHECK(it->present);
        CHECK(it->kind == "kfunc");
        CHECK_FALSE(it->optional);
    }
    for (const auto& k : optional_kfuncs()) {
        const ProbeItem* it = item(*p, k.name);
        REQUIRE(it);
        CHECK(it->present);
        CHECK(it->optional);
        CHECK(it->detail == std::string("optional: ") + k.gives);
    }
}

TEST_CASE("probe: a mainline-like kernel is unsupported, piece by piece", "[btf]")
{
    auto p = probe_btf_file(FIXTURE_DIR "/btf_partial.o");
    REQUIRE(p);
    CHECK_FALSE(p->supported());
    const auto missing = p->missing();
    CHECK(missing.front() == kStructOpsValueType);
    const ProbeItem* reg = item(*p, kStructOpsValueType);
    REQUIRE(reg);
    CHECK(reg->detail.find("lacks struct_ops mptcp_sched_ops") != std::string::npos);
    // The framework type itself exists (mainline has it).
    CHECK(item(*p, "mptcp_sched_ops")->present);
    // Plain functions in mainline, untagged while other kfuncs are tagged: not kfuncs.
    CHECK(p->kfunc_tags);
    CHECK_FALSE(item(*p, "mptcp_subflow_active")->present);
    CHECK(item(*p, "mptcp_subflow_active")->detail == "function exists but is not a kfunc");
    CHECK_FALSE(item(*p, "bpf_iter_mptcp_subflow_new")->present);
    CHECK(item(*p, "bpf_mptcp_subflow_ctx")->detail == "not in kernel BTF");
    CHECK(missing.size() == 3 + required_kfuncs().size() - 1);  // all but mptcp_sched_ops
    // An optional kfunc that is absent is reported, and is not what makes it unsupported.
    const ProbeItem* opt = item(*p, optional_kfuncs().front().name);
    REQUIRE(opt);
    CHECK_FALSE(opt->present);
    CHECK(opt->detail == std::string("optional: ") + optional_kfuncs().front().without);
    for (const auto& m : missing)
        CHECK(m != opt->name);
}

TEST_CASE("probe: an absent optional kfunc alone leaves the interface supported", "[btf]")
{
    auto p = probe_btf_file(FIXTURE_DIR "/btf_full.o");
    REQUIRE(p);
    for (auto& it : p->items)
        if (it.optional)
            it.present = false;
    CHECK(p->supported());
    CHECK(p->missing().empty());
}

TEST_CASE("probe: without bpf_kfunc tags, kfuncs are recognised by name", "[btf]")
{
    auto p = probe_btf_file(FIXTURE_DIR "/btf_notags.o");
    REQUIRE(p);
    CHECK_FALSE(p->kfunc_tags);
    CHECK(p->supported());
    CHECK(item(*p, "mptcp_wnd_end")->detail.find("no bpf_kfunc tags") != std::string::npos);
    // ... the optional one too, and its detail says both what it gives and how it was found
    const ProbeItem* opt = item(*p, optional_kfuncs().front().name);
    REQUIRE(opt);
    CHECK(opt->present);
    CHECK(opt->detail.find(optional_kfuncs().front().gives) != std::string::npos);
    CHECK(opt->detail.find("no bpf_kfunc tags") != std::string::npos);
}

TEST_CASE("probe: missing or unreadable BTF is an error that says so", "[btf]")
{
    auto p = probe_btf_file("/nonexistent/vmlinux");
    REQUIRE_FALSE(p);
    CHECK(p.error().code == ENOENT);
    CHECK(p.error().message.find("failed to read BTF from /nonexistent/vmlinux") == 0);

    auto q = probe_btf_file(SOURCE_DIR "/CMakeLists.txt");
    REQUIRE_FALSE(q);
    CHECK(q.error().message.find("failed to read BTF") == 0);
}

TEST_CASE("probe: the running kernel's BTF, when present, parses", "[btf][host-btf]")
{
    if (!std::filesystem::exists("/sys/kernel/btf/vmlinux"))
        SKIP("no /sys/kernel/btf/vmlinux on this machine");
    auto p = probe_running_kernel();
    REQUIRE(p);
    // Any MPTCP kernel >= 6.8 has the framework type; report the verdict either way.
    const ProbeItem* ops = item(*p, "mptcp_sched_ops");
    REQUIRE(ops);
    INFO("running kernel: supported=" << p->supported() << " missing=" << p->missing().size());
    CHECK(p->items.size() == 3 + required_kfuncs().size() + optional_kfuncs().size());
}

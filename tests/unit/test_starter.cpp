// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched new`: names, files, and never overwriting; the SDK's map names.
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "mptcp_sched/sched/schedulers.h"
#include "mptcp_sched/sched/starter.h"
#include "mptcp_sched/sched_abi.h"

using namespace mptcp_sched;
namespace fs = std::filesystem;

TEST_CASE("starter names: letters, digits and _, not leading digit, at most 15", "[starter]")
{
    CHECK(check_starter_name("my_sched"));
    CHECK(check_starter_name("_x1"));
    CHECK(check_starter_name("abcdefghijklmno"));
    for (const char* bad : {"", "my-sched", "a.b", "../x", "a b", "1st", "abcdefghijklmnop", "é"}) {
        INFO(bad);
        auto r = check_starter_name(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.rfind("failed to create scheduler '", 0) == 0);
    }
}

TEST_CASE("starter files name the scheduler and the prefix", "[starter]")
{
    auto f = starter_files("lowrtt", "/opt/ms");
    REQUIRE(f);
    REQUIRE(f->size() == 3);
    CHECK((*f)[0].name == "lowrtt.bpf.c");
    CHECK((*f)[1].name == "Makefile");
    CHECK((*f)[2].name == "CMakeLists.txt");
    const std::string& src = (*f)[0].content;
    CHECK(src.find(".name\t\t= \"lowrtt\"") != std::string::npos);
    CHECK(src.find("#include <mptcp_sched/bpf/stats_impl.bpf.h>") != std::string::npos);
    CHECK(src.find("char _license[] SEC(\"license\") = \"GPL\";") != std::string::npos);
    CHECK(src.find("@NAME@") == std::string::npos);
    CHECK((*f)[1].content.find("MPTCP_SCHED_PREFIX ?= /opt/ms\n") != std::string::npos);
    CHECK((*f)[2].content.find("mptcp_sched_add_bpf_scheduler(lowrtt ") != std::string::npos);
    CHECK_FALSE(starter_files("no-dash", "/p"));
}

TEST_CASE("the starter is never written over existing files", "[starter]")
{
    const fs::path dir = fs::temp_directory_path() / ("ms-starter-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    auto f = starter_files("s1", "/p");
    REQUIRE(f);
    auto w = write_starter(dir.string(), *f);
    REQUIRE(w);
    CHECK(w->size() == 3);
    CHECK(fs::exists(dir / "s1.bpf.c"));
    // A second time: refused, and the user's edit survives.
    { std::ofstream(dir / "s1.bpf.c") << "mine"; }
    fs::remove(dir / "Makefile");
    auto again = write_starter(dir.string(), *f);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == EEXIST);
    CHECK(again.error().message.find("s1.bpf.c exists") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "Makefile"));   // nothing written when one file exists
    std::ifstream in(dir / "s1.bpf.c");
    std::string s((std::istreambuf_iterator<char>(in)), {});
    CHECK(s == "mine");
    fs::remove_all(dir);
}

TEST_CASE("built-in schedulers define the statistics maps under sched_abi.h's names", "[starter]")
{
    for (const auto& s : builtin_schedulers()) {
        INFO(s.name);
        std::unique_ptr<bpf_object, decltype(&bpf_object__close)> obj(
            bpf_object__open_mem(s.object.data(), s.object.size(), nullptr), bpf_object__close);
        REQUIRE(obj);
        struct bpf_map* st = bpf_object__find_map_by_name(obj.get(), MS_PIN_CONN_STATE);
        struct bpf_map* cnt = bpf_object__find_map_by_name(obj.get(), MS_PIN_COUNTERS);
        REQUIRE(st);
        REQUIRE(cnt);
        CHECK(bpf_map__type(st) == BPF_MAP_TYPE_SK_STORAGE);
        CHECK(bpf_map__value_size(st) == sizeof(ms_conn_state));
        CHECK(bpf_map__type(cnt) == BPF_MAP_TYPE_PERCPU_ARRAY);
        CHECK(bpf_map__max_entries(cnt) == MS_CNT_NR);
        const bool rules = s.name == "ms_rules";
        CHECK((bpf_object__find_map_by_name(obj.get(), MS_PIN_RULES) != nullptr) == rules);
        CHECK((bpf_object__find_map_by_name(obj.get(), MS_PIN_RULES_CFG) != nullptr) == rules);
    }
}

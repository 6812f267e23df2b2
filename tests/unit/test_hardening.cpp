// SPDX-License-Identifier: GPL-2.0
// Hostile input that needs no privileges: names that would leave the pin root, files that
// are not files, echoed text with control characters, tunables that are not tunables.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "mptcp_sched/base/file.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/path/path.h"
#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/sched/schedulers.h"
#include "mptcp_sched/base/text.h"

using namespace mptcp_sched;
namespace fs = std::filesystem;

TEST_CASE("scheduler names cannot leave the pin root", "[hardening]")
{
    CHECK(valid_scheduler_name("ms_rr"));
    CHECK(valid_scheduler_name("ms_test_okwr"));
    CHECK(valid_scheduler_name("a.b"));
    CHECK(valid_scheduler_name(std::string(kSchedNameMax, 'x')));
    for (const std::string bad : {"", ".", "..", "../victim", "/", "a/b", "ms rr", "x\xff",
                                  "a\nb"})
        CHECK_FALSE(valid_scheduler_name(bad));
    CHECK_FALSE(valid_scheduler_name(std::string("a\0b", 3)));
    CHECK_FALSE(valid_scheduler_name(std::string(kSchedNameMax + 1, 'x')));
    CHECK_FALSE(valid_scheduler_name(std::string(300, 'x')));
}

TEST_CASE("echoed text has its control characters and invalid UTF-8 escaped", "[hardening]")
{
    CHECK(printable("plain text/ok") == "plain text/ok");
    CHECK(printable("a\nb") == "a\\x0ab");
    CHECK(printable("\x1b[2J") == "\\x1b[2J");
    CHECK(printable("x\xff") == "x\\xff");
    CHECK(printable("\x7f") == "\\x7f");
    CHECK(printable("back\\slash") == "back\\\\slash");
    CHECK(printable("caf\xc3\xa9") == "caf\xc3\xa9");        // valid UTF-8 stays
    CHECK(printable("\xc2\x9b" "31m") == "\\xc2\\x9b31m");   // C1 CSI
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");   // a UTF-16 surrogate
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");            // overlong '/'
}

TEST_CASE("shell_quote makes one inert word", "[hardening]")
{
    CHECK(shell_quote("client") == "client");
    CHECK(shell_quote("10.0.0.1/24") == "10.0.0.1/24");
    CHECK(shell_quote("a;b") == "'a;b'");
    CHECK(shell_quote("$(reboot)") == "'$(reboot)'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("") == "''");
    // What a shell makes of it is the original string.
    const std::string nasty = "a'b;c $(d) `e` \"f\"\n";
    const std::string out = "/tmp/ms-quote-" + std::to_string(getpid());
    const std::string cmd = "printf %s " + shell_quote(nasty) + " > " + out;
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(out);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(out);
    CHECK(got == nasty);
}

TEST_CASE("files named by users must be regular files of bounded size", "[hardening]")
{
    const std::string dir = "/tmp/ms-files-" + std::to_string(getpid());
    fs::create_directories(dir);
    const std::string fifo = dir + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    {
        std::ofstream(dir + "/small") << "0123456789";
    }
    auto r = read_regular_file(dir + "/small", 100, "failed to read small");
    REQUIRE(r);
    CHECK(*r == "0123456789");

    // A FIFO without a writer would block a plain open/read forever.
    auto f = read_regular_file(fifo, 100, "failed to read fifo");
    REQUIRE_FALSE(f);
    CHECK(f.error().message == "failed to read fifo: not a regular file");
    auto d = read_regular_file(dir, 100, "failed to read dir");
    REQUIRE_FALSE(d);
    CHECK(d.error().message == "failed to read dir: not a regular file");
    auto z = read_regular_file("/dev/zero", 100, "failed to read zero");
    REQUIRE_FALSE(z);
    CHECK(z.error().message == "failed to read zero: not a regular file");
    auto big = read_regular_file(dir + "/small", 5, "failed to read small");
    REQUIRE_FALSE(big);
    CHECK(big.error().message.find("too large") != std::string::npos);

    // Writes do not follow a symlink planted where the file goes.
    fs::create_symlink(dir + "/small", dir + "/link");
    auto w = write_file(dir + "/link", "x", "failed to write link");
    REQUIRE_FALSE(w);
    std::ifstream in(dir + "/small");
    std::string still;
    in >> still;
    CHECK(still == "0123456789");
    REQUIRE(write_file(dir + "/new", "hello", "failed to write new"));
    CHECK(fs::file_size(dir + "/new") == 5);
    fs::remove_all(dir);

    CHECK(is_plain_file_name("equal"));
    CHECK_FALSE(is_plain_file_name("../../x"));
    CHECK_FALSE(is_plain_file_name(".."));
    CHECK_FALSE(is_plain_file_name(""));
}

TEST_CASE("tunables are the const volatile scalars the object itself reads", "[hardening]")
{
    auto tun = [](const char* alias) {
        std::set<std::string> out;
        auto info = inspect_object(find_builtin(alias)->object, alias);
        REQUIRE(info);
        out.insert(info->tunables.begin(), info->tunables.end());
        return out;
    };
    CHECK(tun("rr") == std::set<std::string>{"ms_stats_enabled", "rr_quantum"});
    CHECK(tun("rules") ==
          std::set<std::string>{"ms_stats_enabled", "rr_quantum", "blest_lambda_pct",
                                "interactive_tail_segs"});
    CHECK(tun("interactive") == std::set<std::string>{"ms_stats_enabled", "interactive_tail_segs"});
    CHECK(tun("blest") == std::set<std::string>{"ms_stats_enabled", "blest_lambda_pct"});
    // Defined by the shared policies header, but these never read it.
    for (const char* s : {"minrtt", "redundant", "backup"}) {
        INFO(s);
        CHECK(tun(s) == std::set<std::string>{"ms_stats_enabled"});
    }
    // A static 12-byte array in .rodata is no tunable.
    CHECK(tun("rules").count("ms_v4mapped") == 0);
}

TEST_CASE("per-source routing tables never wrap or land on the kernel's", "[hardening]")
{
    CHECK(route_table_for(100, 2).value() == 102);
    CHECK(route_table_for(0, 1).value() == 1);
    CHECK(route_table_for(4294967290u, 5).value() == 4294967295u);
    for (auto [base, ifindex] : std::vector<std::pair<uint32_t, int>>{
             {252, 1}, {252, 2}, {252, 3}, {250, 5}, {4294967295u, 1}, {4294967290u, 6}}) {
        INFO(base << " + " << ifindex);
        auto t = route_table_for(base, ifindex);
        REQUIRE_FALSE(t);
        CHECK(t.error().message.rfind("failed to plan routes: --table-base ", 0) == 0);
    }
}

TEST_CASE("scenario files of the wrong shape are errors, never exceptions", "[hardening]")
{
    auto parse = [](const char* text) {
        auto j = parse_json(text, "t");
        REQUIRE(j);
        return parse_scenario(*j);
    };
    const char* bad[] = {
        R"({"name":"x","paths":[{}],"description":5})",
        R"({"name":"x","paths":[{}],"workload":5})",
        R"({"name":"x","paths":[{}],"workload":{"type":5}})",
        R"({"name":"x","paths":[{}],"events":[5]})",
        R"({"name":"x","paths":[{}],"events":[{"at_s":1,"path":0,"action":5}]})",
        R"({"name":"x","paths":[{}],"workload":{"type":"rr","requests":2.5}})",
        R"({"name":"x","paths":[{}],"workload":{"type":"rr","response_bytes":1e3,"request_bytes":0.5}})",
        R"({"name":"x","paths":[{},{}],"events":[{"at_s":1,"path":0.5,"action":"down"}]})",
        R"({"name":"x","paths":[{},{}],"events":[{"at_s":3,"path":0,"action":"down"},{"at_s":1,"path":0,"action":"up"}]})",
    };
    for (const char* b : bad) {
        INFO(b);
        CHECK_FALSE(parse(b));
    }
    CHECK(parse(R"({"name":"x","paths":[{}],"workload":{"type":"rr","requests":3}})"));
    CHECK(parse(R"({"name":"x","paths":[{},{}],"events":[{"at_s":1,"path":0,"action":"down"},{"at_s":1,"path":0,"action":"up"}]})"));
}

TEST_CASE("JSON nesting is capped before the recursive parser sees it", "[hardening]")
{
    CHECK_FALSE(parse_json(std::string(70000, '['), "deep"));
    CHECK(parse_json(std::string(60, '[') + std::string(60, ']'), "ok"));
    CHECK_FALSE(parse_json(std::string(65, '{'), "deep"));
    // Brackets inside strings do not count.
    CHECK(parse_json("[\"" + std::string(1000, '[') + "\"]", "str"));
    auto e = parse_json(std::string(100, '['), "f.json");
    REQUIRE_FALSE(e);
    CHECK(e.error().message == "f.json: nested deeper than 64 levels");
}

TEST_CASE("JSON output of non-UTF-8 names does not throw", "[hardening]")
{
    nlohmann::json j = {{"netns", "x\xff"}};
    CHECK_THROWS(j.dump());
    CHECK(dump_json(j) == "{\"netns\":\"x\xef\xbf\xbd\"}");
}

TEST_CASE("a missing key in a const JSON document throws instead of undefined behaviour", "[hardening]")
{
    const nlohmann::json j = nlohmann::json::object();
    CHECK_THROWS_AS(j["missing"], std::out_of_range);
}

// SPDX-License-Identifier: GPL-2.0
// The pin root on a private bpffs (mode 1777, as a plain `mount -t bpf` makes it): names
// that would leave it, a root someone else owns or can write, symbolic links, and unload
// removing only the pins mptcp-sched makes. Loading a scheduler needs the VM kernel; none
// of this does.
#include <bpf/bpf.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <filesystem>

#include "host_util.h"

namespace fs = std::filesystem;

namespace {

struct Bpffs {
    std::string mnt = "/tmp/ms-pins-bpffs-" + std::to_string(getpid());
    std::string root = mnt + "/mptcp-sched";
    std::string env = "MPTCP_SCHED_PIN_ROOT=" + root + " ";

    Bpffs()
    {
        require_root();
        fs::create_directories(mnt);
        REQUIRE(::mount("bpf", mnt.c_str(), "bpf", 0, nullptr) == 0);
        struct stat st {};
        REQUIRE(::stat(mnt.c_str(), &st) == 0);
        REQUIRE((st.st_mode & 01777) == 01777);   // what users get from a plain mount
    }
    ~Bpffs()
    {
        ::umount2(mnt.c_str(), MNT_DETACH);
        fs::remove(mnt);
    }
    Run cli_run(const std::string& args) const { return run(env + cli + " " + args); }
    // A map pinned at @path, like the loader's pins.
    static void pin_map(const std::string& path)
    {
        int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ms_test", 4, 8, 1, nullptr);
        REQUIRE(fd >= 0);
        REQUIRE(bpf_obj_pin(fd, path.c_str()) == 0);
        close(fd);
    }
};

bool one_line(const Run& r, const std::string& want)
{
    INFO("rc " << r.rc << " stderr: " << r.err);
    return r.rc == 1 && std::count(r.err.begin(), r.err.end(), '\n') == 1 &&
           r.err.find(want) != std::string::npos;
}

}  // namespace

TEST_CASE("unload never leaves the pin root", "[host][pins]")
{
    Bpffs b;
    fs::create_directory(b.root);
    ::chmod(b.root.c_str(), 0700);
    // Another tool's pins beside ours, and one of ours.
    fs::create_directory(b.mnt + "/victim");
    Bpffs::pin_map(b.mnt + "/victim/their_map");
    Bpffs::pin_map(b.mnt + "/other_tool_map");
    fs::create_directory(b.root + "/ms_x");
    Bpffs::pin_map(b.root + "/ms_x/ms_conn_state");

    for (const std::string& name : std::vector<std::string>{"../victim", "..", "", "/", "ms_x/..", "ms_x/ms_conn_state",
                                    std::string(300, 'a')}) {
        INFO("unload '" << name << "'");
        Run r = b.cli_run("unload '" + name + "'");
        CHECK(one_line(r, "failed to unload"));
        CHECK(r.err.find("terminate") == std::string::npos);
    }
    CHECK(fs::exists(b.mnt + "/victim/their_map"));
    CHECK(fs::exists(b.mnt + "/other_tool_map"));
    CHECK(fs::exists(b.root + "/ms_x/ms_conn_state"));

    // A name that is valid but not loaded lists what is.
    Run nl = b.cli_run("unload ms_nosuch");
    CHECK(one_line(nl, "not loaded by mptcp-sched (loaded: ms_x)"));
}

TEST_CASE("unload removes only the pins mptcp-sched makes", "[host][pins]")
{
    Bpffs b;
    fs::create_directory(b.root);
    ::chmod(b.root.c_str(), 0700);
    fs::create_directory(b.root + "/ms_x");
    Bpffs::pin_map(b.root + "/ms_x/ms_conn_state");
    Bpffs::pin_map(b.root + "/ms_x/ms_counters");
    Bpffs::pin_map(b.root + "/ms_x/not_ours");

    Run r = b.cli_run("unload ms_x");
    CHECK(one_line(r, "failed to unload ms_x"));
    CHECK(r.err.find("not empty") != std::string::npos);
    CHECK_FALSE(fs::exists(b.root + "/ms_x/ms_conn_state"));
    CHECK_FALSE(fs::exists(b.root + "/ms_x/ms_counters"));
    CHECK(fs::exists(b.root + "/ms_x/not_ours"));   // never remove_all

    fs::remove(b.root + "/ms_x/not_ours");
    Bpffs::pin_map(b.root + "/ms_x/ms_conn_state");
    Run ok = b.cli_run("unload ms_x");
    INFO(ok.err);
    CHECK(ok.rc == 0);
    CHECK_FALSE(fs::exists(b.root + "/ms_x"));
}

TEST_CASE("a pin root someone else can change is refused", "[host][pins]")
{
    Bpffs b;
    SECTION("made by another user, who planted a scheduler in it")
    {
        fs::create_directory(b.root);
        fs::create_directory(b.root + "/ms_rr");
        REQUIRE(::chown(b.root.c_str(), 65534, 65534) == 0);
        REQUIRE(::chown((b.root + "/ms_rr").c_str(), 65534, 65534) == 0);
        CHECK(one_line(b.cli_run("list"), "failed to use the pin root " + b.root + ": owned by uid 65534"));
        CHECK(one_line(b.cli_run("unload rr"), "failed to use the pin root"));
        CHECK(one_line(b.cli_run("load rr"), "failed to use the pin root"));
        CHECK(one_line(b.cli_run("stats"), "failed to use the pin root"));
        CHECK(one_line(b.cli_run("rule list"), "failed to use the pin root"));
        CHECK(fs::exists(b.root + "/ms_rr"));
    }
    SECTION("writable by others")
    {
        fs::create_directory(b.root);
        REQUIRE(::chmod(b.root.c_str(), 01777) == 0);
        CHECK(one_line(b.cli_run("list"), "writable by group or others (mode 1777)"));
        CHECK(one_line(b.cli_run("load rr"), "failed to use the pin root"));
    }
    SECTION("a symbolic link to a user's directory")
    {
        const std::string user_dir = "/tmp/ms-pins-user-" + std::to_string(getpid());
        fs::create_directories(user_dir + "/ms_rr");
        std::ofstream(user_dir + "/ms_rr/link") << "precious";
        fs::create_symlink(user_dir, b.root);
        CHECK(one_line(b.cli_run("unload rr"), "is a symbolic link"));
        CHECK(one_line(b.cli_run("list"), "is a symbolic link"));
        CHECK(fs::exists(user_dir + "/ms_rr/link"));
        fs::remove_all(user_dir);
    }
    SECTION("a symbolic link above it")
    {
        fs::create_directory(b.mnt + "/real");
        fs::create_directory(b.mnt + "/real/mptcp-sched", b.mnt);
        ::chmod((b.mnt + "/real/mptcp-sched").c_str(), 0700);
        fs::create_symlink(b.mnt + "/real", b.mnt + "/alias");
        Run r = run("MPTCP_SCHED_PIN_ROOT=" + b.mnt + "/alias/mptcp-sched " + cli + " list");
        CHECK(one_line(r, b.mnt + "/alias is a symbolic link"));
    }
    SECTION("not on bpffs")
    {
        const std::string tmp = "/tmp/ms-pins-tmpfs-" + std::to_string(getpid());
        fs::create_directories(tmp);
        ::chmod(tmp.c_str(), 0700);
        Run r = run("MPTCP_SCHED_PIN_ROOT=" + tmp + " " + cli + " list");
        CHECK(one_line(r, "not on a BPF filesystem"));
        fs::remove_all(tmp);
    }
    SECTION("relative")
    {
        Run r = run("MPTCP_SCHED_PIN_ROOT=relative/dir " + cli + " list");
        CHECK(one_line(r, "not an absolute directory path"));
    }
}

TEST_CASE("load creates the pin root 0700; a safe root lists fine", "[host][pins]")
{
    Bpffs b;
    Run l0 = b.cli_run("list --json");
    CHECK(l0.rc == 0);   // no root yet: nothing loaded
    // The load itself fails on the host kernel (no struct_ops); the root it made is ours.
    Run ld = b.cli_run("load rr");
    CHECK(ld.rc == 1);
    struct stat st {};
    REQUIRE(::lstat(b.root.c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(st.st_uid == 0);
    CHECK(b.cli_run("list").rc == 0);
}

TEST_CASE("only real tunables can be set", "[host][pins]")
{
    Bpffs b;
    // Reaches set_tunables on any kernel: the object is opened before it is loaded.
    Run r = b.cli_run("load rules --ms_v4mapped=1");
    CHECK(one_line(r, "failed to set tunable 'ms_v4mapped': rules has only ms_stats_enabled, rr_quantum"));
    Run m = b.cli_run("load minrtt --rr_quantum=1");
    CHECK(one_line(m, "minrtt has only ms_stats_enabled"));
}

// SPDX-License-Identifier: GPL-2.0
// What keeps `mptcp-sched bench` from hurting anyone: one bench at a time (a lock), a
// record of everything it changes (/run/mptcp-sched-bench.json, rewritten before each
// change), and `bench --cleanup`, which undoes a killed run from that record. Network
// namespaces with the bench's names that the record does not list belong to someone else
// and are never deleted.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "mptcp_sched/bench/bench.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/json_util.h"
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/sysctl.h"

namespace mptcp_sched {

namespace {

const char* const kLock = "/run/mptcp-sched-bench.lock";
const char* const kState = "/run/mptcp-sched-bench.json";

bool netns_exists(const Paths& paths, const std::string& ns)
{
    return ::access((paths.netns_dir + "/" + ns).c_str(), F_OK) == 0;
}

Result<void> run_ip_netns_del(const std::string& ns)
{
    pid_t pid = ::fork();
    if (pid < 0)
        return fail_errno("failed to remove network namespace " + ns);
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0)
            ::dup2(null, 1);
        ::execlp("ip", "ip", "netns", "del", ns.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return fail_msg("failed to remove network namespace " + ns + ": ip netns del failed", EIO);
    return {};
}

}  // namespace

Result<BenchGuard> BenchGuard::take(const Paths& paths, const std::vector<std::string>& netns)
{
    BenchGuard g;
    g.lock_.reset(::open(kLock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!g.lock_)
        return fail_errno(std::string("failed to open the bench lock ") + kLock);
    if (::flock(g.lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        auto st = read_regular_file(kState, 1 << 20, "state");
        std::string pid;
        if (st)
            if (auto j = parse_json(*st, "state"); j && j->is_object() && (*j)["pid"].is_number())
                pid = " (pid " + std::to_string((*j)["pid"].get<long>()) + ")";
        return fail_msg("failed to start the bench: another bench" + pid +
                            " is running; wait for it or stop it", EBUSY);
    }
    if (::access(kState, F_OK) == 0)
        return fail_msg(std::string("failed to start the bench: a previous bench was killed "
                                    "before it cleaned up (") + kState +
                            "); `mptcp-sched bench --cleanup` undoes what it left",
                        EBUSY);
    for (const auto& ns : netns)
        if (netns_exists(paths, ns))
            return fail_msg("failed to start the bench: network namespace " + ns +
                                " exists and is not the bench's; remove or rename it (the bench "
                                "would replace it)", EEXIST);
    g.state_ = {{"pid", ::getpid()}, {"netns", netns}, {"loaded", nlohmann::json::array()}};
    if (auto r = g.save(); !r)
        return std::unexpected(r.error());
    g.active_ = true;
    return g;
}

Result<void> BenchGuard::save()
{
    const std::string tmp = std::string(kState) + ".tmp";
    if (auto r = write_file(tmp, dump_json(state_, 2) + "\n", "failed to write " + tmp); !r)
        return r;
    if (::rename(tmp.c_str(), kState) != 0)
        return fail_errno(std::string("failed to write ") + kState);
    return {};
}

Result<void> BenchGuard::loaded(const std::string& name)
{
    state_["loaded"].push_back(name);
    return save();
}

Result<void> BenchGuard::bpf_stats_was(const std::string& value)
{
    state_["bpf_stats_enabled_was"] = value;
    return save();
}

BenchGuard::~BenchGuard()
{
    // The run undid everything itself on the way out (its own guards ran before this one).
    if (active_)
        ::unlink(kState);
}

Result<std::vector<std::string>> bench_cleanup(const Paths& paths)
{
    std::vector<std::string> done;
    UniqueFd lock(::open(kLock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock)
        return fail_errno(std::string("failed to open the bench lock ") + kLock);
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        return fail_msg("failed to clean up after the bench: a bench is running (it cleans up "
                        "after itself)", EBUSY);
    if (::access(kState, F_OK) != 0)
        return done;
    auto text = read_regular_file(kState, 1 << 20, std::string("failed to read ") + kState);
    if (!text)
        return std::unexpected(text.error());
    auto j = parse_json(*text, kState);
    if (!j || !j->is_object())
        return fail_msg(std::string("failed to clean up after the bench: ") + kState +
                            " is not a bench record; look at it and remove it", EINVAL);
    auto strings = [&](const char* key) {
        std::vector<std::string> out;
        if (j->contains(key) && (*j)[key].is_array())
            for (const auto& v : (*j)[key])
                if (v.is_string())
                    out.push_back(v.get<std::string>());
        return out;
    };
    std::vector<std::string> errors;
    for (const auto& ns : strings("netns")) {
        if (!netns_exists(paths, ns))
            continue;
        if (auto r = run_ip_netns_del(ns); r)
            done.push_back("removed network namespace " + ns);
        else
            errors.push_back(r.error().message);
    }
    for (const auto& s : strings("loaded")) {
        auto r = unload_scheduler(paths, s);
        if (r)
            done.push_back("unloaded " + s);
        else if (r.error().code != ENOENT)
            errors.push_back(r.error().message);
    }
    if (j->contains("bpf_stats_enabled_was") && (*j)["bpf_stats_enabled_was"].is_string()) {
        const std::string v = (*j)["bpf_stats_enabled_was"].get<std::string>();
        if (v == "0" || v == "1") {
            if (auto w = write_sysctl(paths, "kernel.bpf_stats_enabled", v); w)
                done.push_back("kernel.bpf_stats_enabled back to " + v);
            else
                errors.push_back(w.error().message);
        }
    }
    if (!errors.empty())
        return fail_msg("failed to clean up after the bench: " + errors.front() +
                            (errors.size() > 1 ? " (and " + std::to_string(errors.size() - 1) +
                                                     " more)" : "") +
                            "; the record stays in " + kState, EIO);
    ::unlink(kState);
    return done;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/diag/run.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "mptcp_sched/base/cgroup.h"
#include "mptcp_sched/base/caps.h"
#include "mptcp_sched/base/fd.h"
#include "mptcpify.skel.h"


namespace mptcp_sched {

namespace {

struct SkelDeleter {
    void operator()(struct mptcpify* s) const { mptcpify__destroy(s); }
};

// Waits for @pid, passing on the stop requests of @stop meanwhile. The terminal sends its
// Ctrl-C to the whole foreground group, the command included (si_code SI_KERNEL); only a
// signal another process sent to us alone is passed on, so the command never gets it twice.
int wait_forwarding(pid_t pid, const StopToken& stop)
{
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    int st = 0;
    for (;;) {
        while (auto req = stop.take())
            if (req->sent_to_us)
                ::kill(pid, req->signo);
        const pid_t w = ::waitpid(pid, &st, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            return st;
        // Without a pidfd (kernels before 5.3) the child's end is looked for every 50 ms.
        struct pollfd fds[2] = {{stop.fd(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        (void)::poll(fds, 2, pidfd ? -1 : 50);
    }
}

// The reason a load or attach failed, in one line.
Error hook_error(int err)
{
    std::string why;
    if (err == EPERM || err == EACCES)
        why = "this kernel or sandbox refuses BPF tracing programs (fmod_ret); `mptcp-sched "
              "run` needs them";
    else if (err == ESRCH || err == ENOENT)
        why = "this kernel has no update_socket_protocol hook (Linux >= 6.6 with CONFIG_MPTCP "
              "and BTF)";
    else if (err == EOPNOTSUPP || err == 524 /* ENOTSUPP */)
        why = "this kernel cannot attach fmod_ret programs here (BPF trampolines: "
              "CONFIG_FUNCTION_TRACER / DYNAMIC_FTRACE_WITH_DIRECT_CALLS)";
    else
        why = std::strerror(err);
    return Error{err, "failed to attach the MPTCP hook on update_socket_protocol: " + why};
}

}  // namespace

Result<RunResult> run_with_mptcp(const RunOptions& o)
{
    if (o.argv.empty())
        return fail_msg("no command given (mptcp-sched run -- CMD [ARGS...])", EINVAL);
    auto priv = current_privileges();
    if (priv && !priv->can_load())
        return fail_msg("permission denied: `run` attaches a BPF program and moves the command "
                        "into a cgroup (needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)",
                        EPERM);

    // The cgroup's id goes into the program before it loads; a cgroup we create is removed
    // again on any failure, so nothing is left behind.
    RunResult res;
    CgroupRef cg;
    std::string created;
    if (!o.cgroup.empty()) {
        auto c = resolve_cgroup(o.cgroup);
        if (!c)
            return std::unexpected(c.error());
        cg = *c;
        if (cg.level == 0 && !o.all_processes)
            return fail_msg("failed to run with --cgroup " + o.cgroup + ": that is the root "
                            "cgroup, so every TCP socket of every process on the machine would "
                            "become MPTCP; add --all-processes if that is what you want", EINVAL);
    }

    std::unique_ptr<struct mptcpify, SkelDeleter> skel(mptcpify__open());
    if (!skel)
        return fail_errno("failed to open the mptcpify BPF object");
    const std::string root = cgroup2_root();
    if (o.cgroup.empty()) {
        if (root.empty())
            return fail_msg("no cgroup v2 filesystem is mounted (mount -t cgroup2 none "
                            "/sys/fs/cgroup)", ENOENT);
        created = root + "/mptcp-sched-run-" + std::to_string(getpid());
        if (::mkdir(created.c_str(), 0755) != 0)
            return fail_errno("failed to create the cgroup " + created);
        auto c = resolve_cgroup(created);
        if (!c) {
            ::rmdir(created.c_str());
            return std::unexpected(c.error());
        }
        cg = *c;
    }
    // Removes the cgroup we made on every way out (empty again once the command is gone).
    struct CgroupGuard {
        std::string path;
        ~CgroupGuard()
        {
            if (!path.empty())
                ::rmdir(path.c_str());
        }
    } guard{created};

    skel->rodata->target_cgroup_id = cg.id;
    skel->rodata->target_cgroup_level = cg.level;
    if (int err = mptcpify__load(skel.get()); err)
        return std::unexpected(hook_error(-err));
    if (int err = mptcpify__attach(skel.get()); err)
        return std::unexpected(hook_error(-err));
    res.cgroup = cg.path;
    const std::string procs_file = (created.empty() ? root + cg.path : created) + "/cgroup.procs";

    // A stop asked for before the command started (the caller blocks the stop signals from
    // its start): the command is not started, as if it had died of that signal at once.
    if (o.stop.requested()) {
        res.status = 128 + o.stop.signal();
        return res;
    }
    // Why the command could not be started comes back through this pipe (closed by a
    // successful exec), for the caller to show.
    int errpipe[2];
    if (::pipe2(errpipe, O_CLOEXEC) != 0)
        return fail_errno("failed to start the command");
    pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(errpipe[0]);
        ::close(errpipe[1]);
        return fail_errno("failed to start the command", err);
    }
    if (pid == 0) {
        ::close(errpipe[0]);
        o.stop.prepare_child();
        auto fail = [&](const std::string& why, int code) {
            (void)!::write(errpipe[1], why.data(), why.size());
            _exit(code);
        };
        std::ofstream p(procs_file);
        p << "0\n";
        p.flush();
        if (!p)
            fail("failed to move the command into " + procs_file, 126);
        std::vector<char*> args;
        for (const auto& a : o.argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        fail(std::string("cannot run ") + args[0] + ": " + std::strerror(errno), 127);
    }
    ::close(errpipe[1]);
    {
        char buf[512];
        ssize_t n;
        while ((n = ::read(errpipe[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
            if (n > 0)
                res.start_error.append(buf, static_cast<size_t>(n));
        ::close(errpipe[0]);
    }
    const int st = wait_forwarding(pid, o.stop);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    res.mptcpified = skel->bss->mptcpified;
    if (!created.empty()) {
        // The command may have left processes behind (daemons): then the cgroup stays.
        guard.path.clear();
        if (::rmdir(created.c_str()) != 0)
            res.cgroup_left = created + ": " + std::strerror(errno) +
                              (errno == EBUSY ? " (processes the command started still run in it)" : "");
    }
    return res;   // the skeleton detaches
}

}  // namespace mptcp_sched

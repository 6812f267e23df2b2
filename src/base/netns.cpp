// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/netns.h"

#include <fcntl.h>
#include <sched.h>

namespace mptcp_sched {

Result<std::unique_ptr<NetnsScope>> NetnsScope::enter(const Paths& paths, const std::string& name)
{
    if (name.empty())
        return std::unique_ptr<NetnsScope>(new NetnsScope("", UniqueFd()));
    if (name.find('/') != std::string::npos || name == "." || name == "..")
        return fail_msg("failed to enter netns '" + name + "': invalid name", EINVAL);

    UniqueFd orig(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!orig)
        return fail_errno("failed to open the current network namespace");
    const std::string path = paths.netns_dir + "/" + name;
    UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) {
        int err = errno;
        if (err == ENOENT)
            return fail_msg("failed to enter netns '" + name + "': no such network namespace "
                            "(" + path + " missing; see `ip netns list`)", err);
        return fail_errno("failed to open netns " + path, err);
    }
    if (::setns(target.get(), CLONE_NEWNET) < 0) {
        int err = errno;
        if (err == EPERM)
            return fail_msg("failed to enter netns '" + name + "': permission denied "
                            "(needs CAP_SYS_ADMIN; run as root)", err);
        return fail_errno("failed to enter netns '" + name + "'", err);
    }
    return std::unique_ptr<NetnsScope>(new NetnsScope(name, std::move(orig)));
}

NetnsScope::~NetnsScope()
{
    if (orig_)
        (void)::setns(orig_.get(), CLONE_NEWNET);
}

}  // namespace mptcp_sched

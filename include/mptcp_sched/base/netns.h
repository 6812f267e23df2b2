// SPDX-License-Identifier: GPL-2.0
// Running code inside a named network namespace (`ip netns` names, Paths::netns_dir/NAME).
// /proc/sys/net and sockets created while inside follow the namespace.
#pragma once

#include <memory>
#include <string>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

class NetnsScope {
public:
    // Enters NAME (under Paths::netns_dir) for the calling thread; an empty name stays where
    // we are. The previous namespace is restored when the scope ends.
    static Result<std::unique_ptr<NetnsScope>> enter(const Paths& paths, const std::string& name);
    ~NetnsScope();
    NetnsScope(const NetnsScope&) = delete;
    NetnsScope& operator=(const NetnsScope&) = delete;

    const std::string& name() const { return name_; }

private:
    NetnsScope(std::string name, UniqueFd orig) : name_(std::move(name)), orig_(std::move(orig)) {}
    std::string name_;
    UniqueFd orig_;
};

}  // namespace mptcp_sched

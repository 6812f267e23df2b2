// SPDX-License-Identifier: GPL-2.0
// Running code inside a named network namespace (`ip netns` names, /run/netns/NAME).
// /proc/sys/net and sockets created while inside follow the namespace.
#pragma once

#include <memory>
#include <string>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

class NetnsScope {
public:
    // Enters NAME for the calling thread; an empty name stays where we are. The previous
    // namespace is restored when the scope ends.
    static Result<std::unique_ptr<NetnsScope>> enter(const std::string& name);
    ~NetnsScope();
    NetnsScope(const NetnsScope&) = delete;
    NetnsScope& operator=(const NetnsScope&) = delete;

    const std::string& name() const { return name_; }

private:
    NetnsScope(std::string name, UniqueFd orig) : name_(std::move(name)), orig_(std::move(orig)) {}
    std::string name_;
    UniqueFd orig_;
};

// Directory holding named namespaces; tests may point it elsewhere.
std::string netns_dir();

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/paths.h"

#include <utility>

namespace mptcp_sched {

namespace {

Paths& current()
{
    static Paths p;
    return p;
}

}  // namespace

const Paths& paths()
{
    return current();
}

void set_paths(Paths p)
{
    current() = std::move(p);
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/bpffs.h"

#include <sys/statfs.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

namespace mptcp_sched {

bool is_bpffs(const std::string& dir)
{
    struct statfs sfs {};
    return statfs(dir.c_str(), &sfs) == 0 &&
           static_cast<unsigned long>(sfs.f_type) == BPF_FS_MAGIC;
}

}  // namespace mptcp_sched

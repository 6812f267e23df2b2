// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/bpffs.h"

#include <bpf/bpf.h>
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

Result<PinnedMap> open_pinned_map(const std::string& path)
{
    PinnedMap m;
    m.fd.reset(bpf_obj_get(path.c_str()));
    if (!m.fd)
        return fail_errno("failed to open pinned map " + path);
    __u32 len = sizeof(m.info);
    if (bpf_map_get_info_by_fd(m.fd.get(), &m.info, &len) != 0)
        return fail_errno("failed to inspect " + path);
    return m;
}

}  // namespace mptcp_sched

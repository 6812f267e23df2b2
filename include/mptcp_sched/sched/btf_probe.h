// SPDX-License-Identifier: GPL-2.0
// Detects, from a kernel's BTF, whether it offers the BPF MPTCP scheduler interface
// (../shared/design/KERNEL_ABI.md), piece by piece.
#pragma once

#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct ProbeItem {
    std::string name;     // e.g. "bpf_iter_mptcp_subflow_new"
    std::string kind;     // "struct_ops", "struct", "kfunc"
    bool present = false;
    std::string detail;   // why it counts as missing, or how presence was established
    bool optional = false;   // an extension the schedulers use where present (missing
                             // ones do not make the interface unsupported)
};

struct BpfSchedProbe {
    std::string btf_source;          // file the BTF came from
    bool kfunc_tags = false;         // BTF carries bpf_kfunc decl tags (pahole >= 1.26)
    std::vector<ProbeItem> items;    // struct_ops registration first, then types, kfuncs

    bool supported() const;
    std::vector<std::string> missing() const;   // names of absent pieces
};

// The pieces, in the order they are reported.
const std::vector<std::string>& required_kfuncs();
// Optional kfuncs, reported after the required pieces: name and what it brings.
struct OptionalKfunc {
    const char* name;
    const char* gives;     // what the schedulers do with it
    const char* without;   // what they do without it
};
const std::vector<OptionalKfunc>& optional_kfuncs();
inline constexpr const char* kStructOpsValueType = "bpf_struct_ops_mptcp_sched_ops";

// Reads BTF from a raw BTF file (/sys/kernel/btf/vmlinux) or an ELF object with .BTF.
Result<BpfSchedProbe> probe_btf_file(const std::string& path);

// The running kernel: /sys/kernel/btf/vmlinux.
Result<BpfSchedProbe> probe_running_kernel();

}  // namespace mptcp_sched

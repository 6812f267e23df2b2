// SPDX-License-Identifier: GPL-2.0
// `mptcp-sched new NAME`: a commented starter scheduler and the build files that compile it
// against the installed BPF SDK (PREFIX/include/mptcp_sched/bpf, vmlinux.h included).
#pragma once

#include <string>
#include <vector>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

struct StarterFile {
    std::string name;      // file name, no directory
    std::string content;
};

// A starter's NAME: [A-Za-z0-9_], starting with a letter or _ (it names C functions), at
// most kSchedNameMax characters (it is also the registered scheduler name).
Result<void> check_starter_name(const std::string& name);

// NAME.bpf.c, Makefile and CMakeLists.txt for NAME; @prefix is the SDK's install prefix,
// the Makefile's default (MPTCP_SCHED_PREFIX=... overrides it). Pure: writes nothing.
Result<std::vector<StarterFile>> starter_files(const std::string& name, const std::string& prefix);

// Writes @files into @dir (created, mode 0755, if missing). Refuses, before writing any,
// when one of them exists; never overwrites (O_EXCL). Returns the paths written.
Result<std::vector<std::string>> write_starter(const std::string& dir,
                                               const std::vector<StarterFile>& files);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// The schedulers built into the binary: BPF objects from schedulers/*.bpf.c, embedded as
// libbpf skeletons.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "mptcp_sched/result.h"

namespace mptcp_sched {

struct BuiltinScheduler {
    std::string name;                  // registered name, e.g. "ms_rr"
    std::vector<std::string> aliases;  // short names the CLI accepts, first is canonical
    std::string source;                // e.g. "schedulers/roundrobin.bpf.c"
    std::string summary;               // one line
    std::string ops_map;               // the .struct_ops.link map in the object
    std::span<const std::byte> object; // the embedded ELF object
};

const std::vector<BuiltinScheduler>& builtin_schedulers();

// By registered name or alias, case-sensitive; nullptr when unknown.
const BuiltinScheduler* find_builtin(const std::string& name);

// "minrtt (ms_minrtt), roundrobin (ms_rr), ..." for error messages.
std::string builtin_names_for_humans();

// What an object file declares: its struct_ops map(s) and the scheduler name each sets.
struct ObjectInfo {
    struct Ops {
        std::string map;          // map name, e.g. "rr_ops"
        std::string sched_name;   // the .name field, e.g. "ms_rr"
    };
    std::vector<Ops> ops;
    std::vector<std::string> programs;
    std::vector<std::string> tunables;   // read-only globals settable before load
};

// Opens (does not load) an object from memory and describes it. No privileges needed.
Result<ObjectInfo> inspect_object(std::span<const std::byte> elf, const std::string& label);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// The schedulers built into the binary: BPF objects from schedulers/*.bpf.c, embedded as
// libbpf skeletons.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

struct btf;

#include "mptcp_sched/base/result.h"

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

// A tunable: a global `const volatile` integer (or bool/enum) of 1, 2, 4 or 8 bytes in the
// object's .rodata section that at least one of the object's programs reads. Variables a
// shared header defines but this object never reads are not its tunables.
struct Tunable {
    std::string name;
    size_t offset = 0;   // in .rodata
    size_t size = 0;
};

// The tunables of an ELF object, from its BTF (.rodata DATASEC) and its program
// relocations; empty when it has none.
std::vector<Tunable> object_tunables(std::span<const std::byte> elf, const struct btf* btf);

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

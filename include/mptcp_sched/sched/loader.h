// SPDX-License-Identifier: GPL-2.0
// Loading schedulers: embedded skeleton or user object -> verifier -> struct_ops link ->
// bpffs pins. The pins under Paths::pin_root/<registered name>/ are the only record of what
// is loaded; list, stats and unload read them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// The longest scheduler name the kernel takes (MPTCP_SCHED_NAME_MAX - 1).
constexpr size_t kSchedNameMax = 15;

// A name a scheduler can have and that stays inside the pin root: [A-Za-z0-9_.], 1 to
// kSchedNameMax characters, not "." or "..".
bool valid_scheduler_name(const std::string& name);

// Paths::pin_root, if it is ours and nobody else's: an absolute path without symbolic links
// or "..", whose ancestors others cannot rename (not writable by others, or sticky), itself
// a directory on bpffs owned by us and not writable by group or others. With @create it is
// made (mode 0700) when missing, on a bpffs parent; without, a missing root is ENOENT.
// Anything else is refused in one line.
Result<std::string> checked_pin_root(const Paths& paths, bool create);

struct LoadRequest {
    std::string what;                              // built-in name/alias or path to a .bpf.o
    std::map<std::string, std::string> tunables;   // read-only globals, set before load
    bool select = false;                           // also set net.mptcp.scheduler
    std::string netns;                             // for select; "" = current
    Paths paths;                                   // the pin root; for select, netns, sysctl
};

struct LoadResult {
    std::string name;       // registered scheduler name
    std::string pin_dir;
    std::string source;     // "built-in <alias>" or the object path
    unsigned link_id = 0;   // 0: registered through its struct_ops map (SEC(".struct_ops"))
    unsigned map_id = 0;    // the struct_ops map
    bool selected = false;
};

Result<LoadResult> load_scheduler(const LoadRequest& req);

// Removes the pins of a scheduler loaded by us (by registered name or alias). The kernel
// unregisters it at once; connections already using it keep it until they close.
Result<std::string> unload_scheduler(const Paths& paths, const std::string& name);

// Selects a registered scheduler for new connections in NETNS ("" = current).
Result<std::string> select_scheduler(const Paths& paths, const std::string& name,
                                     const std::string& netns);

struct LoadedScheduler {
    std::string name;
    std::string pin_dir;
    unsigned link_id = 0;
    unsigned map_id = 0;
    bool registered = false;      // still in available_schedulers
    bool has_stats = false;              // keeps our statistics (ms_conn_state is pinned)
    std::optional<size_t> connections;   // its live connections, if counted and countable
};

// The schedulers pinned by us. WITH_CONNECTIONS also counts each one's live connections
// (a walk of its connection states with a BPF iterator).
Result<std::vector<LoadedScheduler>> list_loaded(const Paths& paths,
                                                 bool with_connections = false);

// What `load WHAT` would register, without loading: the scheduler's name and each of its
// tunables with the value it has unless set (the object's own .rodata), and its size.
struct LoadPreview {
    std::string name;
    std::string source;   // as LoadResult::source
    std::map<std::string, uint64_t> tunables;
    std::map<std::string, size_t> tunable_sizes;
};
Result<LoadPreview> preview_load(const std::string& what);

// The values a loaded scheduler's read-only globals have (its rodata pin, read through the
// map's BTF): every global of .rodata, tunable or not. ENOENT when it has no rodata pin.
Result<std::map<std::string, uint64_t>> loaded_rodata(const std::string& pin_dir);

// net.mptcp.available_schedulers of the caller's netns (empty if unreadable).
std::vector<std::string> registered_schedulers(const Paths& paths);

// Names the CLI accepts resolve to the registered name: alias -> ms_*, else unchanged.
std::string registered_name(const std::string& name);

}  // namespace mptcp_sched

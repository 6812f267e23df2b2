// SPDX-License-Identifier: GPL-2.0
// pathd's decisions, apart from its I/O: what pathd knows of the netns (interfaces,
// addresses, connections and their subflows), how an MPTCP event changes that, and what its
// three policies (fullmesh, backup-iface, mobility) do about it, as a list of actions. No
// function here sends or reads netlink; run_pathd (pathd.h) gathers the events, applies the
// actions through one PmClient and feeds their outcome back with pathd_note().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mptcp_sched/diag/conns.h"
#include "mptcp_sched/path/pathd.h"
#include "mptcp_sched/path/pm_netlink.h"
#include "mptcp_sched/path/rtnl.h"

namespace mptcp_sched {

struct PathdAddr {
    std::string addr;
    uint16_t port = 0;
    bool operator<(const PathdAddr& o) const { return std::tie(addr, port) < std::tie(o.addr, o.port); }
    bool operator==(const PathdAddr& o) const = default;
};

struct PathdSubflow {
    PathdAddr local, remote;
};

// (local address, remote address), without ports.
using PathdAddrPair = std::pair<std::string, std::string>;

struct PathdConn {
    uint32_t token = 0;
    int family = 0;
    bool server = false;
    bool established = false;
    PathdAddr local0, remote0;                 // the initial subflow
    std::map<uint8_t, PathdAddr> remotes;      // by remote address id (0 = initial)
    std::vector<PathdSubflow> subflows;        // established, including the initial one
    std::set<PathdAddrPair> pending;           // being created
    std::set<PathdAddrPair> lost;              // removed by mobility, to restore
};

struct PathdState {
    std::vector<Link> links;
    std::vector<IfAddr> addrs;
    std::map<uint32_t, PathdConn> conns;
    std::map<std::string, uint8_t> ids;        // local address ids handed out so far
    uint32_t kernel_limit = 8;                 // the netns's `subflows` limit

    // The interface holding @addr; 0 when none does.
    int ifindex_of(const std::string& addr) const;
    // Up, with carrier, and not loopback: subflows may start there.
    bool usable(int ifindex) const;
};

struct PathdAction {
    enum Kind { CreateSubflow, DestroySubflow, SetBackup } kind = CreateSubflow;
    uint32_t token = 0;
    int family = 0;
    PathdAddr local, remote;   // CreateSubflow: local port 0 (the kernel picks)
    uint8_t local_id = 0;      // CreateSubflow
    int ifindex = 0;           // CreateSubflow: the interface to bind to
    bool backup = false;       // CreateSubflow: ask for backup; SetBackup: the flag
    bool restore = false;      // CreateSubflow: a path mobility removed, coming back
    std::string why;           // CreateSubflow, DestroySubflow: the policy ("fullmesh", ...)
    bool operator==(const PathdAction& o) const = default;
};

// What the policies react to (after pathd_track() or a change of interfaces).
struct PathdTrigger {
    enum Kind { Established, Announced, LinkUp, LinkDown, AddrAdded, AddrRemoved, Resync };
    PathdTrigger() = default;
    PathdTrigger(Kind k, uint32_t tok = 0) : kind(k), token(tok) {}
    Kind kind = Established;
    uint32_t token = 0;          // Established, Announced
    int ifindex = 0;             // LinkDown
    std::string addr;            // AddrRemoved
    std::set<uint32_t> newly;    // Resync: connections established while pathd was not looking
};

// Creates that failed this round, as (restore, local address, remote address, remote port):
// the policies pass over them when they are asked again (pathd_refill).
using PathdTried = std::set<std::tuple<bool, std::string, std::string, uint16_t>>;
PathdTried::value_type pathd_tried_key(const PathdAction& create);

// Folds one MPTCP event into @s. Returns the log line's fields (null: nothing to log) and
// what the policies should react to, if anything.
struct PathdTracked {
    nlohmann::json log;
    std::optional<PathdTrigger> trigger;
};
PathdTracked pathd_track(PathdState& s, const PmEvent& ev);

// A link or address change, seen with @was_up (whether the event's interface was usable
// before the change): nullopt when the policies have nothing to react to (not mobility, no
// change of state, a link-local address).
std::optional<PathdTrigger> pathd_rt_trigger(const PathdOptions& o, const RtEvent& ev, bool was_up);

// After lost events: the connections of @s replaced by those of a sock_diag dump (keeping
// what pathd knew of those it had seen: announced addresses, what mobility removed).
struct PathdRebuilt {
    std::set<uint32_t> newly;   // established in the dump, not in what pathd knew
    size_t subflows = 0;        // established subflows in the dump
};
PathdRebuilt pathd_rebuild(PathdState& s, const std::vector<ConnInfo>& dump);

// The policies. Actions come in the order to apply them, each decided as if the ones
// before it succeeded.
//  fullmesh:     a subflow from every usable local address of the connection's family to
//                every remote address, within max_subflows (default: the kernel limit).
//  backup-iface: subflows from matching interfaces ask for backup; the initial one, when it
//                starts on one, is set backup once established.
//  mobility:     an interface going down or an address going away destroys its subflows
//                and remembers them; once an interface or address comes, they are restored.
std::vector<PathdAction> pathd_decide(const PathdState& s, const PathdOptions& o,
                                      const PathdTrigger& t);
// The creates @t still wants for connection @token once those in @tried failed (what failed
// did not take room: later candidates may now fit).
std::vector<PathdAction> pathd_refill(const PathdState& s, const PathdOptions& o,
                                      const PathdTrigger& t, uint32_t token,
                                      const PathdTried& tried);
// An applied action's outcome folded into @s (a create is pending once sent, a destroyed
// subflow is remembered for mobility whatever the kernel said, an id is taken either way).
void pathd_note(PathdState& s, const PathdAction& a, bool ok);

// A log line's fields: {"event": @event, "token": "%08x"} plus @extra.
nlohmann::json pathd_log_fields(const std::string& event, uint32_t token,
                                const nlohmann::json& extra);
// "10.0.1.1:5000", "[fd00::1]:5000".
std::string pathd_addr_text(const PathdAddr& a);

}  // namespace mptcp_sched

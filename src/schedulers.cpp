// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/schedulers.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>
#include <memory>

#include "minrtt.skel.h"
#include "redundant.skel.h"
#include "roundrobin.skel.h"
#include "backup.skel.h"
#include "blest.skel.h"
#include "rules.skel.h"

namespace mptcp_sched {

namespace {

template <const void* (*Bytes)(size_t*)>
std::span<const std::byte> embedded()
{
    size_t sz = 0;
    const void* p = Bytes(&sz);
    return {static_cast<const std::byte*>(p), sz};
}

struct ObjDeleter {
    void operator()(struct bpf_object* o) const { bpf_object__close(o); }
};

}  // namespace

const std::vector<BuiltinScheduler>& builtin_schedulers()
{
    static const std::vector<BuiltinScheduler> list = {
        {"ms_minrtt", {"minrtt", "min-rtt"}, "schedulers/minrtt.bpf.c",
         "earliest arrival first (RTT + queued bytes / delivery rate); backups only when no "
         "primary is active",
         "minrtt_ops", embedded<minrtt__elf_bytes>()},
        {"ms_rr", {"roundrobin", "rr", "round-robin"}, "schedulers/roundrobin.bpf.c",
         "rotates over subflows that keep up, one quantum (rr_quantum bytes) per turn",
         "rr_ops", embedded<roundrobin__elf_bytes>()},
        {"ms_red", {"redundant", "red"}, "schedulers/redundant.bpf.c",
         "sends every burst on every subflow that can send (N x bandwidth)", "red_ops",
         embedded<redundant__elf_bytes>()},
        {"ms_bkup", {"backup", "bkup", "backup-aware"}, "schedulers/backup.bpf.c",
         "min-RTT over primaries; backup subflows only when every primary is down",
         "bkup_ops", embedded<backup__elf_bytes>()},
        {"ms_blest", {"blest"}, "schedulers/blest.bpf.c",
         "BLEST (Ferlin et al. 2016): earliest arrival, but waits for the fastest path when "
         "a slower one would block it in the send window",
         "blest_ops", embedded<blest__elf_bytes>()},
        {"ms_rules", {"rules"}, "schedulers/rules.bpf.c",
         "per-connection policy chosen by `mptcp-sched rule` (ports, prefixes, cgroup, mark)",
         "rules_ops", embedded<rules__elf_bytes>()},
    };
    return list;
}

const BuiltinScheduler* find_builtin(const std::string& name)
{
    for (const auto& s : builtin_schedulers()) {
        if (s.name == name)
            return &s;
        for (const auto& a : s.aliases)
            if (a == name)
                return &s;
    }
    return nullptr;
}

std::string builtin_names_for_humans()
{
    std::string out;
    for (const auto& s : builtin_schedulers()) {
        if (!out.empty())
            out += ", ";
        out += s.aliases.front() + " (" + s.name + ")";
    }
    return out;
}

Result<ObjectInfo> inspect_object(std::span<const std::byte> elf, const std::string& label)
{
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = label.c_str());
    std::unique_ptr<struct bpf_object, ObjDeleter> obj(
        bpf_object__open_mem(elf.data(), elf.size(), &opts));
    if (!obj) {
        const int err = errno;
        char why[128];
        libbpf_strerror(err, why, sizeof(why));   // also knows libbpf's own codes (4001...)
        return fail_msg("failed to open BPF object " + label + ": " + why, err);
    }

    ObjectInfo info;
    struct btf* btf = bpf_object__btf(obj.get());
    struct bpf_map* map;
    bpf_object__for_each_map(map, obj.get()) {
        if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS) {
            ObjectInfo::Ops ops;
            ops.map = bpf_map__name(map);
            // The struct_ops map's initial value is the local struct; find "name" in it.
            size_t sz = 0;
            const char* data = static_cast<const char*>(bpf_map__initial_value(map, &sz));
            const int type_id = btf ? btf__find_by_name_kind(btf, "mptcp_sched_ops",
                                                             BTF_KIND_STRUCT) : -1;
            if (data && type_id > 0) {
                const struct btf_type* t = btf__type_by_id(btf, type_id);
                const struct btf_member* m = btf_members(t);
                for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
                    const char* mname = btf__name_by_offset(btf, m->name_off);
                    const size_t off = btf_member_bit_offset(t, i) / 8;
                    if (mname && std::strcmp(mname, "name") == 0 && off < sz)
                        ops.sched_name.assign(data + off, strnlen(data + off, sz - off));
                }
            }
            info.ops.push_back(std::move(ops));
        } else if (btf && std::strstr(bpf_map__name(map), ".rodata")) {
            // Tunables: the variables of the read-only data section.
            int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
            if (sec > 0) {
                const struct btf_type* t = btf__type_by_id(btf, sec);
                const struct btf_var_secinfo* v = btf_var_secinfos(t);
                for (unsigned i = 0; i < btf_vlen(t); i++, v++) {
                    const struct btf_type* var = btf__type_by_id(btf, v->type);
                    info.tunables.emplace_back(btf__name_by_offset(btf, var->name_off));
                }
            }
        }
    }
    struct bpf_program* prog;
    bpf_object__for_each_program(prog, obj.get()) {
        info.programs.emplace_back(bpf_program__name(prog));
    }
    return info;
}

}  // namespace mptcp_sched

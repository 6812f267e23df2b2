// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/schedulers.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include <set>

#include <cstring>
#include <memory>

#include "minrtt.skel.h"
#include "redundant.skel.h"
#include "roundrobin.skel.h"
#include "backup.skel.h"
#include "blest.skel.h"
#include "rules.skel.h"
#include "interactive.skel.h"

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

struct ElfDeleter {
    void operator()(Elf* e) const { elf_end(e); }
};

// Offsets in .rodata that program instructions load the address of (ld_imm64 relocated
// against .rodata or against a symbol in it), read from the object's REL sections.
std::set<size_t> rodata_offsets_used(std::span<const std::byte> bytes)
{
    std::set<size_t> used;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return used;
    std::unique_ptr<Elf, ElfDeleter> elf(elf_memory(
        const_cast<char*>(reinterpret_cast<const char*>(bytes.data())), bytes.size()));
    size_t shstrndx = 0;
    if (!elf || elf_getshdrstrndx(elf.get(), &shstrndx) != 0)
        return used;
    size_t rodata = 0;
    Elf_Data* symbols = nullptr;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf.get(), scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char* name = elf_strptr(elf.get(), shstrndx, sh.sh_name);
        if (name && std::strcmp(name, ".rodata") == 0)
            rodata = elf_ndxscn(scn);
        if (sh.sh_type == SHT_SYMTAB)
            symbols = elf_getdata(scn, nullptr);
    }
    if (!rodata || !symbols)
        return used;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf.get(), scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
            continue;
        Elf_Scn* target = elf_getscn(elf.get(), sh.sh_info);
        GElf_Shdr tsh;
        if (!target || !gelf_getshdr(target, &tsh) || !(tsh.sh_flags & SHF_EXECINSTR))
            continue;
        Elf_Data* rels = elf_getdata(scn, nullptr);
        Elf_Data* insns = elf_getdata(target, nullptr);
        if (!rels || !insns || !sh.sh_entsize)
            continue;
        for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Rel rel;
            GElf_Sym sym;
            if (!gelf_getrel(rels, static_cast<int>(i), &rel) ||
                !gelf_getsym(symbols, static_cast<int>(GELF_R_SYM(rel.r_info)), &sym) ||
                sym.st_shndx != rodata)
                continue;
            // The instruction's imm holds the addend for a section-relative reference.
            int32_t imm = 0;
            if (rel.r_offset + 8 <= insns->d_size)
                std::memcpy(&imm, static_cast<const char*>(insns->d_buf) + rel.r_offset + 4,
                            sizeof(imm));
            const size_t off = GELF_ST_TYPE(sym.st_info) == STT_SECTION
                                   ? static_cast<size_t>(imm)
                                   : static_cast<size_t>(sym.st_value) + static_cast<size_t>(imm);
            used.insert(off);
        }
    }
    return used;
}

// Follows typedefs to the type a variable really has; true if const and volatile were
// both on the way.
const struct btf_type* const_volatile_base(const struct btf* btf, __u32 id, bool& cv)
{
    bool c = false, v = false;
    const struct btf_type* t = btf__type_by_id(btf, id);
    for (int hops = 0; t && hops < 32; hops++) {
        if (btf_is_const(t))
            c = true;
        else if (btf_is_volatile(t))
            v = true;
        else if (!btf_is_typedef(t))
            break;
        t = btf__type_by_id(btf, t->type);
    }
    cv = c && v;
    return t;
}

}  // namespace

std::vector<Tunable> object_tunables(std::span<const std::byte> elf, const struct btf* btf)
{
    std::vector<Tunable> out;
    if (!btf)
        return out;
    const int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
    if (sec <= 0)
        return out;
    const std::set<size_t> used = rodata_offsets_used(elf);
    const struct btf_type* t = btf__type_by_id(btf, sec);
    const struct btf_var_secinfo* v = btf_var_secinfos(t);
    for (unsigned i = 0; i < btf_vlen(t); i++, v++) {
        const struct btf_type* var = btf__type_by_id(btf, v->type);
        if (!var || !btf_is_var(var) || btf_var(var)->linkage != BTF_VAR_GLOBAL_ALLOCATED)
            continue;
        bool cv = false;
        const struct btf_type* base = const_volatile_base(btf, var->type, cv);
        if (!cv || !base || !(btf_is_int(base) || btf_is_enum(base) || btf_is_enum64(base)))
            continue;
        if (v->size != 1 && v->size != 2 && v->size != 4 && v->size != 8)
            continue;
        if (base->size != v->size)
            continue;
        if (!used.count(v->offset))
            continue;
        const char* name = btf__name_by_offset(btf, var->name_off);
        if (!name || !*name)
            continue;
        out.push_back({name, v->offset, v->size});
    }
    return out;
}

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
        {"ms_inter", {"interactive"}, "schedulers/interactive.bpf.c",
         "earliest arrival, and the last two data segments of what the application wrote "
         "also on the second-earliest path: most of redundant's tail latency at a few % "
         "overhead",
         "inter_ops", embedded<interactive__elf_bytes>()},
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
        }
    }
    for (const auto& t : object_tunables(elf, btf))
        info.tunables.push_back(t.name);
    struct bpf_program* prog;
    bpf_object__for_each_program(prog, obj.get()) {
        info.programs.emplace_back(bpf_program__name(prog));
    }
    return info;
}

}  // namespace mptcp_sched

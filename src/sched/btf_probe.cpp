// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/btf_probe.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <memory>

#include "mptcp_sched/base/file.h"
#include "mptcp_sched/base/text.h"
#include <set>

namespace mptcp_sched {

const std::vector<std::string>& required_kfuncs()
{
    static const std::vector<std::string> names = {
        "mptcp_subflow_set_scheduled", "bpf_mptcp_subflow_ctx",
        "bpf_mptcp_subflow_tcp_sock",  "mptcp_subflow_active",
        "mptcp_set_timeout",           "mptcp_wnd_end",
        "bpf_sk_stream_memory_free",   "bpf_iter_mptcp_subflow_new",
        "bpf_iter_mptcp_subflow_next", "bpf_iter_mptcp_subflow_destroy",
    };
    return names;
}

const std::vector<OptionalKfunc>& optional_kfuncs()
{
    static const std::vector<OptionalKfunc> v = {
        {"bpf_mptcp_sched_retrans_in",
         "a stopped subflow's data is repaired as soon as the stop is seen (vmtest patch 0008)",
         "repairs wait for the connection's retransmit timer (an RTO after its last progress)"},
        {"bpf_mptcp_subflow_set_stale",
         "a stopped subflow is declared stale when the stop is seen, and all its data re-sent on "
         "the live subflows (vmtest patch 0009)",
         "what a repair run cannot re-send at once waits for the next retransmit period"},
    };
    return v;
}

bool BpfSchedProbe::supported() const
{
    return !items.empty() && missing().empty();
}

std::vector<std::string> BpfSchedProbe::missing() const
{
    std::vector<std::string> out;
    for (const auto& it : items)
        if (!it.present && !it.optional)
            out.push_back(it.name);
    return out;
}

namespace {

struct BtfDeleter {
    void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

// Functions that carry a "bpf_kfunc" decl tag. pahole >= 1.26 emits these for every
// registered kfunc; older pahole emits none, and then a kfunc can only be told by name.
std::set<int> kfunc_tagged_ids(const struct btf* btf)
{
    std::set<int> ids;
    const unsigned n = btf__type_cnt(btf);
    for (unsigned id = 1; id < n; id++) {
        const struct btf_type* t = btf__type_by_id(btf, id);
        if (!btf_is_decl_tag(t))
            continue;
        const char* name = btf__name_by_offset(btf, t->name_off);
        if (name && std::string(name) == "bpf_kfunc")
            ids.insert(static_cast<int>(t->type));
    }
    return ids;
}

}  // namespace

Result<BpfSchedProbe> probe_btf_file(const std::string& path)
{
    const std::string what = "failed to read BTF from " + printable(path);
    // A FIFO would hang the parser and /dev/zero would eat memory: a regular file only
    // (sysfs's vmlinux is one), parsed through the descriptor that was checked.
    auto fd = open_regular_file(path, size_t{4} << 30, what);
    if (!fd) {
        if (fd.error().code == ENOENT)
            return fail_msg(what + ": no such file (kernel built without CONFIG_DEBUG_INFO_BTF?)",
                            ENOENT);
        return std::unexpected(fd.error());
    }
    const std::string via = "/proc/self/fd/" + std::to_string(fd->get());
    BtfPtr btf(btf__parse(via.c_str(), nullptr));
    if (!btf) {
        const int err = errno;
        char why[128];
        libbpf_strerror(err, why, sizeof(why));   // knows libbpf's own codes (4001 ...)
        return fail_msg(what + ": " + why, err);
    }

    BpfSchedProbe p;
    p.btf_source = path;
    const std::set<int> tagged = kfunc_tagged_ids(btf.get());
    p.kfunc_tags = !tagged.empty();

    auto has_struct = [&](const char* name) {
        return btf__find_by_name_kind(btf.get(), name, BTF_KIND_STRUCT) > 0;
    };

    ProbeItem reg{kStructOpsValueType, "struct_ops", has_struct(kStructOpsValueType), ""};
    reg.detail = reg.present ? "struct_ops type mptcp_sched_ops registered for BPF"
                             : "kernel lacks struct_ops mptcp_sched_ops (BPF schedulers "
                               "cannot register)";
    p.items.push_back(reg);

    ProbeItem ops{"mptcp_sched_ops", "struct", has_struct("mptcp_sched_ops"), ""};
    ops.detail = ops.present ? "in-kernel scheduler framework"
                             : "kernel lacks the MPTCP scheduler framework (Linux < 6.8 or "
                               "CONFIG_MPTCP off)";
    p.items.push_back(ops);

    ProbeItem iter{"bpf_iter_mptcp_subflow", "struct", has_struct("bpf_iter_mptcp_subflow"),
                   ""};
    iter.detail = iter.present ? "subflow iterator state" : "no subflow iterator type";
    p.items.push_back(iter);

    auto kfunc = [&](const std::string& name) {
        ProbeItem k{name, "kfunc", false, ""};
        int id = btf__find_by_name_kind(btf.get(), name.c_str(), BTF_KIND_FUNC);
        if (id <= 0) {
            k.detail = "not in kernel BTF";
        } else if (p.kfunc_tags) {
            k.present = tagged.count(id) > 0;
            k.detail = k.present ? "tagged bpf_kfunc" : "function exists but is not a kfunc";
        } else {
            k.present = true;
            k.detail = "in kernel BTF (no bpf_kfunc tags in this BTF to confirm registration)";
        }
        return k;
    };
    for (const auto& name : required_kfuncs())
        p.items.push_back(kfunc(name));
    for (const auto& opt : optional_kfuncs()) {
        ProbeItem k = kfunc(opt.name);
        k.optional = true;
        k.detail = std::string("optional: ") + (k.present ? opt.gives : opt.without) +
                   (k.present && !p.kfunc_tags ? " (" + k.detail + ")" : "");
        p.items.push_back(k);
    }
    return p;
}

Result<BpfSchedProbe> probe_running_kernel()
{
    return probe_btf_file("/sys/kernel/btf/vmlinux");
}

}  // namespace mptcp_sched

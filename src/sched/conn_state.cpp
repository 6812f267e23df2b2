// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/conn_state.h"
#include "mptcp_sched/base/bpffs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "mptcp_sched/base/fd.h"
#include "stats_iter.skel.h"

namespace mptcp_sched {

namespace {

struct IterSkelDeleter {
    void operator()(stats_iter* s) const { stats_iter__destroy(s); }
};
struct LinkDeleter {
    void operator()(struct bpf_link* l) const { bpf_link__destroy(l); }
};

}  // namespace

Result<std::vector<ms_conn_state>> read_conn_states(const std::string& pin)
{
    auto pinned = open_pinned_map(pin);
    if (!pinned)
        return std::unexpected(pinned.error());
    UniqueFd map = std::move(pinned->fd);
    // A map of another layout (another version's scheduler) must not be misread: the
    // iterator would cut or refuse its records.
    const struct bpf_map_info& mi = pinned->info;
    if (mi.type != BPF_MAP_TYPE_SK_STORAGE || mi.value_size != sizeof(ms_conn_state))
        return fail_msg("failed to read " + pin + ": not this version's connection state (map type " +
                            std::to_string(mi.type) + ", " + std::to_string(mi.value_size) +
                            "-byte values; expected socket storage of " +
                            std::to_string(sizeof(ms_conn_state)) + " bytes)", EPROTO);
    std::unique_ptr<stats_iter, IterSkelDeleter> skel(stats_iter__open_and_load());
    if (!skel)
        return fail_errno("failed to load the statistics iterator (a BPF iterator over socket "
                          "storage)");
    union bpf_iter_link_info info {};
    info.map.map_fd = static_cast<__u32>(map.get());
    LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
    std::unique_ptr<struct bpf_link, LinkDeleter> link(
        bpf_program__attach_iter(skel->progs.ms_dump_conn_state, &opts));
    if (!link)
        return fail_errno("failed to attach the statistics iterator to " + pin);
    UniqueFd it(bpf_iter_create(bpf_link__fd(link.get())));
    if (!it)
        return fail_errno("failed to start the statistics iterator on " + pin);
    std::vector<ms_conn_state> out;
    std::string buf;
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = ::read(it.get(), chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno("failed to read the statistics iterator on " + pin);
        if (n == 0)
            break;
        buf.append(chunk, static_cast<size_t>(n));
    }
    // The iterator writes whole records; anything else is a layout mismatch.
    if (buf.size() % sizeof(ms_conn_state))
        return fail_msg("failed to read " + pin + ": " + std::to_string(buf.size()) +
                        " bytes is not a whole number of connection states", EPROTO);
    out.resize(buf.size() / sizeof(ms_conn_state));
    std::memcpy(out.data(), buf.data(), buf.size());
    return out;
}

}  // namespace mptcp_sched

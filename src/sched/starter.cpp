// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/starter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <string_view>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/text.h"
#include "mptcp_sched/sched/loader.h"

namespace mptcp_sched {

namespace {

// @NAME@ and @PREFIX@ in @tmpl replaced.
std::string fill(std::string_view tmpl, const std::string& name, const std::string& prefix)
{
    std::string out;
    out.reserve(tmpl.size() + 256);
    for (size_t i = 0; i < tmpl.size();) {
        if (tmpl.substr(i, 6) == "@NAME@") {
            out += name;
            i += 6;
        } else if (tmpl.substr(i, 8) == "@PREFIX@") {
            out += prefix;
            i += 8;
        } else {
            out += tmpl[i++];
        }
    }
    return out;
}

constexpr std::string_view kSource = R"(// SPDX-License-Identifier: GPL-2.0
/*
 * @NAME@ - a BPF MPTCP scheduler (written by `mptcp-sched new @NAME@`; make it yours).
 *
 * Policy: each burst goes to the active non-backup subflow with the lowest smoothed RTT
 * that has room in its send buffer; backup subflows only while no non-backup subflow is
 * active. Bursts are at most @NAME@_burst bytes (a tunable).
 *
 * Assumes: srtt describes the path (a fresh subflow without an RTT sample ranks first).
 *
 * Fails: with -EAGAIN, marking nothing, when no subflow can send; the core keeps the data
 * pending and asks again on the next ack.
 *
 * Build: `make` (or the CMakeLists.txt beside this file), then, as root on a kernel with
 * the BPF scheduler interface (`mptcp-sched status`):
 *   mptcp-sched load ./@NAME@.bpf.o --set       registers "@NAME@" and selects it
 *   mptcp-sched load ./@NAME@.bpf.o --@NAME@_burst=16384
 *   mptcp-sched stats                           its connections and subflows
 *   mptcp-sched unload @NAME@
 */

/* The SDK: kfuncs, subflow predicates (ms_can_send, ms_is_backup, ms_tcp), the stats API. */
#include <mptcp_sched/bpf/mptcp_sched.bpf.h>
/* Opt-in, once per scheduler: the per-connection state and statistics `mptcp-sched stats`
 * shows (maps ms_conn_state and ms_counters, tunable ms_stats_enabled). Remove this line
 * and the ms_init / ms_begin / ms_choose / ms_release calls below to keep none. */
#include <mptcp_sched/bpf/stats_impl.bpf.h>
/* The built-in policies are functions too: ms_pick_arrival (minrtt, backup, blest),
 * ms_pick_rr, ms_pick_redundant. Include <mptcp_sched/bpf/policies.bpf.h> to call them. */

/* The kernel only takes struct_ops schedulers from GPL-compatible programs. */
char _license[] SEC("license") = "GPL";

/* A tunable: a `const volatile` global, set before the load (--@NAME@_burst=BYTES). */
MS_TUNABLE(__u32, @NAME@_burst, MS_SEND_BURST);

/* The subflow to use: lowest srtt among those that can send, non-backup first. */
static __always_inline struct mptcp_subflow_context *@NAME@_pick(struct mptcp_sock *msk)
{
	struct mptcp_subflow_context *sf, *best = NULL, *best_bkup = NULL;
	__u32 srtt = ~0U, srtt_bkup = ~0U;
	bool primary_active = false;

	bpf_for_each(mptcp_subflow, sf, (struct sock *)msk) {
		struct tcp_sock *tp;
		bool bkup;

		if (!mptcp_subflow_active(sf))
			continue;
		bkup = ms_is_backup(sf);
		if (!bkup)
			primary_active = true;
		/* Never mark a subflow that cannot send: the core would spin on it. */
		if (!bpf_sk_stream_memory_free(sf))
			continue;
		tp = ms_tcp(sf);
		if (!tp)
			continue;
		if (bkup && tp->srtt_us < srtt_bkup) {
			srtt_bkup = tp->srtt_us;
			best_bkup = sf;
		} else if (!bkup && tp->srtt_us < srtt) {
			srtt = tp->srtt_us;
			best = sf;
		}
	}
	/* A busy primary is no reason to use a backup: wait for it instead. */
	return best ?: (primary_active ? NULL : best_bkup);
}

static __always_inline int @NAME@_schedule(struct mptcp_sock *msk, enum ms_decision kind)
{
	/* Counts the decision and returns this connection's state (NULL: none, still decide). */
	struct ms_conn_state *st = ms_begin(msk, kind, MS_POLICY_CUSTOM);
	struct mptcp_subflow_context *sf = @NAME@_pick(msk);

	if (!sf) {
		ms_count(MS_CNT_NO_SUBFLOW);
		return -EAGAIN;
	}
	/* How many bytes the core pushes before asking again: one of the two writable fields. */
	msk->snd_burst = @NAME@_burst ?: MS_SEND_BURST;
	/* Marks the subflow and records the choice in its per-subflow row. */
	ms_choose(msk, st, sf, kind);
	return 0;
}

SEC("struct_ops")
int BPF_PROG(@NAME@_get_send, struct mptcp_sock *msk)
{
	return @NAME@_schedule(msk, MS_DECISION_SEND);
}

SEC("struct_ops")
int BPF_PROG(@NAME@_get_retrans, struct mptcp_sock *msk)
{
	return @NAME@_schedule(msk, MS_DECISION_RETRANS);
}

SEC("struct_ops")
void BPF_PROG(@NAME@_init, struct mptcp_sock *msk)
{
	/* The connection's state is made with the socket, so a decision only looks it up. */
	ms_init(msk);
}

SEC("struct_ops")
void BPF_PROG(@NAME@_release, struct mptcp_sock *msk)
{
	/* The connection's state goes with it. */
	ms_release(msk);
}

/* A link: `mptcp-sched load` pins it, so the scheduler outlives the command. */
SEC(".struct_ops.link")
struct mptcp_sched_ops @NAME@_ops = {
	.get_send	= (void *)@NAME@_get_send,
	.get_retrans	= (void *)@NAME@_get_retrans,
	.init		= (void *)@NAME@_init,
	.release	= (void *)@NAME@_release,
	.name		= "@NAME@",
};
)";

constexpr std::string_view kMakefile = R"(# Builds @NAME@.bpf.o against the installed mptcp-sched BPF SDK (written by
# `mptcp-sched new @NAME@`). Needs clang >= 16 with the BPF target and libbpf's headers
# (Debian: clang-19, libbpf-dev). `make MPTCP_SCHED_PREFIX=/other/prefix` for another SDK.
MPTCP_SCHED_PREFIX ?= @PREFIX@
CLANG ?= clang-19
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# <linux/types.h> needs <asm/types.h>, which Debian keeps in the multiarch directory.
MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo $$(uname -m)-linux-gnu)
CFLAGS ?= -g -O2 -Wall -Werror
BPF_CFLAGS := $(CFLAGS) -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-I$(MPTCP_SCHED_PREFIX)/include $(shell pkg-config --cflags libbpf 2>/dev/null) \
	$(if $(MULTIARCH),-idirafter /usr/include/$(MULTIARCH))

all: @NAME@.bpf.o

@NAME@.bpf.o: @NAME@.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

clean:
	rm -f @NAME@.bpf.o

.PHONY: all clean
)";

constexpr std::string_view kCMake = R"(# Builds @NAME@.bpf.o against the installed mptcp-sched BPF SDK (written by
# `mptcp-sched new @NAME@`):
#   cmake -B build -DCMAKE_PREFIX_PATH=@PREFIX@ && cmake --build build
# In a project of your own, the last two lines are all it takes.
cmake_minimum_required(VERSION 3.20)
project(@NAME@ C)
find_package(mptcp-sched REQUIRED)
mptcp_sched_add_bpf_scheduler(@NAME@ ${CMAKE_CURRENT_SOURCE_DIR}/@NAME@.bpf.c)
)";

}  // namespace

Result<void> check_starter_name(const std::string& name)
{
    auto bad = [&](const std::string& why) {
        return fail_msg("failed to create scheduler '" + printable(name) + "': " + why, EINVAL);
    };
    if (name.empty())
        return bad("the name is empty");
    if (name.size() > kSchedNameMax)
        return bad("at most " + std::to_string(kSchedNameMax) +
                   " characters (the kernel's limit for a scheduler name)");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            return bad("only letters, digits and _ are allowed");
    if (std::isdigit(static_cast<unsigned char>(name[0])))
        return bad("it must not start with a digit (it names C functions)");
    return {};
}

Result<std::vector<StarterFile>> starter_files(const std::string& name, const std::string& prefix)
{
    if (auto ok = check_starter_name(name); !ok)
        return std::unexpected(ok.error());
    return std::vector<StarterFile>{
        {name + ".bpf.c", fill(kSource, name, prefix)},
        {"Makefile", fill(kMakefile, name, prefix)},
        {"CMakeLists.txt", fill(kCMake, name, prefix)},
    };
}

Result<std::vector<std::string>> write_starter(const std::string& dir,
                                               const std::vector<StarterFile>& files)
{
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno("failed to create " + dir);
    for (const auto& f : files) {
        const std::string path = dir + "/" + f.name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0)
            return fail_msg("failed to create the starter in " + dir + ": " + path +
                                " exists (it is never overwritten; choose another --dir)",
                            EEXIST);
    }
    std::vector<std::string> written;
    auto undo = [&] {
        for (const auto& p : written)
            ::unlink(p.c_str());
    };
    for (const auto& f : files) {
        const std::string path = dir + "/" + f.name;
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd) {
            const int err = errno;
            undo();
            return fail_errno("failed to create " + path, err);
        }
        written.push_back(path);
        size_t off = 0;
        while (off < f.content.size()) {
            const ssize_t n = ::write(fd.get(), f.content.data() + off, f.content.size() - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                const int err = n < 0 ? errno : EIO;
                undo();
                return fail_errno("failed to write " + path, err);
            }
            off += static_cast<size_t>(n);
        }
    }
    return written;
}

}  // namespace mptcp_sched

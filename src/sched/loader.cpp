// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/sched/loader.h"
#include "mptcp_sched/sched/conn_state.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "mptcp_sched/sched/btf_probe.h"
#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/netns.h"
#include "mptcp_sched/base/paths.h"
#include "mptcp_sched/sched/schedulers.h"
#include "mptcp_sched/base/bpffs.h"
#include "mptcp_sched/base/caps.h"
#include "mptcp_sched/base/sysctl.h"
#include "mptcp_sched/base/file.h"
#include "mptcp_sched/sched/rules.h"
#include "mptcp_sched/base/text.h"
#include "mptcp_sched/sched_abi.h"

namespace fs = std::filesystem;

namespace mptcp_sched {

namespace {

// The maps pinned next to the link when an object has them (names: sched_abi.h): the
// statistics of mptcp_sched/bpf/stats_impl.bpf.h, and the rule table of ms_rules.
const char* const kPinnedMaps[] = {MS_PIN_CONN_STATE, MS_PIN_COUNTERS, MS_PIN_RULES,
                                   MS_PIN_RULES_CFG};

// The pin of a scheduler registered without a link (SEC(".struct_ops")): its struct_ops map.
constexpr const char* kOpsPin = MS_PIN_OPS;

unsigned map_id_of(int fd)
{
    struct bpf_map_info mi {};
    __u32 len = sizeof(mi);
    return bpf_map_get_info_by_fd(fd, &mi, &len) == 0 ? mi.id : 0;
}

// A scheduler registered through its struct_ops map (no link) stays registered until the
// map's element is deleted, whoever holds the map: unregister it before its pins go.
Result<void> unregister_ops_map(const std::string& dir, const std::string& name)
{
    const std::string pin = dir + "/" + kOpsPin;
    UniqueFd fd(bpf_obj_get(pin.c_str()));
    if (!fd)
        return errno == ENOENT ? Result<void>{} : fail_errno("failed to open " + pin);
    const int key = 0;
    // EINPROGRESS: an earlier unload deleted it already (the kernel is still unregistering).
    if (bpf_map_delete_elem(fd.get(), &key) != 0 && errno != ENOENT && errno != EINPROGRESS)
        return fail_errno("failed to unregister " + name);
    return {};
}

// A user object is an ELF file of a few hundred KiB; anything far larger is a mistake (or
// /dev/zero) and must not be read into memory.
constexpr size_t kMaxObjectBytes = 64u << 20;

// The pin root's own checks, reported as "failed to use the pin root ROOT: why".
std::unexpected<Error> unsafe_root(const std::string& root, const std::string& why, int err)
{
    return fail_msg("failed to use the pin root " + root + ": " + why +
                        " (it must be a directory on bpffs owned by root, not writable by "
                        "group or others, with no symbolic link in its path)",
                    err);
}

// Every existing component of @root: no symbolic link, and no directory others may write
// to unless it is sticky (they could rename our directory out of the way otherwise).
// Returns the longest existing prefix.
Result<std::string> check_ancestors(const std::string& root)
{
    std::string prefix;
    std::string existing = "/";
    size_t pos = 1;
    while (pos <= root.size()) {
        size_t next = root.find('/', pos);
        if (next == std::string::npos)
            next = root.size();
        const std::string part = root.substr(pos, next - pos);
        pos = next + 1;
        if (part.empty())
            continue;
        if (part == "." || part == "..")
            return unsafe_root(root, "'" + part + "' in the path", EINVAL);
        prefix += "/" + part;
        struct stat st {};
        if (::lstat(prefix.c_str(), &st) != 0) {
            if (errno == ENOENT)
                return existing;
            return fail_errno("failed to use the pin root " + root + ": " + prefix);
        }
        if (S_ISLNK(st.st_mode))
            return unsafe_root(root, prefix + " is a symbolic link", ELOOP);
        if (!S_ISDIR(st.st_mode))
            return unsafe_root(root, prefix + " is not a directory", ENOTDIR);
        if (prefix != root && (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
            return unsafe_root(root, prefix + " is writable by others and not sticky", EPERM);
        existing = prefix;
    }
    return existing;
}

}  // namespace

bool valid_scheduler_name(const std::string& name)
{
    if (name.empty() || name.size() > kSchedNameMax || name == "." || name == "..")
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.';
    });
}

Result<std::string> checked_pin_root(const Paths& paths, bool create)
{
    const std::string& root = paths.pin_root;
    if (root.empty() || root[0] != '/' || root == "/")
        return unsafe_root(root, "not an absolute directory path", EINVAL);
    if (root.back() == '/')
        return unsafe_root(root, "ends with '/'", EINVAL);
    auto existing = check_ancestors(root);
    if (!existing)
        return std::unexpected(existing.error());
    if (*existing != root) {
        if (!create)
            return fail_msg("the pin root " + root + " does not exist", ENOENT);
        // Only the last component is ours to make, on the BPF filesystem.
        const std::string parent = root.substr(0, root.rfind('/'));
        if (*existing != (parent.empty() ? "/" : parent))
            return fail_msg("failed to create the pin root " + root + ": " +
                                (parent.empty() ? "/" : parent) + " does not exist", ENOENT);
        if (!is_bpffs(parent.empty() ? "/" : parent))
            return fail_msg("failed to create the pin root " + root + ": " + parent +
                                " is not a BPF filesystem (mount -t bpf -o mode=0700 bpf " +
                                parent + ")", ENOENT);
        if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST)
            return fail_errno("failed to create the pin root " + root);
    }
    // Checked on the opened directory, so a swap after the lstat walk cannot slip through.
    UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return errno == ELOOP || errno == ENOTDIR
                   ? unsafe_root(root, "not a directory, or a symbolic link", errno)
                   : fail_errno("failed to open the pin root " + root);
    struct stat st {};
    struct statfs sfs {};
    if (::fstat(fd.get(), &st) != 0 || ::fstatfs(fd.get(), &sfs) != 0)
        return fail_errno("failed to inspect the pin root " + root);
    if (static_cast<unsigned long>(sfs.f_type) != BPF_FS_MAGIC)
        return unsafe_root(root, "not on a BPF filesystem", EINVAL);
    if (st.st_uid != ::geteuid())
        return unsafe_root(root, "owned by uid " + std::to_string(st.st_uid) + ", not by us (uid " +
                                     std::to_string(::geteuid()) + ")", EPERM);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return unsafe_root(root, "writable by group or others (mode " +
                                     [&] {
                                         char m[8];
                                         std::snprintf(m, sizeof(m), "%04o", st.st_mode & 07777);
                                         return std::string(m);
                                     }() + ")", EPERM);
    return root;
}

namespace {

struct ObjectDeleter {
    void operator()(struct bpf_object* o) const { bpf_object__close(o); }
};
using ObjectPtr = std::unique_ptr<struct bpf_object, ObjectDeleter>;
struct LinkDeleter {
    void operator()(struct bpf_link* l) const { bpf_link__destroy(l); }
};
using LinkPtr = std::unique_ptr<struct bpf_link, LinkDeleter>;

// Collects what libbpf says while a load runs (verifier logs, CO-RE failures) so a failure
// can be explained in a few lines; everything is still passed on to the previous printer
// (the CLI shows it with -v).
class LibbpfCapture {
public:
    LibbpfCapture()
    {
        active_ = this;
        prev_ = libbpf_set_print(&LibbpfCapture::print);
    }
    ~LibbpfCapture()
    {
        libbpf_set_print(prev_);
        active_ = nullptr;
    }
    const std::string& text() const { return text_; }

private:
    static int print(enum libbpf_print_level level, const char* fmt, va_list args)
    {
        va_list copy;
        va_copy(copy, args);
        if (active_ && level != LIBBPF_DEBUG) {
            // Verifier logs arrive as one message of any length.
            va_list sized;
            va_copy(sized, args);
            const int n = std::vsnprintf(nullptr, 0, fmt, sized);
            va_end(sized);
            if (n > 0) {
                std::string buf(static_cast<size_t>(n) + 1, '\0');
                std::vsnprintf(buf.data(), buf.size(), fmt, args);
                buf.resize(static_cast<size_t>(n));
                active_->text_ += buf;
            }
        }
        int ret = active_ && active_->prev_ ? active_->prev_(level, fmt, copy) : 0;
        va_end(copy);
        return ret;
    }
    static inline LibbpfCapture* active_ = nullptr;
    libbpf_print_fn_t prev_ = nullptr;
    std::string text_;
};

std::vector<std::string> lines_of(const std::string& s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l))
        out.push_back(l);
    return out;
}

// "failed to load <what>: <why>" plus the lines of libbpf's output that say why.
Error explain_load_failure(const std::string& what, int err, const std::string& captured)
{
    auto lines = lines_of(captured);
    std::string prog;
    std::vector<std::string> log;
    bool in_log = false;
    for (const auto& l : lines) {
        if (l.find("-- BEGIN PROG LOAD LOG --") != std::string::npos) {
            in_log = true;
            log.clear();
            auto q = l.find("prog '");
            if (q != std::string::npos)
                prog = l.substr(q + 6, l.find('\'', q + 6) - q - 6);
            continue;
        }
        if (l.find("-- END PROG LOAD LOG --") != std::string::npos) {
            in_log = false;
            continue;
        }
        if (in_log && !l.empty())
            log.push_back(l);
    }
    std::string msg;
    if (!prog.empty()) {
        // The verifier's verdict sits just before its "processed N insns" summary.
        auto end = std::find_if(log.begin(), log.end(), [](const std::string& l) {
            return l.rfind("processed ", 0) == 0;
        });
        auto begin = end - std::min<long>(6, end - log.begin());
        msg = "failed to load " + what + ": the verifier rejected program " + prog + ":";
        for (auto it = begin; it != end; ++it)
            msg += "\n    " + *it;
        msg += "\n  (full log: mptcp-sched -v load ...)";
        return Error{err, msg};
    }
    // Not a verifier rejection: CO-RE relocation, missing kernel type, kfunc, ...
    std::vector<std::string> why;
    for (const auto& l : lines)
        if (l.find("libbpf:") != std::string::npos &&
            (l.find("failed") != std::string::npos || l.find("not found") != std::string::npos ||
             l.find("unknown") != std::string::npos || l.find("invalid") != std::string::npos))
            why.push_back(l.substr(l.find("libbpf:") + 8));
    msg = "failed to load " + what + ": " + std::strerror(err);
    for (size_t i = 0; i < why.size() && i < 4; i++)
        msg += "\n    " + why[i];
    return Error{err, msg};
}

struct Source {
    std::string label;                  // for messages
    std::string source;                 // "built-in roundrobin" or a path
    std::vector<std::byte> file_bytes;  // when loaded from a file
    std::span<const std::byte> bytes;
};

Result<Source> resolve_source(const std::string& what)
{
    Source s;
    if (const BuiltinScheduler* b = find_builtin(what)) {
        s.label = b->aliases.front();
        s.source = "built-in " + b->aliases.front();
        s.bytes = b->object;
        return s;
    }
    const bool looks_like_path = what.find('/') != std::string::npos ||
                                 (what.size() > 2 && what.ends_with(".o"));
    if (!looks_like_path)
        return fail_msg("failed to load '" + what + "': unknown scheduler; built-in ones are " +
                            builtin_names_for_humans() + ", or give a path to a .bpf.o",
                        ENOENT);
    auto bytes = read_regular_file(what, kMaxObjectBytes, "failed to load " + what);
    if (!bytes)
        return std::unexpected(bytes.error());
    s.file_bytes.resize(bytes->size());
    std::memcpy(s.file_bytes.data(), bytes->data(), bytes->size());
    s.bytes = s.file_bytes;
    s.label = what;
    s.source = fs::absolute(what).string();
    return s;
}

// The object's own .rodata map: internal, named "<object prefix>.rodata" (not .rodata.str1.1
// or a user map whose name merely contains ".rodata").
struct bpf_map* rodata_map(struct bpf_object* obj)
{
    struct bpf_map* m;
    bpf_object__for_each_map(m, obj) {
        const std::string n = bpf_map__name(m);
        if (bpf_map__is_internal(m) && n.ends_with(".rodata"))
            return m;
    }
    return nullptr;
}

Result<void> set_tunables(struct bpf_object* obj, std::span<const std::byte> elf,
                          const std::string& label,
                          const std::map<std::string, std::string>& tunables)
{
    if (tunables.empty())
        return {};
    const auto known = object_tunables(elf, bpf_object__btf(obj));
    struct bpf_map* rodata = rodata_map(obj);
    std::string names;
    for (const auto& t : known)
        names += (names.empty() ? "" : ", ") + t.name;
    size_t size = 0;
    char* data = rodata ? static_cast<char*>(bpf_map__initial_value(rodata, &size)) : nullptr;
    for (const auto& [name, value] : tunables) {
        auto t = std::find_if(known.begin(), known.end(),
                              [&](const Tunable& k) { return k.name == name; });
        if (t == known.end() || !data)
            return fail_msg("failed to set tunable '" + printable(name) + "': " + label + " has " +
                                (names.empty() ? "no tunables" : "only " + names), EINVAL);
        unsigned long long n = 0;
        if (value == "true") {
            n = 1;
        } else if (value == "false") {
            n = 0;
        } else {
            size_t used = 0;
            bool ok = !value.empty() && value[0] != '-' && value[0] != '+' &&
                      !std::isspace(static_cast<unsigned char>(value[0]));
            if (ok) {
                try {
                    n = std::stoull(value, &used, 0);
                } catch (const std::exception&) {
                    ok = false;
                }
            }
            if (!ok || used != value.size())
                return fail_msg("failed to set " + name + "=" + printable(value) +
                                    ": not a non-negative integer or true/false", EINVAL);
        }
        if (t->size < 8 && n >> (8 * t->size))
            return fail_msg("failed to set " + name + "=" + printable(value) +
                                ": out of range for a " + std::to_string(8 * t->size) +
                                "-bit tunable", ERANGE);
        if (t->offset + t->size > size)
            return fail_msg("failed to set " + name + ": bad .rodata layout", EINVAL);
        std::memcpy(data + t->offset, &n, t->size);   // little-endian host and BPF
    }
    return {};
}

bool is_registered(const Paths& paths, const std::string& name)
{
    auto a = registered_schedulers(paths);
    return std::find(a.begin(), a.end(), name) != a.end();
}

// After a failed load: if the kernel lacks the interface, that is the reason to give (and
// not libbpf's view of it). Probing costs a full BTF parse, so it is done only on failure.
std::optional<Error> kernel_lacks_interface(const std::string& what)
{
    auto probe = probe_running_kernel();
    if (!probe)
        return Error{probe.error().code, "failed to load " + what + ": " + probe.error().message};
    if (probe->supported())
        return std::nullopt;
    auto missing = probe->missing();
    return Error{EOPNOTSUPP,
                 "failed to load " + what + ": kernel lacks the BPF scheduler interface (missing " +
                     missing.front() +
                     (missing.size() > 1 ? " and " + std::to_string(missing.size() - 1) + " more"
                                         : "") +
                     "; see `mptcp-sched status`, or use vmtest/run)"};
}

Result<void> require_loading_possible(const Paths& paths, const std::string& what)
{
    auto priv = current_privileges();
    if (priv && !priv->can_load())
        return fail_msg("failed to load " + what + ": permission denied (needs root, or "
                        "CAP_BPF and CAP_NET_ADMIN)", EPERM);
    fs::path root = paths.pin_root;
    if (!is_bpffs(root.parent_path().string()) && !is_bpffs(root.string())) {
        if (auto lacks = kernel_lacks_interface(what))   // the more fundamental problem
            return std::unexpected(*lacks);
        return fail_msg("failed to load " + what + ": no BPF filesystem at " +
                        root.parent_path().string() + " (mount -t bpf -o mode=0700 bpf " +
                        root.parent_path().string() + ")", ENOENT);
    }
    if (auto r = checked_pin_root(paths, true); !r)
        return std::unexpected(r.error());
    return {};
}

// Unlinks the pins we create (link and known maps) in @dir, then the directory itself;
// never anything else: a file someone else put there makes the rmdir fail, and it stays.
Result<void> remove_pins(const std::string& dir)
{
    UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d)
        return fail_errno("failed to open " + dir);
    auto drop = [&](const char* name) -> Result<void> {
        if (::unlinkat(d.get(), name, 0) != 0 && errno != ENOENT)
            return fail_errno("failed to remove " + dir + "/" + name);
        return {};
    };
    if (auto r = drop(MS_PIN_LINK); !r)
        return r;
    if (auto r = drop(kOpsPin); !r)
        return r;
    if (auto r = drop(MS_PIN_RODATA); !r)
        return r;
    for (const char* m : kPinnedMaps)
        if (auto r = drop(m); !r)
            return r;
    d.reset();
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
        return fail_errno("failed to remove " + dir);
    return {};
}

// Everything a half-done load created; removed unless commit() is called.
class PinGuard {
public:
    explicit PinGuard(std::string dir) : dir_(std::move(dir)) {}
    ~PinGuard()
    {
        if (!committed_)
            (void)remove_pins(dir_);
    }
    void commit() { committed_ = true; }

private:
    std::string dir_;
    bool committed_ = false;
};

}  // namespace

std::vector<std::string> registered_schedulers(const Paths& paths)
{
    auto v = read_sysctl(paths, "net.mptcp.available_schedulers");
    return v ? split_words(*v) : std::vector<std::string>{};
}

std::string registered_name(const std::string& name)
{
    const BuiltinScheduler* b = find_builtin(name);
    return b ? b->name : name;
}

Result<LoadResult> load_scheduler(const LoadRequest& req)
{
    auto src = resolve_source(req.what);
    if (!src)
        return std::unexpected(src.error());
    // The object first: a bad file is reported as such on any kernel.
    auto info = inspect_object(src->bytes, src->label);
    if (!info)
        return fail_msg("failed to load " + src->label + ": not a valid BPF object (" +
                        info.error().message + ")", EINVAL);
    if (info->ops.size() != 1)
        return fail_msg("failed to load " + src->label + ": expected exactly one "
                        "SEC(\".struct_ops.link\") or SEC(\".struct_ops\") struct "
                        "mptcp_sched_ops, found " +
                        std::to_string(info->ops.size()), EINVAL);
    const std::string name = info->ops.front().sched_name;
    if (name.empty())
        return fail_msg("failed to load " + src->label + ": its mptcp_sched_ops has no name", EINVAL);
    if (!valid_scheduler_name(name))
        return fail_msg("failed to load " + src->label + ": its scheduler name '" +
                            printable(name) + "' is not a valid name (letters, digits, _ and ., "
                            "at most " + std::to_string(kSchedNameMax) + ")", EINVAL);
    if (auto ok = require_loading_possible(req.paths, src->label); !ok)
        return std::unexpected(ok.error());

    const std::string dir = req.paths.pin_root + "/" + name;
    struct stat dst {};
    if (::lstat(dir.c_str(), &dst) == 0)
        return fail_msg("failed to load " + src->label + ": " + name +
                        " is already loaded (pinned at " + dir + "); `mptcp-sched unload " +
                        name + "` first", EEXIST);
    if (is_registered(req.paths, name))
        return fail_msg("failed to load " + src->label + ": a scheduler named " + name +
                        " is already registered by someone else", EEXIST);
    auto failed = [&](Error e) -> std::unexpected<Error> {
        if (auto lacks = kernel_lacks_interface(src->label))
            return std::unexpected(*lacks);
        return std::unexpected(std::move(e));
    };

    LibbpfCapture capture;
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str());
    ObjectPtr obj(bpf_object__open_mem(src->bytes.data(), src->bytes.size(), &opts));
    if (!obj)
        return failed(explain_load_failure(src->label, errno, capture.text()));
    if (auto ok = set_tunables(obj.get(), src->bytes, src->label, req.tunables); !ok)
        return std::unexpected(ok.error());
    if (int err = bpf_object__load(obj.get()); err)
        return failed(explain_load_failure(src->label, -err, capture.text()));

    struct bpf_map* ops = bpf_object__find_map_by_name(obj.get(), info->ops.front().map.c_str());
    // A SEC(".struct_ops") map registers without a link and stays registered whoever exits:
    // it is pinned before it registers, so `unload` (which deletes its element) always finds
    // it. libbpf's stand-in link unregisters it if we fail before the end.
    const bool real_link = bpf_map__map_flags(ops) & BPF_F_LINK;

    // A rule added while ms_rules is being (re)loaded waits for its maps to be pinned.
    auto lock = name == "ms_rules" ? take_rules_lock() : Result<UniqueFd>{};
    if (!lock)
        return std::unexpected(lock.error());
    if (::mkdir(dir.c_str(), 0700) != 0)
        return fail_errno("failed to create " + dir);
    PinGuard guard(dir);
    if (!real_link && bpf_map__pin(ops, (dir + "/" + kOpsPin).c_str()))
        return fail_errno("failed to pin the struct_ops map of " + name + " at " + dir);

    LinkPtr link(bpf_map__attach_struct_ops(ops));
    if (!link) {
        int err = errno;
        if (err == EEXIST)
            return fail_msg("failed to register " + name + ": a scheduler with that name is "
                            "already registered", err);
        if (err == EINVAL)
            return fail_msg("failed to register " + name + ": the kernel refused it (a "
                            "scheduler must implement get_send)", err);
        return fail_errno("failed to register " + name, err);
    }
    if (real_link && bpf_link__pin(link.get(), (dir + "/" MS_PIN_LINK).c_str()))
        return fail_errno("failed to pin the link of " + name + " at " + dir);
    // The tunables it runs with: `apply` compares them with the ones a config asks for.
    if (struct bpf_map* ro = rodata_map(obj.get());
        ro && bpf_map__pin(ro, (dir + "/" MS_PIN_RODATA).c_str()))
        return fail_errno("failed to pin the read-only data of " + name + " at " + dir);
    for (const char* m : kPinnedMaps) {
        struct bpf_map* map = bpf_object__find_map_by_name(obj.get(), m);
        if (map && bpf_map__pin(map, (dir + "/" + m).c_str()))
            return fail_errno(std::string("failed to pin map ") + m + " of " + name);
    }

    LoadResult res;
    res.name = name;
    res.pin_dir = dir;
    res.source = src->source;
    if (real_link) {
        struct bpf_link_info li {};
        __u32 len = sizeof(li);
        if (bpf_link_get_info_by_fd(bpf_link__fd(link.get()), &li, &len) == 0) {
            res.link_id = li.id;
            res.map_id = li.struct_ops.map_id;
        }
    } else {
        res.map_id = map_id_of(bpf_map__fd(ops));
    }

    if (req.select) {
        auto sel = select_scheduler(req.paths, name, req.netns);
        if (!sel)
            return std::unexpected(sel.error());   // guard and link destructors undo the load
        res.selected = true;
    }
    // The pin now owns the registration; closing our FD must not detach it.
    bpf_link__disconnect(link.get());
    guard.commit();
    return res;
}

Result<LoadPreview> preview_load(const std::string& what)
{
    auto src = resolve_source(what);
    if (!src)
        return std::unexpected(src.error());
    auto info = inspect_object(src->bytes, src->label);
    if (!info)
        return fail_msg("failed to read " + src->label + ": not a valid BPF object (" +
                        info.error().message + ")", EINVAL);
    if (info->ops.size() != 1 || info->ops.front().sched_name.empty())
        return fail_msg("failed to read " + src->label + ": expected exactly one named struct "
                        "mptcp_sched_ops", EINVAL);
    LibbpfCapture capture;
    ObjectPtr obj(bpf_object__open_mem(src->bytes.data(), src->bytes.size(), nullptr));
    if (!obj)
        return fail_errno("failed to open " + src->label);
    LoadPreview p;
    p.name = info->ops.front().sched_name;
    p.source = src->source;
    size_t size = 0;
    struct bpf_map* ro = rodata_map(obj.get());
    const char* data = ro ? static_cast<const char*>(bpf_map__initial_value(ro, &size)) : nullptr;
    for (const auto& t : object_tunables(src->bytes, bpf_object__btf(obj.get()))) {
        uint64_t v = 0;
        if (data && t.offset + t.size <= size)
            std::memcpy(&v, data + t.offset, t.size);   // little-endian host and BPF
        p.tunables[t.name] = v;
        p.tunable_sizes[t.name] = t.size;
    }
    return p;
}

Result<std::map<std::string, uint64_t>> loaded_rodata(const std::string& pin_dir)
{
    const std::string pin = pin_dir + "/" MS_PIN_RODATA;
    auto pinned = open_pinned_map(pin);
    if (!pinned)
        return std::unexpected(pinned.error());
    const UniqueFd& fd = pinned->fd;
    const struct bpf_map_info& mi = pinned->info;
    if (mi.type != BPF_MAP_TYPE_ARRAY || mi.max_entries != 1 || !mi.btf_id)
        return fail_msg("failed to read " + pin + ": not a .rodata map with BTF", EPROTO);
    std::vector<char> value(mi.value_size);
    const __u32 key = 0;
    if (bpf_map_lookup_elem(fd.get(), &key, value.data()) != 0)
        return fail_errno("failed to read " + pin);
    std::unique_ptr<struct btf, decltype(&btf__free)> btf(btf__load_from_kernel_by_id(mi.btf_id),
                                                          btf__free);
    if (!btf)
        return fail_errno("failed to read the BTF of " + pin);
    const struct btf_type* sec = btf__type_by_id(btf.get(), mi.btf_value_type_id);
    if (!sec || !btf_is_datasec(sec))
        return fail_msg("failed to read " + pin + ": its value is not a DATASEC", EPROTO);
    std::map<std::string, uint64_t> out;
    const struct btf_var_secinfo* v = btf_var_secinfos(sec);
    for (unsigned i = 0; i < btf_vlen(sec); i++, v++) {
        const struct btf_type* var = btf__type_by_id(btf.get(), v->type);
        if (!var || !btf_is_var(var) || v->size > 8 || v->offset + v->size > value.size())
            continue;
        const char* name = btf__name_by_offset(btf.get(), var->name_off);
        uint64_t n = 0;
        std::memcpy(&n, value.data() + v->offset, v->size);
        if (name && *name)
            out[name] = n;
    }
    return out;
}

Result<std::string> unload_scheduler(const Paths& paths, const std::string& what)
{
    const std::string name = registered_name(what);
    if (!valid_scheduler_name(name))
        return fail_msg("failed to unload '" + printable(what) + "': not a scheduler name "
                            "(letters, digits, _ and ., at most " +
                            std::to_string(kSchedNameMax) + ")", EINVAL);
    auto root = checked_pin_root(paths, false);
    if (!root && root.error().code != ENOENT)
        return std::unexpected(root.error());
    // Only what list_loaded() found: a directory entry of the pin root with that exact name.
    std::string loaded;
    const LoadedScheduler* found = nullptr;
    auto all = root ? list_loaded(paths) : Result<std::vector<LoadedScheduler>>{};
    if (!all)
        return std::unexpected(all.error());
    for (const auto& s : *all) {
        loaded += (loaded.empty() ? "" : ", ") + s.name;
        if (s.name == name)
            found = &s;
    }
    if (!found)
        return fail_msg("failed to unload " + what + ": not loaded by mptcp-sched (loaded: " +
                            (loaded.empty() ? "none" : loaded) + ")", ENOENT);
    // Serialised with rule changes (rules.cpp): a rule is never added to a table that is
    // about to disappear and reported as added.
    auto lock = name == "ms_rules" ? take_rules_lock() : Result<UniqueFd>{};
    if (!lock)
        return std::unexpected(lock.error());
    if (auto r = unregister_ops_map(found->pin_dir, name); !r)
        return std::unexpected(r.error());
    if (auto r = remove_pins(found->pin_dir); !r)
        return fail_msg("failed to unload " + name + ": " + r.error().message, r.error().code);
    // Removing the last reference to the link unregisters the scheduler, unless another
    // process still holds the link open; the kernel frees a link from a workqueue, so the
    // unregistration lands shortly after the unlink, not with it (seen: 1 of 49 cycles in
    // the VM still registered right after). Give it two seconds.
    for (int i = 0; i < 200 && is_registered(paths, name); i++)
        ::usleep(10000);
    if (is_registered(paths, name))
        return fail_msg("unpinned " + name + " but it is still registered: another process "
                        "holds its link open", EBUSY);
    return name;
}

Result<std::string> select_scheduler(const Paths& paths, const std::string& what,
                                     const std::string& netns)
{
    const std::string name = registered_name(what);
    auto scope = NetnsScope::enter(paths, netns);
    if (!scope)
        return std::unexpected(scope.error());
    if (!is_registered(paths, name)) {
        std::string avail;
        for (const auto& a : registered_schedulers(paths))
            avail += (avail.empty() ? "" : ", ") + a;
        const BuiltinScheduler* b = find_builtin(what);
        return fail_msg("failed to select " + name + ": not registered (available: " + avail +
                            (b ? "; load it with `mptcp-sched load " + b->aliases.front() + "`"
                               : "") + ")", ENOENT);
    }
    if (auto w = write_sysctl(paths, "net.mptcp.scheduler", name); !w)
        return fail_msg("failed to select " + name + ": " + w.error().message, w.error().code);
    return name;
}

Result<std::vector<LoadedScheduler>> list_loaded(const Paths& paths, bool with_connections)
{
    std::vector<LoadedScheduler> out;
    std::error_code ec;
    auto root = checked_pin_root(paths, false);
    if (!root) {
        if (root.error().code == ENOENT)
            return out;
        return std::unexpected(root.error());
    }
    for (const auto& e : fs::directory_iterator(*root, ec)) {
        if (!e.is_directory() || e.is_symlink() ||
            !valid_scheduler_name(e.path().filename().string()))
            continue;
        LoadedScheduler s;
        s.name = e.path().filename().string();
        s.pin_dir = e.path().string();
        int fd = bpf_obj_get((s.pin_dir + "/" MS_PIN_LINK).c_str());
        if (fd >= 0) {
            struct bpf_link_info li {};
            __u32 len = sizeof(li);
            if (bpf_link_get_info_by_fd(fd, &li, &len) == 0) {
                s.link_id = li.id;
                s.map_id = li.struct_ops.map_id;
            }
            close(fd);
        } else if (UniqueFd m(bpf_obj_get((s.pin_dir + "/" + kOpsPin).c_str())); m) {
            s.map_id = map_id_of(m.get());
        }
        s.registered = is_registered(paths, s.name);
        const std::string states = s.pin_dir + "/" MS_PIN_CONN_STATE;
        s.has_stats = ::access(states.c_str(), F_OK) == 0;
        // A count that cannot be taken (the kernel refuses the iterator) stays unknown:
        // `list` still lists; `stats` reports why.
        if (s.has_stats && with_connections)
            if (auto all = read_conn_states(states))
                s.connections = all->size();
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "mptcp_sched/btf_probe.h"
#include "mptcp_sched/netns.h"
#include "mptcp_sched/schedulers.h"
#include "mptcp_sched/status.h"
#include "mptcp_sched/sysctl.h"

namespace fs = std::filesystem;

namespace mptcp_sched {

namespace {

// The maps pinned next to the link when an object has them: the statistics every scheduler
// built on bpf/mptcp_sched.bpf.h keeps, and the rule table of ms_rules.
const char* const kPinnedMaps[] = {"ms_conns", "ms_subflows", "ms_counters", "ms_rules",
                                   "ms_rules_cfg"};

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
    std::ifstream in(what, std::ios::binary);
    if (!in)
        return fail_errno("failed to load " + what);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    s.file_bytes.resize(raw.size());
    std::memcpy(s.file_bytes.data(), raw.data(), raw.size());
    s.bytes = s.file_bytes;
    s.label = what;
    s.source = fs::absolute(what).string();
    return s;
}

Result<void> set_tunables(struct bpf_object* obj, const std::string& label,
                          const std::map<std::string, std::string>& tunables)
{
    if (tunables.empty())
        return {};
    struct btf* btf = bpf_object__btf(obj);
    struct bpf_map* rodata = nullptr;
    struct bpf_map* m;
    bpf_object__for_each_map(m, obj) {
        if (std::strstr(bpf_map__name(m), ".rodata"))
            rodata = m;
    }
    int sec = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
    if (!rodata || sec <= 0)
        return fail_msg("failed to set tunables of " + label + ": it has none", EINVAL);
    size_t size = 0;
    char* data = static_cast<char*>(bpf_map__initial_value(rodata, &size));
    const struct btf_type* t = btf__type_by_id(btf, sec);

    std::string known;
    for (const auto& [name, value] : tunables) {
        const struct btf_var_secinfo* v = btf_var_secinfos(t);
        bool found = false;
        known.clear();
        for (unsigned i = 0; i < btf_vlen(t); i++, v++) {
            const struct btf_type* var = btf__type_by_id(btf, v->type);
            const char* vname = btf__name_by_offset(btf, var->name_off);
            known += (known.empty() ? "" : ", ") + std::string(vname);
            if (name != vname)
                continue;
            found = true;
            unsigned long long n = 0;
            if (value == "true") {
                n = 1;
            } else if (value == "false") {
                n = 0;
            } else {
                try {
                    size_t used = 0;
                    n = std::stoull(value, &used, 0);
                    if (used != value.size() || value[0] == '-')
                        throw std::invalid_argument(value);
                } catch (const std::exception&) {
                    return fail_msg("failed to set " + name + "=" + value +
                                        ": not a non-negative integer or true/false", EINVAL);
                }
            }
            if (v->size < 8 && n >> (8 * v->size))
                return fail_msg("failed to set " + name + "=" + value + ": out of range for a " +
                                    std::to_string(8 * v->size) + "-bit tunable", ERANGE);
            if (v->offset + v->size > size)
                return fail_msg("failed to set " + name + ": bad .rodata layout", EINVAL);
            std::memcpy(data + v->offset, &n, v->size);   // little-endian host and BPF
        }
        if (!found)
            return fail_msg("failed to set tunable '" + name + "': " + label + " has " +
                                (known.empty() ? "no tunables" : "only " + known), EINVAL);
    }
    return {};
}

bool is_registered(const std::string& name)
{
    auto a = registered_schedulers();
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

Result<void> require_loading_possible(const std::string& what)
{
    auto priv = current_privileges();
    if (priv && !priv->can_load())
        return fail_msg("failed to load " + what + ": permission denied (needs root, or "
                        "CAP_BPF and CAP_NET_ADMIN)", EPERM);
    fs::path root = pin_root();
    if (!is_bpffs(root.parent_path().string())) {
        if (auto lacks = kernel_lacks_interface(what))   // the more fundamental problem
            return std::unexpected(*lacks);
        return fail_msg("failed to load " + what + ": no BPF filesystem at " +
                        root.parent_path().string() + " (mount -t bpf bpf " +
                        root.parent_path().string() + ")", ENOENT);
    }
    return {};
}

// Everything a half-done load created; removed unless commit() is called.
class PinGuard {
public:
    explicit PinGuard(std::string dir) : dir_(std::move(dir)) {}
    ~PinGuard()
    {
        if (committed_)
            return;
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void commit() { committed_ = true; }

private:
    std::string dir_;
    bool committed_ = false;
};

}  // namespace

std::vector<std::string> registered_schedulers()
{
    auto v = read_sysctl("net.mptcp.available_schedulers");
    return v ? split_words(*v) : std::vector<std::string>{};
}

std::string pin_root()
{
    const char* r = std::getenv("MPTCP_SCHED_PIN_ROOT");
    return r && *r ? r : "/sys/fs/bpf/mptcp-sched";
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
                        "SEC(\".struct_ops.link\") struct mptcp_sched_ops, found " +
                        std::to_string(info->ops.size()), EINVAL);
    const std::string name = info->ops.front().sched_name;
    if (name.empty())
        return fail_msg("failed to load " + src->label + ": its mptcp_sched_ops has no name", EINVAL);
    if (auto ok = require_loading_possible(src->label); !ok)
        return std::unexpected(ok.error());

    const std::string dir = pin_root() + "/" + name;
    if (fs::exists(dir))
        return fail_msg("failed to load " + src->label + ": " + name +
                        " is already loaded (pinned at " + dir + "); `mptcp-sched unload " +
                        name + "` first", EEXIST);
    if (is_registered(name))
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
    if (auto ok = set_tunables(obj.get(), src->label, req.tunables); !ok)
        return std::unexpected(ok.error());
    if (int err = bpf_object__load(obj.get()); err)
        return failed(explain_load_failure(src->label, -err, capture.text()));

    struct bpf_map* ops = bpf_object__find_map_by_name(obj.get(), info->ops.front().map.c_str());
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

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return fail_msg("failed to create " + dir + ": " + ec.message(), ec.value());
    PinGuard guard(dir);
    if (bpf_link__pin(link.get(), (dir + "/link").c_str()))
        return fail_errno("failed to pin the link of " + name + " at " + dir);
    for (const char* m : kPinnedMaps) {
        struct bpf_map* map = bpf_object__find_map_by_name(obj.get(), m);
        if (map && bpf_map__pin(map, (dir + "/" + m).c_str()))
            return fail_errno(std::string("failed to pin map ") + m + " of " + name);
    }

    LoadResult res;
    res.name = name;
    res.pin_dir = dir;
    res.source = src->source;
    struct bpf_link_info li {};
    __u32 len = sizeof(li);
    if (bpf_link_get_info_by_fd(bpf_link__fd(link.get()), &li, &len) == 0)
        res.link_id = li.id;

    if (req.select) {
        auto sel = select_scheduler(name, req.netns);
        if (!sel)
            return std::unexpected(sel.error());   // guard and link destructors undo the load
        res.selected = true;
    }
    // The pin now owns the registration; closing our FD must not detach it.
    bpf_link__disconnect(link.get());
    guard.commit();
    return res;
}

Result<std::string> unload_scheduler(const std::string& what)
{
    const std::string name = registered_name(what);
    const std::string dir = pin_root() + "/" + name;
    if (!fs::exists(dir)) {
        std::string loaded;
        if (auto l = list_loaded())
            for (const auto& s : *l)
                loaded += (loaded.empty() ? "" : ", ") + s.name;
        return fail_msg("failed to unload " + what + ": not loaded by mptcp-sched (loaded: " +
                            (loaded.empty() ? "none" : loaded) + ")", ENOENT);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec)
        return fail_msg("failed to unload " + name + ": cannot remove " + dir + ": " +
                            ec.message(), ec.value());
    // Removing the last reference to the link unregisters synchronously, unless another
    // process still holds the link open.
    if (is_registered(name))
        return fail_msg("unpinned " + name + " but it is still registered: another process "
                        "holds its link open", EBUSY);
    return name;
}

Result<std::string> select_scheduler(const std::string& what, const std::string& netns)
{
    const std::string name = registered_name(what);
    auto scope = NetnsScope::enter(netns);
    if (!scope)
        return std::unexpected(scope.error());
    if (!is_registered(name)) {
        std::string avail;
        for (const auto& a : registered_schedulers())
            avail += (avail.empty() ? "" : ", ") + a;
        const BuiltinScheduler* b = find_builtin(what);
        return fail_msg("failed to select " + name + ": not registered (available: " + avail +
                            (b ? "; load it with `mptcp-sched load " + b->aliases.front() + "`"
                               : "") + ")", ENOENT);
    }
    if (auto w = write_sysctl("net.mptcp.scheduler", name); !w)
        return fail_msg("failed to select " + name + ": " + w.error().message, w.error().code);
    return name;
}

Result<std::vector<LoadedScheduler>> list_loaded()
{
    std::vector<LoadedScheduler> out;
    std::error_code ec;
    if (!fs::exists(pin_root(), ec))
        return out;
    for (const auto& e : fs::directory_iterator(pin_root(), ec)) {
        if (!e.is_directory())
            continue;
        LoadedScheduler s;
        s.name = e.path().filename().string();
        s.pin_dir = e.path().string();
        int fd = bpf_obj_get((s.pin_dir + "/link").c_str());
        if (fd >= 0) {
            struct bpf_link_info li {};
            __u32 len = sizeof(li);
            if (bpf_link_get_info_by_fd(fd, &li, &len) == 0) {
                s.link_id = li.id;
                s.map_id = li.struct_ops.map_id;
            }
            close(fd);
        }
        s.registered = is_registered(s.name);
        int cfd = bpf_obj_get((s.pin_dir + "/ms_conns").c_str());
        if (cfd >= 0) {
            size_t n = 0;
            __u64 key = 0, next = 0;
            const __u64* prev = nullptr;
            while (bpf_map_get_next_key(cfd, prev, &next) == 0) {
                n++;
                key = next;
                prev = &key;
            }
            s.connections = n;
            close(cfd);
        }
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

}  // namespace mptcp_sched

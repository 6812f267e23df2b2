// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/cgroup.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace mptcp_sched {

namespace {

constexpr unsigned long kCgroup2Magic = 0x63677270;

}  // namespace

std::string cgroup2_root()
{
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS... - FSTYPE SOURCE SUPEROPTS
        auto dash = line.find(" - ");
        if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0)
            continue;
        std::istringstream f(line.substr(0, dash));
        std::string id, parent, dev, root, mnt;
        f >> id >> parent >> dev >> root >> mnt;
        return mnt;
    }
    return "";
}

Result<CgroupRef> resolve_cgroup(const std::string& path, const std::string& cgroup_root)
{
    const std::string root = cgroup_root.empty() ? cgroup2_root() : cgroup_root;
    if (root.empty())
        return fail_msg("invalid cgroup '" + path + "': no cgroup v2 filesystem is mounted",
                        ENOENT);
    fs::path p = path;
    if (p.is_relative() || !path.starts_with(root + "/"))
        p = fs::path(root) / fs::path(path).relative_path();
    std::error_code ec;
    fs::path canon = fs::weakly_canonical(p, ec);
    struct statfs sfs {};
    struct stat st {};
    if (ec || ::stat(canon.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail_msg("invalid cgroup '" + path + "': no such cgroup directory (" +
                        canon.string() + ")", ENOENT);
    if (::statfs(canon.c_str(), &sfs) != 0 || static_cast<unsigned long>(sfs.f_type) != kCgroup2Magic)
        return fail_msg("invalid cgroup '" + path + "': " + canon.string() +
                        " is not on a cgroup v2 filesystem", EINVAL);
    fs::path rel = fs::relative(canon, fs::weakly_canonical(root), ec);
    CgroupRef r;
    r.id = st.st_ino;
    r.path = "/";
    if (rel != ".") {
        for (const auto& part : rel) {
            if (part == "..")
                return fail_msg("invalid cgroup '" + path + "': outside " + root, EINVAL);
            r.level++;
        }
        r.path += rel.string();
    }
    if (r.level > kCgroupMaxLevel)
        return fail_msg("invalid cgroup '" + path + "': deeper than " +
                        std::to_string(kCgroupMaxLevel) + " levels", EINVAL);
    return r;
}

std::string cgroup_path_of(uint64_t id, uint32_t level, const std::string& root)
{
    if (root.empty())
        return "";
    std::error_code ec;
    struct stat st {};
    if (level == 0)
        return ::stat(root.c_str(), &st) == 0 && st.st_ino == id ? "/" : "";
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_directory(ec)) {
            continue;
        }
        if (static_cast<uint32_t>(it.depth()) + 1 > level) {
            it.disable_recursion_pending();
            continue;
        }
        if (static_cast<uint32_t>(it.depth()) + 1 == level) {
            it.disable_recursion_pending();
            if (::stat(it->path().c_str(), &st) == 0 && st.st_ino == id)
                return "/" + fs::relative(it->path(), root).string();
        }
    }
    return "";
}

}  // namespace mptcp_sched

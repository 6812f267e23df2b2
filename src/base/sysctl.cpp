// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/sysctl.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mptcp_sched {

std::string sysctl_path(const Paths& paths, const std::string& key)
{
    std::string rel = key;
    std::replace(rel.begin(), rel.end(), '.', '/');
    return paths.sysctl_root + "/" + rel;
}

static std::string trim(const std::string& s)
{
    const char* ws = " \t\n\r";
    auto b = s.find_first_not_of(ws);
    if (b == std::string::npos)
        return "";
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

Result<std::string> read_sysctl(const Paths& paths, const std::string& key)
{
    const std::string path = sysctl_path(paths, key);
    std::ifstream in(path);
    if (!in)
        return fail_errno("failed to read sysctl " + key);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        return fail_errno("failed to read sysctl " + key);
    return trim(ss.str());
}

Result<void> write_sysctl(const Paths& paths, const std::string& key, const std::string& value)
{
    const std::string path = sysctl_path(paths, key);
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
        return fail_errno("failed to set sysctl " + key);
    bool ok = std::fputs(value.c_str(), f) >= 0;
    int err = errno;
    // The kernel validates the value on write; the error surfaces at flush/close.
    if (std::fclose(f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok)
        return fail_errno("failed to set sysctl " + key + "=" + value, err);
    return {};
}

std::vector<std::string> split_words(const std::string& s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

Result<long> parse_sysctl_int(const std::string& value)
{
    const std::string v = trim(value);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
        return fail_msg("not a non-negative integer: '" + v + "'", EINVAL);
    errno = 0;
    long n = std::strtol(v.c_str(), nullptr, 10);
    if (errno == ERANGE)
        return fail_msg("integer out of range: '" + v + "'", ERANGE);
    return n;
}

}  // namespace mptcp_sched

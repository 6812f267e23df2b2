// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mptcp_sched {

Result<UniqueFd> open_regular_file(const std::string& path, size_t max_bytes,
                                   const std::string& what)
{
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd)
        return fail_errno(what);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail_errno(what);
    if (!S_ISREG(st.st_mode))
        return fail_msg(what + ": not a regular file", EINVAL);
    if (static_cast<unsigned long long>(st.st_size) > max_bytes)
        return fail_msg(what + ": too large (" + std::to_string(st.st_size) + " bytes; at most " +
                            std::to_string(max_bytes) + ")", EFBIG);
    const int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl >= 0)
        (void)::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

Result<std::string> read_regular_file(const std::string& path, size_t max_bytes,
                                      const std::string& what)
{
    auto fd = open_regular_file(path, max_bytes, what);
    if (!fd)
        return std::unexpected(fd.error());
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd->get(), buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail_errno(what);
        }
        if (n == 0)
            break;
        // The file may grow after the size check.
        if (out.size() + static_cast<size_t>(n) > max_bytes)
            return fail_msg(what + ": too large (more than " + std::to_string(max_bytes) +
                                " bytes)", EFBIG);
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<void> write_file(const std::string& path, const std::string& data, const std::string& what)
{
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
                                         O_NOCTTY | O_NONBLOCK, 0644));
    if (!fd)
        return fail_errno(what);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail_errno(what);
    if (!S_ISREG(st.st_mode))
        return fail_msg(what + ": not a regular file", EINVAL);
    if (!write_full(fd.get(), data.data(), data.size()))
        return fail_errno(what);
    if (::close(fd.release()) != 0)
        return fail_errno(what);
    return {};
}

bool is_plain_file_name(const std::string& name)
{
    return !name.empty() && name != "." && name != ".." &&
           name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// Move-only owner of a file descriptor, and whole-buffer reads and writes.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <utility>

namespace mptcp_sched {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept
    {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1)
    {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// Transfers exactly @n bytes (retrying short transfers and EINTR); false on error or EOF.
template <typename Op, typename Ptr>
bool transfer_all(Op op, int fd, Ptr p, size_t n)
{
    while (n) {
        ssize_t r = op(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return false;
        }
        p += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}
inline bool read_full(int fd, void* buf, size_t n)
{
    return transfer_all(::read, fd, static_cast<char*>(buf), n);
}
inline bool write_full(int fd, const void* buf, size_t n)
{
    return transfer_all(::write, fd, static_cast<const char*>(buf), n);
}

}  // namespace mptcp_sched

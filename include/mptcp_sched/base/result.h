// SPDX-License-Identifier: GPL-2.0
// Error type of the library: every fallible function returns Result<T>, an expected value
// or an Error carrying errno and a message that reads "failed to <verb> <object>: <reason>".
// Exceptions are not used inside the library; the CLI turns errors into messages and exit
// codes.
#pragma once

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>

namespace mptcp_sched {

struct Error {
    int code = 0;          // errno value, 0 when not from a system call
    std::string message;   // complete, user-facing sentence

    static Error sys(int err, const std::string& what)
    {
        return Error{err, what + ": " + std::strerror(err)};
    }
    static Error msg(const std::string& what, int err = 0) { return Error{err, what}; }
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline std::unexpected<Error> fail_errno(const std::string& what, int err = errno)
{
    return std::unexpected<Error>(Error::sys(err, what));
}
inline std::unexpected<Error> fail_msg(const std::string& what, int err = 0)
{
    return std::unexpected<Error>(Error::msg(what, err));
}

}  // namespace mptcp_sched

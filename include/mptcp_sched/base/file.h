// SPDX-License-Identifier: GPL-2.0
// Reading and writing files named by users: every path may be hostile (a directory, a FIFO
// that never delivers, /dev/zero, a symlink planted in a shared directory).
#pragma once

#include <cstddef>
#include <string>

#include "mptcp_sched/base/fd.h"
#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// Opens @path for reading without blocking on FIFOs and checks that it is a regular file of
// at most @max_bytes. Errors read "<what>: <reason>".
Result<UniqueFd> open_regular_file(const std::string& path, size_t max_bytes,
                                   const std::string& what);

// The whole content of a regular file of at most @max_bytes (see open_regular_file).
Result<std::string> read_regular_file(const std::string& path, size_t max_bytes,
                                      const std::string& what);

// Writes @data to @path (created 0644 or truncated), refusing to follow a symlink in the
// last component, and checks every write and the close. Errors read "<what>: <reason>".
Result<void> write_file(const std::string& path, const std::string& data,
                        const std::string& what);

// True when @name is a single path component that stays where it is put: not empty, not
// "." or "..", no '/' and no NUL.
bool is_plain_file_name(const std::string& name);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// Echoing what users and peers give us: names, paths and addresses may hold control
// characters, invalid UTF-8 or shell syntax.
#pragma once

#include <string>
#include <string_view>

namespace mptcp_sched {

// @s with control characters, DEL and bytes that are not valid UTF-8 written as \xNN (and
// a backslash as \\), so echoing it cannot move the cursor, clear the screen or forge lines.
std::string printable(std::string_view s);

// @s as one word for a POSIX shell: unchanged when it holds only safe characters
// ([A-Za-z0-9_./:=@%+,-]), otherwise in single quotes.
std::string shell_quote(std::string_view s);

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// JSON in and out for documents that may be hostile: nesting is capped before the
// recursive parser sees it, and text that is not UTF-8 (an interface, netns or pin named
// "x\xff") is printed with U+FFFD instead of throwing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mptcp_sched/base/result.h"

namespace mptcp_sched {

// Deepest nesting of arrays and objects any of our documents needs, with room to spare.
constexpr size_t kMaxJsonDepth = 64;

// Parses @text, refusing nesting deeper than @max_depth; errors read "<what>: why".
Result<nlohmann::json> parse_json(const std::string& text, const std::string& what,
                                  size_t max_depth = kMaxJsonDepth);

// dump() that never throws on invalid UTF-8.
inline std::string dump_json(const nlohmann::json& j, int indent = -1)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mptcp_sched

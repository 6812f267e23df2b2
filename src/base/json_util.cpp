// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/json_util.h"

namespace mptcp_sched {

Result<nlohmann::json> parse_json(const std::string& text, const std::string& what,
                                  size_t max_depth)
{
    // The parser recurses once per level; 70000 '[' overflow the stack. Count the nesting
    // outside strings first.
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return fail_msg(what + ": nested deeper than " + std::to_string(max_depth) +
                                    " levels", EINVAL);
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const std::exception& e) {
        return fail_msg(what + ": not valid JSON: " + e.what(), EINVAL);
    }
}

}  // namespace mptcp_sched

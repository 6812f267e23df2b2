// SPDX-License-Identifier: GPL-2.0
// What the hand-written SVG charts (bench, sweep heatmaps, timelines) share: numbers that
// are never NaN, infinite or "-0.0", and text escaped for XML.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace mptcp_sched {

inline std::string svg_num(double v, int prec = 1)
{
    if (!std::isfinite(v) || std::fabs(v) < 0.5 * std::pow(10.0, -prec))
        v = 0;
    char b[64];
    std::snprintf(b, sizeof(b), "%.*f", prec, v);
    return b;
}

inline std::string xml_escape(const std::string& s)
{
    std::string o;
    for (char c : s)
        o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;"
                                                                          : std::string(1, c);
    return o;
}

}  // namespace mptcp_sched

// SPDX-License-Identifier: GPL-2.0
// Included before everything else in every C++ file of the project (CMakeLists.txt: -include):
// nlohmann::json's internal assertions (a missing key read through a const operator[], an
// iterator misuse) throw instead of being compiled out into undefined behaviour, so a
// hostile document is an error message, never a crash. (The few assertions inside
// noexcept functions end in std::terminate, which the CLI reports in one line.)
#pragma once

#ifdef __cplusplus
#include <stdexcept>

[[noreturn]] inline void mptcp_sched_json_assert_failed(const char* what)
{
    throw std::out_of_range(std::string("a key is missing or a value has the wrong type (") +
                            what + ")");
}

#define JSON_ASSERT(x) ((x) ? static_cast<void>(0) : mptcp_sched_json_assert_failed(#x))
#endif

// SPDX-License-Identifier: GPL-2.0
// How a long-running library call (bench, run, pathd) learns that it should stop. The
// library installs no signal handlers: the program that embeds it owns the signals (the
// CLI blocks SIGINT/SIGTERM/SIGHUP and reads them through a signalfd, tools/cli/signals.h)
// and hands the calls a StopToken on that descriptor. A default StopToken never stops.
#pragma once

#include <signal.h>

#include <memory>
#include <optional>

namespace mptcp_sched {

struct StopRequest {
    int signo = 0;
    // Sent to this process alone by another one (kill), not by the terminal to the whole
    // foreground group: `run` passes only these on to its command, which got the
    // terminal's own already.
    bool sent_to_us = false;
};

class StopToken {
public:
    StopToken() = default;
    // @signal_fd: a signalfd for the stop signals, owned by the caller, which outlives the
    // token. @child_mask: the signal mask a command started by the library runs with
    // (what the program had before it blocked the stop signals).
    StopToken(int signal_fd, const sigset_t& child_mask);

    // Pollable for POLLIN while a request waits; -1 = never.
    int fd() const;
    // The next waiting request, without blocking (nullopt: none).
    std::optional<StopRequest> take() const;
    // Whether a stop was requested, now or earlier (takes what waits).
    bool requested() const;
    // The signal of the first request taken (0: none yet).
    int signal() const;
    // In a forked child before exec: restores the program's own signal mask, so the
    // command gets Ctrl-C and SIGTERM as usual. Async-signal-safe.
    void prepare_child() const;

private:
    struct State;
    std::shared_ptr<State> s_;
};

}  // namespace mptcp_sched

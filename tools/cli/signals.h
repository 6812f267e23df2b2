// SPDX-License-Identifier: GPL-2.0
// The CLI's one way to handle signals: while a StopSignals lives, the stop signals are
// blocked and read through a signalfd, which the library sees as a StopToken (bench, run,
// pathd) and the CLI itself waits on (trace). Nothing is lost between the two: a signal
// that comes before the library looks stays pending until it does.
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <initializer_list>

#include "mptcp_sched/base/stop.h"

namespace mptcp_sched::cli {

class StopSignals {
public:
    explicit StopSignals(std::initializer_list<int> signals)
    {
        sigemptyset(&set_);
        for (int s : signals)
            sigaddset(&set_, s);
        // Threads started from here on (trace's recorder, the bench's servers) inherit the
        // mask, so every stop signal ends up in the descriptor.
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
        fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
        token_ = StopToken(fd_, old_);
    }
    ~StopSignals()
    {
        // A second Ctrl-C still pending would kill us on unblocking: take it first.
        struct timespec zero {};
        while (sigtimedwait(&set_, nullptr, &zero) > 0) {
        }
        if (fd_ >= 0)
            ::close(fd_);
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    const StopToken& token() const { return token_; }

    // A stop within @ms milliseconds?
    bool wait(long ms)
    {
        if (token_.requested())
            return true;
        struct pollfd p = {fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(ms)) > 0)
            return token_.requested();
        return false;
    }

private:
    sigset_t set_, old_;
    int fd_ = -1;
    StopToken token_;
};

}  // namespace mptcp_sched::cli

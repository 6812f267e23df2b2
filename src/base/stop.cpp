// SPDX-License-Identifier: GPL-2.0
#include "mptcp_sched/base/stop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>

namespace mptcp_sched {

struct StopToken::State {
    int fd = -1;
    sigset_t child_mask;
    std::atomic<int> first{0};
};

StopToken::StopToken(int signal_fd, const sigset_t& child_mask) : s_(std::make_shared<State>())
{
    s_->fd = signal_fd;
    s_->child_mask = child_mask;
}

int StopToken::fd() const
{
    return s_ ? s_->fd : -1;
}

std::optional<StopRequest> StopToken::take() const
{
    if (!s_ || s_->fd < 0)
        return std::nullopt;
    struct pollfd p = {s_->fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
        return std::nullopt;
    struct signalfd_siginfo si {};
    if (::read(s_->fd, &si, sizeof(si)) != static_cast<ssize_t>(sizeof(si)))
        return std::nullopt;
    StopRequest r;
    r.signo = static_cast<int>(si.ssi_signo);
    r.sent_to_us = si.ssi_code <= 0;   // SI_USER, SI_TKILL, SI_QUEUE; the tty's is SI_KERNEL
    int none = 0;
    s_->first.compare_exchange_strong(none, r.signo);
    return r;
}

bool StopToken::requested() const
{
    if (!s_)
        return false;
    while (take()) {
    }
    return s_->first.load() != 0;
}

int StopToken::signal() const
{
    return s_ ? s_->first.load() : 0;
}

void StopToken::prepare_child() const
{
    if (s_)
        ::sigprocmask(SIG_SETMASK, &s_->child_mask, nullptr);
}

}  // namespace mptcp_sched

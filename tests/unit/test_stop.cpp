// SPDX-License-Identifier: GPL-2.0
// StopToken: what bench, run and pathd see of the signals the program owns.
#include <catch2/catch_test_macros.hpp>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "mptcp_sched/base/stop.h"

using namespace mptcp_sched;

TEST_CASE("a default stop token never stops", "[stop]")
{
    StopToken t;
    CHECK(t.fd() == -1);
    CHECK_FALSE(t.take());
    CHECK_FALSE(t.requested());
    CHECK(t.signal() == 0);
    t.prepare_child();   // nothing to restore, no crash
}

TEST_CASE("a stop token reports a signal sent to us once, then stays requested", "[stop]")
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    const int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    REQUIRE(fd >= 0);
    {
        StopToken t(fd, old);
        CHECK_FALSE(t.requested());
        ::kill(getpid(), SIGUSR2);
        auto r = t.take();
        REQUIRE(r);
        CHECK(r->signo == SIGUSR2);
        CHECK(r->sent_to_us);   // kill() by a process, not the terminal
        CHECK_FALSE(t.take());
        CHECK(t.requested());   // sticky
        CHECK(t.signal() == SIGUSR2);
        StopToken copy = t;     // copies share the state
        CHECK(copy.requested());
    }
    ::close(fd);
    struct timespec zero {};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

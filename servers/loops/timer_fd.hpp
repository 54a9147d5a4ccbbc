#pragma once
// A timerfd on CLOCK_MONOTONIC (steady_clock's clock on Linux): how the epoll
// loop waits for its delays and sweeps without a sleep.
#include <chrono>

#include "common/fd.hpp"

namespace pb {

// Non-blocking, close-on-exec. Throws naming timerfd_create.
Fd make_timer();

// Fires at `when` (absolute), then every `interval` unless it is 0. Throws
// naming timerfd_settime and the descriptor.
void arm_timer(int fd, std::chrono::steady_clock::time_point when,
               std::chrono::milliseconds interval = std::chrono::milliseconds(0));

} // namespace pb

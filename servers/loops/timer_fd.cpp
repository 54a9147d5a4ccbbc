#include "loops/timer_fd.hpp"

#include <string>
#include <sys/timerfd.h>

#include "common/system_error.hpp"

namespace pb {

void arm_timer(int fd, std::chrono::steady_clock::time_point when, std::chrono::milliseconds interval) {
    auto since_epoch = when.time_since_epoch();
    itimerspec spec{};
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    spec.it_value.tv_sec = secs.count();
    spec.it_value.tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count();
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    spec.it_interval.tv_sec = interval.count() / 1000;
    spec.it_interval.tv_nsec = (interval.count() % 1000) * 1'000'000;
    // steady_clock is CLOCK_MONOTONIC on Linux, the clock of the timerfd.
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        throw_system_error("timerfd_settime", "fd " + std::to_string(fd));
}

Fd make_timer() {
    Fd fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd) throw_system_error("timerfd_create", "CLOCK_MONOTONIC");
    return fd;
}

} // namespace pb

#pragma once
// Timeouts need only coarse time; CLOCK_MONOTONIC_COARSE is a vDSO read
// without the TSC arithmetic, cheap enough for every request.
#include <chrono>
#include <ctime>

namespace pb {

struct CoarseClock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<CoarseClock>;
};

inline CoarseClock::time_point coarse_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return CoarseClock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

} // namespace pb

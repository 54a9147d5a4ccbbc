#pragma once
// CLOCK_REALTIME in nanoseconds since the epoch: the one clock two hosts can
// compare (the start barrier, the clock-offset probe). Durations on one
// host use a steady clock instead.
#include <cstdint>
#include <time.h>

namespace pb {

inline std::int64_t realtime_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

} // namespace pb

#pragma once
// --critical-section SHARE: the first SHARE of a request's CPU work is burnt
// holding one mutex of the whole process, the rest without it. It models
// per-request work on process-global state (an allocator arena, a cache, a
// runtime lock): the threads of one process contend for it, forked
// processes each have their own. A share of 0 takes no lock at all.
#include <chrono>

namespace pb {

struct WorkSplit {
    std::chrono::nanoseconds locked{0};   // burnt first, holding the mutex
    std::chrono::nanoseconds unlocked{0}; // then the rest, without it
};

// `share` in [0, 1] (the flag checks it); locked + unlocked == work.
WorkSplit split_work(std::chrono::nanoseconds work, double share);

using BurnCpu = void (*)(std::chrono::nanoseconds);

// Spends `work` through `burn`, the locked part inside the process's mutex.
// The handler passes burn_cpu; tests pass a probe.
void burn_request_work(std::chrono::nanoseconds work, double share, BurnCpu burn);

} // namespace pb

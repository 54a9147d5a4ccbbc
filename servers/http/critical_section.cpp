#include "http/critical_section.hpp"

#include <cmath>
#include <mutex>

namespace pb {
namespace {

// One per process, and never held across fork: the forking servers fork
// their workers from a master that serves no request, and every pauser is
// forked before its process has threads.
constinit std::mutex process_wide;

} // namespace

WorkSplit split_work(std::chrono::nanoseconds work, double share) {
    if (work <= std::chrono::nanoseconds::zero() || share <= 0.0) return {std::chrono::nanoseconds::zero(), work};
    if (share >= 1.0) return {work, std::chrono::nanoseconds::zero()};
    const std::chrono::nanoseconds locked{std::llround(static_cast<double>(work.count()) * share)};
    return {locked, work - locked};
}

void burn_request_work(std::chrono::nanoseconds work, double share, BurnCpu burn) {
    const WorkSplit split = split_work(work, share);
    if (split.locked > std::chrono::nanoseconds::zero()) {
        const std::lock_guard hold(process_wide);
        burn(split.locked);
    }
    if (split.unlocked > std::chrono::nanoseconds::zero()) burn(split.unlocked);
}

} // namespace pb

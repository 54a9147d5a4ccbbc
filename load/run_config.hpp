#pragma once
// What every load thread shares, read-only once the run starts: where to
// send, what a request looks like, the schedule and the clock's origin.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "load/schedule.hpp"
#include "load/target_url.hpp"

namespace pb::load {

enum class LoadMode { open, closed };

struct RunConfig {
    TargetUrl url;
    std::string header_block;        // every header line with its CRLF, then the blank line's CRLF
    bool has_work = false, has_delay = false; // which costs the URL carries
    bool connect_per_request = false;
    LoadMode mode = LoadMode::open;
    std::vector<PlannedRequest> schedule; // open: every request in time order; closed: costs, cycled
    std::int64_t warmup_ns = 0;      // requests intended (open) or sent (closed) earlier are not measured
    std::int64_t end_ns = 0;         // warm-up + duration: nothing is sent later
    std::int64_t timeout_ns = 0;
    std::uint64_t seed = 1;          // --seed: also seeds each thread's idle-connection draws
    std::int64_t spin_ns = 100'000;  // --spin: how long before a due send the loop stops sleeping
};

// The monotonic clock in nanoseconds: the one time base of the generator.
inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace pb::load

#pragma once
// The Apache prefork worker: one connection at a time, blocking calls, and
// the delay is a real sleep of the whole process. N processes serve at most
// N connections at once; the rest wait in the listen queue.
#include <chrono>
#include <functional>

#include "stats/worker_counters.hpp"
#include "http/handler.hpp"
#include "common/process_mutex.hpp"

namespace pb {

struct BlockingWorkerConfig {
    int listen_fd = -1; // blocking, with SO_RCVTIMEO so that accept wakes up to check for a stop
    HandlerConfig handler;
    std::chrono::nanoseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::nanoseconds header_timeout{std::chrono::seconds(10)};
    ProcessMutex* accept_mutex = nullptr;
};

// How long a blocking call may last before the worker checks for a stop
// request: signals do not interrupt pthread_mutex_lock, and a signal that
// arrives just before a blocking call would otherwise be missed.
inline constexpr std::chrono::milliseconds stop_check_interval{250};

int run_blocking_worker(const BlockingWorkerConfig& config, WorkerCounters& counters,
                        const std::function<void()>& ready);

} // namespace pb

#pragma once
// Per-worker counters. Each worker (process or thread) owns one slot and is
// its only writer; the master (or the thread handling SIGUSR1) may read any
// slot at any time, to write the stats file while the server runs. Slots of
// forked workers live in shared memory (see shared_memory.hpp).
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <sys/types.h>

#include "common/worker_counter_list.hpp"

namespace pb {

// A counter with one writer and any number of readers. Relaxed atomic loads
// and stores compile to plain moves (no locked instruction on the request
// path) yet make concurrent reads well defined, also across processes: a
// lock-free atomic in a MAP_SHARED page is address-free.
class Counter {
public:
    Counter() = default;
    Counter(const Counter& other) : value_(other.get()) {}
    Counter& operator=(const Counter& other) {
        value_.store(other.get(), std::memory_order_relaxed);
        return *this;
    }
    Counter& operator=(std::uint64_t n) {
        value_.store(n, std::memory_order_relaxed);
        return *this;
    }
    Counter& operator+=(std::uint64_t n) {
        value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
        return *this;
    }
    Counter& operator++() { return *this += 1; }
    std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }
    operator std::uint64_t() const { return get(); }

private:
    std::atomic<std::uint64_t> value_{0};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// One slot: the writer's pid and every counter of PB_WORKER_COUNTERS.
struct alignas(64) WorkerCounters {
    std::atomic<pid_t> pid{0};
#define PB_COUNTER_FIELD(name, meaning) Counter name;
    PB_WORKER_COUNTERS(PB_COUNTER_FIELD)
#undef PB_COUNTER_FIELD

    WorkerCounters() = default;
    WorkerCounters(const WorkerCounters& other);
    WorkerCounters& operator=(const WorkerCounters& other);

    // Counts a response sent and the request it answers. Any status type
    // whose value is its HTTP code (http/handler.hpp's Status): the counters
    // sit below the protocol and know no more of it than the number.
    template <typename StatusCode>
    void count_response(StatusCode status) {
        count_response_code(static_cast<unsigned>(status));
    }
    void count_response_code(unsigned code);
};

// CSV, one row per slot: "worker,pid," then the counters in list order,
// header first. Written to a temporary file and renamed, so that a reader
// never sees half a file (the harness waits for the file to appear after
// SIGUSR1). Throws on failure.
void write_stats_csv(const std::string& path, std::span<const WorkerCounters> workers);

// "worker,pid,connections,...": the header of that file.
std::string stats_csv_header();

} // namespace pb

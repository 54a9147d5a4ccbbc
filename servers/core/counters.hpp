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

#include "handler.hpp"

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

struct alignas(64) WorkerCounters {
    std::atomic<pid_t> pid{0};
    Counter connections;   // accepted by this worker
    Counter requests;      // responses sent, any status
    Counter responses_2xx;
    Counter responses_4xx;
    Counter responses_5xx;
    Counter parse_errors;  // malformed, too large, unsupported version
    Counter timeouts;      // idle or header timeout closed the connection
    Counter bytes_in;
    Counter bytes_out;
    Counter accept_errors; // EMFILE, ENFILE, ENOBUFS, ... (backed off)
    Counter respawns;      // times this slot's process was replaced

    WorkerCounters() = default;
    WorkerCounters(const WorkerCounters& other);
    WorkerCounters& operator=(const WorkerCounters& other);

    void count_response(Status status); // counts the request too
};

// CSV, one row per slot, header first; written to a temporary file and
// renamed so that a reader never sees half a file (the harness waits for the
// file to appear after SIGUSR1). Throws on failure.
void write_stats_csv(const std::string& path, std::span<const WorkerCounters> workers);

inline constexpr const char* stats_csv_header =
    "worker,pid,connections,requests,responses_2xx,responses_4xx,responses_5xx,"
    "parse_errors,timeouts,bytes_in,bytes_out,accept_errors,respawns";

} // namespace pb

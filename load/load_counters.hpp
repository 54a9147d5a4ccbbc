#pragma once
// What one load thread measured; merged over the threads at the end.
#include <atomic>
#include <cstdint>

#include "load/latency_histogram.hpp"

namespace pb::load {

struct ErrorCounts {
    std::uint64_t connect = 0, read = 0, write = 0, timeout = 0, status = 0;
    std::uint64_t total() const { return connect + read + write + timeout + status; }
    void add(const ErrorCounts& other) {
        connect += other.connect;
        read += other.read;
        write += other.write;
        timeout += other.timeout;
        status += other.status;
    }
};

struct LoadCounters {
    LatencyHistogram latency;       // intended send (closed loop: the send) to the response's last byte, µs
    LatencyHistogram lateness;      // actual minus intended send, of requests sent on time (not queued), µs
    LatencyHistogram connect;       // connect time with --connect-per-request, µs
    ErrorCounts errors;             // measured requests only
    std::uint64_t completed = 0;    // measured requests answered with 200
    std::uint64_t sent = 0;         // every request written, warm-up included
    std::uint64_t queued = 0;       // measured requests that waited for a free connection
    std::int64_t longest_queue_wait_ns = 0;
    std::uint64_t largest_backlog = 0;
    std::uint64_t reconnects = 0;   // keep-alive connections the server closed, opened again
    std::uint64_t connect_failures = 0; // connection attempts that failed with no request waiting on them
    std::uint64_t measured_sent = 0;    // measured requests written (late or not): the rate the generator kept

    void add(const LoadCounters& other);
};

} // namespace pb::load

#include "load/load_counters.hpp"

#include <algorithm>

namespace pb::load {

void LoadCounters::add(const LoadCounters& other) {
    latency.merge(other.latency);
    lateness.merge(other.lateness);
    connect.merge(other.connect);
    errors.add(other.errors);
    completed += other.completed;
    sent += other.sent;
    queued += other.queued;
    longest_queue_wait_ns = std::max(longest_queue_wait_ns, other.longest_queue_wait_ns);
    largest_backlog = std::max(largest_backlog, other.largest_backlog);
    reconnects += other.reconnects;
    connect_failures += other.connect_failures;
    measured_sent += other.measured_sent;
}

} // namespace pb::load

#include "threadpool/worker_state.hpp"

#include "stats/allocation_count.hpp"

namespace pb::threadpool {
namespace {

thread_local WorkerCounters* bound_slot = nullptr;
// A thread that was never bound (none should count) writes here instead of
// through a null pointer; nobody reads it.
thread_local WorkerCounters unbound_slot;
thread_local DateCache date_cache;

} // namespace

void bind_worker_slot(WorkerCounters& slot) {
    bound_slot = &slot;
    count_allocations_in(&slot.allocations);
}

WorkerCounters& worker_counters() { return bound_slot ? *bound_slot : unbound_slot; }

DateCache& worker_date_cache() { return date_cache; }

} // namespace pb::threadpool

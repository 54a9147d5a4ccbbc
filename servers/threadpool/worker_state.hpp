#pragma once
// What belongs to the io thread a handler happens to run on: its counter slot
// and its Date cache. Handlers of one connection may run on any io thread
// (the strand only serialises them), so they always count into the slot of
// the thread they run on: each slot then has exactly one writer.
#include "stats/worker_counters.hpp"
#include "http/date_cache.hpp"

namespace pb::threadpool {

// Called once by each io thread before it runs the io_context.
void bind_worker_slot(WorkerCounters& slot);

WorkerCounters& worker_counters();
DateCache& worker_date_cache();

} // namespace pb::threadpool

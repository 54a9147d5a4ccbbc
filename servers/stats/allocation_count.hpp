#pragma once
// Heap allocations counted per worker, to prove the request path allocates
// nothing in every model. The server binaries link counting_new.cpp, whose
// operator new adds one to the counter of the calling thread; a thread that
// names none (the master, a test) is not counted. One thread-local read per
// allocation, and nothing at all on a path that does not allocate.
#include "stats/worker_counters.hpp"

namespace pb {

// From now on this thread's allocations go to `counter` (nullptr: nowhere).
void count_allocations_in(Counter* counter);

// This thread's counter, for operator new; nullptr when none.
Counter* allocation_counter();

// Work that is not serving (writing the stats file on SIGUSR1) allocates
// uncounted while one of these lives on the thread.
class UncountedAllocations {
public:
    UncountedAllocations() : saved_(allocation_counter()) { count_allocations_in(nullptr); }
    ~UncountedAllocations() { count_allocations_in(saved_); }
    UncountedAllocations(const UncountedAllocations&) = delete;
    UncountedAllocations& operator=(const UncountedAllocations&) = delete;

private:
    Counter* saved_;
};

} // namespace pb

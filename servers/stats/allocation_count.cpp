#include "stats/allocation_count.hpp"

namespace pb {
namespace {

// constinit: no dynamic initialisation, so operator new may read it from
// the first allocation of the process on.
constinit thread_local Counter* this_thread_counter = nullptr;

} // namespace

void count_allocations_in(Counter* counter) { this_thread_counter = counter; }

Counter* allocation_counter() { return this_thread_counter; }

} // namespace pb

#include "stats/allocation_count.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <new>

namespace {

// volatile: an allocation the compiler may not elide.
int* volatile sink = nullptr;

void allocate_once() {
    sink = new int(1);
    delete sink;
}

TEST(AllocationCount, EachOperatorNewOnTheThreadIsCounted) {
    pb::Counter counter;
    pb::count_allocations_in(&counter);
    allocate_once();
    auto array = std::make_unique<char[]>(100);
    pb::count_allocations_in(nullptr);
    allocate_once();
    EXPECT_EQ(counter.get(), 2u) << "one new, one new[]; nothing once the thread names no counter";
}

TEST(AllocationCount, UncountedWhileAGuardLives) {
    pb::Counter counter;
    pb::count_allocations_in(&counter);
    {
        const pb::UncountedAllocations not_serving;
        allocate_once();
    }
    allocate_once();
    pb::count_allocations_in(nullptr);
    EXPECT_EQ(counter.get(), 1u);
}

TEST(AllocationCount, ImpossibleAlignedSizeThrows) {
    volatile std::size_t huge = static_cast<std::size_t>(-8); // known only at run time
    EXPECT_THROW(static_cast<void>(::operator new(huge, std::align_val_t{64})), std::bad_alloc);
}

} // namespace

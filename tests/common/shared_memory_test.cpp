#include "common/shared_memory.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace {

// A slot as the servers keep them: a writer's pid and a lock-free counter.
struct Slot {
    std::atomic<pid_t> pid{0};
    std::atomic<std::uint64_t> requests{0};
};

TEST(SharedMapping, HoldsTheRequestedBytes) {
    pb::SharedMapping mapping(100);
    ASSERT_NE(mapping.data(), nullptr);
    EXPECT_GE(mapping.size(), 100u);
    std::memset(mapping.data(), 0xab, 100);
}

TEST(SharedArray, ValueInitialised) {
    pb::SharedArray<Slot> slots(4);
    ASSERT_EQ(slots.span().size(), 4u);
    for (const auto& slot : slots.span()) {
        EXPECT_EQ(slot.pid, 0);
        EXPECT_EQ(slot.requests, 0u);
    }
    EXPECT_EQ(&slots[3], slots.get() + 3);
}

TEST(SharedArray, ChildWritesAreSeenByTheParent) {
    pb::SharedArray<Slot> slots(4);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        slots[2].pid = getpid();
        slots[2].requests = 42;
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(slots[2].pid, pid);
    EXPECT_EQ(slots[2].requests, 42u);
    EXPECT_EQ(slots[1].requests, 0u);
}

} // namespace

#include "http/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

using pb::BufferPool;
using pb::IoBuffers;

TEST(BufferPool, GivesBackWhatWasTakenBeforeMakingMore) {
    BufferPool pool;
    IoBuffers* first = pool.take();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(pool.in_use(), 1u);
    pool.give(first);
    EXPECT_EQ(pool.in_use(), 0u);
    EXPECT_EQ(pool.pooled(), 1u);
    EXPECT_EQ(pool.take(), first) << "a pooled block is reused before a new one is mapped";
    pool.give(first);
}

TEST(BufferPool, ATakenBlockHasAnEmptyBatchAndWritableBuffers) {
    BufferPool pool;
    IoBuffers* buffers = pool.take();
    ASSERT_NE(buffers, nullptr);
    buffers->batch.count = 3;
    std::memset(buffers->input, 'x', sizeof buffers->input);
    std::memset(buffers->output, 'y', sizeof buffers->output);
    pool.give(buffers);
    IoBuffers* again = pool.take();
    ASSERT_EQ(again, buffers);
    EXPECT_TRUE(again->batch.empty()) << "a reused block starts with no replies";
    pool.give(again);
}

TEST(BufferPool, TrimReleasesOnlyBlocksUnusedForAWholeInterval) {
    BufferPool pool;
    std::vector<IoBuffers*> taken;
    for (int i = 0; i < 8; ++i) taken.push_back(pool.take());
    for (IoBuffers* buffers : taken) pool.give(buffers);
    ASSERT_EQ(pool.pooled(), 8u);

    pool.trim(); // starts the first interval: the low-water mark was 0
    EXPECT_EQ(pool.pooled(), 8u) << "blocks given back just now are kept for one interval";

    // During this interval at most 3 blocks are needed at once.
    for (int round = 0; round < 5; ++round) {
        IoBuffers* a = pool.take();
        IoBuffers* b = pool.take();
        IoBuffers* c = pool.take();
        pool.give(a);
        pool.give(b);
        pool.give(c);
    }
    pool.trim();
    EXPECT_EQ(pool.pooled(), 3u) << "the 5 blocks nobody needed are unmapped, the recent peak stays";

    pool.trim();
    EXPECT_EQ(pool.pooled(), 0u) << "a whole quiet interval releases the rest";
    EXPECT_EQ(pool.in_use(), 0u);
}

TEST(BufferPool, TrimNeverTouchesBlocksInUse) {
    BufferPool pool;
    IoBuffers* held = pool.take();
    pool.trim();
    pool.trim();
    EXPECT_EQ(pool.in_use(), 1u);
    std::memset(held->input, 'z', sizeof held->input); // still mapped
    pool.give(held);
}

TEST(SharedBufferPool, TakesAndGivesAcrossCallers) {
    pb::SharedBufferPool pool;
    IoBuffers* buffers = pool.take();
    ASSERT_NE(buffers, nullptr);
    pool.give(buffers);
    EXPECT_EQ(pool.take(), buffers);
    pool.give(buffers);
    pool.trim();
}

} // namespace

// The idle connections, taken at random: every one equally often, the same
// draws for the same seed, O(1) without allocating, and a removal that
// leaves the rest.
#include "load/idle_set.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "load/schedule.hpp"

namespace pb::load {
namespace {

TEST(UniformBelow, StaysBelowTheBoundAndOneIsAlwaysZero) {
    std::mt19937_64 engine(1);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(uniform_below(engine, 1), 0u);
    // A bound just above 2^63 rejects almost half the outputs: still below it.
    const std::size_t large = (std::size_t{1} << 63) + 1;
    for (int i = 0; i < 1000; ++i) EXPECT_LT(uniform_below(engine, large), large);
}

TEST(UniformBelow, EveryValueEquallyOften) {
    std::mt19937_64 engine(engine_seed(3, Stream::connections));
    constexpr int draws = 700'000;
    std::array<int, 7> counts{};
    for (int i = 0; i < draws; ++i) ++counts[uniform_below(engine, counts.size())];
    // Binomial(700000, 1/7): sd about 293; 5 sd.
    for (int count : counts) EXPECT_NEAR(count, draws / 7, 1500);
}

// Takes one and puts it back, `rounds` times: how often each was taken.
std::vector<int> takes(IdleSet<int>& set, std::vector<int>& items, int rounds) {
    std::vector<int> counts(items.size());
    for (int i = 0; i < rounds; ++i) {
        int* taken = set.take();
        ++counts[static_cast<std::size_t>(taken - items.data())];
        set.push(taken);
    }
    return counts;
}

TEST(IdleSet, TakesEachIdleOneEquallyOftenNotTheLastPushed) {
    std::vector<int> items(8);
    IdleSet<int> set(thread_engine_seed(1, Stream::connections, 0));
    set.reserve(items.size());
    for (int& item : items) set.push(&item);
    // A stack would take the same one every time.
    for (int count : takes(set, items, 80'000)) EXPECT_NEAR(count, 10'000, 500); // sd about 94
    EXPECT_EQ(set.size(), items.size());
}

TEST(IdleSet, TheSameSeedTakesTheSameOnesAnotherSeedOthers) {
    std::vector<int> items(16);
    const auto sequence = [&](std::uint64_t seed) {
        IdleSet<int> set(seed);
        for (int& item : items) set.push(&item);
        std::vector<int*> order;
        while (!set.empty()) order.push_back(set.take());
        return order;
    };
    EXPECT_EQ(sequence(5), sequence(5));
    EXPECT_NE(sequence(5), sequence(6));
    std::vector<int*> all = sequence(5);
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "each taken once";
}

TEST(IdleSet, NeverGrowsOnceReserved) {
    std::vector<int> items(64);
    IdleSet<int> set(1);
    set.reserve(items.size());
    const std::size_t reserved = set.capacity();
    std::vector<int*> taken;
    taken.reserve(items.size());
    for (int& item : items) set.push(&item);
    for (int round = 0; round < 100; ++round) {
        while (!set.empty()) taken.push_back(set.take());
        for (int* item : taken) set.push(item);
        taken.clear();
        ASSERT_EQ(set.capacity(), reserved) << "round " << round;
    }
    EXPECT_EQ(set.size(), items.size());
}

TEST(IdleSet, RemoveTakesOutOnlyThatOne) {
    std::vector<int> items(4);
    IdleSet<int> set(2);
    for (int& item : items) set.push(&item);
    set.remove(&items[1]);
    set.remove(&items[1]); // not there any more: nothing happens
    EXPECT_EQ(set.size(), 3u);
    std::vector<int*> rest;
    while (!set.empty()) rest.push_back(set.take());
    EXPECT_EQ(std::count(rest.begin(), rest.end(), &items[1]), 0);
    for (int i : {0, 2, 3}) EXPECT_EQ(std::count(rest.begin(), rest.end(), &items[static_cast<std::size_t>(i)]), 1);
}

} // namespace
} // namespace pb::load

#include "launch/affinity.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using pb::harness::parse_pin_mode;
using pb::harness::PinMode;
using pb::harness::plan_pinning;

TEST(AffinityParse, KnowsSplitAndNone) {
    EXPECT_EQ(parse_pin_mode("split"), PinMode::split);
    EXPECT_EQ(parse_pin_mode("none"), PinMode::none);
    EXPECT_FALSE(parse_pin_mode("Split"));
    EXPECT_FALSE(parse_pin_mode(""));
}

TEST(AffinityPlan, TwoCpusOneEach) {
    const auto pinning = plan_pinning(PinMode::split, {0, 1});
    EXPECT_EQ(pinning.server_cpus, (std::vector<int>{0}));
    EXPECT_EQ(pinning.wrk_cpus, (std::vector<int>{1}));
    EXPECT_EQ(pinning.describe(), "server=0 wrk=1");
}

TEST(AffinityPlan, FourCpusHalfEach) {
    const auto pinning = plan_pinning(PinMode::split, {0, 1, 2, 3});
    EXPECT_EQ(pinning.server_cpus, (std::vector<int>{0, 1}));
    EXPECT_EQ(pinning.wrk_cpus, (std::vector<int>{2, 3}));
    EXPECT_EQ(pinning.describe(), "server=0-1 wrk=2-3");
}

TEST(AffinityPlan, OddCountGivesTheServerTheLargerHalf) {
    const auto pinning = plan_pinning(PinMode::split, {2, 4, 5});
    EXPECT_EQ(pinning.server_cpus, (std::vector<int>{2, 4}));
    EXPECT_EQ(pinning.wrk_cpus, (std::vector<int>{5}));
}

TEST(AffinityPlan, OneCpuCannotBeSplit) {
    const auto pinning = plan_pinning(PinMode::split, {0});
    EXPECT_TRUE(pinning.server_cpus.empty());
    EXPECT_TRUE(pinning.wrk_cpus.empty());
    EXPECT_EQ(pinning.describe(), "none");
}

TEST(AffinityPlan, NoneLeavesEverythingUnpinned) {
    EXPECT_EQ(plan_pinning(PinMode::none, {0, 1, 2, 3}).describe(), "none");
}

} // namespace

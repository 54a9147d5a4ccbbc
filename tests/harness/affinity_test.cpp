#include "harness/affinity.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using pb::harness::cpu_list;
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

TEST(AffinityCpuList, Formats) {
    EXPECT_EQ(cpu_list({}), "");
    EXPECT_EQ(cpu_list({0}), "0");
    EXPECT_EQ(cpu_list({0, 1}), "0-1");
    EXPECT_EQ(cpu_list({0, 1, 3}), "0-1,3");
    EXPECT_EQ(cpu_list({3, 0, 1, 1, 5, 6, 7}), "0-1,3,5-7");
}

TEST(AffinityAllowed, AscendingAndIncludesTheCurrentCpu) {
    const auto cpus = pb::harness::allowed_cpus();
    ASSERT_FALSE(cpus.empty());
    EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
    const int current = sched_getcpu();
    ASSERT_GE(current, 0);
    EXPECT_NE(std::find(cpus.begin(), cpus.end(), current), cpus.end());
}

TEST(AffinityPin, EmptyListIsANoOp) {
    const auto before = pb::harness::allowed_cpus();
    pb::harness::pin_current_process({});
    EXPECT_EQ(pb::harness::allowed_cpus(), before);
}

// Exit codes of the pinned child.
constexpr int pinned_as_asked = 0, pinned_elsewhere = 1, pin_failed = 2;

TEST(AffinityPin, ForkedChildRunsOnlyOnItsCpu) {
    const int cpu = pb::harness::allowed_cpus().back();
    const pb::harness::CpuMask mask({cpu}); // built before fork, as a launcher would
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
        if (mask.apply_to_current_process() != 0) _exit(pin_failed);
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof set, &set) != 0) _exit(pin_failed);
        const bool only_cpu = CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set);
        _exit(only_cpu ? pinned_as_asked : pinned_elsewhere);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), pinned_as_asked);
}

TEST(AffinityPin, ThrowingVariantPinsAForkedChild) {
    const int cpu = pb::harness::allowed_cpus().front();
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
        try {
            pb::harness::pin_current_process({cpu});
            _exit(pb::harness::allowed_cpus() == std::vector<int>{cpu} ? pinned_as_asked : pinned_elsewhere);
        } catch (...) {
            _exit(pin_failed);
        }
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), pinned_as_asked);
}

TEST(AffinityPin, CpuOutsideTheMachineThrowsNamingTheCall) {
    // Run in a child so a surprise success cannot leave the test process pinned.
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
        try {
            pb::harness::pin_current_process({4000});
        } catch (const std::exception& e) {
            const std::string what = e.what();
            _exit(what.find("sched_setaffinity") != std::string::npos && what.find("4000") != std::string::npos ? 0 : 1);
        }
        _exit(2);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

} // namespace

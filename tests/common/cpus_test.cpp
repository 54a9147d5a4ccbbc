#include "common/cpus.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <vector>

namespace {

using pb::allowed_cpus;
using pb::cpu_list;
using pb::CpuMask;

TEST(CpuList, FormatsAscendingRangesWithoutDuplicates) {
    EXPECT_EQ(cpu_list({}), "");
    EXPECT_EQ(cpu_list({0}), "0");
    EXPECT_EQ(cpu_list({0, 1}), "0-1");
    EXPECT_EQ(cpu_list({0, 1, 3}), "0-1,3");
    EXPECT_EQ(cpu_list({3, 0, 1, 1, 5, 6, 7}), "0-1,3,5-7");
}

TEST(OnlineCpus, AtLeastTheCpusThisProcessMayUse) {
    EXPECT_GE(pb::online_cpus(), static_cast<int>(allowed_cpus().size()));
}

TEST(AllowedCpus, AscendingAndIncludesTheCurrentCpu) {
    const auto cpus = allowed_cpus();
    ASSERT_FALSE(cpus.empty());
    EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
    const int current = sched_getcpu();
    ASSERT_GE(current, 0);
    EXPECT_NE(std::find(cpus.begin(), cpus.end(), current), cpus.end());
}

TEST(CpuMask, EmptyMaskChangesNothing) {
    const auto before = allowed_cpus();
    const CpuMask mask;
    EXPECT_TRUE(mask.empty());
    EXPECT_EQ(mask.apply_to_current_process(), 0);
    EXPECT_EQ(allowed_cpus(), before);
}

TEST(CpuMask, NegativeCpuThrows) { EXPECT_THROW(CpuMask({0, -1}), std::invalid_argument); }

// Exit codes of the pinned child.
constexpr int pinned_as_asked = 0, pinned_elsewhere = 1, pin_failed = 2;

int exit_code_of(pid_t child) {
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

TEST(CpuMask, ForkedChildRunsOnlyOnItsCpu) {
    const int cpu = allowed_cpus().back();
    const CpuMask mask({cpu}); // built before fork, as a launcher does
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) {
        if (mask.apply_to_current_process() != 0) _exit(pin_failed);
        _exit(allowed_cpus() == std::vector<int>{cpu} ? pinned_as_asked : pinned_elsewhere);
    }
    EXPECT_EQ(exit_code_of(child), pinned_as_asked);
}

// A fixed-size cpu_set_t holds CPUs 0-1023 only; the mask must hold more
// and let the kernel answer for a CPU the machine does not have.
TEST(CpuMask, CpuPastTheFixedSetSizeIsTheKernelsToRefuse) {
    const CpuMask mask({4000});
    EXPECT_FALSE(mask.empty());
    const pid_t child = fork(); // a surprise success must not pin the test
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) _exit(mask.apply_to_current_process() == EINVAL ? 0 : 1);
    EXPECT_EQ(exit_code_of(child), 0);
}

TEST(CpuMask, MovedMaskKeepsItsCpus) {
    const int cpu = allowed_cpus().front();
    CpuMask first({cpu});
    const CpuMask second(std::move(first));
    EXPECT_TRUE(first.empty()); // NOLINT(bugprone-use-after-move): moved-from is specified empty
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) _exit(second.apply_to_current_process() == 0 && allowed_cpus() == std::vector<int>{cpu} ? 0 : 1);
    EXPECT_EQ(exit_code_of(child), 0);
}

} // namespace

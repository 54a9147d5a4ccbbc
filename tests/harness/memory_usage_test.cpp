// PSS from /proc/PID/smaps_rollup: the parser on a literal file, then the
// sum over real processes.
#include "measure/memory_usage.hpp"

#include <gtest/gtest.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "support/parse_table.hpp"

namespace pb::harness {
namespace {

// As Linux 6.x prints it (a prefork-epoll worker holding 100 connections).
constexpr const char* smaps_rollup_sample =
    "55f1c0a00000-7ffc9a5fe000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:                5380 kB\n"
    "Pss:                2093 kB\n"
    "Pss_Dirty:          1688 kB\n"
    "Pss_Anon:           1688 kB\n"
    "Pss_File:            405 kB\n"
    "Pss_Shmem:             0 kB\n"
    "Shared_Clean:       3384 kB\n"
    "Shared_Dirty:        236 kB\n"
    "Private_Clean:        24 kB\n"
    "Private_Dirty:      1736 kB\n"
    "Referenced:         5380 kB\n"
    "Anonymous:          1896 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n";

TEST(MemoryUsage, PssOfALiteralSmapsRollupInBytes) {
    const std::optional<std::uint64_t> pss = parse_smaps_rollup_pss(smaps_rollup_sample);
    ASSERT_TRUE(pss);
    EXPECT_EQ(*pss, 2093u * 1024);
}

struct Row {
    std::string text;
    std::optional<std::uint64_t> want;
};

TEST(MemoryUsage, OnlyAWholePssLineCounts) {
    const std::vector<Row> rows = {
        {"Pss: 12 kB\n", 12 * 1024},
        {"Pss:\t0 kB", 0},                           // no line break at the end
        {"Rss: 50 kB\nPss_Anon: 7 kB\nPss: 9 kB\n", 9 * 1024}, // Pss_Anon is not Pss
        {"Pss_Dirty: 7 kB\nSwapPss: 3 kB\n", std::nullopt},
        {"", std::nullopt},
        {"Pss: kB\n", std::nullopt},
        {"Pss: 12\n", std::nullopt},                 // no unit
        {"Pss: 12 MB\n", std::nullopt},              // not the kernel's unit
        {"Pss: -3 kB\n", std::nullopt},
        {"Pss: 1x kB\n", std::nullopt},
    };
    test_support::expect_parse_table(rows, [](const std::string& text) { return parse_smaps_rollup_pss(text); });
}

TEST(MemoryUsage, ThisProcessHasPss) {
    const MemoryUsage usage = memory_of({getpid()});
    EXPECT_EQ(usage.processes, 1);
    EXPECT_GT(usage.pss_bytes, 0u);
}

TEST(MemoryUsage, AGoneProcessIsLeftOutAndAZombieCountsNothing) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(0);
    // Until reaped it is a zombie: it has no memory, and reading its
    // smaps_rollup fails with ESRCH.
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
    const MemoryUsage zombie = memory_of({getpid(), child});
    EXPECT_EQ(zombie.processes, 1);
    ASSERT_EQ(waitpid(child, nullptr, 0), child);
    const MemoryUsage gone = memory_of({child});
    EXPECT_EQ(gone.processes, 0);
    EXPECT_EQ(gone.pss_bytes, 0u);
}

TEST(MemoryUsage, TheTreeSumsTheChildren) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(ready[0]);
        const char byte = 'x';
        (void)!write(ready[1], &byte, 1);
        pause(); // until killed
        _exit(0);
    }
    close(ready[1]);
    char byte;
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
    const MemoryUsage tree = memory_of_tree(getpid());
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    EXPECT_GE(tree.processes, 2);
    EXPECT_GT(tree.pss_bytes, 0u);
}

} // namespace
} // namespace pb::harness

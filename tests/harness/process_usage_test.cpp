#include "measure/process_usage.hpp"
#include "measure/tree_sampler.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pb::harness::ThreadTimes;
using pb::harness::TreeSnapshot;
using pb::harness::UsageAccumulator;

double hz() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }

TreeSnapshot snapshot(std::map<pid_t, ThreadTimes> threads, double rss_mib, int processes) {
    TreeSnapshot s;
    s.threads = std::move(threads);
    s.rss_mib = rss_mib;
    s.processes = processes;
    s.threads_count = static_cast<int>(s.threads.size());
    return s;
}

TEST(ProcessUsageAccumulator, NothingAddedIsAllZero) {
    const auto usage = UsageAccumulator().result();
    EXPECT_EQ(usage.cpu_s(), 0);
    EXPECT_EQ(usage.voluntary_switches, 0u);
    EXPECT_EQ(usage.processes, 0);
}

TEST(ProcessUsageAccumulator, CountsIncreasesFromTheBaseline) {
    UsageAccumulator acc;
    acc.add(snapshot({{10, {100, 50, 7, 3}}, {11, {20, 10, 1, 1}}}, 5.0, 1));
    acc.add(snapshot({{10, {130, 60, 17, 4}}, {11, {25, 10, 3, 1}}}, 7.5, 1));
    acc.add(snapshot({{10, {150, 70, 27, 5}}, {11, {40, 20, 5, 2}}}, 6.0, 1));
    const auto usage = acc.result();
    EXPECT_DOUBLE_EQ(usage.user_s, (50 + 20) / hz());
    EXPECT_DOUBLE_EQ(usage.system_s, (20 + 10) / hz());
    EXPECT_EQ(usage.voluntary_switches, 20u + 4u);
    EXPECT_EQ(usage.involuntary_switches, 2u + 1u);
    EXPECT_DOUBLE_EQ(usage.peak_rss_mib, 7.5);
    EXPECT_EQ(usage.processes, 1);
    EXPECT_EQ(usage.threads, 2);
}

// schedstat's nanoseconds, when present, are the CPU time: tick counts
// charge a process that runs 20 us at a time a whole tick or nothing.
TEST(ProcessUsageAccumulator, SchedstatRuntimeIsTheCpuTime) {
    UsageAccumulator acc;
    acc.add(snapshot({{10, {100, 50, 7, 3, 1'000'000}}, {11, {20, 10, 1, 1, 500'000}}}, 5.0, 1));
    acc.add(snapshot({{10, {100, 50, 9, 3, 1'250'000}}, {11, {20, 10, 2, 1, 600'000}}}, 5.0, 1));
    const auto usage = acc.result();
    EXPECT_DOUBLE_EQ(usage.runtime_s, 350'000 / 1e9);
    EXPECT_DOUBLE_EQ(usage.cpu_s(), 350'000 / 1e9) << "no tick moved, yet the threads ran";
    EXPECT_DOUBLE_EQ(usage.user_s + usage.system_s, 0);
}

TEST(ProcessUsageAccumulator, ThreadBornLaterCountsFromZero) {
    UsageAccumulator acc;
    acc.add(snapshot({{10, {100, 0, 0, 0}}}, 1, 1));
    acc.add(snapshot({{10, {110, 0, 0, 0}}, {20, {30, 5, 2, 1}}, {21, {1, 1, 1, 1}}}, 3, 2));
    const auto usage = acc.result();
    EXPECT_DOUBLE_EQ(usage.user_s, (10 + 30 + 1) / hz());
    EXPECT_DOUBLE_EQ(usage.system_s, (5 + 1) / hz());
    EXPECT_EQ(usage.voluntary_switches, 3u);
    EXPECT_EQ(usage.involuntary_switches, 2u);
    EXPECT_EQ(usage.processes, 2);
    EXPECT_EQ(usage.threads, 3);
}

TEST(ProcessUsageAccumulator, VanishedThreadKeepsItsLastSample) {
    UsageAccumulator acc;
    acc.add(snapshot({{10, {100, 0, 0, 0}}, {11, {0, 0, 0, 0}}}, 1, 2));
    acc.add(snapshot({{10, {110, 0, 0, 0}}, {11, {40, 4, 8, 2}}}, 2, 2));
    acc.add(snapshot({{10, {120, 0, 0, 0}}}, 1, 1)); // 11 exited
    const auto usage = acc.result();
    EXPECT_DOUBLE_EQ(usage.user_s, (20 + 40) / hz());
    EXPECT_DOUBLE_EQ(usage.system_s, 4 / hz());
    EXPECT_EQ(usage.voluntary_switches, 8u);
    EXPECT_EQ(usage.processes, 2);
    EXPECT_EQ(usage.threads, 2);
}

TEST(ProcessUsageAccumulator, ReusedThreadIdStartsAgainFromZero) {
    UsageAccumulator acc;
    acc.add(snapshot({{10, {100, 0, 0, 0}}}, 1, 1));
    acc.add(snapshot({{10, {150, 0, 0, 0}}}, 1, 1));
    acc.add(snapshot({{10, {5, 0, 0, 0}}}, 1, 1)); // a new thread got id 10
    EXPECT_DOUBLE_EQ(acc.result().user_s, (50 + 5) / hz());
}

// Burns `cpu` of its own CPU time, then says so on `done` and waits to be killed.
[[noreturn]] void burn_then_wait(std::chrono::milliseconds cpu, int done) {
    timespec start{}, now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    volatile std::uint64_t sink = 0;
    do {
        for (int i = 0; i < 100000; ++i) sink = sink + static_cast<std::uint64_t>(i);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < cpu.count());
    const char byte = 1;
    if (write(done, &byte, 1) != 1) _exit(1);
    for (;;) pause();
}

// A child that burns CPU; killed and reaped by PID when the test ends.
class BurningChild {
public:
    explicit BurningChild(std::chrono::milliseconds cpu) {
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            close(fds[0]);
            burn_then_wait(cpu, fds[1]);
        }
        close(fds[1]);
        done_ = fds[0];
    }
    ~BurningChild() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        close(done_);
    }
    pid_t pid() const { return pid_; }
    bool wait_done() const {
        char byte = 0;
        return read(done_, &byte, 1) == 1;
    }

private:
    pid_t pid_ = -1;
    int done_ = -1;
};

TEST(ProcessUsageTree, FindsAForkedChildAsADescendant) {
    BurningChild child(1ms);
    ASSERT_TRUE(child.wait_done());
    const auto tree = pb::harness::process_tree(getpid());
    ASSERT_FALSE(tree.empty());
    EXPECT_EQ(tree.front(), getpid());
    EXPECT_NE(std::find(tree.begin(), tree.end(), child.pid()), tree.end());
    EXPECT_EQ(pb::harness::process_tree(child.pid()), std::vector<pid_t>{child.pid()});
}

TEST(ProcessUsageTree, GoneProcessHasAnEmptyTree) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(0);
    ASSERT_EQ(waitpid(child, nullptr, 0), child);
    EXPECT_TRUE(pb::harness::process_tree(child).empty());
    const auto snap = pb::harness::snapshot_tree(child);
    EXPECT_TRUE(snap.threads.empty());
    EXPECT_EQ(snap.processes, 0);
}

TEST(ProcessUsageSnapshot, UserTicksOfABurningChildGrow) {
    BurningChild child(300ms);
    const auto before = pb::harness::snapshot_tree(child.pid());
    ASSERT_TRUE(child.wait_done());
    const auto after = pb::harness::snapshot_tree(child.pid());
    ASSERT_EQ(after.processes, 1);
    ASSERT_GE(after.threads_count, 1); // sanitizers may add a thread of their own
    ASSERT_TRUE(after.threads.count(child.pid())); // a single-threaded process's tid is its pid
    EXPECT_GT(after.rss_mib, 0);
    const std::uint64_t before_ticks = before.threads.count(child.pid()) ? before.threads.at(child.pid()).user_ticks : 0;
    const auto& now = after.threads.at(child.pid());
    // 300 ms is 30 ticks at 100 Hz; the user/system split is sampled, so allow slack.
    EXPECT_GE(now.user_ticks + now.system_ticks, before_ticks + static_cast<std::uint64_t>(0.2 * hz()));
    EXPECT_GT(now.user_ticks, before_ticks);
    EXPECT_GE(now.runtime_ns, 250'000'000u) << "schedstat: at least most of the 300 ms burnt";
}

TEST(ProcessUsageSnapshot, SeesEveryThreadOfThisProcess) {
    std::atomic<bool> stop{false};
    std::thread helper([&] {
        while (!stop) std::this_thread::sleep_for(1ms);
    });
    const auto snap = pb::harness::snapshot_tree(getpid());
    stop = true;
    helper.join();
    EXPECT_GE(snap.threads_count, 2);
    EXPECT_TRUE(snap.threads.count(getpid()));
    EXPECT_GE(snap.processes, 1);
}

TEST(ProcessUsageSampler, MeasuresABurningChild) {
    BurningChild child(300ms);
    std::atomic<int> ticks{0};
    pb::harness::TreeSampler sampler(child.pid(), 20ms, [&] { ++ticks; });
    sampler.start();
    ASSERT_TRUE(child.wait_done());
    const auto usage = sampler.stop();
    EXPECT_EQ(sampler.error(), "");
    EXPECT_GE(ticks.load(), 3);
    EXPECT_GT(usage.user_s, 0.05); // the baseline came after fork, so some of the 300 ms
    EXPECT_LE(usage.cpu_s(), 1.0);
    EXPECT_EQ(usage.processes, 1);
    EXPECT_GE(usage.threads, 1);
    EXPECT_GT(usage.peak_rss_mib, 0);
}

TEST(ProcessUsageSampler, ExceptionsStayInsideTheThread) {
    BurningChild child(1ms);
    pb::harness::TreeSampler sampler(child.pid(), 5ms, [] { throw std::runtime_error("listen queue unreadable"); });
    sampler.start(); // returns after the baseline tick, which threw
    const auto usage = sampler.stop();
    EXPECT_EQ(sampler.error(), "listen queue unreadable");
    EXPECT_EQ(usage.processes, 1); // the snapshots went on
}

TEST(ProcessUsageSampler, StopWithoutStartIsEmptyAndStopTwiceIsTheSame) {
    pb::harness::TreeSampler idle(getpid(), 10ms);
    EXPECT_EQ(idle.stop().processes, 0);

    pb::harness::TreeSampler sampler(getpid(), 10ms);
    sampler.start();
    const auto first = sampler.stop();
    const auto second = sampler.stop();
    EXPECT_EQ(first.processes, second.processes);
    EXPECT_EQ(first.cpu_s(), second.cpu_s());
    EXPECT_THROW(sampler.start(), std::logic_error);
}

// An interval no test waits out: the only ticks are the baseline and the
// end of the window, and a destructor that did not wake the thread would hang
// (failing by the test timeout).
TEST(ProcessUsageSampler, DestructorTakesTheLastSnapshotAndJoins) {
    BurningChild child(1ms);
    std::atomic<int> ticks{0};
    {
        pb::harness::TreeSampler sampler(child.pid(), 1h, [&] { ++ticks; });
        sampler.start();
        ASSERT_EQ(ticks.load(), 1) << "start() returns after the baseline";
    }
    // The thread's last act is the end-of-window tick: it has run by the
    // time the destructor returns, which it would not without the join.
    EXPECT_EQ(ticks.load(), 2);
}

// A child that waits for a byte on a pipe, then exits; reaped by end().
class WaitingChild {
public:
    WaitingChild() {
        int fds[2];
        if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            close(fds[1]);
            char byte = 0;
            (void)!read(fds[0], &byte, 1);
            _exit(0);
        }
        close(fds[0]);
        go_ = fds[1];
    }
    ~WaitingChild() { end(); }
    WaitingChild(const WaitingChild&) = delete;
    WaitingChild& operator=(const WaitingChild&) = delete;
    pid_t pid() const { return pid_; }
    void end() {
        if (go_ < 0) return;
        close(go_);
        go_ = -1;
        waitpid(pid_, nullptr, 0);
    }

private:
    pid_t pid_ = -1;
    int go_ = -1;
};

TEST(ProcessUsageSampler, AServerGoneFromItsWindowIsAnError) {
    WaitingChild server;
    pb::harness::TreeSampler sampler(server.pid(), 1h);
    sampler.start();
    server.end();
    sampler.stop(); // the end-of-window sample finds no root
    EXPECT_NE(sampler.error().find("process " + std::to_string(server.pid()) + " is gone"), std::string::npos)
        << sampler.error();
}

// The harness reaps a server only when it stops it: one that exits during
// the window is a zombie until then, and gone all the same.
TEST(ProcessUsageSampler, AServerThatExitedButIsNotReapedIsGoneToo) {
    int exited[2];
    ASSERT_EQ(pipe(exited), 0);
    const pid_t server = fork();
    ASSERT_GE(server, 0);
    if (server == 0) {
        close(exited[1]);
        char byte = 0;
        (void)!read(exited[0], &byte, 1);
        _exit(0);
    }
    pb::harness::TreeSampler sampler(server, 1h);
    sampler.start();
    close(exited[1]); // it exits; nobody reaps it yet
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, static_cast<id_t>(server), &info, WEXITED | WNOWAIT), 0); // exited, still unreaped
    sampler.stop();
    EXPECT_NE(sampler.error().find("is gone"), std::string::npos) << sampler.error();
    EXPECT_TRUE(pb::harness::process_tree(server).empty()) << "a zombie is no tree";
    waitpid(server, nullptr, 0);
    close(exited[0]);
}

TEST(ProcessUsageSampler, AClientMayEndItsOwnWindow) {
    WaitingChild wrk;
    pb::harness::TreeSampler sampler(wrk.pid(), 1h, {}, pb::harness::TreeSampler::RootGone::ends_the_window);
    sampler.start();
    wrk.end();
    sampler.stop();
    EXPECT_EQ(sampler.error(), "");
}

// The root forks a worker and exits, so the worker's parent becomes PID 1
// (or a subreaper): the sampler still counts the CPU it burns, because it
// was seen in the tree before.
TEST(ProcessUsageSampler, FollowsADescendantThatOutlivesItsParent) {
    int go[2], told[2];
    ASSERT_EQ(pipe(go), 0);
    ASSERT_EQ(pipe(told), 0);
    const pid_t root = fork();
    ASSERT_GE(root, 0);
    if (root == 0) {
        const pid_t worker = fork();
        if (worker == 0) {
            char byte = 0;
            if (read(go[0], &byte, 1) != 1) _exit(1); // sent once its parent is gone
            burn_then_wait(300ms, told[1]);
        }
        (void)!write(told[1], &worker, sizeof worker);
        for (;;) pause(); // until the test kills it
    }
    pid_t worker = 0;
    ASSERT_EQ(read(told[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
    pb::harness::TreeSampler sampler(root, 20ms, {}, pb::harness::TreeSampler::RootGone::ends_the_window);
    sampler.start(); // the baseline sees root and worker
    kill(root, SIGKILL);
    ASSERT_EQ(waitpid(root, nullptr, 0), root); // the worker is an orphan now
    const char byte = 1;
    ASSERT_EQ(write(go[1], &byte, 1), 1); // it burns 300 ms
    char done = 0;
    ASSERT_EQ(read(told[0], &done, 1), 1);
    const auto usage = sampler.stop();
    kill(worker, SIGKILL);
    for (int fd : {go[0], go[1], told[0], told[1]}) close(fd);
    EXPECT_GE(usage.cpu_s(), 0.2) << "the orphaned worker's CPU time was lost";
}

TEST(ProcessUsageSampler, MeasuresWhatEachSampleCosts) {
    BurningChild child(200ms);
    std::atomic<int> ticks{0};
    pb::harness::TreeSampler sampler(child.pid(), 20ms, [&] { ++ticks; });
    sampler.start();
    ASSERT_TRUE(child.wait_done());
    sampler.stop();
    const pb::harness::SamplingCost& cost = sampler.cost();
    EXPECT_EQ(cost.samples, ticks.load()) << "one cost per sample, the baseline and the last included";
    EXPECT_GT(cost.wall_total.count(), 0);
    EXPECT_GT(cost.cpu_total.count(), 0);
    EXPECT_GE(cost.wall_max * cost.samples, cost.wall_total);
    EXPECT_LE(cost.cpu_max, cost.cpu_total);
}

} // namespace

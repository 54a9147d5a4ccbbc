// The guard layer with real processes and real files: run markers, the
// machine's run lock, leftovers of a harness that is gone, and the watchdog
// that kills what a dead harness left.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <future>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/child_process.hpp"
#include "guard/leftovers.hpp"
#include "guard/marked_processes.hpp"
#include "guard/run_lock.hpp"
#include "guard/run_marker.hpp"
#include "guard/watchdog.hpp"
#include "support/temp_dir.hpp"

namespace pb::harness {
namespace {

using namespace std::chrono_literals;
using test_support::TempDir;

bool mentions(const std::vector<MarkedProcess>& processes, pid_t pid) {
    for (const MarkedProcess& p : processes)
        if (p.pid == pid) return true;
    return false;
}

// A PID that no process has now: a child that has exited and been reaped.
pid_t gone_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

// `sleep 60` in a process group of its own, carrying `marker`; it does not
// die with this process (no PR_SET_PDEATHSIG).
ChildSpec marked_sleep(const std::string& marker) {
    ChildSpec spec;
    spec.argv = {"/bin/sleep", "60"};
    const auto equals = marker.find('=');
    spec.env.emplace_back(marker.substr(0, equals), marker.substr(equals + 1));
    return spec;
}

// Waits until `child` has exec'd with `marker` in its environment (before
// exec it still shows this process's); false after 10 s.
bool marked(const ChildProcess& child, const std::string& marker) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!mentions(processes_of_run(0, marker), child.pid())) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Fake leftovers look like an earlier harness's to every harness on this
// machine: hold the machine's lock meanwhile, so that a real one waits
// rather than refuses (or kills them).
class FakeLeftovers : public testing::Test {
protected:
    std::atomic<bool> never_{false};
    RunLock machine_{default_lock_file(), RunLock::Wait::yes, "harness_process_tests (fake leftovers)", {}, never_};
};

TEST(RunMarker, NamesTheHarnessAndTheRun) {
    EXPECT_EQ(run_marker(1234, 7), "PREFORK_BENCH_RUN=1234.7");
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUN=1234.7"), 1234);
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUN=1234"), 1234);
}

TEST(RunMarker, OtherEntriesNameNoHarness) {
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUNS=1234.7"), std::nullopt);
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUN="), std::nullopt);
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUN=abc.1"), std::nullopt);
    EXPECT_EQ(harness_of_entry("PREFORK_BENCH_RUN=0"), std::nullopt);
    EXPECT_EQ(harness_of_entry("HOME=/root"), std::nullopt);
}

TEST(RunLock, ASecondHolderIsRefusedWithoutWaitingAndToldWhoHoldsIt) {
    TempDir temp;
    const auto file = temp.path() / "run.lock";
    std::atomic<bool> interrupted{false};
    RunLock first(file, RunLock::Wait::no, "the first harness", {}, interrupted);
    try {
        RunLock second(file, RunLock::Wait::no, "the second harness", {}, interrupted);
        FAIL() << "a second lock was taken while the first is held";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("the first harness"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("--no-wait"), std::string::npos) << error.what();
    }
    EXPECT_EQ(lock_holder(file).rfind("the first harness (holds the lock since ", 0), 0u)
        << "a refused harness does not overwrite the holder: " << lock_holder(file);
}

TEST(RunLock, AWaitingHolderGetsTheLockWhenTheFirstLetsGo) {
    TempDir temp;
    const auto file = temp.path() / "run.lock";
    std::atomic<bool> interrupted{false};
    auto first = std::make_unique<RunLock>(file, RunLock::Wait::no, "the first harness", [](const std::string&) {},
                                           interrupted);
    std::promise<std::string> waiting;
    std::atomic<bool> first_released{false};
    std::atomic<bool> taken_before_release{false};
    std::thread second([&] {
        RunLock lock(file, RunLock::Wait::yes, "the second harness",
                     [&](const std::string& holder) { waiting.set_value(holder); }, interrupted);
        taken_before_release = !first_released.load();
    });
    auto told = waiting.get_future();
    ASSERT_EQ(told.wait_for(10s), std::future_status::ready) << "the second never said it waits";
    EXPECT_EQ(told.get().rfind("the first harness (holds the lock since ", 0), 0u);
    first_released = true;
    first.reset();
    second.join();
    EXPECT_FALSE(taken_before_release) << "the second took the lock while the first still held it";
    EXPECT_EQ(lock_holder(file).rfind("the second harness (", 0), 0u) << lock_holder(file);
}

TEST(RunLock, ACtrlCEndsTheWait) {
    TempDir temp;
    const auto file = temp.path() / "run.lock";
    std::atomic<bool> interrupted{false};
    RunLock first(file, RunLock::Wait::no, "the first harness", {}, interrupted);
    try {
        // The flag is set as the waiter starts waiting: as a Ctrl-C then would.
        RunLock second(file, RunLock::Wait::yes, "the second harness", [&](const std::string&) { interrupted = true; },
                       interrupted);
        FAIL() << "the lock was taken while the first holds it";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("interrupted while waiting for"), std::string::npos) << error.what();
    }
}

TEST(RunLock, TheLockGoesWithItsHoldersDeath) {
    TempDir temp;
    const auto file = temp.path() / "run.lock";
    // A child takes the lock and is killed: flock's lock dies with it.
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t holder = ::fork();
    if (holder == 0) {
        std::atomic<bool> never{false};
        RunLock lock(file, RunLock::Wait::no, "a child", {}, never);
        (void)!::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    std::atomic<bool> interrupted{false};
    EXPECT_THROW(RunLock(file, RunLock::Wait::no, "this test", {}, interrupted), std::runtime_error);
    ::kill(holder, SIGKILL);
    int status = 0;
    ::waitpid(holder, &status, 0);
    EXPECT_NO_THROW(RunLock(file, RunLock::Wait::no, "this test", {}, interrupted));
}

TEST_F(FakeLeftovers, AProcessOfAGoneHarnessIsNamedAndRefused) {
    const std::string marker = run_marker(gone_pid(), 3);
    ChildProcess left(marked_sleep(marker));
    ASSERT_TRUE(marked(left, marker));
    EXPECT_TRUE(mentions(processes_of_gone_harnesses(), left.pid()));
    try {
        deal_with_leftovers(Leftovers::refuse);
        FAIL() << "leftovers were not refused";
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(std::to_string(left.pid()) + " (/bin/sleep 60)"), std::string::npos) << message;
        EXPECT_NE(message.find("--kill-leftovers"), std::string::npos) << message;
    }
    EXPECT_FALSE(left.exited()) << "refusing kills nothing";
}

TEST_F(FakeLeftovers, KillLeftoversEndsThem) {
    const std::string marker = run_marker(gone_pid(), 3);
    ChildProcess left(marked_sleep(marker));
    ASSERT_TRUE(marked(left, marker));
    const std::vector<MarkedProcess> killed = deal_with_leftovers(Leftovers::kill);
    EXPECT_TRUE(mentions(killed, left.pid()));
    ASSERT_TRUE(left.wait_for(5s));
    EXPECT_TRUE(WIFSIGNALED(*left.wait_status()) && WTERMSIG(*left.wait_status()) == SIGKILL);
    EXPECT_FALSE(mentions(processes_of_gone_harnesses(), left.pid()));
}

TEST_F(FakeLeftovers, AProcessOfALivingHarnessIsNoLeftover) {
    // A real harness kept alive: it waits for a lock this test holds.
    TempDir temp;
    const auto lock_file = temp.path() / "run.lock";
    const auto scenario = temp.path() / "scenario.toml";
    std::ofstream(scenario) << "description = \"waits\"\n[[server]]\nmodel = \"prefork-epoll\"\n";
    std::atomic<bool> interrupted{false};
    RunLock held(lock_file, RunLock::Wait::no, "this test", {}, interrupted);
    ChildSpec spec;
    spec.argv = {PREFORK_BENCH_BINARY, "run", scenario.string(), "--out", (temp.path() / "out").string(), "--lock",
                 lock_file.string()};
    spec.stderr_to_stdout = true;
    spec.die_with_parent = true; // it must not run a scenario after this test
    ChildProcess harness(spec);
    std::optional<std::string> line = harness.read_line(30s);
    ASSERT_TRUE(line && line->find("waiting for the harness") != std::string::npos) << line.value_or("(no output)");

    const std::string marker = run_marker(harness.pid(), 1);
    ChildProcess child(marked_sleep(marker));
    ASSERT_TRUE(marked(child, marker));
    EXPECT_TRUE(mentions(processes_of_harness(harness.pid()), child.pid()));
    EXPECT_FALSE(mentions(processes_of_gone_harnesses(), child.pid())) << "its harness is alive";
    harness.kill_group();
    EXPECT_TRUE(mentions(processes_of_gone_harnesses(), child.pid())) << "its harness is gone now";
}

TEST_F(FakeLeftovers, WatchdogKillsMarkedProcessesAndWatchedGroupsWhenThePipeEnds) {
    // Started before the children, so that it does not hold their pipes.
    auto watchdog = std::make_unique<Watchdog>();
    const std::string marker = run_marker(::getpid(), 9);
    ChildProcess marked_child(marked_sleep(marker));
    ASSERT_TRUE(marked(marked_child, marker));
    ChildSpec unmarked;
    unmarked.argv = {"/bin/sleep", "60"};
    ChildProcess grouped(unmarked);
    watch_group(grouped.pid());
    ChildProcess forgotten(unmarked);
    watch_group(forgotten.pid());
    forget_group(forgotten.pid());

    watchdog.reset(); // as when the harness ends, however it ends
    ASSERT_TRUE(marked_child.wait_for(5s)) << "the marked process outlived the watchdog's cleanup";
    EXPECT_EQ(WTERMSIG(*marked_child.wait_status()), SIGKILL);
    ASSERT_TRUE(grouped.wait_for(5s)) << "the watched group outlived the watchdog's cleanup";
    EXPECT_EQ(WTERMSIG(*grouped.wait_status()), SIGKILL);
    EXPECT_FALSE(forgotten.exited()) << "a forgotten group is left alone";
    EXPECT_EQ(current_watchdog(), nullptr);
}

} // namespace
} // namespace pb::harness

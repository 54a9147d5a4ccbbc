// Restarts under load: the workers of a parent take turns at getting the
// signal, and a parent without workers is an error, not a silent no-op.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <thread>

#include "launch/worker_restarter.hpp"
#include "common/child_process.hpp"

namespace pb::harness {
namespace {

// A shell with two sleeping children; its stdout says when both exist.
struct ParentOfTwo : ::testing::Test {
    ChildSpec spec() {
        ChildSpec s;
        s.argv = {"/bin/sh", "-c", "sleep 60 & sleep 60 & wait; wait"};
        s.die_with_parent = true;
        return s;
    }
};

std::vector<pid_t> wait_for_children(pid_t parent, std::size_t count) {
    for (int i = 0; i < 2000; ++i) {
        std::vector<pid_t> children = child_processes(parent);
        if (children.size() >= count) return children;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return child_processes(parent);
}

TEST_F(ParentOfTwo, TheOldestGetsTheFirstSignalTheNextTheSecond) {
    ChildProcess parent(spec());
    std::vector<pid_t> children = wait_for_children(parent.pid(), 2);
    ASSERT_EQ(children.size(), 2u);
    // Oldest first (started in the same clock tick: the lower pid, as the restarter breaks ties).
    std::stable_sort(children.begin(), children.end(), [](pid_t a, pid_t b) { return start_time(a) < start_time(b); });
    WorkerRestarter restarter(parent.pid(), SIGKILL, std::chrono::nanoseconds(1));
    restarter.tick();
    ASSERT_EQ(restarter.events().size(), 1u);
    EXPECT_EQ(restarter.events()[0].pid, children[0]);
    EXPECT_EQ(restarter.events()[0].signal, SIGKILL);
    // The killed one is reaped by the shell; one is left, and it is next.
    std::vector<pid_t> left;
    for (int i = 0; i < 2000 && (left = child_processes(parent.pid())).size() != 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(left, std::vector<pid_t>{children[1]});
    restarter.tick();
    ASSERT_EQ(restarter.events().size(), 2u);
    EXPECT_EQ(restarter.events()[1].pid, children[1]);
    parent.kill_group();
}

TEST(WorkerRestarter, NotDueMeansNoSignal) {
    WorkerRestarter restarter(getpid(), SIGTERM, std::chrono::hours(1));
    restarter.tick();
    EXPECT_TRUE(restarter.events().empty());
}

TEST(WorkerRestarter, AParentWithoutWorkersIsAnError) {
    ChildSpec s;
    s.argv = {"/bin/sleep", "60"};
    s.die_with_parent = true;
    ChildProcess lone(s);
    WorkerRestarter restarter(lone.pid(), SIGKILL, std::chrono::nanoseconds(1));
    try {
        restarter.tick();
        FAIL() << "no error without a worker";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("no worker process to signal"), std::string::npos) << error.what();
    }
    lone.kill_group();
}

} // namespace
} // namespace pb::harness

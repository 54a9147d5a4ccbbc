// ProcessMutex across real processes: children are forked and talk to the
// parent over pipes. A child only touches the mutex and the pipes, then
// _exit()s, so no gtest state runs twice.
#include "common/process_mutex.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/shared_memory.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Shared {
    pb::ProcessMutex mutex;
    std::uint64_t value = 0;            // guarded by mutex
    std::atomic<bool> released{false};  // set by a holder just before it unlocks
};

// One Shared in a MAP_SHARED mapping, created before fork as the servers do.
class SharedState {
public:
    Shared* operator->() const { return &array_[0]; }

private:
    pb::SharedArray<Shared> array_{1};
};

// One direction of parent/child signalling.
class Pipe {
public:
    Pipe() {
        if (pipe(fds_) != 0) throw std::runtime_error("pipe failed");
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() { close_fd(fds_[0]); }
    void close_write() { close_fd(fds_[1]); }
    bool notify() { return write(fds_[1], "x", 1) == 1; }
    bool wait() {
        char c;
        return read(fds_[0], &c, 1) == 1;
    }

private:
    static void close_fd(int& fd) {
        if (fd >= 0) close(fd);
        fd = -1;
    }
    int fds_[2] = {-1, -1};
};

// Kills and reaps the child if a test leaves early, so nothing lingers.
class Child {
public:
    template <class F>
    explicit Child(F body) : pid_(fork()) {
        if (pid_ == 0) _exit(body());
        if (pid_ < 0) throw std::runtime_error("fork failed");
    }
    ~Child() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    // The raw wait status.
    int wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    void kill_now() {
        kill(pid_, SIGKILL);
    }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_;
};

bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

TEST(ProcessMutex, TryLockAndUnlock) {
    SharedState shared;
    ASSERT_TRUE(shared->mutex.try_lock());
    shared->mutex.unlock();
    ASSERT_TRUE(shared->mutex.lock_for(10ms));
    shared->mutex.unlock();
    EXPECT_EQ(shared->mutex.recoveries(), 0u);
}

TEST(ProcessMutex, DeadOwnerIsRecoveredByTryLock) {
    SharedState shared;
    Child child([&] { return shared->mutex.lock_for(1s) ? 0 : 1; }); // exits holding it
    ASSERT_TRUE(exited_with(child.wait(), 0));

    ASSERT_TRUE(shared->mutex.try_lock());
    EXPECT_EQ(shared->mutex.recoveries(), 1u);
    shared->mutex.unlock();
    // Repaired for good: the next lock is ordinary.
    ASSERT_TRUE(shared->mutex.try_lock());
    EXPECT_EQ(shared->mutex.recoveries(), 1u);
    shared->mutex.unlock();
}

TEST(ProcessMutex, DeadOwnerIsRecoveredByLockFor) {
    SharedState shared;
    Child child([&] { return shared->mutex.try_lock() ? 0 : 1; });
    ASSERT_TRUE(exited_with(child.wait(), 0));

    const auto start = Clock::now();
    ASSERT_TRUE(shared->mutex.lock_for(5s));
    EXPECT_LT(Clock::now() - start, 1s); // recovered at once, not after the timeout
    EXPECT_EQ(shared->mutex.recoveries(), 1u);
    shared->mutex.unlock();
    ASSERT_TRUE(shared->mutex.lock_for(10ms));
    EXPECT_EQ(shared->mutex.recoveries(), 1u);
    shared->mutex.unlock();
}

TEST(ProcessMutex, KilledOwnerIsRecovered) {
    SharedState shared;
    Pipe locked;
    Child child([&] {
        locked.close_read();
        if (!shared->mutex.lock_for(1s)) return 1;
        locked.notify();
        for (;;) pause();
    });
    locked.close_write();
    ASSERT_TRUE(locked.wait());
    child.kill_now();
    const int status = child.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    ASSERT_TRUE(shared->mutex.lock_for(1s));
    EXPECT_EQ(shared->mutex.recoveries(), 1u);
    shared->mutex.unlock();
}

TEST(ProcessMutex, LockForTimesOutWhileHeld) {
    SharedState shared;
    Pipe locked, release, released;
    Child child([&] {
        locked.close_read();
        release.close_write();
        released.close_read();
        if (!shared->mutex.lock_for(1s)) return 1;
        locked.notify();
        release.wait(); // also returns when the parent is gone
        shared->mutex.unlock();
        released.notify();
        return 0;
    });
    locked.close_write();
    release.close_read();
    released.close_write();
    ASSERT_TRUE(locked.wait());

    EXPECT_FALSE(shared->mutex.try_lock());
    const auto start = Clock::now();
    EXPECT_FALSE(shared->mutex.lock_for(100ms));
    const auto waited = Clock::now() - start;
    EXPECT_GE(waited, 95ms); // the slack is for clock granularity only
    EXPECT_LT(waited, 2s);

    release.notify();
    ASSERT_TRUE(released.wait());
    ASSERT_TRUE(shared->mutex.lock_for(1s));
    EXPECT_EQ(shared->mutex.recoveries(), 0u);
    shared->mutex.unlock();
    EXPECT_TRUE(exited_with(child.wait(), 0));
}

// The state letter of /proc/PID/stat (R, S, Z, ...); '?' when unreadable.
char process_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    // "pid (comm) S ...": comm may hold spaces and parentheses.
    const std::size_t close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

// Waits until `pid` sleeps (blocked in a wait) or has exited.
bool wait_blocked_or_exited(pid_t pid) {
    const auto deadline = Clock::now() + 5s;
    for (char state = process_state(pid); state != 'S' && state != 'Z'; state = process_state(pid)) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// The parent holds the lock; the child only calls lock_for, so once it
// sleeps it is blocked on the mutex. The parent then marks the release and
// unlocks: a lock_for that did not wait for the holder returns before the
// mark is set, and the child says so by its exit code.
TEST(ProcessMutex, LockForWaitsForTheRelease) {
    SharedState shared;
    ASSERT_TRUE(shared->mutex.try_lock());
    Child waiter([&] {
        if (!shared->mutex.lock_for(5s)) return 1;
        const bool after_release = shared->released.load();
        shared->mutex.unlock();
        return after_release ? 0 : 2;
    });
    ASSERT_TRUE(wait_blocked_or_exited(waiter.pid()));
    shared->released = true;
    shared->mutex.unlock();
    const int status = waiter.wait();
    EXPECT_FALSE(exited_with(status, 2)) << "lock_for returned while the lock was held";
    EXPECT_TRUE(exited_with(status, 0)) << "the waiter did not get the lock once it was released";
    EXPECT_EQ(shared->mutex.recoveries(), 0u);
}

TEST(ProcessMutex, ExcludesAcrossProcesses) {
    // Unprotected read-modify-write would lose increments between processes.
    SharedState shared;
    constexpr int rounds = 20000;
    auto work = [&] {
        for (int i = 0; i < rounds; ++i) {
            if (!shared->mutex.lock_for(5s)) return 1;
            volatile std::uint64_t* value = &shared->value;
            *value = *value + 1;
            shared->mutex.unlock();
        }
        return 0;
    };
    Child a(work), b(work);
    EXPECT_TRUE(exited_with(a.wait(), 0));
    EXPECT_TRUE(exited_with(b.wait(), 0));
    EXPECT_EQ(shared->value, 2u * rounds);
}

} // namespace

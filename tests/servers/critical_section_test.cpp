#include "http/critical_section.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

struct SplitCase {
    const char* label;
    nanoseconds work;
    double share;
    nanoseconds locked, unlocked;
};

TEST(SplitWork, Table) {
    const SplitCase cases[] = {
        {"no share: nothing locked", 20ms, 0.0, 0ns, 20ms},
        {"all of it", 20ms, 1.0, 20ms, 0ns},
        {"a quarter", 20ms, 0.25, 5ms, 15ms},
        {"half", 40ms, 0.5, 20ms, 20ms},
        {"rounded to the nanosecond", 3ns, 0.5, 2ns, 1ns},
        {"no work", 0ns, 0.5, 0ns, 0ns},
    };
    for (const SplitCase& c : cases) {
        SCOPED_TRACE(c.label);
        const pb::WorkSplit split = pb::split_work(c.work, c.share);
        EXPECT_EQ(split.locked, c.locked);
        EXPECT_EQ(split.unlocked, c.unlocked);
        EXPECT_EQ(split.locked + split.unlocked, c.work);
    }
}

// What the probe burns saw: the calls in order, and how many threads were
// inside burn at once at most.
std::mutex calls_mutex;
std::vector<nanoseconds> calls;
std::atomic<int> inside{0};
std::atomic<int> most_inside{0};

void record(nanoseconds work) {
    const std::lock_guard lock(calls_mutex);
    calls.push_back(work);
}

void reset_probe() {
    calls.clear();
    inside = 0;
    most_inside = 0;
}

TEST(BurnRequestWork, LockedPartFirstThenTheRest) {
    reset_probe();
    pb::burn_request_work(20ms, 0.25, record);
    EXPECT_EQ(calls, (std::vector<nanoseconds>{5ms, 15ms}));
    reset_probe();
    pb::burn_request_work(20ms, 0.0, record);
    EXPECT_EQ(calls, (std::vector<nanoseconds>{20ms}));
    reset_probe();
    pb::burn_request_work(20ms, 1.0, record);
    EXPECT_EQ(calls, (std::vector<nanoseconds>{20ms})) << "no empty second part";
    reset_probe();
    pb::burn_request_work(0ns, 0.5, record);
    EXPECT_TRUE(calls.empty());
}

// Counts the threads inside; the sleep only widens the window in which a
// second thread would be caught inside too, it synchronises nothing.
void occupy(nanoseconds) {
    const int now = ++inside;
    int seen = most_inside.load();
    while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(1ms);
    --inside;
}

TEST(BurnRequestWork, TwoThreadsAreNeverInsideTheLockedPartAtOnce) {
    reset_probe();
    auto run = [] {
        for (int i = 0; i < 50; ++i) pb::burn_request_work(1ms, 1.0, occupy);
    };
    std::thread a(run), b(run);
    a.join();
    b.join();
    EXPECT_EQ(most_inside.load(), 1);
}

// Without a share no lock is taken: two threads can be inside together.
// Each waits (bounded) for the other to arrive, which only a lock would stop.
std::mutex meet_mutex;
std::condition_variable met;
int arrived = 0;
bool both_inside = false;

void meet(nanoseconds) {
    std::unique_lock lock(meet_mutex);
    ++arrived;
    met.notify_all();
    if (met.wait_for(lock, 5s, [] { return arrived >= 2; })) both_inside = true;
}

TEST(BurnRequestWork, WithoutAShareThreadsRunTogether) {
    arrived = 0;
    both_inside = false;
    std::thread a([] { pb::burn_request_work(1ms, 0.0, meet); });
    std::thread b([] { pb::burn_request_work(1ms, 0.0, meet); });
    a.join();
    b.join();
    EXPECT_TRUE(both_inside) << "one thread waited 5 s for the other: a lock without a share";
}

} // namespace

// The epoll worker's timer queue: intrusive links in deadline order. close()
// takes a connection out wherever it stands, so removal from the front, the
// middle and the back must each leave the rest in order. With per-request
// delays (--cost-from-request) deadlines arrive out of push order, and the
// front, which the worker's timerfd is armed for, must still be the earliest.
#include "loops/delay_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pb::DelayLink;
using pb::DelayQueue;
using Clock = std::chrono::steady_clock;

const Clock::time_point t0 = Clock::time_point{} + 1h;

// Pops every link due at `now`, in the order pop_due gives them.
std::vector<DelayLink*> pop_all_due(DelayQueue& queue, Clock::time_point now) {
    std::vector<DelayLink*> popped;
    while (DelayLink* link = queue.pop_due(now)) popped.push_back(link);
    return popped;
}

// Three links pushed with deadlines t0+1ms, t0+2ms, t0+3ms.
struct ThreeQueued {
    ThreeQueued() {
        queue.push(a, t0 + 1ms);
        queue.push(b, t0 + 2ms);
        queue.push(c, t0 + 3ms);
    }
    // Before the queue, so that the queue is destroyed first: a link must
    // not die while queued (safe-mode hooks assert it).
    DelayLink a, b, c;
    DelayQueue queue;
};

TEST(DelayQueue, NewQueueIsEmpty) {
    DelayQueue queue;
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.front(), nullptr);
    EXPECT_EQ(queue.pop_due(t0 + 24h), nullptr);
}

TEST(DelayQueue, PushSetsTheDeadlineAndFrontIsTheFirstPushed) {
    ThreeQueued q;
    EXPECT_FALSE(q.queue.empty());
    EXPECT_EQ(q.queue.front(), &q.a);
    EXPECT_EQ(q.a.deadline, t0 + 1ms);
    EXPECT_EQ(q.c.deadline, t0 + 3ms);
    EXPECT_TRUE(q.a.queued() && q.b.queued() && q.c.queued());
}

TEST(DelayQueue, PopDueGivesOnlyWhatIsDueInPushOrder) {
    ThreeQueued q;
    EXPECT_EQ(q.queue.pop_due(t0), nullptr) << "nothing is due before its deadline";
    EXPECT_EQ(pop_all_due(q.queue, t0 + 2ms), (std::vector<DelayLink*>{&q.a, &q.b})) << "a deadline equal to now is due";
    EXPECT_FALSE(q.b.queued());
    EXPECT_EQ(q.queue.front(), &q.c);
    EXPECT_EQ(pop_all_due(q.queue, t0 + 1h), (std::vector<DelayLink*>{&q.c}));
    EXPECT_TRUE(q.queue.empty());
    EXPECT_EQ(q.queue.front(), nullptr);
}

// Each row removes one link; the other two must stay queued, in order.
TEST(DelayQueue, RemoveFromTheFrontMiddleOrBackKeepsTheRestInOrder) {
    using Link = DelayLink ThreeQueued::*;
    const struct {
        const char* where;
        Link removed, first, second;
    } rows[] = {
        {"front", &ThreeQueued::a, &ThreeQueued::b, &ThreeQueued::c},
        {"middle", &ThreeQueued::b, &ThreeQueued::a, &ThreeQueued::c},
        {"back", &ThreeQueued::c, &ThreeQueued::a, &ThreeQueued::b},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.where);
        ThreeQueued q;
        q.queue.remove(q.*row.removed);
        EXPECT_FALSE((q.*row.removed).queued());
        EXPECT_EQ(q.queue.front(), &(q.*row.first));
        EXPECT_EQ(pop_all_due(q.queue, t0 + 1h), (std::vector<DelayLink*>{&(q.*row.first), &(q.*row.second)}));
        EXPECT_TRUE(q.queue.empty());
    }
}

TEST(DelayQueue, RemovingTheOnlyLinkEmptiesTheQueue) {
    DelayLink only;
    DelayQueue queue;
    queue.push(only, t0);
    queue.remove(only);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.front(), nullptr);
    EXPECT_EQ(queue.pop_due(t0 + 1h), nullptr);
}

// close() removes whatever connection it closes, queued or not, and a
// connection that waits again is pushed again.
TEST(DelayQueue, RemovingAnUnqueuedLinkChangesNothingAndARemovedLinkCanWaitAgain) {
    ThreeQueued q;
    DelayLink stranger;
    q.queue.remove(stranger);
    q.queue.remove(q.b);
    q.queue.remove(q.b); // twice: the second is a no-op, not a corruption
    q.queue.push(q.b, t0 + 4ms);
    EXPECT_EQ(pop_all_due(q.queue, t0 + 1h), (std::vector<DelayLink*>{&q.a, &q.c, &q.b}));
}

// Two connections on one worker: the first waits 200 ms, the second, queued
// after it, 10 ms. The second is due first and becomes the front at once.
TEST(DelayQueue, AShorterDeadlinePushedLaterComesFirst) {
    DelayLink slow, fast;
    DelayQueue queue;
    queue.push(slow, t0 + 200ms);
    queue.push(fast, t0 + 10ms);
    EXPECT_EQ(queue.front(), &fast);
    EXPECT_EQ(pop_all_due(queue, t0 + 10ms), (std::vector<DelayLink*>{&fast})) << "the slow one is not due yet";
    EXPECT_TRUE(slow.queued());
    EXPECT_EQ(queue.front(), &slow);
    EXPECT_EQ(pop_all_due(queue, t0 + 200ms), (std::vector<DelayLink*>{&slow}));
    EXPECT_TRUE(queue.empty());
}

// Any push order comes out by deadline; equal deadlines in push order.
TEST(DelayQueue, PopsByDeadlineWhateverThePushOrder) {
    DelayLink links[6];
    DelayQueue queue;
    const Clock::duration deadlines[6] = {3ms, 1ms, 4ms, 1ms, 5ms, 0ms};
    for (int i = 0; i < 6; ++i) queue.push(links[i], t0 + deadlines[i]);
    EXPECT_EQ(pop_all_due(queue, t0 + 1h),
              (std::vector<DelayLink*>{&links[5], &links[1], &links[3], &links[0], &links[2], &links[4]}));
}

TEST(DelayQueue, EqualDeadlinesLeaveInPushOrder) {
    DelayLink x, y, z;
    DelayQueue queue;
    queue.push(x, t0);
    queue.push(y, t0);
    queue.push(z, t0);
    EXPECT_EQ(queue.front(), &x);
    EXPECT_EQ(pop_all_due(queue, t0), (std::vector<DelayLink*>{&x, &y, &z}));
}

// The worker re-arms its timerfd after a push only when the pushed link is
// the front: the front must change exactly when a deadline is earlier than
// every queued one (an equal one leaves the armed deadline right).
TEST(DelayQueue, TheFrontChangesOnlyForAnEarlierDeadline) {
    DelayLink first, later, earlier, equal;
    DelayQueue queue;
    queue.push(first, t0 + 10ms);
    EXPECT_EQ(queue.front(), &first) << "an empty queue's first link is the front";
    queue.push(later, t0 + 20ms);
    EXPECT_EQ(queue.front(), &first);
    queue.push(earlier, t0 + 5ms);
    EXPECT_EQ(queue.front(), &earlier);
    queue.push(equal, t0 + 5ms);
    EXPECT_EQ(queue.front(), &earlier);
    EXPECT_EQ(pop_all_due(queue, t0 + 1h), (std::vector<DelayLink*>{&earlier, &equal, &first, &later}));
}

// close() of the connection the timer is armed for: the next earliest,
// wherever it was pushed, becomes the front.
TEST(DelayQueue, RemovingTheFrontOfOutOfOrderDeadlinesLeavesTheNextEarliest) {
    DelayLink a, b, c;
    DelayQueue queue;
    queue.push(a, t0 + 3ms);
    queue.push(b, t0 + 1ms);
    queue.push(c, t0 + 2ms);
    queue.remove(b);
    EXPECT_FALSE(b.queued());
    EXPECT_EQ(queue.front(), &c);
    EXPECT_EQ(pop_all_due(queue, t0 + 2ms), (std::vector<DelayLink*>{&c}));
    EXPECT_EQ(queue.front(), &a);
    queue.remove(a);
    EXPECT_TRUE(queue.empty());
}

} // namespace

// The epoll worker's timer queue: a FIFO of intrusive links. close() takes a
// connection out wherever it stands, so removal from the front, the middle
// and the back must each leave the rest in order.
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
    DelayQueue queue;
    DelayLink a, b, c;
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
    EXPECT_TRUE(q.a.queued && q.b.queued && q.c.queued);
}

TEST(DelayQueue, PopDueGivesOnlyWhatIsDueInPushOrder) {
    ThreeQueued q;
    EXPECT_EQ(q.queue.pop_due(t0), nullptr) << "nothing is due before its deadline";
    EXPECT_EQ(pop_all_due(q.queue, t0 + 2ms), (std::vector<DelayLink*>{&q.a, &q.b})) << "a deadline equal to now is due";
    EXPECT_FALSE(q.b.queued);
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
        EXPECT_FALSE((q.*row.removed).queued);
        EXPECT_EQ(q.queue.front(), &(q.*row.first));
        EXPECT_EQ(pop_all_due(q.queue, t0 + 1h), (std::vector<DelayLink*>{&(q.*row.first), &(q.*row.second)}));
        EXPECT_TRUE(q.queue.empty());
    }
}

TEST(DelayQueue, RemovingTheOnlyLinkEmptiesTheQueue) {
    DelayQueue queue;
    DelayLink only;
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

} // namespace

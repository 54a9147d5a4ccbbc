#pragma once
// Requests waiting for their --delay, in deadline order. Every request waits
// the same time, so deadlines arrive in push order and a FIFO is a complete
// timer queue: O(1) push, pop and cancel, no heap, no allocation (the links
// live in the waiting object itself).
#include <chrono>

namespace pb {

struct DelayLink {
    DelayLink* prev = nullptr;
    DelayLink* next = nullptr;
    std::chrono::steady_clock::time_point deadline;
    bool queued = false;
};

class DelayQueue {
public:
    bool empty() const { return head_ == nullptr; }
    DelayLink* front() const { return head_; }

    void push(DelayLink& link, std::chrono::steady_clock::time_point deadline) {
        link.deadline = deadline;
        link.prev = tail_;
        link.next = nullptr;
        link.queued = true;
        (tail_ ? tail_->next : head_) = &link;
        tail_ = &link;
    }

    void remove(DelayLink& link) {
        if (!link.queued) return;
        (link.prev ? link.prev->next : head_) = link.next;
        (link.next ? link.next->prev : tail_) = link.prev;
        link.prev = link.next = nullptr;
        link.queued = false;
    }

    DelayLink* pop_due(std::chrono::steady_clock::time_point now) {
        if (head_ == nullptr || head_->deadline > now) return nullptr;
        DelayLink* link = head_;
        remove(*link);
        return link;
    }

private:
    DelayLink* head_ = nullptr;
    DelayLink* tail_ = nullptr;
};

} // namespace pb

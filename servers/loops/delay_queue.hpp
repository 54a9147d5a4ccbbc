#pragma once
// Requests waiting for their delay, in deadline order: an intrusive ordered
// tree (the links live in the waiting object itself, so nothing allocates).
// With one --delay for every request, deadlines arrive in push order, and a
// push hinted at end() costs one comparison and amortised O(1) rebalancing,
// like the FIFO this replaces. With per-request delays (--cost-from-request)
// a shorter wait pushed later goes ahead of longer ones, in O(log n). Equal
// deadlines leave in push order.
#include <chrono>

#include <boost/intrusive/set.hpp>

namespace pb {

struct DelayLink {
    // safe_link (the default): a link knows whether it is queued, and
    // unlinking an unqueued one cannot corrupt the tree.
    boost::intrusive::set_member_hook<> delay_hook;
    std::chrono::steady_clock::time_point deadline;

    bool queued() const { return delay_hook.is_linked(); }
};

class DelayQueue {
public:
    bool empty() const { return links_.empty(); }
    // The earliest deadline: the one the timer must be armed for.
    DelayLink* front() { return links_.empty() ? nullptr : &*links_.begin(); }

    // `link` must not be queued.
    void push(DelayLink& link, std::chrono::steady_clock::time_point deadline) {
        link.deadline = deadline;
        links_.insert(links_.end(), link);
    }

    void remove(DelayLink& link) {
        if (link.queued()) links_.erase(links_.iterator_to(link));
    }

    DelayLink* pop_due(std::chrono::steady_clock::time_point now) {
        if (links_.empty() || links_.begin()->deadline > now) return nullptr;
        DelayLink& link = *links_.begin();
        links_.erase(links_.begin());
        return &link;
    }

private:
    struct ByDeadline {
        bool operator()(const DelayLink& a, const DelayLink& b) const { return a.deadline < b.deadline; }
    };
    using Hook = boost::intrusive::member_hook<DelayLink, boost::intrusive::set_member_hook<>, &DelayLink::delay_hook>;
    // No size: nobody asks for it, and keeping it costs a write per push and pop.
    boost::intrusive::multiset<DelayLink, Hook, boost::intrusive::compare<ByDeadline>,
                               boost::intrusive::constant_time_size<false>>
        links_;
};

} // namespace pb

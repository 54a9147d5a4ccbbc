#pragma once
// One load thread: its share of the connections and of the schedule, one
// epoll loop. A request leaves on an idle connection at its intended time
// (a timerfd wakes the loop shortly before, a spin covers the rest); with no
// connection idle it waits in a FIFO and its latency still counts from the
// intended time. Nothing is allocated once the loop runs.
//
// Which idle connection: one drawn uniformly at random among the idle ones
// (IdleSet), as the experiment's model assumes, not the one answered last:
// a stack would send nearly every request of a light load on one
// connection, so to one worker of a prefork or SO_REUSEPORT server. The
// draws come from the thread's own engine, seeded by
// thread_engine_seed(--seed, Stream::connections, thread), and the idle set
// starts in the order of the connections, not of their connects' completion:
// the same seed draws the same connections whenever the server answers in
// the same order. A request that finds none idle waits in the FIFO, and the
// next connection to come free takes the oldest one.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/fd.hpp"
#include "load/idle_set.hpp"
#include "load/load_counters.hpp"
#include "load/response_reader.hpp"
#include "load/run_config.hpp"

namespace pb::load {

class LoadWorker {
public:
    // Requests first, first + stride, ... of config.schedule are this
    // thread's (open loop); `connections` connections. `first` is the
    // thread's index: it seeds the thread's idle-connection draws.
    LoadWorker(const RunConfig& config, std::size_t first, std::size_t stride, int connections);
    ~LoadWorker();
    LoadWorker(const LoadWorker&) = delete;
    LoadWorker& operator=(const LoadWorker&) = delete;

    // Opens the keep-alive connections (nothing with --connect-per-request);
    // throws naming the call when one cannot be made.
    void connect_all();
    // Runs from `start_ns` (now_ns() time base) to the end of the schedule
    // and the last answer or timeout.
    void run(std::int64_t start_ns);

    const LoadCounters& counters() const { return counters_; }
    // Answered requests so far, for the progress line (any thread).
    std::uint64_t completed_so_far() const { return completed_so_far_.load(std::memory_order_relaxed); }

private:
    struct Connection;

    std::int64_t intended_ns(std::size_t k) const;
    void dispatch_due(std::int64_t now);
    void assign(Connection& connection, std::size_t k, std::int64_t now, bool queued);
    // 0, or the errno of a socket() or connect() that failed at once.
    int start_connect(Connection& connection, std::int64_t now);
    void drain_fifo();
    bool write_request(Connection& connection);
    void on_event(Connection& connection, std::uint32_t events, std::int64_t now);
    void on_connected(Connection& connection, std::int64_t now);
    void on_readable(Connection& connection, std::int64_t now);
    void complete(Connection& connection, bool peer_closed);
    void fail(Connection& connection, std::uint64_t ErrorCounts::*kind, std::int64_t now);
    void become_idle(Connection& connection, std::int64_t now);
    void close(Connection& connection);
    void expire(std::int64_t now);
    void reconnect_due(std::int64_t now);
    void wait_until(std::int64_t wake);
    bool finished(std::int64_t now) const;

    const RunConfig& config_;
    std::size_t first_, stride_, count_;   // this thread's requests: count_ of them
    std::size_t next_ = 0;                 // the next of them to become due
    std::uint64_t closed_sent_ = 0;        // closed loop: requests sent, for the cost cycle
    std::int64_t start_ns_ = 0;
    std::vector<std::unique_ptr<Connection>> connections_;
    IdleSet<Connection> idle_;             // taken at random
    std::vector<std::size_t> fifo_;        // requests waiting for a connection (a ring)
    std::size_t fifo_head_ = 0, fifo_size_ = 0;
    std::size_t in_flight_ = 0;
    std::int64_t armed_ns_ = -1;           // the timerfd's expiry
    std::int64_t next_expiry_check_ns_ = 0;
    Fd epoll_, timer_;
    LoadCounters counters_;
    std::atomic<std::uint64_t> completed_so_far_{0};
};

} // namespace pb::load

#pragma once
// One single-threaded epoll event loop serving many connections: the worker
// of the prefork and accept-mutex (epoll) servers. The delay is a timer
// queue, never a sleep: all waiting requests share one timerfd.
#include <chrono>
#include <functional>

#include "stats/worker_counters.hpp"
#include "http/handler.hpp"

namespace pb {

// Decides when this worker may accept. Without a gate the worker accepts
// whenever its listener is readable (SO_REUSEPORT or a shared listener).
class AcceptGate {
public:
    virtual ~AcceptGate() = default;
    virtual bool try_acquire() = 0;
    virtual void release() = 0;
};

struct EpollWorkerConfig {
    int listen_fd = -1;
    HandlerConfig handler;
    std::chrono::nanoseconds idle_timeout{std::chrono::seconds(60)};
    std::chrono::nanoseconds header_timeout{std::chrono::seconds(10)};
    std::chrono::nanoseconds drain_timeout{std::chrono::seconds(5)};
    AcceptGate* gate = nullptr;
    // How long a worker without the gate waits before trying again
    // (nginx's accept_mutex_delay).
    std::chrono::nanoseconds gate_retry{std::chrono::milliseconds(500)};
    // A worker thread of a threaded server: drain once this descriptor (an
    // eventfd the main thread writes) is readable. -1: a worker process,
    // which takes SIGTERM and SIGINT itself, through a signalfd.
    int stop_fd = -1;
    // A listener of the worker's own (SO_REUSEPORT): closed when the drain
    // begins, so that the kernel hashes new connections to the other
    // listeners of the group (and, with net.ipv4.tcp_migrate_req = 1, moves
    // those queued on this one there). Empty for a shared listener.
    std::function<void()> leave_listener;
};

// Serves until SIGTERM or SIGINT (or stop_fd), then stops accepting, finishes in-flight
// requests for up to drain_timeout and returns the exit code.
int run_epoll_worker(const EpollWorkerConfig& config, WorkerCounters& counters,
                     const std::function<void()>& ready);

} // namespace pb

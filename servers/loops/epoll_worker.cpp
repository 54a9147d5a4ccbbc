#include "loops/epoll_worker.hpp"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "loops/epoll_loop.hpp"
#include "loops/timer_fd.hpp"
#include "common/signals.hpp"
#include "stats/allocation_count.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb {
namespace epoll {

void Worker::watch(int fd, void* tag, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = tag;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
        throw_system_error("epoll_ctl ADD", "fd " + std::to_string(fd));
}

void Worker::unwatch(int fd) {
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr) != 0)
        throw_system_error("epoll_ctl DEL", "fd " + std::to_string(fd));
}

void Worker::setup() {
    counters_.pid = getpid();
    count_allocations_in(&counters_.allocations);
    accept_log_ = AcceptErrorLog("worker " + std::to_string(getpid()));
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_system_error("epoll_create1", "EPOLL_CLOEXEC");

    signal(SIGPIPE, SIG_IGN);

    delay_timer_ = make_timer();
    sweep_timer_ = make_timer();
    arm_timer(sweep_timer_.get(), Clock::now() + sweep_interval, sweep_interval);
    if (config_.stop_fd >= 0) {
        // A signalfd per thread would race the main thread for the process's
        // SIGTERM. Edge-triggered and never read: every worker's epoll set
        // sees the one write (also one made before this watch).
        watch(config_.stop_fd, &stop_tag, EPOLLIN | EPOLLET);
    } else {
        signals_ = block_into_signalfd({SIGTERM, SIGINT});
        watch(signals_.get(), &signal_tag, EPOLLIN);
    }
    // Edge-triggered and never read: every expiry wakes the timerfd and so
    // reports an edge, and the expiration count is of no use. That keeps a
    // batch of expiring waits at one timer system call (the re-arm).
    watch(delay_timer_.get(), &delay_tag, EPOLLIN | EPOLLET);
    watch(sweep_timer_.get(), &sweep_tag, EPOLLIN);
    if (config_.gate == nullptr) set_accepting(true);
}

void Worker::set_accepting(bool on) {
    if (on == accepting_) return;
    if (on) watch(config_.listen_fd, &listener_tag, EPOLLIN);
    else unwatch(config_.listen_fd);
    accepting_ = on;
}

// nginx's accept_mutex: the holder keeps the listener in its epoll set (and
// may sleep in epoll_wait holding the lock); the others drop it and retry
// after gate_retry.
void Worker::update_gate() {
    if (config_.gate == nullptr || stopping_) return;
    if (!holding_gate_) holding_gate_ = config_.gate->try_acquire();
    set_accepting(holding_gate_ && Clock::now() >= accept_paused_until_);
}

int Worker::run(const std::function<void()>& ready) {
    setup();
    ready();
    epoll_event events[max_events];
    while (!(stopping_ && drained())) {
        update_gate();
        int timeout = -1;
        auto now = Clock::now();
        if (config_.gate != nullptr && !holding_gate_)
            timeout = static_cast<int>(std::chrono::duration_cast<milliseconds>(config_.gate_retry).count());
        if (!accepting_ && now < accept_paused_until_ && !stopping_) {
            int pause = static_cast<int>(std::chrono::duration_cast<milliseconds>(accept_paused_until_ - now).count()) + 1;
            timeout = timeout < 0 ? pause : std::min(timeout, pause);
        } else if (config_.gate == nullptr && !accepting_ && !stopping_) {
            set_accepting(true);
        }
        // Draining, a connection kept for its pending request may never
        // speak again: the deadline closes it.
        if (stopping_) {
            const auto left = std::chrono::duration_cast<milliseconds>(drain_deadline_ - now).count() + 1;
            const int until = static_cast<int>(std::max<std::int64_t>(left, 0));
            timeout = timeout < 0 ? until : std::min(timeout, until);
        }
        int n = epoll_wait(epoll_.get(), events, max_events, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_system_error("epoll_wait", "worker");
        }
        // Accept first, then let go of the gate before the slower work, as
        // nginx does with its posted accept events.
        for (int i = 0; i < n; ++i)
            if (events[i].data.ptr == &listener_tag) accept_all();
        if (holding_gate_) {
            config_.gate->release();
            holding_gate_ = false;
        }
        for (int i = 0; i < n; ++i)
            if (events[i].data.ptr != &listener_tag) dispatch(events[i]);
        if (stopping_ && Clock::now() >= drain_deadline_) break;
    }
    while (!open_.empty()) close(*open_.back());
    return 0;
}

void Worker::dispatch(const epoll_event& event) {
    void* tag = event.data.ptr;
    if (tag == &signal_tag) {
        signalfd_siginfo info{};
        while (read(signals_.get(), &info, sizeof info) == sizeof info) {
        }
        begin_drain();
    } else if (tag == &stop_tag) {
        begin_drain();
    } else if (tag == &delay_tag) {
        fire_delays();
    } else if (tag == &sweep_tag) {
        std::uint64_t expirations = 0;
        if (read(sweep_timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
            throw_system_error("read", "sweep timerfd");
        sweep();
    } else {
        on_connection_event(*static_cast<Connection*>(tag), event.events);
    }
}

Connection& Worker::open_connection(int fd) {
    std::unique_ptr<Connection> slot;
    if (free_.empty()) {
        slot = std::make_unique<Connection>();
    } else {
        slot = std::move(free_.back());
        free_.pop_back();
    }
    Connection& c = *slot.release();
    c.fd.reset(fd);
    c.session.reset();
    c.io = nullptr;
    c.out_size = c.out_sent = 0;
    c.read_blocked = c.peer_eof = c.peer_shut = c.lingering = c.close_after_write = false;
    c.silent = true;
    c.since = coarse_now();
    c.index = open_.size();
    open_.push_back(&c);
    return c;
}

void Worker::close(Connection& c) {
    delays_.remove(c);
    if (c.io != nullptr) {
        c.session.reset();
        c.session.detach();
        pool_.give(c.io);
        c.io = nullptr;
    }
    c.fd.reset(); // also leaves the epoll set
    Connection* last = open_.back();
    open_[c.index] = last;
    last->index = c.index;
    open_.pop_back();
    free_.emplace_back(&c);
}

void Worker::accept_all() {
    while (accepting_) {
        int fd = accept4(config_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            // EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays
            // queued; accepting again at once would spin on the same error.
            ++counters_.accept_errors;
            accept_log_.note(errno);
            accept_paused_until_ = Clock::now() + accept_backoff;
            set_accepting(false);
            return;
        }
        enable_no_delay(fd);
        ++counters_.connections;
        Connection& c = open_connection(fd);
        // Edge-triggered: each readiness change is reported once, and we read
        // or write until EAGAIN. EPOLLOUT costs nothing until a write stalls.
        watch(fd, &c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    }
}


void Worker::fire_delays() {
    const auto now = Clock::now();
    while (DelayLink* link = delays_.pop_due(now)) {
        auto& c = static_cast<Connection&>(*link);
        if (send_batch(c)) advance(c);
    }
    if (!delays_.empty()) arm_timer(delay_timer_.get(), delays_.front()->deadline);
}

// Idle, header and linger timeouts, checked a few times a second: per
// connection timers would cost a system call per request.
void Worker::sweep() {
    pool_.trim(); // buffers no connection needed since the last sweep
    const auto now = coarse_now();
    for (std::size_t i = open_.size(); i-- > 0;) {
        Connection& c = *open_[i];
        if (c.in_flight()) continue;
        auto age = now - c.since;
        if (c.lingering) {
            if (age > linger_timeout) close(c);
        } else if (c.session.mid_request()) {
            if (config_.header_timeout > std::chrono::nanoseconds::zero() && age > config_.header_timeout) {
                ++counters_.timeouts;
                send_alone(c, reject(Status::request_timeout));
            }
        } else if (c.silent && config_.header_timeout > std::chrono::nanoseconds::zero()) {
            // A connection that never sent a byte has no request to answer:
            // closed at the header timeout from accept, as nginx does.
            if (age > config_.header_timeout) {
                ++counters_.timeouts;
                close(c);
            }
        } else if (config_.idle_timeout > std::chrono::nanoseconds::zero() && age > config_.idle_timeout) {
            ++counters_.timeouts;
            close(c);
        }
    }
}

// Bytes a client sent that the worker has not parsed yet: a request begun,
// or one that arrived while the worker was busy and is still in the socket.
// Closing such a connection would throw the request away, and a close with
// unread input makes the kernel answer with a reset: the client sees an
// error for a request it sent before the drain began.
bool Worker::has_pending_input(const Connection& c) const {
    if (c.io != nullptr) return true;
    int bytes = 0;
    return ioctl(c.fd.get(), FIONREAD, &bytes) == 0 && bytes > 0;
}

// Stop accepting; leave the SO_REUSEPORT group at once (new connections then
// go to the other workers' listeners); let requests already waiting or sent
// finish (their responses say Connection: close); close the connections that
// are idle with nothing sent: their clients see a plain close between
// requests.
void Worker::begin_drain() {
    if (stopping_) return;
    stopping_ = true;
    drain_deadline_ = Clock::now() + config_.drain_timeout;
    set_accepting(false);
    if (config_.leave_listener) config_.leave_listener();
    if (holding_gate_) {
        config_.gate->release();
        holding_gate_ = false;
    }
    for (std::size_t i = open_.size(); i-- > 0;) {
        Connection& c = *open_[i];
        if (c.waiting()) close_after(c.io->batch);
        else if (c.writing()) c.close_after_write = true;
        else if (!c.lingering && !has_pending_input(c)) close(c);
    }
}

} // namespace epoll

int run_epoll_worker(const EpollWorkerConfig& config, WorkerCounters& counters, const std::function<void()>& ready) {
    return epoll::Worker(config, counters).run(ready);
}

} // namespace pb


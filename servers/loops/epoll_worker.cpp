#include "loops/epoll_worker.hpp"

#include <algorithm>
#include <csignal>
#include <memory>
#include <optional>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

#include "http/date_cache.hpp"
#include "loops/delay_queue.hpp"
#include "http/http_session.hpp"
#include "http/response.hpp"
#include "common/signals.hpp"
#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Timeouts need only coarse time; CLOCK_MONOTONIC_COARSE is a vDSO read
// without the TSC arithmetic, cheap enough for every request.
struct CoarseClock {
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<CoarseClock>;
};

CoarseClock::time_point coarse_now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return CoarseClock::time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

// How often idle, header and linger timeouts are checked.
constexpr milliseconds sweep_interval{250};
// A closing connection is kept this long to read what the client still sends,
// so that close() does not turn into an RST that destroys our last response.
constexpr milliseconds linger_timeout{1000};
// After EMFILE and friends, stop accepting this long instead of spinning.
constexpr milliseconds accept_backoff{100};
constexpr int max_events = 256;

struct Connection : DelayLink {
    Fd fd;
    HttpSession session;
    Reply pending;                 // the reply waiting in the delay queue
    char out[max_response_size];
    std::size_t out_size = 0;      // bytes of `out` to send
    std::size_t out_sent = 0;
    bool read_blocked = false;     // stopped reading because the buffer was full
    bool peer_eof = false;         // the client shut its side: answer what it sent, then close
    bool peer_shut = false;        // EPOLLRDHUP seen: read until recv returns 0 to find the end
    Status sending = Status::ok;   // the status of the response in `out`, counted once it is sent
    bool lingering = false;        // last response sent, write side shut, reading until EOF
    bool close_after_write = false;
    CoarseClock::time_point since; // accepted, request started, response sent or linger began
    std::size_t index = 0;         // position in Worker::open_

    bool waiting() const { return queued; }
    bool writing() const { return out_sent < out_size; }
    bool in_flight() const { return waiting() || writing(); }
};

// epoll tags for the non-connection descriptors.
char listener_tag, signal_tag, delay_tag, sweep_tag;

void arm_timer(int fd, Clock::time_point when, milliseconds interval = milliseconds(0)) {
    auto since_epoch = when.time_since_epoch();
    itimerspec spec{};
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    spec.it_value.tv_sec = secs.count();
    spec.it_value.tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count();
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    spec.it_interval.tv_sec = interval.count() / 1000;
    spec.it_interval.tv_nsec = (interval.count() % 1000) * 1'000'000;
    // steady_clock is CLOCK_MONOTONIC on Linux, the clock of the timerfd.
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        throw_system_error("timerfd_settime", "fd " + std::to_string(fd));
}

Fd make_timer() {
    Fd fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd) throw_system_error("timerfd_create", "CLOCK_MONOTONIC");
    return fd;
}

class Worker {
public:
    Worker(const EpollWorkerConfig& config, WorkerCounters& counters) : config_(config), counters_(counters) {}
    int run(const std::function<void()>& ready);

private:
    void setup();
    void watch(int fd, void* tag, std::uint32_t events);
    void unwatch(int fd);
    void set_accepting(bool on);
    void update_gate();
    void dispatch(const epoll_event& event);

    enum class ReadResult { ok, failed };

    Connection& open_connection(int fd);
    void close(Connection& c);
    void accept_all();
    void on_connection_event(Connection& c, std::uint32_t events);
    ReadResult read_some(Connection& c);
    void advance(Connection& c);
    bool send_reply(Connection& c, const Reply& reply);
    bool flush(Connection& c);
    void start_linger(Connection& c);

    void fire_delays();
    void sweep();
    void begin_drain();
    bool drained() const { return open_.empty(); }

    const EpollWorkerConfig& config_;
    WorkerCounters& counters_;
    Fd epoll_, signals_, delay_timer_, sweep_timer_;
    DelayQueue delays_;
    DateCache date_;
    std::vector<Connection*> open_;
    std::vector<std::unique_ptr<Connection>> free_;
    char linger_sink_[4096];        // discarded input of lingering connections
    bool accepting_ = false;       // listener registered in epoll
    bool holding_gate_ = false;
    bool stopping_ = false;
    Clock::time_point accept_paused_until_{};
    Clock::time_point drain_deadline_{};
};

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
    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_system_error("epoll_create1", "EPOLL_CLOEXEC");

    signals_ = block_into_signalfd({SIGTERM, SIGINT});
    signal(SIGPIPE, SIG_IGN);

    delay_timer_ = make_timer();
    sweep_timer_ = make_timer();
    arm_timer(sweep_timer_.get(), Clock::now() + sweep_interval, sweep_interval);
    watch(signals_.get(), &signal_tag, EPOLLIN);
    watch(delay_timer_.get(), &delay_tag, EPOLLIN);
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
    } else if (tag == &delay_tag) {
        std::uint64_t expirations = 0;
        if (read(delay_timer_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
            throw_system_error("read", "delay timerfd");
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
    c.out_size = c.out_sent = 0;
    c.read_blocked = c.peer_eof = c.peer_shut = c.lingering = c.close_after_write = false;
    c.since = coarse_now();
    c.index = open_.size();
    open_.push_back(&c);
    return c;
}

void Worker::close(Connection& c) {
    delays_.remove(c);
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
            accept_paused_until_ = Clock::now() + accept_backoff;
            set_accepting(false);
            return;
        }
        // Responses are single small writes; Nagle would hold back the next
        // one of a pipelined batch until the previous was acknowledged.
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ++counters_.connections;
        Connection& c = open_connection(fd);
        // Edge-triggered: each readiness change is reported once, and we read
        // or write until EAGAIN. EPOLLOUT costs nothing until a write stalls.
        watch(fd, &c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    }
}

void Worker::on_connection_event(Connection& c, std::uint32_t events) {
    if (!c.fd) return; // closed earlier in this batch of events
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (events & (EPOLLRDHUP | EPOLLHUP)) c.peer_shut = true;
        if (read_some(c) == ReadResult::failed) return close(c);
    }
    if (c.lingering) {
        if (c.peer_eof) close(c);
        return;
    }
    if (c.writing()) {
        if ((events & EPOLLOUT) && flush(c)) advance(c);
        return;
    }
    advance(c);
}

Worker::ReadResult Worker::read_some(Connection& c) {
    for (;;) {
        std::span<char> space = c.lingering ? std::span<char>(linger_sink_) : c.session.free_space();
        if (space.empty()) {
            c.read_blocked = true;
            return ReadResult::ok;
        }
        if (!c.lingering && !c.session.mid_request()) c.since = coarse_now(); // a new request starts
        ssize_t n = recv(c.fd.get(), space.data(), space.size(), 0);
        if (n > 0) {
            counters_.bytes_in += static_cast<std::uint64_t>(n);
            if (!c.lingering) c.session.received(static_cast<std::size_t>(n));
            // A short read drained the socket for now, unless the peer shut
            // its side: then read on to the 0 that marks the end, since no
            // further edge will come.
            if (static_cast<std::size_t>(n) < space.size() && !c.peer_shut) return ReadResult::ok;
            continue;
        }
        if (n == 0) {
            c.peer_eof = true;
            return ReadResult::ok;
        }
        if (errno == EAGAIN) return ReadResult::ok;
        if (errno != EINTR) return ReadResult::failed; // ECONNRESET and friends: the peer is gone
    }
}

// Serves buffered requests in order until one has to wait, a write stalls or
// the buffer holds no complete request.
void Worker::advance(Connection& c) {
    while (!c.in_flight() && !c.lingering) {
        if (c.read_blocked) {
            c.read_blocked = false;
            if (read_some(c) == ReadResult::failed) return close(c);
        }
        std::optional<Reply> reply = c.session.next_reply(config_.handler, counters_);
        if (!reply && c.read_blocked) continue; // a discarded body freed the buffer: read the rest
        if (!reply) {
            // A client that shut its side after its last request has been
            // answered; an idle one that closed is simply gone.
            if (c.peer_eof) close(c);
            return;
        }
        if (stopping_) reply->keep_alive = false;
        if (reply->waits) {
            c.pending = *reply;
            bool was_empty = delays_.empty();
            delays_.push(c, Clock::now() + config_.handler.delay);
            if (was_empty) arm_timer(delay_timer_.get(), c.deadline);
            return;
        }
        if (!send_reply(c, *reply)) return;
    }
}

bool Worker::send_reply(Connection& c, const Reply& reply) {
    c.out_size = format_response(reply, date_.now(), c.out);
    c.out_sent = 0;
    c.close_after_write = !reply.keep_alive;
    c.sending = reply.status;
    return flush(c);
}

// Writes the rest of c.out. True when the connection is ready for its next
// request; false when the write stalled (EPOLLOUT resumes it) or the
// connection was closed or started to close.
bool Worker::flush(Connection& c) {
    while (c.writing()) {
        ssize_t n = send(c.fd.get(), c.out + c.out_sent, c.out_size - c.out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.out_sent += static_cast<std::size_t>(n);
            counters_.bytes_out += static_cast<std::uint64_t>(n);
        } else if (errno == EAGAIN) {
            return false;
        } else if (errno != EINTR) {
            close(c); // EPIPE, ECONNRESET: the client left while its request waited
            return false;
        }
    }
    counters_.count_response(c.sending); // only responses that reached the socket count
    c.out_size = c.out_sent = 0;
    c.since = coarse_now();
    if (c.close_after_write) {
        start_linger(c);
        return false;
    }
    return true;
}

// Closing with unread input would send an RST that can destroy the response
// we just wrote (a 400 or 431 the client has not read yet). Shut our side,
// read until the client closes or linger_timeout passes.
void Worker::start_linger(Connection& c) {
    if (c.peer_eof) return close(c);
    shutdown(c.fd.get(), SHUT_WR);
    c.lingering = true;
    c.session.reset();
    c.since = coarse_now();
    if (read_some(c) == ReadResult::failed || c.peer_eof) close(c);
}

void Worker::fire_delays() {
    const auto now = Clock::now();
    while (DelayLink* link = delays_.pop_due(now)) {
        auto& c = static_cast<Connection&>(*link);
        if (send_reply(c, c.pending)) advance(c);
    }
    if (!delays_.empty()) arm_timer(delay_timer_.get(), delays_.front()->deadline);
}

// Idle, header and linger timeouts, checked a few times a second: per
// connection timers would cost a system call per request.
void Worker::sweep() {
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
                send_reply(c, reject(Status::request_timeout));
            }
        } else if (config_.idle_timeout > std::chrono::nanoseconds::zero() && age > config_.idle_timeout) {
            ++counters_.timeouts;
            close(c);
        }
    }
}

// Stop accepting; let requests already waiting finish (their responses say
// Connection: close); close everything else now.
void Worker::begin_drain() {
    if (stopping_) return;
    stopping_ = true;
    drain_deadline_ = Clock::now() + config_.drain_timeout;
    set_accepting(false);
    if (holding_gate_) {
        config_.gate->release();
        holding_gate_ = false;
    }
    for (std::size_t i = open_.size(); i-- > 0;) {
        Connection& c = *open_[i];
        if (c.waiting()) c.pending.keep_alive = false;
        else if (c.writing()) c.close_after_write = true;
        else if (!c.lingering) close(c);
    }
}

} // namespace

int run_epoll_worker(const EpollWorkerConfig& config, WorkerCounters& counters, const std::function<void()>& ready) {
    return Worker(config, counters).run(ready);
}

} // namespace pb

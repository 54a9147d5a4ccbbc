#include "load/load_worker.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/system_error.hpp"

namespace pb::load {
namespace {

// A timerfd wake-up comes tens of µs late (the thread's timer slack is cut
// to 1 ns in run(), the scheduler's wake-up remains): the loop wakes
// config_.spin_ns (--spin) before a due send and spins the rest.
// How often timeouts and reconnections are looked at.
constexpr std::int64_t check_interval_ns = 1'000'000;
// A connection that failed to connect tries again after this.
constexpr std::int64_t reconnect_delay_ns = 10'000'000;
// After the last send: how long answers may still come (beyond --timeout).
constexpr std::int64_t drain_grace_ns = 1'000'000'000;
constexpr int initial_connect_ms = 5'000;
constexpr std::size_t request_capacity = 4096, response_capacity = 16384;

std::uint64_t to_us(std::int64_t ns) { return ns > 0 ? static_cast<std::uint64_t>(ns / 1000) : 0; }

} // namespace

struct LoadWorker::Connection {
    enum class State { closed, connecting, idle, busy };
    Fd fd;
    State state = State::closed;
    bool has_request = false;
    bool measured = false;
    std::int64_t intended = 0, sent = 0, connect_started = 0, reconnect_at = 0;
    std::size_t out_length = 0, out_written = 0;
    std::array<char, request_capacity> out{};
    std::array<char, response_capacity> in{};
    ResponseReader reader{std::span<char>(in)};
};

LoadWorker::LoadWorker(const RunConfig& config, std::size_t first, std::size_t stride, int connections)
    : config_(config), first_(first), stride_(stride),
      idle_(thread_engine_seed(config.seed, Stream::connections, first)) {
    const std::size_t size = config_.schedule.size();
    count_ = config_.mode == LoadMode::open && first_ < size ? (size - first_ + stride_ - 1) / stride_ : 0;
    for (int i = 0; i < connections; ++i) connections_.push_back(std::make_unique<Connection>());
    idle_.reserve(connections_.size());
    fifo_.resize(std::max<std::size_t>(count_, 1));
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_system_error("epoll_create1", "load worker");
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) throw_system_error("timerfd_create", "CLOCK_MONOTONIC");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr; // the timer
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &event) != 0) throw_system_error("epoll_ctl", "timerfd");
}

LoadWorker::~LoadWorker() = default;

std::int64_t LoadWorker::intended_ns(std::size_t k) const { return config_.schedule[first_ + k * stride_].send_at_ns; }

void LoadWorker::connect_all() {
    if (config_.connect_per_request) {
        for (auto& connection : connections_) idle_.push(connection.get());
        return;
    }
    const std::int64_t now = now_ns();
    const std::string where = config_.url.host + ":" + std::to_string(config_.url.port);
    for (auto& connection : connections_)
        if (const int error = start_connect(*connection, now); error != 0) throw_system_error("connect", where, error);
    std::size_t connected = 0;
    const std::int64_t deadline = now + std::int64_t{initial_connect_ms} * 1'000'000;
    std::array<epoll_event, 256> events{};
    while (connected < connections_.size()) {
        const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 100);
        if (n < 0 && errno != EINTR) throw_system_error("epoll_wait", "connecting");
        for (int i = 0; i < n; ++i) {
            auto* connection = static_cast<Connection*>(events[static_cast<std::size_t>(i)].data.ptr);
            if (connection == nullptr || connection->state != Connection::State::connecting) continue;
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(connection->fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) throw_system_error("connect", where, error);
            connection->state = Connection::State::idle;
            ++connected;
        }
        if (now_ns() > deadline)
            throw std::runtime_error("connect: " + std::to_string(connections_.size() - connected) + " of " +
                                     std::to_string(connections_.size()) + " connections not made within 5 s");
    }
    // In the order of connections_, not of the connects' completion: the
    // seed's draws then pick the same connections run after run.
    for (auto& connection : connections_) idle_.push(connection.get());
}

void LoadWorker::run(std::int64_t start_ns) {
    // The default slack of 50 µs lets the kernel defer our timer by that
    // much to batch wake-ups: a send would be late by it.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    start_ns_ = start_ns;
    next_expiry_check_ns_ = start_ns;
    while (now_ns() < start_ns) {
    }
    if (config_.mode == LoadMode::closed) {
        const std::int64_t now = now_ns();
        while (!idle_.empty()) assign(*idle_.take(), 0, now, false);
    }
    std::array<epoll_event, 256> events{};
    for (;;) {
        std::int64_t now = now_ns();
        // Queued requests first: a slot freed meanwhile is theirs, not a newer one's.
        drain_fifo();
        dispatch_due(now);
        if (now >= next_expiry_check_ns_) {
            expire(now);
            reconnect_due(now);
            next_expiry_check_ns_ = now + check_interval_ns;
        }
        if (finished(now)) break;
        // Spin only for a send: the housekeeping check needs no precision.
        int timeout = -1;
        const std::int64_t next_send = next_ < count_ ? start_ns_ + intended_ns(next_) : INT64_MAX;
        if (next_send - now <= config_.spin_ns) timeout = 0;
        else wait_until(std::min(next_send - config_.spin_ns, next_expiry_check_ns_));
        const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout);
        if (n < 0 && errno != EINTR) throw_system_error("epoll_wait", "load worker");
        now = now_ns();
        for (int i = 0; i < n; ++i) {
            const epoll_event& event = events[static_cast<std::size_t>(i)];
            if (event.data.ptr == nullptr) {
                std::uint64_t expirations = 0;
                (void)!::read(timer_.get(), &expirations, sizeof expirations);
                armed_ns_ = -1;
                continue;
            }
            on_event(*static_cast<Connection*>(event.data.ptr), event.events, now);
        }
    }
    // Requests still waiting for a connection, or still unanswered, when the
    // run ended: lost, counted as timeouts.
    for (std::size_t i = 0; i < fifo_size_; ++i)
        if (intended_ns(fifo_[(fifo_head_ + i) % fifo_.size()]) >= config_.warmup_ns) ++counters_.errors.timeout;
    for (auto& connection : connections_)
        if (connection->has_request && connection->measured) ++counters_.errors.timeout;
}

void LoadWorker::wait_until(std::int64_t wake) {
    if (armed_ns_ == wake) return;
    itimerspec when{};
    when.it_value.tv_sec = wake / 1'000'000'000;
    when.it_value.tv_nsec = wake % 1'000'000'000;
    if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &when, nullptr) != 0) throw_system_error("timerfd_settime", "load worker");
    armed_ns_ = wake;
}

void LoadWorker::dispatch_due(std::int64_t now) {
    while (next_ < count_ && start_ns_ + intended_ns(next_) <= now) {
        const std::size_t k = next_++;
        if (!idle_.empty()) {
            assign(*idle_.take(), k, now, false);
            continue;
        }
        fifo_[(fifo_head_ + fifo_size_) % fifo_.size()] = k;
        ++fifo_size_;
        counters_.largest_backlog = std::max<std::uint64_t>(counters_.largest_backlog, fifo_size_);
    }
}

// Idle connections take the oldest waiting requests (an immediate connect
// failure leaves a slot idle with requests still queued).
void LoadWorker::drain_fifo() {
    while (fifo_size_ > 0 && !idle_.empty()) {
        Connection* connection = idle_.take();
        const std::size_t k = fifo_[fifo_head_];
        fifo_head_ = (fifo_head_ + 1) % fifo_.size();
        --fifo_size_;
        assign(*connection, k, now_ns(), true);
    }
}

void LoadWorker::assign(Connection& connection, std::size_t k, std::int64_t now, bool queued) {
    now = now_ns(); // not the loop's: a burst of sends takes time, and lateness must show it
    const bool open = config_.mode == LoadMode::open;
    const PlannedRequest& request =
        open ? config_.schedule[first_ + k * stride_] : config_.schedule[(first_ + closed_sent_++ * stride_) % config_.schedule.size()];
    connection.intended = open ? start_ns_ + request.send_at_ns : now;
    connection.measured = open ? request.send_at_ns >= config_.warmup_ns : now - start_ns_ >= config_.warmup_ns;
    if (connection.measured && open) {
        ++counters_.measured_sent;
        if (queued) {
            ++counters_.queued;
            counters_.longest_queue_wait_ns = std::max(counters_.longest_queue_wait_ns, now - connection.intended);
        } else {
            counters_.lateness.record(to_us(now - connection.intended));
        }
    }
    // "GET <path>[?work=..&delay=..] HTTP/1.1\r\n<headers>\r\n"
    char* out = connection.out.data();
    std::size_t length = 0;
    const auto append = [&](const char* text, std::size_t size) {
        std::memcpy(out + length, text, size);
        length += size;
    };
    append("GET ", 4);
    const std::string& path = config_.url.path;
    append(path.data(), path.size());
    if (config_.has_work || config_.has_delay) {
        char target[64];
        const std::size_t size = format_target(request, config_.has_work, config_.has_delay, target);
        // format_target writes "/?work=..": after a path of our own, its query only.
        if (path == "/") length -= 1, append(target, size);
        else append(path.find('?') == std::string::npos ? "?" : "&", 1), append(target + 2, size - 2);
    }
    append(" HTTP/1.1\r\n", 11);
    append(config_.header_block.data(), config_.header_block.size());
    connection.out_length = length;
    connection.out_written = 0;
    connection.has_request = true;
    connection.sent = now;
    connection.state = Connection::State::busy;
    ++in_flight_;
    ++counters_.sent;
    if (config_.connect_per_request) {
        start_connect(connection, now);
        return;
    }
    write_request(connection);
}

int LoadWorker::start_connect(Connection& connection, std::int64_t now) {
    const sockaddr& address = reinterpret_cast<const sockaddr&>(config_.url.address);
    connection.fd.reset(::socket(address.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    connection.connect_started = now;
    int error = connection.fd ? 0 : errno; // out of descriptors or memory
    if (error == 0) {
        const int on = 1;
        ::setsockopt(connection.fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        if (::connect(connection.fd.get(), &address, config_.url.address_length) != 0 && errno != EINPROGRESS) error = errno;
    }
    if (error != 0) {
        // Retried later, from the loop: failing here into the next queued
        // request would recurse once per request waiting.
        connection.fd.reset();
        connection.state = Connection::State::closed;
        connection.reconnect_at = now + reconnect_delay_ns;
        if (connection.has_request) {
            if (connection.measured) ++counters_.errors.connect;
            connection.has_request = false;
            --in_flight_;
        } else {
            ++counters_.connect_failures;
        }
        if (config_.connect_per_request) {
            connection.state = Connection::State::idle; // a slot: the next request makes a new attempt
            idle_.push(&connection);
        }
        return error;
    }
    // Edge-triggered, registered once: no epoll_ctl per request.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = &connection;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, connection.fd.get(), &event) != 0) throw_system_error("epoll_ctl", "a connection");
    connection.state = Connection::State::connecting; // the first EPOLLOUT edge says how it went
    return 0;
}

bool LoadWorker::write_request(Connection& connection) {
    while (connection.out_written < connection.out_length) {
        const ssize_t n = ::send(connection.fd.get(), connection.out.data() + connection.out_written,
                                 connection.out_length - connection.out_written, MSG_NOSIGNAL);
        if (n > 0) {
            connection.out_written += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true; // EPOLLOUT resumes it
        fail(connection, &ErrorCounts::write, now_ns());
        return false;
    }
    return true;
}

void LoadWorker::on_event(Connection& connection, std::uint32_t events, std::int64_t now) {
    if (!connection.fd) return; // closed by an earlier event of this batch
    if (connection.state == Connection::State::connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
        on_connected(connection, now);
        if (!connection.fd || connection.state != Connection::State::busy) return;
    }
    if (connection.state == Connection::State::busy) {
        if ((events & EPOLLOUT) != 0 && connection.out_written < connection.out_length && !write_request(connection)) return;
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
        on_readable(connection, now);
        // A FIN that came with the last bytes of the answer has used up its
        // edge: the keep-alive connection is closed, not idle.
        if (!connection.fd || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0 ||
            connection.state != Connection::State::idle)
            return;
    }
    if (connection.state == Connection::State::idle && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        // The server closed a keep-alive connection between requests (or
        // sent what nobody asked for): open it again.
        ++counters_.reconnects;
        idle_.remove(&connection);
        close(connection);
        start_connect(connection, now);
    }
}

void LoadWorker::on_connected(Connection& connection, std::int64_t now) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(connection.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == EINPROGRESS || error == EALREADY) return;
    if (error != 0) {
        connection.reconnect_at = now + reconnect_delay_ns;
        if (connection.has_request) return fail(connection, &ErrorCounts::connect, now);
        ++counters_.connect_failures;
        close(connection);
        return;
    }
    if (connection.has_request) {
        // --connect-per-request: the request waited for this connection.
        if (connection.measured) counters_.connect.record(to_us(now - connection.connect_started));
        connection.state = Connection::State::busy;
        write_request(connection);
        return;
    }
    become_idle(connection, now);
}

void LoadWorker::on_readable(Connection& connection, std::int64_t now) {
    ResponseReader& reader = connection.reader;
    for (;;) {
        if (reader.free_size() == 0) return fail(connection, &ErrorCounts::read, now);
        const ssize_t n = ::recv(connection.fd.get(), reader.free_begin(), reader.free_size(), 0);
        if (n > 0) {
            const ResponseReader::State state = reader.received(static_cast<std::size_t>(n));
            if (state == ResponseReader::State::complete) return complete(connection, false);
            if (state == ResponseReader::State::malformed) return fail(connection, &ErrorCounts::read, now);
            continue;
        }
        if (n == 0) {
            if (reader.peer_closed() == ResponseReader::State::complete) return complete(connection, true);
            return fail(connection, &ErrorCounts::read, now);
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return fail(connection, &ErrorCounts::read, now);
    }
}

void LoadWorker::complete(Connection& connection, bool peer_closed) {
    const std::int64_t now = now_ns(); // the last byte's time, not the loop's
    ResponseReader& reader = connection.reader;
    if (reader.excess() > 0) return fail(connection, &ErrorCounts::read, now);
    if (connection.measured) {
        if (reader.status() == 200) {
            counters_.latency.record(to_us(now - connection.intended));
            ++counters_.completed;
        } else {
            ++counters_.errors.status;
        }
    }
    completed_so_far_.fetch_add(1, std::memory_order_relaxed);
    connection.has_request = false;
    --in_flight_;
    if (config_.connect_per_request) {
        close(connection);
        return become_idle(connection, now);
    }
    if (reader.closes() || peer_closed) {
        ++counters_.reconnects;
        close(connection);
        start_connect(connection, now);
        return;
    }
    reader.reset();
    become_idle(connection, now);
}

void LoadWorker::fail(Connection& connection, std::uint64_t ErrorCounts::*kind, std::int64_t now) {
    if (connection.has_request) {
        if (connection.measured) ++(counters_.errors.*kind);
        connection.has_request = false;
        --in_flight_;
    }
    close(connection);
    if (config_.connect_per_request) {
        // The slot goes back; drain_fifo() gives it the next request from the
        // loop, not from here (no recursion through a backlog).
        connection.state = Connection::State::idle;
        idle_.push(&connection);
        return;
    }
    // Keep-alive: the connection comes back, at once unless it could not connect.
    if (kind == &ErrorCounts::connect) connection.reconnect_at = now + reconnect_delay_ns;
    else start_connect(connection, now);
}

void LoadWorker::become_idle(Connection& connection, std::int64_t now) {
    connection.state = Connection::State::idle;
    if (config_.mode == LoadMode::closed) {
        if (now < start_ns_ + config_.end_ns) return assign(connection, 0, now, false);
        return; // the run is over: it stays idle
    }
    if (fifo_size_ > 0) {
        const std::size_t k = fifo_[fifo_head_];
        fifo_head_ = (fifo_head_ + 1) % fifo_.size();
        --fifo_size_;
        return assign(connection, k, now, true);
    }
    idle_.push(&connection);
}

void LoadWorker::close(Connection& connection) {
    connection.fd.reset(); // closing removes it from the epoll set
    connection.reader.reset();
    connection.state = Connection::State::closed;
    connection.out_length = connection.out_written = 0;
}

void LoadWorker::expire(std::int64_t now) {
    // A request that waited for a connection longer than the timeout is lost
    // as one that waited for its answer would be.
    while (fifo_size_ > 0 && now - (start_ns_ + intended_ns(fifo_[fifo_head_])) > config_.timeout_ns) {
        if (intended_ns(fifo_[fifo_head_]) >= config_.warmup_ns) ++counters_.errors.timeout;
        fifo_head_ = (fifo_head_ + 1) % fifo_.size();
        --fifo_size_;
    }
    for (auto& owned : connections_) {
        Connection& connection = *owned;
        if (connection.has_request && now - connection.sent > config_.timeout_ns) {
            fail(connection, &ErrorCounts::timeout, now);
        } else if (connection.state == Connection::State::connecting &&
                   now - connection.connect_started > config_.timeout_ns) {
            ++counters_.connect_failures;
            close(connection);
            connection.reconnect_at = now + reconnect_delay_ns;
        }
    }
}

void LoadWorker::reconnect_due(std::int64_t now) {
    if (config_.connect_per_request) return;
    for (auto& owned : connections_) {
        Connection& connection = *owned;
        if (connection.state == Connection::State::closed && !connection.fd && connection.reconnect_at <= now)
            start_connect(connection, now);
    }
}

bool LoadWorker::finished(std::int64_t now) const {
    const std::int64_t last_send = start_ns_ + config_.end_ns;
    if (now > last_send + config_.timeout_ns + drain_grace_ns) return true; // what is still out is lost
    if (config_.mode == LoadMode::closed) return now >= last_send && in_flight_ == 0;
    return next_ == count_ && in_flight_ == 0 && fifo_size_ == 0;
}

} // namespace pb::load

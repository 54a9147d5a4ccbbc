#include "threadpool/connection.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "threadpool/registry.hpp"
#include "threadpool/worker_state.hpp"

namespace pb::threadpool {
namespace {

// How long a closing connection keeps reading what the client still sends,
// so that close() does not become an RST that destroys our last reply (the
// same value as the epoll worker's).
constexpr std::chrono::seconds linger_timeout{1};

} // namespace

Connection::Connection(tcp::socket socket, const ConnectionConfig& config,
                       ConnectionRegistry& registry)
    : config_(config), registry_(registry), socket_(std::move(socket)),
      delay_(socket_.get_executor()), deadline_timer_(socket_.get_executor()) {}

Connection::~Connection() { registry_.remove(*this); }

void Connection::start() {
    // The caller runs on the acceptor's strand; from here on everything runs
    // on ours.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->serve(); });
}

void Connection::stop() {
    // weak_from_this: the registry may reach a connection whose last owner
    // is already gone and whose destructor waits for the registry's lock.
    if (auto self = weak_from_this().lock())
        asio::post(socket_.get_executor(), [self = std::move(self)] { self->begin_stop(); });
}

// Answers the next buffered request, or waits for one. Only called while no
// reply is in progress, which keeps pipelined replies in order, and never
// while a read into the session is outstanding.
void Connection::serve() {
    if (stopping_) return close();
    std::optional<Reply> reply;
    // A skipped body can swallow all that was fed: feed again while the
    // lookahead still holds bytes and the session takes them.
    for (;;) {
        bool fed = feed();
        reply = session_.next_reply(config_.handler, worker_counters());
        if (reply || lookahead_begin_ == lookahead_end_ || !fed) break;
    }
    if (!reply) {
        if (peer_eof_) return close(); // everything the client sent is answered
        return wait_for_request();
    }
    reply_ = *reply;
    busy_ = true;
    head_started_ = false;
    deadline_ = clock::time_point::max(); // no idle or header timeout while we work
    if (reply_.waits && config_.handler.delay.count() > 0) {
        delay_.expires_after(config_.handler.delay);
        delay_.async_wait([self = shared_from_this()](const error_code& error) {
            self->on_delay(error);
        });
        read(); // a client that resets the connection while we wait is noticed at once
        return;
    }
    send();
}

// Moves what the lookahead holds into the session, as far as it has room.
bool Connection::feed() {
    if (lookahead_begin_ == lookahead_end_) return false;
    auto space = session_.free_space();
    std::size_t bytes = std::min(space.size(), lookahead_end_ - lookahead_begin_);
    if (bytes == 0) return false;
    std::memcpy(space.data(), lookahead_.data() + lookahead_begin_, bytes);
    session_.received(bytes);
    lookahead_begin_ += bytes;
    if (lookahead_begin_ == lookahead_end_) lookahead_begin_ = lookahead_end_ = 0;
    return true;
}

void Connection::wait_for_request() {
    if (session_.mid_request()) {
        // From the first byte of the head, not from the latest: a client that
        // trickles a byte at a time must not keep the connection forever.
        if (!head_started_) set_deadline(config_.header_timeout);
        head_started_ = true;
    } else if (silent_ && config_.header_timeout > std::chrono::nanoseconds::zero()) {
        // Nothing sent since accept: at the header timeout, closed silently
        // (on_timeout), as nginx does; set once, from accept.
        if (!head_started_) set_deadline(config_.header_timeout);
        head_started_ = true;
    } else {
        set_deadline(config_.idle_timeout);
    }
    if (session_.free_space().empty()) return close(); // cannot happen: the session rejects first
    read();
}

void Connection::read() {
    if (reading_ || closed_ || peer_eof_) return;
    std::span<char> space;
    into_lookahead_ = busy_ && !lingering_;
    if (into_lookahead_) {
        // One lookahead's worth is enough; more waits in the kernel.
        if (lookahead_end_ > 0) return;
        space = lookahead_;
    } else {
        // Full of pipelined requests: reading resumes once replies consume them.
        space = session_.free_space();
    }
    if (space.empty()) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(space.data(), space.size()),
                            [self = shared_from_this()](const error_code& error, std::size_t bytes) {
                                self->on_read(error, bytes);
                            });
}

void Connection::on_read(const error_code& error, std::size_t bytes) {
    reading_ = false;
    if (closed_) return;
    if (lingering_) return on_linger_read(error, bytes);
    if (error == asio::error::eof) {
        // A half-close still wants its answers (HTTP/1.1 allows it); a client
        // that closed entirely makes the write fail, and then we close.
        peer_eof_ = true;
        if (!busy_) serve();
        return;
    }
    // A reset: the client is gone, so the waiting reply is dropped unwritten.
    if (error) return close();
    worker_counters().bytes_in += bytes;
    if (silent_ && bytes > 0) {
        silent_ = false;
        head_started_ = false; // the header clock starts again at the first byte
    }
    if (into_lookahead_) lookahead_end_ = bytes; // it was empty when the read began
    else session_.received(bytes);
    if (busy_) return read(); // pipelined: served after the current reply
    serve();
}

void Connection::on_delay(const error_code& error) {
    if (error || closed_) return;
    send();
}

void Connection::send() {
    // Draining: tell the client we close after this reply.
    if (stopping_) reply_.keep_alive = false;
    std::size_t size = format_response(reply_, worker_date_cache().now(), response_);
    asio::async_write(socket_, asio::buffer(response_.data(), size),
                      [self = shared_from_this()](const error_code& error, std::size_t bytes) {
                          self->on_write(error, bytes);
                      });
}

void Connection::on_write(const error_code& error, std::size_t bytes) {
    if (closed_) return;
    if (error) return close();
    WorkerCounters& counters = worker_counters();
    counters.count_response(reply_.status); // counts the request too
    counters.bytes_out += bytes;
    busy_ = false;
    if (!reply_.keep_alive) return linger();
    serve();
}

// Closing with unread input would send an RST that can destroy the reply
// the client has not read yet (a 400, a 408). Shut our side and read until
// the client closes, for linger_timeout at most.
void Connection::linger() {
    if (peer_eof_) return close();
    lingering_ = true;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    session_.reset(); // what is still buffered goes unanswered
    lookahead_begin_ = lookahead_end_ = 0;
    set_deadline(linger_timeout);
    read();
}

void Connection::on_linger_read(const error_code& error, std::size_t bytes) {
    if (error) return close(); // end of stream: the client has our reply
    worker_counters().bytes_in += bytes;
    session_.reset(); // discard
    lookahead_begin_ = lookahead_end_ = 0;
    read();
}

// The timer is armed lazily: moving the deadline later leaves the pending
// wait alone (it re-arms itself when it fires early), so a keep-alive
// request costs no timer operation unless a shorter timeout starts.
void Connection::set_deadline(std::chrono::nanoseconds timeout) {
    deadline_ = timeout.count() > 0 ? clock::now() + timeout : clock::time_point::max();
    if (deadline_ == clock::time_point::max()) return;
    if (timer_armed_ && deadline_timer_.expiry() <= deadline_) return;
    arm_timer();
}

void Connection::arm_timer() {
    timer_armed_ = true;
    // Re-arming cancels a pending wait, but one that already completed may
    // still be queued: the generation tells it apart.
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait(
        [self = shared_from_this(), generation = ++timer_generation_](const error_code& error) {
            self->on_deadline(error, generation);
        });
}

void Connection::on_deadline(const error_code& error, std::uint64_t generation) {
    if (closed_ || error || generation != timer_generation_) return;
    timer_armed_ = false;
    if (deadline_ == clock::time_point::max()) return;
    if (deadline_ > clock::now()) return arm_timer();
    on_timeout();
}

void Connection::on_timeout() {
    if (lingering_) return close();
    ++worker_counters().timeouts;
    if (busy_ || !session_.mid_request()) return close(); // idle: close silently
    reply_ = reject(Status::request_timeout); // closes after the write
    busy_ = true;
    deadline_ = clock::time_point::max();
    send();
}

void Connection::begin_stop() {
    if (closed_ || stopping_) return;
    stopping_ = true;
    // Idle, or only part of a head: nothing is owed. A lingering connection
    // ends by itself within linger_timeout.
    if (!busy_ && !lingering_) close();
}

void Connection::close() {
    if (closed_) return;
    closed_ = true;
    // Outstanding operations complete with operation_aborted and let go of
    // their reference; the last one destroys the connection.
    delay_.cancel();
    deadline_timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
}

} // namespace pb::threadpool

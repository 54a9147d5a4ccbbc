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

// Every operation has completed by now (each held a reference), so nothing
// writes into the buffers any more.
Connection::~Connection() {
    if (io_ != nullptr) config_.pool->give(io_);
    registry_.remove(*this);
}

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

// Answers the buffered requests, a batch at a time, or waits for more.
// Only called while no batch is in progress, which keeps pipelined replies
// in order. A read may be outstanding: parsing never moves buffered bytes.
void Connection::serve() {
    if (stopping_) return close();
    if (io_ == nullptr ||
        collect_replies(session_, config_.handler, worker_counters(), io_->batch) == 0) {
        if (peer_eof_) return close(); // everything the client sent is answered
        return wait_for_request();
    }
    busy_ = true;
    head_started_ = false;
    deadline_ = park_at_ = clock::time_point::max(); // no timeout and no parking while we work
    if (io_->batch.waits()) {
        // Every reply of the batch was parsed now: one wait for all of them,
        // the longest delay among them.
        delay_.expires_after(io_->batch.delay());
        delay_.async_wait([self = shared_from_this()](const error_code& error) {
            self->on_delay(error);
        });
        read(); // a client that resets the connection while we wait is noticed at once
        return;
    }
    send();
}

bool Connection::take_buffers() {
    if (io_ != nullptr) return true;
    io_ = config_.pool->take();
    if (io_ == nullptr) return false;
    session_.attach(io_->input_span());
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
        park_at_ = clock::now() + park_after;
        set_deadline(config_.idle_timeout);
    }
    read();
}

void Connection::read() {
    if (reading_ || parked_ || closed_ || peer_eof_) return;
    // Without buffers and nothing in progress (a new connection, a parked
    // one): wait for the first bytes before taking a block, as the epoll
    // loop does, so that a silent client costs no buffer either.
    if (io_ == nullptr && !busy_ && !lingering_) return wait_readable();
    if (!take_buffers()) return close(); // out of memory: this client goes
    // Full of pipelined requests: reading resumes once replies consume them.
    std::span<char> space = session_.free_space();
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
    if (parking_) {
        parking_ = false;
        if (error == asio::error::operation_aborted) return park();
        // The read completed before the cancel reached it: serve it.
    }
    if (lingering_) return on_linger_read(error, bytes);
    if (error == asio::error::eof) {
        // A half-close still wants its answers (HTTP/1.1 allows it); a client
        // that closed entirely makes the write fail, and then we close.
        peer_eof_ = true;
        if (!busy_) serve();
        return;
    }
    // A reset: the client is gone, so the waiting batch is dropped unwritten.
    if (error) return close();
    worker_counters().bytes_in += bytes;
    if (silent_ && bytes > 0) {
        silent_ = false;
        head_started_ = false; // the header clock starts again at the first byte
    }
    session_.received(bytes);
    if (busy_) return read(); // pipelined: served after the current batch
    serve();
}

// Idle long enough, nothing buffered, only the read between requests outstanding.
bool Connection::may_park() const {
    return reading_ && !parking_ && !parked_ && !busy_ && !lingering_ && !stopping_ && !peer_eof_ &&
           !session_.mid_request();
}

// The cancelled read has completed: give the buffers back and wait for the
// next request's bytes without them.
void Connection::park() {
    if (busy_ || session_.holds_bytes()) return read();
    session_.detach();
    config_.pool->give(io_);
    io_ = nullptr;
    wait_readable();
}

void Connection::wait_readable() {
    parked_ = true;
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](const error_code& error) { self->on_readable(error); });
}

void Connection::on_readable(const error_code& error) {
    parked_ = false;
    if (closed_) return;
    if (error) return close();
    if (!take_buffers()) return close(); // out of memory: this client goes
    read(); // the edge made Asio's next read speculative: it reads at once
}

void Connection::on_delay(const error_code& error) {
    if (error || closed_) return;
    send();
}

void Connection::send() {
    if (io_ == nullptr) return close(); // cannot happen: a batch lives in the buffers
    ReplyBatch& batch = io_->batch;
    // Draining: tell the client we close after this batch.
    if (stopping_) close_after(batch);
    std::size_t size = format_batch(batch, worker_date_cache().now(), io_->output_span());
    asio::async_write(socket_, asio::buffer(io_->output, size),
                      [self = shared_from_this()](const error_code& error, std::size_t bytes) {
                          self->on_write(error, bytes);
                      });
}

void Connection::on_write(const error_code& error, std::size_t bytes) {
    if (closed_) return;
    if (error) return close();
    WorkerCounters& counters = worker_counters();
    ReplyBatch& batch = io_->batch;
    count_sent(batch, counters); // counts the requests too
    counters.bytes_out += bytes;
    const bool closes = batch.closes();
    batch.clear();
    busy_ = false;
    if (closes) return linger();
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
    set_deadline(linger_timeout);
    read();
}

void Connection::on_linger_read(const error_code& error, std::size_t bytes) {
    if (error) return close(); // end of stream: the client has our reply
    worker_counters().bytes_in += bytes;
    session_.reset(); // discard
    read();
}

// The timer is armed lazily: moving the deadline later leaves the pending
// wait alone (it re-arms itself when it fires early), so a keep-alive
// request costs no timer operation unless a shorter timeout starts.
void Connection::set_deadline(std::chrono::nanoseconds timeout) {
    deadline_ = timeout.count() > 0 ? clock::now() + timeout : clock::time_point::max();
    const clock::time_point wake = wake_at();
    if (wake == clock::time_point::max()) return;
    if (timer_armed_ && deadline_timer_.expiry() <= wake) return;
    arm_timer();
}

void Connection::arm_timer() {
    timer_armed_ = true;
    // Re-arming cancels a pending wait, but one that already completed may
    // still be queued: the generation tells it apart.
    deadline_timer_.expires_at(wake_at());
    deadline_timer_.async_wait(
        [self = shared_from_this(), generation = ++timer_generation_](const error_code& error) {
            self->on_deadline(error, generation);
        });
}

void Connection::on_deadline(const error_code& error, std::uint64_t generation) {
    if (closed_ || error || generation != timer_generation_) return;
    timer_armed_ = false;
    const clock::time_point now = clock::now();
    if (park_at_ <= now) {
        park_at_ = clock::time_point::max();
        if (may_park()) {
            parking_ = true;
            error_code ignored;
            socket_.cancel(ignored); // the read completes with operation_aborted: park()
        }
    }
    if (wake_at() == clock::time_point::max()) return;
    if (wake_at() > now) return arm_timer();
    on_timeout();
}

void Connection::on_timeout() {
    if (lingering_) return close();
    ++worker_counters().timeouts;
    if (busy_ || !session_.mid_request() || io_ == nullptr) return close(); // idle: close silently
    io_->batch.only(reject(Status::request_timeout)); // not busy: the batch was empty; closes after the write
    busy_ = true;
    deadline_ = park_at_ = clock::time_point::max();
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

// One connection of the epoll worker: reading, replying (at once or after
// the delay, a pipelined batch in one write), flushing, lingering, closing,
// and taking and giving back its pooled buffers.
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

#include "common/system_error.hpp"
#include "loops/epoll_loop.hpp"
#include "loops/timer_fd.hpp"

namespace pb::epoll {

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
        if (!c.lingering && !take_buffers(c)) return ReadResult::failed;
        std::span<char> space = c.lingering ? std::span<char>(linger_sink_) : c.session.free_space();
        if (space.empty()) {
            c.read_blocked = true;
            return ReadResult::ok;
        }
        if (!c.lingering && !c.session.mid_request()) c.since = coarse_now(); // a new request starts
        ssize_t n = recv(c.fd.get(), space.data(), space.size(), 0);
        if (n > 0) {
            counters_.bytes_in += static_cast<std::uint64_t>(n);
            c.silent = false;
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

bool Worker::take_buffers(Connection& c) {
    if (c.io != nullptr) return true;
    c.io = pool_.take();
    if (c.io == nullptr) return false; // out of memory: this client goes, the worker stays
    c.session.attach(c.io->input_span());
    return true;
}

// An idle connection keeps no buffer: nothing half-read, nothing unsent.
void Worker::release_if_idle(Connection& c) {
    if (c.io == nullptr || c.in_flight() || c.session.holds_bytes()) return;
    c.session.detach();
    pool_.give(c.io);
    c.io = nullptr;
    c.read_blocked = false;
}

// Serves buffered requests in order, a batch at a time, until a batch has to
// wait, a write stalls or the buffer holds no complete request.
void Worker::advance(Connection& c) {
    while (!c.in_flight() && !c.lingering) {
        if (c.read_blocked) {
            c.read_blocked = false;
            if (read_some(c) == ReadResult::failed) return close(c);
        }
        if (c.io == nullptr || collect_replies(c.session, config_.handler, counters_, c.io->batch) == 0) {
            if (c.read_blocked) continue; // a discarded body freed the buffer: read the rest
            // A client that shut its side after its last request has been
            // answered; an idle one that closed is simply gone.
            if (c.peer_eof) return close(c);
            return release_if_idle(c);
        }
        if (stopping_) close_after(c.io->batch);
        if (c.io->batch.waits()) {
            // Every reply of the batch was parsed now: one deadline for all,
            // its longest delay. The timer is armed for the earliest
            // deadline: re-armed only when this one goes to the front.
            delays_.push(c, Clock::now() + c.io->batch.delay());
            if (delays_.front() == &c) arm_timer(delay_timer_.get(), c.deadline);
            return;
        }
        if (!send_batch(c)) return;
    }
}

bool Worker::send_batch(Connection& c) {
    c.out_size = static_cast<std::uint32_t>(format_batch(c.io->batch, date_.now(), c.io->output_span()));
    c.out_sent = 0;
    c.close_after_write = c.io->batch.closes();
    return flush(c);
}

// A reply of the worker's own (a 408), never while a batch is in flight.
bool Worker::send_alone(Connection& c, const Reply& reply) {
    if (!take_buffers(c)) {
        close(c);
        return false;
    }
    c.io->batch.only(reply);
    return send_batch(c);
}

// Writes the rest of the batch's output. True when the connection is ready for its next
// request; false when the write stalled (EPOLLOUT resumes it) or the
// connection was closed or started to close.
bool Worker::flush(Connection& c) {
    while (c.writing()) {
        ssize_t n = send(c.fd.get(), c.io->output + c.out_sent, c.out_size - c.out_sent, MSG_NOSIGNAL);
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
    count_sent(c.io->batch, counters_); // only responses that reached the socket count
    c.io->batch.clear();
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
    c.session.reset(); // what is still buffered goes unanswered
    release_if_idle(c);
    c.since = coarse_now();
    if (read_some(c) == ReadResult::failed || c.peer_eof) close(c);
}


} // namespace pb::epoll

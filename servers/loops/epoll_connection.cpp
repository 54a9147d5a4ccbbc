// One connection of the epoll worker: reading, replying (at once or after
// the delay), flushing, lingering and closing.
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


} // namespace pb::epoll

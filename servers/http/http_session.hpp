#pragma once
// The protocol side of one connection, shared by every concurrency model:
// bytes in, replies out, in order. It owns the input buffer, keeps the
// pipelined remainder, discards request bodies and turns parse failures
// into error replies. The model owns the socket, the waiting and the writes.
#include <cstddef>
#include <optional>
#include <span>

#include "stats/worker_counters.hpp"
#include "http/handler.hpp"

namespace pb {

class HttpSession {
public:
    static constexpr std::size_t buffer_size = 2 * max_head_size;

    // Where the next read may go; empty while the buffer is full. It may move
    // buffered bytes, as may reset(): call neither while a read is in flight.
    // next_reply() never moves them.
    std::span<char> free_space();
    void received(std::size_t bytes);

    // The reply to the next buffered request, or nothing until more bytes
    // arrive. Counts the request's parse outcome; the caller counts the
    // response when it has sent it.
    std::optional<Reply> next_reply(const HandlerConfig& config, WorkerCounters& counters);

    // True while part of a request head (or body) is buffered: the header
    // timeout applies rather than the idle timeout.
    bool mid_request() const { return end_ > begin_ || discard_ > 0; }

    void reset();

private:
    void compact();

    std::size_t begin_ = 0;  // first unconsumed byte
    std::size_t end_ = 0;    // one past the last received byte
    std::uint64_t discard_ = 0; // body bytes still to skip
    char buffer_[buffer_size];
};

} // namespace pb

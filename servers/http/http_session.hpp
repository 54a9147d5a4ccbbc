#pragma once
// The protocol side of one connection, shared by every concurrency model:
// bytes in, replies out, in order. It parses the input buffer it is given,
// keeps the pipelined remainder, discards request bodies and turns parse
// failures into error replies. The model owns the socket, the waiting, the
// writes and the buffer (attach/detach: a pooled one while the connection
// is busy, see buffer_pool.hpp).
#include <cstddef>
#include <optional>
#include <span>

#include "stats/worker_counters.hpp"
#include "http/handler.hpp"

namespace pb {

class HttpSession {
public:
    static constexpr std::size_t buffer_size = 2 * max_head_size;

    // The buffer to parse in (buffer_size bytes); reading needs one.
    void attach(std::span<char> buffer) { buffer_ = buffer.data(); }
    // Gives the buffer back; only when holds_bytes() is false.
    void detach() { buffer_ = nullptr; begin_ = end_ = 0; }
    bool attached() const { return buffer_ != nullptr; }
    // Received bytes not consumed yet: the buffer must stay.
    bool holds_bytes() const { return end_ > begin_; }

    // Where the next read may go (attached only); empty while the buffer is
    // full. It may move buffered bytes: do not call it while a read is in
    // flight. next_reply() never moves them; reset() only forgets them, so a
    // read still in flight lands in bytes nobody parses.
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
    char* buffer_ = nullptr;
};

} // namespace pb

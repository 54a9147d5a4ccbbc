#pragma once
// Pipelined requests answered together. Every complete request buffered in a
// session is parsed at once; their replies wait (if they wait) for one
// deadline, the longest delay among them, and their responses leave in one
// write, in order. The batch is
// bounded, so a client that pipelines without reading fills its input
// buffer and stops being read from: nothing grows without limit.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/handler.hpp"
#include "http/response.hpp"
#include "stats/worker_counters.hpp"

namespace pb {

class HttpSession;

struct ReplyBatch {
    static constexpr std::size_t max_replies = 32;
    static constexpr std::size_t output_size = max_replies * max_response_size;

    std::array<Reply, max_replies> replies;
    std::size_t count = 0;

    bool empty() const { return count == 0; }
    bool full() const { return count == max_replies; }
    // The batch waits once, for the longest delay among its replies (they
    // differ with --cost-from-request): the responses leave in order in one
    // write, so none of them could leave before the slowest anyway.
    std::chrono::nanoseconds delay() const;
    bool waits() const { return delay() > std::chrono::nanoseconds::zero(); }
    // The connection closes after the last response of this batch.
    bool closes() const { return count > 0 && !replies[count - 1].keep_alive; }
    void clear() { count = 0; }
    // A batch of the worker's own reply (a 408), sent alone.
    void only(const Reply& reply) {
        replies[0] = reply;
        count = 1;
    }
};

// Parses the buffered requests into `batch` until none is complete, the
// batch is full or a reply closes the connection (nothing after it is
// answered). Returns the number added.
std::size_t collect_replies(HttpSession& session, const HandlerConfig& config, WorkerCounters& counters,
                            ReplyBatch& batch);

// Draining: the last response of the batch says Connection: close (the
// ones before it are answered as asked; nothing after it is read).
void close_after(ReplyBatch& batch);

// The responses of the whole batch, back to back, into `out`
// (ReplyBatch::output_size bytes). Returns the bytes written.
std::size_t format_batch(const ReplyBatch& batch, std::string_view date, std::span<char> out);

// Counts the batch's responses once they have all been sent: a client that
// leaves in the middle of a batch gets none of it counted (bytes_out still
// counts what reached the socket).
void count_sent(const ReplyBatch& batch, WorkerCounters& counters);

} // namespace pb

#include "http/reply_batch.hpp"

#include <algorithm>
#include <cassert>
#include <optional>

#include "http/http_session.hpp"

namespace pb {

std::chrono::nanoseconds ReplyBatch::delay() const {
    std::chrono::nanoseconds longest{0};
    for (std::size_t i = 0; i < count; ++i) longest = std::max(longest, replies[i].delay);
    return longest;
}

std::size_t collect_replies(HttpSession& session, const HandlerConfig& config, WorkerCounters& counters,
                            ReplyBatch& batch) {
    std::size_t added = 0;
    while (!batch.full() && !batch.closes()) {
        std::optional<Reply> reply = session.next_reply(config, counters);
        if (!reply) break;
        batch.replies[batch.count++] = *reply;
        ++added;
    }
    return added;
}

void close_after(ReplyBatch& batch) {
    if (batch.count > 0) batch.replies[batch.count - 1].keep_alive = false;
}

std::size_t format_batch(const ReplyBatch& batch, std::string_view date, std::span<char> out) {
    assert(out.size() >= ReplyBatch::output_size);
    std::size_t size = 0;
    for (std::size_t i = 0; i < batch.count; ++i)
        size += format_response(batch.replies[i], date, out.subspan(size, max_response_size));
    return size;
}

void count_sent(const ReplyBatch& batch, WorkerCounters& counters) {
    for (std::size_t i = 0; i < batch.count; ++i) counters.count_response(batch.replies[i].status);
}

} // namespace pb

#include "http/http_session.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace pb {

std::span<char> HttpSession::free_space() {
    // Only here do buffered bytes move: next_reply never moves them, so a
    // model may parse while a read into the last free_space() is in flight.
    // A partial request moves to the front only when the tail is nearly used
    // up: in the common case (whole requests per read) nothing is copied.
    assert(buffer_ != nullptr && "attach() a buffer before reading");
    if (begin_ == end_) begin_ = end_ = 0;
    else if (buffer_size - end_ < max_head_size / 8 && begin_ > 0) compact();
    return {buffer_ + end_, buffer_size - end_};
}

void HttpSession::received(std::size_t bytes) { end_ += bytes; }

void HttpSession::compact() {
    std::memmove(buffer_, buffer_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
}

void HttpSession::reset() {
    begin_ = end_ = 0;
    discard_ = 0;
}

std::optional<Reply> HttpSession::next_reply(const HandlerConfig& config, WorkerCounters& counters) {
    if (discard_ > 0) {
        auto skipped = std::min<std::uint64_t>(discard_, end_ - begin_);
        begin_ += skipped;
        discard_ -= skipped;
    }
    if (begin_ == end_) return std::nullopt;
    Request request;
    ParseResult result = parse_request({buffer_ + begin_, end_ - begin_}, request);
    if (result == ParseResult::incomplete) return std::nullopt;
    if (result != ParseResult::complete) {
        // The connection closes after this reply: skip the bad bytes so
        // that a second call cannot count the same error twice.
        ++counters.parse_errors;
        begin_ = end_;
        return reject(result);
    }
    begin_ += request.head_size;
    discard_ = request.content_length;
    return handle(request, config);
}

} // namespace pb

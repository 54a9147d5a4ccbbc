#include "load/response_reader.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "common/numbers.hpp"

namespace pb::load {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

} // namespace

ResponseReader::State ResponseReader::received(std::size_t bytes) {
    filled_ += bytes;
    if (state_ == State::head) {
        // Resume three bytes back: the terminator may straddle two reads.
        const std::string_view text(buffer_.data(), filled_);
        const std::size_t end = text.find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
        if (end == std::string_view::npos) {
            scanned_ = filled_;
            if (free_size() == 0) state_ = State::malformed; // a head larger than the buffer
            return state_;
        }
        state_ = parse_head(end + 4);
        if (state_ == State::body) take_body(filled_ - (end + 4));
    } else if (state_ == State::body) {
        take_body(bytes);
    } else if (state_ == State::complete) {
        excess_ += bytes;
    }
    // The body is counted, not kept: the buffer starts over when full.
    if (state_ == State::body && free_size() == 0) filled_ = 0;
    return state_;
}

void ResponseReader::take_body(std::size_t bytes) {
    if (until_close_) return;
    const std::size_t taken = std::min(bytes, body_left_);
    body_left_ -= taken;
    excess_ += bytes - taken;
    if (body_left_ == 0) state_ = State::complete;
}

ResponseReader::State ResponseReader::peer_closed() {
    if (state_ == State::body && until_close_) {
        state_ = State::complete;
    } else if (state_ != State::complete) {
        state_ = State::malformed;
    }
    return state_;
}

ResponseReader::State ResponseReader::parse_head(std::size_t head_end) {
    const std::string_view head(buffer_.data(), head_end - 4);
    // "HTTP/1.1 200 OK"
    if (head.size() < 12 || head.substr(0, 7) != "HTTP/1.") return State::malformed;
    const std::optional<int> status = parse_number<int>(head.substr(9, 3));
    if (!status) return State::malformed;
    status_ = *status;
    closes_ = head[7] == '0';
    std::optional<std::size_t> length;
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos && at < head.size();) {
        const std::size_t start = at + 2;
        std::size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos) end = head.size();
        const std::string_view line = head.substr(start, end - start);
        at = end;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, colon), value = trimmed(line.substr(colon + 1));
        if (equal_ignoring_case(name, "content-length")) {
            length = parse_number<std::size_t>(value);
            if (!length) return State::malformed;
        } else if (equal_ignoring_case(name, "connection")) {
            closes_ = equal_ignoring_case(value, "close");
        }
    }
    until_close_ = !length;
    body_left_ = length.value_or(0);
    return State::body;
}

void ResponseReader::reset() {
    filled_ = scanned_ = body_left_ = excess_ = 0;
    until_close_ = closes_ = false;
    status_ = 0;
    state_ = State::head;
}

} // namespace pb::load

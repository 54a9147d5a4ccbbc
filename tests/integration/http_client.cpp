#include "http_client.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace itest {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

int milliseconds_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 600'000));
}

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

// Parses the head in `text` (which ends with the empty line). False if it is
// not an HTTP/1.x status line followed by header fields.
bool parse_head(std::string_view text, HttpResponse& response, std::string& error) {
    std::size_t line_end = text.find("\r\n");
    std::string_view status_line = text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
        (status_line.size() > 12 && status_line[12] != ' ')) {
        error = "bad status line '" + std::string(status_line) + "'";
        return false;
    }
    response.version = std::string(status_line.substr(0, 8));
    std::string_view code = status_line.substr(9, 3);
    auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), response.status);
    if (ec != std::errc() || ptr != code.data() + code.size() || response.status < 100 || response.status > 999) {
        error = "bad status code in '" + std::string(status_line) + "'";
        return false;
    }
    response.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
    std::string_view rest = text.substr(line_end + 2);
    while (!rest.empty() && rest.substr(0, 2) != "\r\n") {
        std::size_t end = rest.find("\r\n");
        std::string_view field = rest.substr(0, end);
        rest.remove_prefix(end + 2);
        std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0 || field.substr(0, colon).find(' ') != std::string_view::npos) {
            error = "bad header field '" + std::string(field) + "'";
            return false;
        }
        response.headers.emplace_back(std::string(field.substr(0, colon)), std::string(trim(field.substr(colon + 1))));
    }
    return true;
}

} // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) return value;
    return std::nullopt;
}

std::size_t HttpResponse::header_count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(headers.begin(), headers.end(), [name](const auto& field) { return iequals(field.first, name); }));
}

std::ostream& operator<<(std::ostream& out, ReadOutcome outcome) {
    switch (outcome) {
    case ReadOutcome::ok: return out << "ok";
    case ReadOutcome::closed: return out << "closed";
    case ReadOutcome::reset: return out << "reset";
    case ReadOutcome::timeout: return out << "timeout";
    case ReadOutcome::malformed: return out << "malformed";
    case ReadOutcome::error: return out << "error";
    }
    return out << "?";
}

std::ostream& operator<<(std::ostream& out, const ReadResult& result) {
    out << result.outcome;
    if (result.ok()) out << " " << result.response.status << " " << result.response.reason;
    if (!result.error.empty()) out << " (" << result.error << ")";
    return out;
}

std::ostream& operator<<(std::ostream& out, CloseOutcome outcome) {
    switch (outcome) {
    case CloseOutcome::closed: return out << "closed";
    case CloseOutcome::data: return out << "more data";
    case CloseOutcome::timeout: return out << "still open (timeout)";
    }
    return out << "?";
}

HttpClient::HttpClient(int port, std::chrono::milliseconds timeout) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = errno_text("socket");
        return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Bounds the blocking connect and sends; reads use poll with a deadline.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        error_ = errno_text("connect");
        ::close(fd_);
        fd_ = -1;
    }
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)), eof_(other.eof_), reset_(other.reset_),
      error_(std::move(other.error_)) {}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void HttpClient::close_with_reset() {
    if (fd_ < 0) return;
    linger option{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    close();
}

bool HttpClient::send(std::string_view bytes) {
    if (fd_ < 0) {
        error_ = "send: not connected";
        return false;
    }
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            error_ = errno_text("send");
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool HttpClient::send_byte_by_byte(std::string_view bytes, std::chrono::milliseconds pause) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (!send(bytes.substr(i, 1))) return false;
        std::this_thread::sleep_for(pause);
    }
    return true;
}

HttpClient::Fill HttpClient::fill(Clock::time_point deadline) {
    if (reset_) return Fill::reset;
    if (eof_) return Fill::eof;
    if (fd_ < 0) return Fill::error;
    for (;;) {
        pollfd fd{fd_, POLLIN, 0};
        int ready = poll(&fd, 1, milliseconds_left(deadline));
        if (ready < 0) {
            if (errno == EINTR) continue;
            error_ = errno_text("poll");
            return Fill::error;
        }
        if (ready == 0) return Fill::timeout;
        char chunk[16384];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return Fill::data;
        }
        if (n == 0) {
            eof_ = true;
            return Fill::eof;
        }
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        if (errno == ECONNRESET) {
            reset_ = true;
            return Fill::reset;
        }
        error_ = errno_text("recv");
        return Fill::error;
    }
}

ReadResult HttpClient::read_response(bool head_request, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    ReadResult result;
    auto ended = [&](Fill fill_result) {
        switch (fill_result) {
        case Fill::eof:
            result.outcome = buffer_.empty() ? ReadOutcome::closed : ReadOutcome::malformed;
            result.error = buffer_.empty() ? "connection closed" : "connection closed mid-response: '" + buffer_ + "'";
            break;
        case Fill::reset:
            result.outcome = ReadOutcome::reset;
            result.error = "connection reset (" + std::to_string(buffer_.size()) + " bytes pending)";
            break;
        case Fill::timeout:
            result.outcome = ReadOutcome::timeout;
            result.error = "no complete response within " + std::to_string(timeout.count()) + " ms (" +
                           std::to_string(buffer_.size()) + " bytes received)";
            break;
        default:
            result.outcome = ReadOutcome::error;
            result.error = error_;
            break;
        }
        return result;
    };

    // The head.
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (buffer_.size() > 65536) {
            result.outcome = ReadOutcome::malformed;
            result.error = "no end of head in 64 KiB";
            return result;
        }
        Fill f = fill(deadline);
        if (f != Fill::data) return ended(f);
    }
    HttpResponse response;
    if (!parse_head(std::string_view(buffer_).substr(0, head_end + 2), response, result.error)) {
        result.outcome = ReadOutcome::malformed;
        return result;
    }
    std::size_t body_start = head_end + 4;

    // The body.
    bool no_body = head_request || response.status / 100 == 1 || response.status == 204 || response.status == 304;
    std::optional<std::string> length_text = response.header("Content-Length");
    if (!no_body && response.header("Transfer-Encoding")) {
        result.outcome = ReadOutcome::malformed;
        result.error = "Transfer-Encoding in a response: this client does not decode it";
        return result;
    }
    std::size_t body_size = 0;
    if (!no_body && length_text) {
        auto [ptr, ec] = std::from_chars(length_text->data(), length_text->data() + length_text->size(), body_size);
        if (ec != std::errc() || ptr != length_text->data() + length_text->size()) {
            result.outcome = ReadOutcome::malformed;
            result.error = "bad Content-Length '" + *length_text + "'";
            return result;
        }
        while (buffer_.size() < body_start + body_size) {
            Fill f = fill(deadline);
            if (f == Fill::eof) {
                result.outcome = ReadOutcome::malformed;
                result.error = "connection closed mid-body";
                return result;
            }
            if (f != Fill::data) return ended(f);
        }
    } else if (!no_body) {
        // No length: the body runs to the end of the connection.
        for (;;) {
            Fill f = fill(deadline);
            if (f == Fill::eof || f == Fill::reset) break;
            if (f != Fill::data) return ended(f);
        }
        body_size = buffer_.size() - body_start;
    }
    response.body = buffer_.substr(body_start, body_size);
    buffer_.erase(0, body_start + body_size);
    result.outcome = ReadOutcome::ok;
    result.response = std::move(response);
    return result;
}

CloseOutcome HttpClient::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    if (!buffer_.empty()) return CloseOutcome::data;
    Fill f = fill(deadline);
    switch (f) {
    case Fill::data: return CloseOutcome::data;
    case Fill::timeout: return CloseOutcome::timeout;
    default: return CloseOutcome::closed; // EOF, reset, or the socket is gone
    }
}

std::size_t HttpClient::unread_bytes(std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
        Fill f = fill(deadline);
        if (f != Fill::data) break;
    }
    return buffer_.size();
}

ReadResult fetch(int port, std::string_view request, bool head_request) {
    HttpClient client(port);
    if (!client.connected()) return ReadResult{ReadOutcome::error, {}, client.error()};
    if (!client.send(request)) return ReadResult{ReadOutcome::error, {}, client.error()};
    return client.read_response(head_request);
}

} // namespace itest

#pragma once
// A small blocking HTTP/1.x client over TCP to 127.0.0.1, for tests: it sends
// raw bytes and reads back one response at a time. Every wait is bounded.
#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace itest {

inline constexpr std::chrono::milliseconds io_timeout{5000};

inline constexpr std::string_view simple_get = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

struct HttpResponse {
    std::string version; // "HTTP/1.1"
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first header of that name (case-insensitive).
    std::optional<std::string> header(std::string_view name) const;
    std::size_t header_count(std::string_view name) const;
};

enum class ReadOutcome {
    ok,
    closed,    // the connection ended (FIN) before any byte of a response
    reset,     // the connection was reset before a complete response
    timeout,   // no complete response in time
    malformed, // bytes that are not an HTTP/1.x response (or a truncated one)
    error,     // another socket error
};
std::ostream& operator<<(std::ostream& out, ReadOutcome outcome);

struct ReadResult {
    ReadOutcome outcome = ReadOutcome::error;
    HttpResponse response;
    std::string error; // what went wrong, for messages
    bool ok() const { return outcome == ReadOutcome::ok; }
    int status() const { return ok() ? response.status : 0; }
};
std::ostream& operator<<(std::ostream& out, const ReadResult& result);

enum class CloseOutcome {
    closed,  // EOF or reset, and no further bytes
    data,    // the server sent more bytes
    timeout, // still open
};
std::ostream& operator<<(std::ostream& out, CloseOutcome outcome);

class HttpClient {
public:
    explicit HttpClient(int port, std::chrono::milliseconds timeout = io_timeout);
    ~HttpClient();
    HttpClient(HttpClient&& other) noexcept;
    HttpClient& operator=(HttpClient&&) = delete;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    int native_handle() const { return fd_; }
    const std::string& error() const { return error_; }

    // Sends every byte; false on error (error() says which).
    bool send(std::string_view bytes);
    // Sends one byte per write with a pause between, so each byte arrives in
    // its own segment.
    bool send_byte_by_byte(std::string_view bytes, std::chrono::milliseconds pause);

    // Reads one response. `head_request`: the response has no body whatever
    // its Content-Length says.
    ReadResult read_response(bool head_request = false, std::chrono::milliseconds timeout = io_timeout);

    // Waits for the server to end the connection.
    CloseOutcome wait_closed(std::chrono::milliseconds timeout = io_timeout);

    // Bytes received beyond the responses read so far, waiting up to `wait`.
    std::size_t unread_bytes(std::chrono::milliseconds wait);

    void close();
    // Closes with SO_LINGER 0: the kernel answers the server with a reset.
    void close_with_reset();

private:
    enum class Fill { data, eof, reset, timeout, error };
    Fill fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
    bool reset_ = false;
    std::string error_;
};

// One request on a new connection: the common probe of "the server serves".
ReadResult fetch(int port, std::string_view request = simple_get, bool head_request = false);

} // namespace itest

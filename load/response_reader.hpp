#pragma once
// Framing one HTTP/1.1 response as its bytes arrive: the status line, the
// headers prefork-load needs (Content-Length, Connection: close) and the
// body's end. It reads in place in the connection's buffer and never
// allocates; a response must carry Content-Length (every server measured
// here does) or end with the connection.
#include <cstddef>
#include <cstdint>
#include <span>

namespace pb::load {

class ResponseReader {
public:
    enum class State { head, body, complete, malformed };

    // The connection's buffer; the reader keeps no copy.
    explicit ResponseReader(std::span<char> buffer) : buffer_(buffer) {}

    // Where the next bytes go, and how many fit.
    char* free_begin() { return buffer_.data() + filled_; }
    std::size_t free_size() const { return buffer_.size() - filled_; }

    // `bytes` more arrived at free_begin(). Returns the new state.
    State received(std::size_t bytes);
    // The peer closed: a response without Content-Length ends here.
    State peer_closed();

    State state() const { return state_; }
    int status() const { return status_; }
    bool closes() const { return closes_; } // the server said Connection: close (or HTTP/1.0)

    // Bytes past the end of the response: nothing is pipelined, so a server
    // that sends them is wrong (the caller counts an error and reconnects).
    std::size_t excess() const { return excess_; }

    // Ready for the next response.
    void reset();

private:
    State parse_head(std::size_t head_end);
    void take_body(std::size_t bytes);

    std::span<char> buffer_;
    std::size_t filled_ = 0;     // bytes in buffer_
    std::size_t scanned_ = 0;    // where the search for the head's end resumes
    std::size_t body_left_ = 0;  // once the head is parsed, with Content-Length
    std::size_t excess_ = 0;
    bool until_close_ = false;   // no Content-Length: the body ends with the connection
    int status_ = 0;
    bool closes_ = false;
    State state_ = State::head;
};

} // namespace pb::load

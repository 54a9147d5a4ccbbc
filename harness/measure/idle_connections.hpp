#pragma once
// Many keep-alive connections held open at once, each having had one
// request answered, and single requests on new connections timed while they
// are held: the client side of the idle-connections scenario. Non-blocking
// sockets and poll(); everything on 127.0.0.1, one thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"

namespace pb::harness {

// Where a response ends, from the start of what a connection has read so
// far: its head and a Content-Length body.
struct ResponseFrame {
    enum class State { incomplete, complete, malformed };
    State state = State::incomplete;
    int status = 0;        // the status code, once the head is complete
    std::size_t size = 0;  // head + body, when complete
    std::string problem;   // what is wrong, when malformed
};
ResponseFrame frame_response(std::string_view data);

// "GET path HTTP/1.1" with `headers` ("Name: value"), as wrk sends it.
std::string http_request(const std::vector<std::string>& headers, std::string_view path);

class HeldConnections {
public:
    HeldConnections(std::uint16_t port, std::string request);

    // Opens `count` new connections at once, sends each the request and
    // reads one whole response, which must be a 200 and nothing more; then
    // they stay open, held. Throws saying what went wrong (connect refused,
    // a status, a connection closed) or how many were not answered within
    // `timeout`; none of the batch is held then.
    void open_batch(int count, std::chrono::milliseconds timeout);

    // One request on a new connection, from socket() to the response's last
    // byte; the connection is closed afterwards. Throws as open_batch does.
    std::chrono::nanoseconds probe(std::chrono::milliseconds timeout);

    // Checks every held connection without waiting. One the server has
    // closed (EOF) or reset, or that received bytes nobody asked for (a
    // timeout response before closing), is dropped: closed here, no longer
    // held, and counted. Returns how many were found now.
    int reap_dropped();

    std::size_t held() const { return held_.size(); }
    int dropped() const { return dropped_; }
    void close_all() { held_.clear(); }

private:
    std::uint16_t port_;
    std::string request_;
    std::vector<pb::Fd> held_;
    int dropped_ = 0;
};

} // namespace pb::harness

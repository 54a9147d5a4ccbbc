#pragma once
// The one handler every server runs: it decides the reply to a request and
// burns its CPU work. The wait is the caller's (Reply::delay): each
// concurrency model waits its own way (timer queue, asio timer, sleep), which
// is exactly what the benchmark compares.
#include <chrono>
#include <cstdint>

#include "http/http_parser.hpp"

namespace pb {

enum class Status : std::uint16_t {
    ok = 200,
    bad_request = 400,
    method_not_allowed = 405,
    request_timeout = 408,
    header_fields_too_large = 431,
    not_implemented = 501,
    version_not_supported = 505,
};

struct HandlerConfig {
    std::chrono::nanoseconds delay{std::chrono::milliseconds(100)};
    std::chrono::nanoseconds work{0};
    // Take work= and delay= from the query (request_cost.hpp); the two above
    // remain the defaults for the part a request does not name.
    bool cost_from_request = false;
    std::chrono::nanoseconds max_cost{std::chrono::seconds(10)}; // a larger work= or delay= gets a 400
    // The share (0 to 1) of the work burnt holding the process-wide mutex
    // (critical_section.hpp); 0: no lock is taken.
    double critical_share = 0.0;
};

struct Reply {
    Status status = Status::ok;
    bool keep_alive = true;
    bool with_body = true; // false for HEAD
    bool http10 = false;   // an HTTP/1.0 client that keeps alive must be told so
    std::chrono::nanoseconds delay{0}; // the caller waits this long before sending (0: at once)

    bool waits() const { return delay > std::chrono::nanoseconds::zero(); }
};

// With cost_from_request, a malformed or too large cost in the query is a
// 400 that closes the connection, like any other bad request.
Reply handle(const Request& request, const HandlerConfig& config);

// Reply to a request that could not be parsed; it always closes the connection.
Reply reject(ParseResult result);
Reply reject(Status status);

// Spins the calling thread for `work` of its own CPU time.
void burn_cpu(std::chrono::nanoseconds work);

} // namespace pb

#pragma once
// Listening sockets and the small helpers around them.
#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/fd.hpp"

namespace pb {

struct Endpoint {
    std::string host = "127.0.0.1"; // numeric IPv4/IPv6 or a resolvable name
    std::uint16_t port = 8080;      // 0 lets the kernel pick
};

// "HOST:PORT" or "[IPv6]:PORT".
std::optional<Endpoint> parse_endpoint(std::string_view text);
std::string to_string(const Endpoint& endpoint);

struct ListenerOptions {
    int backlog = 4096;
    bool reuseport = false;    // SO_REUSEPORT: one listener per worker, kernel balances
    bool defer_accept = false; // TCP_DEFER_ACCEPT: wake accept only once data arrived
    bool fastopen = false;     // TCP_FASTOPEN
    bool listen = true;        // false: bind only, to hold a port (see prefork_epoll)
};

// A non-blocking, close-on-exec socket bound to `endpoint`. Throws with the
// failing call named.
Fd open_listener(const Endpoint& endpoint, const ListenerOptions& options);

// The port a bound socket really got (for port 0).
std::uint16_t local_port(int fd);
// `asked` with the port the socket `fd` really got: what the ready line shows.
Endpoint bound_endpoint(const Endpoint& asked, int fd);

void set_nonblocking(int fd, bool on);

// TCP_NODELAY on an accepted connection: responses are single small writes,
// and Nagle would hold back the next one of a pipelined batch until the
// previous was acknowledged. False if the kernel refused (the connection
// still works, only slower: not worth failing it for).
bool enable_no_delay(int fd);

// 127.0.0.1:port as the socket calls take it.
sockaddr_in loopback_address(std::uint16_t port);

} // namespace pb

#pragma once
// Listening sockets and the small helpers around them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pb {

// Owns a file descriptor; closes it once.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1);
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_ = -1;
};

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

void set_nonblocking(int fd, bool on);

} // namespace pb

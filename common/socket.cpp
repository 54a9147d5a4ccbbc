#include "common/socket.hpp"

#include <charconv>
#include <memory>
#include <stdexcept>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/system_error.hpp"

namespace pb {

std::optional<Endpoint> parse_endpoint(std::string_view text) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']') return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return std::nullopt; // IPv6 needs brackets
    }
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535)
        return std::nullopt;
    return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string to_string(const Endpoint& endpoint) {
    bool v6 = endpoint.host.find(':') != std::string::npos;
    return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

namespace {

void set_option(int fd, int level, int name, int value, const char* what, const std::string& where) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0)
        throw_system_error(std::string("setsockopt ") + what, where);
}

} // namespace

Fd open_listener(const Endpoint& endpoint, const ListenerOptions& options) {
    const std::string where = to_string(endpoint);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(endpoint.port);
    if (int rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("getaddrinfo(" + where + "): " + gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);

    Fd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", where);
    set_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", where);
    if (options.reuseport) set_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", where);
    if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0) throw_system_error("bind", where);
    if (!options.listen) return fd;
    if (options.defer_accept) set_option(fd.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, 1, "TCP_DEFER_ACCEPT", where);
    if (options.fastopen) set_option(fd.get(), IPPROTO_TCP, TCP_FASTOPEN, options.backlog, "TCP_FASTOPEN", where);
    if (::listen(fd.get(), options.backlog) != 0) throw_system_error("listen", where);
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw_system_error("getsockname", "fd " + std::to_string(fd));
    if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

bool enable_no_delay(int fd) {
    const int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
}

Endpoint bound_endpoint(const Endpoint& asked, int fd) {
    Endpoint bound = asked;
    bound.port = local_port(fd);
    return bound;
}

void set_nonblocking(int fd, bool on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) throw_system_error("fcntl F_GETFL", "fd " + std::to_string(fd));
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (fcntl(fd, F_SETFL, flags) != 0) throw_system_error("fcntl F_SETFL", "fd " + std::to_string(fd));
}

sockaddr_in loopback_address(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

} // namespace pb

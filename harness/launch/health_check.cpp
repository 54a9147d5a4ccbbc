#include "launch/health_check.hpp"

#include <netdb.h>
#include <memory>

#include <arpa/inet.h>
#include <cctype>
#include <fmt/format.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

#include "common/socket.hpp"
#include "common/system_error.hpp"

namespace pb::harness {
namespace {

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// The value of header `name` in `head` (which starts with the status line).
std::optional<std::string> header_value(const std::string& head, std::string_view name) {
    const std::string key = "\r\n" + lower(std::string(name)) + ":";
    auto at = lower(head).find(key);
    if (at == std::string::npos) return std::nullopt;
    auto begin = head.find_first_not_of(' ', at + key.size());
    auto end = head.find("\r\n", begin);
    return head.substr(begin, end - begin);
}

} // namespace

pb::Fd connect_loopback(std::uint16_t port) {
    pb::Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "health check");
    timeval timeout{2, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address = loopback_address(port);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_system_error("connect", fmt::format("127.0.0.1:{}", port));
    return fd;
}

pb::Fd connect_to(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (const int error = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); error != 0)
        throw std::runtime_error(fmt::format("getaddrinfo({}): {}", host, gai_strerror(error)));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
    pb::Fd fd(socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_system_error("socket", "health check");
    timeval timeout{2, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0) throw_system_error("connect", fmt::format("{}:{}", host, port));
    return fd;
}

void health_check(std::uint16_t port, const std::vector<std::string>& headers) { health_check("127.0.0.1", port, headers); }

void health_check(const std::string& host, std::uint16_t port, const std::vector<std::string>& headers) {
    pb::Fd fd = host == "127.0.0.1" ? connect_loopback(port) : connect_to(host, port);
    std::string request = "GET / HTTP/1.1\r\n";
    for (const std::string& header : headers) request += header + "\r\n";
    request += "\r\n";
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        throw_system_error("send", "health check request");
    std::string response;
    char buffer[4096];
    std::size_t head_end = std::string::npos;
    std::size_t body_size = 0;
    while (head_end == std::string::npos || response.size() < head_end + 4 + body_size) {
        ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) throw std::runtime_error("health check: the connection ended before a whole response");
        response.append(buffer, static_cast<std::size_t>(n));
        if (head_end == std::string::npos && (head_end = response.find("\r\n\r\n")) != std::string::npos) {
            auto length = header_value(response.substr(0, head_end + 2), "Content-Length");
            if (length) body_size = std::stoul(*length);
        }
    }
    const std::string head = response.substr(0, head_end + 2);
    if (head.rfind("HTTP/1.1 200 ", 0) != 0)
        throw std::runtime_error("health check: expected HTTP/1.1 200, got \"" + head.substr(0, head.find('\r')) + "\"");
    for (std::string_view name : {"Server", "Date", "Content-Type", "Content-Length"})
        if (!header_value(head, name)) throw std::runtime_error(fmt::format("health check: no {} header", name));
    const std::string body = response.substr(head_end + 4, body_size);
    if (body != expected_body)
        throw std::runtime_error(fmt::format("health check: expected the body \"{}\", got \"{}\"", expected_body, body));
}

} // namespace pb::harness

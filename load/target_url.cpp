#include "load/target_url.hpp"

#include <cstring>
#include <fmt/format.h>
#include <netdb.h>
#include <stdexcept>

#include "common/numbers.hpp"

namespace pb::load {
namespace {

[[noreturn]] void refuse(std::string_view text, std::string_view why) {
    throw std::invalid_argument(fmt::format("URL \"{}\": expected http://HOST:PORT/PATH ({})", text, why));
}

} // namespace

TargetUrl parse_url(std::string_view text) {
    constexpr std::string_view scheme = "http://";
    if (text.substr(0, scheme.size()) != scheme) refuse(text, "only http:// is spoken");
    std::string_view rest = text.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    TargetUrl url;
    url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    // [IPv6]:port, host:port or host.
    std::string_view host = authority, port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) refuse(text, "no ']' after an IPv6 address");
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') refuse(text, "':' after ']'");
            port = authority.substr(close + 2);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) refuse(text, "a host");
    if (!port.empty()) {
        const std::optional<std::uint16_t> number = parse_number<std::uint16_t>(port);
        if (!number || *number == 0) refuse(text, "a port from 1 to 65535");
        url.port = *number;
    }
    url.host = std::string(host);
    return url;
}

TargetUrl resolve_url(std::string_view text) {
    TargetUrl url = parse_url(text);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(url.port);
    if (const int error = ::getaddrinfo(url.host.c_str(), service.c_str(), &hints, &found); error != 0)
        throw std::invalid_argument(fmt::format("getaddrinfo({}): {}", url.host, ::gai_strerror(error)));
    std::memcpy(&url.address, found->ai_addr, found->ai_addrlen);
    url.address_length = found->ai_addrlen;
    ::freeaddrinfo(found);
    return url;
}

} // namespace pb::load

#pragma once
// The URL prefork-load sends to: http://HOST:PORT/PATH, resolved once before
// the run (a name lookup per connection would be part of what is measured).
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace pb::load {

struct TargetUrl {
    std::string host;           // as given: the Host header's default
    std::uint16_t port = 80;
    std::string path = "/";     // with its query, if any
    sockaddr_storage address{}; // resolved
    socklen_t address_length = 0;
};

// Parses `text` and leaves the address empty (--schedule-only: nothing is
// looked up, nothing connected). Throws std::invalid_argument with one line
// naming the URL and what was expected.
TargetUrl parse_url(std::string_view text);

// Parses and resolves `text`; throws as parse_url does, or naming
// getaddrinfo and its error.
TargetUrl resolve_url(std::string_view text);

} // namespace pb::load

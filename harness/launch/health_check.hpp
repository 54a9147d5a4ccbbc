#pragma once
// One request before a run proves that the server answers as the handler
// must: status 200, the body, and the headers wrk's users rely on.
#include <cstdint>
#include <string>
#include <vector>

#include "common/socket.hpp"

namespace pb::harness {

inline constexpr std::string_view expected_body = "Hello, World!";

// One GET / with `headers`: HTTP/1.1 200, Server, Date, Content-Type and
// Content-Length headers and the expected body, else throws saying what was
// wrong.
void health_check(std::uint16_t port, const std::vector<std::string>& headers);
// The same against a server elsewhere (a name or an address, IPv4 or IPv6).
void health_check(const std::string& host, std::uint16_t port, const std::vector<std::string>& headers);

// A connection to 127.0.0.1:port with 2 s send and receive timeouts; throws
// naming connect() and the address.
pb::Fd connect_loopback(std::uint16_t port);

} // namespace pb::harness

#pragma once
// HTTP/1.x request head parser in the style of picohttpparser: one stateless
// call over the bytes received so far. Nothing is copied or allocated; the
// string views point into the caller's buffer and live as long as it does.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pb {

inline constexpr std::size_t max_head_size = 8192;

enum class Method : std::uint8_t { get, head, other };

struct Request {
    std::string_view method;
    std::string_view target;
    Method method_kind = Method::other;
    std::uint8_t version_minor = 1;    // HTTP/1.<minor>
    bool keep_alive = true;            // version default, then the Connection header
    bool has_transfer_encoding = false;
    std::uint64_t content_length = 0;
    std::size_t head_size = 0;         // bytes of the head, final empty line included
};

enum class ParseResult : std::uint8_t {
    complete,              // request filled in, head_size bytes consumed
    incomplete,            // a prefix of a valid head: call again with more bytes
    malformed,             // 400
    head_too_large,        // head exceeds max_head_size: 431
    version_not_supported, // well-formed, but not HTTP/1.x: 505
};

ParseResult parse_request(std::string_view buffer, Request& request);

} // namespace pb

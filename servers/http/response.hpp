#pragma once
// Serialises a Reply into a caller-owned buffer with memcpy of fixed pieces:
// no formatting and no allocation on the per-request path.
#include <cstddef>
#include <span>
#include <string_view>

#include "http/handler.hpp"

namespace pb {

inline constexpr std::size_t max_response_size = 512;
inline constexpr std::string_view hello_body = "Hello, World!";

// Returns the number of bytes written; `out` must hold max_response_size bytes.
std::size_t format_response(const Reply& reply, std::string_view date, std::span<char> out);

} // namespace pb

#pragma once
// A number that must be the whole of a text (a /proc field, a CSV cell).
#include <charconv>
#include <optional>
#include <string_view>

namespace pb {

// Nothing for an empty text, a sign or letter where digits belong, trailing
// characters or a value out of Number's range.
template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

} // namespace pb
